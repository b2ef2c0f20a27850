"""Operator API (IAM-authenticated routes under /ops) and the scheduled pipeline canary."""

from __future__ import annotations

from typing import Any

from connector import canary
from connector.config import BaseEnv, load_env
from connector.observability import logger, metrics
from connector.queues import SqsSender
from connector.web import json_response, mark_verified, resolver, serve

app = resolver()


def _repo(env: BaseEnv) -> canary.CanaryRepository:
    return canary.CanaryRepository(env.table_name)


def _start(correlation_id: str) -> canary.CanaryRun:
    env = load_env(BaseEnv)
    run = canary.start(_repo(env), SqsSender(), env.tasks_queue_url, correlation_id)
    logger().info("canary started", extra={"canary_id": run.canary_id})
    return run


@app.post("/ops/canary")
def start_canary() -> Any:
    mark_verified()  # IAM-signed: API Gateway checked the caller before the function runs
    correlation_id = app.current_event.request_context.request_id
    run = _start(correlation_id)
    return json_response(202, {"canary_id": run.canary_id, "status": run.status, "stages": run.stages})


@app.get("/ops/canary/<canary_id>")
def read_canary(canary_id: str) -> Any:
    mark_verified()
    run = _repo(load_env(BaseEnv)).get(canary_id)
    return json_response(200, {"canary_id": run.canary_id, "status": run.status, "stages": run.stages,
                               "latency_ms": run.latency_ms})


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("source") == "aws.scheduler" or "requestContext" not in event:
        # The EventBridge schedule: start a canary, correlation id from the scheduler's event.
        run = _start(str(event.get("id") or getattr(context, "aws_request_id", "schedule")))
        return {"canary_id": run.canary_id}
    return serve(app, event, context)
