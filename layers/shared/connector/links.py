"""SKU links: store variant <-> TikTok SKU, the join every feature goes through.

Catalog push and linking by seller SKU write them; stock sync reads them per product; the
order relay resolves a TikTok order line through the TikTok SKU id (index ``gsi3``, scoped by
connection so one tenant's SKU id never resolves to another tenant's product).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from connector import dynamo, keys

LinkedBy = Literal["push", "seller_sku", "hand"]


class SkuLink(BaseModel):
    model_config = ConfigDict(frozen=True)

    connection_id: str
    store_product_id: str
    variant_key: str
    """The store variant (``StoreVariant.key``)."""
    stock_key: str
    """Where that variant's stock lives (``StoreVariant.stock_key``)."""
    seller_sku: str | None = None
    shop_id: str
    tiktok_product_id: str
    tiktok_sku_id: str
    linked_by: LinkedBy = "push"
    updated_at: int = 0


class LinkRepository(dynamo.Repository):
    def put(self, link: SkuLink) -> None:
        self._put({keys.PK: keys.conn_pk(link.connection_id),
                   keys.SK: keys.sku_sk(link.store_product_id, link.variant_key),
                   "gsi3pk": keys.tiktok_sku_index_pk(link.tiktok_sku_id),
                   "gsi3sk": keys.sku_index_sk(link.connection_id), **link.model_dump()})

    def delete(self, connection_id: str, store_product_id: str, variant_key: str) -> None:
        self._delete({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.sku_sk(store_product_id, variant_key)})

    def get(self, connection_id: str, store_product_id: str, variant_key: str) -> SkuLink | None:
        item = self._read({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.sku_sk(store_product_id, variant_key)})
        return _link(item) if item is not None else None

    def for_product(self, connection_id: str, store_product_id: str) -> list[SkuLink]:
        return list(self._query(connection_id, keys.sku_prefix(store_product_id)))

    def all(self, connection_id: str) -> Iterator[SkuLink]:
        return self._query(connection_id, keys.sku_prefix())

    def by_tiktok_sku(self, connection_id: str, tiktok_sku_id: str) -> SkuLink | None:
        """The link of a TikTok SKU within this connection (eventually consistent index)."""
        got = self.client.query(
            TableName=self._table, IndexName=keys.GSI_TIKTOK_SKU,
            KeyConditionExpression="gsi3pk = :p AND gsi3sk = :s",
            ExpressionAttributeValues=dynamo.values({":p": keys.tiktok_sku_index_pk(tiktok_sku_id),
                                                     ":s": keys.sku_index_sk(connection_id)}))
        items = got.get("Items", [])
        return _link(dynamo.from_item(items[0])) if items else None

    def _query(self, connection_id: str, prefix: str) -> Iterator[SkuLink]:
        for item in self._query_prefix(keys.conn_pk(connection_id), prefix):
            yield _link(item)


def _link(item: dict[str, Any]) -> SkuLink:
    return SkuLink.model_validate({k: v for k, v in item.items() if k in SkuLink.model_fields})
