"""configurator: product models, the safe expression language and the exact rule engine."""

from configurator.errors import ChoiceError, CompileError, ModelError
from configurator.expressions import Expr, evaluate, names, parse
from configurator.loading import load_model, load_model_text
from configurator.model import (
    Constraint,
    ConstraintKind,
    Feature,
    FeatureType,
    Label,
    Option,
    PriceRule,
    ProductModel,
)

__all__ = [
    "ChoiceError", "CompileError", "Constraint", "ConstraintKind", "Expr", "Feature",
    "FeatureType", "Label", "ModelError", "Option", "PriceRule", "ProductModel", "evaluate",
    "load_model", "load_model_text", "names", "parse",
]
