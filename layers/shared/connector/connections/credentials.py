"""Withdrawing a merchant's access: rotate the connection token (a new one, shown once) or
revoke it. Both end every session of the connection at once (its ``session_version`` moves on);
disconnecting does the same (:func:`connector.connections.lifecycle.disconnect`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connector.connections import merchant
from connector.connections.repository import ConnectionRepository
from connector.errors import Conflict
from connector.observability import logger
from connector.runtime import now as wall_clock


def rotate(repo: ConnectionRepository, connection_id: str, clock: Callable[[], float] = wall_clock) -> dict[str, Any]:
    """A new token replaces the old one; every session ends. The token is in the answer only."""
    connection = repo.require(connection_id)
    if connection.state == "disconnected":
        raise Conflict(f"connection {connection_id} is disconnected", reason="connection_disconnected")
    now = int(clock())
    token = merchant.new_token(connection_id)
    updated = repo.set_merchant_token(connection_id, merchant.token_hash(token), now + merchant.TOKEN_TTL_S, now)
    logger().info("merchant token rotated", extra={"connection_id": connection_id,
                                                   "session_version": updated.session_version})
    return {"connection_id": connection_id, "token": token, "expires_at": updated.merchant_token_expires_at}


def revoke(repo: ConnectionRepository, connection_id: str, clock: Callable[[], float] = wall_clock) -> dict[str, Any]:
    """No token and no session of the connection works any more (installing again issues a new one)."""
    updated = repo.revoke_merchant_access(connection_id, int(clock()))
    logger().info("merchant access revoked", extra={"connection_id": connection_id,
                                                    "session_version": updated.session_version})
    return {"connection_id": connection_id, "revoked": True}
