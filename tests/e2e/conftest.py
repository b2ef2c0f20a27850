from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.cloud import LocalCloud


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(parameters={"CanaryRetrySeconds": 1}) as running:
        yield running
