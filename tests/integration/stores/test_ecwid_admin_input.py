"""The Ecwid sandbox's admin API checks what it is sent: a bad value gets a 400 naming the field
(never a 500, never interpreter text), and a faulted API request always shows in the request log."""

from __future__ import annotations

import httpx
import pytest

from local.sandbox_ecwid import EcwidSandbox


@pytest.fixture
def admin(sandbox: EcwidSandbox) -> httpx.Client:
    return httpx.Client(base_url=f"{sandbox.base_url}/_admin", timeout=5)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "boom"}, "status"),
        ({"status": 200.5}, "status"),
        ({"status": 99}, "status"),
        ({"times": 1.5}, "times"),
        ({"times": -1}, "times"),
        ({"delay": "slow"}, "delay"),
        ({"delay": -0.5}, "delay"),
        ({"stall": True}, "stall"),
        ({"retryAfter": 0.5}, "retryAfter"),
        ({"path": "(unclosed"}, "path"),
        ({"method": 5}, "method"),
        ({"after": "yes"}, "after"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_fault_gets_a_400_naming_the_field(admin: httpx.Client, body: dict[str, object], field: str) -> None:
    answer = admin.post("/faults", json=body)

    assert answer.status_code == 400
    message = answer.json()["errorMessage"]
    assert field in message
    assert "Error" not in message and "Traceback" not in message


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/outage", {"seconds": "long"}, "seconds"),
        ("/outage", {"seconds": -3}, "seconds"),
        ("/search-lag", {"seconds": "x"}, "seconds"),
        ("/search-lag", {}, "seconds"),
        ("/rate-limit", {"requestsPerMinute": 1.5}, "requestsPerMinute"),
    ],
)
def test_bad_switch_values_get_a_400_naming_the_field(
    admin: httpx.Client, path: str, body: dict[str, object], field: str
) -> None:
    answer = admin.put(path, json=body)

    assert answer.status_code == 400
    assert field in answer.json()["errorMessage"]


def test_a_body_that_is_not_an_object_gets_a_400(admin: httpx.Client) -> None:
    answer = admin.post("/faults", json=[1, 2])

    assert answer.status_code == 400
    assert "Error" not in answer.json()["errorMessage"]


def test_a_fractional_delay_is_applied_and_the_faulted_request_is_logged(
    sandbox: EcwidSandbox, admin: httpx.Client, store_id: int, token: str
) -> None:
    accepted = admin.post("/faults", json={"method": "GET", "path": "^/profile$", "status": 503, "delay": 0.05})
    api = httpx.Client(base_url=f"{sandbox.url}/{store_id}", headers={"Authorization": f"Bearer {token}"}, timeout=5)

    answer = api.get("/profile")

    assert accepted.status_code == 200 and accepted.json()["delay"] == 0.05
    assert answer.status_code == 503
    logged = admin.get("/requests", params={"path": f"/api/v3/{store_id}/profile$"}).json()["requests"]
    assert [r["status"] for r in logged] == [503]
