"""The configurator benchmark: random click sessions, timed, against an incremental-SAT peer.

A click is one full state computation after a new choice: valid domains of every feature,
the exact completion count and the exact price range ("domains_only" times the same state
without the price range; explanations are timed separately, one randomly chosen unavailable
value per click). The SAT baseline replays the same choice
sequences computing the valid domains only, the way a straightforward SAT configurator does.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from configurator.compiler import compile_problem
from configurator.model import ProductModel
from configurator.satengine import SatEngine
from configurator.session import Configurator
from configurator.sources import load_any, sample_product_models

# The public models are named by this setting only: an installed c2m never guesses paths
# outside itself (`make` points it at the shared set beside the checkout).
BENCHMARKS_ENV = "C2M_CONFIGURATION_BENCHMARKS"
RENAULT = "renault-megane/xcsp2/megane.xml"
AUTOMOTIVE01 = "feature-models/softvare-fmb/dimacs/automotive/automotive01/Kowal2016.dimacs"


def public_models() -> tuple[list[tuple[str, Path]], str | None]:
    """Renault and automotive01 under $C2M_CONFIGURATION_BENCHMARKS, or why they are left out."""
    raw = os.environ.get(BENCHMARKS_ENV, "")
    if not raw:
        return [], f"{BENCHMARKS_ENV} is not set: point it at the folder holding " \
                   f"{RENAULT} and {AUTOMOTIVE01}"
    folder = Path(raw)
    models = [("renault", folder / RENAULT), ("automotive01", folder / AUTOMOTIVE01)]
    missing = [str(path) for _, path in models if not path.is_file()]
    if missing:
        return [], f"{BENCHMARKS_ENV}={raw} lacks {', '.join(missing)}"
    return models, None


def bench_models() -> tuple[list[tuple[str, Path]], str | None]:
    """The models to run, sample products between the public ones, and why any are left out."""
    public, left_out = public_models()
    samples = [(path.parent.name, path) for path in sample_product_models()]
    return public[:1] + samples + public[1:], left_out


def run_benchmark(*, sessions: int, clicks: int, seed: int, only: Sequence[str] = (),
                  sat_baseline: bool = True,
                  progress: Callable[[str], object] = lambda _: None) -> dict[str, Any]:
    results = []
    models, left_out = bench_models()
    if left_out:
        progress(f"Renault and automotive01 left out: {left_out}")
    for name, path in models:
        if only and name not in only:
            continue
        progress(f"{name}: compiling and running {sessions} sessions of {clicks} clicks")
        results.append(bench_model(name, load_any(path), sessions=sessions, clicks=clicks,
                                   seed=seed, sat_baseline=sat_baseline, progress=progress))
    return {"sessions": sessions, "clicks": clicks, "seed": seed, "models": results,
            "public_models_left_out": left_out}


def bench_model(name: str, model: ProductModel, *, sessions: int, clicks: int, seed: int,
                sat_baseline: bool, progress: Callable[[str], object] = lambda _: None
                ) -> dict[str, Any]:
    started = time.perf_counter()
    configurator = Configurator(model, progress=progress)
    cached = time.perf_counter() - started
    fresh = _fresh_compile_seconds(model) if configurator.engine.name == "bdd" else None
    rng = random.Random(seed)
    timings: dict[str, list[float]] = {"click": [], "domains": [], "explain": []}
    sequences = []
    for _ in range(sessions):
        sequences.append(_session(configurator, rng, clicks, timings))
    click_ms = timings["click"]
    result: dict[str, Any] = {
        "model": name, "features": len(model.features), "constraints": len(model.constraints),
        "engine": configurator.engine.name, "compile_error": configurator.fallback_note,
        "compile_s": fresh, "startup_s": round(cached, 3),
        "click_ms": summary(click_ms), "domains_only_ms": summary(timings["domains"]),
        "explain_ms": summary(timings["explain"]),
    }
    if configurator.engine.name == "bdd":
        result["bdd_nodes"] = configurator.engine.compiled.node_count  # type: ignore[union-attr]
    if sat_baseline and configurator.engine.name == "bdd":
        sat_ms = _sat_replay(configurator, sequences)
        result["sat_baseline_ms"] = summary(sat_ms)
        if click_ms and sat_ms:
            result["ratio_sat_over_engine_median"] = round(
                statistics.median(sat_ms) / statistics.median(click_ms), 1)
            result["ratio_sat_over_engine_p95"] = round(
                percentile(sat_ms, 95) / percentile(click_ms, 95), 1)
    return result


def _fresh_compile_seconds(model: ProductModel) -> float | None:
    from configurator.errors import CompileError
    from configurator.problem import problem_of

    try:
        compiled = compile_problem(problem_of(model), use_cache=False)
    except CompileError:
        return None
    return round(compiled.seconds, 3)


def _session(configurator: Configurator, rng: random.Random, clicks: int,
             timings: dict[str, list[float]]) -> list[dict[str, object]]:
    choices: dict[str, object] = {}
    sequence = []
    state = configurator.configure(choices, explain=False)
    for _ in range(clicks):
        open_features = [f for f in state.features if f.chosen is None and len(f.available) > 1]
        if not open_features:
            break
        feature = rng.choice(open_features)
        choices[feature.name] = rng.choice(feature.available)
        started = time.perf_counter()  # the full click first, while the memos are cold
        state = configurator.configure(choices, explain=False)
        timings["click"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()  # warm: a lower bound for the domains-only work
        configurator.configure(choices, explain=False, price=False)
        timings["domains"].append((time.perf_counter() - started) * 1000)
        sequence.append(dict(choices))
        blocked = [(f.name, v) for f in state.features for v in f.unavailable]
        if blocked:
            name, value = rng.choice(blocked)
            started = time.perf_counter()
            configurator.explain(choices, name, value)
            timings["explain"].append((time.perf_counter() - started) * 1000)
    return sequence


def _sat_replay(configurator: Configurator, sequences: list[list[dict[str, object]]]
                ) -> list[float]:
    sat = SatEngine(configurator.problem, plain=True)
    timings = []
    for sequence in sequences:
        for choices in sequence:
            started = time.perf_counter()
            sat.domains(choices)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"n": len(values), "median": round(statistics.median(values), 2),
            "p95": round(percentile(values, 95), 2), "max": round(max(values), 2)}


def render(report: dict[str, Any]) -> str:
    lines = [f"configurator benchmark: {report['sessions']} sessions x {report['clicks']} "
             f"clicks per model (seed {report['seed']})"]
    if report.get("public_models_left_out"):
        lines.append(f"Renault and automotive01 left out: {report['public_models_left_out']}")
    for item in report["models"]:
        lines.append(f"\n{item['model']}: {item['features']} features, {item['constraints']}"
                     f" constraints, engine {item['engine']}, compile {item['compile_s']} s "
                     f"(startup with cache {item['startup_s']} s)")
        if item.get("compile_error"):
            lines.append(f"  compile: {item['compile_error']}")
        for key in ("click_ms", "domains_only_ms", "explain_ms", "sat_baseline_ms"):
            if item.get(key):
                s = item[key]
                lines.append(f"  {key:16} median {s['median']:9.2f}  p95 {s['p95']:9.2f}  "
                             f"max {s['max']:9.2f}  (n={s['n']})")
        if "ratio_sat_over_engine_median" in item:
            lines.append(f"  SAT/engine ratio: median {item['ratio_sat_over_engine_median']}x,"
                         f" p95 {item['ratio_sat_over_engine_p95']}x")
    return "\n".join(lines)
