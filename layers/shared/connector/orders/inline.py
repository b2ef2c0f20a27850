"""A relay attempt run where the order arrives (the events consumer), with the state machine
started only when the order must wait.

The common path (a paid order, the store answering) is one attempt inside the events consumer's
invocation: no Step Functions execution, no state transition billed. Its claim token is unique
to the attempt (``ev-<order>-<hash of a random id>``, the shape of an execution name). When the
attempt ends in an outcome that needs a wait inside the relay (``blocked`` with automatic
retries, ``settling`` after an ambiguous create, ``verifying`` after a second POST, a short
``retrying``), or fails unexpectedly (a crash, a Lambda error), the order relay state machine is
started with that token as its execution name: it waits, or retries the step at once, holding
the same claim. Longer waits end everything; the order record's deadline brings the sweeper.
The argument is in docs/order-relay.md ("Where a relay runs").
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from connector.observability import count, logger

if TYPE_CHECKING:
    from connector.connections.lifecycle import Collaborators
    from connector.orders.service import Context
    from connector.tiktok.models import Order

SHORT_WAIT_MAX_S = 60
"""A ``retrying`` outcome waits inside the state machine up to this long (longer ones are the
sweeper's); the state machine's ``Route`` state uses the same bound."""
WAITING_OUTCOMES = frozenset({"blocked", "settling", "verifying"})


def must_wait(result: dict[str, Any]) -> bool:
    """Whether this attempt's outcome is continued by the state machine (after a wait)."""
    outcome = result.get("outcome")
    wait_s = int(result.get("wait_s") or 0)
    return outcome in WAITING_OUTCOMES or (outcome == "retrying" and 0 < wait_s <= SHORT_WAIT_MAX_S)


def new_token(kind: str, tiktok_order_id: str) -> str:
    """A claim token of its own for one attempt (also a valid execution name)."""
    from connector.orders.service import execution_name

    return execution_name(kind, tiktok_order_id, uuid.uuid4().hex)


def relay_inline(c: Collaborators, ctx: Context, tiktok_order_id: str, correlation_id: str, *,
                 kind: str = "ev", read: Order | None = None) -> str:
    """One relay attempt now, for a connection the caller has read and found syncing (``ctx``);
    the state machine continues it only if it must wait or failed. ``read``: the order just read
    from TikTok by the caller. Returns the outcome for the consumer's log (``relay_created``,
    ``relay_settling_waits``...)."""
    from connector.orders.service import relay_step, start_relay

    connection_id, shop_id = ctx.connection.connection_id, ctx.shop.shop_id
    token = new_token(kind, tiktok_order_id)
    event = {"connection_id": connection_id, "shop_id": shop_id, "tiktok_order_id": tiktok_order_id,
             "correlation_id": correlation_id, "token": token}
    try:
        result = relay_step(c, event, read=read, ctx=ctx)
    except Exception as exc:  # any failure: the state machine's step retries it, same claim token
        logger().warning("order relay: inline attempt failed, handed to the state machine",
                         extra={"tiktok_order_id": tiktok_order_id, "error": type(exc).__name__})
        count("OrderRelayHandedOver")
        start_relay(connection_id, shop_id, tiktok_order_id, correlation_id, token)
        return "relay_handed_over"
    count("OrderRelayInline")
    outcome = str(result["outcome"])
    if not must_wait(result):
        return f"relay_{outcome}"
    start_relay(connection_id, shop_id, tiktok_order_id, correlation_id, token,
                result={"outcome": outcome, "attempts": int(result.get("attempts") or 0),
                        "wait_s": int(result.get("wait_s") or 0)})
    return f"relay_{outcome}_waits"
