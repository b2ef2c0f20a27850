"""The settings form: one field per setting of :class:`~connector.settings.ConnectionSettings`,
named ``section.field``; what the form sends back turned into the merchant API's settings
changes, and pydantic's refusals into a message per field."""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

LABELS = {
    "package": "Default package", "sync_rules": "What the store decides on TikTok", "price": "Price rules",
    "stock": "Stock", "catalog": "Catalog", "orders": "Orders", "carriers": "Carriers",
    "notifications": "Notifications",
}


def _kind(annotation: Any) -> tuple[str, list[str], bool]:
    """(input kind, choices, optional) of a field annotation; kind ``None`` for fields the form
    does not edit (lists and maps: the merchant API sets those)."""
    optional = False
    args = typing.get_args(annotation)
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


def settings_form(settings: BaseModel, submitted: dict[str, Any]) -> list[dict[str, Any]]:
    sections = []
    for section_name in type(settings).model_fields:
        section = getattr(settings, section_name)
        fields = []
        for name, info in type(section).model_fields.items():
            kind, choices, optional = _kind(info.annotation)
            if kind == "none":
                continue
            key = f"{section_name}.{name}"
            value = submitted.get(key, getattr(section, name))
            fields.append({"key": key, "label": name.replace("_", " ").capitalize(), "kind": kind,
                           "choices": choices, "optional": optional,
                           "value": "" if value is None else value, "help": info.description or ""})
        sections.append({"name": section_name, "label": LABELS.get(section_name, section_name), "fields": fields})
    return sections


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
        if kind == "none":
            errors[key[:80]] = "set through the merchant API"
            continue
        value: str | bool | None = given.strip() if isinstance(given, str) else given
        if value == "" and optional:
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
