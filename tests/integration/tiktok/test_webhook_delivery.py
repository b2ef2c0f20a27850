"""The sandbox's webhooks: signed as the spec says, retried on TikTok's schedule (compressed),
and the faults tests need: dropped, duplicated, delayed and reordered notifications."""

from __future__ import annotations

import time
from typing import Any

import pytest

from connector.tiktok import errors as e
from connector.tiktok import webhooks as w
from local.sandbox_tiktok.delivery import RETRY_SCHEDULE_S
from tests.support.wait import until

from .conftest import APP_KEY, APP_SECRET, Receiver, World


def _notify(world: World, marker: int) -> None:
    """One webhook (type 7) for the world's shop, told apart by ``marker``."""
    world.sandbox.warn_authorization_expiry(world.seller["id"], expiration_time=marker)


def _markers(world: World, receiver: Receiver) -> list[int]:
    return [int(ev["data"]["expiration_time"]) for ev in world.events(receiver, 7)]


def _delivery(world: World, marker: int) -> dict[str, Any]:
    return next(
        d
        for d in world.sandbox.deliveries(7)
        if d["shop_id"] == world.shop_id and d["payload"]["data"]["expiration_time"] == str(marker)
    )


def test_webhooks_are_signed_over_app_key_and_raw_body(world: World, receiver: Receiver) -> None:
    _notify(world, 1)
    (delivery,) = until(lambda: receiver.deliveries(world.shop_id), timeout=5)

    assert w.verify(APP_KEY, APP_SECRET, delivery["body"], delivery["authorization"])
    assert not w.verify(APP_KEY, "other-secret", delivery["body"], delivery["authorization"])
    event = w.parse_event(delivery["body"])
    assert isinstance(event, w.UpcomingAuthorizationExpiration)
    assert event.shop_id == world.shop_id and event.tts_notification_id
    assert event.data.expiration_time == "1"


def test_failed_deliveries_are_retried_on_the_scaled_schedule(world: World, receiver: Receiver) -> None:
    receiver.fail_first[world.shop_id] = 2
    _notify(world, 2)

    until(lambda: _delivery(world, 2)["state"] == "delivered", timeout=10, what="third attempt")

    attempts = _delivery(world, 2)["attempts"]
    assert [a["status"] for a in attempts] == [500, 500, 200]
    scale = world.sandbox.time_scale
    assert attempts[1]["at"] - attempts[0]["at"] >= RETRY_SCHEDULE_S[0] * scale * 0.9
    assert attempts[2]["at"] - attempts[1]["at"] >= RETRY_SCHEDULE_S[1] * scale * 0.9
    assert len(world.events(receiver, 7)) == 3  # the same notification, three times
    assert len({ev["tts_notification_id"] for ev in world.events(receiver, 7)}) == 1


def test_tiktok_gives_up_after_four_retries(world: World, receiver: Receiver) -> None:
    world.sandbox.time_scale = 0.00002  # the 12 h retry comes after ~0.9 s
    receiver.fail_first[world.shop_id] = 100
    _notify(world, 3)

    until(lambda: _delivery(world, 3)["state"] == "failed", timeout=10, what="TikTok to give up")

    assert len(_delivery(world, 3)["attempts"]) == 1 + len(RETRY_SCHEDULE_S)


def test_dropped_notification_never_arrives(world: World, receiver: Receiver) -> None:
    world.sandbox.set_webhook_faults(drop=1)
    _notify(world, 41)
    _notify(world, 42)

    until(lambda: _markers(world, receiver) == [42], timeout=5)
    assert _delivery(world, 41)["state"] == "dropped"


def test_duplicated_notification_arrives_twice_with_one_id(world: World, receiver: Receiver) -> None:
    world.sandbox.set_webhook_faults(duplicate=1)
    _notify(world, 5)

    events = until(lambda: len(world.events(receiver, 7)) == 2 and world.events(receiver, 7), timeout=5)
    assert events[0]["tts_notification_id"] == events[1]["tts_notification_id"]
    assert {w.parse_event(d["body"]).dedupe_key for d in receiver.deliveries(world.shop_id)} == {
        events[0]["tts_notification_id"]
    }


def test_delayed_notification_arrives_late(world: World, receiver: Receiver) -> None:
    world.sandbox.set_webhook_faults(delay_s=0.4)
    sent = time.monotonic()
    _notify(world, 6)

    (delivery,) = until(lambda: receiver.deliveries(world.shop_id), timeout=5)
    assert delivery["at"] - sent >= 0.35


def test_reordered_notifications_arrive_in_reverse(world: World, receiver: Receiver) -> None:
    world.sandbox.set_webhook_faults(reorder=3)
    for marker in (71, 72, 73):
        _notify(world, marker)

    assert until(lambda: len(_markers(world, receiver)) == 3 and _markers(world, receiver), timeout=5) == [73, 72, 71]


def test_in_order_by_default(world: World, receiver: Receiver) -> None:
    for marker in range(80, 86):
        _notify(world, marker)
    assert until(lambda: len(_markers(world, receiver)) == 6 and _markers(world, receiver), timeout=5) == list(
        range(80, 86)
    )


def test_without_a_url_nothing_is_sent(world: World, receiver: Receiver) -> None:
    world.sandbox.set_webhook_url(None)
    _notify(world, 9)
    until(lambda: _delivery(world, 9)["state"] == "no_url", timeout=5)
    assert world.events(receiver, 7) == []


def test_deauthorization_sends_webhook_6_and_kills_tokens(world: World, receiver: Receiver) -> None:
    world.sandbox.deauthorize(world.seller["id"])
    event = until(lambda: world.events(receiver, 6), timeout=5)[0]
    assert isinstance(w.parse_event(event), w.SellerDeauthorization)
    with pytest.raises(e.AuthError) as caught:
        world.client.get_warehouses(world.shop)
    assert caught.value.tiktok_code == 105004  # expired, and the refresh token died too
