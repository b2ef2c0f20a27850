"""The TikTok sandbox's admin API checks what it is sent: a bad value gets a 400 naming the field
(never a 500, never interpreter text), and a faulted request always shows in the request log."""

from __future__ import annotations

import httpx
import pytest

from connector.tiktok import errors as e
from local.sandbox_tiktok import TikTokSandbox

from .conftest import World

WAREHOUSES = "/logistics/202309/warehouses"


@pytest.fixture
def admin(sandbox: TikTokSandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.url + "/_admin", timeout=5)


def _refused(answer: httpx.Response, field: str) -> None:
    assert answer.status_code == 400
    body = answer.json()
    assert body["field"] == field and field in body["detail"]
    assert "Error" not in body["detail"] and "Traceback" not in body["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "explode"}, "kind"),
        ({"count": 1.5}, "count"),
        ({"count": 0}, "count"),
        ({"status": "boom"}, "status"),
        ({"status": 200}, "status"),
        ({"code": 1.5}, "code"),
        ({"delay_s": "slow"}, "delay_s"),
        ({"delay_s": -1}, "delay_s"),
        ({"after": "yes"}, "after"),
        ({"path": 7}, "path"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_fault_gets_a_400_naming_the_field(admin: httpx.Client, body: dict[str, object], field: str) -> None:
    _refused(admin.post("/faults", json=body), field)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/config", {"review_delay_s": "soon"}, "review_delay_s"),
        ("/config", {"rate_limit_per_second": "many"}, "rate_limit_per_second"),
        ("/config", {"hold_s": -5}, "hold_s"),
        ("/config", {"no_such_setting": 1}, "no_such_setting"),
        ("/webhook_faults", {"drop": 1.5}, "drop"),
        ("/webhook_faults", {"delay_s": "x"}, "delay_s"),
        ("/orders", {"shop_id": "1", "items": [], "colour": "red"}, "colour"),
    ],
)
def test_bad_admin_values_get_a_400_naming_the_field(
    admin: httpx.Client, path: str, body: dict[str, object], field: str
) -> None:
    _refused(admin.post(path, json=body), field)


def test_a_body_that_is_not_an_object_gets_a_400(admin: httpx.Client) -> None:
    _refused(admin.post("/faults", json=[1]), "body")


def test_a_fractional_delay_is_applied_and_the_faulted_request_is_logged(world: World, admin: httpx.Client) -> None:
    accepted = admin.post("/faults", json={"kind": "timeout", "count": 9, "path": WAREHOUSES, "delay_s": 0.05})

    with pytest.raises(e.TikTokError):
        world.client.get_warehouses(world.shop)

    assert accepted.status_code == 200
    assert admin.get("/faults").json()[0]["delay_s"] == 0.05
    codes = [r["code"] for r in world.requests(WAREHOUSES)]
    assert codes and set(codes) == {36009007}
