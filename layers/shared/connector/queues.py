"""Sending messages to the connector's SQS queues (the port's only adapter)."""

from __future__ import annotations

import json
from typing import Any, Protocol

from pydantic import BaseModel

from connector import aws


class MessageSender(Protocol):
    def send(self, queue_url: str, message: BaseModel, *, group_id: str | None = None,
             dedupe_id: str | None = None, delay_seconds: int = 0) -> str:
        """Enqueue ``message`` (a pydantic model, sent as JSON); returns the SQS message id."""


class SqsSender:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    def send(self, queue_url: str, message: BaseModel, *, group_id: str | None = None,
             dedupe_id: str | None = None, delay_seconds: int = 0) -> str:
        client = self._client or aws.client("sqs")
        params: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": message.model_dump_json()}
        if group_id is not None:
            params["MessageGroupId"] = group_id
        if dedupe_id is not None:
            params["MessageDeduplicationId"] = dedupe_id
        if delay_seconds:
            params["DelaySeconds"] = delay_seconds
        return str(client.send_message(**params)["MessageId"])


def decode(body: str) -> Any:
    return json.loads(body)
