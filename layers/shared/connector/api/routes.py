"""The merchant API's route catalogue for its OpenAPI document: each route's summary and the
models of its query, body and answer, by name (imported only when the document is built, so the
handler's cold start does not define them). Routes add themselves here; :mod:`connector.api.openapi`
reads the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class RouteSpec:
    """A route as the OpenAPI document describes it. Models are named (classes of
    :mod:`connector.api.views`, or ``ConnectionSettings``) and imported only when the document is
    built: the handler's cold start does not define them."""

    method: str
    path: str
    """Powertools form (``/connections/<connection_id>/tasks``)."""
    summary: str
    response: str | None
    """``None``: not a JSON model (the OpenAPI document itself)."""
    query: str | None = None
    body: str | None = None
    tag: str = "operations"
    authenticated: bool = True


def model(name: str) -> type[BaseModel]:
    """The model class a :class:`RouteSpec` names: ``"module:Class"``, or a class of
    :mod:`connector.api.views`, or ``ConnectionSettings``."""
    if ":" in name:
        import importlib

        module, _, attribute = name.partition(":")
        named: type[BaseModel] = getattr(importlib.import_module(module), attribute)
        return named
    if name == "ConnectionSettings":
        from connector.settings import ConnectionSettings

        return ConnectionSettings
    from connector.api import views

    found: type[BaseModel] = getattr(views, name)
    return found


ROUTES: list[RouteSpec] = []


def describe(method: str, path: str, *, summary: str, response: str | None = None, query: str | None = None,
             body: str | None = None, tag: str, authenticated: bool = True) -> None:
    """Describe another feature's route in the OpenAPI document (its models as ``"module:Class"``,
    imported only when the document is built). Undescribed routes are listed with their
    docstring's first paragraph and path parameters."""
    ROUTES.append(RouteSpec(method.upper(), path, summary, response, query, body, tag, authenticated))
