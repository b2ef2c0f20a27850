"""Tests wait on a condition with a deadline, never a bare sleep: :func:`local.wait.until`, shared
with the scenario builders under ``local/``."""

from __future__ import annotations

from local.wait import until

__all__ = ["until"]
