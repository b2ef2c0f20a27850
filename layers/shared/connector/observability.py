"""Logger, Tracer and Metrics, created once per process and lazily (cold start matters).

Rules: never log whole events; log the ids you picked out. Tracer never captures responses
(tokens and buyer data must not reach traces). Metrics are CloudWatch EMF.
"""

from __future__ import annotations

import functools
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
