"""Application errors, each with the HTTP status the web layer maps it to."""

from __future__ import annotations


class C2mError(Exception):
    http_status = 400
    title = "Bad Request"

    def details(self) -> dict[str, object]:
        return {}


class NotFound(C2mError):
    http_status = 404
    title = "Not Found"


class Conflict(C2mError):
    http_status = 409
    title = "Conflict"


class InvalidInput(C2mError):
    """Input that is well-formed but wrong; `where` says which field, file or line."""

    http_status = 422
    title = "Unprocessable Entity"

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where

    def details(self) -> dict[str, object]:
        return {"where": self.where} if self.where else {}


class Unreadable(C2mError):
    """A body that cannot be read at all (e.g. JSON nested deeper than the parser recurses):
    400, as for any other malformed body; `where` says which part."""

    def __init__(self, message: str, where: str = "body") -> None:
        super().__init__(message)
        self.where = where

    def details(self) -> dict[str, object]:
        return {"where": self.where}
