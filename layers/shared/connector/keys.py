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


def order_sk(tiktok_order_id: str) -> str:
    return f"ORDER#{tiktok_order_id}"


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


def refresh_lock_sk() -> str:
    """The per-connection token-refresh lock item (under ``conn_pk``, TTL'd)."""
    return "LOCK#tiktok_refresh"


REFRESH_INDEX_PK = "REFRESH"


def refresh_index_sk(access_expires_at: int, connection_id: str) -> str:
    return f"{access_expires_at:012d}#{connection_id}"


def rate_limit_pk(scope: str) -> str:
    return f"RL#{scope}"


def canary_pk(canary_id: str) -> str:
    return f"CANARY#{canary_id}"
