"""The inline relay attempt: which outcomes go on in the state machine, under which claim token,
and that the state machine's routing agrees with it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from connector.orders import inline, service

ASL = Path(__file__).resolve().parents[3] / "statemachines" / "order_relay.asl.json"


@pytest.mark.parametrize(("result", "waits"), [
    ({"outcome": "blocked", "wait_s": 0}, True),
    ({"outcome": "settling", "wait_s": 2}, True),
    ({"outcome": "verifying", "wait_s": 60}, True),
    ({"outcome": "retrying", "wait_s": 4}, True),
    ({"outcome": "retrying", "wait_s": 60}, True),
    ({"outcome": "retrying", "wait_s": 61}, False),
    ({"outcome": "retrying", "wait_s": 0}, False),
    ({"outcome": "created", "wait_s": 0}, False),
    ({"outcome": "already", "wait_s": 0}, False),
    ({"outcome": "gave_up", "wait_s": 0}, False),
    ({"outcome": "waiting_hold", "wait_s": 0}, False),
])
def test_only_outcomes_that_must_wait_go_on_in_the_state_machine(result: dict[str, Any], waits: bool) -> None:
    assert inline.must_wait(result) is waits


def test_the_state_machine_routes_the_same_outcomes_to_a_wait() -> None:
    definition = json.loads(re.sub(r"\$\{\w+\}", "1", ASL.read_text()))
    states = definition["States"]
    assert definition["StartAt"] == "Start"
    assert states["Start"]["Choices"][0] == {"Variable": "$.result.outcome", "IsPresent": True, "Next": "Route"}
    assert states["Start"]["Default"] == "Relay"
    routed = {c["StringEquals"] for c in states["Route"]["Choices"] if "StringEquals" in c}
    assert routed == set(inline.WAITING_OUTCOMES)
    retrying = next(c for c in states["Route"]["Choices"] if "And" in c)["And"]
    assert {"Variable": "$.result.wait_s", "NumericLessThanEquals": inline.SHORT_WAIT_MAX_S} in retrying


class Recorder:
    def __init__(self, outcome: dict[str, Any] | Exception) -> None:
        self.outcome = outcome
        self.tokens: list[str] = []
        self.started: list[tuple[str, dict[str, Any] | None]] = []

    def relay_step(self, c: Any, event: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        self.tokens.append(event["token"])
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome

    def start_relay(self, connection_id: str, shop_id: str, order_id: str, correlation_id: str, name: str, *,
                    result: dict[str, Any] | None = None) -> bool:
        self.started.append((name, result))
        return True


def _run(monkeypatch: pytest.MonkeyPatch, outcome: dict[str, Any] | Exception) -> tuple[str, Recorder]:
    recorder = Recorder(outcome)
    monkeypatch.setattr(service, "relay_step", recorder.relay_step)
    monkeypatch.setattr(service, "start_relay", recorder.start_relay)
    ctx = SimpleNamespace(connection=SimpleNamespace(connection_id="c1"), shop=SimpleNamespace(shop_id="s1"))
    answer = inline.relay_inline(SimpleNamespace(), ctx, "5001", "corr")  # type: ignore[arg-type]
    return answer, recorder


def test_an_attempt_that_created_the_order_starts_no_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    answer, recorder = _run(monkeypatch, {"outcome": "created", "attempts": 0, "wait_s": 0})
    assert answer == "relay_created" and recorder.started == []
    assert recorder.tokens[0].startswith("ev-5001-")


def test_an_attempt_that_must_wait_goes_on_in_an_execution_holding_its_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    answer, recorder = _run(monkeypatch, {"outcome": "settling", "attempts": 1, "wait_s": 2})
    assert answer == "relay_settling_waits"
    assert recorder.started == [(recorder.tokens[0], {"outcome": "settling", "attempts": 1, "wait_s": 2})]


def test_a_failed_attempt_is_handed_to_an_execution_with_the_same_token(monkeypatch: pytest.MonkeyPatch) -> None:
    answer, recorder = _run(monkeypatch, RuntimeError("crash between the store's create and the record"))
    assert answer == "relay_handed_over"
    assert recorder.started == [(recorder.tokens[0], None)]


def test_every_attempt_has_a_token_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    _, first = _run(monkeypatch, {"outcome": "already", "attempts": 0, "wait_s": 0})
    _, second = _run(monkeypatch, {"outcome": "already", "attempts": 0, "wait_s": 0})
    assert first.tokens[0] != second.tokens[0]
    assert len(first.tokens[0]) <= 80
