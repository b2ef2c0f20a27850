"""Helpers for the store integration tests: a webhook receiver, a recording limiter."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from connector.ratelimit import LocalRateLimiter
from local.httpkit import Request, Response, Server

CLIENT_ID = "sandbox-app"
CLIENT_SECRET = "sandbox-app-secret"
TIME_SCALE = 0.0002
"""Ecwid's webhook retry schedule compressed: 15 minutes -> 0.18 s."""


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    query: dict[str, list[str]]
    at: float

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class WebhookSink:
    """A webhook receiver that records every delivery and answers the statuses it is told to:
    ``answers`` to any delivery, ``answers_for[store id]`` only to that store's (the sandbox
    delivers from several threads, so an earlier test's late delivery may arrive meanwhile)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: deque[int] = deque()
        self.answers_for: dict[int, deque[int]] = {}
        self._lock = threading.Lock()
        self._server = Server(self._handle, name="webhook-sink").start()

    @property
    def url(self) -> str:
        return f"{self._server.url}/webhooks/ecwid"

    def _handle(self, request: Request) -> Response:
        with self._lock:
            received = Received(dict(request.headers), request.body, request.query, time.monotonic())
            self.received.append(received)
            try:
                store = received.event.get("storeId")
            except ValueError:
                store = None
            scripted = self.answers_for.get(store) if isinstance(store, int) else None
            queue = scripted if scripted else self.answers
            status = queue.popleft() if queue else 200
        return Response(status)

    def events(self, event_type: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if event_type is None or r.event["eventType"] == event_type]

    def stop(self) -> None:
        self._server.stop()


class RecordingLimiter:
    """A real in-process limiter that also records the pauses it was asked for."""

    def __init__(self) -> None:
        self.inner = LocalRateLimiter()
        self.pauses: list[tuple[str, float, float]] = []

    def acquire(self, key: str, rate_per_second: float) -> None:
        self.inner.acquire(key, rate_per_second)

    def pause(self, key: str, seconds: float) -> None:
        self.pauses.append((key, seconds, time.monotonic()))
        self.inner.pause(key, seconds)


def quick_sleep(seconds: float) -> None:
    """Retry backoff, compressed (the adapter's own waits, not a test waiting on a race)."""
    time.sleep(min(seconds, 0.02))
