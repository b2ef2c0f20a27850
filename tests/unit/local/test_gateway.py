from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.cloud.functions import FunctionHost, InvokeResult
from local.cloud.gateway import Gateway, Route, to_http, verify_sigv4
from local.httpkit import Request


def signed(method: str, url: str, body: bytes = b"", secret: str = "testing") -> Request:
    aws = AWSRequest(method=method, url=url, data=body, headers={"content-type": "application/json"})
    SigV4Auth(Credentials("testing", secret), "execute-api", "us-east-1").add_auth(aws)
    split = urlsplit(url)
    query: dict[str, list[str]] = {}
    for pair in filter(None, split.query.split("&")):
        key, _, value = pair.partition("=")
        query.setdefault(key, []).append(value)
    headers = {k.lower(): v for k, v in aws.headers.items()}
    headers["host"] = split.netloc  # what every HTTP client sends
    return Request(method=method, path=split.path, query=query, raw_query=split.query, body=body, headers=headers)


def test_a_botocore_signature_verifies() -> None:
    request = signed("POST", "http://127.0.0.1:9/ops/canary?b=2&a=1", b'{"x":1}')
    assert verify_sigv4(request, ("testing", "testing"), "us-east-1") is None


def test_wrong_secret_tampered_body_and_missing_header_fail() -> None:
    assert verify_sigv4(signed("POST", "http://127.0.0.1:9/ops/canary", b"{}", secret="other"),
                        ("testing", "testing"), "us-east-1") == "signature does not match"
    tampered = signed("POST", "http://127.0.0.1:9/ops/canary", b'{"a":1}')
    tampered.body = b'{"a":2}'
    assert verify_sigv4(tampered, ("testing", "testing"), "us-east-1") == "signature does not match"
    bare = Request("POST", "/ops/canary", {}, {}, b"")
    assert "missing" in (verify_sigv4(bare, ("testing", "testing"), "us-east-1") or "")


class RecordingHost(FunctionHost):
    def __init__(self, answer: Any) -> None:
        super().__init__()
        self.answer = answer
        self.events: list[dict[str, Any]] = []

    def invoke(self, key: str, event: Any) -> InvokeResult:
        self.events.append(event)
        return self.answer if isinstance(self.answer, InvokeResult) else InvokeResult(payload=self.answer)


def gateway(answer: Any) -> tuple[Gateway, RecordingHost]:
    host = RecordingHost(answer)
    routes = [Route("POST", "/webhooks/{platform}", "Hook", iam=False), Route("ANY", "/api/{proxy+}", "Api", iam=False),
              Route("GET", "/ops/x", "Ops", iam=True)]
    return Gateway(host, routes, ("testing", "testing"), "us-east-1"), host


def test_payload_v2_event_keeps_the_raw_body_and_path_parameters() -> None:
    gw, host = gateway({"statusCode": 200, "body": ""})
    raw = b'{"b": 1,  "a":2}'
    gw.handle(Request("POST", "/webhooks/tiktok", {"x": ["1", "2"]}, {"content-type": "application/json"}, raw,
                      raw_query="x=1&x=2"))
    event = host.events[0]
    assert event["version"] == "2.0"
    assert event["body"].encode() == raw and event["isBase64Encoded"] is False
    assert event["pathParameters"] == {"platform": "tiktok"}
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["routeKey"] == "POST /webhooks/{platform}"


def test_binary_body_is_base64_and_greedy_path_matches() -> None:
    gw, host = gateway({"statusCode": 204})
    gw.handle(Request("PUT", "/api/a/b/c", {}, {"content-type": "image/png"}, b"\x89PNG\xff"))
    event = host.events[0]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x89PNG\xff"
    assert event["pathParameters"] == {"proxy": "a/b/c"}


def test_unknown_route_is_404_iam_route_needs_signature_and_errors_are_500() -> None:
    gw, host = gateway(InvokeResult(error_type="Boom", error_message="x"))
    assert gw.handle(Request("GET", "/nowhere", {}, {}, b"")).status == 404
    assert gw.handle(Request("GET", "/ops/x", {}, {}, b"")).status == 403
    response = gw.handle(Request("POST", "/webhooks/tiktok", {}, {}, b""))
    assert response.status == 500 and b"Boom" not in response.body
    assert len(host.events) == 1


def test_result_mapping() -> None:
    response = to_http({"statusCode": 302, "headers": {"Location": "https://x"}, "body": ""})
    assert response.status == 302 and response.headers["location"] == "https://x"
    encoded = base64.b64encode(b"\x00").decode()
    assert to_http({"statusCode": 200, "body": encoded, "isBase64Encoded": True}).body == b"\x00"
    assert json.loads(to_http({"ok": True}).body) == {"ok": True}
