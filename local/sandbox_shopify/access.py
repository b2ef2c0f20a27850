"""What a resolver sees of a request (the shop, the token's scopes, the API version) and the
scope check Shopify makes on each field."""

from __future__ import annotations

from typing import Any

from local.sandbox_shopify.graphql import Context, QueryError
from local.sandbox_shopify.state import SandboxState, Shop

IDEMPOTENCY_REQUIRED_FROM = "2026-04"
"""The first version in which the inventory mutations must carry ``@idempotent(key:)``."""


class Request:
    """What a resolver sees of the request: the shop, the token's scopes, the API version, and the
    sandbox's state and public address."""

    def __init__(self, shop: Shop, scopes: tuple[str, ...], *, sandbox: SandboxState | None = None,
                 base_url: str = "", version: str = "2026-07") -> None:
        self.shop = shop
        self.scopes = scopes
        self.sandbox = sandbox
        self.base_url = base_url
        self.version = version

    @property
    def state(self) -> SandboxState:
        assert self.sandbox is not None
        return self.sandbox


def need(context: Context, scope: str, field_name: str) -> Request:
    """The request, if the token holds ``scope`` (a ``write_`` scope implies its ``read_`` one)."""
    request: Request = context.state
    implied = {scope, scope.replace("read_", "write_")}
    if not implied & set(request.scopes):
        raise QueryError(
            f"Access denied for {field_name} field. Required access: `{scope}` access scope.",
            code="ACCESS_DENIED", path=[field_name], requiredAccess=f"`{scope}` access scope.",
            documentation="https://shopify.dev/api/usage/access-scopes")
    return request


def user_error(field: list[Any] | None, message: str, code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"field": field, "message": message}
    if code is not None:
        error["code"] = code
    return error
