"""The sandbox Ecwid's webhook delivery: a slow answer about one product holds back only that
product's later events, never another product's."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from local.httpkit import Request, Response, Server
from local.sandbox_ecwid.webhooks import WebhookDispatcher
from tests.support.wait import until


class HoldingReceiver:
    """Records each event's entity as it arrives; holds the answer to ``held_entity``'s first
    event until released."""

    def __init__(self, held_entity: int) -> None:
        self.held_entity = held_entity
        self.release = threading.Event()
        self.arrived: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._server = Server(self._handle, name="holding-receiver").start()

    @property
    def url(self) -> str:
        return f"{self._server.url}/webhooks/ecwid"

    def _handle(self, request: Request) -> Response:
        event = json.loads(request.body)
        with self._lock:
            first = not any(entity == event["entityId"] for entity, _ in self.arrived)
            self.arrived.append((event["entityId"], event["eventType"]))
        if first and event["entityId"] == self.held_entity:
            self.release.wait(timeout=30)
        return Response(200)

    def entities(self) -> list[tuple[int, str]]:
        with self._lock:
            return list(self.arrived)

    def stop(self) -> None:
        self.release.set()
        self._server.stop()


@pytest.fixture
def receiver() -> Iterator[HoldingReceiver]:
    found = HoldingReceiver(held_entity=1)
    yield found
    found.stop()


@pytest.fixture
def dispatcher(receiver: HoldingReceiver) -> Iterator[WebhookDispatcher]:
    found = WebhookDispatcher("secret", url=receiver.url, seed=3)
    found.start()
    yield found
    found.stop()


def test_a_held_answer_delays_only_its_own_entity(receiver: HoldingReceiver, dispatcher: WebhookDispatcher) -> None:
    dispatcher.emit(7, "product.updated", 1)
    until(lambda: receiver.entities() == [(1, "product.updated")], what="product 1's first event")
    dispatcher.emit(7, "product.deleted", 1)  # behind the held one: same product
    dispatcher.emit(7, "product.updated", 2)
    dispatcher.emit(7, "order.updated", 1)  # an order numbered like the product: another entity
    until(lambda: len(receiver.entities()) == 3, what="the other entities' events")
    assert sorted(receiver.entities()[1:]) == [(1, "order.updated"), (2, "product.updated")]
    receiver.release.set()
    until(lambda: len(receiver.entities()) == 4, what="product 1's second event")
    assert receiver.entities()[-1] == (1, "product.deleted")
    until(lambda: dispatcher.pending() == 0, what="nothing left in flight")
