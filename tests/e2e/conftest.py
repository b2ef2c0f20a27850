from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from local.cloud import LocalCloud
from local.world import World, world
from tests.support import console_browser as cb


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    log = tmp_path_factory.mktemp("logs") / "functions.log"
    with LocalCloud(parameters={"CanaryRetrySeconds": 1}, function_log=log) as running:
        yield running


@pytest.fixture(scope="module")
def connected_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Both sandboxes and a local cloud wired to them; function logs kept in a file."""
    folder = tmp_path_factory.mktemp("world")
    log = folder / "functions.jsonl"
    # Everything the standard library logs (the clients, the local cloud) is kept too, at INFO as
    # Lambda would, so the token scan reads every log line the run produced.
    python_log = logging.FileHandler(folder / "python.log", encoding="utf-8")
    python_log.setLevel(logging.INFO)
    root = logging.getLogger()
    saved_level = root.level
    root.setLevel(logging.INFO)
    root.addHandler(python_log)
    try:
        with world(function_log=log) as running:
            running.logs = [log, folder / "python.log"]  # type: ignore[attr-defined]
            yield running
    finally:
        root.removeHandler(python_log)
        root.setLevel(saved_level)
        python_log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for the console's browser tests, one per test file."""
    with cb.chromium() as running:
        yield running


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser context per test at 1280 px; the admin's outside scripts are stubbed."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.outside = cb.stub_ecwid(ctx)
    try:
        yield ctx
    finally:
        ctx.close()
