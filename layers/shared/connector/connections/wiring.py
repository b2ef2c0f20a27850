"""Builds the connection services for a handler from its environment and the app secret
(adapters: DynamoDB, KMS, SQS, the TikTok client, the store adapters). Handlers stay thin."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connector import appsecrets
from connector.appsecrets import AppCredentials
from connector.config import BaseEnv, load_env
from connector.connections import platforms
from connector.connections.lifecycle import Collaborators, Notifier
from connector.connections.oauth_state import OAuthStates
from connector.connections.repository import ConnectionRepository
from connector.connections.vault import TokenVault
from connector.queues import SqsSender

if TYPE_CHECKING:
    from connector.connections.platforms import StoreApp
    from connector.stores.protocol import StoreGrant
    from connector.tiktok.client import TikTokClient


@dataclass
class Wired:
    env: BaseEnv
    creds: AppCredentials
    c: Collaborators
    sender: SqsSender

    def states(self) -> OAuthStates:
        return OAuthStates(self.env.table_name, self.creds.state_signing_key)


@functools.lru_cache(maxsize=8)
def _tiktok(app_key: str, app_secret: str, api_base: str, auth_base: str, authorize_url: str,
            rate_per_second: float) -> TikTokClient:
    """One client (HTTP pool, limiter) per app and endpoints, reused across invocations."""
    from connector.tiktok.client import TikTokClient

    return TikTokClient(app_key, app_secret, api_base=api_base, auth_base=auth_base, authorize_url=authorize_url,
                        rate_per_second=rate_per_second)


def wire() -> Wired:
    from connector.stores import open_store

    env = load_env(BaseEnv)
    creds = appsecrets.load(env.app_secret_name)
    sender = SqsSender()
    c = Collaborators(
        repo=ConnectionRepository(env.table_name), vault=TokenVault(env.tokens_key_id),
        tiktok=_tiktok(creds.tiktok_app_key, creds.tiktok_app_secret, env.tiktok_api_base, env.tiktok_auth_base,
                       env.tiktok_authorize_url, env.tiktok_rate_per_second),
        open_store=open_store, notifier=Notifier(sender, env.tasks_queue_url),
        store_refresher=functools.partial(_refresh_store_token, creds))
    return Wired(env, creds, c, sender)


def store_app(w: Wired, platform: str) -> StoreApp:
    """The store platform's app (its OAuth, webhooks, token refresh) with this stack's credentials."""
    return platforms.app(platform, w.creds)


def _refresh_store_token(creds: AppCredentials, platform: str, store_id: str, refresh_token: str) -> StoreGrant:
    return platforms.app(platform, creds).refresh(store_id, refresh_token)
