"""The sandbox Shopify's ``/_admin`` JSON endpoints: its Python test controls for other processes
(the demo, the local cloud). Every input is checked field by field; a bad one is a 400 naming
the field, never a 500.

- ``GET /_admin/health``
- ``POST /_admin/shops`` ``{"domain", "name"?, "currency"?, "weightUnit"?}``
- ``POST /_admin/shops/{shop}/tokens`` ``{"scopes"?: [...], "expiring"?: bool}``
- ``POST /_admin/shops/{shop}/catalog`` ``{"count", "seed"?}``
- ``GET|POST /_admin/shops/{shop}/locations`` (``{"name"}`` adds one)
- ``GET /_admin/shops/{shop}/stock?item=<gid>&location=<gid>``; ``PUT`` ``{"item", "location"?, "available"}``
- ``GET /_admin/shops/{shop}/orders``
- ``POST /_admin/shops/{shop}/collections`` ``{"title", "products": [gid, ...]}``
- ``POST /_admin/shops/{shop}/throttle`` ``{"operation"?, "times"?, "drain"?}``
- ``GET /_admin/shops/{shop}/served``
- ``POST|DELETE /_admin/faults`` ``{"status"?, "times"?, "delay"?, "after"?, "stall"?, "operation"?}``
- ``PUT /_admin/outage`` ``{"seconds"?}`` or ``{"end": true}``
- ``PUT /_admin/cost-limits`` ``{"maximum", "restoreRate"}``
- ``PUT /_admin/search-lag`` ``{"seconds"}``
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from local.admin_input import AdminInputError, flag, only, pattern, seconds, text, whole
from local.httpkit import Request, Response, Router, json_response

if TYPE_CHECKING:
    from local.sandbox_shopify.server import ShopifySandbox

_FAULT_FIELDS = {"status", "times", "delay", "after", "stall", "operation"}
_WEIGHT_UNITS = ("KILOGRAMS", "GRAMS", "POUNDS", "OUNCES")


def _body(request: Request) -> Any:
    if not request.body:
        return {}
    try:
        return request.json()
    except ValueError:
        raise AdminInputError("body", "must be JSON") from None


def _error(status: int, message: str) -> Response:
    return json_response({"errors": message, "code": "BAD_ADMIN_REQUEST"}, status)


def _strings(body: dict[str, Any], name: str, default: list[str] | None = None) -> list[str]:
    value = body.get(name, default)
    if value is None:
        raise AdminInputError(name, "is required")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AdminInputError(name, "must be a list of strings")
    return value


class SandboxAdmin:
    def __init__(self, sandbox: ShopifySandbox) -> None:
        self.sandbox = sandbox

    def register(self, router: Router) -> None:
        routes: list[tuple[str, str, Callable[[Request], Any]]] = [
            ("GET", "/_admin/health", lambda _r: {"ok": True}),
            ("POST", "/_admin/shops", self._create_shop),
            ("POST", "/_admin/shops/{shop}/tokens", self._token),
            ("POST", "/_admin/shops/{shop}/catalog", self._catalog),
            ("GET", "/_admin/shops/{shop}/locations", lambda r: {"items": self.sandbox.locations(self._shop(r))}),
            ("POST", "/_admin/shops/{shop}/locations", self._add_location),
            ("GET", "/_admin/shops/{shop}/stock", self._stock),
            ("PUT", "/_admin/shops/{shop}/stock", self._set_stock),
            ("GET", "/_admin/shops/{shop}/orders", lambda r: {"items": self.sandbox.orders(self._shop(r))}),
            ("POST", "/_admin/shops/{shop}/collections", self._collection),
            ("POST", "/_admin/shops/{shop}/throttle", self._throttle),
            ("GET", "/_admin/shops/{shop}/served", self._served),
            ("POST", "/_admin/faults", self._fault),
            ("DELETE", "/_admin/faults", lambda _r: self._done(self.sandbox.clear_faults)),
            ("PUT", "/_admin/outage", self._outage),
            ("PUT", "/_admin/cost-limits", self._cost_limits),
            ("PUT", "/_admin/search-lag", self._search_lag),
        ]
        for method, path, handler in routes:
            router.add(method, path, self._guard(handler))

    @staticmethod
    def _guard(handler: Callable[[Request], Any]) -> Callable[[Request], Response]:
        def serve(request: Request) -> Response:
            try:
                return json_response(handler(request))
            except AdminInputError as exc:
                return _error(400, f"Bad admin request: {exc.field} {exc.reason}")
            except LookupError:
                return _error(404, "Bad admin request: no such shop, item or location")
            except Exception:  # the admin API never answers 500 nor shows interpreter text
                return _error(400, "Bad admin request: a field has a value the sandbox cannot use")

        return serve

    @staticmethod
    def _done(action: Callable[[], object]) -> dict[str, Any]:
        action()
        return {"ok": True}

    def _shop(self, request: Request) -> str:
        domain = request.params["shop"]
        if self.sandbox.state.shop(domain) is None:
            raise LookupError(domain)
        return domain

    def _create_shop(self, request: Request) -> Any:
        body = only(_body(request), {"domain", "name", "currency", "weightUnit"})
        domain = text(body, "domain", "")
        if not domain:
            raise AdminInputError("domain", "is required")
        settings: dict[str, Any] = {}
        currency = text(body, "currency")
        if currency is not None:
            if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
                raise AdminInputError("currency", "must be a three-letter currency code")
            settings["currency"] = currency
        unit = text(body, "weightUnit", choices=_WEIGHT_UNITS)
        if unit is not None:
            settings["weight_unit"] = unit
        try:
            self.sandbox.create_shop(domain, text(body, "name"), **settings)
        except ValueError:
            raise AdminInputError("domain", "must be <name>.myshopify.com") from None
        return {"shop": domain}

    def _token(self, request: Request) -> Any:
        from local.sandbox_shopify.server import KNOWN_SCOPES

        shop = self._shop(request)
        body = only(_body(request), {"scopes", "expiring"})
        scopes = _strings(body, "scopes", ["read_products"])
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if unknown:
            raise AdminInputError("scopes", f"has an unknown scope {unknown[0]!r}")
        access, refresh = self.sandbox.issue_token(shop, tuple(scopes), expiring=flag(body, "expiring", True))
        return {"token": access, "refreshToken": refresh}

    def _catalog(self, request: Request) -> Any:
        shop = self._shop(request)
        body = only(_body(request), {"count", "seed"})
        seeded = self.sandbox.seed_catalog(shop, whole(body, "count", low=0, high=5000), whole(body, "seed", None))
        return {"products": [product_id for product_id, _ in seeded]}

    def _add_location(self, request: Request) -> Any:
        shop = self._shop(request)
        body = only(_body(request), {"name"})
        name = text(body, "name", "")
        if not name:
            raise AdminInputError("name", "is required")
        return {"id": self.sandbox.add_location(shop, name)}

    def _stock(self, request: Request) -> Any:
        shop = self._shop(request)
        item = request.arg("item")
        if not item:
            raise AdminInputError("item", "is required")
        level = self.sandbox.stock_level(shop, item, request.arg("location"))
        if level is None:
            raise LookupError(item)
        return level

    def _set_stock(self, request: Request) -> Any:
        shop = self._shop(request)
        body = only(_body(request), {"item", "location", "available"})
        item = text(body, "item", "")
        state = self.sandbox.state.shop(shop)
        assert state is not None
        with state.lock:
            if not item or state.variant_of_item(item) is None:
                raise AdminInputError("item", "must name an inventory item of the shop")
            location = text(body, "location") or state.primary_location
            if location not in state.locations:
                raise AdminInputError("location", "must name a location of the shop")
        self.sandbox.stock_at(shop, item, location, whole(body, "available", low=-(10**6), high=10**9))
        return self.sandbox.stock_level(shop, item, location)

    def _collection(self, request: Request) -> Any:
        shop = self._shop(request)
        body = only(_body(request), {"title", "products"})
        title = text(body, "title", "")
        if not title:
            raise AdminInputError("title", "is required")
        return {"id": self.sandbox.add_collection(shop, title, _strings(body, "products", []))}

    def _throttle(self, request: Request) -> Any:
        shop = self._shop(request)
        body = only(_body(request), {"operation", "times", "drain"})
        times = whole(body, "times", 1, low=0, high=10_000)
        if flag(body, "drain"):
            self.sandbox.drain_bucket(shop, throttle_next=0)
        operation = pattern(body, "operation")
        if times:
            self.sandbox.throttle_operation(shop, operation or ".", times)
        return {"ok": True}

    def _served(self, request: Request) -> Any:
        return {"items": [asdict(s) for s in self.sandbox.served_for(self._shop(request))]}

    def _fault(self, request: Request) -> Any:
        body = only(_body(request), _FAULT_FIELDS)
        status = whole(body, "status", 503, low=200, high=599)
        after = flag(body, "after")
        if status < 400 and not after:
            raise AdminInputError("status", "must be 400 or more unless the fault comes after the call")
        fault = self.sandbox.add_fault(status, whole(body, "times", 1, low=1, high=10_000), seconds(body, "delay", 0.0),
                                       after=after, stall_s=seconds(body, "stall", 0.0),
                                       operation=pattern(body, "operation"))
        return asdict(fault)

    def _outage(self, request: Request) -> Any:
        body = only(_body(request), {"seconds", "end"})
        if flag(body, "end"):
            self.sandbox.end_outage()
        else:
            self.sandbox.start_outage(seconds(body, "seconds", None))
        return {"ok": True}

    def _cost_limits(self, request: Request) -> Any:
        body = only(_body(request), {"maximum", "restoreRate"})
        maximum = whole(body, "maximum", low=1, high=10**7)
        restore = seconds(body, "restoreRate")
        if restore <= 0:
            raise AdminInputError("restoreRate", "must be more than 0")
        self.sandbox.set_cost_limits(float(maximum), restore)
        return {"ok": True}

    def _search_lag(self, request: Request) -> Any:
        self.sandbox.set_search_lag(seconds(only(_body(request), {"seconds"}), "seconds"))
        return {"ok": True}
