from __future__ import annotations

import pytest

from connector.config import BaseEnv, TaskWorkerEnv, load_env
from connector.errors import ConfigurationError
from connector.runtime import environ, environment_overlay

FULL = {
    "TABLE_NAME": "tbl", "APP_SECRET_NAME": "s", "TOKENS_KEY_ID": "k", "TASKS_QUEUE_URL": "q1",
    "STORE_EVENTS_QUEUE_URL": "q2", "TIKTOK_EVENTS_QUEUE_URL": "q3", "TIKTOK_API_BASE": "a",
    "TIKTOK_AUTH_BASE": "b", "TIKTOK_AUTHORIZE_URL": "c", "ECWID_API_BASE": "d", "ECWID_OAUTH_BASE": "e",
}


def test_overlay_wins_and_is_scoped() -> None:
    with environment_overlay({"TABLE_NAME": "inside"}):
        assert environ()["TABLE_NAME"] == "inside"
    assert environ().get("TABLE_NAME") != "inside"


def test_valid_environment_loads() -> None:
    with environment_overlay(FULL):
        env = load_env(BaseEnv)
    assert env.table_name == "tbl" and env.public_base_url == ""


def test_missing_variables_are_named_and_values_not_echoed() -> None:
    with environment_overlay({**FULL, "TABLE_NAME": "x"}), pytest.raises(ConfigurationError) as info:
        load_env(TaskWorkerEnv)
    message = str(info.value)
    assert "TABLE_NAME" in message and "CANARY_STATE_MACHINE_ARN" in message
    assert "tbl" not in message


def test_tiktok_rate_defaults_to_tiktoks_limit_and_is_configurable() -> None:
    with environment_overlay(FULL):
        assert load_env(BaseEnv).tiktok_rate_per_second == 50.0
    with environment_overlay({**FULL, "TIKTOK_RATE_PER_SECOND": "12.5"}):
        assert load_env(BaseEnv).tiktok_rate_per_second == 12.5
    with environment_overlay({**FULL, "TIKTOK_RATE_PER_SECOND": "0"}), pytest.raises(ConfigurationError) as info:
        load_env(BaseEnv)
    assert "TIKTOK_RATE_PER_SECOND" in str(info.value)
