"""Ecwid's two date forms, read into timezone-aware UTC datetimes (no heavy imports here)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal


def from_unix(value: object) -> datetime | None:
    """Ecwid dates: UNIX seconds (``updateTimestamp``) or ``"2019-06-21 11:44:01 +0000"``."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=UTC)
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), tz=UTC)
    for pattern in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, pattern).astimezone(UTC)
        except ValueError:
            continue
    return None
