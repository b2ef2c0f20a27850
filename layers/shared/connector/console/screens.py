"""What each console screen shows, read through the same repositories and listings as the
merchant API's routes (:mod:`connector.api.operations`, ``catalog``, ``orders``): the
connection comes from the console session, every read is under its partition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connector.errors import BadRequest, NotFound

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from connector.catalog.records import CategoryMapping, ProductRecord
    from connector.connections.models import Connection, ShopLink

PAGE = 50
SEARCH_PAGE = 200
SEARCH_BUDGET = 5000
"""A text search reads at most this many products per screen page (then offers "more")."""
PRODUCT_STATUSES = ("not_synced", "sync_failed", "in_review", "review_failed", "active", "deactivated")
SOURCE_WORDS = {"store": "From the store", "override": "This product's own value", "tiktok": "Keep TikTok's",
                "none": "Do not sync"}
ACTION_WORDS = {"deactivate": "Take the product off TikTok", "zero_sku": "List 0 on the low SKUs",
                "exclude": "Nothing (this product is left out of the rule)"}
ORDER_STATES = ("created", "blocked", "shipped", "in_transit", "delivered", "completed", "cancelled",
                "refunded", "waiting_hold", "skipped")


@dataclass(frozen=True)
class Reader:
    table: str
    client: DynamoDBClient
    connection: Connection

    @property
    def cid(self) -> str:
        return self.connection.connection_id


def reader(connection: Connection) -> Reader:
    from connector import aws
    from connector.config import BaseEnv, load_env

    return Reader(load_env(BaseEnv).table_name, aws.client("dynamodb"), connection)


def _shops(r: Reader) -> list[ShopLink]:
    from connector.connections.repository import ConnectionRepository

    return ConnectionRepository(r.table, r.client).shops(r.cid)


# ------------------------------------------------------------------------------ checklist
def checklist(r: Reader, mappings: list[CategoryMapping] | None = None) -> list[dict[str, Any]]:
    from connector.catalog.records import ProductRepository

    c = r.connection
    shops = _shops(r)
    if mappings is None:
        mappings = ProductRepository(r.table, r.client).mappings(r.cid)
    unfilled = [m for m in mappings if m.tiktok_category_id and missing_attributes(m)]
    unmapped = [m for m in mappings if not m.tiktok_category_id]
    currencies = {s.currency for s in shops if s.currency}
    return [
        {"label": "Store connected", "done": c.store_token_ct is not None and c.state != "disconnected",
         "hint": "Install the app from your store's app market.", "link": None},
        {"label": "TikTok Shop authorized", "done": bool(shops) and c.state not in ("pending", "needs_reauth"),
         "hint": "Authorize your TikTok Shop from the Connection screen.", "link": "#/connection"},
        {"label": "Warehouse chosen", "done": any(s.default_warehouse_id for s in shops),
         "hint": "Set a default warehouse in TikTok Seller Center, then check the connection.",
         "link": "#/connection"},
        {"label": "Currency matches", "done": bool(c.store_currency) and c.store_currency in currencies,
         "hint": f"Your store sells in {c.store_currency or '?'}; the shop in {', '.join(sorted(currencies)) or '?'}.",
         "link": "#/connection"},
        {"label": "Categories mapped", "done": bool(mappings) and not unmapped,
         "hint": f"{len(unmapped)} store categories have no TikTok category yet.", "link": "#/categories"},
        {"label": "Required attributes filled", "done": bool(mappings) and not unfilled,
         "hint": f"{len(unfilled)} categories need attributes TikTok requires.", "link": "#/categories"},
    ]


def missing_attributes(mapping: CategoryMapping) -> dict[str, str]:
    filled = mapping.fill.attribute_values
    return {a: name for a, name in mapping.required_attributes.items() if not filled.get(a)}


# ------------------------------------------------------------------------------ dashboard
def dashboard(r: Reader, days: int) -> dict[str, Any]:
    from connector.api import listing
    from connector.api.overview import build
    from connector.catalog.records import ProductRepository
    from connector.orders.records import from_attributes
    from connector.runtime import now

    until = int(now())
    since = until - days * 86400
    orders = (from_attributes(i) for i in listing.orders_created_between(r.client, r.table, r.cid, since, until))
    counts = ProductRepository(r.table, r.client).count_by_status(r.cid)
    overview = build(orders, counts, since=since, until=until, top=5)
    tasks, _ = listing.task_page(r.client, r.table, r.cid, kind=None, state=None, limit=5, page_token=None)
    steps = checklist(r)
    return {"overview": overview, "tasks": [task_view(t) for t in tasks], "days": days, "checklist": steps,
            "setup_done": all(s["done"] for s in steps), "statuses": PRODUCT_STATUSES,
            "states": ("created", "shipped", "cancelled", "blocked")}


# ------------------------------------------------------------------------------ products
def products(r: Reader, *, status: str | None, q: str, page_token: str | None) -> dict[str, Any]:
    from connector.catalog.records import ProductRepository

    if status is not None and status not in PRODUCT_STATUSES:
        raise BadRequest(f"unknown status {status[:40]!r}", reason="bad_status")
    repo = ProductRepository(r.table, r.client)
    needle = q.strip().lower()
    found: list[ProductRecord] = []
    token = page_token
    try:
        if not needle:
            found, token = repo.page(r.cid, status=status, limit=PAGE, page_token=token)  # type: ignore[arg-type]
        else:
            scanned = 0
            while True:
                records, token = repo.page(r.cid, status=status, limit=SEARCH_PAGE,  # type: ignore[arg-type]
                                           page_token=token)
                scanned += len(records)
                found += [p for p in records if needle in p.title.lower() or needle in (p.sku or "").lower()
                          or needle == p.store_product_id]
                if not token or len(found) >= PAGE or scanned >= SEARCH_BUDGET:
                    break
    except ValueError:
        raise BadRequest("the page token is not one this listing gave out", reason="bad_page_token") from None
    return {"products": found, "next_page_token": token, "status": status, "q": q, "statuses": PRODUCT_STATUSES,
            "syncing": r.connection.syncing}


def product(r: Reader, store_product_id: str) -> dict[str, Any]:
    from connector.catalog.records import ProductRepository
    from connector.links import LinkRepository
    from connector.settings import SYNC_FIELDS, SettingsRepository

    record = ProductRepository(r.table, r.client).get(r.cid, store_product_id)
    if record is None:
        raise NotFound(f"no product {store_product_id} on this connection", reason="no_such_product")
    mapping = (ProductRepository(r.table, r.client).get_mapping(r.cid, record.store_category_id)
               if record.store_category_id else None)
    links = LinkRepository(r.table, r.client).for_product(r.cid, store_product_id)
    settings = SettingsRepository(r.table, r.client).get(r.cid)
    store = store_platform(r)
    return {"p": record, "mapping": mapping, "links": links, "syncing": r.connection.syncing, "store": store,
            "admin_url": store.product_admin_url(r.connection.store_id, record.store_product_id),
            "rules": settings.sync_rules, "stock": settings.stock, "sync_fields": SYNC_FIELDS,
            "source_words": SOURCE_WORDS, "action_words": ACTION_WORDS}



# ------------------------------------------------------------------------------ orders
def orders(r: Reader, *, state: str | None, q: str, page_token: str | None) -> dict[str, Any]:
    from connector.api import listing
    from connector.orders.records import OrderRecord, OrderRepository, from_attributes

    if state is not None and state not in ORDER_STATES:
        raise BadRequest(f"unknown state {state[:40]!r}", reason="bad_state")
    repo = OrderRepository(r.table, r.client)
    needle = q.strip()
    found: list[OrderRecord] = []
    token: str | None = None
    if needle:
        exact = repo.get(r.cid, needle) if needle.isdigit() else None
        if exact is not None:
            found = [exact]
        else:  # a store order id: read the connection's orders newest first, a bounded number
            next_token = page_token
            for _ in range(SEARCH_BUDGET // 100):
                items, next_token = listing.order_page(r.client, r.table, r.cid, limit=100, page_token=next_token)
                found += [o for o in map(from_attributes, items) if o.store_order_id == needle]
                if found or not next_token:
                    break
    elif state:
        found, token = repo.list_by_state(r.cid, state, limit=PAGE, page_token=page_token)
    else:
        items, token = listing.order_page(r.client, r.table, r.cid, limit=PAGE, page_token=page_token)
        found = [from_attributes(i) for i in items]
    return {"orders": found, "next_page_token": token, "state": state, "q": q, "states": ORDER_STATES,
            "syncing": r.connection.syncing}


def order(r: Reader, tiktok_order_id: str) -> dict[str, Any]:
    from connector.orders.records import OrderRepository

    if not tiktok_order_id.isdigit() or len(tiktok_order_id) > 40:
        raise BadRequest("a TikTok order id is a string of digits", reason="bad_order_id")
    record = OrderRepository(r.table, r.client).get(r.cid, tiktok_order_id)
    if record is None:
        raise NotFound(f"no order {tiktok_order_id} on this connection", reason="no_such_order")
    candidates: dict[str, str] = {}
    if record.state == "blocked":
        for line in record.lines:
            if line.seller_sku and not line.store_product_id:
                match = products(r, status=None, q=line.seller_sku, page_token=None)["products"]
                exact = [p for p in match if (p.sku or "") == line.seller_sku]
                if len(exact) == 1:
                    candidates[line.tiktok_sku_id] = exact[0].store_product_id
    return {"o": record, "candidates": candidates, "syncing": r.connection.syncing}


# ------------------------------------------------------------------------------ tasks
def task_view(item: dict[str, Any] | Any) -> dict[str, Any]:
    data = item if isinstance(item, dict) else item.model_dump()
    counts = {k: int(v) for k, v in (data.get("counts") or {}).items()}
    done = counts.get("done", sum(v for k, v in counts.items() if k != "done"))
    total = data.get("total")
    if data.get("state") in ("completed", "error"):
        percent = 100
    elif total:
        percent = min(99, int(done * 100 / int(total)))
    else:
        percent = 0
    return {**data, "counts": counts, "done": done, "percent": percent}


def tasks(r: Reader, page_token: str | None) -> dict[str, Any]:
    from connector.api import listing

    items, token = listing.task_page(r.client, r.table, r.cid, kind=None, state=None, limit=PAGE,
                                     page_token=page_token)
    return {"tasks": [task_view(t) for t in items], "next_page_token": token}


def task(r: Reader, task_id: str, page_token: str | None) -> dict[str, Any]:
    from connector.api import listing
    from connector.tasks import TaskRepository

    record = TaskRepository(r.table, r.client).get(r.cid, task_id)
    if record is None:
        raise NotFound(f"no task {task_id} on this connection", reason="no_such_task")
    items, token = listing.task_item_page(r.client, r.table, r.cid, task_id, outcome=None, limit=PAGE,
                                          page_token=page_token)
    rows = [{"item_id": str(i.get("item_id", "")), "outcome": str(i.get("outcome", "")), "reason": i.get("reason")}
            for i in items]
    return {"t": task_view(record), "items": rows, "next_page_token": token}


# ------------------------------------------------------------------------------ categories
def categories(r: Reader) -> dict[str, Any]:
    from connector.catalog.records import ProductRepository

    mappings = ProductRepository(r.table, r.client).mappings(r.cid)
    return {"mappings": mappings, "missing": {m.store_category_id: missing_attributes(m) for m in mappings},
            "syncing": r.connection.syncing}


def category(r: Reader, store_category_id: str) -> dict[str, Any]:
    from connector.catalog.records import ProductRepository

    repo = ProductRepository(r.table, r.client)
    mapping = repo.get_mapping(r.cid, store_category_id)
    if mapping is None:
        raise NotFound(f"no store category {store_category_id} on this connection", reason="unknown_category")
    held = [p.store_product_id for p in repo.all(r.cid, status="sync_failed")
            if p.store_category_id == store_category_id][:1000]
    return {"m": mapping, "missing": missing_attributes(mapping), "held": held, "syncing": r.connection.syncing}


# ------------------------------------------------------------------------------ connection
def store_platform(r: Reader) -> Any:
    """The connection's store platform app, for its wording and links (no credentials)."""
    from connector.connections.platforms import describe

    return describe(r.connection.platform)


def connection(r: Reader) -> dict[str, Any]:
    return {"c": r.connection, "shops": _shops(r), "store": store_platform(r)}


def stock_location(r: Reader) -> dict[str, Any]:
    """The store location mapped to the TikTok warehouse (a platform that keeps stock per location)."""
    location = r.connection.store_location_id
    warehouses = sorted({s.default_warehouse_id for s in _shops(r) if s.default_warehouse_id}) if location else []
    return {"store": store_platform(r), "location": location, "warehouses": warehouses}


def warehouse_choices(r: Reader) -> dict[str, Any]:
    """What the location -> warehouse map may name: the store's locations (read from the store
    now; ``None`` when it does not answer) and each shop's sales warehouses as last listed."""
    from connector.catalog.stock.warehouses import sales_warehouses, store_locations
    from connector.connections.wiring import wire
    from connector.errors import ConnectorError

    try:
        locations: list[Any] | None = [x for x in store_locations(wire().c, r.connection) if x.active]
    except ConnectorError:
        locations = None
    shops = [{"name": s.name or s.shop_id,
              "warehouses": [{"id": w.id, "name": w.name or "", "default": w.id == s.default_warehouse_id}
                             for w in sales_warehouses(s)]}
             for s in _shops(r)]
    return {"store_locations": locations, "shop_warehouses": shops}
