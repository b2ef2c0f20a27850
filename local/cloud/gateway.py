"""The local HTTP API: turns requests on 127.0.0.1 into API Gateway HTTP API (payload format
2.0) events for the function that owns the route, and the function's answer back into HTTP.

The raw body reaches the handler untouched (text as is, anything else base64), because webhook
signatures are computed over those bytes. Routes with ``Auth: Authorizer: AWS_IAM`` demand a
valid SigV4 signature made with the local cloud's credentials, as API Gateway would.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from local.cloud.functions import FunctionHost
from local.httpkit import Request, Response, Server, json_response

TEXT_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/", "application/xml")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    iam: bool

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def regex(self) -> re.Pattern[str]:
        pattern = "^"
        for part in re.split(r"(\{[^}]+\})", self.path):
            if part.endswith("+}"):
                pattern += f"(?P<{part[1:-2]}>.+)"
            elif part.startswith("{"):
                pattern += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                pattern += re.escape(part)
        return re.compile(pattern + "$")


class Gateway:
    def __init__(
        self,
        host: FunctionHost,
        routes: list[Route],
        credentials: tuple[str, str],
        region: str,
        api_id: str = "local",
        port: int = 0,
    ) -> None:
        self.host = host
        self.routes = sorted(routes, key=lambda r: (r.path.count("{"), -len(r.path)))
        self._compiled = [(route, route.regex()) for route in self.routes]
        self.credentials = credentials
        self.region = region
        self.api_id = api_id
        self.requests = 0
        self.port = port
        self.server: Server | None = None

    @property
    def url(self) -> str:
        assert self.server, "the gateway is not started"
        return self.server.url

    def start(self) -> Gateway:
        self.server = Server(self.handle, port=self.port, name="local-gateway").start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route, regex in self._compiled:
            found = regex.match(path)
            if found and route.method in (method, "ANY"):
                return route, found.groupdict()
        return None

    def handle(self, request: Request) -> Response:
        self.requests += 1
        found = self.match(request.method, request.path)
        if found is None:
            return json_response({"message": "Not Found"}, 404)
        route, params = found
        iam_identity: dict[str, Any] | None = None
        if route.iam:
            problem = verify_sigv4(request, self.credentials, self.region)
            if problem:
                return json_response({"message": "Forbidden", "reason": problem}, 403)
            iam_identity = {"accessKey": self.credentials[0], "accountId": "123456789012"}
        event = self.event(request, route, params, iam_identity)
        result = self.host.invoke(route.function, event)
        if result.failed:
            return json_response({"message": "Internal Server Error"}, 500)
        return to_http(result.payload)

    def event(
        self, request: Request, route: Route, params: dict[str, str], iam: dict[str, Any] | None
    ) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        content_type = request.header("content-type", "") or ""
        body: str | None = None
        is_b64 = False
        if request.body:
            textual = any(content_type.startswith(t) for t in TEXT_TYPES) or not content_type
            try:
                body = request.body.decode("utf-8") if textual else None
            except UnicodeDecodeError:
                body = None
            if body is None:
                body, is_b64 = base64.b64encode(request.body).decode("ascii"), True
        headers = {k: v for k, v in request.headers.items() if k != "cookie"}
        cookies = [c.strip() for c in request.headers.get("cookie", "").split(";") if c.strip()]
        context: dict[str, Any] = {
            "accountId": "123456789012",
            "apiId": self.api_id,
            "domainName": request.headers.get("host", "127.0.0.1"),
            "domainPrefix": "127",
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": request.headers.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        }
        if iam is not None:
            context["authorizer"] = {"iam": iam}
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": request.path,
            "rawQueryString": request.raw_query,
            "headers": headers,
            "requestContext": context,
            "isBase64Encoded": is_b64,
        }
        if cookies:
            event["cookies"] = cookies
        if request.query:
            event["queryStringParameters"] = {k: ",".join(v) for k, v in request.query.items()}
        if params:
            event["pathParameters"] = params
        if body is not None:
            event["body"] = body
        return event


def to_http(payload: Any) -> Response:
    """Map a payload-2.0 function result to HTTP, as API Gateway does."""
    if isinstance(payload, dict) and "statusCode" in payload:
        raw = payload.get("body") or ""
        body = base64.b64decode(raw) if payload.get("isBase64Encoded") else str(raw).encode("utf-8")
        headers = {str(k).lower(): str(v) for k, v in (payload.get("headers") or {}).items()}
        for key, values in (payload.get("multiValueHeaders") or {}).items():
            headers[str(key).lower()] = ", ".join(str(v) for v in values)
        response = Response(int(payload["statusCode"]), body, headers)
        for cookie in payload.get("cookies") or []:
            response.headers["set-cookie"] = cookie  # one cookie is all the connector sets
        return response
    return Response(200, json.dumps(payload).encode("utf-8"), {"content-type": "application/json"})


def verify_sigv4(request: Request, credentials: tuple[str, str], region: str) -> str | None:
    """Check an AWS SigV4 ``Authorization`` header for service ``execute-api``; returns the
    problem, or None when the signature is right."""
    header = request.header("authorization") or ""
    found = re.match(
        r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
        r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$",
        header.strip(),
    )
    if not found:
        return "missing or malformed SigV4 authorization"
    access_key, date, sig_region, service, signed_headers, signature = found.groups()
    if access_key != credentials[0]:
        return "unknown access key"
    if service != "execute-api" or sig_region != region:
        return "signature scope does not match this API"
    amz_date = request.header("x-amz-date") or ""
    try:
        signed_at = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return "missing x-amz-date"
    if abs((dt.datetime.now(dt.UTC) - signed_at).total_seconds()) > 300:
        return "signature expired"
    names = signed_headers.split(";")
    if "host" not in names:
        return "host header must be signed"
    canonical_headers = "".join(f"{n}:{' '.join((request.header(n) or '').split())}\n" for n in names)
    pairs = sorted(
        (quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, values in request.query.items() for v in values
    )
    canonical = "\n".join(
        [
            request.method,
            quote(request.path, safe="/~"),
            "&".join(f"{k}={v}" for k, v in pairs),
            canonical_headers,
            signed_headers,
            hashlib.sha256(request.body).hexdigest(),
        ]
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + credentials[1]).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "signature does not match"
    return None
