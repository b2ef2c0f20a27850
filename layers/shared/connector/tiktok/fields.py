"""Field types of the TikTok edge, shared by the API models and the webhook models.

Kept apart from ``models`` so that a webhook receiver imports only what it needs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator


def _to_id(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("an id cannot be a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise ValueError("ids must not travel as floats (precision is lost)")
    return value


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _to_text(value: Any) -> Any:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(Decimal(str(value)))
    return value


Id = Annotated[str, BeforeValidator(_to_id)]
"""A TikTok id: always a string, coerced from a JSON integer if need be."""

Amount = Annotated[Decimal | None, BeforeValidator(_blank_to_none)]
"""An optional decimal amount; TikTok sends ``""`` for "not set"."""

Text = Annotated[str, BeforeValidator(_to_text)]
"""A string TikTok wants (e.g. a weight ``"0.5"``), accepted from numbers too."""
