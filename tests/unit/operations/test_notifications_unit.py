"""Notifications without AWS: the digest email's wording, and the sample event of the new task kind."""

from __future__ import annotations

import json

from connector.notifications import CATEGORIES, MAX_LISTED, NotifyEnv, Pending, compose
from connector.tasks import HANDLERS, TaskMessage, handler_for
from local.cloud.template import REPO_ROOT


def pending(event: str, reason: str, subject: str | None = None, n: int = 0) -> Pending:
    return Pending(notification_id=f"n{n}", event=event, category=CATEGORIES[event], reason=reason,
                   subject_id=subject, created_ts=n, recorded_at=n)


def test_notify_merchant_has_a_handler() -> None:
    assert HANDLERS["notify_merchant"] == "connector.notifications:handle"
    assert callable(handler_for("notify_merchant"))


def test_sample_event_bodies_are_task_messages() -> None:
    event = json.loads((REPO_ROOT / "events" / "task_worker_notify_merchant.json").read_text())
    messages = [TaskMessage.model_validate_json(r["body"]) for r in event["Records"]]
    assert [m.kind for m in messages] == ["notify_merchant", "notify_merchant"]
    assert messages[0].payload["event"] in CATEGORIES and messages[1].payload["action"] == "flush"


def test_window_is_bounded_by_sqs_delay() -> None:
    env = {"TABLE_NAME": "tbl", "APP_SECRET_NAME": "s", "TOKENS_KEY_ID": "k", "TASKS_QUEUE_URL": "q",
           "STORE_EVENTS_QUEUE_URL": "q", "TIKTOK_EVENTS_QUEUE_URL": "q", "TIKTOK_API_BASE": "a",
           "TIKTOK_AUTH_BASE": "a", "TIKTOK_AUTHORIZE_URL": "a", "ECWID_API_BASE": "a", "ECWID_OAUTH_BASE": "a"}
    assert NotifyEnv.model_validate(env).notification_window_s == 300
    assert NotifyEnv.model_validate({**env, "NOTIFICATION_WINDOW_SECONDS": "900"}).notification_window_s == 900
    try:
        NotifyEnv.model_validate({**env, "NOTIFICATION_WINDOW_SECONDS": "901"})
    except ValueError:
        pass
    else:
        raise AssertionError("a window over SQS's 900 s delay was accepted")


def test_digest_lists_each_kind_and_counts_the_rest() -> None:
    items = [pending("order_cancel_refused", "the package has shipped", subject="5009")]
    items += [pending("order_blocked", f"TikTok order {i}: sku_not_linked", n=i) for i in range(MAX_LISTED + 3)]
    items += [pending("product_failed", "no_images", subject="p7"),
              pending("needs_reauth", "tiktok_authorization_expiring")]
    email = compose("c1", "shop@example.com", items, "https://connector.example")
    assert email.to == "shop@example.com"
    assert email.subject == "TikTok Shop connector: action needed: re-authorize, 29 orders blocked, 1 product failed"
    body = email.text
    assert body.index("authorization") < body.index("TikTok orders") < body.index("Products")
    assert "Not created in the store: TikTok order 0: sku_not_linked" in body
    assert "Cancellation not accepted by TikTok: TikTok order 5009: the package has shipped" in body
    assert "and 4 more" in body  # 28 blocked + 1 refused cancellation = 29, 25 listed
    assert "Not listed: product p7: no_images" in body
    assert "TikTok Shop's authorization of the app expires soon" in body
    assert "https://connector.example/connections/c1/reauthorize" in body
    assert "notifications.blocked_orders" in body  # how to switch them off


def test_disconnection_alone_asks_for_nothing() -> None:
    email = compose("c1", "shop@example.com", [pending("disconnected", "store_app_uninstalled")])
    assert email.subject == "TikTok Shop connector: the connection changed"
    assert "Disconnected: the app was uninstalled from the store" in email.text
    assert "reauthorize" not in email.text
