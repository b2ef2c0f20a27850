"""Cached boto3 client factories. Nothing is built at import time (cold start matters), and
boto3 itself is imported only when a client is first needed.

``AWS_ENDPOINT_URL`` (honoured by boto3 itself) points every client at the local cloud.
"""

from __future__ import annotations

import functools
from typing import Any

from connector.runtime import environ


@functools.lru_cache(maxsize=32)
def _client(service: str, region: str | None, endpoint: str | None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)
    factory: Any = boto3.session.Session().client  # the stubs' overloads want literal service names
    return factory(service, region_name=region, endpoint_url=endpoint, config=config)


def client(service: str) -> Any:
    """A boto3 client for ``service`` in this function's region and endpoint."""
    env = environ()
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = env.get("AWS_ENDPOINT_URL") or None
    return _client(service, region, endpoint)


def clear_cache() -> None:
    _client.cache_clear()
