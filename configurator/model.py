"""Product-model data: features, options, constraints and price rules (plain frozen data)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from configurator.errors import ModelError
from configurator.expressions import Expr, evaluate

AttributeValue = int | Decimal | str
FeatureValue = str | bool | int


@dataclass(frozen=True)
class Label:
    en: str
    zh: str = ""

    def get(self, language: str = "en") -> str:
        return (self.zh if language == "zh" else self.en) or self.en

    def as_dict(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh or self.en}


class FeatureType(enum.Enum):
    CHOICE = "choice"
    BOOLEAN = "boolean"
    INTEGER = "integer"


class ConstraintKind(enum.Enum):
    REQUIRES = "requires"
    EXCLUDES = "excludes"
    IMPLIES = "implies"
    RULE = "rule"
    TABLE = "table"


@dataclass(frozen=True)
class Option:
    code: str
    label: Label
    price: Decimal = Decimal(0)
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    line: int | None = None


@dataclass(frozen=True)
class Feature:
    name: str
    type: FeatureType
    label: Label
    options: tuple[Option, ...] = ()
    price: Decimal = Decimal(0)  # boolean features: the delta when true
    minimum: int = 0
    maximum: int = 0
    step: int = 1
    unit: str = ""
    default: FeatureValue | None = None
    recommended: FeatureValue | None = None
    line: int | None = None

    @property
    def domain(self) -> tuple[FeatureValue, ...]:
        """All values in a fixed order (option order, false/true, ascending integers)."""
        if self.type is FeatureType.CHOICE:
            return tuple(option.code for option in self.options)
        if self.type is FeatureType.BOOLEAN:
            return (False, True)
        return tuple(range(self.minimum, self.maximum + 1, self.step))

    def option(self, code: str) -> Option:
        for option in self.options:
            if option.code == code:
                return option
        raise KeyError(code)

    def delta(self, value: FeatureValue) -> Decimal:
        """Price delta of ``value`` (choice options and boolean true carry one)."""
        if self.type is FeatureType.CHOICE:
            return self.option(str(value)).price
        if self.type is FeatureType.BOOLEAN:
            return self.price if value is True else Decimal(0)
        return Decimal(0)

    def attribute_names(self) -> frozenset[str]:
        return frozenset(key for option in self.options for key in option.attributes)

    def value_label(self, value: FeatureValue, language: str = "en") -> str:
        if self.type is FeatureType.CHOICE:
            return self.option(str(value)).label.get(language)
        if self.type is FeatureType.BOOLEAN:
            yes_no = ("是", "否") if language == "zh" else ("yes", "no")
            return yes_no[0] if value else yes_no[1]
        return f"{value} {self.unit}".strip()


@dataclass(frozen=True)
class Constraint:
    id: str
    kind: ConstraintKind
    formula: Expr  # the whole constraint as one boolean expression (tables: a disjunction)
    message: Label
    condition: Expr | None = None  # requires/excludes/implies: the `if`
    consequence: Expr | None = None  # requires/excludes/implies: the `then`
    columns: tuple[str, ...] = ()  # tables only
    rows: tuple[tuple[FeatureValue, ...], ...] = ()  # tables only: allowed rows
    forbidden: bool = False  # tables only: the rows are the forbidden ones (XCSP conflicts)
    line: int | None = None

    def holds(self, values: Mapping[str, object], env: Mapping[str, object]) -> bool:
        """Whether a complete configuration satisfies this constraint (tables by their rows;
        ``env`` is ``ProductModel.environment(values)``)."""
        if self.kind is ConstraintKind.TABLE:
            row = tuple(values[column] for column in self.columns)
            return (row in set(self.rows)) != self.forbidden
        return evaluate(self.formula, env) is True


@dataclass(frozen=True)
class PriceRule:
    id: str
    amount: Expr
    label: Label
    when: Expr | None = None
    line: int | None = None


@dataclass(frozen=True)
class ProductModel:
    name: str
    version: str
    effective_from: date
    label: Label
    currency: str
    base_price: Decimal
    features: tuple[Feature, ...]
    constraints: tuple[Constraint, ...] = ()
    prices: tuple[PriceRule, ...] = ()
    file: str = "<model>"
    content_hash: str = ""
    warnings: tuple[ModelError, ...] = ()

    def feature(self, name: str) -> Feature:
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(name)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(feature.name for feature in self.features)

    def environment(self, values: Mapping[str, object]) -> dict[str, object]:
        """Expression environment: each given feature value plus its option's attributes."""
        env: dict[str, object] = {}
        for feature in self.features:
            if feature.name not in values:
                continue
            value = values[feature.name]
            env[feature.name] = value
            if feature.type is FeatureType.CHOICE:
                for key, attribute in feature.option(str(value)).attributes.items():
                    env[f"{feature.name}.{key}"] = attribute
        return env
