"""The configurator API: valid options, reasons, forced values, counts, prices, completion."""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

from configurator.bddengine import BddEngine
from configurator.compiler import Progress, compile_problem
from configurator.errors import ChoiceError, CompileError, ModelError
from configurator.explain import Explanation, Rule, find_repair, minimal_blocking
from configurator.memo import BoundedMemo
from configurator.model import FeatureType, FeatureValue, ProductModel
from configurator.pricing import PriceBreakdown, PriceRange, PriceSearch, price_breakdown
from configurator.problem import problem_of
from configurator.satengine import SatEngine

Engine = BddEngine | SatEngine
_STATE_CACHE = 64
_CORES_KEPT = 4096
_FEW_VALUES = 16


@dataclass(frozen=True)
class FeatureState:
    name: str
    chosen: object | None
    available: tuple[object, ...]  # every value here extends to a complete valid product
    unavailable: Mapping[object, Explanation | None]  # None when explain=False was asked
    forced: object | None  # the only available value of an unchosen feature


@dataclass(frozen=True)
class ConfigurationState:
    model: str
    version: str
    choices: Mapping[str, object]
    consistent: bool
    features: tuple[FeatureState, ...]
    completions: int | None  # exact; None with the SAT fallback engine
    price_range: PriceRange | None
    conflict: Explanation | None = None  # when the choices contradict each other
    engine: str = "bdd"
    warnings: tuple[str, ...] = field(default=())

    def feature(self, name: str) -> FeatureState:
        for state in self.features:
            if state.name == name:
                return state
        raise KeyError(name)

    @property
    def complete(self) -> bool:
        return self.consistent and all(s.chosen is not None for s in self.features)


class Configurator:
    """One per product model version, shared by every request of a process: what it keeps
    between requests is immutable once built, or a memo of a pure function of its key."""

    def __init__(self, model: ProductModel, *, engine: Literal["auto", "bdd", "sat"] = "auto",
                 budget_steps: int | None = None, use_cache: bool = True,
                 progress: Progress | None = None) -> None:
        """``budget_steps``: the BDD compile budget (default $C2M_BDD_STEP_BUDGET, else the
        compiler's), counted in steps so the engine never depends on how busy the machine is."""
        self.model = model
        self.problem = problem_of(model)
        self.compile_error: CompileError | None = None
        self.engine: Engine = self._engine(engine, budget_steps, use_cache, progress)
        # The SAT view names the rules behind explanations; built now, not on the first
        # explanation a customer asks for.
        self.sat = self.engine if isinstance(self.engine, SatEngine) else SatEngine(
            self.problem, bdd=self.engine.bdd, constraints=self.engine.compiled.constraints)
        self.pricing = PriceSearch(model, self.engine)
        self._domain = {f.name: f.domain for f in model.features}
        self._root: dict[str, tuple[object, ...]] | None = None
        self._states: BoundedMemo[tuple[object, ...], ConfigurationState] = BoundedMemo(
            _STATE_CACHE)
        self._cores: BoundedMemo[tuple[tuple[str, object], ...], tuple[Rule, ...]] = (
            BoundedMemo(_CORES_KEPT))
        # An engine is hundreds of thousands of objects that live as long as the process
        # (diagram summaries, clause lists); left to the collector, every full collection
        # walks them all, a pause of 100+ ms in the middle of some click.
        gc.freeze()

    def _engine(self, kind: str, budget: int | None, use_cache: bool,
                progress: Progress | None) -> Engine:
        if kind == "sat":
            return SatEngine(self.problem)
        try:
            return BddEngine(compile_problem(self.problem, budget_steps=budget,
                                             use_cache=use_cache, progress=progress))
        except CompileError as error:
            if kind == "bdd":
                raise
            self.compile_error = error
            return SatEngine(self.problem)

    @property
    def fallback_note(self) -> str | None:
        """One line for the operator when ``auto`` fell back to SAT, else None."""
        if self.compile_error is None:
            return None
        return f"{self.compile_error}; using the SAT engine instead (no completion count)"

    # -- validation ------------------------------------------------------------------------
    def check_choices(self, choices: Mapping[str, object]) -> dict[str, FeatureValue]:
        checked: dict[str, FeatureValue] = {}
        for name, value in choices.items():
            if name not in self._domain:
                raise ChoiceError(f"unknown feature {name!r}", feature=name)
            if not _in_domain(value, self._domain[name]):
                raise ChoiceError(f"{value!r} is not a value of {name!r}", feature=name,
                                  value=str(value))
            checked[name] = value  # type: ignore[assignment]
        return checked

    # -- the main query --------------------------------------------------------------------
    def configure(self, choices: Mapping[str, object], *, explain: bool = True,
                  price: bool = True) -> ConfigurationState:
        """The state after ``choices`` (a mapping in click order). Recent states are kept:
        the landing state and back/forward clicks are asked for again and again."""
        checked = self.check_choices(choices)
        return self._states.get((tuple(checked.items()), explain, price),
                                lambda: self._configure(checked, explain, price))

    def _configure(self, choices: dict[str, FeatureValue], explain: bool, price: bool
                   ) -> ConfigurationState:
        domains = self.engine.domains(choices)
        consistent = self.engine.consistent(choices)
        states = tuple(self._feature_state(f.name, choices, domains, explain and consistent)
                       for f in self.model.features)
        return ConfigurationState(
            model=self.model.name, version=self.model.version, choices=dict(choices),
            consistent=consistent, features=states,
            completions=self.engine.count(choices) if consistent else 0,
            price_range=self.pricing.price_range(choices) if consistent and price else None,
            conflict=None if consistent else self.conflict(choices),
            engine=self.engine.name,
        )

    def _feature_state(self, name: str, choices: Mapping[str, object],
                       domains: Mapping[str, tuple[object, ...]], explain: bool) -> FeatureState:
        if name in choices:
            return FeatureState(name, choices[name], (choices[name],), {}, None)
        available = domains[name]
        offered = set(available)  # one feature's values share one type: a set is exact
        missing: list[object] = [v for v in self._domain[name] if v not in offered]
        unavailable: dict[object, Explanation | None] = dict.fromkeys(missing)
        if explain:
            for run in _runs(self._root_domain(name), missing, self._is_integer(name)):
                if run[0] != missing[0]:
                    run.reverse()  # start next to the available values: "why not wider?"
                self._explain_run(choices, name, run, unavailable)
        forced = available[0] if len(available) == 1 else None
        return FeatureState(name, None, available, unavailable, forced)

    def _explain_run(self, choices: Mapping[str, object], name: str, run: list[object],
                     out: dict[object, Explanation | None]) -> None:
        """Neighbouring integer values mostly share a reason; reuse it only where it is
        exactly right for that value too (still excludes it, still irreducible, repair works)."""
        current: Explanation | None = None
        for value in run:
            if current is None or not self._fits(current, choices, name, value):
                current = self.explain(choices, name, value)
            out[value] = replace(current, value=value)

    def _fits(self, why: Explanation, choices: Mapping[str, object], name: str,
              value: object) -> bool:
        consistent = self.engine.consistent
        blocking = dict(why.blocking)
        if consistent({**blocking, name: value}):
            return False
        if any(not consistent({**{k: v for k, v in blocking.items() if k != drop}, name: value})
               for drop in blocking):
            return False
        if not self._same_rules(why.rules, {**blocking, name: value}):
            return False
        if why.repair is None:
            return not blocking
        repaired = {k: v for k, v in choices.items() if k not in dict(why.repair.changes)}
        repaired.update({k: v for k, v in why.repair.changes if v is not None})
        return consistent({**repaired, name: value})

    def _same_rules(self, rules: tuple[Rule, ...], conflict: Mapping[str, object]) -> bool:
        """Whether ``rules`` are still a minimal set behind ``conflict`` (a few cofactors on
        the diagram instead of a solver call per value)."""
        if isinstance(self.engine, BddEngine):
            return self.engine.is_minimal_core(conflict, [rule.id for rule in rules])
        return self._rules(conflict) == rules

    def _root_domain(self, name: str) -> tuple[object, ...]:
        """Values possible with no choice made; never-available values are grouped apart."""
        domains = self._root
        if domains is None:  # the same for every thread that computes it
            domains = self._root = self.engine.domains({})
        root = domains[name]
        return root + tuple(v for v in self._domain[name] if not _in_domain(v, root))

    def _is_integer(self, name: str) -> bool:
        return self.model.feature(name).type is FeatureType.INTEGER

    def explain(self, choices: Mapping[str, object], feature: str, value: object
                ) -> Explanation:
        """Why ``feature = value`` is unavailable after ``choices`` (choices in click order)."""
        choices = self.check_choices(choices)
        target = (feature, value)
        ordered = [(k, v) for k, v in choices.items() if k != feature]
        with_target = self.engine.checker({feature: value})  # restricted by the target once
        blocking = minimal_blocking(ordered, target, with_target)
        rules = self._rules(dict([*blocking, target]))
        repair = find_repair(choices, blocking, target, self._domain_of, self._preferred,
                             with_target)
        return Explanation(feature, value, blocking, rules, repair)

    def conflict(self, choices: Mapping[str, object]) -> Explanation:
        """For contradictory choices: a minimal subset of them that cannot hold together."""
        ordered = list(choices.items())
        if not ordered:  # the model itself has no valid configuration
            return Explanation("", None, (), self._rules({}), None)
        last = ordered[-1]
        blocking = minimal_blocking(ordered[:-1], last, self.engine.consistent)
        rules = self._rules(dict([*blocking, last]))
        repair = find_repair(dict(ordered[:-1]), blocking, last, self._domain_of,
                             self._preferred, self.engine.consistent)
        return Explanation(last[0], last[1], blocking, rules, repair)

    def _rules(self, assignment: Mapping[str, object]) -> tuple[Rule, ...]:
        """The constraints behind a conflict. The same few choices block many options (and
        every value of an integer run): their core is looked up once per session."""
        key = tuple(sorted(assignment.items(), key=lambda item: item[0]))
        return self._cores.get(key, lambda: tuple(
            Rule(cid, self.problem.constraint(cid).message) for cid in self._core(assignment)))

    def _core(self, assignment: Mapping[str, object]) -> list[str]:
        """One rule the choices break on their own (read off the diagram), else the
        solver's minimal core."""
        direct = self.engine.violated(assignment) if isinstance(self.engine, BddEngine) else None
        return [direct] if direct is not None else self.sat.core(assignment)

    def _domain_of(self, assignment: Mapping[str, object], name: str) -> Sequence[object]:
        """Valid values of one feature. A few values are cheaper to try one by one on the
        diagram restricted once than to read off a full domain pass."""
        domain = self._domain[name]
        if len(domain) > _FEW_VALUES:
            return self.engine.domains(assignment, [name])[name]
        check = self.engine.checker(assignment)
        return [value for value in domain if check({name: value})]

    def _preferred(self, name: str, values: Sequence[object]) -> object:
        feature = self.model.feature(name)
        for candidate in (feature.default, feature.recommended):
            if candidate is not None and _in_domain(candidate, values):
                return candidate
        return values[0]

    # -- completion and price ---------------------------------------------------------------
    def complete(self, choices: Mapping[str, object],
                 strategy: Literal["defaults", "cheapest"] = "defaults"
                 ) -> dict[str, object] | None:
        """A complete valid product extending ``choices``; None when the choices conflict."""
        values: dict[str, object] = dict(self.check_choices(choices))
        if not self.engine.consistent(values):
            return None
        if strategy == "cheapest":
            best = self.pricing.extreme(values, minimise=True)
            if best is not None:
                values.update({k: v for k, v in best[1].items() if k in self.pricing.relevant})
        for feature in self.model.features:
            if feature.name not in values:
                domain = self._domain_of(values, feature.name)
                values[feature.name] = self._preferred(feature.name, domain)
        return {f.name: values[f.name] for f in self.model.features}

    def is_valid(self, values: Mapping[str, object]) -> bool:
        checked = self.check_choices(values)
        return len(checked) == len(self._domain) and self.engine.consistent(checked)

    def price(self, values: Mapping[str, object]) -> PriceBreakdown:
        checked = self.check_choices(values)
        missing = [n for n in self._domain if n not in checked]
        if missing:
            raise ChoiceError(f"cannot price an incomplete configuration: {', '.join(missing)}"
                              " not chosen", feature=missing[0])
        return price_breakdown(self.model, checked)

    # -- model checks ----------------------------------------------------------------------
    def check_model(self) -> list[ModelError]:
        """Warnings for dead options and always-forced features; raises if nothing is valid."""
        if not self.engine.consistent({}):
            rules = ", ".join(rule.id for rule in self._rules({}))
            raise ModelError(f"model {self.model.name!r} has no valid configuration "
                             f"(conflicting constraints: {rules})", file=self.model.file, line=1)
        domains = self.engine.domains({})
        return [warning for feature in self.model.features
                for warning in self._feature_warnings(feature.name, domains[feature.name])]

    def _feature_warnings(self, name: str, available: tuple[object, ...]) -> list[ModelError]:
        feature = self.model.feature(name)
        warnings = []
        if len(available) == 1 and len(feature.domain) > 1:
            warnings.append(ModelError(f"feature {name!r} is always forced to {available[0]!r}",
                                       file=self.model.file, line=feature.line, field=name))
        for value in feature.domain:
            if not _in_domain(value, available) and feature.type is FeatureType.CHOICE:
                option = feature.option(str(value))
                rules = ", ".join(rule.id for rule in self._rules({name: value}))
                warnings.append(ModelError(
                    f"option {value!r} of {name!r} can never be chosen (rules: {rules})",
                    file=self.model.file, line=option.line, field=name, token=str(value)))
        return warnings


def _in_domain(value: object, domain: Sequence[object]) -> bool:
    return any(type(value) is type(item) and value == item for item in domain) or (
        isinstance(value, Decimal) and value in domain)


def _runs(domain: Sequence[object], missing: list[object], group: bool) -> list[list[object]]:
    """Integer parameters: one explanation per run of consecutive unavailable values, asked
    for the run's value next to the available ones (why can't it be a bit wider?)."""
    if not group:
        return [[value] for value in missing]
    position = {value: i for i, value in enumerate(domain)}  # root-available values first
    runs: list[list[object]] = []
    for value in missing:
        if runs and position[value] == position[runs[-1][-1]] + 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    return runs


def configure(model: ProductModel, choices: Mapping[str, object]) -> ConfigurationState:
    return Configurator(model).configure(choices)
