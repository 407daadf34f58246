"""Loading model.yaml into a ProductModel, with file:line errors for every problem found."""

from __future__ import annotations

import datetime
import hashlib
import re
from decimal import Decimal
from pathlib import Path

from configurator.errors import ModelError
from configurator.expressions import Call, Compare, Const, Expr, Logic, Ref, Unary, parse
from configurator.model import (
    AttributeValue,
    Constraint,
    ConstraintKind,
    Feature,
    FeatureType,
    FeatureValue,
    Label,
    Option,
    PriceRule,
    ProductModel,
)
from configurator.typecheck import check_model_expressions
from configurator.yamlnodes import Node, compose

IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*\Z")
# A version names a folder (`<model>-<version>`) and a database column of 32 characters: no
# path separators, no leading dot, so `1.0/../../x` can never point outside the uploads.
VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}\Z")
_TOP = frozenset({"model", "version", "effective_from", "label", "currency", "base_price",
                  "features", "constraints", "prices", "description"})
_FEATURE = frozenset({"name", "type", "label", "default", "recommended", "options", "price",
                      "min", "max", "step", "unit", "description"})
_OPTION = frozenset({"code", "label", "price", "attributes", "description"})
_CONSTRAINT = frozenset({"id", "kind", "if", "then", "expr", "columns", "rows", "message",
                         "description"})
_PRICE = frozenset({"id", "when", "amount", "label"})
MAX_INTEGER_VALUES = 100_000
# Swatch colours end up in SVG attributes on public pages: only #rgb or #rrggbb gets there.
HEX_COLOUR = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})\Z")


def load_model(path: str | Path) -> ProductModel:
    """Load and check ``path`` (a model.yaml); raises ModelError naming file:line:field."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelError(f"cannot read model: {error.strerror}", file=str(path)) from None
    return load_model_text(data.decode("utf-8"), file=str(path))


def load_model_text(text: str, *, file: str = "<model>") -> ProductModel:
    root = compose(text, file)
    fields = root.mapping(_TOP, frozenset({"model", "version", "features"}))
    name = _identifier(fields["model"])
    features = _features(fields["features"])
    by_name = {feature.name: feature for feature in features}
    constraints = tuple(
        _constraint(node, by_name) for node in _list(fields.get("constraints"))
    )
    _unique([c.id for c in constraints], _list(fields.get("constraints")), "constraint id")
    prices = tuple(_price_rule(node) for node in _list(fields.get("prices")))
    _unique([p.id for p in prices], _list(fields.get("prices")), "price rule id")
    model = ProductModel(
        name=name,
        version=_version(fields["version"]),
        effective_from=_date(fields.get("effective_from")),
        label=_label(fields["label"]) if "label" in fields else Label(name, name),
        currency=fields["currency"].text() if "currency" in fields else "CNY",
        base_price=fields["base_price"].decimal() if "base_price" in fields else Decimal(0),
        features=features,
        constraints=constraints,
        prices=prices,
        file=file,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
    check_model_expressions(model)
    return model


def _list(node: Node | None) -> list[Node]:
    return [] if node is None else node.sequence()


def _unique(values: list[str], nodes: list[Node], what: str) -> None:
    seen: set[str] = set()
    for value, node in zip(values, nodes, strict=True):
        if value in seen:
            raise node.fail(f"duplicate {what} {value!r}", value)
        seen.add(value)


def _identifier(node: Node) -> str:
    text = node.text()
    if not IDENTIFIER.match(text):
        raise node.fail(f"{node.path}: {text!r} is not an identifier ([a-z][a-z0-9_]*)", text)
    return text


def _version(node: Node) -> str:
    text = node.text()
    if not VERSION.match(text) or ".." in text:
        raise node.fail(
            f"version: {text!r} is not a version (letters, digits, '.', '_', '-'; "
            "at most 32, starting with a letter or digit, no '..')",
            text,
        )
    return text


def _label(node: Node) -> Label:
    if not node.is_mapping():
        text = node.text()
        return Label(text, text)
    fields = node.mapping(frozenset({"en", "zh"}), frozenset({"en"}))
    english = fields["en"].text()
    return Label(english, fields["zh"].text() if "zh" in fields else "")


def _date(node: Node | None) -> datetime.date:
    if node is None:
        return datetime.date(1970, 1, 1)
    value = node.scalar()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise node.fail(f"effective_from: not a date (YYYY-MM-DD): {value!r}", value) from None


def _features(node: Node) -> tuple[Feature, ...]:
    nodes = node.sequence()
    if not nodes:
        raise node.fail("features: a model needs at least one feature")
    features = tuple(_feature(item) for item in nodes)
    _unique([f.name for f in features], nodes, "feature name")
    return features


def _feature(node: Node) -> Feature:
    fields = node.mapping(_FEATURE, frozenset({"name", "type"}))
    name = _identifier(fields["name"])
    type_text = fields["type"].text()
    try:
        kind = FeatureType(type_text)
    except ValueError:
        raise fields["type"].fail(
            f"feature {name!r}: type must be choice, boolean or integer, not {type_text!r}",
            type_text,
        ) from None
    label = _label(fields["label"]) if "label" in fields else Label(name, name)
    if kind is FeatureType.CHOICE:
        feature = _choice(name, label, fields, node)
    elif kind is FeatureType.BOOLEAN:
        price = fields["price"].decimal() if "price" in fields else Decimal(0)
        feature = Feature(name, kind, label, price=price, line=node.line)
    else:
        feature = _integer(name, label, fields, node)
    return _with_defaults(feature, fields)


def _choice(name: str, label: Label, fields: dict[str, Node], node: Node) -> Feature:
    if "options" not in fields:
        raise node.fail(f"feature {name!r}: a choice needs options", name)
    option_nodes = fields["options"].sequence()
    if not option_nodes:
        raise fields["options"].fail(f"feature {name!r}: a choice needs at least one option")
    options = tuple(_option(item) for item in option_nodes)
    _unique([o.code for o in options], option_nodes, f"option code in feature {name!r}")
    return Feature(name, FeatureType.CHOICE, label, options=options, line=node.line)


def _option(node: Node) -> Option:
    fields = node.mapping(_OPTION, frozenset({"code"}))
    code = _identifier(fields["code"])
    attributes: dict[str, AttributeValue] = {}
    for key, value in fields["attributes"].items() if "attributes" in fields else ():
        if not IDENTIFIER.match(key):
            raise value.fail(f"option {code!r}: attribute {key!r} is not an identifier", key)
        attributes[key] = _attribute(value)
        if key == "hex":
            _hex_colour(code, value)
    return Option(
        code=code,
        label=_label(fields["label"]) if "label" in fields else Label(code, code),
        price=fields["price"].decimal() if "price" in fields else Decimal(0),
        attributes=attributes,
        line=node.line,
    )


def _hex_colour(code: str, node: Node) -> None:
    value = node.scalar()
    if not isinstance(value, str) or not HEX_COLOUR.match(value):
        raise node.fail(
            f"option {code!r}: attribute hex must be a colour #rgb or #rrggbb, not {value!r}",
            value,
        )


def _attribute(node: Node) -> AttributeValue:
    value = node.scalar()
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise node.fail(f"{node.path}: attributes are numbers or text, not {value!r}", value)
    if isinstance(value, float):
        return node.decimal()
    return value


def _integer(name: str, label: Label, fields: dict[str, Node], node: Node) -> Feature:
    for key in ("min", "max"):
        if key not in fields:
            raise node.fail(f"feature {name!r}: an integer needs {key!r}", key)
    low, high = fields["min"].integer(), fields["max"].integer()
    step = fields["step"].integer() if "step" in fields else 1
    if step <= 0:
        raise fields["step"].fail(f"feature {name!r}: step must be positive", step)
    if high < low:
        raise fields["max"].fail(f"feature {name!r}: max {high} is below min {low}", high)
    if (high - low) // step + 1 > MAX_INTEGER_VALUES:
        raise fields["step"].fail(f"feature {name!r}: more than {MAX_INTEGER_VALUES} values")
    if (high - low) % step:
        raise fields["max"].fail(
            f"feature {name!r}: max {high} is not min {low} plus a multiple of step {step}", high
        )
    unit = fields["unit"].text() if "unit" in fields else ""
    return Feature(name, FeatureType.INTEGER, label, minimum=low, maximum=high, step=step,
                   unit=unit, line=node.line)


def _with_defaults(feature: Feature, fields: dict[str, Node]) -> Feature:
    values: dict[str, FeatureValue | None] = {"default": None, "recommended": None}
    for key in values:
        if key in fields:
            values[key] = domain_value(feature, fields[key])
    return Feature(**{**feature.__dict__, **values})


def domain_value(feature: Feature, node: Node) -> FeatureValue:
    """Read a value of ``feature`` from YAML and check that it lies in its domain."""
    value = node.scalar()
    if feature.type is FeatureType.BOOLEAN and not isinstance(value, bool):
        raise node.fail(f"feature {feature.name!r}: expected true or false, got {value!r}", value)
    if feature.type is FeatureType.INTEGER and (
        isinstance(value, bool) or not isinstance(value, int)
    ):
        raise node.fail(f"feature {feature.name!r}: expected an integer, got {value!r}", value)
    if feature.type is FeatureType.CHOICE:
        value = str(value)
    if value not in feature.domain:
        raise node.fail(f"feature {feature.name!r}: {value!r} is not one of its values", value)
    return value  # type: ignore[return-value]


def _expression(node: Node) -> Expr:
    return parse(node.text(), file=node.file, line=node.line)


def _constraint(node: Node, features: dict[str, Feature]) -> Constraint:
    fields = node.mapping(_CONSTRAINT, frozenset({"id", "kind"}))
    cid = _identifier(fields["id"])
    kind_text = fields["kind"].text()
    try:
        kind = ConstraintKind(kind_text)
    except ValueError:
        raise fields["kind"].fail(
            f"constraint {cid!r}: kind must be requires, excludes, implies, rule or table,"
            f" not {kind_text!r}", kind_text) from None
    message = _label(fields["message"]) if "message" in fields else Label(cid, cid)
    if kind is ConstraintKind.TABLE:
        return _table(cid, message, fields, node, features)
    if kind is ConstraintKind.RULE:
        _need(fields, node, cid, "expr")
        return Constraint(cid, kind, _expression(fields["expr"]), message, line=node.line)
    _need(fields, node, cid, "if", "then")
    condition, consequence = _expression(fields["if"]), _expression(fields["then"])
    then = Unary("not", consequence) if kind is ConstraintKind.EXCLUDES else consequence
    formula = Call("implies", (condition, then))
    return Constraint(cid, kind, formula, message, condition=condition,
                      consequence=consequence, line=node.line)


def _need(fields: dict[str, Node], node: Node, cid: str, *keys: str) -> None:
    for key in keys:
        if key not in fields:
            raise node.fail(f"constraint {cid!r}: missing field {key!r}", key)


def _table(cid: str, message: Label, fields: dict[str, Node], node: Node,
           features: dict[str, Feature]) -> Constraint:
    _need(fields, node, cid, "columns", "rows")
    column_nodes = fields["columns"].sequence()
    columns = tuple(item.text() for item in column_nodes)
    for column, item in zip(columns, column_nodes, strict=True):
        if column not in features:
            raise item.fail(f"constraint {cid!r}: unknown name {column!r}", column)
    rows = []
    for row_node in fields["rows"].sequence():
        cells = row_node.sequence()
        if len(cells) != len(columns):
            raise row_node.fail(f"constraint {cid!r}: row has {len(cells)} values, "
                                f"expected {len(columns)}")
        rows.append(tuple(domain_value(features[c], cell)
                          for c, cell in zip(columns, cells, strict=True)))
    return Constraint(cid, ConstraintKind.TABLE, table_formula(columns, rows), message,
                      columns=columns, rows=tuple(rows), line=node.line)


def table_formula(columns: tuple[str, ...], rows: list[tuple[FeatureValue, ...]]) -> Expr:
    """The allowed rows as one boolean expression (what the engine's checks evaluate)."""
    alternatives = tuple(
        Logic("and", tuple(Compare(Ref(c), ("==",), (Const(v),))
                           for c, v in zip(columns, row, strict=True)))
        for row in rows
    )
    return Logic("or", alternatives) if alternatives else Const(False)


def _price_rule(node: Node) -> PriceRule:
    fields = node.mapping(_PRICE, frozenset({"id", "amount"}))
    pid = _identifier(fields["id"])
    return PriceRule(
        id=pid,
        amount=_expression(fields["amount"]),
        label=_label(fields["label"]) if "label" in fields else Label(pid, pid),
        when=_expression(fields["when"]) if "when" in fields else None,
        line=node.line,
    )
