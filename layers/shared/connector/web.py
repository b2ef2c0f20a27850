"""HTTP API plumbing shared by the API functions: one resolver factory whose exception handlers
turn typed errors into status codes (and pydantic validation errors into 400s with the field
names), so no handler decides a status by itself and no stack trace ever reaches a caller."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from connector.errors import ConnectorError
from connector.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response


def _json(status: int, payload: dict[str, Any]) -> Response[Any]:
    from aws_lambda_powertools.event_handler import Response

    return Response(status_code=status, content_type="application/json", body=json.dumps(payload))


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


def resolver() -> APIGatewayHttpResolver:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    app = APIGatewayHttpResolver()

    @app.exception_handler(ConnectorError)  # type: ignore[untyped-decorator]
    def _connector_error(exc: ConnectorError) -> Response[Any]:
        if exc.status >= 500:
            logger().error("request failed", extra={"error": exc.code, "reason": exc.reason})
        return _json(exc.status, error_body(exc.code, exc.message, reason=exc.reason))

    @app.exception_handler(ValidationError)  # type: ignore[untyped-decorator]
    def _validation_error(exc: ValidationError) -> Response[Any]:
        fields = sorted({".".join(str(p) for p in err["loc"]) or "body" for err in exc.errors()})
        return _json(400, error_body("bad_request", "the request is invalid", fields=fields))

    @app.exception_handler(json.JSONDecodeError)  # type: ignore[untyped-decorator]
    def _bad_json(_exc: json.JSONDecodeError) -> Response[Any]:
        return _json(400, error_body("bad_request", "the body is not valid JSON"))

    @app.not_found
    def _not_found(_exc: Exception) -> Response[Any]:
        return _json(404, error_body("not_found", "no such route"))

    return app


def raw_body(event: dict[str, Any]) -> bytes:
    """The request body exactly as it arrived (signatures are computed over these bytes)."""
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode("utf-8")


def json_response(status: int, payload: dict[str, Any]) -> Response[Any]:
    return _json(status, payload)
