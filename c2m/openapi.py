"""The OpenAPI 3.1 description of c2m's HTTP APIs, served at /api/openapi.json.

Message schemas come from the code that builds and parses them (mes_bridge.payloads), so the
document cannot drift from what is actually sent and accepted.
"""

from __future__ import annotations

from typing import Any

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
        503: "retry later",
    }
    return {str(code): _response(words[code]) for code in codes}


OBJECT = {"type": "object"}

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
            "responses": {"200": _response("the configuration state", OBJECT), **_errors(404, 422)},
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
                **_errors(404, 422),
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
            "responses": {"200": _response("logged in", OBJECT), **_errors(401)},
        }
    },
    "/api/v1/plan-runs": {
        "post": {
            "summary": "Queue a plan run: insert new orders, re-plan, or re-plan around a machine "
            "breakdown ({kind: breakdown, machine, from, until}); planners only",
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
            "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer"}}],
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
                **_errors(400, 401, 403),
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


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "c2m API", "version": "1"},
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "WorkOrderMessage": WORK_ORDER_MESSAGE_SCHEMA,
                "Event": EVENT_SCHEMA,
                "Customer": {
                    "type": "object",
                    "required": ["name", "email", "phone", "address"],
                    "properties": {
                        k: {"type": "string"}
                        for k in ("name", "email", "phone", "address", "language")
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "detail"],
                    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                },
            },
        },
    }
