"""The HTTP edge (:func:`connector.web.serve`): bodies bounded before any handler reads them, and
no exception a handler raises ever reaching the caller as a 5xx; unexpected ones are logged by
type and place (never message or payload) and counted, apart when the caller had proven who it is."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connector import web
from connector.errors import NotFound
from connector.observability import metrics as emf

SECRET_INPUT = "buyer-address-and-token-9f3a"


@pytest.fixture(autouse=True)
def _fresh_metrics() -> Any:
    emf().clear_metrics()
    yield
    emf().clear_metrics()


class _ThrottledError(Exception):
    """Shaped like botocore's ClientError (module and ``response``), without importing botocore."""

    __module__ = "botocore.exceptions"

    def __init__(self, code: str) -> None:
        super().__init__(f"An error occurred ({code})")
        self.response = {"Error": {"Code": code, "Message": SECRET_INPUT}}


def _app() -> Any:
    app = web.resolver()

    @app.post("/boom")
    def boom() -> Any:
        int(app.current_event.body or "")  # ValueError quoting the input
        return web.json_response(200, {})

    @app.post("/verified-boom")
    def verified_boom() -> Any:
        web.mark_verified()
        raise KeyError(SECRET_INPUT)

    @app.get("/throttled")
    def throttled() -> Any:
        raise _ThrottledError("ProvisionedThroughputExceededException")

    @app.get("/invalid-key")
    def invalid_key() -> Any:
        raise _ThrottledError("ValidationException")

    @app.get("/typed")
    def typed() -> Any:
        raise NotFound("no such thing", reason="no_such_thing")

    @app.post("/echo")
    def echo() -> Any:
        return web.json_response(200, {"bytes": len(web.raw_body(app.current_event.raw_event))})

    return app


def _event(method: str, path: str, body: str | None = None, *, b64: bool = False) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": f"{method} {path}", "rawPath": path, "rawQueryString": "", "headers": {},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"}, "requestId": "r-1",
                           "stage": "$default"},
        "isBase64Encoded": b64,
    }
    if body is not None:
        event["body"] = body
    return event


def _emf(out: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in out.splitlines():
        if line.startswith('{"_aws"'):
            data = json.loads(line)
            for directive in data["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    value = data[metric["Name"]]
                    found[metric["Name"]] = float(sum(value) if isinstance(value, list) else value)
    return found


def _unexpected(caplog: pytest.LogCaptureFixture) -> list[Any]:
    return [r for r in caplog.records if r.getMessage().startswith("unexpected failure")]


def test_an_unexpected_exception_is_a_400_with_a_reason_logged_without_the_input(
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    answer = web.serve(_app(), _event("POST", "/boom", SECRET_INPUT), None)
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"]) == {"error": "bad_request", "message": "the request could not be processed",
                                          "reason": "unprocessable_input"}
    emf().flush_metrics()
    out = capsys.readouterr().out
    assert SECRET_INPUT not in out + caplog.text and SECRET_INPUT not in answer["body"]
    (line,) = _unexpected(caplog)
    assert line.levelname == "WARNING" and line.error_type == "ValueError" and line.verified is False
    assert line.where.startswith("core/test_web_edge.py:")
    assert _emf(out) == {web.UNEXPECTED: 1.0}


def test_on_a_verified_request_it_is_an_error_counted_apart(capsys: pytest.CaptureFixture[str],
                                                             caplog: pytest.LogCaptureFixture) -> None:
    answer = web.serve(_app(), _event("POST", "/verified-boom", "{}"), None)
    assert answer["statusCode"] == 400
    emf().flush_metrics()
    out = capsys.readouterr().out
    assert SECRET_INPUT not in out + caplog.text
    (line,) = _unexpected(caplog)
    assert line.levelname == "ERROR" and line.error_type == "KeyError" and line.verified is True
    assert _emf(out) == {web.UNEXPECTED_VERIFIED: 1.0}
    # the mark does not outlive its request
    assert not web.verified()


def test_a_busy_service_is_a_503_to_retry_not_an_input_error(capsys: pytest.CaptureFixture[str],
                                                              caplog: pytest.LogCaptureFixture) -> None:
    answer = web.serve(_app(), _event("GET", "/throttled"), None)
    assert answer["statusCode"] == 503 and answer["headers"]["Retry-After"] == "5"
    assert json.loads(answer["body"])["reason"] == "service_unavailable"
    emf().flush_metrics()
    out = capsys.readouterr().out
    assert SECRET_INPUT not in out + caplog.text and _emf(out) == {web.UNAVAILABLE: 1.0}
    # a key the table refuses is the input's fault
    assert web.serve(_app(), _event("GET", "/invalid-key"), None)["statusCode"] == 400


def test_typed_errors_keep_their_status_and_unknown_routes_are_404() -> None:
    answer = web.serve(_app(), _event("GET", "/typed"), None)
    assert answer["statusCode"] == 404 and json.loads(answer["body"])["reason"] == "no_such_thing"
    assert web.serve(_app(), _event("GET", "/nowhere"), None)["statusCode"] == 404


@pytest.mark.parametrize(("body", "b64", "status"), [
    ("x" * web.MAX_BODY_BYTES, False, 200),
    ("x" * (web.MAX_BODY_BYTES + 1), False, 413),
    ("\u00e9" * (web.MAX_BODY_BYTES // 2 + 1), False, 413),  # counted in bytes, not characters
    ("QUFB" * (web.MAX_BODY_BYTES // 3 + 1), True, 413),
    ("not base64!", True, 400),
])
def test_bodies_are_bounded_before_any_handler_reads_them(body: str, b64: bool, status: int,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    answer = web.serve(_app(), _event("POST", "/echo", body, b64=b64), None)
    assert answer["statusCode"] == status
    if status == 413:
        assert json.loads(answer["body"])["reason"] == "body_too_large"
        emf().flush_metrics()
        assert _emf(capsys.readouterr().out) == {web.BODY_TOO_LARGE: 1.0}
