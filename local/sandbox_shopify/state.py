"""The sandbox Shopify's data: shops and their products (in the Admin API's GraphQL shape), the
app's OAuth codes and tokens, and each shop's query-cost bucket.

Products are kept as plain dicts with GraphQL field names and GIDs, so the GraphQL engine reads
them as they are; the schema (:mod:`local.sandbox_shopify.schema`) adds what is computed.
"""

from __future__ import annotations

import copy
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GID = "gid://shopify/{kind}/{number}"


def gid(kind: str, number: int) -> str:
    return GID.format(kind=kind, number=number)


def stamp(when: datetime) -> str:
    """Shopify's DateTime: ISO 8601 in UTC with a Z."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Bucket:
    """The leaky bucket of query cost for one app on one shop."""

    def __init__(self, maximum: float, restore_rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.maximum = maximum
        self.restore_rate = restore_rate
        self._clock = clock
        self._available = maximum
        self._at = clock()
        self._lock = threading.Lock()
        self.throttled = 0
        self.charged = 0
        self.forced = 0
        """Answer this many more priced queries THROTTLED whatever the bucket holds (a test switch)."""

    def _refill(self) -> None:
        now = self._clock()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now

    def take(self, cost: int) -> bool:
        with self._lock:
            self._refill()
            if self.forced > 0 or cost > self._available:
                self.forced = max(0, self.forced - 1)
                self.throttled += 1
                return False
            self._available -= cost
            self.charged += 1
            return True

    def count_throttled(self) -> None:
        """A THROTTLED answer given for another reason than the bucket (a test switch)."""
        with self._lock:
            self.throttled += 1

    def refund(self, points: int) -> None:
        with self._lock:
            self._refill()
            self._available = min(self.maximum, self._available + max(0, points))

    def status(self) -> dict[str, float]:
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": float(self.maximum),
                "currentlyAvailable": int(self._available),
                "restoreRate": float(self.restore_rate),
            }

    def drain(self) -> None:
        """Empty the bucket (as if other calls of the app had just spent it)."""
        with self._lock:
            self._available, self._at = 0.0, self._clock()

    def reset(self, maximum: float, restore_rate: float) -> None:
        with self._lock:
            self.maximum, self.restore_rate = maximum, restore_rate
            self._available, self._at = maximum, self._clock()
            self.forced = 0


@dataclass
class Shop:
    domain: str
    name: str
    currency: str = "USD"
    weight_unit: str = "KILOGRAMS"
    unit_system: str = "METRIC_SYSTEM"
    timezone: str = "America/New_York"
    number: int = 0
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    bulk: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Bulk operations by id, and ``"current"``: the latest."""
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Locations by GID, the primary one first."""
    levels: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    """(inventory item GID, location GID) -> ``{"available": n, "committed": n}``: the item is
    stocked at that location."""
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    deletions: list[dict[str, Any]] = field(default_factory=list)
    """Deletion events (products and collections), oldest first."""
    idempotency: dict[str, tuple[str, Any]] = field(default_factory=dict)
    """``@idempotent`` key -> (the request's fingerprint, the answer given)."""
    order_count: int = 1000
    listener: Callable[[str, str, dict[str, Any]], object] | None = None
    """Told ``(shop, topic, REST-shaped payload)`` of each change an API call makes (the server
    sends it as a webhook)."""
    lock: threading.RLock = field(default_factory=threading.RLock)

    def notify(self, topic: str, payload: dict[str, Any]) -> None:
        if self.listener is not None:
            self.listener(self.domain, topic, payload)

    @property
    def primary_location(self) -> str:
        return next(iter(self.locations))

    def variant_of_item(self, item_gid: str) -> dict[str, Any] | None:
        for product in self.products.values():
            for variant in product["variants"]:
                if variant["inventoryItem"]["id"] == item_gid:
                    found: dict[str, Any] = variant
                    return found
        return None

    def variant(self, variant_gid: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for product in self.products.values():
            for variant in product["variants"]:
                if variant["id"] == variant_gid:
                    return product, variant
        return None

    def level(self, item_gid: str, location_gid: str) -> dict[str, int] | None:
        return self.levels.get((item_gid, location_gid))

    def move_stock(self, item_gid: str, location_gid: str, *, available: int = 0, committed: int = 0,
                   notify: bool = True) -> None:
        """Change one level by deltas (it is created when missing) and keep the variant's
        ``inventoryQuantity`` (available at every location) and its product's total in step; a
        change of ``available`` is told as ``inventory_levels/update`` unless ``notify`` is off."""
        level = self.levels.setdefault((item_gid, location_gid), {"available": 0, "committed": 0})
        level["available"] += available
        level["committed"] += committed
        variant = self.variant_of_item(item_gid)
        if variant is not None:
            variant["inventoryQuantity"] = sum(v["available"] for (item, _), v in self.levels.items()
                                               if item == item_gid)
            for product in self.products.values():
                if variant in product["variants"]:
                    product["totalInventory"] = sum(int(v.get("inventoryQuantity") or 0)
                                                    for v in product["variants"])
        if notify and available:
            item_number, location_number = item_gid.rsplit("/", 1)[-1], location_gid.rsplit("/", 1)[-1]
            self.notify("inventory_levels/update", {
                "inventory_item_id": int(item_number), "location_id": int(location_number),
                "available": level["available"], "updated_at": stamp(datetime.now(UTC)),
                "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location_number}?inventory_item_id="
                                        f"{item_number}"})

    def view(self) -> dict[str, Any]:
        return {
            "id": gid("Shop", self.number),
            "name": self.name,
            "myshopifyDomain": self.domain,
            "currencyCode": self.currency,
            "weightUnit": self.weight_unit,
            "unitSystem": self.unit_system,
            "ianaTimezone": self.timezone,
            "url": f"https://{self.domain}",
        }


@dataclass
class Token:
    shop: str
    scopes: tuple[str, ...]
    expires_at: float | None
    used: bool = False
    replaces_refresh: str | None = None
    """The refresh token this token came from: it stops working once this token is used."""


@dataclass
class Code:
    shop: str
    scopes: tuple[str, ...]
    issued_at: float
    used: bool = False


@dataclass
class Refresh:
    shop: str
    scopes: tuple[str, ...]
    expires_at: float
    valid: bool = True


class SandboxState:
    """Everything the sandbox knows, behind one lock per kind of thing."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, now: Callable[[], datetime] | None = None,
                 cost_maximum: float = 2000.0, restore_rate: float = 100.0) -> None:
        self.clock = clock
        self.now = now or (lambda: datetime.now(UTC))
        self.shops: dict[str, Shop] = {}
        self.buckets: dict[str, Bucket] = {}
        self.codes: dict[str, Code] = {}
        self.bulk_files: dict[str, bytes] = {}
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, Refresh] = {}
        self.cost_maximum = cost_maximum
        self.restore_rate = restore_rate
        self._lock = threading.RLock()
        self._next_id = 1_000_000_000
        self.token_ttl_s = 3600.0
        self.refresh_ttl_s = 90 * 86_400.0
        self.code_ttl_s = 600.0
        self.listener: Callable[[str, str, dict[str, Any]], object] | None = None
        """Given to each shop created (see :attr:`Shop.listener`)."""
        self.search_lag_s = 0.0
        """How long a new order stays out of ``orders(query:)`` results (Shopify's search index
        trails writes; ``order(id:)`` sees it at once)."""

    # -- ids and shops --------------------------------------------------------------------------

    def next_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def create_shop(self, domain: str, name: str | None = None, **settings: Any) -> Shop:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*\.myshopify\.com", domain):
            raise ValueError("a shop's domain is <name>.myshopify.com")
        with self._lock:
            shop = Shop(domain, name or domain.split(".", maxsplit=1)[0].title(), number=self.next_id(), **settings)
            shop.listener = self.listener
            primary = gid("Location", self.next_id())
            shop.locations[primary] = {"id": primary, "name": "Shop location", "isActive": True,
                                       "fulfillsOnlineOrders": True}
            self.shops[domain] = shop
            self.buckets[domain] = Bucket(self.cost_maximum, self.restore_rate, self.clock)
            return shop

    def shop(self, domain: str) -> Shop | None:
        with self._lock:
            return self.shops.get(domain)

    def set_cost_limits(self, maximum: float, restore_rate: float) -> None:
        with self._lock:
            self.cost_maximum, self.restore_rate = maximum, restore_rate
            for bucket in self.buckets.values():
                bucket.reset(maximum, restore_rate)

    # -- catalog ---------------------------------------------------------------------------------

    def add_product(self, domain: str, spec: dict[str, Any], *, updated_at: datetime | None = None) -> dict[str, Any]:
        """Store a product spec (GraphQL shape without ids): ids, positions and times are given here."""
        shop = self._shop(domain)
        product = copy.deepcopy(spec)
        number = self.next_id()
        when = updated_at or self.now()
        product["id"] = gid("Product", number)
        product.setdefault("handle", re.sub(r"[^a-z0-9]+", "-", product["title"].lower()).strip("-"))
        product["createdAt"] = stamp(when)
        product["updatedAt"] = stamp(when)
        for position, option in enumerate(product.get("options", []), start=1):
            option["id"] = gid("ProductOption", self.next_id())
            option["position"] = position
        for position, media in enumerate(product.get("media", []), start=1):
            media["id"] = gid("MediaImage", self.next_id())
            media["position"] = position
            media.setdefault("__typename", "MediaImage")
            media.setdefault("mediaContentType", "IMAGE")
            media.setdefault("status", "READY")
        for position, variant in enumerate(product["variants"], start=1):
            variant["id"] = gid("ProductVariant", self.next_id())
            variant["position"] = position
            variant.setdefault("title", " / ".join(o["value"] for o in variant.get("selectedOptions", []))
                               or "Default Title")
            item = variant.setdefault("inventoryItem", {})
            item["id"] = gid("InventoryItem", self.next_id())
            item.setdefault("tracked", True)
            item.setdefault("sku", variant.get("sku"))
            item.setdefault("measurement", {"weight": None})
        product["totalInventory"] = sum(int(v.get("inventoryQuantity") or 0) for v in product["variants"])
        with shop.lock:
            shop.products[product["id"]] = product
            for variant in product["variants"]:  # the starting count is at the primary location
                shop.levels[(variant["inventoryItem"]["id"], shop.primary_location)] = {
                    "available": int(variant.get("inventoryQuantity") or 0), "committed": 0}
        return product

    def add_location(self, domain: str, name: str, *, active: bool = True) -> dict[str, Any]:
        shop = self._shop(domain)
        location: dict[str, Any] = {"id": gid("Location", self.next_id()), "name": name, "isActive": active,
                                    "fulfillsOnlineOrders": True}
        with shop.lock:
            shop.locations[location["id"]] = location
        return location

    def add_collection(self, domain: str, title: str, product_gids: list[str]) -> dict[str, Any]:
        shop = self._shop(domain)
        collection: dict[str, Any] = {"id": gid("Collection", self.next_id()), "title": title,
                      "handle": re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
                      "updatedAt": stamp(self.now()), "_products": list(product_gids)}
        with shop.lock:
            shop.collections[collection["id"]] = collection
        return collection

    def touch_product(self, domain: str, product_gid: str, changes: dict[str, Any],
                      *, updated_at: datetime | None = None) -> dict[str, Any]:
        shop = self._shop(domain)
        with shop.lock:
            product = shop.products[product_gid]
            product.update(changes)
            product["updatedAt"] = stamp(updated_at or self.now())
            return product

    def delete_product(self, domain: str, product_gid: str) -> None:
        shop = self._shop(domain)
        with shop.lock:
            if shop.products.pop(product_gid, None) is not None:
                shop.deletions.append({"subjectId": product_gid, "subjectType": "PRODUCT",
                                       "occurredAt": stamp(self.now())})
                for (item, location) in [k for k in shop.levels if k[0] not in _items(shop)]:
                    del shop.levels[(item, location)]

    def products(self, domain: str) -> list[dict[str, Any]]:
        shop = self._shop(domain)
        with shop.lock:
            return list(shop.products.values())

    def _shop(self, domain: str) -> Shop:
        shop = self.shop(domain)
        if shop is None:
            raise KeyError(domain)
        return shop

    # -- OAuth -----------------------------------------------------------------------------------

    def issue_code(self, domain: str, scopes: tuple[str, ...]) -> str:
        code = secrets.token_hex(16)
        with self._lock:
            self.codes[code] = Code(domain, scopes, self.clock())
        return code

    def redeem_code(self, domain: str, code: str) -> Code | None:
        with self._lock:
            found = self.codes.get(code)
            if found is None or found.used or found.shop != domain or self.clock() - found.issued_at > self.code_ttl_s:
                return None
            found.used = True
            return found

    def issue_token(self, domain: str, scopes: tuple[str, ...], *, expiring: bool = True,
                    replaces_refresh: str | None = None) -> tuple[str, str | None]:
        """A new access token (and a refresh token when ``expiring``)."""
        access = "shpat_" + secrets.token_hex(16)
        refresh = "shprt_" + secrets.token_hex(16) if expiring else None
        with self._lock:
            expires = self.clock() + self.token_ttl_s if expiring else None
            self.tokens[access] = Token(domain, scopes, expires, replaces_refresh=replaces_refresh)
            if refresh is not None:
                self.refresh_tokens[refresh] = Refresh(domain, scopes, self.clock() + self.refresh_ttl_s)
        return access, refresh

    def use_refresh(self, value: str) -> Refresh | None:
        with self._lock:
            found = self.refresh_tokens.get(value)
            if found is None or not found.valid or self.clock() > found.expires_at:
                return None
            return found

    def authenticate(self, domain: str, access: str | None) -> Token | None:
        """The token if it is this shop's and still valid; its first use retires the refresh
        token it was issued for (rotation)."""
        if not access:
            return None
        with self._lock:
            token = self.tokens.get(access)
            if token is None or token.shop != domain:
                return None
            if token.expires_at is not None and self.clock() > token.expires_at:
                return None
            if not token.used:
                token.used = True
                if token.replaces_refresh and token.replaces_refresh in self.refresh_tokens:
                    self.refresh_tokens[token.replaces_refresh].valid = False
            return token

    def revoke_shop_tokens(self, domain: str) -> None:
        with self._lock:
            for value in [k for k, t in self.tokens.items() if t.shop == domain]:
                del self.tokens[value]
            for refresh in self.refresh_tokens.values():
                if refresh.shop == domain:
                    refresh.valid = False

    def expire_token(self, access: str) -> None:
        with self._lock:
            token = self.tokens.get(access)
            if token is not None:
                token.expires_at = self.clock() - 1


def _items(shop: Shop) -> set[str]:
    return {v["inventoryItem"]["id"] for p in shop.products.values() for v in p["variants"]}


def parse_search(query: str | None) -> tuple[list[Callable[[dict[str, Any]], bool]], list[str]]:
    """Shopify's search syntax, the terms the sandbox knows (``updated_at``, ``created_at`` with
    ``>``/``>=``/``<``/``<=``/``:``, ``status``, ``id`` and a bare word on the title); unknown
    fields are ignored with a warning, as Shopify does."""
    if not query:
        return [], []
    checks: list[Callable[[dict[str, Any]], bool]] = []
    warnings: list[str] = []
    for term in re.findall(r"""(?:[^\s'"]+(?:'[^']*'|"[^"]*")?)+""", query):
        if term.upper() in ("AND",):
            continue
        found = re.fullmatch(r"""([a-z_]+):(>=|<=|>|<)?(.+)""", term)
        if found is None:
            word = term.strip("'\"").lower()
            checks.append(_field_check("title", word, contains=True))
            continue
        name, op, raw = found.group(1), found.group(2) or "=", found.group(3).strip("'\"")
        if name in ("updated_at", "created_at"):
            try:
                moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                warnings.append(f"Invalid date for {name}: {raw}")
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            key = "updatedAt" if name == "updated_at" else "createdAt"
            checks.append(_compare(key, op, moment))
        elif name == "status":
            checks.append(_field_check("status", raw.upper()))
        elif name == "id":
            checks.append(_compare_id(op, raw))
        else:
            warnings.append(f"Invalid search field for this query: {name}")
    return checks, warnings


def _field_check(key: str, wanted: str, *, contains: bool = False) -> Callable[[dict[str, Any]], bool]:
    def check(product: dict[str, Any]) -> bool:
        value = str(product.get(key) or "")
        return wanted in value.lower() if contains else value == wanted

    return check


def _compare(key: str, op: str, moment: datetime) -> Callable[[dict[str, Any]], bool]:
    def check(product: dict[str, Any]) -> bool:
        value = datetime.fromisoformat(product[key].replace("Z", "+00:00"))
        return {
            ">": value > moment, ">=": value >= moment, "<": value < moment, "<=": value <= moment,
            "=": value == moment,
        }[op]

    return check


def _compare_id(op: str, raw: str) -> Callable[[dict[str, Any]], bool]:
    try:
        wanted = int(raw)
    except ValueError:
        return lambda _p: False

    def check(product: dict[str, Any]) -> bool:
        value = int(product["id"].rsplit("/", 1)[-1])
        return {">": value > wanted, ">=": value >= wanted, "<": value < wanted, "<=": value <= wanted,
                "=": value == wanted}[op]

    return check
