"""A second look at TikTok after a stock call whose answer never came.

When an inventory call needs another attempt (the first timed out, or failed), the earlier
attempt may still be applied by TikTok later, after every newer write: TikTok would then show an
older figure, possibly above the store's. Nothing on our side hears of it, since that attempt's
answer went to nobody. So the sync that made the call asks for a recheck
(:func:`~connector.catalog.stock.requests.request_recheck`): a delayed message on the stock
queue, ``StockRecheckSeconds`` later (60 s by default). The worker then reads the product's
figures back from TikTok (one inventory search per shop) and compares them with the figures the
record says TikTok accepted last; where any differs, or the record holds none, the product is
synced again with every figure sent.

A landing later than the recheck is still caught by the reconciliation, which reads back every
SKU written since its last run (:mod:`.check`); the recheck shortens that window from up to five
minutes to about one. A call answered at once, the usual case, costs no recheck.
"""

from __future__ import annotations

from connector import metrics
from connector.catalog.stock.check import read_back
from connector.catalog.stock.requests import StockMessage
from connector.catalog.stock.sync import ItemResult, StockDeps, read_listing, sync_group
from connector.catalog.stock.warehouses import read_keys
from connector.observability import count, logger


def recheck_product(deps: StockDeps, connection_id: str, product_id: str, correlation_id: str) -> str:
    """Read the product's figures back from TikTok and sync it again, every figure, where they
    differ from the record. Returns ``equal``, ``differs`` or why nothing was read (the reasons a
    sync skips a product: connection not syncing, not linked, excluded, TikTok not fed by the store). A retryable
    TikTok failure raises (the message is retried by the queue)."""
    from connector.tiktok.client import ShopRef
    from connector.tiktok.errors import TikTokError

    listing = read_listing(deps, connection_id, product_id, "stock")  # the sync's own reasons to skip
    if isinstance(listing, ItemResult):
        return listing.reason or listing.outcome
    state = deps.states.get(connection_id, product_id)
    if state is None:
        return "nothing_sent"
    skus_by_shop: dict[str, list[str]] = {}
    for link in listing.links:
        skus_by_shop.setdefault(link.shop_id, []).append(link.tiktok_sku_id)
    shops = listing.shops.values()
    client = deps.c.tiktok_for(connection_id, correlation_id, connection=listing.connection)
    try:
        shown, _calls = read_back(client, {s.shop_id: ShopRef(s.shop_id, s.cipher) for s in shops}, skus_by_shop,
                                  read_keys(listing.settings.stock.warehouses, shops))
    except TikTokError as exc:
        if exc.retryable:
            raise
        logger().warning("stock recheck could not read TikTok", extra={
            "connection_id": connection_id, "store_product_id": product_id, "code": exc.tiktok_code})
        return "read_refused"
    differing = {key: (figure, state.sent.get(key)) for key, figure in shown.items() if state.sent.get(key) != figure}
    if not differing:
        count(metrics.stock_sync("recheck_equal"))
        return "equal"
    count(metrics.stock_sync("recheck_differs"))
    logger().warning("stock differs on TikTok after an unanswered call; syncing again", extra={
        "connection_id": connection_id, "store_product_id": product_id, "skus": len(differing),
        "above": sum(1 for figure, want in differing.values() if want is None or figure > want)})
    sync_group(deps, "stock", connection_id, product_id, [StockMessage(
        connection_id=connection_id, store_product_id=product_id, correlation_id=correlation_id,
        reason="tiktok_differs", force=True)])
    return "differs"
