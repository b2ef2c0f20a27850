"""Catalog routes of the merchant API (pull, category mapping, attribute fill, push, sync rules,
linking existing listings):

    POST /connections/{id}/catalog/pull                     {"mode", "since", "until", "enabled", "push"} -> 202 task
    POST /connections/{id}/catalog/sync                     {"product_ids": [...]} (none: all) -> 202 task
    GET  /connections/{id}/catalog/categories               store category -> TikTok category mappings
    PUT  /connections/{id}/catalog/categories/{category}    {"tiktok_category_id", "attribute_values", "brand_id",
                                                             "certifications", "size_chart_uri"}  (bulk fill)
    PUT  /connections/{id}/catalog/products/{product}       {"category_id", "fill", "sync_overrides", "override_values"}
    POST /connections/{id}/catalog/products/{product}/link  {"tiktok_product_id"}  link a TikTok listing by hand

Pushes run as tasks (read back through the tasks routes); the others answer at once. A bad body
is a 400 naming the problem; an unknown product or category a 404; a paused connection a 409.
(Product listing and one product's status are the operations routes' ``/products``.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connector.api import correlation, new_router, owned
from connector.errors import BadRequest, Conflict, NotFound
from connector.web import json_response

router = new_router()

_ID = r"^[A-Za-z0-9_.:-]{1,64}$"


class PullRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["full", "incremental"] = "full"
    since: datetime | None = Field(default=None, description="Only products changed at or after (full pull).")
    until: datetime | None = Field(default=None, description="Only products changed at or before (full pull).")
    enabled: Literal["all", "enabled", "disabled"] = "all"
    push: bool = True

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("times need a timezone (e.g. 2026-11-01T00:00:00Z)")
        return value


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_ids: list[str] | None = Field(default=None, max_length=5000)

    @field_validator("product_ids")
    @classmethod
    def _ids(cls, value: list[str] | None) -> list[str] | None:
        import re

        for item in value or []:
            if not re.match(_ID, item):
                raise ValueError(f"{item[:70]!r} is not a store product id")
        return value


class AttributeInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, pattern=r"^\d{1,20}$")
    name: str | None = Field(default=None, min_length=1, max_length=200)


class CategoryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tiktok_category_id: str | None = Field(default=None, pattern=r"^\d{1,20}$")
    attribute_values: dict[str, list[AttributeInput]] | None = None
    brand_id: str | None = Field(default=None, pattern=r"^\d{1,20}$")
    certifications: list[dict[str, Any]] | None = Field(default=None, max_length=10)
    size_chart_uri: str | None = Field(default=None, max_length=500)


class ProductRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category_id: str | None = Field(default=None, pattern=r"^(\d{1,20}|)$",
                                    description="A TikTok leaf category for this product only; '' removes it.")
    attribute_values: dict[str, list[AttributeInput]] | None = None
    brand_id: str | None = Field(default=None, pattern=r"^(\d{1,20}|)$")
    certifications: list[dict[str, Any]] | None = Field(default=None, max_length=10)
    sync_overrides: dict[Literal["name", "description", "price", "media", "barcode", "stock"],
                         Literal["store", "override", "tiktok", "none", ""]] | None = Field(
        default=None, description="Sync rule per field for this product; '' goes back to the connection's rule.")
    override_values: dict[Literal["name", "description", "price"], str] | None = None
    low_stock_threshold: str | None = Field(default=None, pattern=r"^(\d{1,5}|)$",
                                            description="This product's low-inventory threshold (units); '' goes "
                                                        "back to the connection's.")
    low_stock_action: Literal["deactivate", "zero_sku", "exclude", ""] | None = Field(
        default=None, description="What the threshold does for this product; '' goes back to the connection's.")

    @field_validator("override_values")
    @classmethod
    def _values(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        from decimal import Decimal, InvalidOperation

        for key, text in (value or {}).items():
            if key == "price":
                try:
                    if Decimal(text) <= 0:
                        raise ValueError("price override must be above 0")
                except InvalidOperation:
                    raise ValueError("price override must be a decimal number, e.g. '19.99'") from None
            if key == "name" and not 1 <= len(text) <= 255:
                raise ValueError("name override must have 1 to 255 characters")
            if key == "description" and len(text) > 10000:
                raise ValueError("description override must have at most 10,000 characters")
        return value


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tiktok_product_id: str = Field(pattern=r"^\d{1,30}$")


def _body(model: type[Any], *, empty_ok: bool = False) -> Any:
    raw = router.current_event.decoded_body
    if not raw:
        if empty_ok:
            return model()
        raise BadRequest("a JSON body is required", reason="empty_body")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise BadRequest(f"{where}: {first['msg']}", reason="invalid_body") from None


def _ctx(connection_id: str) -> tuple[Any, Any]:
    from connector.connections.wiring import wire

    w = wire()
    connection = owned(router, w, connection_id)
    if not connection.syncing:
        raise Conflict(f"connection {connection_id} is {connection.state}: the catalog is not synced until it is "
                       "active again", reason=f"connection_{connection.state}")
    return w, connection


def _enqueue(w: Any, connection_id: str, kind: Literal["catalog_pull", "catalog_sync"],
             payload: dict[str, Any]) -> str:
    from connector.runtime import now
    from connector.tasks import TaskMessage, TaskRecord, TaskRepository, new_task_id

    task_id = new_task_id(kind)
    stamp = int(now())
    TaskRepository(w.env.table_name).create(TaskRecord(
        connection_id=connection_id, task_id=task_id, kind=kind, correlation_id=correlation(router),
        created_at=stamp, updated_at=stamp))
    w.sender.send(w.env.tasks_queue_url, TaskMessage(kind=kind, task_id=task_id, correlation_id=correlation(router),
                                                     connection_id=connection_id, payload=payload))
    return task_id


@router.post("/connections/<connection_id>/catalog/pull")
def pull(connection_id: str) -> Any:
    w, _ = _ctx(connection_id)
    request: PullRequest = _body(PullRequest, empty_ok=True)
    if request.mode == "incremental" and (request.since or request.until):
        raise BadRequest("an incremental pull starts where the last one ended: no since / until",
                         reason="invalid_body")
    if request.since and request.until and request.since > request.until:
        raise BadRequest("since must be before until", reason="empty_range")
    payload: dict[str, Any] = {"mode": request.mode, "push": request.push, "enabled": request.enabled}
    if request.since:
        payload["since"] = request.since.isoformat()
    if request.until:
        payload["until"] = request.until.isoformat()
    if request.enabled != "all":
        payload["enabled"] = "true" if request.enabled == "enabled" else "false"
    task_id = _enqueue(w, connection_id, "catalog_pull", payload)
    return json_response(202, {"task_id": task_id, "kind": "catalog_pull"})


@router.post("/connections/<connection_id>/catalog/sync")
def sync(connection_id: str) -> Any:
    w, _ = _ctx(connection_id)
    request: SyncRequest = _body(SyncRequest, empty_ok=True)
    payload: dict[str, Any] = {}
    if request.product_ids:
        from connector.catalog.records import ProductRepository

        repo = ProductRepository(w.env.table_name)
        unknown = [p for p in request.product_ids if repo.get(connection_id, p) is None]
        if unknown:
            raise NotFound(f"unknown store products: {', '.join(unknown[:10])} (pull them first)",
                           reason="unknown_product")
        payload["product_ids"] = request.product_ids
    task_id = _enqueue(w, connection_id, "catalog_sync", payload)
    return json_response(202, {"task_id": task_id, "kind": "catalog_sync"})


@router.get("/connections/<connection_id>/catalog/categories")
def categories(connection_id: str) -> Any:
    from connector.catalog.records import ProductRepository
    from connector.connections.wiring import wire

    w = wire()
    owned(router, w, connection_id)
    mappings = ProductRepository(w.env.table_name).mappings(connection_id)
    return json_response(200, {"categories": [m.model_dump(mode="json") for m in mappings]})


@router.put("/connections/<connection_id>/catalog/categories/<store_category_id>")
def put_category(connection_id: str, store_category_id: str) -> Any:
    from connector.catalog.context import open_catalog
    from connector.catalog.mapping import describe_category
    from connector.catalog.records import AttributeFill, CategoryMapping, ListingFill, ProductRepository
    from connector.runtime import now

    w, _ = _ctx(connection_id)
    request: CategoryRequest = _body(CategoryRequest)
    repo = ProductRepository(w.env.table_name)
    mapping = repo.get_mapping(connection_id, store_category_id)
    if mapping is None:
        raise NotFound(f"store category {store_category_id} has no products pulled on this connection",
                       reason="unknown_category")
    if request.tiktok_category_id and request.tiktok_category_id != mapping.tiktok_category_id:
        cat = open_catalog(w.c, connection_id, correlation(router))
        try:
            mapping = describe_category(cat, mapping, request.tiktok_category_id)
        except ValueError as exc:
            raise BadRequest(str(exc), reason="not_a_leaf_category") from None
        mapping = mapping.model_copy(update={"source": "merchant"})
    fill = mapping.fill
    changes: dict[str, Any] = {}
    if request.attribute_values is not None:
        changes["attribute_values"] = {k: [AttributeFill(**v.model_dump()) for v in vs]
                                       for k, vs in request.attribute_values.items()}
    for name in ("brand_id", "certifications", "size_chart_uri"):
        if getattr(request, name) is not None:
            changes[name] = getattr(request, name)
    fill = ListingFill.model_validate({**fill.model_dump(), **changes})
    updated: CategoryMapping = mapping.model_copy(update={"fill": fill, "updated_at": int(now())})
    repo.put_mapping(updated)
    return json_response(200, updated.model_dump(mode="json"))


@router.put("/connections/<connection_id>/catalog/products/<store_product_id>")
def put_product(connection_id: str, store_product_id: str) -> Any:
    from connector.catalog.records import AttributeFill, ListingFill, ProductRepository
    from connector.runtime import now

    w, _ = _ctx(connection_id)
    request: ProductRequest = _body(ProductRequest)
    repo = ProductRepository(w.env.table_name)
    record = repo.get(connection_id, store_product_id)
    if record is None:
        raise NotFound(f"no store product {store_product_id} on this connection", reason="unknown_product")
    changes: dict[str, Any] = {"updated_at": int(now())}
    if request.category_id is not None:
        changes["category_override"] = request.category_id or None
    fill = record.fill or ListingFill()
    fill_changes: dict[str, Any] = {}
    if request.attribute_values is not None:
        fill_changes["attribute_values"] = {k: [AttributeFill(**v.model_dump()) for v in vs]
                                            for k, vs in request.attribute_values.items()}
    if request.brand_id is not None:
        fill_changes["brand_id"] = request.brand_id or None
    if request.certifications is not None:
        fill_changes["certifications"] = request.certifications
    if fill_changes:
        changes["fill"] = ListingFill.model_validate({**fill.model_dump(), **fill_changes})
    overrides = dict(record.sync_overrides)
    given: dict[str, str] = {str(k): str(v) for k, v in (request.sync_overrides or {}).items()}
    if request.low_stock_threshold is not None:
        given["stock_threshold_at"] = request.low_stock_threshold
    if request.low_stock_action is not None:
        given["stock_threshold"] = request.low_stock_action
    if given:
        overrides.update(given)
        changes["sync_overrides"] = {k: v for k, v in overrides.items() if v}
    if request.override_values is not None:
        changes["override_values"] = {**record.override_values, **request.override_values}
    repo.update(connection_id, store_product_id, **changes)
    updated = repo.get(connection_id, store_product_id)
    assert updated is not None
    return json_response(200, updated.model_dump(mode="json"))


@router.post("/connections/<connection_id>/catalog/products/<store_product_id>/link")
def link(connection_id: str, store_product_id: str) -> Any:
    from connector.catalog.context import open_catalog
    from connector.catalog.linking import link_listing, store_product_of
    from connector.catalog.records import loads_snapshot
    from connector.tiktok.errors import TikTokError, TikTokNotFound

    w, _ = _ctx(connection_id)
    request: LinkRequest = _body(LinkRequest)
    cat = open_catalog(w.c, connection_id, correlation(router))
    record = cat.products.get(connection_id, store_product_id)
    raw = cat.products.snapshot(connection_id, store_product_id)
    if record is None or raw is None:
        raise NotFound(f"no store product {store_product_id} on this connection", reason="unknown_product")
    owner = store_product_of(cat, request.tiktok_product_id)
    if owner is not None and owner != store_product_id:
        raise Conflict(f"TikTok product {request.tiktok_product_id} is linked to store product {owner}",
                       reason="already_linked")
    if record.tiktok_product_id and record.tiktok_product_id != request.tiktok_product_id:
        raise Conflict(f"store product {store_product_id} is linked to TikTok product {record.tiktok_product_id}",
                       reason="already_linked")
    try:
        link_listing(cat, record, loads_snapshot(raw), request.tiktok_product_id, "hand")
    except TikTokNotFound:
        raise NotFound(f"TikTok product {request.tiktok_product_id} is not in this shop",
                       reason="unknown_tiktok_product") from None
    except TikTokError as exc:
        if exc.tiktok_code in (12052048, 12052700):
            raise NotFound(f"TikTok product {request.tiktok_product_id} is not in this shop",
                           reason="unknown_tiktok_product") from None
        raise
    links = cat.links.for_product(connection_id, store_product_id)
    updated = cat.products.get(connection_id, store_product_id)
    assert updated is not None
    return json_response(200, {"product": updated.model_dump(mode="json"),
                               "links": [link.model_dump(mode="json") for link in links]})


def _describe() -> None:
    """The routes in the OpenAPI document (``python -m connector.api.openapi --write``)."""
    from connector.api.routes import describe

    me = "connector.api.catalog"
    describe("POST", "/connections/<connection_id>/catalog/pull", tag="catalog", body=f"{me}:PullRequest",
             summary="Pull products from the store (full, date range, enabled filter, or incremental) and push "
                     "what changed: a task (202)")
    describe("POST", "/connections/<connection_id>/catalog/sync", tag="catalog", body=f"{me}:SyncRequest",
             summary="Push selected products (or all) to TikTok Shop: a task (202)")
    describe("GET", "/connections/<connection_id>/catalog/categories", tag="catalog",
             summary="Store category -> TikTok category mappings, with what TikTok requires and what is filled")
    describe("PUT", "/connections/<connection_id>/catalog/categories/<store_category_id>", tag="catalog",
             body=f"{me}:CategoryRequest", response="connector.catalog.records:CategoryMapping",
             summary="Map a store category to a TikTok leaf category; fill its attributes, brand and "
                     "certifications for every product of the category")
    describe("PUT", "/connections/<connection_id>/catalog/products/<store_product_id>", tag="catalog",
             body=f"{me}:ProductRequest", response="connector.catalog.records:ProductRecord",
             summary="One product's TikTok category, attributes, brand, certifications and sync-rule overrides")
    describe("POST", "/connections/<connection_id>/catalog/products/<store_product_id>/link", tag="catalog",
             body=f"{me}:LinkRequest",
             summary="Link an existing TikTok listing to a store product by hand (SKUs matched by seller SKU)")


_describe()
