"""Search filters: the body of TikTok's ``.../search`` calls, as models.

Orders, packages, cancellations and returns share one time window, :class:`TimeWindow`:
``*_ge`` is inclusive and ``*_lt`` exclusive, in Unix seconds (TikTok's fields of the same
names). Product search is the exception: TikTok's window there is ``*_ge`` / ``*_le``, both
inclusive, so :class:`ProductFilter` carries those fields itself.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class SearchFilter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    def wire(self) -> dict[str, Any]:
        """The request body: the fields that are set; lists as JSON arrays, empty ones left out."""
        body: dict[str, Any] = {}
        for name, value in self:
            if value is None or value == ():
                continue
            body[name] = list(value) if isinstance(value, tuple) else value
        return body


class TimeWindow(SearchFilter):
    """``[create_time_ge, create_time_lt)`` and ``[update_time_ge, update_time_lt)``, Unix seconds."""

    create_time_ge: int | None = None
    create_time_lt: int | None = None
    update_time_ge: int | None = None
    update_time_lt: int | None = None


class OrderFilter(TimeWindow):
    order_status: str | None = None
    shipping_type: str | None = None


class PackageFilter(TimeWindow):
    package_status: str | None = None


class CancellationFilter(TimeWindow):
    order_ids: tuple[str, ...] = ()
    cancel_ids: tuple[str, ...] = ()
    cancel_status: tuple[str, ...] = ()
    cancel_types: tuple[str, ...] = ()


class ReturnFilter(TimeWindow):
    order_ids: tuple[str, ...] = ()
    return_ids: tuple[str, ...] = ()
    return_status: tuple[str, ...] = ()


class ProductFilter(SearchFilter):
    """Product search; its time bounds are both inclusive (``*_ge`` / ``*_le``)."""

    status: str | None = None
    seller_skus: tuple[str, ...] = ()
    create_time_ge: int | None = None
    create_time_le: int | None = None
    update_time_ge: int | None = None
    update_time_le: int | None = None
