"""Routing of an order: selection, machine times, precedences, critical path, factory data."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from bom.compiled import compile_expr
from configurator.expressions import ExpressionError, evaluate, parse
from routing.engineer import EngineeringModel, engineer
from routing.export import planner_operations
from routing.factory import load_factory
from routing.validate import sample_configurations
from tests.engineering.conftest import sofa_values

FACTORY = Path(__file__).resolve().parents[2] / "sample_products" / "factory.yaml"


def test_a_skipped_operation_passes_its_precedence_on(sofa: EngineeringModel) -> None:
    ops = {op.id: op for op in engineer(sofa, sofa_values()).routing.operations}
    assert "stain_treat" not in ops
    assert ops["sew_covers"].predecessors == ("cut_fabric",)
    treated = {
        op.id: op for op in engineer(sofa, sofa_values(stain_protection=True)).routing.operations
    }
    assert treated["sew_covers"].predecessors == ("cut_fabric", "stain_treat")


def test_parallel_branches_join_at_upholstery(sofa: EngineeringModel) -> None:
    graph = engineer(sofa, sofa_values()).routing.graph()
    assert nx.is_directed_acyclic_graph(graph)
    assert set(graph.predecessors("upholster")) == {"build_frames", "cut_foam", "sew_covers"}
    assert not nx.has_path(graph, "cut_foam", "sew_covers")


def test_run_time_is_divided_by_machine_speed_and_setup_is_not(sofa: EngineeringModel) -> None:
    op = next(o for o in engineer(sofa, sofa_values()).routing.operations if o.id == "cut_fabric")
    fast, slow = (next(m for m in op.machines if m.machine == k) for k in ("FCUT-01", "FCUT-02"))
    assert fast.setup_min == slow.setup_min == Decimal(8)
    assert abs(slow.run_min * Decimal("0.45") - fast.run_min) < Decimal("0.01")
    assert op.fastest.machine == "FCUT-01"


def test_machine_specific_times_replace_the_default_formula(sofa: EngineeringModel) -> None:
    order = engineer(
        sofa, sofa_values(cover="top_grain_leather", colour="cognac", removable_covers=False)
    )
    op = next(o for o in order.routing.operations if o.id == "cut_leather")
    manual = next(m for m in op.machines if m.machine == "FCUT-02")
    assert manual.setup_min == 5 and op.setup_value == "leather"
    assert {m.machine for m in op.machines} == {"FCUT-01", "FCUT-02"}


def test_critical_path_is_the_longest_chain_on_the_fastest_machines(
    sofa: EngineeringModel,
) -> None:
    routing = engineer(sofa, sofa_values()).routing
    graph = routing.graph()
    minutes = {op.id: op.fastest.minutes for op in routing.operations}
    longest = max(
        sum(minutes[n] for n in path)
        for source in graph
        if graph.in_degree(source) == 0
        for sink in graph
        if graph.out_degree(sink) == 0
        for path in nx.all_simple_paths(graph, source, sink)
    )
    assert routing.lead_time_minutes == longest
    assert sum(minutes[n] for n in routing.critical_path) == longest
    assert routing.lead_time_days > 0


def test_every_consumed_line_has_exactly_one_selected_consumer(sofa: EngineeringModel) -> None:
    for values in sample_configurations(sofa.product, 15, seed=9):
        order = engineer(sofa, values)
        consumed = [k for op in order.routing.operations for k in op.consumes]
        assert len(consumed) == len(set(consumed))
        assert {r.operation for r in order.requirements} <= {o.id for o in order.routing.operations}


def test_planner_operations_are_plain_whole_minutes_with_prefixed_ids(
    sofa: EngineeringModel,
) -> None:
    routing = engineer(sofa, sofa_values()).routing
    ops = planner_operations(routing, prefix="L7/")
    assert {op["id"] for op in ops} == {f"L7/{o.id}" for o in routing.operations}
    pack = next(op for op in ops if op["id"] == "L7/pack")
    assert pack["predecessors"] == ["L7/final_assembly"]
    assert all(
        isinstance(t["duration"], int) and t["duration"] >= t["run"]
        for op in ops
        for t in op["machines"].values()
    )


def test_shanghai_calendar_gives_utc_working_intervals_and_skips_sundays() -> None:
    factory = load_factory(FACTORY)
    calendar = factory.calendars["two_shift"]
    start = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)  # Saturday 08:00 in Shanghai
    end = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08:00 in Shanghai
    intervals = calendar.working_intervals(start, end, factory.zone)
    assert intervals[0] == (start, datetime(2026, 11, 21, 6, 0, tzinfo=UTC))
    assert intervals[1] == (
        datetime(2026, 11, 21, 6, 0, tzinfo=UTC),
        datetime(2026, 11, 21, 14, 0, tzinfo=UTC),
    )
    assert intervals[-1] == (datetime(2026, 11, 22, 22, 0, tzinfo=UTC), end)  # Monday 06:00
    assert calendar.minutes_per_day() == 960


def test_changeover_matrix_is_directional_with_a_default() -> None:
    family = load_factory(FACTORY).setup_families["paint_colour"]
    assert family.changeover("white", "black") == 15
    assert family.changeover("black", "white") == 40
    assert family.changeover("black", "black") == 0
    assert family.changeover("white", "sage_green") == family.default_minutes


_names = st.sampled_from(["a", "b", "flag", "k"])
_atoms = st.one_of(_names, st.integers(-5, 9).map(str), st.sampled_from(["'x'", "'y'", "2.5"]))


@st.composite
def _expressions(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0:
        return str(draw(_atoms))
    left, right = draw(_expressions(depth - 1)), draw(_expressions(depth - 1))
    form = draw(
        st.sampled_from(
            [
                "{} + {}",
                "{} * {}",
                "{} / {}",
                "{} == {}",
                "{} < {}",
                "{} and {}",
                "not {}",
                "{} if flag else {}",
                "min({}, {})",
                "{} in ('x', 3)",
                "{} - {}",
                "{} // {}",
            ]
        )
    )
    return "(" + form.format(left, right) + ")"


@settings(max_examples=300, deadline=None)
@given(text=_expressions(), a=st.integers(-3, 3), flag=st.booleans())
def test_compiled_expressions_agree_with_the_configurator_evaluator(
    text: str, a: int, flag: bool
) -> None:
    env = {"a": a, "b": Decimal("1.5"), "flag": flag, "k": "x"}
    expr = parse(text)
    try:
        expected: object = evaluate(expr, env)
    except ExpressionError:
        expected = ExpressionError
    try:
        got: object = compile_expr(expr)(env)
    except ExpressionError:
        got = ExpressionError
    assert got == expected and type(got) is type(expected)
