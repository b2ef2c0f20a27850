"""Logger, Tracer and Metrics, created once per process and lazily (cold start matters).

Rules: never log whole events; log the ids you picked out. Tracer never captures responses
(tokens and buyer data must not reach traces). Metrics are CloudWatch EMF.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "tiktok-shop-connector"
NAMESPACE = "TikTokShopConnector"


@functools.cache
def logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE, log_uncaught_exceptions=False)


@functools.cache
def tracer() -> Tracer:
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


@functools.cache
def metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service=SERVICE)


@contextlib.contextmanager
def log_context(**keys: str | None) -> Iterator[None]:
    """Add ``keys`` (a correlation id, the ids being worked on) to every log line of this
    thread for the block. Thread-local, because the local cloud runs concurrent invocations
    in one process; on AWS it is simply per invocation."""
    present = {k: v for k, v in keys.items() if v is not None}
    log = logger()
    log.thread_safe_append_keys(**present)
    try:
        yield
    finally:
        log.thread_safe_remove_keys(list(present))


def count(name: str, value: int = 1) -> None:
    """Add to a CloudWatch count metric (EMF, flushed by the handler's ``log_metrics``).
    The reason lives in the metric name, not a dimension: dimensions stick to the whole flush."""
    from aws_lambda_powertools.metrics import MetricUnit

    metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)
