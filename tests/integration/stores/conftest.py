"""Fixtures for the store adapters against the sandbox Ecwid (real HTTP on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from connector.stores.ecwid import EcwidStore
from local.sandbox_ecwid import EcwidSandbox
from tests.integration.stores.helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    TIME_SCALE,
    RecordingLimiter,
    WebhookSink,
    quick_sleep,
)


@pytest.fixture(scope="package")
def sink() -> Iterator[WebhookSink]:
    receiver = WebhookSink()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="package")
def sandbox(sink: WebhookSink) -> Iterator[EcwidSandbox]:
    """One sandbox for this test package (starting and stopping servers costs a poll interval); every
    test gets its own store, and the autouse fixture below resets the global switches."""
    server = EcwidSandbox(CLIENT_ID, CLIENT_SECRET, webhook_url=sink.url, time_scale=TIME_SCALE, seed=11).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_switches(sandbox: EcwidSandbox, sink: WebhookSink) -> None:
    sandbox.clear_faults()
    sandbox.set_rate_limit(600)
    sandbox.set_webhook_faults()
    sandbox.set_webhook_url(sink.url)
    sandbox.webhooks.time_scale = TIME_SCALE
    sandbox.auto_approve = True
    sink.answers.clear()
    sink.answers_for.clear()


@pytest.fixture
def store_id(sandbox: EcwidSandbox) -> int:
    return sandbox.create_store("Integration Store", weight_unit="POUND", dimensions_unit="IN")


@pytest.fixture
def token(sandbox: EcwidSandbox, store_id: int) -> str:
    return sandbox.issue_token(store_id)


@pytest.fixture
def limiter() -> RecordingLimiter:
    return RecordingLimiter()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    client = httpx.Client(timeout=httpx.Timeout(2.0))
    yield client
    client.close()


@pytest.fixture
def ecwid(
    sandbox: EcwidSandbox, store_id: int, token: str, limiter: RecordingLimiter, http: httpx.Client
) -> EcwidStore:
    return EcwidStore(store_id, token, api_base=sandbox.url, http=http, limiter=limiter, sleep=quick_sleep)
