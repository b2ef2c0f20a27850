"""How often a store product is re-read for its listing: the first change after a quiet spell at
once, then at most once per window, and the last change of a burst always.

A store's product webhook carries no figures, so each one has the catalog re-read the product
(title, price, images... changed?) and the stock worker read it too. A stock import, or a run of
orders on one product, fires a webhook per change: reading the product for the listing each time
spends the store's API budget (Ecwid: 600 requests a minute per store, shared by every feature)
on reads that mostly find only stock moved, and the stock worker's own reads then wait for
permits. So the catalog reads a known product at most once per window: a change inside the
window queues one delayed refresh (a message on the store events queue, due when the window
ends) and the later changes of that window ride on it. Stock is not throttled here: it has its
own queue and worker.

Item ``pk = CONN#<connection>``, ``sk = CATREAD#<product>``: ``quiet_until`` (the window's end,
epoch seconds), ``pending_at`` (when the delayed refresh was queued; absent when none), TTL.

    gate = ReadGate(table)
    claim = gate.claim(connection_id, product_id, now, window_s)
    if claim.read: ...read now...
    elif claim.queue_in is not None: ...queue a refresh due in claim.queue_in seconds...
    # else: a refresh is already queued for this window
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from connector import dynamo, keys

KEEP_S = 86_400
"""How long an item outlives its window (TTL): long enough for any late delivery."""


@dataclass(frozen=True)
class Claim:
    read: bool
    """Read the product now (this change opened a window)."""
    queue_in: int | None = None
    """Queue one refresh due in this many seconds (this change is the first inside the window)."""


class ReadGate(dynamo.Repository):
    def claim(self, connection_id: str, product_id: str, now: float, window_s: float) -> Claim:
        key = self._key(connection_id, product_id)
        for _ in range(3):
            if self._update_if(key, "SET quiet_until = :until, #ttl = :ttl REMOVE pending_at",
                               "attribute_not_exists(quiet_until) OR quiet_until <= :now",
                               names={"#ttl": keys.TTL_ATTRIBUTE},
                               values={":until": _t(now + window_s), ":ttl": int(now + window_s) + KEEP_S,
                                       ":now": _t(now)}):
                return Claim(read=True)
            item = self._updated_if(key, "SET pending_at = :now",
                                    "quiet_until > :now AND attribute_not_exists(pending_at)",
                                    values={":now": _t(now)})
            if item is not None:
                return Claim(read=False, queue_in=max(0, min(900, math.ceil(float(item["quiet_until"]) - now))))
            held = self._read(key)
            if held is not None and float(held["quiet_until"]) > now and "pending_at" in held:
                return Claim(read=False)  # a refresh is queued for this window: it reads after this change
            # The window ended or a refresh began between our looks: look again.
        return Claim(read=True)  # still moving: a read too many rather than a change missed

    def begin_refresh(self, connection_id: str, product_id: str, now: float, window_s: float) -> None:
        """The queued refresh runs: a new window opens and changes from now on queue their own
        refresh (this one reads after them only if they came before this call)."""
        self._update(self._key(connection_id, product_id),
                     "SET quiet_until = :until, #ttl = :ttl REMOVE pending_at",
                     names={"#ttl": keys.TTL_ATTRIBUTE},
                     values={":until": _t(now + window_s), ":ttl": int(now + window_s) + KEEP_S})

    def forget_refresh(self, connection_id: str, product_id: str, queued_at: float) -> None:
        """The refresh could not be queued: the next change tries again."""
        self._update_if(self._key(connection_id, product_id), "REMOVE pending_at", "pending_at = :at",
                        values={":at": _t(queued_at)})

    @staticmethod
    def _key(connection_id: str, product_id: str) -> dict[str, str]:
        return {keys.PK: keys.conn_pk(connection_id), keys.SK: keys.catalog_read_sk(product_id)}


def _t(seconds: float) -> Decimal:
    return Decimal(f"{seconds:.3f}")
