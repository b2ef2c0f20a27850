"""Merchant API routes for operating a connection: tasks, products and orders with
their status and reason, the overview, settings, and the OpenAPI document of the whole API.

Every route starts with :func:`connector.api.owned` (401 without credentials, 403 for another
connection's, the same for an unknown connection), before it even validates its input, and reads
only under that connection's partition. Queries and bodies are pydantic models: a bad one is a 400 naming the field.
Each route is declared with :func:`_route`, which also records it in :mod:`connector.api.routes`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from connector.api import new_router, owned, query
from connector.api.routes import ROUTES, RouteSpec
from connector.errors import BadRequest, Conflict, NotFound
from connector.web import error_body, json_response

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from connector.api.views import OrderView

router = new_router()

QueryT = TypeVar("QueryT", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])


def _route(method: str, path: str, *, summary: str, response: str | None, query: str | None = None,
           body: str | None = None, tag: str, authenticated: bool = True) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        ROUTES.append(RouteSpec(method, path, summary, response, query, body, tag, authenticated))
        getattr(router, method.lower())(path)(function)
        return function
    return decorate


def _query(model: type[QueryT]) -> QueryT:
    return model.model_validate(query(router))


def _ok(model: BaseModel) -> Any:
    return json_response(200, model.model_dump(mode="json"))


def _context(connection_id: str) -> tuple[str, Any]:
    """Authorize the caller for ``connection_id``; (table name, DynamoDB client)."""
    from connector import aws
    from connector.connections.wiring import wire

    w = wire()
    owned(router, w, connection_id)
    return w.env.table_name, aws.client("dynamodb")


def _pick(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    return {k: val for k, val in data.items() if k in model.model_fields}


# ------------------------------------------------------------------------------ tasks
@_route("GET", "/connections/<connection_id>/tasks", summary="Recent tasks, newest first, by kind and state",
        query="TaskQuery", response="TaskPage", tag="tasks")
def list_tasks(connection_id: str) -> Any:
    from connector.api import listing
    from connector.api import views as v

    table, client = _context(connection_id)
    q = _query(v.TaskQuery)
    items, token = listing.task_page(client, table, connection_id, kind=q.kind, state=q.state, limit=q.limit,
                                     page_token=q.page_token)
    return _ok(v.TaskPage(tasks=[v.TaskView.model_validate(_pick(v.TaskView, i)) for i in items],
                          next_page_token=token))


@_route("GET", "/connections/<connection_id>/tasks/<task_id>",
        summary="One task: state, counts and its per-item results (by outcome, paged)",
        query="TaskItemQuery", response="TaskDetail", tag="tasks")
def read_task(connection_id: str, task_id: str) -> Any:
    from connector.api import listing
    from connector.api import views as v
    from connector.tasks import TaskRepository

    table, client = _context(connection_id)
    q = _query(v.TaskItemQuery)
    record = TaskRepository(table, client).get(connection_id, task_id)
    if record is None:
        raise NotFound(f"no task {task_id} on this connection", reason="no_such_task")
    items, token = listing.task_item_page(client, table, connection_id, task_id, outcome=q.outcome, limit=q.limit,
                                          page_token=q.page_token)
    return _ok(v.TaskDetail(task=v.TaskView.model_validate(_pick(v.TaskView, record.model_dump())),
                            items=[v.TaskItemView.model_validate(_pick(v.TaskItemView, i)) for i in items],
                            next_page_token=token))


# ------------------------------------------------------------------------------ products
@_route("GET", "/connections/<connection_id>/products",
        summary="Products with their sync status and reason, by status, paged", query="ProductQuery",
        response="ProductPage", tag="products")
def list_products(connection_id: str) -> Any:
    from connector.api import views as v
    from connector.catalog.records import ProductRepository

    table, client = _context(connection_id)
    q = _query(v.ProductQuery)
    try:
        records, token = ProductRepository(table, client).page(connection_id, status=q.status, limit=q.limit,
                                                               page_token=q.page_token)
    except ValueError:
        raise BadRequest("the page token is not one this listing gave out", reason="bad_page_token") from None
    return _ok(v.ProductPage(products=[v.ProductView.model_validate(_pick(v.ProductView, r.model_dump()))
                                       for r in records], next_page_token=token))


@_route("GET", "/connections/<connection_id>/products/<store_product_id>",
        summary="One product's sync status, reason and TikTok ids", response="ProductView", tag="products")
def read_product(connection_id: str, store_product_id: str) -> Any:
    from connector.api import views as v
    from connector.catalog.records import ProductRepository

    table, client = _context(connection_id)
    record = ProductRepository(table, client).get(connection_id, store_product_id)
    if record is None:
        raise NotFound(f"no product {store_product_id} on this connection", reason="no_such_product")
    return _ok(v.ProductView.model_validate(_pick(v.ProductView, record.model_dump())))


# ------------------------------------------------------------------------------ orders
def _order_view(record: Any) -> OrderView:
    from connector.api import views as v

    data = record.model_dump()
    data["lines"] = [_pick(v.OrderLineView, line) for line in data.get("lines", ())]
    return v.OrderView.model_validate(_pick(v.OrderView, data))


@_route("GET", "/connections/<connection_id>/orders",
        summary="TikTok orders with their relay state and reason, by state, newest first, paged",
        query="OrderQuery", response="OrderPage", tag="orders")
def list_orders(connection_id: str) -> Any:
    from connector.api import listing
    from connector.api import views as v
    from connector.orders.records import OrderRepository, from_attributes

    table, client = _context(connection_id)
    q = _query(v.OrderQuery)
    if q.state is not None:
        records, token = OrderRepository(table, client).list_by_state(connection_id, q.state, limit=q.limit,
                                                                      page_token=q.page_token)
    else:
        items, token = listing.order_page(client, table, connection_id, limit=q.limit, page_token=q.page_token)
        records = [from_attributes(item) for item in items]
    return _ok(v.OrderPage(orders=[_order_view(r) for r in records], next_page_token=token))


@_route("GET", "/connections/<connection_id>/orders/<tiktok_order_id>",
        summary="One TikTok order: relay state, reason, store order id, lines", response="OrderView", tag="orders")
def read_order(connection_id: str, tiktok_order_id: str) -> Any:
    from connector.orders.records import OrderRepository

    table, client = _context(connection_id)
    record = OrderRepository(table, client).get(connection_id, tiktok_order_id)
    if record is None:
        raise NotFound(f"no order {tiktok_order_id} on this connection", reason="no_such_order")
    return _ok(_order_view(record))


# ------------------------------------------------------------------------------ overview
@_route("GET", "/connections/<connection_id>/overview",
        summary="Products by status, orders by state, revenue, top products and customers over the last N days",
        query="OverviewQuery", response="Overview", tag="overview")
def overview(connection_id: str) -> Any:
    from connector.api import listing
    from connector.api import views as v
    from connector.api.overview import build
    from connector.catalog.records import ProductRepository
    from connector.orders.records import from_attributes
    from connector.runtime import now

    table, client = _context(connection_id)
    q = _query(v.OverviewQuery)
    until = int(now())
    since = until - q.days * 86400
    orders = (from_attributes(item) for item in listing.orders_created_between(client, table, connection_id,
                                                                                since, until))
    counts = ProductRepository(table, client).count_by_status(connection_id)
    return _ok(build(orders, counts, since=since, until=until, top=q.top))


# ------------------------------------------------------------------------------ settings
@_route("GET", "/connections/<connection_id>/settings", summary="The connection's settings (defaults filled in)",
        response="ConnectionSettings", tag="settings")
def read_settings(connection_id: str) -> Any:
    from connector.settings import SettingsRepository

    table, client = _context(connection_id)
    return _ok(SettingsRepository(table, client).get(connection_id))


@_route("GET", "/connections/<connection_id>/settings/warehouses",
        summary="The store location -> TikTok warehouse map, with the store's locations and the shops' warehouses "
                "to choose from (set it with PATCH settings, section stock, field warehouses)",
        response="WarehouseMapView", tag="settings")
def read_warehouse_map(connection_id: str) -> Any:
    from connector.api import views as v
    from connector.catalog.stock.warehouses import sales_warehouses, store_locations
    from connector.connections.wiring import wire
    from connector.settings import SettingsRepository

    table, client = _context(connection_id)
    c = wire().c
    locations = store_locations(c, c.repo.require(connection_id))
    shops = [v.ShopWarehouses(shop_id=s.shop_id, name=s.name, default_warehouse_id=s.default_warehouse_id,
                              warehouses=[v.WarehouseChoice(id=w.id, name=w.name, is_default=w.is_default)
                                          for w in sales_warehouses(s)])
             for s in c.repo.shops(connection_id)]
    return _ok(v.WarehouseMapView(
        warehouses=dict(SettingsRepository(table, client).get(connection_id).stock.warehouses),
        locations=[v.LocationChoice(id=loc.id, name=loc.name, active=loc.active) for loc in locations], shops=shops))


SETTINGS_WRITE_ATTEMPTS = 3


@_route("PATCH", "/connections/<connection_id>/settings",
        summary="Change some settings: sections with the fields to change; answers the new settings",
        body="SettingsPatch", response="ConnectionSettings", tag="settings")
def patch_settings(connection_id: str) -> Any:
    table, client = _context(connection_id)
    changes = _settings_changes(router.current_event.decoded_body)
    return _ok(save_settings(client, table, connection_id, changes))


def save_settings(client: DynamoDBClient, table: str, connection_id: str, changes: dict[str, dict[str, Any]]) -> Any:
    """Apply ``changes`` (sections of fields) to the stored settings with optimistic concurrency:
    the new :class:`~connector.settings.ConnectionSettings` (a pydantic ``ValidationError`` names
    ``section.field`` when a value does not fit). The merchant API and the console both save here."""
    from connector.api import listing
    from connector.runtime import now
    from connector.settings import ConnectionSettings

    wanted = changes.get("stock", {}).get("warehouses") if isinstance(changes.get("stock"), dict) else None
    if wanted:  # a new location -> warehouse map is checked with the store and TikTok before it is kept
        from connector.catalog.stock.warehouses import verify_map
        from connector.connections.wiring import wire

        mapping = ConnectionSettings().patched({"stock": {"warehouses": wanted}}).stock.warehouses
        stored, _version = listing.read_settings(client, table, connection_id)
        kept = ConnectionSettings.model_validate_json(stored).stock.warehouses if stored else {}
        if dict(mapping) != dict(kept):
            verify_map(wire().c, connection_id, mapping, connection_id, int(now()))
    for _attempt in range(SETTINGS_WRITE_ATTEMPTS):
        stored, version = listing.read_settings(client, table, connection_id)
        current = ConnectionSettings.model_validate_json(stored) if stored else ConnectionSettings()
        updated = current.patched(changes)  # ValidationError -> 400 naming "section.field"
        try:
            listing.write_settings(client, table, connection_id, updated.model_dump_json(), version, int(now()))
        except listing.SettingsChanged:
            continue
        if updated.stock.warehouses != current.stock.warehouses:
            _resend_stock(connection_id)
        return updated
    raise Conflict("the settings were changed by another request meanwhile; read them and try again",
                   reason="settings_changed")


def _resend_stock(connection_id: str) -> None:
    """Another location -> warehouse map: every linked product's stock is planned and sent again
    (an "update stock" task of all products, as the merchant's action would start)."""
    from connector.catalog.stock.tasks import start_task
    from connector.connections.wiring import wire
    from connector.tasks import TaskRepository

    w = wire()
    start_task("stock_update", connection_id, None, f"warehouses-{connection_id}",
               tasks=TaskRepository(w.env.table_name), sender=w.sender, tasks_queue_url=w.env.tasks_queue_url)


def _settings_changes(raw: str | None) -> dict[str, dict[str, Any]]:
    """The PATCH body: an object of known sections, each an object (400 naming what is not)."""
    from connector.settings import ConnectionSettings

    if not raw:
        raise BadRequest("a JSON body is required", reason="empty_body")
    changes = json.loads(raw)  # JSONDecodeError -> 400
    if not isinstance(changes, dict) or not changes:
        raise _SettingsRefused("the body must be an object of settings sections", ["body"])
    unknown = sorted(k for k in changes if k not in ConnectionSettings.model_fields)
    if unknown:
        raise _SettingsRefused("unknown settings sections: " + ", ".join(unknown), unknown)
    not_objects = sorted(k for k, val in changes.items() if not isinstance(val, dict))
    if not_objects:
        raise _SettingsRefused("each section must be an object of fields", not_objects)
    return changes


class _SettingsRefused(BadRequest):
    def __init__(self, message: str, fields: list[str]) -> None:
        super().__init__(message, reason="bad_settings")
        self.fields = fields


@router.exception_handler(_SettingsRefused)  # type: ignore[untyped-decorator]
def _settings_refused(exc: _SettingsRefused) -> Any:
    return json_response(400, error_body(exc.code, exc.message, reason=exc.reason, fields=exc.fields))


# ------------------------------------------------------------------------------ OpenAPI
@_route("GET", "/openapi.json", summary="This API's OpenAPI document", response=None, tag="meta",
        authenticated=False)
def openapi_document() -> Any:
    from aws_lambda_powertools.event_handler import Response

    from connector.api import openapi

    return Response(status_code=200, content_type="application/json", body=openapi.served_json(router.api_resolver),
                    headers={"Cache-Control": "public, max-age=300"})
