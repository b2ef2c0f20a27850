"""Rate limit (429 + Retry-After), retries on 5xx and timeouts, typed errors, against the sandbox."""

from __future__ import annotations

import threading

import httpx
import pytest

from connector.stores import AuthError, ServerError, StoreNotFound
from connector.stores.ecwid import EcwidStore
from local.sandbox_ecwid import EcwidSandbox
from tests.integration.stores.helpers import RecordingLimiter, quick_sleep


def test_retry_after_is_honoured(
    ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int, limiter: RecordingLimiter
) -> None:
    # Given a store that allows 3 requests per second
    sandbox.set_rate_limit(3, window_seconds=1.0)
    # When the adapter makes 5 calls
    for _ in range(5):
        assert ecwid.profile().store_id == str(store_id)
    # Then it met 429s, paused for exactly the Retry-After it was given, and every call succeeded
    records = sandbox.requests("GET", rf"^/api/v3/{store_id}/profile$")
    refused = [r for r in records if r.status == 429]
    assert refused, "the limit was never reached"
    assert [p[:2] for p in limiter.pauses] == [(f"ecwid#{store_id}", 1.0)] * len(refused)
    assert len([r for r in records if r.status == 200]) == 5
    # and nothing was sent while paused
    for rejection in refused:
        following = [r for r in records if r.at > rejection.at]
        assert following and following[0].at - rejection.at >= 0.95


def test_concurrent_workers_share_the_pause(sandbox: EcwidSandbox, store_id: int, token: str) -> None:
    sandbox.set_rate_limit(4, window_seconds=1.0)
    shared = RecordingLimiter()
    errors: list[BaseException] = []

    def worker() -> None:
        with httpx.Client(timeout=5) as http:
            store = EcwidStore(store_id, token, api_base=sandbox.url, http=http, limiter=shared, sleep=quick_sleep)
            try:
                for _ in range(3):
                    store.profile()
            except BaseException as exc:  # reported below
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    records = sandbox.requests("GET", rf"^/api/v3/{store_id}/profile$")
    assert len([r for r in records if r.status == 200]) == 6
    refused = [r for r in records if r.status == 429]
    assert refused
    # After a 429, at most the other worker's request already on its way gets through before the pause ends.
    for rejection in refused:
        during_pause = [r for r in records if rejection.at < r.at < rejection.at + 0.9]
        assert len(during_pause) <= 1


def test_server_errors_are_retried(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int) -> None:
    sandbox.add_fault(method="GET", path=r"^/profile$", status=503, times=2)
    assert ecwid.profile().store_id == str(store_id)
    statuses = [r.status for r in sandbox.requests("GET", rf"^/api/v3/{store_id}/profile$")]
    assert statuses == [503, 503, 200]


def test_persistent_server_errors_become_server_error(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int) -> None:
    sandbox.add_fault(method="GET", path=r"^/profile$", status=500, times=10)
    with pytest.raises(ServerError) as caught:
        ecwid.profile()
    assert caught.value.http_status == 500
    assert sandbox.request_count("GET", rf"^/api/v3/{store_id}/profile$") == 4  # max_attempts


def test_timeouts_are_retried(sandbox: EcwidSandbox, store_id: int, token: str) -> None:
    sandbox.add_fault(method="GET", path=r"^/profile$", status=200, delay=0.6)
    with httpx.Client(timeout=httpx.Timeout(0.25)) as http:
        store = EcwidStore(
            store_id, token, api_base=sandbox.url, http=http, limiter=RecordingLimiter(), sleep=quick_sleep
        )
        assert store.profile().store_id == str(store_id)


def test_a_bad_token_is_an_auth_error_that_does_not_carry_it(
    sandbox: EcwidSandbox, store_id: int, http: httpx.Client
) -> None:
    wrong = "secret_this-token-is-wrong-0123456789"
    store = EcwidStore(store_id, wrong, api_base=sandbox.url, http=http, limiter=RecordingLimiter())
    with pytest.raises(AuthError) as caught:
        store.profile()
    assert caught.value.http_status == 403
    assert wrong not in str(caught.value) and wrong not in repr(caught.value.__dict__)


def test_token_in_the_query_is_refused_by_the_sandbox(sandbox: EcwidSandbox, store_id: int, token: str) -> None:
    response = httpx.get(f"{sandbox.url}/{store_id}/profile", params={"token": token}, timeout=5)
    assert response.status_code == 403


def test_a_token_lacking_a_scope_is_refused(sandbox: EcwidSandbox, store_id: int, http: httpx.Client) -> None:
    read_only = sandbox.issue_token(store_id, ["read_catalog"])
    store = EcwidStore(store_id, read_only, api_base=sandbox.url, http=http, limiter=RecordingLimiter())
    assert store.profile().store_id == str(store_id)  # read_store_profile always comes with a token
    with pytest.raises(AuthError) as caught:
        store.find_order_by_tiktok_id("1")
    assert caught.value.platform_code == "SCOPE_MISSING"


def test_uninstall_kills_the_token(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int) -> None:
    assert ecwid.profile()
    sandbox.uninstall(store_id)
    with pytest.raises(AuthError):
        ecwid.profile()


def test_unknown_product(ecwid: EcwidStore) -> None:
    with pytest.raises(StoreNotFound) as caught:
        ecwid.get_product("424242")
    assert caught.value.http_status == 404 and not caught.value.retryable
