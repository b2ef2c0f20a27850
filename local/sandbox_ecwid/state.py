"""The sandbox Ecwid's data and rules: stores, tokens, the catalog, orders and stock.

Behaviour modelled on store-platforms.md section 1 (marked "assumed" where the spec is silent):

- A combination keeps only the fields it sets; ``sku``, ``price``, ``weight`` and ``quantity``
  are omitted in the API when inherited. A combination without its own SKU sells from the
  product's stock; a stock write aimed at it lands on the product (assumed).
- ``quantity`` is absent when stock is unlimited.
- UPC and brand are attributes (types ``UPC`` and ``BRAND``) of the product's class; writes
  may name an attribute by ``id``, ``name`` or ``alias`` (``UPC`` / ``BRAND``).
- An API order decrements stock only if it is PAID, every item has a valid product (and
  combination) id, and there is a customer e-mail or id. Cancelling it restocks exactly what
  was taken. Stock never goes below zero (assumed).
- Every change fires its webhook (products changed by orders and by API writes included),
  for stores where the app is installed and has the matching read scope.
"""

from __future__ import annotations

import copy
import itertools
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from local.sandbox_ecwid.catalog import Catalog

ALL_SCOPES = frozenset(
    {
        "read_store_profile",
        "update_store_profile",
        "read_catalog",
        "update_catalog",
        "read_orders",
        "create_orders",
        "update_orders",
        "read_customers",
        "public_storefront",
    }
)
PAYMENT_STATUSES = frozenset({"AWAITING_PAYMENT", "PAID", "CANCELLED", "REFUNDED", "PARTIALLY_REFUNDED", "INCOMPLETE"})
FULFILLMENT_STATUSES = frozenset(
    {
        "AWAITING_PROCESSING",
        "PROCESSING",
        "SHIPPED",
        "DELIVERED",
        "WILL_NOT_DELIVER",
        "RETURNED",
        "READY_FOR_PICKUP",
        "OUT_FOR_DELIVERY",
    }
)
MAX_LIMIT = 100
CODE_LIFETIME = 600.0
_ORDER_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class ApiError(Exception):
    """Becomes an Ecwid-style error answer: ``{"errorMessage", "errorCode"}``."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def ecwid_date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ApiError(400, f"{what} must be a number", "INVALID_VALUE")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ApiError(400, f"{what} must be a number", "INVALID_VALUE") from None


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ApiError(400, f"{what} must be an integer", "INVALID_VALUE")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ApiError(400, f"{what} must be an integer", "INVALID_VALUE") from None
    if number != number.to_integral_value():
        raise ApiError(400, f"{what} must be an integer", "INVALID_VALUE")
    return int(number)


#: The date-time forms Ecwid's search filters take besides UNIX time (Ecwid's REST API docs:
#: "Supported formats: UNIX timestamp, date/time", e.g. ``2023-01-15 19:27:50``), tried in order.
#: A form without an offset is read as UTC (UNCONFIRMED: Ecwid does not say which zone).
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


def time_arg(value: str, name: str) -> int:
    """A search filter's date: UNIX seconds or one of Ecwid's date-time forms; else a 400."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    for form in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, form)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp())
    raise ApiError(
        400,
        f"{name} must be a UNIX timestamp or a date such as 2023-01-15 19:27:50, "
        "2023-01-15 19:27:50 +0000 or 2023-01-15",
        "INVALID_VALUE",
    )


def int_arg(value: str | None, name: str, default: int | None = None) -> int | None:
    """A whole-number query parameter; a malformed one is a 400 naming the parameter."""
    if value is None or value.strip() == "":
        return default
    text = value.strip()
    if not text.lstrip("-").isdigit():
        raise ApiError(400, f"{name} must be a whole number", "INVALID_VALUE")
    return int(text)


def _bool_arg(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.lower() in ("true", "1", "yes")


def page(items: list[Any], offset: int, limit: int) -> dict[str, Any]:
    limit = max(0, min(limit, MAX_LIMIT))
    chunk = items[offset : offset + limit]
    return {"total": len(items), "count": len(chunk), "offset": offset, "limit": limit, "items": chunk}


@dataclass
class TokenInfo:
    token: str
    store_id: int
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    store_id: int
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: float
    used: bool = False
    token: str | None = None


@dataclass
class Store:
    id: int
    name: str
    currency: str
    weight_unit: str
    dimensions_unit: str
    timezone: str
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: list[tuple[int, int]] = field(default_factory=list)
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)
    classes: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    images: dict[int, dict[str, Any]] = field(default_factory=dict)
    installed_scopes: frozenset[str] | None = None


@dataclass
class SeededProduct:
    index: int
    product_id: int
    flaws: tuple[str, ...]
    combination_ids: tuple[int, ...]


EmitHook = Callable[[int, str, "int | str", "dict[str, Any] | None"], None]


class SandboxState:
    def __init__(self, client_id: str, client_secret: str, *, seed: int = 0, emit: EmitHook | None = None) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_scopes = frozenset(ALL_SCOPES)
        self.lock = threading.RLock()
        self.public_url = "http://127.0.0.1"
        self.clock_offset = 0.0
        self.search_lag = 0.0
        """Seconds an order stays invisible to the order search after it was created (Ecwid's
        search index lags behind writes); ``GET /orders/{id}`` sees it at once."""
        self._rng = random.Random(seed)
        self._emit = emit
        self._ids = itertools.count(1000001)
        self._store_ids = itertools.count(1003)
        self.stores: dict[int, Store] = {}
        self.tokens: dict[str, TokenInfo] = {}
        self.codes: dict[str, AuthCode] = {}

    # ------------------------------------------------------------------------------------------
    # time, ids, events
    # ------------------------------------------------------------------------------------------

    def now_float(self) -> float:
        return time.time() + self.clock_offset

    def now(self) -> int:
        return int(self.now_float())

    def _next_id(self) -> int:
        return next(self._ids)

    def _secret(self, prefix: str) -> str:
        return f"{prefix}{self._rng.getrandbits(160):040x}"

    def notify(self, store: Store, event_type: str, entity_id: int | str, data: dict[str, Any] | None = None) -> None:
        if self._emit is None or store.installed_scopes is None:
            return
        family = event_type.split(".", 1)[0]
        needed = {"product": ("read_catalog", "read_products"), "order": ("read_orders",)}.get(family)
        if needed is not None and not store.installed_scopes.intersection(needed):
            return
        self._emit(store.id, event_type, entity_id, data)

    # ------------------------------------------------------------------------------------------
    # stores, tokens, OAuth
    # ------------------------------------------------------------------------------------------

    def create_store(
        self,
        *,
        name: str = "Sandbox Store",
        currency: str = "USD",
        weight_unit: str = "KILOGRAM",
        dimensions_unit: str = "CM",
        timezone: str = "UTC",
        store_id: int | None = None,
    ) -> int:
        with self.lock:
            sid = store_id if store_id is not None else next(self._store_ids)
            while sid in self.stores:
                sid = next(self._store_ids)
            store = Store(sid, name, currency, weight_unit, dimensions_unit, timezone)
            store.classes[0] = {"id": 0, "name": "General", "attributes": []}
            self._class_attributes(
                store, store.classes[0], [{"name": "UPC", "type": "UPC"}, {"name": "Brand", "type": "BRAND"}]
            )
            self.stores[sid] = store
            return sid

    def store(self, store_id: int | str) -> Store:
        try:
            return self.stores[int(store_id)]
        except (KeyError, ValueError):
            raise ApiError(404, f"Store {store_id} not found", "STORE_NOT_FOUND") from None

    def issue_token(self, store_id: int, scopes: Iterable[str] | None = None, *, notify: bool = False) -> str:
        with self.lock:
            store = self.store(store_id)
            granted = frozenset(scopes) if scopes is not None else frozenset(self.app_scopes)
            granted |= {"read_store_profile"}
            token = self._secret("secret_")
            self.tokens[token] = TokenInfo(token, store.id, granted)
            first = store.installed_scopes is None
            store.installed_scopes = granted | (store.installed_scopes or frozenset())
            if first and notify:
                self.notify(store, "application.installed", store.id)
            return token

    def authenticate(self, token: str | None, store_id: str) -> TokenInfo:
        with self.lock:
            info = self.tokens.get(token or "")
            if info is None or info.revoked:
                raise ApiError(403, "Invalid token", "INVALID_TOKEN")
            if str(info.store_id) != store_id:
                raise ApiError(403, "Token does not belong to this store", "INVALID_TOKEN")
            return info

    def new_code(self, store_id: int, redirect_uri: str, scopes: frozenset[str]) -> str:
        with self.lock:
            code = self._secret("")[:32]
            self.codes[code] = AuthCode(code, store_id, redirect_uri, scopes, time.monotonic() + CODE_LIFETIME)
            return code

    def exchange_code(self, form: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            if form.get("grant_type") != "authorization_code":
                raise ApiError(400, "grant_type must be authorization_code", "unsupported_grant_type")
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                raise ApiError(401, "Invalid client credentials", "invalid_client")
            grant = self.codes.get(form.get("code") or "")
            if grant is None or time.monotonic() > grant.expires_at:
                raise ApiError(400, "Invalid or expired code", "invalid_grant")
            if grant.used:
                # A second exchange of the same code disables the token the first one gave.
                if grant.token and grant.token in self.tokens:
                    self.tokens[grant.token].revoked = True
                raise ApiError(400, "Code already used", "invalid_grant")
            if form.get("redirect_uri") != grant.redirect_uri:
                raise ApiError(400, "redirect_uri does not match", "invalid_grant")
            grant.used = True
            grant.token = self.issue_token(grant.store_id, grant.scopes, notify=True)
            answer: dict[str, Any] = {
                "access_token": grant.token,
                "token_type": "bearer",
                "scope": " ".join(sorted(grant.scopes | {"read_store_profile"})),
                "store_id": grant.store_id,
            }
            if "public_storefront" in grant.scopes:
                answer["public_token"] = self._secret("public_")
            return answer

    def uninstall(self, store_id: int) -> None:
        with self.lock:
            store = self.store(store_id)
            self.notify(store, "application.uninstalled", store.id)
            for info in self.tokens.values():
                if info.store_id == store.id:
                    info.revoked = True
            store.installed_scopes = None

    def profile(self, store_id: int) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            return {
                "generalInfo": {"storeId": store.id, "storeUrl": f"{self.public_url}/store/{store.id}"},
                "account": {
                    "accountName": "Sandbox Merchant",
                    "accountEmail": f"merchant{store.id}@example.com",
                },
                "settings": {"closed": False, "storeName": store.name},
                "formatsAndUnits": {
                    "currency": store.currency,
                    "currencyPrecision": 2,
                    "weightUnit": store.weight_unit,
                    "dimensionsUnit": store.dimensions_unit,
                    "timezone": store.timezone,
                },
            }

    # ------------------------------------------------------------------------------------------
    # catalog: categories, classes, images
    # ------------------------------------------------------------------------------------------

    def add_category(self, store_id: int, name: str, parent_id: int = 0) -> int:
        with self.lock:
            store = self.store(store_id)
            if parent_id and parent_id not in store.categories:
                raise ApiError(400, f"Parent category {parent_id} not found", "INVALID_VALUE")
            cid = self._next_id()
            store.categories[cid] = {
                "id": cid,
                "parentId": parent_id,
                "name": name,
                "enabled": True,
                "orderBy": len(store.categories) * 10,
            }
            return cid

    def _class_attributes(self, store: Store, product_class: dict[str, Any], attributes: list[dict[str, str]]) -> None:
        for attribute in attributes:
            product_class["attributes"].append(
                {
                    "id": self._next_id(),
                    "name": attribute["name"],
                    "type": attribute.get("type", "CUSTOM"),
                    "show": "DESCR",
                }
            )

    def add_product_class(self, store_id: int, name: str, attributes: list[dict[str, str]]) -> int:
        with self.lock:
            store = self.store(store_id)
            class_id = self._next_id()
            product_class: dict[str, Any] = {"id": class_id, "name": name, "attributes": []}
            self._class_attributes(store, product_class, attributes)
            store.classes[class_id] = product_class
            return class_id

    def image(self, store_id: int, image_id: int) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            found = store.images.get(image_id)
            if found is None:
                raise ApiError(404, "Image not found", "NOT_FOUND")
            return found

    def _add_images(self, store: Store, images: Iterable[Mapping[str, Any]]) -> list[int]:
        ids = []
        for spec in images:
            image_id = self._next_id()
            color = spec.get("color") or (128, 128, 128)
            store.images[image_id] = {
                "width": int(spec["width"]),
                "height": int(spec["height"]),
                "color": tuple(color),
            }
            ids.append(image_id)
        return ids

    def _image_url(self, store: Store, image_id: int) -> str:
        return f"{self.public_url}/images/{store.id}/{image_id}.png"

    # ------------------------------------------------------------------------------------------
    # catalog: products
    # ------------------------------------------------------------------------------------------

    def _resolve_categories(self, store: Store, spec: Mapping[str, Any]) -> list[int]:
        if "categoryIds" in spec:
            ids = [_int(c, "categoryIds") for c in spec["categoryIds"] or []]
            for cid in ids:
                if cid not in store.categories:
                    raise ApiError(400, f"Category {cid} not found", "INVALID_VALUE")
            return ids
        by_name = {c["name"]: cid for cid, c in store.categories.items()}
        return [by_name[n] for n in spec.get("categories", []) if n in by_name]

    def _resolve_class(self, store: Store, spec: Mapping[str, Any]) -> int:
        if "productClassId" in spec:
            class_id = _int(spec["productClassId"], "productClassId")
            if class_id not in store.classes:
                raise ApiError(400, f"Product class {class_id} not found", "INVALID_VALUE")
            return class_id
        name = spec.get("productClass")
        return next((cid for cid, c in store.classes.items() if c["name"] == name), 0)

    def _attribute_values(self, store: Store, class_id: int, raw: Any, current: dict[str, str]) -> dict[str, str]:
        """``raw``: ``{name: value}`` or Ecwid's ``[{id|name|alias, value}]``."""
        values = dict(current)
        attributes = store.classes[class_id]["attributes"]
        entries = raw.items() if isinstance(raw, Mapping) else []
        if isinstance(raw, list):
            resolved = []
            for entry in raw:
                match = None
                for attribute in attributes:
                    by_id = entry.get("id") is not None and attribute["id"] == _int(entry["id"], "attribute id")
                    by_name = bool(entry.get("name")) and attribute["name"] == entry["name"]
                    by_alias = bool(entry.get("alias")) and attribute["type"] == str(entry["alias"]).upper()
                    if by_id or by_name or by_alias:
                        match = attribute
                        break
                if match is None:
                    raise ApiError(400, "Unknown product attribute", "INVALID_VALUE")
                resolved.append((match["name"], entry.get("value")))
            entries = resolved
        for name, value in entries:
            if value in (None, ""):
                values.pop(name, None)
            else:
                values[name] = str(value)
        return values

    def _new_combination(self, product: dict[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
        options = [{"name": str(o["name"]), "value": str(o["value"])} for o in spec.get("options", [])]
        if not options:
            raise ApiError(400, "Combination options are required", "INVALID_VALUE")
        wanted = {(o["name"], o["value"]) for o in options}
        for existing in product["combinations"]:
            if {(o["name"], o["value"]) for o in existing["options"]} == wanted:
                raise ApiError(409, "This options variation already exists", "DUPLICATE")
        combo: dict[str, Any] = {
            "id": self._next_id(),
            "combinationNumber": len(product["combinations"]) + 1,
            "options": options,
        }
        self._apply_combination_fields(product, combo, spec)
        # Options named by a combination exist on the product (created as drop-downs).
        for option in options:
            declared = next((o for o in product["options"] if o["name"] == option["name"]), None)
            if declared is None:
                declared = {"type": "SELECT", "name": option["name"], "choices": [], "required": True}
                product["options"].append(declared)
            if option["value"] not in [c["text"] for c in declared["choices"]]:
                declared["choices"].append({"text": option["value"], "priceModifier": 0})
        return combo

    def _apply_combination_fields(
        self, product: dict[str, Any], combo: dict[str, Any], spec: Mapping[str, Any]
    ) -> None:
        if "sku" in spec:
            if spec["sku"]:
                combo["sku"] = str(spec["sku"])
            else:
                combo.pop("sku", None)
        if "price" in spec:
            if spec["price"] is None:
                combo.pop("price", None)
            else:
                combo["price"] = _decimal(spec["price"], "price")
        if "weight" in spec:
            if spec["weight"] is None:
                combo.pop("weight", None)
            else:
                combo["weight"] = _decimal(spec["weight"], "weight")
        if "attributes" in spec:
            raw = spec["attributes"]
            upc = (
                raw.get("UPC")
                if isinstance(raw, Mapping)
                else next(
                    (
                        a.get("value")
                        for a in raw
                        if str(a.get("alias") or a.get("name") or a.get("type")).upper() == "UPC"
                    ),
                    None,
                )
            )
            if upc:
                combo["attributes"] = {"UPC": str(upc)}
            else:
                combo.pop("attributes", None)
        if spec.get("unlimited") is True:
            if combo.get("sku"):
                combo["unlimited"] = True
                combo.pop("quantity", None)
            else:
                product["unlimited"], product["quantity"] = True, None
        elif "quantity" in spec and spec["quantity"] is not None:
            quantity = max(0, _int(spec["quantity"], "quantity"))
            if combo.get("sku"):
                combo["quantity"], combo["unlimited"] = quantity, False
            else:  # no own SKU: the stock is the product's (assumed)
                product["quantity"], product["unlimited"] = quantity, False
        elif spec.get("unlimited") is False and combo.get("unlimited"):
            combo["unlimited"], combo["quantity"] = False, 0

    def add_product(self, store_id: int, spec: Mapping[str, Any], *, notify: bool = True) -> int:
        """A product from an Ecwid-shaped spec (ids or names for categories and class, images as
        ``{width, height, color}``, combinations inline with their own fields only)."""
        with self.lock:
            store = self.store(store_id)
            if not spec.get("name"):
                raise ApiError(400, "Product name is required", "INVALID_VALUE")
            now = self.now()
            pid = self._next_id()
            class_id = self._resolve_class(store, spec)
            categories = self._resolve_categories(store, spec)
            unlimited = spec.get("unlimited") is True
            product: dict[str, Any] = {
                "id": pid,
                "sku": str(spec.get("sku") or f"{pid:05d}"),
                "name": str(spec["name"]),
                "price": _decimal(spec.get("price", 0), "price"),
                "compareToPrice": _decimal(spec["compareToPrice"], "compareToPrice")
                if spec.get("compareToPrice")
                else None,
                "unlimited": unlimited,
                "quantity": None if unlimited else max(0, _int(spec.get("quantity", 0), "quantity")),
                "weight": _decimal(spec["weight"], "weight") if spec.get("weight") is not None else None,
                "dimensions": dict(spec["dimensions"]) if spec.get("dimensions") else None,
                "enabled": spec.get("enabled", True) is not False,
                "description": str(spec.get("description") or ""),
                "categoryIds": categories,
                "defaultCategoryId": categories[0] if categories else 0,
                "productClassId": class_id,
                "attributes": {},
                "options": copy.deepcopy(list(spec.get("options") or [])),
                "combinations": [],
                "images": self._add_images(store, spec.get("images") or []),
                "createTimestamp": now,
                "updateTimestamp": now,
            }
            product["attributes"] = self._attribute_values(store, class_id, spec.get("attributes") or {}, {})
            for combo_spec in spec.get("combinations") or []:
                product["combinations"].append(self._new_combination(product, combo_spec))
            store.products[pid] = product
            if notify:
                self.notify(store, "product.created", pid)
            return pid

    def seed(self, store_id: int, catalog: Catalog) -> list[SeededProduct]:
        """Load a generated catalog (categories, classes, products) without firing webhooks."""
        with self.lock:
            store = self.store(store_id)
            names = {c["name"]: cid for cid, c in store.categories.items()}
            for category in catalog.categories:
                if category["name"] not in names:
                    parent = names.get(category["parent"] or "", 0)
                    names[category["name"]] = self.add_category(store.id, category["name"], parent)
            known = {c["name"] for c in store.classes.values()}
            for name, attributes in catalog.product_classes.items():
                if name not in known:
                    self.add_product_class(store.id, name, attributes)
            seeded = []
            for generated in catalog.products:
                pid = self.add_product(store.id, generated.spec, notify=False)
                combos = tuple(c["id"] for c in store.products[pid]["combinations"])
                seeded.append(SeededProduct(generated.index, pid, generated.flaws, combos))
            return seeded

    def _product(self, store: Store, product_id: int | str) -> dict[str, Any]:
        try:
            return store.products[int(product_id)]
        except (KeyError, ValueError):
            raise ApiError(404, f"Product {product_id} not found", "PRODUCT_NOT_FOUND") from None

    def _combination(self, product: dict[str, Any], combination_id: int | str) -> dict[str, Any]:
        for combo in product["combinations"]:
            if str(combo["id"]) == str(combination_id):
                found: dict[str, Any] = combo
                return found
        raise ApiError(404, f"Combination {combination_id} not found", "COMBINATION_NOT_FOUND")

    def _touch(self, store: Store, product: dict[str, Any], *, notify: bool = True) -> None:
        product["updateTimestamp"] = self.now()
        if notify:
            self.notify(store, "product.updated", product["id"])

    def update_product(
        self, store_id: int, product_id: int | str, changes: Mapping[str, Any], *, notify: bool = True
    ) -> None:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            for name in ("name", "description", "sku"):
                if name in changes:
                    product[name] = str(changes[name] or "")
            if "enabled" in changes:
                product["enabled"] = changes["enabled"] is not False
            if "price" in changes:
                product["price"] = _decimal(changes["price"], "price")
            if "compareToPrice" in changes:
                product["compareToPrice"] = (
                    _decimal(changes["compareToPrice"], "compareToPrice") if changes["compareToPrice"] else None
                )
            if "weight" in changes:
                product["weight"] = _decimal(changes["weight"], "weight") if changes["weight"] is not None else None
            if "dimensions" in changes:
                product["dimensions"] = dict(changes["dimensions"]) if changes["dimensions"] else None
            if "categoryIds" in changes:
                product["categoryIds"] = self._resolve_categories(store, changes)
                product["defaultCategoryId"] = product["categoryIds"][0] if product["categoryIds"] else 0
            if "productClassId" in changes:
                product["productClassId"] = self._resolve_class(store, changes)
            if "attributes" in changes:
                product["attributes"] = self._attribute_values(
                    store, product["productClassId"], changes["attributes"], product["attributes"]
                )
            if "options" in changes:
                product["options"] = copy.deepcopy(list(changes["options"] or []))
            if changes.get("unlimited") is True:
                product["unlimited"], product["quantity"] = True, None
            elif "quantity" in changes and changes["quantity"] is not None:
                product["unlimited"], product["quantity"] = (
                    False,
                    max(0, _int(changes["quantity"], "quantity")),
                )
            elif changes.get("unlimited") is False and product["unlimited"]:
                product["unlimited"], product["quantity"] = False, 0
            self._touch(store, product, notify=notify)

    def delete_product(self, store_id: int, product_id: int | str) -> None:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            del store.products[product["id"]]
            store.deleted.append((product["id"], self.now()))
            self.notify(store, "product.deleted", product["id"])

    def add_combination(self, store_id: int, product_id: int | str, spec: Mapping[str, Any]) -> int:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            if spec.get("sku") and any(c.get("sku") == spec["sku"] for c in product["combinations"]):
                raise ApiError(409, "This SKU already exists", "DUPLICATE")
            combo = self._new_combination(product, spec)
            product["combinations"].append(combo)
            self._touch(store, product)
            return int(combo["id"])

    def update_combination(
        self, store_id: int, product_id: int | str, combination_id: int | str, changes: Mapping[str, Any]
    ) -> None:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            combo = self._combination(product, combination_id)
            self._apply_combination_fields(product, combo, changes)
            self._touch(store, product)

    def delete_combination(self, store_id: int, product_id: int | str, combination_id: int | str) -> None:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            combo = self._combination(product, combination_id)
            product["combinations"].remove(combo)
            self._touch(store, product)

    # stock ------------------------------------------------------------------------------------

    @staticmethod
    def owns_stock(combo: Mapping[str, Any]) -> bool:
        return bool(combo.get("sku")) and (combo.get("quantity") is not None or combo.get("unlimited") is True)

    def _stock_holder(self, product: dict[str, Any], combo: dict[str, Any] | None) -> dict[str, Any]:
        return combo if combo is not None and self.owns_stock(combo) else product

    def adjust_inventory(
        self, store_id: int, product_id: int | str, combination_id: int | str | None, delta: Any
    ) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            combo = self._combination(product, combination_id) if combination_id is not None else None
            amount = _int(delta, "quantityDelta")
            holder = self._stock_holder(product, combo)
            answer: dict[str, Any] = {"updateCount": 1}
            if holder.get("unlimited"):
                answer["warning"] = "Stock is unlimited: quantityDelta ignored"
                answer["updateCount"] = 0
                return answer
            new = int(holder.get("quantity") or 0) + amount
            if new < 0:
                answer["warning"] = "Not enough stock: quantity set to 0"
                new = 0
            holder["quantity"] = new
            self._touch(store, product)
            return answer

    def stock(self, store_id: int, product_id: int | str, combination_id: int | str | None = None) -> int | None:
        """The quantity a buyer could take (``None`` = unlimited), inheritance resolved."""
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            combo = self._combination(product, combination_id) if combination_id is not None else None
            holder = self._stock_holder(product, combo)
            return None if holder.get("unlimited") else int(holder.get("quantity") or 0)

    # rendering and search ---------------------------------------------------------------------

    def _in_stock(self, product: dict[str, Any], combo: dict[str, Any] | None = None) -> bool:
        holder = self._stock_holder(product, combo)
        return bool(holder.get("unlimited")) or int(holder.get("quantity") or 0) > 0

    def render_product(self, store: Store, product: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": product["id"],
            "sku": product["sku"],
            "name": product["name"],
            "price": product["price"],
            "defaultDisplayedPrice": product["price"],
            "unlimited": product["unlimited"],
            "inStock": self._in_stock(product) or any(self._in_stock(product, c) for c in product["combinations"]),
            "enabled": product["enabled"],
            "description": product["description"],
            "categoryIds": list(product["categoryIds"]),
            "categories": [{"id": c, "enabled": True} for c in product["categoryIds"]],
            "defaultCategoryId": product["defaultCategoryId"],
            "productClassId": product["productClassId"],
            "options": copy.deepcopy(product["options"]),
            "combinations": [self._render_combination(product, c) for c in product["combinations"]],
            "attributes": [],
            "createTimestamp": product["createTimestamp"],
            "updateTimestamp": product["updateTimestamp"],
            "created": ecwid_date(product["createTimestamp"]),
            "updated": ecwid_date(product["updateTimestamp"]),
            "url": f"{self.public_url}/store/{store.id}/p/{product['id']}",
        }
        if not product["unlimited"]:
            out["quantity"] = product["quantity"]
        if product["compareToPrice"] is not None:
            out["compareToPrice"] = product["compareToPrice"]
        if product["weight"] is not None:
            out["weight"] = product["weight"]
        if product["dimensions"]:
            out["dimensions"] = dict(product["dimensions"])
        for attribute in store.classes[product["productClassId"]]["attributes"]:
            value = product["attributes"].get(attribute["name"])
            if value:
                out["attributes"].append(
                    {
                        "id": attribute["id"],
                        "name": attribute["name"],
                        "value": value,
                        "type": attribute["type"],
                        "show": attribute["show"],
                    }
                )
        images = []
        for order, image_id in enumerate(product["images"]):
            url = self._image_url(store, image_id)
            images.append(
                {
                    "id": str(image_id),
                    "isMain": order == 0,
                    "orderBy": order,
                    "imageOriginalUrl": url,
                    "image160pxUrl": url,
                    "image400pxUrl": url,
                    "image800pxUrl": url,
                    "image1500pxUrl": url,
                }
            )
        out["media"] = {"images": images}
        if product["images"]:
            main = store.images[product["images"][0]]
            main_url = self._image_url(store, product["images"][0])
            out["originalImage"] = {"url": main_url, "width": main["width"], "height": main["height"]}
            out["imageUrl"] = main_url
            out["originalImageUrl"] = main_url
        return out

    def _render_combination(self, product: dict[str, Any], combo: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": combo["id"],
            "combinationNumber": combo["combinationNumber"],
            "options": copy.deepcopy(combo["options"]),
            "inStock": self._in_stock(product, combo),
            "unlimited": bool(combo.get("unlimited")) and self.owns_stock(combo),
        }
        if combo.get("sku"):
            out["sku"] = combo["sku"]
        if self.owns_stock(combo) and not combo.get("unlimited"):
            out["quantity"] = combo["quantity"]
        for name in ("price", "weight"):
            if name in combo:
                out[name] = combo[name]
        if combo.get("attributes"):
            out["attributes"] = [{"name": "UPC", "value": combo["attributes"]["UPC"], "type": "UPC"}]
        return out

    def get_product(self, store_id: int | str, product_id: int | str) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            return self.render_product(store, self._product(store, product_id))

    def get_combinations(self, store_id: int | str, product_id: int | str) -> list[dict[str, Any]]:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            return [self._render_combination(product, c) for c in product["combinations"]]

    def get_combination(self, store_id: int | str, product_id: int | str, combination_id: int | str) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            return self._render_combination(product, self._combination(product, combination_id))

    def search_products(self, store_id: int | str, args: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            products = list(store.products.values())
            if args.get("sku"):  # exact, product or combination SKU; other filters are ignored
                sku = args["sku"]
                products = [
                    p for p in products if p["sku"] == sku or any(c.get("sku") == sku for c in p["combinations"])
                ]
            else:
                products = self._filter_products(products, args)
            sort = (args.get("sortBy") or "ADDED_TIME_DESC").upper()
            keys: dict[str, Callable[[dict[str, Any]], Any]] = {
                "ADDED_TIME": lambda p: (p["createTimestamp"], p["id"]),
                "UPDATED_TIME": lambda p: (p["updateTimestamp"], p["id"]),
                "NAME": lambda p: (p["name"].lower(), p["id"]),
                "PRICE": lambda p: (p["price"], p["id"]),
                "SKU": lambda p: (p["sku"], p["id"]),
            }
            base, _, direction = sort.rpartition("_")
            products.sort(key=keys.get(base, keys["ADDED_TIME"]), reverse=direction == "DESC")
            offset = max(0, int_arg(args.get("offset"), "offset", 0) or 0)
            limit = int_arg(args.get("limit"), "limit", MAX_LIMIT) or 0
            answer = page(products, offset, limit)
            answer["items"] = [self.render_product(store, p) for p in answer["items"]]
            return answer

    def _filter_products(self, products: list[dict[str, Any]], args: Mapping[str, str]) -> list[dict[str, Any]]:
        def number(name: str) -> int | None:
            value = args.get(name)
            return time_arg(value, name) if value not in (None, "") else None

        if args.get("productId"):
            wanted = {int_arg(x, "productId") for x in args["productId"].split(",") if x.strip()}
            products = [p for p in products if p["id"] in wanted]
        if args.get("keyword"):
            word = args["keyword"].lower()
            products = [
                p
                for p in products
                if word in p["name"].lower() or word in p["sku"].lower() or word in p["description"].lower()
            ]
        if args.get("category") not in (None, ""):
            category = int_arg(args["category"], "category")
            products = [
                p for p in products if (category in p["categoryIds"]) or (category == 0 and not p["categoryIds"])
            ]
        enabled = _bool_arg(args.get("enabled"))
        if enabled is not None:
            products = [p for p in products if p["enabled"] == enabled]
        in_stock = _bool_arg(args.get("inStock"))
        if in_stock is not None:
            products = [
                p
                for p in products
                if (self._in_stock(p) or any(self._in_stock(p, c) for c in p["combinations"])) == in_stock
            ]
        for name, key, cmp in (
            ("updatedFrom", "updateTimestamp", 1),
            ("updatedTo", "updateTimestamp", -1),
            ("createdFrom", "createTimestamp", 1),
            ("createdTo", "createTimestamp", -1),
        ):
            bound = number(name)
            if bound is not None:
                products = [p for p in products if (p[key] >= bound if cmp == 1 else p[key] <= bound)]
        return products

    def deleted_products(self, store_id: int | str, args: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            low = time_arg(args["from_date"], "from_date") if args.get("from_date") else 0
            high = time_arg(args["to_date"], "to_date") if args.get("to_date") else None
            entries = [
                {"id": pid, "date": ecwid_date(when)}
                for pid, when in store.deleted
                if when >= low and (high is None or when <= high)
            ]
            offset = max(0, int_arg(args.get("offset"), "offset", 0) or 0)
            return page(entries, offset, int_arg(args.get("limit"), "limit", MAX_LIMIT) or 0)

    def search_categories(self, store_id: int | str, args: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            categories = sorted(store.categories.values(), key=lambda c: (c["orderBy"], c["id"]))
            if args.get("parent") not in (None, ""):
                parent = int_arg(args["parent"], "parent") or 0
                categories = [c for c in categories if c["parentId"] == parent]
            with_ids = _bool_arg(args.get("productIds")) is True
            offset = max(0, int_arg(args.get("offset"), "offset", 0) or 0)
            answer = page(categories, offset, int_arg(args.get("limit"), "limit", MAX_LIMIT) or 0)
            rendered = []
            for category in answer["items"]:
                members = sorted(p["id"] for p in store.products.values() if category["id"] in p["categoryIds"])
                item = dict(category, productCount=len(members))
                if with_ids:
                    item["productIds"] = members
                rendered.append(item)
            answer["items"] = rendered
            return answer

    def get_category(self, store_id: int | str, category_id: int | str) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            try:
                return dict(store.categories[int(category_id)])
            except (KeyError, ValueError):
                raise ApiError(404, f"Category {category_id} not found", "CATEGORY_NOT_FOUND") from None

    def product_classes(self, store_id: int | str) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(sorted(self.store(store_id).classes.values(), key=lambda c: c["id"]))

    # ------------------------------------------------------------------------------------------
    # orders
    # ------------------------------------------------------------------------------------------

    def _order(self, store: Store, order_id: str) -> dict[str, Any]:
        for order in store.orders.values():
            if order["id"] == order_id or str(order["internalId"]) == order_id or str(order["orderNumber"]) == order_id:
                return order
        raise ApiError(404, f"Order {order_id} not found", "ORDER_NOT_FOUND")

    def _new_order_id(self, store: Store) -> str:
        taken = {o["id"] for o in store.orders.values()}
        while True:
            candidate = "".join(self._rng.choice(_ORDER_ID_ALPHABET) for _ in range(5))
            if candidate not in taken:
                return candidate

    @staticmethod
    def _status(value: Any, allowed: frozenset[str], what: str, default: str) -> str:
        if value is None:
            return default
        text = str(value).upper()
        if text not in allowed and not text.startswith("CUSTOM_"):
            raise ApiError(400, f"Unknown {what} {value!r}", "INVALID_VALUE")
        return text

    def create_order(self, store_id: int | str, body: Any) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            if not isinstance(body, dict):
                raise ApiError(400, "Order body must be a JSON object", "INVALID_VALUE")
            items = body.get("items")
            if not isinstance(items, list) or not items:
                raise ApiError(400, "Order items are required", "INVALID_VALUE")
            payment = self._status(body.get("paymentStatus"), PAYMENT_STATUSES, "paymentStatus", "AWAITING_PAYMENT")
            fulfillment = self._status(
                body.get("fulfillmentStatus"),
                FULFILLMENT_STATUSES,
                "fulfillmentStatus",
                "AWAITING_PROCESSING",
            )
            lines, targets = [], []
            ids_valid = True
            for raw in items:
                if not isinstance(raw, dict) or not str(raw.get("name") or "").strip():
                    raise ApiError(400, "Every order item needs a name", "INVALID_VALUE")
                quantity = _int(raw.get("quantity", 1), "quantity")
                if quantity < 1:
                    raise ApiError(400, "Item quantity must be positive", "INVALID_VALUE")
                line = dict(raw)
                line["quantity"] = quantity
                line["price"] = _decimal(raw.get("price", 0), "price")
                line["id"] = self._next_id()
                product = store.products.get(_int(raw["productId"], "productId")) if raw.get("productId") else None
                combo = None
                if product is not None and raw.get("combinationId") is not None:
                    combo = next(
                        (c for c in product["combinations"] if str(c["id"]) == str(raw["combinationId"])),
                        None,
                    )
                    if combo is None:
                        ids_valid = False
                bare_sku = raw.get("sku") and raw.get("combinationId") is None and not raw.get("selectedOptions")
                if bare_sku and any(
                    c.get("sku") == raw["sku"] for p in store.products.values() for c in p["combinations"]
                ):
                    raise ApiError(400, "A variation SKU needs selectedOptions", "INVALID_VALUE")
                if product is None:
                    ids_valid = False
                lines.append(line)
                targets.append((product, combo, quantity))
            has_customer = bool(body.get("email")) or bool(body.get("customerId"))
            decrements: list[tuple[int, int | None, int]] = []
            touched: dict[int, dict[str, Any]] = {}
            if payment == "PAID" and ids_valid and has_customer:
                for product, combo, quantity in targets:
                    assert product is not None
                    holder = self._stock_holder(product, combo)
                    if holder.get("unlimited"):
                        continue
                    taken = min(quantity, int(holder.get("quantity") or 0))
                    holder["quantity"] = int(holder.get("quantity") or 0) - taken
                    owner_combo = combo["id"] if holder is combo else None
                    decrements.append((product["id"], owner_combo, taken))
                    touched[product["id"]] = product
            now = self.now()
            internal = self._next_id()
            order: dict[str, Any] = {
                key: copy.deepcopy(value)
                for key, value in body.items()
                if key not in ("id", "internalId", "orderNumber", "items", "paymentStatus", "fulfillmentStatus")
            }
            order.update(
                {
                    "id": self._new_order_id(store),
                    "internalId": internal,
                    "orderNumber": internal,
                    "vendorOrderNumber": str(internal),
                    "items": lines,
                    "paymentStatus": payment,
                    "fulfillmentStatus": fulfillment,
                    "createTimestamp": now,
                    "updateTimestamp": now,
                    "_decrements": decrements,
                    "_committed_at": time.monotonic(),
                    "_restocked": False,
                }
            )
            for name in ("subtotal", "total", "tax", "discount"):
                if name in order:
                    order[name] = _decimal(order[name], name)
            store.orders[internal] = order
            for product in touched.values():
                self._touch(store, product)
            self.notify(
                store,
                "order.created",
                internal,
                {"orderId": order["id"], "newPaymentStatus": payment, "newFulfillmentStatus": fulfillment},
            )
            return {"id": internal, "orderId": order["id"]}

    def update_order(self, store_id: int | str, order_id: str, body: Any) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            order = self._order(store, order_id)
            if not isinstance(body, dict):
                raise ApiError(400, "Order body must be a JSON object", "INVALID_VALUE")
            old_payment, old_fulfillment = order["paymentStatus"], order["fulfillmentStatus"]
            payment = self._status(body.get("paymentStatus"), PAYMENT_STATUSES, "paymentStatus", old_payment)
            fulfillment = self._status(
                body.get("fulfillmentStatus"), FULFILLMENT_STATUSES, "fulfillmentStatus", old_fulfillment
            )
            for key, value in body.items():
                if key in ("id", "internalId", "orderNumber", "createTimestamp") or key.startswith("_"):
                    continue
                order[key] = copy.deepcopy(value)  # "items", if sent, replaces the whole list
            order["paymentStatus"], order["fulfillmentStatus"] = payment, fulfillment
            order["updateTimestamp"] = self.now()
            if payment == "CANCELLED" and old_payment != "CANCELLED" and not order["_restocked"]:
                self._restock(store, order)
            self.notify(
                store,
                "order.updated",
                order["internalId"],
                {
                    "orderId": order["id"],
                    "oldPaymentStatus": old_payment,
                    "newPaymentStatus": payment,
                    "oldFulfillmentStatus": old_fulfillment,
                    "newFulfillmentStatus": fulfillment,
                },
            )
            return {"updateCount": 1}

    def _restock(self, store: Store, order: dict[str, Any]) -> None:
        order["_restocked"] = True
        for product_id, combination_id, amount in order["_decrements"]:
            product = store.products.get(product_id)
            if product is None or amount == 0:
                continue
            combo = next((c for c in product["combinations"] if c["id"] == combination_id), None)
            holder = combo if combo is not None else product
            if not holder.get("unlimited"):
                holder["quantity"] = int(holder.get("quantity") or 0) + amount
            self._touch(store, product)

    def delete_order(self, store_id: int | str, order_id: str) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            order = self._order(store, order_id)
            del store.orders[order["internalId"]]
            self.notify(store, "order.deleted", order["internalId"], {"orderId": order["id"]})
            return {"deleteCount": 1}

    def render_order(self, order: dict[str, Any]) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in order.items() if not k.startswith("_")}
        out["createDate"] = ecwid_date(order["createTimestamp"])
        out["updateDate"] = ecwid_date(order["updateTimestamp"])
        return out

    def get_order(self, store_id: int | str, order_id: str) -> dict[str, Any]:
        with self.lock:
            return self.render_order(self._order(self.store(store_id), order_id))

    def search_orders(self, store_id: int | str, args: Mapping[str, str]) -> dict[str, Any]:
        """Known filters only; like Ecwid, a filter it does not know is ignored."""
        with self.lock:
            store = self.store(store_id)
            orders = sorted(store.orders.values(), key=lambda o: o["internalId"])
            if self.search_lag > 0:
                visible_before = time.monotonic() - self.search_lag
                orders = [o for o in orders if o.get("_committed_at", 0.0) <= visible_before]
            if args.get("ids"):
                wanted = {x.strip() for x in args["ids"].split(",")}
                orders = [o for o in orders if str(o["internalId"]) in wanted or o["id"] in wanted]
            if args.get("refererId"):
                orders = [o for o in orders if str(o.get("refererId") or "") == args["refererId"]]
            if args.get("keywords"):
                word = args["keywords"].lower()
                fields = ("id", "email", "externalTransactionId", "externalOrderId", "orderComments")
                orders = [o for o in orders if any(word in str(o.get(f) or "").lower() for f in fields)]
            for name in ("paymentStatus", "fulfillmentStatus"):
                if args.get(name):
                    allowed = {s.strip().upper() for s in args[name].split(",")}
                    orders = [o for o in orders if o[name] in allowed]
            if args.get("email") or args.get("customer"):
                who = (args.get("email") or args.get("customer") or "").lower()
                orders = [o for o in orders if who in str(o.get("email") or "").lower()]
            for name, key, lower in (
                ("createdFrom", "createTimestamp", True),
                ("createdTo", "createTimestamp", False),
                ("updatedFrom", "updateTimestamp", True),
                ("updatedTo", "updateTimestamp", False),
            ):
                if args.get(name):
                    bound = time_arg(args[name], name)
                    orders = [o for o in orders if (o[key] >= bound if lower else o[key] <= bound)]
            offset = max(0, int_arg(args.get("offset"), "offset", 0) or 0)
            answer = page(orders, offset, int_arg(args.get("limit"), "limit", MAX_LIMIT) or 0)
            answer["items"] = [self.render_order(o) for o in answer["items"]]
            return answer

    def orders(self, store_id: int | str) -> list[dict[str, Any]]:
        with self.lock:
            store = self.store(store_id)
            return [self.render_order(o) for o in sorted(store.orders.values(), key=lambda o: o["internalId"])]

    # ------------------------------------------------------------------------------------------

    def authorize_redirect(self, redirect_uri: str, params: Mapping[str, str]) -> str:
        separator = "&" if "?" in redirect_uri else "?"
        return redirect_uri + separator + urlencode(params)
