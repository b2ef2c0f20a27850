"""The sandbox Ecwid store: a real HTTP server on 127.0.0.1 that behaves like Ecwid.

- ``/api/oauth/authorize`` (GET: approve, or show a page to approve/deny) and
  ``/api/oauth/token`` (POST only, form-encoded).
- ``/api/v3/{storeId}/...``: the REST API with bearer tokens (``?token=`` is refused), scopes,
  paging, the catalog and order rules of :mod:`local.sandbox_ecwid.state`, a per-token limit
  (600 requests/minute by default, then 429 with Retry-After) and injectable faults.
- ``/images/{storeId}/{imageId}.png``: product pictures, rendered at their generated size.
- ``/_admin/...``: JSON endpoints mirroring the Python API, for tests and the demo.
- Signed webhooks to ``webhook_url`` (see :mod:`local.sandbox_ecwid.webhooks`).
"""

from __future__ import annotations

import html
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from local.admin_input import AdminInputError, flag, only, pattern, seconds, text, whole
from local.httpkit import Request, Response, Router, Server, html_response, json_response, redirect
from local.sandbox_ecwid.args import ApiError
from local.sandbox_ecwid.catalog import Catalog, generate_catalog
from local.sandbox_ecwid.images import render_png
from local.sandbox_ecwid.model import SeededProduct
from local.sandbox_ecwid.state import SandboxState
from local.sandbox_ecwid.webhooks import WebhookDispatcher, WebhookFaults

SCOPE_OF: dict[tuple[str, str], str] = {
    ("GET", "profile"): "read_store_profile",
    ("GET", "products"): "read_catalog",
    ("GET", "categories"): "read_catalog",
    ("GET", "classes"): "read_catalog",
    ("GET", "orders"): "read_orders",
    ("POST", "orders"): "create_orders",
    ("PUT", "orders"): "update_orders",
    ("DELETE", "orders"): "update_orders",
}


def _plain(value: Any) -> Any:
    """Decimals become JSON numbers (Ecwid sends numbers, not strings)."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_response(_plain(payload), status, headers)


def _error(status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"errorMessage": message}
    if code:
        body["errorCode"] = code
    return _json(body, status, headers)


def _body(request: Request) -> Any:
    if not request.body:
        return {}
    try:
        return json.loads(request.body, parse_float=Decimal)
    except ValueError:
        raise ApiError(400, "Request body is not valid JSON", "INVALID_JSON") from None


def _run(action: Callable[[], object], answer: dict[str, Any]) -> dict[str, Any]:
    action()
    return answer


def _args(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in request.query.items() if v}


@dataclass
class Fault:
    """Answer matching API requests with ``status`` (``times`` times).

    ``delay`` sleeps first (a client timeout); ``after`` processes the request and then answers
    with the fault (the order exists although the client saw a 500); ``stall`` (with ``after``)
    sleeps between processing and answering, so a client whose timeout is shorter loses the answer
    of a request that was done."""

    method: str | None = None
    path: str | None = None
    """A regular expression searched in the path below ``/api/v3/{storeId}``."""
    status: int = 500
    times: int = 1
    delay: float = 0.0
    retry_after: int | None = None
    after: bool = False
    stall: float = 0.0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or re.search(self.path, path) is not None
        )


@dataclass
class RequestRecord:
    method: str
    path: str
    status: int
    at: float
    query: str = ""


class _RateLimit:
    """A sliding window per token: ``limit`` requests per ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def check(self, token: str) -> int | None:
        """None if the request may go, else the Retry-After seconds."""
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(token, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                return max(1, math.ceil(seen[0] + self.window - now))
            seen.append(now)
            return None


class EcwidSandbox:
    """A sandbox Ecwid for one app (``client_id`` / ``client_secret``).

    ``time_scale`` compresses Ecwid's webhook retry schedule (0.001: 15 minutes -> 0.9 s).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        webhook_url: str | None = None,
        time_scale: float = 1.0,
        requests_per_minute: int = 600,
        seed: int = 0,
        port: int = 0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.seed = seed
        self.webhooks = WebhookDispatcher(
            client_secret, url=webhook_url, time_scale=time_scale, seed=seed, wall_clock=self._now_float
        )
        self.state = SandboxState(client_id, client_secret, seed=seed, emit=self._emit)
        self.auto_approve = True
        self.default_store_id: int | None = None
        self._rate = _RateLimit(requests_per_minute)
        self._faults: list[Fault] = []
        self._faults_lock = threading.Lock()
        self._outage_until: float | None = None
        self._requests: list[RequestRecord] = []
        self._requests_lock = threading.Lock()
        self._server = Server(self._handle, port=port, name="ecwid-sandbox")
        self._router = Router()
        self._routes()
        self._started = False

    # ------------------------------------------------------------------------------------------
    # life cycle
    # ------------------------------------------------------------------------------------------

    def start(self) -> EcwidSandbox:
        self.state.public_url = self._server.url
        self._server.start()
        self.webhooks.start()
        self._started = True
        if self.default_store_id is None:
            self.default_store_id = self.create_store()
        return self

    def stop(self) -> None:
        if self._started:
            self.webhooks.stop()
            self._server.stop()
            self._started = False

    def __enter__(self) -> EcwidSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self._server.url

    @property
    def url(self) -> str:
        """The API base, as ``ECWID_API_BASE``."""
        return f"{self._server.url}/api/v3"

    @property
    def oauth_url(self) -> str:
        """The OAuth base, as ``ECWID_OAUTH_BASE``."""
        return f"{self._server.url}/api/oauth"

    def _now_float(self) -> float:
        return self.state.now_float()

    def _emit(self, store_id: int, event_type: str, entity_id: int | str, data: dict[str, Any] | None) -> None:
        self.webhooks.emit(store_id, event_type, entity_id, _plain(data) if data else None)

    # ------------------------------------------------------------------------------------------
    # Python API for tests (each mirrored under /_admin)
    # ------------------------------------------------------------------------------------------

    def create_store(
        self,
        name: str = "Sandbox Store",
        *,
        currency: str = "USD",
        weight_unit: str = "KILOGRAM",
        dimensions_unit: str = "CM",
        store_id: int | None = None,
    ) -> int:
        return self.state.create_store(
            name=name,
            currency=currency,
            weight_unit=weight_unit,
            dimensions_unit=dimensions_unit,
            store_id=store_id,
        )

    def issue_token(self, store_id: int, scopes: list[str] | None = None) -> str:
        """A token without OAuth (Ecwid's custom-app shortcut); installs the app on the store."""
        return self.state.issue_token(store_id, scopes)

    def seed_catalog(self, store_id: int, n: int, seed: int | None = None) -> list[SeededProduct]:
        return self.state.seed(store_id, generate_catalog(n, self.seed if seed is None else seed))

    def load_catalog(self, store_id: int, catalog: Catalog) -> list[SeededProduct]:
        return self.state.seed(store_id, catalog)

    def add_product(self, store_id: int, spec: dict[str, Any], *, notify: bool = True) -> int:
        return self.state.add_product(store_id, spec, notify=notify)

    def add_category(self, store_id: int, name: str, parent_id: int = 0) -> int:
        return self.state.add_category(store_id, name, parent_id)

    def update_product(self, store_id: int, product_id: int, changes: dict[str, Any]) -> None:
        """A merchant's edit in the admin (fires product.updated)."""
        self.state.update_product(store_id, product_id, changes)

    def delete_product(self, store_id: int, product_id: int) -> None:
        self.state.delete_product(store_id, product_id)

    def product(self, store_id: int, product_id: int) -> dict[str, Any]:
        """The product exactly as the API returns it."""
        rendered: dict[str, Any] = _plain(self.state.get_product(store_id, product_id))
        return rendered

    def stock(self, store_id: int, product_id: int, combination_id: int | None = None) -> int | None:
        """What a buyer could take now (``None``: unlimited), inheritance resolved."""
        return self.state.stock(store_id, product_id, combination_id)

    def orders(self, store_id: int) -> list[dict[str, Any]]:
        rendered: list[dict[str, Any]] = _plain(self.state.orders(store_id))
        return rendered

    def uninstall(self, store_id: int) -> None:
        """The merchant removes the app: tokens die, application.uninstalled is sent."""
        self.state.uninstall(store_id)

    def now(self) -> int:
        """The store's clock, in UNIX seconds (what updateTimestamp and eventCreated use)."""
        return self.state.now()

    def advance_clock(self, seconds: float) -> None:
        """Move the store's clock (timestamps, eventCreated) forward."""
        with self.state.lock:
            self.state.clock_offset += seconds

    def set_rate_limit(self, requests_per_minute: int, window_seconds: float = 60.0) -> None:
        self._rate = _RateLimit(requests_per_minute, window_seconds)

    def add_fault(self, fault: Fault | None = None, **kwargs: Any) -> Fault:
        fault = fault or Fault(**kwargs)
        with self._faults_lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._faults_lock:
            self._faults.clear()
        self._outage_until = None
        self.state.search_lag = 0.0

    def start_outage(self, seconds: float | None = None) -> None:
        """Every API call answers 503 for ``seconds`` (``None``: until :meth:`end_outage`)."""
        self._outage_until = time.monotonic() + (seconds if seconds is not None else 10.0**9)

    def end_outage(self) -> None:
        self._outage_until = None

    def set_search_lag(self, seconds: float) -> None:
        """Orders stay invisible to the order search for ``seconds`` after they were created."""
        self.state.search_lag = max(0.0, float(seconds))

    def set_webhook_url(self, url: str | None) -> None:
        self.webhooks.url = url

    def set_webhook_faults(self, **kwargs: Any) -> WebhookFaults:
        self.webhooks.faults = WebhookFaults(**kwargs)
        return self.webhooks.faults

    def requests(
        self, method: str | None = None, path: str | None = None, status: int | None = None
    ) -> list[RequestRecord]:
        with self._requests_lock:
            return [
                r
                for r in self._requests
                if (method is None or r.method == method.upper())
                and (path is None or re.search(path, r.path) is not None)
                and (status is None or r.status == status)
            ]

    def request_count(self, method: str | None = None, path: str | None = None, status: int | None = None) -> int:
        return len(self.requests(method, path, status))

    def reset_requests(self) -> None:
        with self._requests_lock:
            self._requests.clear()

    # ------------------------------------------------------------------------------------------
    # HTTP
    # ------------------------------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        found = self._router.match(request.method, request.path)
        if found is None:
            response = _error(404, f"No route for {request.method} {request.path}", "NOT_FOUND")
        else:
            handler, params = found
            request.params = params
            try:
                response = handler(request)
            except ApiError as exc:
                response = _error(exc.status, exc.message, exc.code)
            except Exception:  # a sandbox fault: answered plainly and still logged
                response = _error(500, "Internal server error", "INTERNAL")
        if not request.path.startswith("/_admin"):
            with self._requests_lock:
                self._requests.append(
                    RequestRecord(request.method, request.path, response.status, time.time(), request.raw_query)
                )
        return response

    def _routes(self) -> None:
        r = self._router
        r.add("GET", "/api/oauth/authorize", self._authorize)
        r.add("POST", "/api/oauth/authorize", self._authorize_decision)
        r.add("POST", "/api/oauth/token", self._token)
        r.add("GET", "/images/{store}/{name}", self._image)

        api: list[tuple[str, str, Callable[[Request, int], Any]]] = [
            ("GET", "/profile", lambda q, s: self.state.profile(s)),
            ("GET", "/products", lambda q, s: self.state.search_products(s, _args(q))),
            ("POST", "/products", lambda q, s: {"id": self.state.add_product(s, _body(q))}),
            ("GET", "/products/deleted", lambda q, s: self.state.deleted_products(s, _args(q))),
            ("GET", "/products/{pid}", lambda q, s: self.state.get_product(s, q.params["pid"])),
            ("PUT", "/products/{pid}", self._put_product),
            ("DELETE", "/products/{pid}", self._delete_product),
            (
                "PUT",
                "/products/{pid}/inventory",
                lambda q, s: self.state.adjust_inventory(s, q.params["pid"], None, _body(q).get("quantityDelta")),
            ),
            (
                "GET",
                "/products/{pid}/combinations",
                lambda q, s: self.state.get_combinations(s, q.params["pid"]),
            ),
            (
                "POST",
                "/products/{pid}/combinations",
                lambda q, s: {"id": self.state.add_combination(s, q.params["pid"], _body(q))},
            ),
            (
                "GET",
                "/products/{pid}/combinations/{cid}",
                lambda q, s: self.state.get_combination(s, q.params["pid"], q.params["cid"]),
            ),
            ("PUT", "/products/{pid}/combinations/{cid}", self._put_combination),
            ("DELETE", "/products/{pid}/combinations/{cid}", self._delete_combination),
            (
                "PUT",
                "/products/{pid}/combinations/{cid}/inventory",
                lambda q, s: self.state.adjust_inventory(
                    s, q.params["pid"], q.params["cid"], _body(q).get("quantityDelta")
                ),
            ),
            ("GET", "/categories", lambda q, s: self.state.search_categories(s, _args(q))),
            ("GET", "/categories/{cid}", lambda q, s: self.state.get_category(s, q.params["cid"])),
            ("GET", "/classes", lambda q, s: self.state.product_classes(s)),
            ("GET", "/orders", lambda q, s: self.state.search_orders(s, _args(q))),
            ("POST", "/orders", lambda q, s: self.state.create_order(s, _body(q))),
            ("GET", "/orders/{oid}", lambda q, s: self.state.get_order(s, q.params["oid"])),
            ("PUT", "/orders/{oid}", lambda q, s: self.state.update_order(s, q.params["oid"], _body(q))),
            ("DELETE", "/orders/{oid}", lambda q, s: self.state.delete_order(s, q.params["oid"])),
        ]
        for method, path, handler in api:
            r.add(method, "/api/v3/{store}" + path, self._api(method, path, handler))

        admin: list[tuple[str, str, Callable[[Request], Any]]] = [
            ("GET", "/_admin/health", lambda q: {"ok": True}),
            ("POST", "/_admin/stores", self._admin_create_store),
            ("POST", "/_admin/stores/{store}/tokens", self._admin_token),
            ("POST", "/_admin/stores/{store}/catalog", self._admin_seed),
            ("POST", "/_admin/stores/{store}/categories", self._admin_category),
            (
                "POST",
                "/_admin/stores/{store}/products",
                lambda q: {"id": self.add_product(_sid(q), _body(q))},
            ),
            (
                "PUT",
                "/_admin/stores/{store}/products/{pid}",
                lambda q: _run(
                    lambda: self.update_product(_sid(q), int(q.params["pid"]), _body(q)), {"updateCount": 1}
                ),
            ),
            (
                "DELETE",
                "/_admin/stores/{store}/products/{pid}",
                lambda q: _run(lambda: self.delete_product(_sid(q), int(q.params["pid"])), {"deleteCount": 1}),
            ),
            ("GET", "/_admin/stores/{store}/stock/{pid}", self._admin_stock),
            ("GET", "/_admin/stores/{store}/orders", lambda q: {"items": self.orders(_sid(q))}),
            (
                "POST",
                "/_admin/stores/{store}/uninstall",
                lambda q: _run(lambda: self.uninstall(_sid(q)), {"ok": True}),
            ),
            ("POST", "/_admin/faults", lambda q: _plain_fault(self.add_fault(**_fault_args(_body(q))))),
            ("DELETE", "/_admin/faults", lambda q: _run(self.clear_faults, {"ok": True})),
            ("PUT", "/_admin/outage", self._admin_outage),
            (
                "PUT",
                "/_admin/search-lag",
                lambda q: _run(
                    lambda: self.set_search_lag(seconds(only(_body(q), {"seconds"}), "seconds")), {"ok": True}
                ),
            ),
            ("PUT", "/_admin/rate-limit", self._admin_rate_limit),
            ("PUT", "/_admin/webhooks", self._admin_webhooks),
            ("GET", "/_admin/webhooks", self._admin_webhook_log),
            ("POST", "/_admin/webhooks/release", lambda q: _run(self.webhooks.release, {"ok": True})),
            ("GET", "/_admin/requests", self._admin_requests),
            ("DELETE", "/_admin/requests", lambda q: _run(self.reset_requests, {"ok": True})),
            ("POST", "/_admin/clock", self._admin_clock),
            ("PUT", "/_admin/oauth", self._admin_oauth),
        ]
        for method, path, admin_handler in admin:
            r.add(method, path, self._admin(admin_handler))

    # API plumbing -----------------------------------------------------------------------------

    def _api(self, method: str, path: str, handler: Callable[[Request, int], Any]) -> Callable[[Request], Response]:
        resource = path.strip("/").split("/", 1)[0]
        scope = SCOPE_OF.get((method, resource)) or (
            "update_catalog" if resource in ("products", "categories", "classes") else "update_store_profile"
        )

        def serve(request: Request) -> Response:
            header = request.header("authorization") or ""
            token = header[7:].strip() if header.lower().startswith("bearer ") else None
            if token is None and request.arg("token"):
                return _error(403, "Passing the token in query parameters is not supported", "TOKEN_IN_QUERY")
            info = self.state.authenticate(token, request.params["store"])
            if scope not in info.scopes:
                return _error(403, f"The token lacks the {scope} scope", "SCOPE_MISSING")
            retry_after = self._rate.check(info.token)
            if retry_after is not None:
                return _error(429, "Too many requests", "RATE_LIMITED", {"Retry-After": str(retry_after)})
            sub_path = request.path.split(f"/api/v3/{request.params['store']}", 1)[1]
            if self._outage_until is not None and time.monotonic() < self._outage_until:
                return _error(503, "Service unavailable (outage)", "OUTAGE")
            fault = self._take_fault(request.method, sub_path)
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            if fault is not None and not fault.after:
                return self._fault_response(fault)
            try:
                result = handler(request, int(request.params["store"]))
            except ValueError:  # a malformed number the handler did not name: a plain reason only
                raise ApiError(400, "Malformed request: a parameter is not a valid number", "INVALID_VALUE") from None
            if fault is not None:
                if fault.stall:
                    time.sleep(fault.stall)
                return self._fault_response(fault)
            return _json(result)

        return serve

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._faults_lock:
            for fault in self._faults:
                if fault.hits < fault.times and fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    @staticmethod
    def _fault_response(fault: Fault) -> Response:
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
        return _error(fault.status, "Injected fault", "INJECTED", headers)

    def _put_product(self, request: Request, store_id: int) -> Any:
        self.state.update_product(store_id, request.params["pid"], _body(request))
        return {"updateCount": 1}

    def _delete_product(self, request: Request, store_id: int) -> Any:
        self.state.delete_product(store_id, request.params["pid"])
        return {"deleteCount": 1}

    def _put_combination(self, request: Request, store_id: int) -> Any:
        self.state.update_combination(store_id, request.params["pid"], request.params["cid"], _body(request))
        return {"updateCount": 1}

    def _delete_combination(self, request: Request, store_id: int) -> Any:
        self.state.delete_combination(store_id, request.params["pid"], request.params["cid"])
        return {"deleteCount": 1}

    def _image(self, request: Request) -> Response:
        match = re.fullmatch(r"(\d+)\.png", request.params["name"])
        if match is None:
            return _error(404, "Image not found", "NOT_FOUND")
        image = self.state.image(int(request.params["store"]), int(match.group(1)))
        png = render_png(image["width"], image["height"], tuple(image["color"]), f"#{match.group(1)}")
        return Response(200, png, {"content-type": "image/png", "cache-control": "max-age=86400"})

    # OAuth ------------------------------------------------------------------------------------

    def _authorize_params(self, values: dict[str, str]) -> tuple[int, str, frozenset[str]]:
        if values.get("client_id") != self.client_id:
            raise ApiError(400, "Unknown client_id", "invalid_client")
        if values.get("response_type") != "code":
            raise ApiError(400, "response_type must be code", "unsupported_response_type")
        redirect_uri = values.get("redirect_uri") or ""
        if not redirect_uri.startswith(("http://", "https://")):
            raise ApiError(400, "redirect_uri is required", "invalid_request")
        scopes = frozenset((values.get("scope") or "").split())
        if not scopes:
            raise ApiError(400, "scope is required", "invalid_scope")
        if not scopes <= self.state.app_scopes:
            raise ApiError(400, "The app is not registered for these scopes", "invalid_scope")
        store_id = int(values.get("store_id") or self.default_store_id or self.create_store())
        self.state.store(store_id)
        return store_id, redirect_uri, scopes

    def _authorize(self, request: Request) -> Response:
        values = _args(request)
        try:
            store_id, redirect_uri, scopes = self._authorize_params(values)
        except ApiError as exc:
            return html_response(f"<h1>Cannot install the app</h1><p>{html.escape(exc.message)}</p>", exc.status)
        if self.auto_approve:
            return self._approve(store_id, redirect_uri, scopes, values.get("state"))
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in values.items()
        )
        store = self.state.store(store_id)
        return html_response(
            f"<html><body><h1>Install the app in {html.escape(store.name)}?</h1>"
            f"<p>It asks for: {html.escape(', '.join(sorted(scopes)))}</p>"
            f'<form method="post" action="/api/oauth/authorize">{hidden}'
            '<button name="decision" value="approve">Approve</button>'
            '<button name="decision" value="deny">Deny</button></form></body></html>'
        )

    def _authorize_decision(self, request: Request) -> Response:
        values = request.form()
        try:
            store_id, redirect_uri, scopes = self._authorize_params(values)
        except ApiError as exc:
            return html_response(f"<h1>Cannot install the app</h1><p>{html.escape(exc.message)}</p>", exc.status)
        if values.get("decision") != "approve":
            params = {"error": "access_denied"}
            if values.get("state"):
                params["state"] = values["state"]
            return redirect(self.state.authorize_redirect(redirect_uri, params))
        return self._approve(store_id, redirect_uri, scopes, values.get("state"))

    def _approve(self, store_id: int, redirect_uri: str, scopes: frozenset[str], state: str | None) -> Response:
        code = self.state.new_code(store_id, redirect_uri, scopes)
        params = {"code": code}
        if state:
            params["state"] = state
        return redirect(self.state.authorize_redirect(redirect_uri, params))

    def _token(self, request: Request) -> Response:
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _json({"error": "invalid_request", "error_description": "form-encoded body required"}, 400)
        try:
            return _json(self.state.exchange_code(request.form()))
        except ApiError as exc:
            return _json({"error": exc.code, "error_description": exc.message}, exc.status)

    # admin ------------------------------------------------------------------------------------

    def _admin(self, handler: Callable[[Request], Any]) -> Callable[[Request], Response]:
        def serve(request: Request) -> Response:
            try:
                return _json(handler(request))
            except AdminInputError as exc:
                return _error(400, f"Bad admin request: {exc.field} {exc.reason}", "BAD_ADMIN_REQUEST")
            except KeyError as exc:
                return _error(400, f"Bad admin request: {exc.args[0]} is required or unknown", "BAD_ADMIN_REQUEST")
            except ApiError as exc:
                return _error(400 if exc.status >= 500 else exc.status, exc.message, exc.code)
            except Exception:  # the admin API never answers 500 nor shows interpreter text
                return _error(400, "Bad admin request: a field has a value the sandbox cannot use", "BAD_ADMIN_REQUEST")

        return serve

    def _admin_token(self, request: Request) -> Any:
        return {"token": self.issue_token(_sid(request), _body(request).get("scopes"))}

    def _admin_category(self, request: Request) -> Any:
        body = _body(request)
        return {"id": self.add_category(_sid(request), body["name"], int(body.get("parentId") or 0))}

    def _admin_rate_limit(self, request: Request) -> Any:
        body = only(_body(request), {"requestsPerMinute", "windowSeconds"})
        self.set_rate_limit(whole(body, "requestsPerMinute"), seconds(body, "windowSeconds", 60.0))
        return {"ok": True}

    def _admin_outage(self, request: Request) -> Any:
        """``{"seconds": n}`` starts an outage (``null``: until ended), ``{"end": true}`` ends it."""
        body = only(_body(request), {"seconds", "end"})
        if flag(body, "end"):
            self.end_outage()
        else:
            self.start_outage(seconds(body, "seconds", None))
        return {"ok": True}

    def _admin_clock(self, request: Request) -> Any:
        self.advance_clock(float(_body(request).get("advance", 0)))
        return {"now": self.state.now()}

    def _admin_create_store(self, request: Request) -> Any:
        body = _body(request)
        store_id = self.create_store(
            body.get("name", "Sandbox Store"),
            currency=body.get("currency", "USD"),
            weight_unit=body.get("weightUnit", "KILOGRAM"),
            dimensions_unit=body.get("dimensionsUnit", "CM"),
            store_id=body.get("storeId"),
        )
        return {"storeId": store_id}

    def _admin_seed(self, request: Request) -> Any:
        body = _body(request)
        seeded = self.seed_catalog(int(request.params["store"]), int(body.get("n", 20)), body.get("seed"))
        return {
            "products": [
                {
                    "index": s.index,
                    "productId": s.product_id,
                    "flaws": list(s.flaws),
                    "combinationIds": list(s.combination_ids),
                }
                for s in seeded
            ]
        }

    def _admin_stock(self, request: Request) -> Any:
        combination = request.arg("combinationId")
        quantity = self.stock(
            int(request.params["store"]),
            int(request.params["pid"]),
            int(combination) if combination else None,
        )
        return {"quantity": quantity, "unlimited": quantity is None}

    def _admin_webhooks(self, request: Request) -> Any:
        body = _body(request)
        if "url" in body:
            self.set_webhook_url(body["url"])
        if "timeScale" in body:
            self.webhooks.time_scale = float(body["timeScale"])
        names = {
            "duplicate": "duplicate",
            "loss": "loss",
            "delay": "delay",
            "reorder": "reorder",
            "reorderWait": "reorder_wait",
            "badSignature": "bad_signature",
        }
        faults = self.set_webhook_faults(**{names[k]: v for k, v in body.items() if k in names})
        return {"url": self.webhooks.url, "faults": asdict(faults)}

    def _admin_webhook_log(self, request: Request) -> Any:
        return {
            "emitted": self.webhooks.emitted,
            "lost": self.webhooks.lost,
            "pending": self.webhooks.pending(),
            "deliveries": [asdict(r) for r in self.webhooks.records],
        }

    def _admin_requests(self, request: Request) -> Any:
        found = self.requests(request.arg("method"), request.arg("path"), int(request.arg("status") or 0) or None)
        return {"count": len(found), "requests": [asdict(r) for r in found]}

    def _admin_oauth(self, request: Request) -> Any:
        body = _body(request)
        if "autoApprove" in body:
            self.auto_approve = bool(body["autoApprove"])
        if "defaultStoreId" in body:
            self.default_store_id = int(body["defaultStoreId"])
        return {"autoApprove": self.auto_approve, "defaultStoreId": self.default_store_id}


def _sid(request: Request) -> int:
    return int(request.params["store"])


_FAULT_FIELDS = {"method", "path", "status", "times", "delay", "retryAfter", "after", "stall"}


def _fault_args(raw: Any) -> dict[str, Any]:
    """The admin API's fault, checked field by field (a bad value is a 400 naming the field)."""
    body = only(raw, _FAULT_FIELDS)
    return {
        "method": text(body, "method", choices=("GET", "POST", "PUT", "DELETE", "get", "post", "put", "delete")),
        "path": pattern(body, "path"),
        "status": whole(body, "status", 500, low=400, high=599),
        "times": whole(body, "times", 1, low=1),
        "delay": seconds(body, "delay", 0.0),
        "retry_after": whole(body, "retryAfter", None),
        "after": flag(body, "after"),
        "stall": seconds(body, "stall", 0.0),
    }


def _plain_fault(fault: Fault) -> dict[str, Any]:
    return asdict(fault)
