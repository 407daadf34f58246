"""`c2m configure MODEL` and `c2m bench configurator` (thin: parse, call configurator, print)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from configurator.api import coerce_choices, state_to_dict
from configurator.errors import CompileError, ModelError
from configurator.session import Configurator
from configurator.sources import load_any


def register(cli: click.Group, bench: click.Group) -> None:
    cli.add_command(configure_command)
    bench.add_command(bench_command)


@click.command("configure")
@click.argument("model")
@click.option("--choose", "-c", multiple=True, metavar="FEATURE=VALUE",
              help="A choice, in click order; repeat for several.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON documented in "
              "configurator/README.md.")
@click.option("--engine", type=click.Choice(["auto", "bdd", "sat"]), default="auto",
              help="auto: the compiled BDD, or SAT when the model does not compile within "
              "the budget; bdd: fail (exit code 3) instead.")
@click.option("--bdd-budget", type=click.IntRange(min=1), default=None, metavar="STEPS",
              help="Compile budget in BDD steps (default $C2M_BDD_STEP_BUDGET or 100,000,000);"
              " the same on any machine, however busy.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en")
def configure_command(model: str, choose: tuple[str, ...], as_json: bool, engine: str,
                      bdd_budget: int | None, lang: str) -> None:
    """Show every feature of MODEL: available options, unavailable ones with reasons,
    forced values, price range and the number of valid completions.

    MODEL is a model.yaml, a product folder, a sample product name (sofa), an XCSP 2.1
    .xml or a DIMACS feature model. A model is compiled once (progress on stderr) into the
    on-disk cache; later calls load it from there."""
    try:
        configurator = Configurator(load_any(model), engine=engine,  # type: ignore[arg-type]
                                    budget_steps=bdd_budget, progress=_progress)
        if configurator.fallback_note:
            click.echo(f"note: {configurator.fallback_note}", err=True)
        raw = dict(_split(item) for item in choose)
        result = state_to_dict(configurator,
                               configurator.configure(coerce_choices(configurator, raw)))
        warnings = [] if as_json else configurator.check_model()
    except ModelError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    except CompileError as error:
        click.echo(f"error: {error}; use --engine auto or sat, or a larger --bdd-budget",
                   err=True)
        sys.exit(3)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(render_text(result, lang))


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _split(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep:
        raise ModelError(f"--choose expects FEATURE=VALUE, got {item!r}", file="<command line>")
    return name.strip(), value.strip()


def render_text(result: dict[str, Any], lang: str = "en") -> str:
    lines = [f"{result['model']} {result['version']}  engine={result['engine']}  "
             f"completions={result['completions']}"]
    if result["price_range"]:
        low, high = result["price_range"]["low"], result["price_range"]["high"]
        exact = "" if result["price_range"]["exact"] else " (search limit hit)"
        lines.append(f"price {low} .. {high} {result['currency']}{exact}")
    if result["conflict"]:
        lines.append(f"CONFLICT: {result['conflict']['text'][lang]}")
    for feature in result["features"]:
        lines.extend(_feature_lines(feature, lang))
    if result["price"]:
        lines.append(f"price {result['price']['total']} {result['currency']}")
    return "\n".join(lines)


def _feature_lines(feature: dict[str, Any], lang: str) -> list[str]:
    head = f"{feature['name']} ({feature['label'][lang]})"
    if feature["chosen"] is not None:
        return [f"{head} = {feature['chosen']}"]
    forced = f"  [forced: {feature['forced']}]" if feature["forced"] is not None else ""
    values = [str(v["value"]) for v in feature["available"]]
    shown = ", ".join(values[:12]) + (f", ... ({len(values)} values)" if len(values) > 12 else "")
    lines = [f"{head}: {shown}{forced}"]
    seen: set[str] = set()
    for item in feature["unavailable"]:
        reason = item["reason"]
        text = reason["text"][lang] if reason else "unavailable"
        repair = reason["repair"]["text"][lang] if reason and reason["repair"] else ""
        if text + repair in seen:
            continue  # integer runs share one reason
        seen.add(text + repair)
        lines.append(f"    x {item['value']}: {text}" + (f" -> {repair}" if repair else ""))
    return lines


@click.command("configurator")
@click.option("--json", "as_json", is_flag=True)
@click.option("--sessions", default=5, show_default=True, help="Random sessions per model.")
@click.option("--clicks", default=20, show_default=True, help="Choices per session.")
@click.option("--seed", default=1, show_default=True)
@click.option("--only", multiple=True, help="Restrict to these model names.")
@click.option("--no-sat", is_flag=True, help="Skip the SAT baseline (it is slow).")
def bench_command(as_json: bool, sessions: int, clicks: int, seed: int, only: tuple[str, ...],
                  no_sat: bool) -> None:
    """Random click sessions on Renault, the sample products and automotive01, against an
    incremental-SAT baseline measured in the same run."""
    from configurator.bench import run_benchmark

    report = run_benchmark(sessions=sessions, clicks=clicks, seed=seed, only=only,
                           sat_baseline=not no_sat, progress=lambda m: click.echo(m, err=True))
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        from configurator.bench import render

        click.echo(render(report))
