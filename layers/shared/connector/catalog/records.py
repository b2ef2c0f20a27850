"""What the connector remembers of a connection's catalog: one ``PRODUCT#`` item per store
product and one ``CATMAP#`` item per store category.

- :class:`ProductRecord` is the product's sync state (the push to TikTok): its status on TikTok
  with a reason in plain words, the TikTok product id, the content hash of what was last pulled and pushed, and
  the merchant's product-level choices (per-field sync-rule overrides, category / attribute /
  brand overrides). The pulled store product itself is kept beside it (attribute ``snapshot``,
  JSON), read only by the push; listings never load it.
- :class:`CategoryMapping` maps a store category to a TikTok leaf category, with the attributes,
  brand and certificates filled for every product of that category.

Other features read these: the merchant API lists products by status (``ProductRepository.page``),
stock sync reads ``tiktok_product_id`` / ``status``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from connector import dynamo, keys

ProductStatus = Literal["not_synced", "sync_failed", "in_review", "review_failed", "active", "deactivated"]
PRODUCT_STATUSES: tuple[ProductStatus, ...] = (
    "not_synced", "sync_failed", "in_review", "review_failed", "active", "deactivated")

_PRODUCT_PREFIX = keys.product_sk("")
_CATMAP_PREFIX = keys.catmap_sk("")


class AttributeFill(BaseModel):
    """One value of a TikTok product attribute: a TikTok value id, or a custom name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=200)


class ListingFill(BaseModel):
    """Attributes, brand, certificates: what the merchant fills for a category (bulk) or a product. Product fills win
    attribute by attribute; ``None`` means "not set here"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attribute_values: dict[str, list[AttributeFill]] = Field(default_factory=dict)
    """TikTok attribute id -> values."""
    brand_id: str | None = None
    certifications: list[dict[str, Any]] = Field(default_factory=list)
    """As TikTok wants them: ``{"id": ..., "images": [{"uri": ...}], "files": [...]}``."""
    size_chart_uri: str | None = None


class ProductRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    connection_id: str
    store_product_id: str
    title: str = ""
    sku: str | None = None
    """The store product's seller SKU (first variant's when the product has none)."""
    store_category_id: str | None = None
    """The store category whose mapping applies (the product's default category)."""
    enabled: bool = True
    deleted: bool = False
    variant_count: int = 0
    store_updated_at: str | None = None
    """ISO time of the store's last change to the product."""
    image_url: str | None = None
    """The store's main image URL (shown as a thumbnail in lists; only ``http(s)`` URLs are kept)."""
    excluded: bool = False
    """The merchant excluded the product from sync: it is never pushed (until included again)."""

    content_hash: str = ""
    """Hash of the pulled product (store data only): unchanged -> the pull costs no write."""
    pushed_hash: str | None = None
    """Hash of what was last sent to TikTok (product data + settings + mapping): unchanged ->
    the push costs no TikTok call."""

    status: ProductStatus = "not_synced"
    reason: str | None = None
    """Plain words a merchant can act on (why it failed, or why it is not synced)."""
    problems: list[str] = Field(default_factory=list)
    """Machine codes of the reasons (``category_unmapped``, ``image_too_small``...)."""

    shop_id: str | None = None
    tiktok_product_id: str | None = None
    tiktok_status: str | None = None
    """TikTok's own product status (``ACTIVATE``, ``PENDING``, ``FAILED``, ``SELLER_DEACTIVATED``...)."""
    category_id: str | None = None
    """The TikTok leaf category used (the product's override, else its category's mapping)."""
    category_override: str | None = None
    """A TikTok leaf category chosen for this product only."""
    fill: ListingFill | None = None
    """Per-product attributes / brand / certificates (win over the category's)."""
    linked_by: Literal["push", "seller_sku", "hand"] | None = None

    sync_overrides: dict[str, str] = Field(default_factory=dict)
    """Sync rule per field, for this product (``name`` -> ``override`` / ``tiktok`` / ``none`` / ``store``)."""
    override_values: dict[str, str] = Field(default_factory=dict)
    """Connector-side values (``name``, ``description``, ``price``) used when the rule is ``override``."""

    last_synced_at: int | None = None
    updated_at: int = 0


class CategoryMapping(BaseModel):
    model_config = ConfigDict(frozen=True)

    connection_id: str
    store_category_id: str
    store_category_name: str = ""
    product_count: int = 0
    tiktok_category_id: str | None = None
    """``None``: not mapped yet (products of this category are held with that reason)."""
    tiktok_category_name: str | None = None
    source: Literal["suggested", "merchant"] | None = None
    invite_only: bool = False
    """TikTok lists the category as invitation-only: the shop must be invited before pushing."""
    category_version: Literal["v1", "v2"] | None = None
    required_attributes: dict[str, str] = Field(default_factory=dict)
    """Required PRODUCT_PROPERTY attributes of the TikTok category: id -> name."""
    required_certifications: dict[str, str] = Field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Every PRODUCT_PROPERTY attribute: id -> ``{"name", "values": {lower-cased value name: id}}``
    (store attributes of the same name fill them)."""
    sales_attributes: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """SALES_PROPERTY attributes by lower-cased name -> ``{"id", "values": {lower-cased name: id}}``."""
    fill: ListingFill = Field(default_factory=ListingFill)
    updated_at: int = 0


# ------------------------------------------------------------------------------ page tokens
def encode_page_token(sk: str) -> str:
    return base64.urlsafe_b64encode(sk.encode()).decode().rstrip("=")


def decode_page_token(token: str) -> str:
    """The sort key a page token stands for. ``ValueError`` when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("page token is not valid") from exc
    if not raw.startswith(_PRODUCT_PREFIX) or len(raw.encode()) > 1024:  # a sort key holds 1 KB
        raise ValueError("page token is not valid")
    return raw


_RECORD_FIELDS = tuple(ProductRecord.model_fields)


class ProductRepository(dynamo.Repository):
    """``PRODUCT#<store product id>`` and ``CATMAP#<store category id>`` under ``CONN#<id>``."""

    # ------------------------------------------------------------------------- products
    def _key(self, connection_id: str, store_product_id: str) -> dict[str, Any]:
        return dynamo.to_item({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.product_sk(store_product_id)})

    def get(self, connection_id: str, store_product_id: str) -> ProductRecord | None:
        got = self.client.get_item(TableName=self._table, Key=self._key(connection_id, store_product_id),
                                   ConsistentRead=True, **_projection())
        return _record(got["Item"]) if "Item" in got else None

    def put(self, record: ProductRecord, *, snapshot: str | None = None) -> None:
        """Write the record; ``snapshot`` (the pulled store product's JSON) replaces the kept one
        when given, and is kept as it is otherwise."""
        values = record.model_dump(mode="json", exclude_none=True)
        if snapshot is None:
            names = {f"#a{i}": name for i, name in enumerate(values)}
            sets = ", ".join(f"#a{i} = :a{i}" for i in range(len(values)))
            removed = [name for name in _RECORD_FIELDS if name not in values]
            names.update({f"#r{i}": name for i, name in enumerate(removed)})
            expression = "SET " + sets + (" REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed)))
                                          if removed else "")
            self.client.update_item(
                TableName=self._table, Key=self._key(record.connection_id, record.store_product_id),
                UpdateExpression=expression, ExpressionAttributeNames=names,
                ExpressionAttributeValues=dynamo.values({f":a{i}": v for i, v in enumerate(values.values())}))
            return
        item = {keys.PK: keys.conn_pk(record.connection_id), keys.SK: keys.product_sk(record.store_product_id),
                **values, "snapshot": snapshot}
        self.client.put_item(TableName=self._table, Item=dynamo.to_item(item))

    def update(self, connection_id: str, store_product_id: str, **changes: Any) -> None:
        """Set some fields of an existing record (``None`` removes the field)."""
        if not changes:
            return
        checked = ProductRecord.model_fields
        sets, removes, names, values = [], [], {}, {}
        for i, (name, value) in enumerate(changes.items()):
            if name not in checked:
                raise ValueError(f"unknown product field {name!r}")
            names[f"#f{i}"] = name
            if value is None:
                removes.append(f"#f{i}")
            else:
                sets.append(f"#f{i} = :f{i}")
                values[f":f{i}"] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        expression = ("SET " + ", ".join(sets) if sets else "") + (" REMOVE " + ", ".join(removes) if removes else "")
        kwargs: dict[str, Any] = {"ExpressionAttributeValues": dynamo.values(values)} if values else {}
        self.client.update_item(TableName=self._table, Key=self._key(connection_id, store_product_id),
                                UpdateExpression=expression.strip(), ExpressionAttributeNames=names,
                                ConditionExpression="attribute_exists(pk)", **kwargs)

    def get_with_snapshot(self, connection_id: str, store_product_id: str) -> tuple[ProductRecord | None, str | None]:
        """The record and the kept store product JSON, in one read."""
        got = self.client.get_item(TableName=self._table, Key=self._key(connection_id, store_product_id),
                                   ConsistentRead=True)
        item = got.get("Item")
        if item is None:
            return None, None
        return _record(item), (item["snapshot"]["S"] if "snapshot" in item else None)

    def page_with_snapshots(self, connection_id: str, *, limit: int = 25, page_token: str | None = None
                            ) -> list[tuple[ProductRecord, str | None]]:
        """One page (as :meth:`page` cuts them, unfiltered) with each record's kept store product."""
        kwargs: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": dynamo.values({":p": keys.conn_pk(connection_id), ":s": _PRODUCT_PREFIX})}
        if page_token is not None:
            kwargs["ExclusiveStartKey"] = dynamo.to_item({keys.PK: keys.conn_pk(connection_id),
                                                          keys.SK: decode_page_token(page_token)})
        found: list[tuple[ProductRecord, str | None]] = []
        while len(found) < limit:
            kwargs["Limit"] = limit - len(found)
            got = self.client.query(**kwargs)
            found.extend((_record(i), i["snapshot"]["S"] if "snapshot" in i else None) for i in got.get("Items", []))
            if "LastEvaluatedKey" not in got:
                break
            kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]
        return found

    def snapshot(self, connection_id: str, store_product_id: str) -> str | None:
        got = self.client.get_item(TableName=self._table, Key=self._key(connection_id, store_product_id),
                                   ConsistentRead=True, ProjectionExpression="#snap",
                                   ExpressionAttributeNames={"#snap": "snapshot"})
        item = got.get("Item") or {}
        return item["snapshot"]["S"] if "snapshot" in item else None

    def all(self, connection_id: str, status: ProductStatus | None = None) -> Iterator[ProductRecord]:
        token: str | None = None
        while True:
            records, token = self.page(connection_id, status=status, limit=500, page_token=token)
            yield from records
            if token is None:
                return

    def page(self, connection_id: str, *, status: ProductStatus | None = None, limit: int = 50,
             page_token: str | None = None) -> tuple[list[ProductRecord], str | None]:
        """Up to ``limit`` records (ordered by store product id), filtered by status, and the
        token of the next page (``None`` on the last). ``ValueError`` for a bad token."""
        limit = max(1, min(limit, 500))
        kwargs: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            **_projection(extra=("sk",))}
        values: dict[str, Any] = {":p": keys.conn_pk(connection_id), ":s": _PRODUCT_PREFIX}
        if status is not None:
            kwargs["FilterExpression"] = "#status = :st"
            values[":st"] = status
        kwargs["ExpressionAttributeValues"] = dynamo.values(values)
        if page_token is not None:
            kwargs["ExclusiveStartKey"] = dynamo.to_item({keys.PK: keys.conn_pk(connection_id),
                                                          keys.SK: decode_page_token(page_token)})
        records: list[ProductRecord] = []
        last_sk: str | None = None
        while True:
            kwargs["Limit"] = max(limit - len(records), 25) if status is not None else limit - len(records)
            got = self.client.query(**kwargs)
            for item in got.get("Items", []):
                records.append(_record(item))
                last_sk = item["sk"]["S"]
                if len(records) == limit:
                    return records, encode_page_token(last_sk)
            if "LastEvaluatedKey" not in got:
                return records, None
            kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]

    def count_by_status(self, connection_id: str) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(PRODUCT_STATUSES, 0)
        kwargs: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ProjectionExpression": "#status", "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": dynamo.values({":p": keys.conn_pk(connection_id), ":s": _PRODUCT_PREFIX})}
        while True:
            got = self.client.query(**kwargs)
            for item in got.get("Items", []):
                status = item.get("status", {}).get("S", "not_synced")
                counts[status] = counts.get(status, 0) + 1
            if "LastEvaluatedKey" not in got:
                return counts
            kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]

    # ----------------------------------------------------------------------- categories
    def get_mapping(self, connection_id: str, store_category_id: str) -> CategoryMapping | None:
        got = self.client.get_item(TableName=self._table, ConsistentRead=True, Key=dynamo.to_item(
            {keys.PK: keys.conn_pk(connection_id), keys.SK: keys.catmap_sk(store_category_id)}))
        return _mapping(got["Item"]) if "Item" in got else None

    def put_mapping(self, mapping: CategoryMapping) -> None:
        item = {keys.PK: keys.conn_pk(mapping.connection_id), keys.SK: keys.catmap_sk(mapping.store_category_id),
                **mapping.model_dump(mode="json", exclude_none=True)}
        self.client.put_item(TableName=self._table, Item=dynamo.to_item(item))

    def mappings(self, connection_id: str) -> list[CategoryMapping]:
        kwargs: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": dynamo.values({":p": keys.conn_pk(connection_id), ":s": _CATMAP_PREFIX})}
        found: list[CategoryMapping] = []
        while True:
            got = self.client.query(**kwargs)
            found.extend(_mapping(item) for item in got.get("Items", []))
            if "LastEvaluatedKey" not in got:
                return found
            kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]


def _projection(extra: tuple[str, ...] = ()) -> dict[str, Any]:
    fields = _RECORD_FIELDS + extra
    names = {f"#{name}": name for name in fields}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal: ints where whole (ids stay strings)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _record(item: dict[str, Any]) -> ProductRecord:
    raw = dynamo.from_item(item)
    return ProductRecord.model_validate({k: _plain(v) for k, v in raw.items() if k in ProductRecord.model_fields})


def _mapping(item: dict[str, Any]) -> CategoryMapping:
    raw = dynamo.from_item(item)
    return CategoryMapping.model_validate({k: _plain(v) for k, v in raw.items() if k in CategoryMapping.model_fields})


def dumps_snapshot(product: Any) -> str:
    """The JSON kept beside a record (a :class:`~connector.stores.protocol.StoreProduct`)."""
    return str(product.model_dump_json())


def loads_snapshot(raw: str) -> Any:
    from connector.stores.protocol import StoreProduct

    return StoreProduct.model_validate(json.loads(raw))
