"""Signed webhook delivery, the way Ecwid does it, with switchable faults.

- Body ``{eventId, eventCreated, storeId, entityId, eventType, data?}`` POSTed to the app's
  webhook URL with ``?eventtype=<type>`` and ``X-Ecwid-Webhook-Signature`` =
  Base64(HMAC-SHA256(client_secret, f"{eventCreated}.{eventId}")).
- Success is 200/201/202/204/209. Otherwise (or on a connection error or timeout) it retries
  after 15, 30, 45, 60 minutes, then hourly, 27 attempts in all. Every delay is multiplied by
  ``time_scale`` (0.001 makes 15 minutes 0.9 s).
- Faults (deterministic from the sandbox seed): ``duplicate`` (probability of a second copy
  of a delivery), ``loss`` (probability an event is never sent), ``delay`` (seconds added
  before the first attempt), ``reorder`` (hold events and release each batch of N newest
  first).
- Deliveries go out from :data:`DELIVERY_THREADS` threads: a slow answer about one product or
  order does not hold back the events of the others. Events of one entity (a product, an order)
  go out one after another, as do the events of a reordered batch, in the order given above.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

SUCCESS = frozenset({200, 201, 202, 204, 209})
RETRY_MINUTES = (15, 30, 45, 60)
MAX_ATTEMPTS = 27


def sign(client_secret: str, event_created: int, event_id: str) -> str:
    digest = hmac.new(client_secret.encode(), f"{event_created}.{event_id}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass
class WebhookFaults:
    duplicate: float = 0.0
    loss: float = 0.0
    delay: float = 0.0
    reorder: int = 0
    """0: off. N: hold events and release them newest first, N at a time (or after ``reorder_wait``)."""
    reorder_wait: float = 2.0
    bad_signature: float = 0.0
    """Probability of an extra copy signed with the wrong key (an impostor: sent once, no retries)."""


DELIVERY_THREADS = 4


@dataclass
class Delivery:
    event: dict[str, Any]
    attempt: int = 0
    copy: int = 0
    forged: bool = False
    batch: int | None = None
    """The reordered batch it was released in (its events go out in the batch's order)."""

    @property
    def line(self) -> tuple[Any, ...]:
        """What it waits behind: its reordered batch, else the earlier events of its entity."""
        if self.batch is not None:
            return ("batch", self.batch)
        event = self.event
        return (event["storeId"], str(event["eventType"]).split(".", 1)[0], str(event["entityId"]))


@dataclass
class DeliveryRecord:
    event_id: str
    event_type: str
    attempt: int
    copy: int
    status: int | None
    """HTTP status, or None for a connection error or timeout."""
    at: float
    error: str | None = None


@dataclass
class _Held:
    deliveries: list[Delivery] = field(default_factory=list)
    since: float = 0.0


class WebhookDispatcher:
    def __init__(
        self,
        client_secret: str,
        *,
        url: str | None = None,
        time_scale: float = 1.0,
        seed: int = 0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = client_secret
        self.url = url
        self.time_scale = time_scale
        self.faults = WebhookFaults()
        self._rng = random.Random(seed ^ 0x5EB)
        self._wall_clock = wall_clock
        self._lock = threading.Condition()
        self._queue: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._held = _Held()
        self._stopping = False
        self.emitted: list[dict[str, Any]] = []
        self.lost: list[dict[str, Any]] = []
        self.records: list[DeliveryRecord] = []
        self._in_flight = 0
        self._busy: set[tuple[Any, ...]] = set()
        self._batches = itertools.count()
        self._http = httpx.Client(timeout=httpx.Timeout(10.0, connect=3.0))
        self._threads = [threading.Thread(target=self._run, name=f"ecwid-sandbox-webhooks-{n}", daemon=True)
                         for n in range(DELIVERY_THREADS)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)
        self._http.close()

    # ------------------------------------------------------------------------------------------

    def emit(
        self, store_id: int, event_type: str, entity_id: int | str, data: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        with self._lock:
            event: dict[str, Any] = {
                "eventId": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
                "eventCreated": int(self._wall_clock()),
                "storeId": store_id,
                "entityId": entity_id,
                "eventType": event_type,
            }
            if data:
                event["data"] = data
            self.emitted.append(event)
            if self.url is None:
                return event
            faults = self.faults
            if faults.loss and self._rng.random() < faults.loss:
                self.lost.append(event)
                return event
            copies = [Delivery(event)]
            if faults.duplicate and self._rng.random() < faults.duplicate:
                copies.append(Delivery(event, copy=1))
            if faults.bad_signature and self._rng.random() < faults.bad_signature:
                copies.append(Delivery(event, copy=2, forged=True))
            now = time.monotonic()
            if faults.reorder > 0:
                if not self._held.deliveries:
                    self._held.since = now
                self._held.deliveries.extend(copies)
                if len([d for d in self._held.deliveries if d.copy == 0]) >= faults.reorder:
                    self._release_held(now)
            else:
                for offset, delivery in enumerate(copies):
                    self._push(now + faults.delay + 0.05 * offset, delivery)
            self._lock.notify_all()
            return event

    def _release_held(self, now: float) -> None:
        held, self._held = self._held.deliveries, _Held()
        batch = next(self._batches)
        for offset, delivery in enumerate(reversed(held)):
            delivery.batch = batch
            self._push(now + self.faults.delay + 0.01 * offset, delivery)

    def _push(self, due: float, delivery: Delivery) -> None:
        heapq.heappush(self._queue, (due, next(self._seq), delivery))

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + len(self._held.deliveries) + self._in_flight

    def release(self) -> None:
        """Release events held for reordering now."""
        with self._lock:
            if self._held.deliveries:
                self._release_held(time.monotonic())
                self._lock.notify_all()

    def retry_delay(self, attempt: int) -> float:
        """Seconds (scaled) between attempt ``attempt`` and the next one."""
        minutes = RETRY_MINUTES[attempt - 1] if attempt <= len(RETRY_MINUTES) else 60
        return minutes * 60 * self.time_scale

    # ------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                while True:
                    if self._stopping:
                        return
                    now = time.monotonic()
                    if self._held.deliveries and now - self._held.since >= self.faults.reorder_wait:
                        self._release_held(now)
                    entry = self._next_due(now)
                    if entry is not None:
                        delivery = entry[2]
                        self._in_flight += 1
                        self._busy.add(delivery.line)
                        break
                    # Not due yet, or behind an event of its entity in flight (its end wakes us).
                    waits = [due - now for due, _, _ in self._queue if due > now]
                    if self._held.deliveries:
                        waits.append(self._held.since + self.faults.reorder_wait - now)
                    self._lock.wait(timeout=max(0.005, min(waits)) if waits else None)
            try:
                self._deliver(delivery)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    self._busy.discard(delivery.line)
                    self._lock.notify_all()

    def _next_due(self, now: float) -> tuple[float, int, Delivery] | None:
        """The earliest due delivery whose entity (or batch) has none in flight, taken off the queue."""
        ready = [entry for entry in self._queue if entry[0] <= now and entry[2].line not in self._busy]
        if not ready:
            return None
        entry = min(ready, key=lambda e: (e[0], e[1]))
        self._queue.remove(entry)
        heapq.heapify(self._queue)
        return entry

    def _deliver(self, delivery: Delivery) -> None:
        event = delivery.event
        delivery.attempt += 1
        url = self.url
        body = json.dumps(event, separators=(",", ":")).encode()
        signature = sign(self._secret, event["eventCreated"], event["eventId"])
        if delivery.forged:
            signature = sign("not-the-client-secret", event["eventCreated"], event["eventId"])
        status: int | None = None
        error: str | None = None
        if url:
            try:
                response = self._http.post(
                    url,
                    params={"eventtype": event["eventType"]},
                    content=body,
                    headers={"Content-Type": "application/json", "X-Ecwid-Webhook-Signature": signature},
                )
                status = response.status_code
            except httpx.HTTPError as exc:
                error = type(exc).__name__
        with self._lock:
            self.records.append(
                DeliveryRecord(
                    event["eventId"],
                    event["eventType"],
                    delivery.attempt,
                    delivery.copy,
                    status,
                    time.time(),
                    error,
                )
            )
            retry = status not in SUCCESS and not delivery.forged and delivery.attempt < MAX_ATTEMPTS
            if retry and not self._stopping:
                self._push(time.monotonic() + self.retry_delay(delivery.attempt), delivery)
                self._lock.notify_all()
