"""The sandbox Ecwid's switches for creates in doubt, through the adapter: a POST that commits and
then answers 500 or stalls past the client's timeout, a lagging order search, an outage. The
adapter posts once and says the outcome is unknown (``AmbiguousWrite``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connector.stores.ecwid import EcwidStore
from connector.stores.errors import AmbiguousWrite, ServerError
from local.sandbox_ecwid import EcwidSandbox, Fault
from tests.integration.stores.helpers import RecordingLimiter, quick_sleep
from tests.integration.stores.test_ecwid_orders import catalog, draft

__all__ = ["catalog"]  # the fixture, used by name


def test_commit_then_500_is_ambiguous_and_the_lagging_search_hides_the_order(
        ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int, catalog: dict[str, Any]) -> None:
    sandbox.set_search_lag(30)
    sandbox.add_fault(Fault(method="POST", path="^/orders$", status=500, after=True))
    with pytest.raises(AmbiguousWrite):
        ecwid.create_order(draft(catalog, "9101"))
    assert len(sandbox.orders(store_id)) == 1  # the store did it
    assert ecwid.find_orders_by_tiktok_id("9101") == []  # and its search does not show it yet
    assert len(sandbox.requests("POST", rf"/{store_id}/orders$")) == 1
    sandbox.set_search_lag(0)
    assert [o.tiktok_order_id for o in ecwid.find_orders_by_tiktok_id("9101")] == ["9101"]


def test_commit_then_stall_past_the_client_timeout_is_ambiguous(
        sandbox: EcwidSandbox, store_id: int, token: str, catalog: dict[str, Any]) -> None:
    client = httpx.Client(timeout=httpx.Timeout(0.5))
    store = EcwidStore(store_id, token, api_base=sandbox.url, http=client, limiter=RecordingLimiter(),
                       sleep=quick_sleep)
    sandbox.add_fault(Fault(method="POST", path="^/orders$", status=200, after=True, stall=1.0))
    try:
        with pytest.raises(AmbiguousWrite):
            store.create_order(draft(catalog, "9102"))
    finally:
        client.close()
    assert [o["externalOrderId"] for o in sandbox.orders(store_id)] == ["9102"]


def test_an_outage_answers_503_until_it_ends(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int,
                                             catalog: dict[str, Any]) -> None:
    sandbox.start_outage()
    with pytest.raises(ServerError) as caught:
        ecwid.find_orders_by_tiktok_id("9103")
    assert caught.value.http_status == 503
    with pytest.raises(ServerError):
        ecwid.create_order(draft(catalog, "9103"))  # the look-up first fails: nothing posted
    assert sandbox.requests("POST", rf"/{store_id}/orders$") == []
    sandbox.end_outage()
    assert ecwid.create_order(draft(catalog, "9103")).tiktok_order_id == "9103"
