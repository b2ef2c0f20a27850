"""The sandbox Ecwid's stores, access tokens and OAuth (codes, exchange, uninstall, profile)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from local.sandbox_ecwid.args import ApiError
from local.sandbox_ecwid.model import (
    CODE_LIFETIME,
    AuthCode,
    Store,
    TokenInfo,
)
from local.sandbox_ecwid.products import ProductState


class AccountState(ProductState):
    def create_store(
        self,
        *,
        name: str = "Sandbox Store",
        currency: str = "USD",
        weight_unit: str = "KILOGRAM",
        dimensions_unit: str = "CM",
        timezone: str = "UTC",
        store_id: int | None = None,
    ) -> int:
        with self.lock:
            sid = store_id if store_id is not None else next(self._store_ids)
            while sid in self.stores:
                sid = next(self._store_ids)
            store = Store(sid, name, currency, weight_unit, dimensions_unit, timezone)
            store.classes[0] = {"id": 0, "name": "General", "attributes": []}
            self._class_attributes(
                store, store.classes[0], [{"name": "UPC", "type": "UPC"}, {"name": "Brand", "type": "BRAND"}]
            )
            self.stores[sid] = store
            return sid

    def issue_token(self, store_id: int, scopes: Iterable[str] | None = None, *, notify: bool = False) -> str:
        with self.lock:
            store = self.store(store_id)
            granted = frozenset(scopes) if scopes is not None else frozenset(self.app_scopes)
            granted |= {"read_store_profile"}
            token = self._secret("secret_")
            self.tokens[token] = TokenInfo(token, store.id, granted)
            first = store.installed_scopes is None
            store.installed_scopes = granted | (store.installed_scopes or frozenset())
            if first and notify:
                self.notify(store, "application.installed", store.id)
            return token

    def authenticate(self, token: str | None, store_id: str) -> TokenInfo:
        with self.lock:
            info = self.tokens.get(token or "")
            if info is None or info.revoked:
                raise ApiError(403, "Invalid token", "INVALID_TOKEN")
            if str(info.store_id) != store_id:
                raise ApiError(403, "Token does not belong to this store", "INVALID_TOKEN")
            return info

    def new_code(self, store_id: int, redirect_uri: str, scopes: frozenset[str]) -> str:
        with self.lock:
            code = self._secret("")[:32]
            self.codes[code] = AuthCode(code, store_id, redirect_uri, scopes, time.monotonic() + CODE_LIFETIME)
            return code

    def exchange_code(self, form: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            if form.get("grant_type") != "authorization_code":
                raise ApiError(400, "grant_type must be authorization_code", "unsupported_grant_type")
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                raise ApiError(401, "Invalid client credentials", "invalid_client")
            grant = self.codes.get(form.get("code") or "")
            if grant is None or time.monotonic() > grant.expires_at:
                raise ApiError(400, "Invalid or expired code", "invalid_grant")
            if grant.used:
                # A second exchange of the same code disables the token the first one gave.
                if grant.token and grant.token in self.tokens:
                    self.tokens[grant.token].revoked = True
                raise ApiError(400, "Code already used", "invalid_grant")
            if form.get("redirect_uri") != grant.redirect_uri:
                raise ApiError(400, "redirect_uri does not match", "invalid_grant")
            grant.used = True
            grant.token = self.issue_token(grant.store_id, grant.scopes, notify=True)
            answer: dict[str, Any] = {
                "access_token": grant.token,
                "token_type": "bearer",
                "scope": " ".join(sorted(grant.scopes | {"read_store_profile"})),
                "store_id": grant.store_id,
            }
            if "public_storefront" in grant.scopes:
                answer["public_token"] = self._secret("public_")
            return answer

    def uninstall(self, store_id: int) -> None:
        with self.lock:
            store = self.store(store_id)
            self.notify(store, "application.uninstalled", store.id)
            for info in self.tokens.values():
                if info.store_id == store.id:
                    info.revoked = True
            store.installed_scopes = None

    def profile(self, store_id: int) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            return {
                "generalInfo": {"storeId": store.id, "storeUrl": f"{self.public_url}/store/{store.id}"},
                "account": {
                    "accountName": "Sandbox Merchant",
                    "accountEmail": f"merchant{store.id}@example.com",
                },
                "settings": {"closed": False, "storeName": store.name},
                "formatsAndUnits": {
                    "currency": store.currency,
                    "currencyPrecision": 2,
                    "weightUnit": store.weight_unit,
                    "dimensionsUnit": store.dimensions_unit,
                    "timezone": store.timezone,
                },
            }

    def authorize_redirect(self, redirect_uri: str, params: Mapping[str, str]) -> str:
        separator = "&" if "?" in redirect_uri else "?"
        return redirect_uri + separator + urlencode(params)
