"""Checks of BOM and routing conditions over valid configurations of the product model.

Valid configurations come from the configurator's compiled model (a random walk that picks,
feature by feature, a value from the exact remaining domain, so every sample is valid).
A counterexample is proof, so these are errors: two lines of one exclusive group selected at
once, a zero or negative quantity, a selected line no selected operation consumes (or two
do). A line or operation never selected in the samples is only a warning: sampling cannot
prove that a condition never holds (`routing.exact` proves it where it can).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from bom.errors import EngineeringError
from bom.explode import ExplodedLine
from configurator.bddengine import BddEngine
from configurator.compiler import compile_problem
from configurator.model import ProductModel
from configurator.problem import problem_of
from routing.engineer import EngineeringModel, engineer, load_engineering
from routing.exact import check_exactly


class DomainOracle(Protocol):
    def domains(self, assignment: Mapping[str, object],
                names: Iterable[str] | None = None) -> dict[str, tuple[object, ...]]: ...


def oracle_for(product: ProductModel) -> DomainOracle:
    """The configurator's exact engine for this model (compiled once, cached on disk)."""
    return BddEngine(compile_problem(problem_of(product)))


def sample_configurations(product: ProductModel, count: int, seed: int = 0,
                          oracle: DomainOracle | None = None) -> list[dict[str, object]]:
    """`count` random complete valid configurations, reproducible for a given seed."""
    oracle = oracle or oracle_for(product)
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        values: dict[str, object] = {}
        order = list(product.feature_names)
        rng.shuffle(order)
        for name in order:
            domain = oracle.domains(values, [name])[name]
            if not domain:
                raise EngineeringError(product.file, 0, name, "the model has no valid "
                                       "configuration with the earlier sampled choices")
            values[name] = rng.choice(domain)
        result.append({name: values[name] for name in product.feature_names})
    return result


@dataclass(frozen=True)
class SampleReport:
    configurations: int
    never_selected_lines: tuple[str, ...]
    never_selected_operations: tuple[str, ...]

    def warnings(self, model: EngineeringModel) -> list[EngineeringError]:
        lines = {line.id: line for line in model.bom.lines()}
        found = [EngineeringError(model.bom.file, lines[key].line, f"line '{key}'",
                                  f"never selected in {self.configurations} sampled valid "
                                  "configurations: its condition may never hold")
                 for key in self.never_selected_lines]
        found += [EngineeringError(model.routing.file, model.routing.operations[key].line,
                                   f"operation '{key}'", f"never selected in "
                                   f"{self.configurations} sampled valid configurations")
                  for key in self.never_selected_operations]
        return found


def validate_samples(model: EngineeringModel, configurations: Iterable[Mapping[str, object]]
                     ) -> SampleReport:
    """Engineer every configuration; raise on the first proven defect, report the rest."""
    lines_seen: set[str] = set()
    ops_seen: set[str] = set()
    count = 0
    for values in configurations:
        count += 1
        try:
            order = engineer(model, values, check=False)
            _check_groups(model, order.tree)
        except EngineeringError as error:
            raise EngineeringError(error.file, error.line or 0, error.field or "",
                                   f"{error.detail} (in valid configuration {dict(values)})"
                                   ) from None
        lines_seen |= {node.line for node in order.tree.walk()}
        lines_seen |= {via for node in order.tree.walk() for via in node.via}
        ops_seen |= {op.id for op in order.routing.operations}
    lines = sorted(line.id for line in model.bom.lines() if line.id not in lines_seen)
    ops = sorted(op for op in model.routing.operations if op not in ops_seen)
    return SampleReport(count, tuple(lines), tuple(ops))


def _check_groups(model: EngineeringModel, tree: ExplodedLine) -> None:
    groups = {line.id: line.group for line in model.bom.lines() if line.group}
    chosen: dict[tuple[str, str], str] = {}
    for node in tree.walk():
        group = groups.get(node.line)
        if group is None:
            continue
        key = (node.path.rsplit("/", 1)[0], group)
        if key in chosen:
            line = next(li for li in model.bom.lines() if li.id == node.line)
            raise EngineeringError(model.bom.file, line.line, f"line '{node.line}'",
                                   f"selected together with '{chosen[key]}' although both are "
                                   f"in exclusive group '{group}'")
        chosen[key] = node.line


def complete(product: ProductModel, choices: Mapping[str, object],
             oracle: DomainOracle | None = None) -> dict[str, object]:
    """Fill the unchosen features, defaults first, keeping the configuration valid."""
    oracle = oracle or oracle_for(product)
    values = dict(choices)
    open_features = [f.name for f in product.features if f.name not in values]
    if open_features and not oracle.domains(values, open_features[:1])[open_features[0]]:
        chosen = ", ".join(f"{k}={v}" for k, v in choices.items())
        raise EngineeringError("<choices>", 0, "choices",
                               f"{chosen} cannot be combined in a valid product")
    for feature in product.features:
        if feature.name in values:
            continue
        domain = oracle.domains(values, [feature.name])[feature.name]
        if not domain:
            raise EngineeringError("<choices>", 0, feature.name,
                                   "no value is possible with the choices made")
        values[feature.name] = feature.default if feature.default in domain else domain[0]
    return {name: values[name] for name in product.feature_names if name in values}


def load_validated(product_dir: str, *, samples: int = 100, seed: int = 0
                   ) -> tuple[EngineeringModel, list[EngineeringError]]:
    """Load a product for engineering and check it against the configurator's compiled model:
    exactly where the conditions allow (`routing.exact`), then over sampled valid
    configurations. Returns the model and the warnings; errors are raised."""
    model = load_engineering(product_dir)
    compiled = compile_problem(problem_of(model.product))
    exact = check_exactly(model, compiled)
    oracle = BddEngine(compiled)
    configurations = sample_configurations(model.product, samples, seed, oracle)
    report = validate_samples(model, configurations)
    proven = {name.split(" ", 1)[1] for name in exact.checked}
    return model, [w for w in report.warnings(model) if w.field is None
                   or w.field.split("'")[1] not in proven]
