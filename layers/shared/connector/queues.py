"""Sending messages to the connector's SQS queues (the port's only adapter)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from connector import aws

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

BATCH_SIZE = 10
"""The most messages one SQS call takes."""


class MessageSender(Protocol):
    def send(self, queue_url: str, message: BaseModel, *, group_id: str | None = None,
             dedupe_id: str | None = None, delay_seconds: int = 0) -> str:
        """Enqueue ``message`` (a pydantic model, sent as JSON); returns the SQS message id."""


class SqsSender:
    def __init__(self, client: SQSClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> SQSClient:
        return self._client or aws.client("sqs")

    def send(self, queue_url: str, message: BaseModel, *, group_id: str | None = None,
             dedupe_id: str | None = None, delay_seconds: int = 0) -> str:
        client = self.client
        params: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": message.model_dump_json()}
        if group_id is not None:
            params["MessageGroupId"] = group_id
        if dedupe_id is not None:
            params["MessageDeduplicationId"] = dedupe_id
        if delay_seconds:
            params["DelaySeconds"] = delay_seconds
        return str(client.send_message(**params)["MessageId"])

    def send_batch(self, queue_url: str, messages: Sequence[BaseModel], *, delay_seconds: int = 0) -> None:
        """Enqueue many messages (standard queue), :data:`BATCH_SIZE` to a call. Raises when SQS
        refuses any of them (naming the refusal codes, not the messages)."""
        for start in range(0, len(messages), BATCH_SIZE):
            chunk = messages[start:start + BATCH_SIZE]
            answer = self.client.send_message_batch(QueueUrl=queue_url, Entries=[
                {"Id": str(i), "MessageBody": m.model_dump_json(), "DelaySeconds": delay_seconds}
                for i, m in enumerate(chunk)])
            if answer.get("Failed"):
                codes = sorted({str(f.get("Code")) for f in answer["Failed"]})
                raise RuntimeError(f"queue refused {len(answer['Failed'])} message(s): {', '.join(codes)}")


def decode(body: str) -> Any:
    return json.loads(body)
