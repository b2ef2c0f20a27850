from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.cloud import LocalCloud


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    log = tmp_path_factory.mktemp("logs") / "functions.log"
    with LocalCloud(parameters={"CanaryRetrySeconds": 1}, function_log=log) as running:
        yield running
