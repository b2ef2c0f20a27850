"""Signed webhook deliveries, the way Shopify sends them over HTTPS, time-compressed.

- One delivery per subscription (shop, topic, URL): the JSON payload POSTed with
  ``X-Shopify-Topic``, ``X-Shopify-Hmac-Sha256`` (Base64 HMAC-SHA256 of the raw body, key: the
  app's client secret), ``X-Shopify-Shop-Domain``, ``X-Shopify-Webhook-Id``,
  ``X-Shopify-Event-Id``, ``X-Shopify-Triggered-At`` and ``X-Shopify-API-Version``.
- A 2xx answer within the timeout is success. Otherwise the same delivery (same id, same bytes)
  is sent again, 8 retries over 4 hours (the intervals are the sandbox's: doubling from one
  minute, the last one closing the 4 hours). Every delay is multiplied by ``time_scale``.
- Faults: ``duplicate`` (probability of a second copy of an attempt, same id) and
  ``forged`` (probability of an extra copy signed with the wrong key, sent once).
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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

RETRY_SECONDS = (60, 120, 240, 480, 960, 1920, 3840, 6780)
"""Eight retries, 4 hours in all."""
TIMEOUT_S = 5.0


def sign(client_secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(client_secret.encode(), body, hashlib.sha256).digest()).decode("ascii")


@dataclass
class Delivery:
    webhook_id: str
    event_id: str
    shop: str
    topic: str
    url: str
    body: bytes
    triggered_at: str
    attempt: int = 0
    forged: bool = False


@dataclass
class DeliveryRecord:
    webhook_id: str
    topic: str
    shop: str
    attempt: int
    status: int | None
    """HTTP status, or None for a connection error or timeout."""
    forged: bool
    at: float


class ShopifyWebhookDispatcher:
    def __init__(self, client_secret: str, *, api_version: str, time_scale: float = 1.0, seed: int = 0,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self._secret = client_secret
        self.api_version = api_version
        self.time_scale = time_scale
        self.duplicate = 0.0
        self.forged = 0.0
        self._rng = random.Random(seed ^ 0x5409)
        self._wall_clock = wall_clock
        self._subscriptions: dict[str, dict[str, set[str]]] = {}
        self._lock = threading.Condition()
        self._queue: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._stopping = False
        self._in_flight = 0
        self.records: list[DeliveryRecord] = []
        self._http = httpx.Client(timeout=httpx.Timeout(TIMEOUT_S, connect=1.0))
        self._thread = threading.Thread(target=self._run, name="shopify-sandbox-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        self._thread.join(timeout=5)
        self._http.close()

    def subscribe(self, shop: str, topic: str, url: str) -> None:
        with self._lock:
            self._subscriptions.setdefault(shop, {}).setdefault(topic, set()).add(url)

    def unsubscribe_all(self, shop: str, *, keep: frozenset[str] = frozenset()) -> None:
        """Forget the shop's subscriptions, but those to the topics in ``keep``."""
        with self._lock:
            topics = self._subscriptions.pop(shop, {})
            kept = {topic: urls for topic, urls in topics.items() if topic in keep}
            if kept:
                self._subscriptions[shop] = kept

    def emit(self, shop: str, topic: str, payload: dict[str, Any]) -> list[str]:
        """Queue one delivery per subscription; returns their webhook ids."""
        body = json.dumps(payload, separators=(",", ":"), default=str).encode()
        triggered = datetime.fromtimestamp(self._wall_clock(), tz=UTC).isoformat(timespec="microseconds")
        event_id = str(uuid.uuid4())
        with self._lock:
            urls = sorted(self._subscriptions.get(shop, {}).get(topic, set()))
            ids = []
            for url in urls:
                delivery = Delivery(str(uuid.uuid4()), event_id, shop, topic, url, body, triggered)
                ids.append(delivery.webhook_id)
                self._push(time.monotonic(), delivery)
            return ids

    def idle(self) -> bool:
        """Nothing queued and nothing being sent."""
        with self._lock:
            return not self._queue and self._in_flight == 0

    def records_for(self, shop: str) -> list[DeliveryRecord]:
        with self._lock:
            return [r for r in self.records if r.shop == shop]

    # ------------------------------------------------------------------------------------------

    def _push(self, due: float, delivery: Delivery) -> None:
        heapq.heappush(self._queue, (due, next(self._seq), delivery))
        self._lock.notify_all()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
                    timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._lock.wait(timeout=timeout)
                if self._stopping:
                    return
                _, _, delivery = heapq.heappop(self._queue)
                self._in_flight += 1
            try:
                self._attempt(delivery)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    self._lock.notify_all()

    def _attempt(self, delivery: Delivery) -> None:
        status = self._send(delivery)
        copies = 1 if self._rng.random() < self.duplicate else 0
        for _ in range(copies):
            self._send(delivery)
        if self._rng.random() < self.forged:
            self._send(Delivery(**{**delivery.__dict__, "forged": True}))
        if status is not None and 200 <= status < 300:
            return
        if delivery.attempt < len(RETRY_SECONDS):
            wait = RETRY_SECONDS[delivery.attempt] * self.time_scale
            delivery.attempt += 1
            with self._lock:
                self._push(time.monotonic() + wait, delivery)

    def _send(self, delivery: Delivery) -> int | None:
        secret = "not-the-app-secret" if delivery.forged else self._secret
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Hmac-Sha256": sign(secret, delivery.body),
            "X-Shopify-Shop-Domain": delivery.shop,
            "X-Shopify-Webhook-Id": delivery.webhook_id,
            "X-Shopify-Event-Id": delivery.event_id,
            "X-Shopify-Triggered-At": delivery.triggered_at,
            "X-Shopify-API-Version": self.api_version,
        }
        status: int | None
        try:
            status = self._http.post(delivery.url, content=delivery.body, headers=headers).status_code
        except httpx.HTTPError:
            status = None
        with self._lock:
            self.records.append(DeliveryRecord(delivery.webhook_id, delivery.topic, delivery.shop, delivery.attempt,
                                               status, delivery.forged, time.monotonic()))
        return status
