"""``TikTokSandbox``: a TikTok Shop on 127.0.0.1 for tests and the demo.

    sandbox = TikTokSandbox("app-key", "app-secret", webhook_url=..., time_scale=0.001).start()
    seller = sandbox.create_seller(region="US")
    tokens = sandbox.issue_tokens(seller["id"])           # or the OAuth page + token/get
    ... point TikTokClient at sandbox.url / sandbox.auth_url / sandbox.authorize_url ...
    sandbox.stop()

Every Python method used to drive it has an admin endpoint under ``/_admin/`` (JSON), so the
demo and other processes can do the same over HTTP.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import asdict
from typing import Any

from local.admin_input import AdminInputError, flag, only, seconds, text, whole
from local.httpkit import Request, Response, Server, json_response
from local.sandbox_tiktok import codes as c
from local.sandbox_tiktok.auth import AUTH_PREFIX, AuthApi
from local.sandbox_tiktok.core import Config, Fault
from local.sandbox_tiktok.delivery import WebhookFaults
from local.sandbox_tiktok.orders import OrderApi
from local.sandbox_tiktok.products import ProductApi
from local.sandbox_tiktok.state import Seller, Shop, Warehouse

FAULT_KINDS = ("error", "timeout", "late", "rate_limit")


class TikTokSandbox(AuthApi, ProductApi, OrderApi):
    def __init__(
        self,
        app_key: str,
        app_secret: str,
        *,
        webhook_url: str | None = None,
        time_scale: float = 1.0,
        rate_limit_per_second: float = 50,
        seed: int = 0,
        redirect_url: str | None = None,
        port: int = 0,
    ) -> None:
        super().__init__(
            app_key,
            app_secret,
            webhook_url=webhook_url,
            time_scale=time_scale,
            rate_limit_per_second=rate_limit_per_second,
            seed=seed,
        )
        self.config.redirect_url = redirect_url
        self.register_auth()
        self.register_products()
        self.register_orders()
        self._register_admin()
        self._server = Server(self._dispatch, port=port, name="tiktok-sandbox")
        self.base_url = self._server.url
        self._defaults = (webhook_url, time_scale, rate_limit_per_second, redirect_url)

    def _dispatch(self, request: Request) -> Response:
        """Route a request; a path (or method) TikTok does not serve gets TikTok's envelope with
        36009009 (HTTP 404, or 405 for a known path with another method)."""
        found = self.router.match(request.method, request.path)
        if found is not None:
            handler, params = found
            request.params = params
            response = handler(request)
            if response.status != 405:  # only the router answers 405: a known path, another method
                return response
        request_id = time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()
        status = 404 if found is None else 405
        message = f"Invalid path: {request.method} {request.path} is not an API of this version"
        return self.envelope(c.INVALID_PATH, message, request_id, None, status=status)

    def reset_behaviour(self) -> None:
        """Back to the constructor's settings: no faults, default limits, scales and review
        outcome (state - sellers, products, orders - is kept). Tests call it between cases."""
        webhook_url, time_scale, rate, redirect_url = self._defaults
        self.clear_faults()
        self.end_outage()
        self.set_webhook_faults()
        self.webhooks.url = webhook_url
        self.config = Config(time_scale=time_scale, redirect_url=redirect_url)
        self.set_rate_limit(rate)
        with self.state.lock:
            self._review_outcomes.clear()

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> TikTokSandbox:
        self.scheduler.start()
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        self.scheduler.stop()
        self.webhooks.close()

    def __enter__(self) -> TikTokSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The Open API base (use as TIKTOK_API_BASE)."""
        return self.base_url

    @property
    def auth_url(self) -> str:
        """The token host base (use as TIKTOK_AUTH_BASE)."""
        return self.base_url + AUTH_PREFIX

    @property
    def authorize_url(self) -> str:
        """The seller authorization link, as copied from Partner Center (TIKTOK_AUTHORIZE_URL)."""
        return f"{self.base_url}/oauth/authorize?service_id={self.service_id}"

    # --- configuration --------------------------------------------------------------------------

    @property
    def time_scale(self) -> float:
        return self.config.time_scale

    @time_scale.setter
    def time_scale(self, value: float) -> None:
        self.config.time_scale = value

    def set_webhook_url(self, url: str | None) -> None:
        self.webhooks.url = url

    def set_redirect_url(self, url: str | None) -> None:
        self.config.redirect_url = url

    def set_rate_limit(self, per_second: float, path: str | None = None) -> None:
        """Requests/s per app + shop + API (``path``: one API's pattern; 0 turns limiting off)."""
        if path is None:
            self.config.rate_limit_per_second = per_second
        else:
            self.config.rate_limits[path] = per_second
        self.reset_rate_limits()

    def inject_fault(
        self,
        kind: str = "error",
        *,
        count: int = 1,
        path: str | None = None,
        status: int = 500,
        code: int | None = None,
        delay_s: float = 2.0,
        after: bool = False,
    ) -> None:
        """The next ``count`` API calls (whose path contains ``path``) fail: ``error`` (HTTP
        ``status`` with 36009003; ``after``: once the call is applied), ``timeout`` (stall
        ``delay_s`` then 504; ``after`` runs the handler first, so the work is done but the answer
        lost), ``late`` (stall ``delay_s``, then apply and answer: the call lands after the client
        gave up and after its later calls) or ``rate_limit`` (429). See :class:`Fault`."""
        args = _fault_args(
            {
                "kind": kind,
                "count": count,
                "path": path,
                "status": status,
                "code": code,
                "delay_s": delay_s,
                "after": after,
            }
        )
        code = args["code"]
        self.add_fault(
            Fault(
                args["kind"],
                args["count"],
                args["path"],
                args["status"],
                code if code is not None else c.INTERNAL_ERROR,
                args["delay_s"],
                args["after"],
            )
        )

    def set_search_lag(self, seconds: float) -> None:
        """Product and order search answer as of ``seconds`` ago: a new item shows up, and an
        edit shows, only once it is that old (0 turns the lag off)."""
        with self.state.lock:
            self.config.search_lag_s = _seconds_value("seconds", seconds)
            self.clear_search_index()

    def set_webhook_faults(self, *, drop: int = 0, duplicate: int = 0, delay_s: float = 0.0, reorder: int = 0) -> None:
        self.webhooks.faults = WebhookFaults(drop=drop, duplicate=duplicate, delay_s=delay_s, reorder=reorder)

    def deliveries(self, event_type: int | None = None) -> list[dict[str, Any]]:
        return [d.json() for d in self.webhooks.deliveries() if event_type is None or d.type == event_type]

    # --- sellers and shops ----------------------------------------------------------------------

    def create_seller(
        self,
        name: str = "Sandbox Seller",
        region: str = "US",
        *,
        shops: int | list[str] = 1,
    ) -> dict[str, Any]:
        """A seller with shops (each with a cipher, a default sales warehouse, a disabled
        second sales warehouse and a return warehouse). ``shops``: a count or region codes."""
        regions = [region] * shops if isinstance(shops, int) else list(shops)
        with self.state.lock:
            seller = Seller(self.state.new_id(69), name, region)
            self.state.sellers[seller.id] = seller
            for index, shop_region in enumerate(regions):
                shop_id = self.state.new_id(74)
                shop = Shop(
                    id=shop_id,
                    name=f"{name} {shop_region} #{index + 1}",
                    region=shop_region,
                    cipher="GCP_" + self.state.new_secret("")[:28],
                    seller_id=seller.id,
                    code=f"{shop_region}LC{shop_id[-6:]}",
                )
                shop.warehouses = [
                    Warehouse(self.state.new_id(73), "Main warehouse", is_default=True),
                    Warehouse(self.state.new_id(73), "Old warehouse", effect_status="DISABLED"),
                    Warehouse(self.state.new_id(73), "Returns", type="RETURN_WAREHOUSE", is_default=True),
                ]
                seller.shops.append(shop)
                self.state.shops[shop.id] = shop
            return self._seller_json(seller)

    def _seller_json(self, seller: Seller) -> dict[str, Any]:
        return {
            "id": seller.id,
            "name": seller.name,
            "region": seller.region,
            "granted_scopes": list(seller.granted_scopes),
            "shops": [
                {
                    **shop.json(),
                    "currency": shop.currency,
                    "category_version": shop.category_version,
                    "default_warehouse_id": shop.default_warehouse().id,
                    "warehouses": [w.json() for w in shop.warehouses],
                }
                for shop in seller.shops
            ],
        }

    def set_shop(
        self,
        shop_id: str,
        *,
        daily_listing_limit: int | None = None,
        onboarded: bool | None = None,
        has_shipping_template: bool | None = None,
        listed_today: int | None = None,
    ) -> None:
        with self.state.lock:
            shop = self.state.shops[shop_id]
            if daily_listing_limit is not None:
                shop.daily_listing_limit = daily_listing_limit
            if onboarded is not None:
                shop.onboarded = onboarded
            if has_shipping_template is not None:
                shop.has_shipping_template = has_shipping_template
            if listed_today is not None:
                shop.listed_today = listed_today

    def add_warehouse(self, shop_id: str, name: str) -> str:
        """Another enabled sales warehouse of a shop (not the default); its id."""
        with self.state.lock:
            warehouse = Warehouse(self.state.new_id(73), name)
            self.state.shops[shop_id].warehouses.append(warehouse)
            return warehouse.id

    # --- admin HTTP -----------------------------------------------------------------------------

    def _register_admin(self) -> None:
        a = "/_admin"
        routes: list[tuple[str, str, Any]] = [
            ("GET", "/health", lambda r: {"ok": True}),
            ("GET", "/state", self._admin_state),
            ("POST", "/sellers", lambda r: self.create_seller(**_body(r))),
            ("GET", "/sellers", lambda r: self._admin_sellers()),
            (
                "POST",
                "/sellers/{seller_id}/auth_code",
                lambda r: {"code": self.issue_auth_code(r.params["seller_id"])},
            ),
            ("POST", "/sellers/{seller_id}/tokens", lambda r: self.issue_tokens(r.params["seller_id"])),
            (
                "POST",
                "/sellers/{seller_id}/scopes",
                lambda r: self.set_scopes(r.params["seller_id"], _body(r)["scopes"]),
            ),
            ("POST", "/sellers/{seller_id}/deauthorize", lambda r: self.deauthorize(r.params["seller_id"])),
            (
                "POST",
                "/sellers/{seller_id}/authorization_expiring",
                lambda r: self.warn_authorization_expiry(r.params["seller_id"], _body(r).get("expiration_time")),
            ),
            (
                "POST",
                "/tokens/expire",
                lambda r: {"expired": self.expire_access_tokens(_body(r).get("seller_id"))},
            ),
            (
                "POST",
                "/tokens/expire_refresh",
                lambda r: {"expired": self.expire_refresh_tokens(_body(r).get("seller_id"))},
            ),
            ("POST", "/shops/{shop_id}", lambda r: self.set_shop(r.params["shop_id"], **_body(r))),
            ("POST", "/config", self._admin_config),
            ("GET", "/config", lambda r: asdict(self.config) | {"webhook_url": self.webhooks.url}),
            ("POST", "/faults", lambda r: self.inject_fault(**_fault_args(_body(r)))),
            ("GET", "/faults", lambda r: [f.json() for f in self.faults()]),
            ("DELETE", "/faults", lambda r: self.clear_faults()),
            ("POST", "/outage", self._admin_outage),
            ("DELETE", "/outage", lambda r: self.end_outage()),
            ("POST", "/search_lag", lambda r: self.set_search_lag(seconds(_body(r), "seconds"))),
            ("POST", "/reset", lambda r: self.reset_behaviour()),
            ("POST", "/webhook_faults", lambda r: self.set_webhook_faults(**_webhook_fault_args(_body(r)))),
            ("DELETE", "/webhook_faults", lambda r: self.set_webhook_faults()),
            ("GET", "/webhooks", lambda r: self.deliveries(int(r.arg("type") or 0) or None)),
            ("DELETE", "/webhooks", lambda r: self.webhooks.clear()),
            ("GET", "/requests", lambda r: self.requests(r.arg("path"), r.arg("pattern"))),
            ("DELETE", "/requests", lambda r: self.clear_requests()),
            ("GET", "/inventory_writes", lambda r: self.inventory_writes(r.arg("product_id"))),
            ("DELETE", "/inventory_writes", lambda r: self.clear_inventory_writes()),
            ("GET", "/products/{product_id}", lambda r: self.product(r.params["product_id"])),
            ("POST", "/products/{product_id}/review_now", lambda r: self.review_now(r.params["product_id"])),
            ("POST", "/review", lambda r: self.set_review_outcome(**_body(r))),
            ("POST", "/orders", lambda r: self.place_order(**_body(r))),
            ("GET", "/orders/{order_id}", lambda r: self.order(r.params["order_id"])),
            ("POST", "/orders/{order_id}/pay", lambda r: self.pay_order(r.params["order_id"])),
            ("POST", "/orders/{order_id}/release_hold", lambda r: self.release_hold(r.params["order_id"])),
            (
                "POST",
                "/orders/{order_id}/advance",
                lambda r: self.advance_order(r.params["order_id"], _body(r)["status"]),
            ),
            (
                "POST",
                "/orders/{order_id}/buyer_cancel",
                lambda r: self.buyer_cancel(r.params["order_id"], **_body(r)),
            ),
            (
                "POST",
                "/orders/{order_id}/return",
                lambda r: self.buyer_request_return(r.params["order_id"], **_body(r)),
            ),
            ("POST", "/orders/{order_id}/address", lambda r: self.change_address(r.params["order_id"])),
            (
                "POST",
                "/returns/{return_id}/buyer_ship",
                lambda r: self.buyer_ship_return(r.params["return_id"]),
            ),
            ("POST", "/returns/{return_id}/complete", lambda r: self.complete_return(r.params["return_id"])),
        ]
        for method, path, fn in routes:
            self.router.add(method, a + path, _admin(fn))

    def _admin_state(self, request: Request) -> dict[str, Any]:
        with self.state.lock:
            return {
                "sellers": len(self.state.sellers),
                "shops": len(self.state.shops),
                "products": len(self.state.products),
                "orders": len(self.state.orders),
                "webhooks": len(self.webhooks.deliveries()),
                "url": self.url,
                "auth_url": self.auth_url,
                "authorize_url": self.authorize_url,
                "time": int(time.time()),
            }

    def _admin_sellers(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [self._seller_json(s) for s in self.state.sellers.values()]

    def _admin_outage(self, request: Request) -> dict[str, Any]:
        """``{"seconds": n}`` starts an outage of n seconds; without it, until ``DELETE /outage``."""
        body = only(_body(request), {"seconds"})
        self.start_outage(seconds(body, "seconds", None))
        return {"ok": True}

    def _admin_config(self, request: Request) -> dict[str, Any]:
        body = only(_body(request), {*asdict(self.config), "webhook_url"})
        changes: dict[str, Any] = {}
        for key in body:
            if key in ("webhook_url", "redirect_url"):
                changes[key] = text(body, key)
            elif key == "rate_limits":
                limits = body[key]
                if not isinstance(limits, dict):
                    raise AdminInputError(key, "must be an object of API path to requests per second")
                changes[key] = {path: seconds(limits, path) for path in limits}
            elif key.endswith("_ttl_s"):
                changes[key] = whole(body, key, low=1)
            else:
                changes[key] = seconds(body, key)
        if "webhook_url" in changes:
            self.set_webhook_url(changes.pop("webhook_url"))
        if "rate_limit_per_second" in changes:
            self.set_rate_limit(changes.pop("rate_limit_per_second"))
        for path, rate in (changes.pop("rate_limits", None) or {}).items():
            self.set_rate_limit(rate, path)
        for key, value in changes.items():
            setattr(self.config, key, value)
        return asdict(self.config) | {"webhook_url": self.webhooks.url}


def _body(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise AdminInputError("body", "must be valid JSON") from None
    return only(body, set(body) if isinstance(body, dict) else set())


def _fault_args(body: dict[str, Any]) -> dict[str, Any]:
    only(body, {"kind", "count", "path", "status", "code", "delay_s", "after"})
    return {
        "kind": text(body, "kind", "error", choices=FAULT_KINDS),
        "count": whole(body, "count", 1, low=1),
        "path": text(body, "path"),
        "status": whole(body, "status", 500, low=500, high=599),
        "code": whole(body, "code", None),
        "delay_s": seconds(body, "delay_s", 2.0),
        "after": flag(body, "after"),
    }


def _seconds_value(name: str, value: Any) -> float:
    return float(seconds({name: value}, name))


def _webhook_fault_args(body: dict[str, Any]) -> dict[str, Any]:
    only(body, {"drop", "duplicate", "delay_s", "reorder"})
    return {
        "drop": whole(body, "drop", 0),
        "duplicate": whole(body, "duplicate", 0),
        "delay_s": seconds(body, "delay_s", 0.0),
        "reorder": whole(body, "reorder", 0),
    }


_KWARG = re.compile(r"(?:unexpected keyword argument|required (?:keyword-only |positional )?arguments?:?) '(\w+)'")


def _refusal(field: str, reason: str) -> Response:
    return json_response({"error": "bad_request", "field": field, "detail": f"{field} {reason}"}, 400)


def _admin(fn: Any) -> Any:
    """An admin route: a bad field is a 400 naming it; the admin API never answers 500 and never
    shows interpreter text."""

    def handler(request: Request) -> Response:
        try:
            result = fn(request)
        except AdminInputError as exc:
            return _refusal(exc.field, exc.reason)
        except KeyError as exc:
            return _refusal(str(exc.args[0]) if exc.args else "body", "is required or not found")
        except TypeError as exc:
            named = _KWARG.search(str(exc))
            if named and "unexpected" in str(exc):
                return _refusal(named.group(1), "is not a known field")
            if named:
                return _refusal(named.group(1), "is required")
            return _refusal("body", "has a value of the wrong kind")
        except c.ApiError as exc:
            return json_response({"error": "bad_request", "field": "body", "detail": exc.message}, 400)
        except ValueError as exc:  # the sandbox's own reason (an unknown SKU, a wrong status)
            return json_response({"error": "bad_request", "field": "body", "detail": str(exc)}, 400)
        except Exception:
            return _refusal("body", "has a value the sandbox cannot use")
        return json_response(result if result is not None else {"ok": True})

    return handler
