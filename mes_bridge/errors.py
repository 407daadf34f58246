"""Errors raised by mes_bridge. Each names what was wrong and where, never a bare traceback."""

from __future__ import annotations


class MesBridgeError(Exception):
    """Base class for every error mes_bridge raises on purpose."""


class InvalidTransition(MesBridgeError):
    """A lifecycle change that is not allowed.

    `stale` is True when the target lies behind the current state on the main line (a late or
    duplicated event): the caller may log and ignore it. False means the change is impossible
    (e.g. CANCELLED -> RUNNING) and points to a bug or a misbehaving MES.
    """

    def __init__(self, from_state: object, to_state: object, why: str, *, stale: bool) -> None:
        self.from_state = from_state
        self.to_state = to_state
        self.why = why
        self.stale = stale
        super().__init__(f"{from_state} -> {to_state}: {why}")


class PayloadInvalid(MesBridgeError):
    """A payload we built failed schema validation; it must be dead-lettered, never sent."""

    def __init__(self, schema: str, path: str, reason: str, line: int | None = None) -> None:
        self.schema = schema
        self.path = path
        self.reason = reason
        self.line = line
        super().__init__(f"{schema}: {path}: {reason}")


class EventParseError(MesBridgeError):
    """An incoming status message (JSON or B2MML) could not be read.

    `source` names the format (json / SyncOperationsPerformance), `field` the element or key
    (a JSON pointer or XPath-like path), `line` the XML line when known.
    """

    def __init__(self, source: str, field: str, reason: str, line: int | None = None) -> None:
        self.source = source
        self.field = field
        self.reason = reason
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {field}: {reason}")


class SignatureError(MesBridgeError):
    """Base of webhook signature failures; `kind` is 'malformed', 'stale' or 'tampered'."""

    kind = "invalid"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"signature {self.kind}: {reason}")


class SignatureMalformed(SignatureError):
    """Headers missing or unreadable, or the secret is not `whsec_` + base64."""

    kind = "malformed"


class SignatureStale(SignatureError):
    """Timestamp outside the tolerance window (a replay or a badly skewed clock)."""

    kind = "stale"


class SignatureTampered(SignatureError):
    """Well-formed, fresh, but no signature matches: body, id or timestamp were altered."""

    kind = "tampered"
