"""Load and explosion errors for BOM, routing, item and factory data.

A subclass of the configurator's `ModelError`, so every load error in c2m has the same
shape (file, line, field, message) and reads `file:line: field: message`.
"""

from __future__ import annotations

from configurator.errors import ModelError


class EngineeringError(ModelError):
    """Bad BOM, routing, item or factory data, located by file, line and field/item."""

    def __init__(self, file: str, line: int, field: str, message: str) -> None:
        text = f"{field}: {message}" if field else message
        super().__init__(text, file=file, line=line or None, field=field or None)
        self.detail = message
