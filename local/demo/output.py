"""The demo's console output and pacing: a step's heading, its lines, a progress bar, waiting on
a condition with a deadline, and the report's figures and latencies."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


class DemoFailed(Exception):
    """A step did not do what it should: the demo stops with the step's name and this reason."""


_CURRENT = {"step": "start"}


def step(text: str) -> None:
    _CURRENT["step"] = text
    print(f"\n==> {text}", flush=True)


def current_step() -> str:
    return _CURRENT["step"]


def show(text: str) -> None:
    print(f"    {text}", flush=True)


def wait_for(probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.1) -> T:
    """``probe()`` once it is truthy; ``DemoFailed`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Progress:
    """A plain-text progress bar: redrawn in place on a terminal, a line per quarter otherwise."""

    WIDTH = 30

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stdout.isatty()
        self.shown = -1
        self.started = time.monotonic()

    def update(self, done: int, total: int) -> None:
        total = max(total, 1)
        share = min(1.0, done / total)
        filled = int(share * self.WIDTH)
        line = (
            f"    {self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} "
            f"{time.monotonic() - self.started:5.1f} s"
        )
        if self.tty:
            print("\r" + line, end="", flush=True)
        elif int(share * 4) > self.shown:
            self.shown = int(share * 4)
            print(line, flush=True)

    def close(self) -> None:
        if self.tty:
            print(flush=True)


@dataclass
class Report:
    """What the final report lists: figures in the order they were added, latencies by name."""

    figures: list[tuple[str, str]] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)

    def add(self, what: str, value: str) -> None:
        self.figures.append((what, value))

    def time(self, what: str, seconds: float) -> float:
        self.latencies.setdefault(what, []).append(seconds)
        return seconds


def clip(text: str | None, width: int) -> str:
    text = (text or "-").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "~"
