"""The canary repository against moto and against DynamoDB Local (a real engine)."""

from __future__ import annotations

from typing import Any

import pytest

from connector import canary
from connector.errors import Conflict, NotFound

pytestmark = pytest.mark.dynamodb_local


def test_create_mark_and_read(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo = canary.CanaryRepository(name, client)
    repo.create(canary.CanaryRun(canary_id="c1", correlation_id="r1", status="running", stages={"api": 1000}), 1000)
    repo.mark("c1", "worker", 1500)
    run = repo.mark("c1", "state_machine", 1800)
    assert run.status == "completed"
    assert run.stages == {"api": 1000, "worker": 1500, "state_machine": 1800}
    assert repo.get("c1").latency_ms == 800


def test_first_stage_time_wins_and_writes_are_conditional(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo = canary.CanaryRepository(name, client)
    run = canary.CanaryRun(canary_id="c2", correlation_id="r", status="running", stages={"api": 1})
    repo.create(run, 1)
    repo.mark("c2", "worker", 5)
    assert repo.mark("c2", "worker", 9).stages["worker"] == 5  # a redelivered message changes nothing
    with pytest.raises(Conflict):
        repo.create(run, 1)
    with pytest.raises(NotFound):
        repo.mark("missing", "worker", 1)
    with pytest.raises(NotFound):
        repo.get("missing")
