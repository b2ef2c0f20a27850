"""Builds the connection services for a handler from its environment and the app secret
(adapters: DynamoDB, KMS, SQS, the TikTok client, the store adapters). Handlers stay thin."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connector import appsecrets
from connector.appsecrets import AppCredentials
from connector.config import BaseEnv, load_env
from connector.connections.lifecycle import Collaborators, Notifier
from connector.connections.oauth_state import OAuthStates
from connector.connections.repository import ConnectionRepository
from connector.connections.vault import TokenVault
from connector.queues import SqsSender

if TYPE_CHECKING:
    from connector.stores.ecwid.oauth import EcwidOAuth
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
        open_store=open_store, notifier=Notifier(sender, env.tasks_queue_url))
    return Wired(env, creds, c, sender)


def store_oauth(w: Wired) -> EcwidOAuth:
    from connector.stores.ecwid import config

    return _store_oauth(w.creds.ecwid_client_id, w.creds.ecwid_client_secret, config.oauth_base())


@functools.lru_cache(maxsize=8)
def _store_oauth(client_id: str, client_secret: str, oauth_base: str) -> EcwidOAuth:
    """One client (its HTTP pool and TLS context, ~0.1 s to build) per app and endpoint, reused
    across invocations: an anonymous callback does not pay for a new one each time."""
    from connector.stores.ecwid.oauth import EcwidOAuth

    return EcwidOAuth(client_id, client_secret, oauth_base=oauth_base)
