"""Cached boto3 client factories. Nothing is built at import time (cold start matters), and
boto3 itself is imported only when a client is first needed.

``AWS_ENDPOINT_URL`` (honoured by boto3 itself) points every client at the local cloud.
Clients are typed with the ``mypy_boto3_*`` stubs (a development dependency, imported only while
type checking).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Literal, overload

from connector.runtime import environ

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient


@functools.lru_cache(maxsize=32)
def _client(service: str, region: str | None, endpoint: str | None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)
    factory: Any = boto3.session.Session().client  # the stubs' overloads want literal service names
    return factory(service, region_name=region, endpoint_url=endpoint, config=config)


@overload
def client(service: Literal["dynamodb"]) -> DynamoDBClient: ...
@overload
def client(service: Literal["sqs"]) -> SQSClient: ...
@overload
def client(service: Literal["stepfunctions"]) -> SFNClient: ...
@overload
def client(service: Literal["kms"]) -> KMSClient: ...
@overload
def client(service: Literal["sns"]) -> SNSClient: ...
@overload
def client(service: Literal["sesv2"]) -> SESV2Client: ...
@overload
def client(service: Literal["secretsmanager"]) -> SecretsManagerClient: ...
@overload
def client(service: Literal["cloudwatch"]) -> CloudWatchClient: ...
def client(service: str) -> Any:
    """A boto3 client for ``service`` in this function's region and endpoint."""
    env = environ()
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = env.get("AWS_ENDPOINT_URL") or None
    return _client(service, region, endpoint)


def clear_cache() -> None:
    _client.cache_clear()
