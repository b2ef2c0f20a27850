"""The sandbox Shopify: a real HTTP server on 127.0.0.1 that behaves like Shopify's Admin side.

Every shop lives under ``/store/{shop}`` (``SHOPIFY_SHOP_BASE=<url>/store/{shop}``), so the paths
below it are Shopify's own:

- ``GET /admin/oauth/authorize``: the consent page (or, with ``auto_approve``, the redirect at
  once) back to ``redirect_uri`` with ``code``, ``hmac``, ``host``, ``shop``, ``state`` and
  ``timestamp``, signed with the app's secret as Shopify signs it.
- ``POST /admin/oauth/access_token``: the code exchange (``expiring=1`` gives a 60-minute
  offline token with a refresh token) and ``grant_type=refresh_token`` (rotation: the old
  refresh token works until the new access token is first used).
- ``POST /admin/api/{version}/graphql.json``: the GraphQL Admin API slice of
  :mod:`local.sandbox_shopify.schema`, with ``X-Shopify-Access-Token``, scopes, Shopify's error
  shapes, query cost accounting in a leaky bucket per shop (``extensions.cost``) and THROTTLED
  answers, and injectable faults.
- ``GET /admin/apps/{handle}``: the shop admin's page of the app, framing the app's URL signed as
  Shopify loads an embedded app (:mod:`local.sandbox_shopify.apps`).
- ``GET /cdn/{file}.png``: product pictures, rendered at their generated size.
- ``/_admin/...``: JSON endpoints mirroring the test controls below (:mod:`local.sandbox_shopify.admin`).
- Faults (:meth:`ShopifySandbox.add_fault`): fail before applying, apply then lose the answer,
  stall then apply late (optionally for one operation only); an outage window
  (:meth:`ShopifySandbox.start_outage`); THROTTLED answers for named operations
  (:meth:`ShopifySandbox.throttle_operation`).
- Signed webhooks to the subscribed URLs (see :mod:`local.sandbox_shopify.webhooks`), sent when a
  test changes the shop through this class (product update or deletion, stock, uninstall, the
  privacy requests).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from local.httpkit import Request, Response, Router, Server, html_response, json_response, redirect
from local.sandbox_ecwid.images import render_png
from local.sandbox_shopify.access import Request as ApiRequest
from local.sandbox_shopify.admin import SandboxAdmin
from local.sandbox_shopify.apps import AppsPage
from local.sandbox_shopify.catalog import GeneratedProduct, generate_catalog
from local.sandbox_shopify.schema import ENGINE
from local.sandbox_shopify.state import SandboxState, stamp
from local.sandbox_shopify.webhooks import ShopifyWebhookDispatcher

SUPPORTED_VERSIONS = ("2025-10", "2026-01", "2026-04", "2026-07", "2026-10")
KNOWN_SCOPES = frozenset(
    f"{verb}_{thing}"
    for verb in ("read", "write")
    for thing in ("products", "inventory", "orders", "merchant_managed_fulfillment_orders", "locations",
                  "customers", "fulfillments")
)
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
SEED_EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
WEBHOOK_API_VERSION = "2026-07"
#: The mandatory privacy (compliance) topics: delivered whether or not the app is still installed.
PRIVACY_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})


@dataclass
class Fault:
    """Answer the next ``times`` GraphQL calls (of the operations ``operation`` matches, a regular
    expression searched in the operation name; any when ``None``) with ``status``.

    ``delay_s`` sleeps first. Without ``after`` the call is not applied (the fault answers
    instead). With ``after`` the call is applied, then ``stall_s`` passes, then ``status`` is
    answered: the change is made and its answer lost (a client timeout shorter than the stall
    loses it too); ``status`` 200 answers the real result, late."""

    status: int = 503
    times: int = 1
    delay_s: float = 0.0
    after: bool = False
    stall_s: float = 0.0
    operation: str | None = None
    hits: int = 0

    def matches(self, operation: str) -> bool:
        return self.hits < self.times and (self.operation is None or re.search(self.operation, operation) is not None)


@dataclass
class Served:
    """One GraphQL request as the sandbox answered it (for tests)."""

    shop: str
    operation: str
    status: int
    codes: tuple[str, ...]
    requested_cost: int
    at: float


def sign_query(secret: str, params: dict[str, str]) -> str:
    """Shopify's ``hmac`` of a redirect: hex HMAC-SHA256 of the sorted ``key=value`` pairs."""
    pairs = sorted(
        f"{k.replace('%', '%25').replace('&', '%26').replace('=', '%3D')}={v.replace('%', '%25').replace('&', '%26')}"
        for k, v in params.items() if k not in ("hmac", "signature")
    )
    return hmac.new(secret.encode(), "&".join(pairs).encode(), hashlib.sha256).hexdigest()


class ShopifySandbox:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        port: int = 0,
        seed: int = 0,
        cost_maximum: float = 2000.0,
        restore_rate: float = 100.0,
        time_scale: float = 1.0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.seed = seed
        self.state = SandboxState(cost_maximum=cost_maximum, restore_rate=restore_rate)
        self.auto_approve = True
        self.served: list[Served] = []
        self._served_lock = threading.Lock()
        self._faults: list[Fault] = []
        self._faults_lock = threading.Lock()
        self._outage_until: float | None = None
        self._forced_throttles: dict[str, list[list[Any]]] = {}
        """shop -> [[operation pattern, answers left]]: THROTTLED whatever the bucket holds."""
        self._images: dict[str, tuple[int, int, tuple[int, int, int]]] = {}
        self.webhooks = ShopifyWebhookDispatcher(client_secret, api_version=WEBHOOK_API_VERSION,
                                                 time_scale=time_scale, seed=seed)
        self.state.listener = self.webhooks.emit  # API writes send their webhooks
        router = Router()
        router.add("GET", "/store/{shop}/admin/oauth/authorize", self._authorize)
        router.add("GET", "/store/{shop}/admin/oauth/authorize/approve", self._approve)
        router.add("POST", "/store/{shop}/admin/oauth/access_token", self._access_token)
        router.add("POST", "/store/{shop}/admin/api/{version}/graphql.json", self._graphql)
        router.add("GET", "/cdn/{file}", self._image)
        router.add("GET", "/bulk/{file}", self._bulk_file)
        SandboxAdmin(self).register(router)
        self.apps = AppsPage(self)
        self.apps.register(router)
        self._server = Server(router, port=port, name="sandbox-shopify")

    # -- lifecycle and test controls -------------------------------------------------------------

    def start(self) -> ShopifySandbox:
        self._server.start()
        self.webhooks.start()
        return self

    def stop(self) -> None:
        self.webhooks.stop()
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def shop_base(self) -> str:
        """The value of ``SHOPIFY_SHOP_BASE`` that points the adapter here."""
        return f"{self.url}/store/{{shop}}"

    def create_shop(self, domain: str, name: str | None = None, **settings: Any) -> str:
        self.state.create_shop(domain, name, **settings)
        return domain

    def issue_token(self, domain: str, scopes: tuple[str, ...] = ("read_products",), *,
                    expiring: bool = True) -> tuple[str, str | None]:
        return self.state.issue_token(domain, scopes, expiring=expiring)

    def seed_catalog(self, domain: str, n: int, seed: int | None = None) -> list[tuple[str, GeneratedProduct]]:
        """``n`` generated products (ids assigned); three products share each update second."""
        catalog = generate_catalog(n, self.seed if seed is None else seed, image_base=f"{self.url}/cdn")
        seeded = []
        for index, generated in enumerate(catalog):
            for name, width, height, colour in generated.images:
                self._images[f"{name}.png"] = (width, height, colour)
            product = self.state.add_product(domain, generated.spec,
                                             updated_at=SEED_EPOCH + timedelta(seconds=index // 3))
            seeded.append((product["id"], generated))
        return seeded

    def set_cost_limits(self, maximum: float, restore_rate: float) -> None:
        self.state.set_cost_limits(maximum, restore_rate)

    def drain_bucket(self, domain: str, *, throttle_next: int = 0) -> None:
        """Spend the shop's whole cost bucket: the next calls are THROTTLED until it refills (and
        the next ``throttle_next`` priced calls whatever it holds, so a test need not race the
        refill)."""
        bucket = self.state.buckets[domain]
        bucket.drain()
        bucket.forced = throttle_next

    def throttled_answers(self, domain: str) -> int:
        return self.state.buckets[domain].throttled

    def throttle_operation(self, domain: str, operation: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of the operations ``operation`` matches (a regular
        expression searched in the operation name) THROTTLED, whatever the bucket holds."""
        re.compile(operation)
        with self._faults_lock:
            self._forced_throttles.setdefault(domain, []).append([operation, times])

    def _forced_throttle(self, domain: str, operation: str) -> bool:
        with self._faults_lock:
            for entry in self._forced_throttles.get(domain, []):
                if entry[1] > 0 and re.search(entry[0], operation):
                    entry[1] -= 1
                    self.state.buckets[domain].count_throttled()
                    return True
        return False

    def add_fault(self, status: int = 503, times: int = 1, delay_s: float = 0.0, *, after: bool = False,
                  stall_s: float = 0.0, operation: str | None = None) -> Fault:
        fault = Fault(status, times, delay_s, after, stall_s, operation)
        with self._faults_lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._faults_lock:
            self._faults.clear()
            self._forced_throttles.clear()
        self._outage_until = None
        self.state.search_lag_s = 0.0

    def set_search_lag(self, seconds: float) -> None:
        """New orders stay out of order searches for ``seconds`` (as Shopify's index trails writes)."""
        self.state.search_lag_s = max(0.0, seconds)

    def start_outage(self, seconds: float | None = None) -> None:
        """Every GraphQL call answers 503 for ``seconds`` (``None``: until :meth:`end_outage`)."""
        self._outage_until = time.monotonic() + (seconds if seconds is not None else 10.0**9)

    def end_outage(self) -> None:
        self._outage_until = None

    # -- locations, stock, orders and collections (for tests and the admin API) ------------------

    def add_location(self, domain: str, name: str) -> str:
        return str(self.state.add_location(domain, name)["id"])

    def locations(self, domain: str) -> list[dict[str, Any]]:
        shop = self._shop(domain)
        with shop.lock:
            return [dict(location, primary=index == 0) for index, location in enumerate(shop.locations.values())]

    def stock_level(self, domain: str, item_gid: str, location_gid: str | None = None) -> dict[str, int] | None:
        """``{"available", "committed", "on_hand"}`` of an item at a location (the primary one by
        default), or ``None`` when the item is not stocked there."""
        shop = self._shop(domain)
        with shop.lock:
            level = shop.level(item_gid, location_gid or shop.primary_location)
            return None if level is None else {**level, "on_hand": level["available"] + level["committed"]}

    def stock_at(self, domain: str, item_gid: str, location_gid: str, available: int) -> None:
        """Stock an item at a location with ``available`` units (no webhook)."""
        shop = self._shop(domain)
        with shop.lock:
            level = shop.level(item_gid, location_gid) or {"available": 0}
            shop.move_stock(item_gid, location_gid, available=available - level["available"], notify=False)

    def orders(self, domain: str) -> list[dict[str, Any]]:
        shop = self._shop(domain)
        with shop.lock:
            return [{k: v for k, v in order.items() if not k.startswith("_")} for order in shop.orders.values()]

    def add_collection(self, domain: str, title: str, product_gids: list[str]) -> str:
        return str(self.state.add_collection(domain, title, product_gids)["id"])

    def _shop(self, domain: str) -> Any:
        shop = self.state.shop(domain)
        if shop is None:
            raise KeyError(domain)
        return shop

    def served_for(self, domain: str) -> list[Served]:
        with self._served_lock:
            return [s for s in self.served if s.shop == domain]

    # -- changes that send webhooks ------------------------------------------------------------

    def subscribe(self, domain: str, topic: str, url: str) -> None:
        self.webhooks.subscribe(domain, topic, url)

    def create_product(self, domain: str, spec: dict[str, Any]) -> dict[str, Any]:
        """A merchant's new product (a spec as ``state.add_product`` takes it) and its
        ``products/create`` delivery; the product with its ids."""
        product = self.state.add_product(domain, spec)
        self.webhooks.emit(domain, "products/create", _rest_product(product))
        return product

    def update_product(self, domain: str, product_gid: str, changes: dict[str, Any]) -> list[str]:
        product = self.state.touch_product(domain, product_gid, changes)
        return self.webhooks.emit(domain, "products/update", _rest_product(product))

    def delete_product(self, domain: str, product_gid: str) -> list[str]:
        self.state.delete_product(domain, product_gid)
        return self.webhooks.emit(domain, "products/delete", {"id": _number(product_gid)})

    def set_available(self, domain: str, variant_gid: str, available: int) -> list[str]:
        """A merchant's stock change: the variant's count and an ``inventory_levels/update``."""
        shop = self.state.shop(domain)
        assert shop is not None
        with shop.lock:
            variant = next(v for p in shop.products.values() for v in p["variants"] if v["id"] == variant_gid)
            item_id = variant["inventoryItem"]["id"]
            location = shop.primary_location
            level = shop.level(item_id, location) or {"available": 0}
            shop.move_stock(item_id, location, available=available - level["available"], notify=False)
        return self.webhooks.emit(domain, "inventory_levels/update", {
            "inventory_item_id": _number(item_id), "location_id": _number(location), "available": available,
            "updated_at": stamp(self.state.now()),
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{_number(item_id)}?inventory_item_id="
                                    f"{_number(item_id)}"})

    def uninstall(self, domain: str) -> list[str]:
        """The merchant removes the app: tokens die, ``app/uninstalled`` goes out."""
        shop = self.state.shop(domain)
        assert shop is not None
        self.state.revoke_shop_tokens(domain)
        ids = self.webhooks.emit(domain, "app/uninstalled", {"id": shop.number, "name": shop.name, "domain": domain,
                                                              "myshopify_domain": domain})
        # The privacy topics keep coming after an uninstall (shop/redact is sent 48 hours later).
        self.webhooks.unsubscribe_all(domain, keep=PRIVACY_TOPICS)
        return ids

    def request_customer_data(self, domain: str, customer_id: int, order_ids: list[int]) -> list[str]:
        shop = self.state.shop(domain)
        assert shop is not None
        return self.webhooks.emit(domain, "customers/data_request", {
            "shop_id": shop.number, "shop_domain": domain, "orders_requested": order_ids,
            "customer": {"id": customer_id, "email": f"buyer{customer_id}@example.com", "phone": "555-0100"},
            "data_request": {"id": self.state.next_id()}})

    def redact_customer(self, domain: str, customer_id: int, order_ids: list[int]) -> list[str]:
        shop = self.state.shop(domain)
        assert shop is not None
        return self.webhooks.emit(domain, "customers/redact", {
            "shop_id": shop.number, "shop_domain": domain,
            "customer": {"id": customer_id, "email": f"buyer{customer_id}@example.com", "phone": "555-0100"},
            "orders_to_redact": order_ids})

    def redact_shop(self, domain: str) -> list[str]:
        shop = self.state.shop(domain)
        assert shop is not None
        return self.webhooks.emit(domain, "shop/redact", {"shop_id": shop.number, "shop_domain": domain})

    # -- OAuth -----------------------------------------------------------------------------------

    def _authorize(self, request: Request) -> Response:
        domain = request.params["shop"]
        if self.state.shop(domain) is None:
            return html_response("<h1>There's no store at this address.</h1>", 404)
        problem = self._authorize_problem(request)
        if problem:
            return html_response(f"<h1>Oauth error</h1><p>{html.escape(problem)}</p>", 400)
        if self.auto_approve:
            return self._redirect_back(request)
        approve = f"/store/{domain}/admin/oauth/authorize/approve?{request.raw_query}"
        scopes = html.escape((request.arg("scope") or "").replace(",", ", "))
        return html_response(
            f"<h1>Install app</h1><p>{html.escape(domain)}: the app asks for {scopes}.</p>"
            f'<a id="install" href="{html.escape(approve)}">Install</a> <a id="cancel" href="/">Cancel</a>'
        )

    def _approve(self, request: Request) -> Response:
        if self.state.shop(request.params["shop"]) is None:
            return html_response("<h1>There's no store at this address.</h1>", 404)
        problem = self._authorize_problem(request)
        if problem:
            return html_response(f"<h1>Oauth error</h1><p>{html.escape(problem)}</p>", 400)
        return self._redirect_back(request)

    def _authorize_problem(self, request: Request) -> str | None:
        if request.arg("client_id") != self.client_id:
            return "Invalid client_id"
        uri = request.arg("redirect_uri") or ""
        if not re.match(r"https?://", uri):
            return "The redirect_uri is missing or not a URL"
        scopes = [s for s in (request.arg("scope") or "").split(",") if s]
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if not scopes or unknown:
            return f"Invalid scope: {', '.join(unknown) or '(none)'}"
        return None

    def _redirect_back(self, request: Request) -> Response:
        domain = request.params["shop"]
        scopes = tuple(s for s in (request.arg("scope") or "").split(",") if s)
        params = {
            "code": self.state.issue_code(domain, scopes),
            "host": base64.b64encode(f"admin.shopify.com/store/{domain.split('.')[0]}".encode()).decode(),
            "shop": domain,
            "timestamp": str(int(time.time())),
        }
        if request.arg("state") is not None:
            params["state"] = request.arg("state") or ""
        params["hmac"] = sign_query(self.client_secret, params)
        uri = request.arg("redirect_uri") or ""
        return redirect(f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}")

    def _access_token(self, request: Request) -> Response:
        domain = request.params["shop"]
        if self.state.shop(domain) is None:
            return json_response({"errors": "Not Found"}, 404)
        form = self._form(request)
        if form.get("client_id") != self.client_id or not hmac.compare_digest(
                (form.get("client_secret") or "").encode(), self.client_secret.encode()):
            return json_response({"error": "invalid_client", "error_description": "Client credentials are invalid"},
                                 401)
        if form.get("grant_type") == "refresh_token":
            found = self.state.use_refresh(form.get("refresh_token") or "")
            if found is None or found.shop != domain:
                return json_response({"error": "invalid_grant",
                                      "error_description": "The refresh token is invalid or expired"}, 400)
            access, refresh = self.state.issue_token(domain, found.scopes, expiring=True,
                                                     replaces_refresh=form.get("refresh_token"))
            return self._token_answer(access, refresh, found.scopes)
        code = self.state.redeem_code(domain, form.get("code") or "")
        if code is None:
            return json_response({"error": "invalid_request",
                                  "error_description": "The authorization code was not found or was already used"},
                                 400)
        expiring = form.get("expiring") in ("1", "true")
        access, refresh = self.state.issue_token(domain, code.scopes, expiring=expiring)
        return self._token_answer(access, refresh, code.scopes)

    def _token_answer(self, access: str, refresh: str | None, scopes: tuple[str, ...]) -> Response:
        body: dict[str, Any] = {"access_token": access, "scope": ",".join(scopes)}
        if refresh is not None:
            body.update(expires_in=int(self.state.token_ttl_s), refresh_token=refresh,
                        refresh_token_expires_in=int(self.state.refresh_ttl_s))
        return json_response(body)

    @staticmethod
    def _form(request: Request) -> dict[str, str]:
        values: dict[str, str] = {k: v[0] for k, v in request.query.items()}
        content_type = request.header("content-type") or ""
        if "json" in content_type:
            try:
                body = request.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                values.update({k: str(v) for k, v in body.items() if v is not None})
        elif request.body:
            values.update({k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()})
        return values

    # -- the GraphQL Admin API ---------------------------------------------------------------------

    def _graphql(self, request: Request) -> Response:
        domain, version = request.params["shop"], request.params["version"]
        shop = self.state.shop(domain)
        if shop is None or version not in SUPPORTED_VERSIONS:
            return json_response({"errors": "Not Found"}, 404)
        if self._outage_until is not None and time.monotonic() < self._outage_until:
            self._record(domain, "outage", 503, (), 0)
            return json_response({"errors": "Service Unavailable"}, 503)
        try:
            body = request.json()
        except ValueError:
            body = None
        query = body.get("query") if isinstance(body, dict) else None
        found = re.match(r"\s*(?:query|mutation)\s+(\w+)", query) if isinstance(query, str) else None
        name = found.group(1) if found else "anonymous"
        fault = self._take_fault(name)
        if fault is not None:
            if fault.delay_s:
                time.sleep(fault.delay_s)
            if not fault.after:
                self._record(domain, "fault", fault.status, (), 0)
                return _fault_answer(fault.status)
        token = self.state.authenticate(domain, request.header("x-shopify-access-token"))
        if token is None:
            self._record(domain, "unauthorized", 401, (), 0)
            return json_response({"errors": INVALID_TOKEN}, 401)
        if not isinstance(body, dict) or not isinstance(query, str):
            self._record(domain, "bad_request", 400, (), 0)
            return json_response({"errors": {"query": "Required parameter missing or invalid"}}, 400)
        variables = body.get("variables") if isinstance(body.get("variables"), dict) else {}
        operation = body.get("operationName") if isinstance(body.get("operationName"), str) else None
        bucket = self.state.buckets[domain]
        context = ApiRequest(shop, token.scopes, sandbox=self.state, base_url=self.url, version=version)
        outcome = ENGINE.run(query, variables, operation, context,
                             charge=lambda cost: not self._forced_throttle(domain, name) and bucket.take(cost))
        codes = tuple(str(e.get("extensions", {}).get("code")) for e in outcome.errors if e.get("extensions"))
        answer: dict[str, Any] = {}
        if outcome.errors:
            answer["errors"] = outcome.errors
        if outcome.data is not None:
            answer["data"] = outcome.data
        if outcome.requested_cost:
            charged = not ({"THROTTLED", "MAX_COST_EXCEEDED"} & set(codes))
            if charged:
                bucket.refund(outcome.requested_cost - outcome.actual_cost)
            answer["extensions"] = {"cost": {
                "requestedQueryCost": outcome.requested_cost,
                "actualQueryCost": outcome.actual_cost if charged else None,
                "throttleStatus": bucket.status(),
            }}
            if outcome.warnings:
                answer["extensions"]["search"] = [{"path": ["products"], "warnings": outcome.warnings}]
        if fault is not None:  # applied; now the answer is lost (or late)
            if fault.stall_s:
                time.sleep(fault.stall_s)
            if fault.status != 200:
                self._record(domain, name, fault.status, ("fault_after_apply",), outcome.requested_cost)
                return _fault_answer(fault.status)
        self._record(domain, name, 200, codes, outcome.requested_cost)
        return json_response(answer, headers={"x-shopify-api-version": version})

    def _take_fault(self, operation: str) -> Fault | None:
        with self._faults_lock:
            for fault in self._faults:
                if fault.matches(operation):
                    fault.hits += 1
                    return fault
            return None

    def _record(self, domain: str, operation: str, status: int, codes: tuple[str, ...], cost: int) -> None:
        with self._served_lock:
            self.served.append(Served(domain, operation, status, codes, cost, time.monotonic()))

    def _bulk_file(self, request: Request) -> Response:
        """A bulk operation's result (a signed storage URL on Shopify: no token is needed)."""
        body = self.state.bulk_files.get(request.params["file"])
        if body is None:
            return json_response({"errors": "Not Found"}, 404)
        return Response(200, body, {"content-type": "application/jsonl"})

    # -- pictures ----------------------------------------------------------------------------------

    def _image(self, request: Request) -> Response:
        found = self._images.get(request.params["file"])
        if found is None:
            return json_response({"errors": "Not Found"}, 404)
        width, height, colour = found
        return Response(200, render_png(width, height, colour), {"content-type": "image/png"})


def _fault_answer(status: int) -> Response:
    return json_response({"errors": "Internal error. Looks like something went wrong on our end."}, status)


def _number(gid: str) -> int:
    return int(gid.rsplit("/", 1)[-1])


def _rest_product(product: dict[str, Any]) -> dict[str, Any]:
    """A product as webhooks carry it (the REST shape, numeric ids)."""
    return {
        "id": _number(product["id"]),
        "admin_graphql_api_id": product["id"],
        "title": product["title"],
        "body_html": product.get("descriptionHtml"),
        "vendor": product.get("vendor"),
        "product_type": product.get("productType"),
        "status": str(product.get("status", "")).lower(),
        "updated_at": product["updatedAt"],
        "variants": [
            {"id": _number(v["id"]), "product_id": _number(product["id"]), "sku": v.get("sku"),
             "price": v.get("price"), "barcode": v.get("barcode"), "inventory_quantity": v.get("inventoryQuantity"),
             "inventory_item_id": _number(v["inventoryItem"]["id"])}
            for v in product["variants"]
        ],
    }
