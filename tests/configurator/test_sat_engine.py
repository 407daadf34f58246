"""The SAT engine's shortcuts (kept models, flip walks, dead values carried between clicks)
against brute force and the BDD engine, through click sessions with retractions."""

import itertools

from configurator_models import all_valid, extending, generated_model, model_texts
from hypothesis import given, settings
from hypothesis import strategies as st
from pysat.solvers import Solver

from configurator.encoding import Encoding
from configurator.importers.dimacs import load_dimacs
from configurator.problem import problem_of
from configurator.satengine import SatEngine
from configurator.satrepair import Clauses, Walk
from configurator.satvalues import KeptModels, ValueTokens
from configurator.session import Configurator


@st.composite
def feature_model_cnfs(draw: st.DrawFn) -> list[list[int]]:
    """Small feature models: a tree, alternative groups (where a value is only reached by
    swapping siblings) and a few cross-tree constraints."""
    count = draw(st.integers(6, 11))
    parents = {i: draw(st.integers(1, i - 1)) for i in range(2, count + 1)}
    clauses = [[1]] + [[-child, parent] for child, parent in parents.items()]
    for parent in draw(st.lists(st.integers(1, count), max_size=3, unique=True)):
        group = [c for c, p in parents.items() if p == parent]
        if len(group) >= 2:
            clauses.append([-parent, *group])
            clauses += [[-a, -b] for a, b in itertools.combinations(group, 2)]
    literal = st.integers(2, count).flatmap(lambda v: st.sampled_from([v, -v]))
    clauses += draw(st.lists(st.lists(literal, min_size=2, max_size=2), max_size=3))
    return clauses


def dimacs_model(tmp_path_factory, clauses: list[list[int]], count: int | None = None):
    count = count or max(abs(x) for clause in clauses for x in clause)
    path = tmp_path_factory.mktemp("fm") / "model.dimacs"
    lines = [f"p cnf {count} {len(clauses)}"] + [" ".join(map(str, c)) + " 0" for c in clauses]
    path.write_text("\n".join(lines) + "\n")
    return load_dimacs(path)


def clicks(model, data: st.DataObject, steps: int) -> list[dict[str, object]]:
    """A session's successive choices: choosing, changing and retracting, in any order (also
    values that are not available, so that inconsistent states are visited too)."""
    names = model.feature_names
    choices: dict[str, object] = {}
    states = []
    for _ in range(steps):
        if choices and data.draw(st.booleans(), label="retract"):
            del choices[data.draw(st.sampled_from(sorted(choices)), label="retracted")]
        else:
            name = data.draw(st.sampled_from(names), label="feature")
            choices[name] = data.draw(st.sampled_from(model.feature(name).domain), label="value")
        states.append(dict(choices))
    return states


def brute_domains(model, valid, choices) -> dict[str, tuple[object, ...]]:
    rest = extending(valid, choices)
    return {f.name: tuple(v for v in f.domain if any(r[f.name] == v for r in rest))
            for f in model.features if f.name not in choices}


@settings(max_examples=60, deadline=None)
@given(clauses=feature_model_cnfs(), data=st.data())
def test_feature_model_domains_match_brute_force_through_a_session(
        tmp_path_factory, clauses, data):
    model = dimacs_model(tmp_path_factory, clauses)
    valid = all_valid(model)
    engine = SatEngine(problem_of(model))
    for choices in clicks(model, data, steps=8):
        assert engine.domains(choices) == brute_domains(model, valid, choices)


@settings(max_examples=40, deadline=None)
@given(text=model_texts(), data=st.data())
def test_product_model_domains_match_brute_force_and_bdd_through_a_session(text, data):
    model = generated_model(text)
    valid = all_valid(model)
    bdd = Configurator(model, use_cache=False).engine
    sat = SatEngine(problem_of(model))
    for choices in clicks(model, data, steps=6):
        expected = brute_domains(model, valid, choices)
        assert sat.domains(choices) == expected
        assert sat.consistent(choices) == bool(extending(valid, choices))
        if extending(valid, choices):  # dead ends are the SAT engine's own business here
            assert sat.domains(choices) == bdd.domains(choices)


@settings(max_examples=30, deadline=None)
@given(clauses=feature_model_cnfs(), data=st.data())
def test_domains_do_not_depend_on_the_clicks_before(tmp_path_factory, clauses, data):
    model = dimacs_model(tmp_path_factory, clauses)
    engine = SatEngine(problem_of(model))
    for choices in clicks(model, data, steps=6):
        assert engine.domains(choices) == SatEngine(problem_of(model)).domains(choices)


def test_a_feature_in_no_clause_keeps_both_values(tmp_path_factory):
    model = dimacs_model(tmp_path_factory, [[1, 2]], count=3)
    engine = SatEngine(problem_of(model))
    assert engine.domains({"f1": False}) == {"f2": (True,), "f3": (False, True)}


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_a_walk_only_ever_moves_from_model_to_model(data):
    count = data.draw(st.integers(3, 9))
    literal = st.integers(1, count).flatmap(lambda v: st.sampled_from([v, -v]))
    clauses = data.draw(st.lists(st.lists(literal, min_size=1, max_size=3), max_size=14))
    with Solver(name="g4", bootstrap_with=clauses + [[count, -count]]) as solver:
        if not solver.solve():
            return
        model = solver.get_model()
    frozen = set(data.draw(st.lists(st.integers(1, count), max_size=2)))
    walk = Walk(Clauses(clauses), model, frozen)
    for _ in range(6):
        before = set(walk.true)
        targets = data.draw(st.lists(literal, min_size=1, max_size=2, unique_by=abs))
        flipped = walk.make_true(targets)
        if flipped is None:
            assert walk.true == before
            continue
        assert all(walk.true.intersection(clause) for clause in clauses)
        assert set(targets) <= walk.true
        assert all(v in walk.true for v in model if abs(v) in frozen)
        assert walk.true == (before - {-x for x in flipped}) | set(flipped)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_kept_models_witness_exactly_the_values_they_take(data):
    encoding = Encoding.of([("wide", ("a", "b", "c")), ("yes", (False, True)),
                            ("one", (7,)), ("wider", tuple(range(5)))])
    ids = {bit: i + 1 for i, bit in enumerate(encoding.all_bits)}
    values = ValueTokens(encoding, ids, len(ids) + 1)
    tokens = [values.of(v) for v in encoding.variables]

    def model_of(codes: list[int]) -> list[int]:
        return [lit for v, code in zip(tokens, codes, strict=True)
                for lit in values.literals(v[code])]

    codes = st.tuples(*(st.integers(0, len(v) - 1) for v in tokens)).map(list)
    models = data.draw(st.lists(codes, max_size=5))
    chosen = data.draw(st.dictionaries(st.integers(0, len(tokens) - 1), st.integers(0, 4)))
    chosen = {i: code % len(tokens[i]) for i, code in chosen.items()}
    kept = KeptModels(values, size=10)
    for codes_ in models:
        kept.add(model_of(codes_))
    base = [lit for i, code in chosen.items() for lit in values.literals(tokens[i][code])]
    unseen = {t for v in tokens for t in v}
    kept.take(base, unseen)
    taken = {v[code] for codes_ in models if all(codes_[i] == c for i, c in chosen.items())
             for v, code in zip(tokens, codes_, strict=True)}
    assert unseen == {t for v in tokens for t in v} - taken
