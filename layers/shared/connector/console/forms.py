"""The settings form: one field per setting of :class:`~connector.settings.ConnectionSettings`,
named ``section.field``; what the form sends back turned into the merchant API's settings
changes, and pydantic's refusals into a message per field."""

from __future__ import annotations

import types
import typing
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

LABELS = {
    "package": "Default package", "sync_rules": "What the store decides on TikTok", "price": "Price rules",
    "stock": "Stock", "catalog": "Catalog", "orders": "Orders", "carriers": "Carriers",
    "notifications": "Notifications",
}
FIELD_LABELS = {
    "carriers.default_provider_id": "Default TikTok shipping provider id",
    "carriers.by_carrier": "Carrier mapping: one 'store carrier = TikTok shipping provider id' a line",
    "catalog.identifier_source": "Store field for the identifier code (barcode, SKU or none)",
    "catalog.identifier_priority": "Identifier kinds, preferred first (comma-separated: GTIN, UPC, EAN, ISBN)",
    "stock.warehouses": "Store locations to TikTok warehouses: one 'store location id = TikTok warehouse id' a line",
}
PAIR_WORDS = {
    # field -> (what a line's name is, what its value is, longest name, longest value)
    "carriers.by_carrier": ("store carrier", "TikTok shipping provider id", 100, 64),
    "stock.warehouses": ("store location id", "TikTok warehouse id", 64, 64),
}


def _kind(annotation: Any) -> tuple[str, list[str], bool]:
    """(input kind, choices, optional) of a field annotation: ``list`` for an ordered list of
    choices (typed comma-separated), ``pairs`` for a map of names (one ``name = value`` a line),
    ``none`` for fields the form does not edit (the merchant API sets those)."""
    optional = False
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is tuple and args and typing.get_origin(args[0]) is typing.Literal:
        return "list", [str(a) for a in typing.get_args(args[0])], False
    if origin in (dict, Mapping) and args == (str, str):
        return "pairs", [], False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        optional = type(None) in args
        annotation = next(a for a in args if a is not type(None))
    if typing.get_origin(annotation) is typing.Literal:
        return "select", [str(a) for a in typing.get_args(annotation)], optional
    if annotation is bool:
        return "checkbox", [], optional
    if annotation in (int, Decimal, str):
        return "number" if annotation in (int, Decimal) else "text", [], optional
    return "none", [], optional


def settings_form(settings: BaseModel, submitted: dict[str, Any],
                  hidden: Collection[str] = ()) -> list[dict[str, Any]]:
    """``hidden``: fields this connection has no use for (``section.field``)."""
    sections = []
    for section_name in type(settings).model_fields:
        section = getattr(settings, section_name)
        fields = []
        for name, info in type(section).model_fields.items():
            kind, choices, optional = _kind(info.annotation)
            key = f"{section_name}.{name}"
            if kind == "none" or key in hidden:
                continue
            value = submitted.get(key, _shown(kind, getattr(section, name)))
            fields.append({"key": key, "label": FIELD_LABELS.get(key, name.replace("_", " ").capitalize()),
                           "kind": kind,
                           "choices": choices, "optional": optional,
                           "value": "" if value is None else value, "help": info.description or ""})
        sections.append({"name": section_name, "label": LABELS.get(section_name, section_name), "fields": fields})
    return sections


def _shown(kind: str, value: Any) -> Any:
    """A list or a map as the form shows it (the same text :func:`settings_changes` reads)."""
    if kind == "list":
        return ", ".join(str(v) for v in value)
    if kind == "pairs":
        return "\n".join(f"{k} = {v}" for k, v in sorted(value.items()))
    return value


def _pairs(text: str, key: str) -> dict[str, str] | str:
    """``name = value`` lines -> a map, or the message saying which line is wrong."""
    what, value_is, longest_name, longest_value = PAIR_WORDS.get(key, ("name", "value", 100, 64))
    pairs: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            return f"line {number}: write it as '{what} = {value_is}'"
        if len(name) > longest_name or len(value) > longest_value or any(ch.isspace() for ch in value):
            return (f"line {number}: a {what} has at most {longest_name} characters, "
                    f"a {value_is} at most {longest_value} and no spaces")
        if name.lower() in {k.lower() for k in pairs}:
            return f"line {number}: {name[:40]!r} is mapped twice"
        pairs[name] = value
    return pairs


def settings_changes(submitted: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """``{"stock.reserve_fixed": "2"}`` -> ``{"stock": {"reserve_fixed": "2"}}`` (an empty text is
    "not set" for optional fields); unknown names come back as errors."""
    from connector.settings import ConnectionSettings

    changes: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    for key, given in submitted.items():
        section, _, name = key.partition(".")
        model = ConnectionSettings.model_fields.get(section)
        info = model.annotation.model_fields.get(name) if model is not None and model.annotation else None
        if info is None or not isinstance(given, (str, bool)):
            errors[key[:80]] = "not a setting this form knows"
            continue
        kind, _, optional = _kind(info.annotation)
        if kind in ("list", "pairs") and not isinstance(given, str):
            errors[key[:80]] = "not a value this form sends"
            continue
        if kind == "none":
            errors[key[:80]] = "set through the merchant API"
            continue
        value: Any = given.strip() if isinstance(given, str) else given
        if kind == "list" and isinstance(value, str):
            value = [part.strip().upper() for part in value.split(",") if part.strip()]
        elif kind == "pairs" and isinstance(value, str):
            value = _pairs(value, key)
            if isinstance(value, str):
                errors[key] = value
                continue
        elif value == "" and optional:
            value = None
        changes.setdefault(section, {})[name] = value
    return changes, errors


def field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        parts = [str(p) for p in err["loc"] if not str(p).startswith(("function-", "constrained-"))]
        key = ".".join(parts[:2]) or "form"
        message = str(err["msg"]).removeprefix("Value error, ")
        errors.setdefault(key, message)
    return errors
