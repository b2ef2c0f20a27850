"""A scripted TikTok behind ``httpx.MockTransport`` (unit tests open no sockets)."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from connector.tiktok.client import RetryPolicy, ShopRef, TikTokClient
from connector.tiktok.signing import sign_request

APP_KEY = "unit-app-key"
APP_SECRET = "unit-app-secret-0123456789"
TOKEN = "TTP_unit_access_token_abcdef"
SHOP = ShopRef(id="7494049642642441621", cipher="GCP_unit_cipher")
NOW = 1_735_689_600.0


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    sign_ok: bool


Responder = Callable[[Seen], httpx.Response]


def ok(data: Any = None, request_id: str = "req-ok") -> httpx.Response:
    return httpx.Response(200, json={"code": 0, "message": "Success", "request_id": request_id, "data": data or {}})


def fail(
    code: int, message: str = "failed", status: int = 200, request_id: str = "req-fail", **headers: str
) -> httpx.Response:
    body = {"code": code, "message": message, "request_id": request_id, "data": None}
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class FakeTikTok:
    """Answers each request with the next scripted responder for its path (or ``default``)."""

    scripts: dict[str, deque[Responder | httpx.Response]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    default: Responder = field(default=lambda seen: ok())

    def script(self, path: str, *answers: Responder | httpx.Response) -> None:
        self.scripts.setdefault(path, deque()).extend(answers)

    def handler(self, request: httpx.Request) -> httpx.Response:
        split = urlsplit(str(request.url))
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        body = request.read()
        multipart = request.headers.get("content-type", "").startswith("multipart/")
        expected = sign_request(APP_SECRET, split.path, query, body, multipart=multipart)
        seen = Seen(
            method=request.method,
            path=split.path,
            query=query,
            headers=dict(request.headers),
            body=body,
            sign_ok=query.get("sign") == expected,
        )
        self.seen.append(seen)
        queue = self.scripts.get(split.path)
        answer: Responder | httpx.Response = queue.popleft() if queue else self.default
        if isinstance(answer, httpx.Response):
            return answer
        return answer(seen)

    def calls(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]


class RecordingLimiter:
    def __init__(self) -> None:
        self.acquired: list[tuple[str, float]] = []
        self.paused: list[tuple[str, float]] = []

    def acquire(self, key: str, rate_per_second: float) -> None:
        self.acquired.append((key, rate_per_second))

    def pause(self, key: str, seconds: float) -> None:
        self.paused.append((key, seconds))


class FakeTokens:
    def __init__(self, token: str = TOKEN, fresh: str = "TTP_fresh_token_zyxwvu") -> None:
        self.token = token
        self.fresh = fresh
        self.refreshes: list[str] = []

    def access_token(self) -> str:
        return self.token

    def refresh(self, expired_token: str) -> str:
        self.refreshes.append(expired_token)
        self.token = self.fresh
        return self.token


@dataclass
class Harness:
    fake: FakeTikTok
    limiter: RecordingLimiter
    tokens: FakeTokens
    sleeps: list[float]
    client: TikTokClient


@pytest.fixture
def harness() -> Harness:
    fake = FakeTikTok()
    limiter = RecordingLimiter()
    tokens = FakeTokens()
    sleeps: list[float] = []
    client = TikTokClient(
        APP_KEY,
        APP_SECRET,
        api_base="https://api.test",
        auth_base="https://auth.test",
        authorize_url="https://services.test/open/authorize?service_id=42",
        http=httpx.Client(transport=httpx.MockTransport(fake.handler)),
        limiter=limiter,
        tokens=tokens,
        clock=lambda: NOW,
        sleep=sleeps.append,
        rnd=lambda: 0.5,
        retry=RetryPolicy(max_attempts=4, base_delay_s=0.1, max_delay_s=2.0),
    )
    return Harness(fake, limiter, tokens, sleeps, client)


def json_body(seen: Seen) -> Any:
    return json.loads(seen.body) if seen.body else None
