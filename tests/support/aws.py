"""Test helpers for AWS-shaped things: tables built from template.yaml, SigV4-signed requests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from local.cloud import template as tpl


def table_definition() -> dict[str, Any]:
    """The connector table's CreateTable parameters, read from template.yaml (keys and
    indexes cannot drift between the template and the tests)."""
    props = tpl.load()["Resources"]["ConnectorTable"]["Properties"]
    return {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "GlobalSecondaryIndexes": props["GlobalSecondaryIndexes"],
        "BillingMode": props["BillingMode"],
    }


def create_table(client: Any, name: str | None = None) -> str:
    name = name or f"connector-{uuid.uuid4().hex[:10]}"
    client.create_table(TableName=name, **table_definition())
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    ttl = tpl.load()["Resources"]["ConnectorTable"]["Properties"]["TimeToLiveSpecification"]
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": ttl["AttributeName"]})
    return name


def signed_request(method: str, url: str, *, body: bytes = b"", credentials: tuple[str, str] = ("testing", "testing"),
                   region: str = "us-east-1", headers: dict[str, str] | None = None) -> httpx.Response:
    """An IAM (SigV4, service execute-api) signed request, as an operator's tooling sends it."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    all_headers = dict(headers or {})
    if body and "content-type" not in {k.lower() for k in all_headers}:
        all_headers["content-type"] = "application/json"
    request = AWSRequest(method=method, url=url, data=body, headers=all_headers)
    SigV4Auth(Credentials(*credentials), "execute-api", region).add_auth(request)
    return httpx.request(method, url, content=body, headers=dict(request.headers.items()), timeout=30)
