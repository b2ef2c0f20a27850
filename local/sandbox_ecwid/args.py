"""Ecwid-style errors and the reading of request values: numbers, dates, flags, pages."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from local.sandbox_ecwid.model import MAX_LIMIT


class ApiError(Exception):
    """Becomes an Ecwid-style error answer: ``{"errorMessage", "errorCode"}``."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def ecwid_date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


def decimal_value(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ApiError(400, f"{what} must be a number", "INVALID_VALUE")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ApiError(400, f"{what} must be a number", "INVALID_VALUE") from None


def int_value(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ApiError(400, f"{what} must be an integer", "INVALID_VALUE")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ApiError(400, f"{what} must be an integer", "INVALID_VALUE") from None
    if number != number.to_integral_value():
        raise ApiError(400, f"{what} must be an integer", "INVALID_VALUE")
    return int(number)


#: The date-time forms Ecwid's search filters take besides UNIX time (Ecwid's REST API docs:
#: "Supported formats: UNIX timestamp, date/time", e.g. ``2023-01-15 19:27:50``), tried in order.
#: A form without an offset is read as UTC (UNCONFIRMED: Ecwid does not say which zone).
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


def time_arg(value: str, name: str) -> int:
    """A search filter's date: UNIX seconds or one of Ecwid's date-time forms; else a 400."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    for form in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, form)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp())
    raise ApiError(
        400,
        f"{name} must be a UNIX timestamp or a date such as 2023-01-15 19:27:50, "
        "2023-01-15 19:27:50 +0000 or 2023-01-15",
        "INVALID_VALUE",
    )


def int_arg(value: str | None, name: str, default: int | None = None) -> int | None:
    """A whole-number query parameter; a malformed one is a 400 naming the parameter."""
    if value is None or value.strip() == "":
        return default
    text = value.strip()
    if not text.lstrip("-").isdigit():
        raise ApiError(400, f"{name} must be a whole number", "INVALID_VALUE")
    return int(text)


def bool_arg(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.lower() in ("true", "1", "yes")


def page(items: list[Any], offset: int, limit: int) -> dict[str, Any]:
    limit = max(0, min(limit, MAX_LIMIT))
    chunk = items[offset : offset + limit]
    return {"total": len(items), "count": len(chunk), "offset": offset, "limit": limit, "items": chunk}
