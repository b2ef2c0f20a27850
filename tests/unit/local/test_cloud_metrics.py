"""Concurrent invocations in the local cloud's one process share Powertools' metric set."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from local.cloud.functions import serialized_metrics

WRITERS = 3
COUNTS_EACH = 1500


def _flushed_total(text: str, name: str) -> int:
    total = 0
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        value = json.loads(line).get(name)
        if value is None:
            continue
        total += sum(value) if isinstance(value, list) else value
    return total


def test_counts_added_while_others_flush_are_all_flushed_once(capsys: pytest.CaptureFixture[str]) -> None:
    serialized_metrics()
    provider = AmazonCloudWatchEMFProvider(namespace="LocalCloudTest", service="metrics")
    errors: list[BaseException] = []
    done = threading.Event()

    def add() -> None:
        try:
            for _ in range(COUNTS_EACH):
                provider.add_metric(name="Added", unit=MetricUnit.Count, value=1)
        except BaseException as error:
            errors.append(error)

    def flush() -> None:
        try:
            while not done.is_set():
                provider.flush_metrics()
        except BaseException as error:
            errors.append(error)

    flusher = threading.Thread(target=flush)
    writers = [threading.Thread(target=add) for _ in range(WRITERS)]
    flusher.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    done.set()
    flusher.join()
    provider.flush_metrics()

    assert errors == []
    assert _flushed_total(capsys.readouterr().out, "Added") == WRITERS * COUNTS_EACH


def test_the_lock_is_put_on_once_however_many_clouds_start() -> None:
    serialized_metrics()
    serialized_metrics()
    method: Any = AmazonCloudWatchEMFProvider.add_metric
    assert hasattr(method, "__wrapped__")
    assert not hasattr(method.__wrapped__, "__wrapped__")
