"""Timed work (review outcomes, holds, webhook retries) and signed webhook delivery.

Webhooks follow TikTok's documentation (see docs/tiktok.md): JSON POST, ``Authorization`` =
lowercase hex HMAC-SHA256(app_secret, app_key + raw body); success is HTTP 200 within 3 s; otherwise
retries at +2 min, +30 min, +3 h, +12 h (scaled by ``time_scale``), then TikTok gives up.
Faults can drop, duplicate, delay or reorder notifications.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

#: Seconds after the first attempt at which TikTok retries (its webhook documentation).
RETRY_SCHEDULE_S = (120.0, 1800.0, 10800.0, 43200.0)
ANSWER_DEADLINE_S = 3.0


class Scheduler:
    """Runs callables at (monotonic) times on one background thread."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], object]]] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="tiktok-sandbox-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify_all()
        self._thread.join(timeout=5)

    def call_later(self, delay_s: float, fn: Callable[[], object]) -> None:
        with self._cv:
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay_s), next(self._seq), fn))
            self._cv.notify_all()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cv.wait(timeout)
                if self._stopped:
                    return
                _, _, fn = heapq.heappop(self._heap)
            try:
                fn()
            except Exception:  # noqa: S112 - a sandbox job failing must not stop the others
                continue


@dataclass
class Attempt:
    at: float
    status: int | None
    error: str | None = None


@dataclass
class Delivery:
    notification_id: str
    type: int
    shop_id: str
    body: bytes
    state: str = "pending"  # pending | delivered | failed | dropped | held | no_url
    attempts: list[Attempt] = field(default_factory=list)
    copies: int = 1

    def json(self) -> dict[str, Any]:
        return {
            "notification_id": self.notification_id,
            "type": self.type,
            "shop_id": self.shop_id,
            "state": self.state,
            "copies": self.copies,
            "attempts": [{"at": a.at, "status": a.status, "error": a.error} for a in self.attempts],
            "payload": json.loads(self.body),
        }


@dataclass
class WebhookFaults:
    drop: int = 0  # the next N notifications are lost (never sent)
    duplicate: int = 0  # the next N are sent twice
    delay_s: float = 0.0  # every notification waits this long (real seconds) before its first try
    reorder: int = 0  # hold the next N and send them in reverse order once N are held


class WebhookDispatcher:
    def __init__(
        self,
        app_key: str,
        app_secret: str,
        scheduler: Scheduler,
        *,
        url: str | None,
        time_scale: Callable[[], float],
        now: Callable[[], int],
    ) -> None:
        self.app_key = app_key
        self._secret = app_secret
        self._scheduler = scheduler
        self.url = url
        self._time_scale = time_scale
        self._now = now
        self.faults = WebhookFaults()
        self._lock = threading.Lock()
        self._log: list[Delivery] = []
        self._held: list[Delivery] = []
        # One sender: notifications leave in the order they were emitted (unless a fault
        # reorders them), so tests are deterministic; TikTok itself promises no order.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tiktok-sandbox-webhook")
        self._http = httpx.Client(timeout=ANSWER_DEADLINE_S)
        self._ids = itertools.count(7327112393057371910)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def sign(self, body: bytes) -> str:
        return hmac.new(self._secret.encode(), self.app_key.encode() + body, hashlib.sha256).hexdigest()

    def emit(self, shop_id: str, event_type: int, data: dict[str, Any]) -> Delivery:
        notification_id = str(next(self._ids))
        envelope = {
            "type": event_type,
            "tts_notification_id": notification_id,
            "shop_id": shop_id,
            "timestamp": self._now(),
            "data": data,
        }
        body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        delivery = Delivery(notification_id, event_type, shop_id, body)
        release: list[Delivery] = []
        with self._lock:
            self._log.append(delivery)
            if self.faults.drop > 0:
                self.faults.drop -= 1
                delivery.state = "dropped"
                return delivery
            if self.faults.duplicate > 0:
                self.faults.duplicate -= 1
                delivery.copies = 2
            if self.faults.reorder > 0:
                self.faults.reorder -= 1
                delivery.state = "held"
                self._held.append(delivery)
                if self.faults.reorder == 0:
                    release, self._held = list(reversed(self._held)), []
            else:
                release = [delivery]
            delay = self.faults.delay_s
        for index, item in enumerate(release):
            item.state = "pending"
            # keep the reversed order: later items start a little later
            self._scheduler.call_later(delay + index * 0.01, functools.partial(self._first_try, item))
        return delivery

    def _first_try(self, delivery: Delivery) -> None:
        for _ in range(delivery.copies):
            self._pool.submit(self._attempt, delivery, 0)

    def _attempt(self, delivery: Delivery, retry_index: int) -> None:
        url = self.url
        if not url:
            with self._lock:
                delivery.state = "no_url"
                delivery.attempts.append(Attempt(time.time(), None, "no webhook url configured"))
            return
        headers = {"content-type": "application/json", "authorization": self.sign(delivery.body)}
        status: int | None = None
        error: str | None = None
        try:
            response = self._http.post(url, content=delivery.body, headers=headers)
            status = response.status_code
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        with self._lock:
            delivery.attempts.append(Attempt(time.time(), status, error))
            if status == 200:
                delivery.state = "delivered"
                return
            if delivery.state == "delivered":  # the other copy made it
                return
            if retry_index >= len(RETRY_SCHEDULE_S):
                delivery.state = "failed"
                return
            delay = RETRY_SCHEDULE_S[retry_index] * self._time_scale()
        self._scheduler.call_later(delay, lambda: self._pool.submit(self._attempt, delivery, retry_index + 1))

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._log)

    def clear(self) -> None:
        with self._lock:
            self._log.clear()
