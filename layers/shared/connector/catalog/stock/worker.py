"""The stock worker: takes batches from the stock queue (a short batching window gathers a
burst), groups them per product and syncs each product once."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from connector import metrics
from connector.catalog.stock.recheck import recheck_product
from connector.catalog.stock.reconcile import reconcile_connection
from connector.catalog.stock.requests import StockMessage
from connector.catalog.stock.sync import StockDeps, sync_group
from connector.observability import count, log_context, logger


def handle_batch(records: Sequence[tuple[str, str]], deps: StockDeps) -> list[str]:
    """Process one SQS batch of ``(message id, body)``; returns the ids that failed (retried by
    SQS, then dead-lettered). Messages for one product are synced once for all of them."""
    from pydantic import ValidationError

    groups: dict[tuple[str, str, str], list[tuple[str, StockMessage]]] = {}
    failed: list[str] = []
    for message_id, body in records:
        try:
            message = StockMessage.model_validate_json(body)
        except ValidationError:
            logger().error("stock message malformed", extra={"message_id": message_id})
            failed.append(message_id)
            continue
        target = message.store_product_id or "" if message.action != "reconcile" else ""
        groups.setdefault((message.action, message.connection_id, target), []).append((message_id, message))

    def run(key: tuple[str, str, str], members: list[tuple[str, StockMessage]]) -> list[str]:
        action, connection_id, product_id = key
        messages = [m for _, m in members]
        try:
            with log_context(correlation_id=messages[0].correlation_id, connection_id=connection_id):
                run_group(action, connection_id, product_id, messages)
        except Exception as exc:
            count(metrics.stock_sync("failed"))
            logger().warning("stock sync failed; will retry", extra={
                "connection_id": connection_id, "store_product_id": product_id, "action": action,
                "error": type(exc).__name__, "reason": getattr(exc, "reason", None), "detail": str(exc)[:300]})
            return [mid for mid, _ in members]
        return []

    def run_group(action: str, connection_id: str, product_id: str, messages: list[StockMessage]) -> None:
        if action == "reconcile":
            reconcile_connection(deps, connection_id, messages[0].correlation_id)
        elif not product_id:
            logger().warning("stock message without a product", extra={"connection_id": connection_id})
        elif action == "recheck":
            recheck_product(deps, connection_id, product_id, messages[0].correlation_id)
        else:
            sync_group(deps, action, connection_id, product_id, messages)

    items = list(groups.items())
    if len(items) == 1:
        failed += run(*items[0])
    elif items:
        import contextvars

        _ = deps.c  # wired once, here, before the threads share it
        # Each thread runs in a copy of this invocation's context (the local cloud keeps the
        # function's environment in a context variable).
        contexts = [contextvars.copy_context() for _ in items]
        with ThreadPoolExecutor(max_workers=min(4, len(items))) as pool:
            futures = [pool.submit(ctx.run, run, key, members)
                       for ctx, (key, members) in zip(contexts, items, strict=True)]
            for future in futures:
                failed += future.result()
    return failed
