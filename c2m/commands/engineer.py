"""`c2m engineer MODEL --choose F=V ...` and `c2m bench engineering` (in-memory part)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from configurator.errors import ModelError
from configurator.model import FeatureType, ProductModel
from routing.bench import benchmark_product
from routing.engineer import as_dict, engineer, to_canonical_json
from routing.validate import complete, load_validated

PRODUCTS = ("sofa", "wardrobe", "kitchen", "desk", "washer", "fridge")


def products_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "sample_products"


def product_folder(model: str) -> Path:
    """A folder with model.yaml, or the name of a product in sample_products/."""
    path = Path(model)
    if (path / "model.yaml").exists():
        return path
    folder = products_dir() / model
    if not (folder / "model.yaml").exists():
        raise click.BadParameter(f"no product model '{model}' (looked in {products_dir()})")
    return folder


def parse_choices(product: ProductModel, choose: tuple[str, ...]) -> dict[str, object]:
    values: dict[str, object] = {}
    for text in choose:
        name, sep, raw = text.partition("=")
        if not sep:
            raise click.BadParameter(
                f"'{text}' must look like FEATURE=VALUE", param_hint="--choose"
            )
        try:
            feature = product.feature(name.strip())
        except KeyError:
            raise click.BadParameter(f"unknown feature '{name}'", param_hint="--choose") from None
        raw = raw.strip()
        if feature.type is FeatureType.INTEGER:
            try:
                values[feature.name] = int(raw)
            except ValueError:
                raise click.BadParameter(f"{name} needs a whole number, not '{raw}'") from None
        elif feature.type is FeatureType.BOOLEAN:
            if raw.lower() not in ("true", "false", "yes", "no", "1", "0"):
                raise click.BadParameter(f"{name} needs true or false, not '{raw}'")
            values[feature.name] = raw.lower() in ("true", "yes", "1")
        else:
            values[feature.name] = raw
    return values


def register(cli: click.Group, bench: click.Group) -> None:
    @cli.command("engineer")
    @click.argument("model")
    @click.option(
        "--choose",
        multiple=True,
        metavar="FEATURE=VALUE",
        help="A choice; unchosen features are completed (defaults first).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Canonical JSON instead of text.")
    @click.option(
        "--samples",
        default=100,
        show_default=True,
        help="Valid configurations sampled to validate the BOM and routing.",
    )
    def engineer_command(model: str, choose: tuple[str, ...], as_json: bool, samples: int) -> None:
        """As-configured BOM, requirements, cut list, cost and routing of a configuration."""
        try:
            eng, warnings = load_validated(str(product_folder(model)), samples=samples)
            values = complete(eng.product, parse_choices(eng.product, choose))
            order = engineer(eng, values)
        except ModelError as error:
            raise click.ClickException(str(error)) from None
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(to_canonical_json(order) if as_json else render(as_dict(order)))

    @bench.command("engineering")
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--orders", default=500, show_default=True, help="Orders per product.")
    @click.option("--product", "only", multiple=True, help="Only these products.")
    @click.option(
        "--persist-to",
        "databases",
        multiple=True,
        default=("sqlite", "postgresql://postgres@127.0.0.1:5432/c2m_bench"),
        show_default=True,
        help="Databases for the persisted run ('sqlite' = a scratch file); wiped.",
    )
    @click.option("--persisted-orders", default=200, show_default=True)
    def bench_engineering(
        as_json: bool,
        orders: int,
        only: tuple[str, ...],
        databases: tuple[str, ...],
        persisted_orders: int,
    ) -> None:
        """Orders per second for explosion plus routing, in memory and persisted."""
        names = only or tuple(p for p in PRODUCTS if (products_dir() / p / "bom.yaml").exists())
        results = [benchmark_product(products_dir() / name, orders) for name in names]
        stored = _persisted(databases, names, persisted_orders)
        if as_json:
            click.echo(json.dumps({"in_memory": results, "persisted": stored}, indent=2))
            return
        for row in stored:
            click.echo(
                f"persisted {row['database']:<19} {row['product']:<9} "
                f"{row['orders_per_s']:>7} orders/s  median {row['median_ms']} ms  "
                f"p95 {row['p95_ms']} ms  max {row['max_ms']} ms"
            )
        for r in results:
            full, peer = r["engineer"], r["peer_explosion_only"]
            click.echo(
                f"{r['product']:<9} {full['orders_per_s']:>8} orders/s ({full['orders_per_cpu_s']}"
                f" per CPU s)  median "
                f"{full['median_ms']} ms  p95 {full['p95_ms']} ms  max {full['max_ms']} ms"
                f"  | explosion only: median {peer['median_ms']} ms  ratio "
                f"{r['ratio_median_to_peer']}"
            )


def _persisted(
    databases: tuple[str, ...], names: tuple[str, ...], count: int
) -> list[dict[str, Any]]:
    import tempfile

    from c2m.benchmarks.engineering import persisted

    rows = []
    for database in databases:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite" if database == "sqlite" else database
        rows += [persisted(url, products_dir(), name, count) for name in names]
    return rows


def _fmt(value: Any) -> str:
    return "" if value is None else str(value)


def render(data: dict[str, Any]) -> str:
    out = [f"{data['model']} {data['version']}", "", "BOM"]
    _tree(data["bom"], out, 0)
    out += ["", "Requirements (item, operation, quantity)"]
    out += [
        f"  {r['item']:<18} {_fmt(r['operation']):<18} {r['quantity']} {r['unit']}"
        for r in data["requirements"]
    ]
    out += ["", "Purchase (gross -> pack-rounded, cost)"]
    out += [
        f"  {p['item']:<18} {p['gross']} -> {p['order_qty']} {p['unit']}  {p['cost']}"
        for p in data["parts"]
    ]
    out += ["", "Cut list"]
    out += [
        f"  {c['path']:<55} {c['material']:<14} {c['pieces']} x {c['length_mm']}"
        f"{' x ' + str(c['width_mm']) if c['width_mm'] is not None else ''} mm"
        f"{'  grain ' + c['grain'] if c['grain'] else ''}"
        f"{'  edge ' + c['edge_item'] if c['edge_item'] else ''}"
        for c in data["cut_list"]
    ]
    out += ["", "Cost"] + [f"  {k:<20} {v}" for k, v in sorted(data["cost"].items())]
    return "\n".join(out + _routing_lines(data["routing"]))


def _routing_lines(routing: dict[str, Any]) -> list[str]:
    out = ["", "Operations (machine: setup + run minutes)"]
    for op in routing["operations"]:
        alternatives = ", ".join(
            f"{m['machine']} {m['setup_min']}+{m['run_min']}" for m in op["machines"]
        )
        after = f"  after {', '.join(op['predecessors'])}" if op["predecessors"] else ""
        out.append(f"  {op['id']:<20} {alternatives}{after}")
    out += [
        "",
        f"Critical path: {' -> '.join(routing['critical_path'])}",
        f"Lead time: {routing['lead_time_minutes']} min on the fastest machines "
        f"({routing['lead_time_days']} working days)",
    ]
    return out


def _tree(node: dict[str, Any], out: list[str], depth: int) -> None:
    out.append(
        f"{'  ' * (depth + 1)}{node['item']:<18} {node['gross']} {node['unit']}"
        f"  {node['name']}  [{node['line']}]  cost {node['cost']}"
    )
    for child in node["children"]:
        _tree(child, out, depth + 1)
