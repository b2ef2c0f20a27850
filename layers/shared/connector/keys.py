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


def conn_pk(connection_id: str) -> str:
    return f"CONN#{connection_id}"


def shop_sk(shop_id: str) -> str:
    return f"SHOP#{shop_id}"


def product_sk(store_product_id: str) -> str:
    return f"PRODUCT#{store_product_id}"


def sku_sk(store_sku_key: str) -> str:
    return f"SKU#{store_sku_key}"


def catmap_sk(store_category: str) -> str:
    return f"CATMAP#{store_category}"


def order_sk(tiktok_order_id: str) -> str:
    return f"ORDER#{tiktok_order_id}"


def task_sk(created_ts: int, task_id: str) -> str:
    return f"TASK#{created_ts:012d}#{task_id}"


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
