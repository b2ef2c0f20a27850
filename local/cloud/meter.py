"""Counting what a run on the local cloud would be billed for on AWS.

A WSGI middleware in front of moto's server counts every AWS API request by service and action
(SQS sends and receives, the pollers' receives included, DynamoDB, KMS, Secrets Manager, Step
Functions...) and estimates DynamoDB request units the way on-demand billing counts them:
writes 1 unit per started KB of the item written (transactions twice), reads 1 unit per
started 4 KB returned (half for eventually consistent reads, twice in transactions). Lambda
invocations and billed milliseconds come from the function host, gateway requests from the
gateway, state transitions from the executions' histories. ``bench.cost`` prices the usage.
"""

from __future__ import annotations

import io
import json
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: The SigV4 credential scope of a signed request; group 1 is the service.
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")

#: An SQS receive that found nothing: the pollers' idle cost, fixed per queue and not per unit of
#: work (Lambda's pollers wait up to 20 s per receive, the local ones 1 s), priced apart.
EMPTY_RECEIVE = "ReceiveMessage(empty)"

_DDB_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
_DDB_READS = {"GetItem", "Query", "Scan"}


@dataclass
class Meter:
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    dynamodb_read_units: float = 0.0
    dynamodb_write_units: float = 0.0
    counting: bool = False
    """Off until the first :meth:`reset`: a run that prices nothing spends no CPU on counting
    (reading every DynamoDB body for its units cost the emulator a tenth of its time)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        """Count from now on, from zero."""
        with self._lock:
            self.counting = True
            self.requests.clear()
            self.dynamodb_read_units = 0.0
            self.dynamodb_write_units = 0.0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            by_service: Counter[str] = Counter()
            for (service, _action), n in self.requests.items():
                by_service[service] += n
            return {
                "requests_by_service": dict(sorted(by_service.items())),
                "requests_by_action": {f"{s}:{a}": n for (s, a), n in sorted(self.requests.items())},
                "dynamodb_read_units": round(self.dynamodb_read_units, 1),
                "dynamodb_write_units": round(self.dynamodb_write_units, 1),
            }

    def record(self, service: str, action: str, request_body: bytes, response_body: bytes) -> None:
        read_units = write_units = 0.0
        if service == "dynamodb":
            read_units, write_units = dynamodb_units(action, request_body, response_body)
        with self._lock:
            self.requests[(service, action)] += 1
            self.dynamodb_read_units += read_units
            self.dynamodb_write_units += write_units


def _kb(size: int, unit: int) -> int:
    return max(1, math.ceil(size / unit))


def dynamodb_units(action: str, request_body: bytes, response_body: bytes) -> tuple[float, float]:
    """(read units, write units) of one DynamoDB request, estimated from its JSON bodies."""
    try:
        request = json.loads(request_body or b"{}")
        response = json.loads(response_body or b"{}")
    except ValueError:
        return 0.0, 0.0
    if action in _DDB_WRITES:
        return 0.0, float(_kb(len(json.dumps(request.get("Item") or request.get("Key") or {})), 1024))
    if action == "BatchWriteItem":
        units = sum(
            _kb(len(json.dumps(entry)), 1024)
            for entries in request.get("RequestItems", {}).values()
            for entry in entries
        )
        return 0.0, float(units)
    if action == "TransactWriteItems":
        return 0.0, float(sum(2 * _kb(len(json.dumps(entry)), 1024) for entry in request.get("TransactItems", [])))
    factor = 1.0 if request.get("ConsistentRead") else 0.5
    if action == "GetItem":
        return factor * _kb(len(json.dumps(response.get("Item") or {})), 4096), 0.0
    if action in ("Query", "Scan"):
        return factor * _kb(len(json.dumps(response.get("Items") or [])), 4096), 0.0
    if action == "BatchGetItem":
        items = [i for found in response.get("Responses", {}).values() for i in found]
        return float(sum(0.5 * _kb(len(json.dumps(i)), 4096) for i in items)), 0.0
    if action == "TransactGetItems":
        return float(
            sum(2 * _kb(len(json.dumps(r.get("Item") or {})), 4096) for r in response.get("Responses", []))
        ), 0.0
    return 0.0, 0.0


class MeteringMiddleware:
    """Wraps moto's WSGI application; counts each request once it is answered."""

    def __init__(self, app: Any, meter: Meter) -> None:
        self.app = app
        self.meter = meter

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        match = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not match:  # moto's own API (/moto-api) and unsigned calls are not AWS requests
            return self.app(environ, start_response)
        service = match.group(1)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        chunks = list(self.app(environ, start_response))
        if not self.meter.counting:  # decided when answered: a long poll begun before a reset counts
            return chunks
        action = _action(environ, body)
        answer = b"".join(chunks) if service == "dynamodb" or action == "ReceiveMessage" else b""
        if action == "ReceiveMessage" and b"Message" not in answer:  # JSON "Messages" or XML <Message>
            action = EMPTY_RECEIVE
        self.meter.record(service, action, body, answer if service == "dynamodb" else b"")
        return chunks


def _action(environ: dict[str, Any], body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return str(target).rsplit(".", 1)[-1]
    for source in (environ.get("QUERY_STRING", ""), body.decode("latin-1") if len(body) < 65536 else ""):
        found = re.search(r"(?:^|&)Action=([A-Za-z]+)", source)
        if found:
            return found.group(1)
    return f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '')[:40]}"
