"""The OpenAPI 3.1 description of c2m's HTTP APIs, served at /api/openapi.json.

Message schemas come from the code that builds and parses them (mes_bridge.payloads), so the
document cannot drift from what is actually sent and accepted.
"""

from __future__ import annotations

import re
from typing import Any

from c2m.orders import EMAIL, PHONE
from c2m.validation import FIELD_LIMITS, ID_MAX, LANGUAGE
from mes_bridge.payloads import EVENT_SCHEMA, WORK_ORDER_MESSAGE_SCHEMA

ERROR = {"$ref": "#/components/schemas/Error"}
JSON_ERROR = {"application/json": {"schema": ERROR}}


def _response(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    if schema is None:
        return {"description": description, "content": JSON_ERROR}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    words = {
        400: "bad request",
        401: "not authenticated",
        403: "not allowed",
        404: "not found",
        409: "conflict",
        422: "invalid input",
        429: "too many requests (see Retry-After)",
        503: "retry later",
    }
    answers = {str(code): _response(words[code]) for code in codes}
    if 429 in codes:
        answers["429"]["headers"] = {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
        }
    return answers


OBJECT = {"type": "object"}
# No control or bidi characters (c2m.validation); an address may hold line breaks and tabs.
_CLEAN = "^[^\\x00-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]*$"
_CLEAN_LINES = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]*$"
_CUSTOMER_PATTERNS = {
    "name": "\\S",
    "email": EMAIL.pattern,
    "phone": PHONE.pattern,
    "address": "\\S[\\s\\S]{6,}\\S",  # at least 8 characters once trimmed
    "language": LANGUAGE.pattern,
}


def _customer_field(name: str) -> dict[str, Any]:
    clean = _CLEAN_LINES if name == "address" else _CLEAN
    return {
        "type": "string",
        "maxLength": FIELD_LIMITS[name],
        "allOf": [{"pattern": _CUSTOMER_PATTERNS[name]}, {"pattern": clean}],
    }


CUSTOMER = {
    "type": "object",
    "required": ["name", "email", "phone", "address"],
    "properties": {name: _customer_field(name) for name in FIELD_LIMITS},
}
_MOMENT = {"type": "string", "format": "date-time"}
PLAN_RUN_REQUEST = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"kind": {"enum": ["insert", "replan"]}},
        },
        {
            "type": "object",
            "required": ["kind", "machine", "from", "until"],
            "properties": {
                "kind": {"const": "breakdown"},
                "machine": {"type": "string", "minLength": 1, "maxLength": 64},
                "from": _MOMENT,
                "until": _MOMENT,
            },
        },
    ]
}

PATHS: dict[str, Any] = {
    "/api/v1/configurations": {
        "post": {
            "summary": "Valid options after the given choices, reasons, price range, completions",
            "description": "The shape is documented in configurator/README.md; price and validity "
            "are recomputed from the model, never taken from the request.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["model"],
                            "properties": {"model": {"type": "string"}, "choices": OBJECT},
                        }
                    }
                },
            },
            "responses": {
                "200": _response("the configuration state", OBJECT),
                **_errors(404, 422, 429),
            },
        }
    },
    "/api/v1/orders": {
        "post": {
            "summary": "Place an order (idempotent by the Idempotency-Key header)",
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string", "minLength": 8, "maxLength": 64},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["model", "choices", "customer"],
                            "properties": {
                                "model": {"type": "string"},
                                "choices": OBJECT,
                                "customer": {"$ref": "#/components/schemas/Customer"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": _response("placed", OBJECT),
                "200": _response("placed before with the same key", OBJECT),
                **_errors(404, 422, 429),
            },
        }
    },
    "/api/v1/track/{token}": {
        "get": {
            "summary": "Order status by its private tracking token",
            "parameters": [
                {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {"200": _response("status", OBJECT), **_errors(404)},
        }
    },
    "/api/v1/session": {
        "post": {
            "summary": "Planner or admin login (session cookie)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["username", "password"],
                            "properties": {
                                "username": {"type": "string", "maxLength": 200},
                                "password": {"type": "string", "maxLength": 1000},
                            },
                        }
                    }
                },
            },
            "responses": {"200": _response("logged in", OBJECT), **_errors(401, 422, 429)},
        },
        "delete": {
            "summary": "Log out: the session cookie, and every older copy of it, stops working",
            "responses": {"204": {"description": "logged out"}},
        },
    },
    "/api/v1/plan-runs": {
        "post": {
            "summary": "Queue a plan run: insert new orders, re-plan, or re-plan around a machine "
            "breakdown ({kind: breakdown, machine, from, until}); planners only",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": PLAN_RUN_REQUEST}},
            },
            "responses": {"202": _response("queued", OBJECT), **_errors(401, 403, 422)},
        }
    },
    "/api/v1/plant-status": {
        "get": {
            "summary": "What the plant simulator samples: current schedules, plan runs, orders "
            "and outbox rows by status, MES events applied, units against ordered quantities; "
            "planners only",
            "responses": {"200": _response("counts and figures", OBJECT), **_errors(401, 403)},
        }
    },
    "/api/v1/plan-runs/{run_id}": {
        "get": {
            "summary": "A plan run: status, KPIs, what moved, assignments; planners only",
            "responses": {"200": _response("the plan run", OBJECT), **_errors(401, 403, 404)},
        }
    },
    "/api/v1/orders/{order_id}/bom": {
        "get": {
            "summary": "The as-configured BOM snapshot of an order; planners only",
            "responses": {
                "200": _response("BOM tree, requirements, cut list, cost", OBJECT),
                **_errors(401, 403, 404),
            },
        }
    },
    "/api/v1/orders/{order_id}/routing": {
        "get": {
            "summary": "The routing snapshot of an order; planners only",
            "responses": {
                "200": _response("operations, alternatives, precedences, lead time", OBJECT),
                **_errors(401, 403, 404),
            },
        }
    },
    "/api/v1/orders/{order_id}/cancel": {
        "post": {
            "summary": "Cancel an order until an operation of it starts (released work orders "
            "get a cancel message to the MES); again: the same answer; planners only",
            "parameters": [
                {"name": "order_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {"200": _response("cancelled", OBJECT), **_errors(401, 403, 404, 409)},
        }
    },
    "/api/v1/track/{token}/cancel": {
        "post": {
            "summary": "The customer cancels an order by its tracking token, until it is "
            "released to the factory; again: the same answer",
            "parameters": [
                {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {"200": _response("cancelled", OBJECT), **_errors(404, 409)},
        }
    },
    "/api/v1/plan-runs/{run_id}/release": {
        "post": {
            "summary": "Release a schedule: work orders and outbox rows in one transaction",
            "responses": {"200": _response("released", OBJECT), **_errors(401, 403, 404, 409)},
        }
    },
    "/api/mes/v1/work-orders": {
        "get": {
            "summary": "Cursor feed of released work orders (scope: pull)",
            "security": [{"bearer": ["pull"]}],
            "parameters": [
                {
                    "name": "after",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 0, "maximum": ID_MAX},
                }
            ],
            "responses": {
                "200": _response(
                    "a page of work orders",
                    {
                        "type": "object",
                        "properties": {
                            "cursor": {"type": "integer"},
                            "more": {"type": "boolean"},
                            "work_orders": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "cursor": {"type": "integer"},
                                        "state": {"type": "string"},
                                        "work_order": {
                                            "$ref": "#/components/schemas/WorkOrderMessage"
                                        },
                                    },
                                },
                            },
                        },
                    },
                ),
                **_errors(400, 401, 403, 422),
            },
        }
    },
    "/api/mes/v1/work-orders/{number}/ack": {
        "post": {
            "summary": "Acknowledge a pulled work order (scope: pull)",
            "security": [{"bearer": ["pull"]}],
            "responses": {"200": _response("accepted", OBJECT), **_errors(401, 403, 404, 422)},
        }
    },
    "/api/mes/v1/events": {
        "post": {
            "summary": "Status events, signed as Standard Webhooks (±5 min window, de-duplicated)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Event"}},
                    "application/xml": {
                        "schema": {
                            "type": "string",
                            "description": "B2MML SyncOperationsPerformance",
                        }
                    },
                },
            },
            "responses": {
                "200": _response("per-event outcome", OBJECT),
                **_errors(401, 404, 422, 503),
            },
        }
    },
}


def _path_parameter(name: str) -> dict[str, Any]:
    """A path's `{name}`: ids are whole numbers a row can have, the rest opaque strings."""
    if name.endswith("_id"):
        schema = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
    else:
        schema = {"type": "string", "minLength": 1, "maxLength": 128}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _with_path_parameters(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation declares each `{name}` of its path (written once, here)."""
    done: dict[str, Any] = {}
    for path, operations in paths.items():
        names = re.findall(r"{(\w+)}", path)
        done[path] = {}
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            extra = [_path_parameter(n) for n in names if n not in declared]
            done[path][method] = {
                **operation,
                "parameters": [*operation.get("parameters", []), *extra],
            }
    return done


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "c2m API", "version": "1"},
        "paths": _with_path_parameters(PATHS),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "WorkOrderMessage": WORK_ORDER_MESSAGE_SCHEMA,
                "Event": EVENT_SCHEMA,
                "Customer": CUSTOMER,
                "Error": {
                    "type": "object",
                    "required": ["error", "detail"],
                    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                },
            },
        },
    }
