"""HTTP API plumbing shared by the API functions: one resolver factory whose exception handlers
turn typed errors into status codes (and pydantic validation errors into 400s with the field
names), so no handler decides a status by itself and no stack trace ever reaches a caller.

Every public route is served through :func:`serve`: the body is bounded before anything reads
it, and anything unexpected a handler raises becomes a 400 with a reason (an input the code did
not foresee), logged by type and place, never by message or payload, and counted
(``HttpUnexpectedError``; ``HttpUnexpectedErrorVerified``, alarmed, when the caller had proven
who it is: a signed webhook or the connection's owner). Only the platform's own trouble
(throttling, an unreachable service) stays a 5xx: 503, retry later.
"""

from __future__ import annotations

import base64
import json
import threading
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from connector import metrics
from connector.errors import ConnectorError
from connector.observability import count, log_context, logger

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response


def _json(status: int, payload: dict[str, Any]) -> Response[Any]:
    from aws_lambda_powertools.event_handler import Response

    return Response(status_code=status, content_type="application/json", body=json.dumps(payload))


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


#: The largest body a route reads (API Gateway allows 10 MB). Webhooks and the merchant API's
#: JSON bodies are a few kilobytes; a batch of stock or price updates stays well under this.
MAX_BODY_BYTES = 256 * 1024

UNEXPECTED = metrics.HTTP_UNEXPECTED
UNEXPECTED_VERIFIED = metrics.HTTP_UNEXPECTED_VERIFIED
BODY_TOO_LARGE = metrics.HTTP_BODY_TOO_LARGE
UNAVAILABLE = metrics.HTTP_UNAVAILABLE

#: AWS error codes that mean "the service is busy or down", not "your input is wrong".
_TRANSIENT_AWS_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "Throttling", "RequestLimitExceeded",
    "InternalServerError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException",
    "TransactionInProgressException", "LimitExceededException", "KMSInternalException",
})

_request = threading.local()


def mark_verified() -> None:
    """The caller has proven who it is (a webhook's signature matched, or the connection's owner
    authenticated): an unexpected failure from here on is our bug, not a stranger's input."""
    _request.verified = True


def verified() -> bool:
    return bool(getattr(_request, "verified", False))


def _transient(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    if not module.startswith(("botocore", "boto3", "urllib3")):
        return False
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", "")) in _TRANSIENT_AWS_CODES
    # Connection and timeout errors carry no response: the service did not answer.
    return any(word in type(exc).__name__ for word in ("Connect", "Timeout", "Endpoint", "Connection"))


def _where(exc: BaseException) -> str:
    """The innermost frame of the project's own code the exception passed through (the last two
    parts of its path and the line), so an operator finds the spot without the message, which
    may quote the input."""
    tb = exc.__traceback__
    place = "unknown"
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename.replace("\\", "/")
        if "site-packages" not in name and "/lib/python" not in name and not name.startswith("<"):
            place = f"{'/'.join(name.rsplit('/', 2)[-2:])}:{tb.tb_lineno}"
        tb = tb.tb_next
    return place


def unexpected(exc: BaseException) -> Response[Any]:
    """The answer to an exception nobody raised on purpose (see the module's docstring)."""
    details = {"error_type": type(exc).__name__, "where": _where(exc), "verified": verified()}
    if _transient(exc):
        count(UNAVAILABLE)
        logger().warning("request failed: a service is unavailable", extra=details)
        response = _json(503, error_body("unavailable", "a service is busy; retry later", reason="service_unavailable"))
        response.headers["Retry-After"] = "5"
        return response
    if verified():
        count(UNEXPECTED_VERIFIED)
        logger().error("unexpected failure on a verified request", extra=details)
    else:
        count(UNEXPECTED)
        logger().warning("unexpected failure on an unverified request", extra=details)
    return _json(400, error_body("bad_request", "the request could not be processed", reason="unprocessable_input"))


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

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(exc: Exception) -> Response[Any]:
        return unexpected(exc)

    return app


def body_size(event: dict[str, Any]) -> int:
    """The body's size in bytes, as it arrived (without decoding base64)."""
    body = event.get("body") or ""
    if not isinstance(body, str):
        return 0
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4
    return len(body.encode("utf-8", "surrogatepass"))


def serve(app: APIGatewayHttpResolver, event: dict[str, Any], context: Any, *,
          max_body_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """Answer one HTTP API event with ``app``: the correlation id on every log line, the body
    bounded before any handler reads it, and no exception escaping as a 5xx."""
    _request.verified = False
    request_context = event.get("requestContext") if isinstance(event, dict) else None
    correlation = request_context.get("requestId") if isinstance(request_context, dict) else None
    with log_context(correlation_id=correlation):
        try:
            if body_size(event) > max_body_bytes:
                count(BODY_TOO_LARGE)
                logger().info("request refused: body too large", extra={"bytes": body_size(event)})
                return _plain(413, error_body("payload_too_large", f"the body is larger than {max_body_bytes} bytes",
                                              reason="body_too_large"))
            return app.resolve(event, context)
        except Exception as exc:  # the resolver's own handlers failed: still no 5xx for an input
            answer = unexpected(exc)
            return _plain(answer.status_code, json.loads(str(answer.body)), answer.headers)
        finally:
            _request.verified = False


def raw_body(event: dict[str, Any]) -> bytes:
    """The request body exactly as it arrived (signatures are computed over these bytes)."""
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode("utf-8")


def json_response(status: int, payload: dict[str, Any]) -> Response[Any]:
    return _json(status, payload)


def _plain(status: int, payload: dict[str, Any], headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A payload-2.0 result built without the resolver (for answers given before routing)."""
    out_headers = {"Content-Type": "application/json"}
    out_headers.update({str(k): str(v) for k, v in (headers or {}).items() if str(k).lower() != "content-type"})
    return {"statusCode": status, "headers": out_headers, "body": json.dumps(payload), "isBase64Encoded": False}
