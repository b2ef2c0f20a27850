"""The canary state machine's step: records that the probe reached the state machine."""

from __future__ import annotations

from typing import Any

from connector import canary
from connector.config import BaseEnv, load_env
from connector.observability import logger


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = canary.CanaryStepInput.model_validate(event)
    env = load_env(BaseEnv)
    run = canary.reach(canary.CanaryRepository(env.table_name), step.canary_id, "state_machine")
    logger().info("canary reached the state machine",
                  extra={"canary_id": run.canary_id, "correlation_id": step.correlation_id})
    return {"canary_id": run.canary_id, "status": run.status}
