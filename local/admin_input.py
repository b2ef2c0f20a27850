"""Checks for the sandboxes' admin API input: each helper reads one field of a JSON body and
raises :class:`AdminInputError` naming the field when its value is missing or of the wrong kind,
so the admin API answers 400 with a plain reason instead of failing later inside a fault."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

_MISSING = object()


class AdminInputError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def whole(body: dict[str, Any], name: str, default: Any = _MISSING, *, low: int = 0, high: int | None = None) -> Any:
    """A whole number in [low, high] (a fractional or non-numeric value is refused)."""
    value = body.get(name, default)
    if value is _MISSING:
        raise AdminInputError(name, "is required")
    if value is None and default is None:
        return None
    if not _number(value) or value != int(value):
        raise AdminInputError(name, "must be a whole number")
    number = int(value)
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise AdminInputError(name, f"must be {bound}")
    return number


def seconds(body: dict[str, Any], name: str, default: Any = _MISSING) -> Any:
    """A non-negative number of seconds, fractions allowed; returned as a float."""
    value = body.get(name, default)
    if value is _MISSING:
        raise AdminInputError(name, "is required")
    if value is None and default is None:
        return None
    if not _number(value) or not 0 <= float(value) <= 10**9:
        raise AdminInputError(name, "must be a number of seconds, 0 or more")
    return float(value)


def flag(body: dict[str, Any], name: str, default: bool = False) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise AdminInputError(name, "must be true or false")
    return value


def text(body: dict[str, Any], name: str, default: str | None = None, *, choices: tuple[str, ...] = ()) -> str | None:
    value = body.get(name, default)
    if value is None and default is None:
        return None
    if not isinstance(value, str) or (choices and value not in choices):
        expected = "one of " + ", ".join(choices) if choices else "a string"
        raise AdminInputError(name, f"must be {expected}")
    return value


def pattern(body: dict[str, Any], name: str) -> str | None:
    value = text(body, name)
    if value is not None:
        try:
            re.compile(value)
        except re.error:
            raise AdminInputError(name, "must be a valid regular expression") from None
    return value


def only(body: Any, allowed: set[str] | dict[str, Any]) -> dict[str, Any]:
    """The body as an object whose every key is one of ``allowed``."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise AdminInputError("body", "must be a JSON object")
    for key in body:
        if key not in allowed:
            raise AdminInputError(key, "is not a known field")
    return body
