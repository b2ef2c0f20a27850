"""The merchant's side of the connector as the demo drives it: the merchant API with the
merchant's bearer token, and an operator's signed call to the ops routes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from local.demo.output import DemoFailed, Progress


def signed(method: str, url: str) -> httpx.Response:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from local.cloud.cloud import LOCAL_CREDENTIALS

    request = AWSRequest(method=method, url=url)
    SigV4Auth(Credentials(*LOCAL_CREDENTIALS), "execute-api", "us-east-1").add_auth(request)
    return httpx.request(method, url, headers=dict(request.headers.items()), timeout=30)


def expect(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    if response.status_code != status:
        raise DemoFailed(f"{what}: expected HTTP {status}, got {response.status_code}: {response.text[:300]}")
    body: dict[str, Any] = response.json() if response.content else {}
    return body


@dataclass
class Merchant:
    """The merchant's side of the merchant API (their bearer token, their connection)."""

    url: str
    connection_id: str
    token: str = field(repr=False)

    def call(self, method: str, path: str, status: int, what: str, **kwargs: Any) -> dict[str, Any]:
        response = httpx.request(
            method,
            f"{self.url}/connections/{self.connection_id}{path}",
            headers={"authorization": f"Bearer {self.token}"},
            timeout=30,
            **kwargs,
        )
        return expect(response, status, what)

    def products(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 200, **({"page_token": token} if token else {})}
            page = self.call("GET", "/products", 200, "listing products", params=params)
            found += page["products"]
            token = page.get("next_page_token")
            if not token:
                return found

    def product(self, product_id: str) -> dict[str, Any]:
        return self.call("GET", f"/products/{product_id}", 200, f"reading product {product_id}")

    def order(self, order_id: str) -> dict[str, Any] | None:
        response = httpx.get(
            f"{self.url}/connections/{self.connection_id}/orders/{order_id}",
            headers={"authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        return None if response.status_code == 404 else expect(response, 200, f"reading order {order_id}")

    def task(self, task_id: str) -> dict[str, Any]:
        return self.call("GET", f"/tasks/{task_id}", 200, f"reading task {task_id}")["task"]  # type: ignore[no-any-return]

    def follow(self, task_id: str, label: str, timeout: float = 240) -> dict[str, Any]:
        """Follow a task to its end with a progress bar; its record once completed."""
        bar = Progress(label)
        deadline = time.monotonic() + timeout
        try:
            while True:
                task = self.task(task_id)
                bar.update(int(task["counts"].get("done", 0)), int(task.get("total") or 0))
                if task["state"] == "completed":
                    bar.update(int(task.get("total") or 0), int(task.get("total") or 0))
                    return task
                if task["state"] == "error":
                    raise DemoFailed(f"task {task['kind']} ended in error: {task.get('error')}")
                if time.monotonic() > deadline:
                    raise DemoFailed(f"task {task['kind']} still {task['state']} after {timeout:.0f} s")
                time.sleep(0.3)
        finally:
            bar.close()

def console_link(merchant: Merchant) -> str:
    """A sign-in link to the merchant console (the merchant API hands it out as a redirect)."""
    answer = httpx.get(
        f"{merchant.url}/connections/{merchant.connection_id}/console",
        headers={"authorization": f"Bearer {merchant.token}"},
        timeout=30,
    )
    if answer.status_code != 302:
        raise DemoFailed(f"no console sign-in link: {answer.status_code} {answer.text[:200]}")
    return str(answer.headers["location"])
