"""Every DynamoDB key of the single table, built in one place.

Table: partition key ``pk``, sort key ``sk``; TTL attribute ``expires_at``.
Global secondary indexes (overloaded, see docs/architecture.md):
- ``gsi1`` (``gsi1pk`` / ``gsi1sk``): TikTok shop id -> connection.
- ``gsi2`` (``gsi2pk`` / ``gsi2sk``): ``<platform>#<store id>`` -> connection.
- ``gsi3`` (``gsi3pk`` / ``gsi3sk``): TikTok SKU id -> SKU link; also the token-refresh queue
  (``gsi3pk = REFRESH``, ``gsi3sk = <access token expiry>#<connection id>`` on a connection's META).
"""

from __future__ import annotations

PK = "pk"
SK = "sk"
TTL_ATTRIBUTE = "expires_at"
GSI_SHOP = "gsi1"
GSI_STORE = "gsi2"
GSI_TIKTOK_SKU = "gsi3"

META = "META"
SETTINGS = "SETTINGS"


def conn_pk(connection_id: str) -> str:
    return f"CONN#{connection_id}"


def shop_sk(shop_id: str) -> str:
    return f"SHOP#{shop_id}"


def product_sk(store_product_id: str) -> str:
    return f"PRODUCT#{store_product_id}"


def sku_sk(store_product_id: str, variant_key: str) -> str:
    """A SKU link, under its product so one query finds every link of a product."""
    return f"SKU#{store_product_id}#{variant_key}"


def sku_prefix(store_product_id: str | None = None) -> str:
    return "SKU#" if store_product_id is None else f"SKU#{store_product_id}#"


def catmap_sk(store_category: str) -> str:
    return f"CATMAP#{store_category}"


def stock_sk(store_product_id: str) -> str:
    """Stock sync state of one store product: quantities last sent, threshold state, the lease
    that makes one worker at a time send its stock (``connector.catalog.stock.state``)."""
    return f"STOCK#{store_product_id}"


def catalog_read_sk(store_product_id: str) -> str:
    """When the catalog last read a store product and whether a re-read is queued
    (``connector.catalog.refresh``)."""
    return f"CATREAD#{store_product_id}"


STOCK_RECONCILE = "STOCKRECON"
"""Sort key of a connection's stock-reconciliation cursor."""


def tiktok_product_sk(tiktok_product_id: str) -> str:
    """Catalog: TikTok product id -> store product id (webhooks name TikTok's id only)."""
    return f"TTPRODUCT#{tiktok_product_id}"


def image_sk(shop_id: str, source_hash: str) -> str:
    """Catalog: a store image already uploaded to a shop (sha256 of its URL and use case)."""
    return f"IMAGE#{shop_id}#{source_hash}"


CATALOG_STATE = "CATALOG"
"""Catalog: the connection's pull watermark (last incremental pull)."""


def order_sk(tiktok_order_id: str) -> str:
    return f"ORDER#{tiktok_order_id}"


def order_state_index_pk(connection_id: str, state: str) -> str:
    """``gsi1pk`` of an order record (``gsi1`` overloaded): a connection's orders in one state."""
    return f"ORDERSTATE#{connection_id}#{state}"


def order_state_index_sk(updated_at: int, tiktok_order_id: str) -> str:
    return f"{updated_at:012d}#{tiktok_order_id}"


PENDING_PREFIX = "PENDING#"


def pending_sk(variant_key: str) -> str:
    """Orders: the units of one store variant paid on TikTok and not in the store yet."""
    return f"{PENDING_PREFIX}{variant_key}"


ORDER_SCAN = "ORDERSCAN"
"""Sort key of a connection's order re-scan cursor (the end of the last scanned window)."""


def task_sk(task_id: str) -> str:
    """Task ids start with their creation time (see ``tasks.new_task_id``): sorted by time."""
    return f"TASK#{task_id}"


def task_item_sk(task_id: str, item_id: str) -> str:
    """One per-item result of a task (a product pushed, an order re-scanned...)."""
    return f"TASKITEM#{task_id}#{item_id}"


def sku_index_sk(connection_id: str) -> str:
    """``gsi3sk`` of a SKU link: a TikTok SKU id resolves within one connection only."""
    return conn_pk(connection_id)


def shop_index_pk(shop_id: str) -> str:
    return f"SHOP#{shop_id}"


def store_index_pk(platform: str, store_id: str) -> str:
    return f"STORE#{platform}#{store_id}"


def tiktok_sku_index_pk(tiktok_sku_id: str) -> str:
    return f"TTSKU#{tiktok_sku_id}"


def oauth_state_pk(state_id: str) -> str:
    return f"OAUTHSTATE#{state_id}"


def dedupe_pk(source: str, event_id: str) -> str:
    """Webhook de-duplication record (TTL'd): one per producer event id."""
    return f"DEDUPE#{source}#{event_id}"


def store_claim_key(platform: str, store_id: str) -> tuple[str, str]:
    """The item that makes (platform, store id) -> connection unique: (pk, sk)."""
    return f"STORECLAIM#{platform}#{store_id}", "CLAIM"


def shop_claim_key(shop_id: str) -> tuple[str, str]:
    """The item that makes a TikTok shop belong to at most one connection: (pk, sk). It routes
    the shop's webhooks; ``released`` once that connection is disconnected."""
    return f"SHOPCLAIM#{shop_id}", "CLAIM"


def refresh_lock_sk() -> str:
    """The per-connection token-refresh lock item (under ``conn_pk``, TTL'd)."""
    return "LOCK#tiktok_refresh"


REFRESH_INDEX_PK = "REFRESH"


def refresh_index_sk(access_expires_at: int, connection_id: str) -> str:
    return f"{access_expires_at:012d}#{connection_id}"


#: An expiring store token's place in the refresh queue: its own item under ``conn_pk`` (the
#: META item's gsi3 holds the TikTok one), gsi3 = this partition, sorted by expiry.
STORE_REFRESH_INDEX_PK = "STOREREFRESHQ"
STORE_REFRESH_ITEM = "STOREREFRESH"


def rate_limit_pk(scope: str) -> str:
    return f"RL#{scope}"


def canary_pk(canary_id: str) -> str:
    return f"CANARY#{canary_id}"


# Notifications, under ``conn_pk``: pending notifications, the open digest window, sent digests.
def notification_sk(notification_id: str) -> str:
    """A notification waiting for its digest (one per ``notify_merchant`` task: redelivery-safe)."""
    return f"NOTIFY#{notification_id}"


NOTIFY_WINDOW = "NOTIFYWINDOW"
"""The connection's open digest window: exists while a flush is scheduled."""


def digest_sent_sk(digest_id: str) -> str:
    """Marker of a sent digest (TTL'd): a redelivered flush does not send it twice."""
    return f"NOTIFYSENT#{digest_id}"


def privacy_report_sk(request_id: str) -> str:
    """A buyer's data request and what we held for them (the operator answers it)."""
    return f"PRIVACY#{request_id}"


PRIVACY_PREFIX = "PRIVACY#"
