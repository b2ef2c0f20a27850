"""Pydantic models of each function's environment, validated on first use so a bad deploy fails
on the first call with a clear message naming the variable (never with a KeyError deep inside)."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connector.errors import ConfigurationError
from connector.runtime import environ


class BaseEnv(BaseModel):
    """Variables every function gets from the template's Globals."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    table_name: str = Field(alias="TABLE_NAME", min_length=3)
    app_secret_name: str = Field(alias="APP_SECRET_NAME", min_length=1)
    tokens_key_id: str = Field(alias="TOKENS_KEY_ID", min_length=1)
    tasks_queue_url: str = Field(alias="TASKS_QUEUE_URL", min_length=1)
    store_events_queue_url: str = Field(alias="STORE_EVENTS_QUEUE_URL", min_length=1)
    tiktok_events_queue_url: str = Field(alias="TIKTOK_EVENTS_QUEUE_URL", min_length=1)
    tiktok_api_base: str = Field(alias="TIKTOK_API_BASE", min_length=1)
    tiktok_auth_base: str = Field(alias="TIKTOK_AUTH_BASE", min_length=1)
    tiktok_authorize_url: str = Field(alias="TIKTOK_AUTHORIZE_URL", min_length=1)
    #: calls per second on each TikTok API per shop (the template's TikTokRatePerSecond)
    tiktok_rate_per_second: float = Field(alias="TIKTOK_RATE_PER_SECOND", default=50.0, gt=0, le=1000)
    ecwid_api_base: str = Field(alias="ECWID_API_BASE", min_length=1)
    ecwid_oauth_base: str = Field(alias="ECWID_OAUTH_BASE", min_length=1)
    public_base_url: str = Field(alias="PUBLIC_BASE_URL", default="")
    #: a store product is re-read for its listing at most once per this many seconds (the template's
    #: CatalogRefreshSeconds; 0: on every change)
    catalog_refresh_seconds: int = Field(alias="CATALOG_REFRESH_SECONDS", default=30, ge=0, le=900)


class TaskWorkerEnv(BaseEnv):
    canary_state_machine_arn: str = Field(alias="CANARY_STATE_MACHINE_ARN", min_length=1)


class StockEnv(BaseEnv):
    """Functions that enqueue on (or consume) the stock queue (stock sync and the
    update stock / update price actions)."""

    stock_queue_url: str = Field(alias="STOCK_QUEUE_URL", min_length=1)
    #: the read-back of a product after a TikTok call whose answer never came (the template's StockRecheckSeconds)
    stock_recheck_seconds: int = Field(alias="STOCK_RECHECK_SECONDS", default=60, ge=1, le=900)


EnvT = TypeVar("EnvT", bound=BaseModel)


def load_env(model: type[EnvT]) -> EnvT:
    """Validate this function's environment against ``model``.

    Raises :class:`ConfigurationError` naming every missing or malformed variable (values are
    never echoed: some are secrets' names or URLs an operator may not want in a log).
    """
    try:
        return model.model_validate(dict(environ()))
    except ValidationError as exc:
        problems = sorted({f"{'.'.join(str(p) for p in err['loc'])} ({err['type']})" for err in exc.errors()})
        raise ConfigurationError(
            "function environment is invalid: " + ", ".join(problems), reason="bad_environment"
        ) from None
