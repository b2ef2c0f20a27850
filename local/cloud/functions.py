"""Running our real handlers as the local cloud's Lambda functions.

Each function's ``CodeUri/app.py`` is imported once under its own module name; every
invocation runs inside :func:`connector.runtime.environment_overlay` with that function's
resolved environment, and is counted (invocations, billed milliseconds, errors) so the
benchmarks can price a run. Errors come back the way Lambda reports them to callers:
``errorType`` (the exception's class name) and ``errorMessage``.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from connector.runtime import environment_overlay
from local.cloud.template import ACCOUNT_ID, REPO_ROOT, TemplateError

log = logging.getLogger("local.cloud.functions")

# Which threads are inside an invocation (their stdout is the function's log stream).
INVOKING = threading.local()
_REQUESTS = threading.local()
# The function log's stream, when the cloud keeps one (the metric lines invocations print go there).
FUNCTION_LOG: list[Any] = []


def _function_print(*values: Any, **options: Any) -> None:
    """``print`` as Powertools' metrics see it: inside an invocation, into the function log."""
    if FUNCTION_LOG and getattr(INVOKING, "active", False) and "file" not in options:
        options["file"] = FUNCTION_LOG[0]
    print(*values, **options)


def route_metric_lines() -> None:
    """Powertools prints each EMF metric line to stdout; here it goes to the function log, as
    CloudWatch Logs keeps it apart from anything else (a test runner swaps ``sys.stdout`` in and
    out between tests, so swapping it here would leak lines to the terminal)."""
    from aws_lambda_powertools.metrics import base
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf import cloudwatch

    for module in (base, cloudwatch):
        module.print = _function_print  # type: ignore[attr-defined]


class _RequestSlot:
    """``BaseRouter.current_event`` set or read on the class: this thread's request."""

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return getattr(_REQUESTS, "event", None)

    def __set__(self, obj: Any, value: Any) -> None:
        _REQUESTS.event = value


def thread_local_http_requests() -> None:
    """Powertools' HTTP resolvers keep the request in a class attribute (``BaseRouter.current_event``,
    assigned on the class by ``resolve``): one per process. Right on Lambda (one request per
    process at a time), wrong here, where every function shares one process and a webhook could
    overwrite a merchant request mid-flight. Make it per thread, as it is per process on Lambda."""
    from aws_lambda_powertools.event_handler import api_gateway

    base: Any = api_gateway.BaseRouter
    if type(base).__name__ == "ThreadLocalRouterMeta":
        return
    type.__setattr__(
        base,
        "current_event",
        property(
            lambda self: getattr(_REQUESTS, "event", None), lambda self, value: setattr(_REQUESTS, "event", value)
        ),
    )
    base.__class__ = type("ThreadLocalRouterMeta", (type(base),), {"current_event": _RequestSlot()})



_METRICS_LOCK = threading.RLock()


def _holding_metrics_lock(method: Any) -> Any:
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _METRICS_LOCK:
            return method(*args, **kwargs)

    locked.__wrapped__ = method  # type: ignore[attr-defined]
    return locked


def serialized_metrics() -> None:
    """Powertools keeps one metric set per process, shared by every ``Metrics`` of it, and a flush
    reads the set, prints it and clears it. Right on Lambda (one invocation per process at a time);
    here every function's invocations share one process, so a flush could iterate the set while
    another invocation adds to it ("dictionary changed size during iteration", a failed
    invocation) or clear a metric added between its read and its clear (a lost count). Every
    read and write of the set holds one lock, as one process per invocation would."""
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    provider: Any = AmazonCloudWatchEMFProvider
    if getattr(provider, "_one_writer_at_a_time", False):
        return
    for name in ("add_metric", "add_dimension", "add_metadata", "serialize_metric_set", "clear_metrics",
                 "flush_metrics"):
        setattr(provider, name, _holding_metrics_lock(getattr(provider, name)))
    provider._one_writer_at_a_time = True

@dataclass
class InvocationStats:
    invocations: int = 0
    errors: int = 0
    billed_ms: int = 0


@dataclass
class LocalFunction:
    logical_id: str
    name: str
    region: str
    code_dir: Path
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str] = field(default_factory=dict)
    stats: InvocationStats = field(default_factory=InvocationStats)
    _module: ModuleType | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.name}"

    def load(self) -> Any:
        module_name, _, attr = self.handler.rpartition(".")
        with self._lock:
            if self._module is None:
                path = self.code_dir / (module_name.replace(".", "/") + ".py")
                if not path.is_file():
                    raise TemplateError(f"{self.logical_id}: handler file {path.relative_to(REPO_ROOT)} is missing")
                spec = importlib.util.spec_from_file_location(f"lambda_{self.logical_id}", path)
                if spec is None or spec.loader is None:
                    raise TemplateError(f"{self.logical_id}: cannot import {path}")
                module = importlib.util.module_from_spec(spec)
                with environment_overlay(self.environment):
                    spec.loader.exec_module(module)
                self._module = module
        entry = getattr(self._module, attr, None)
        if not callable(entry):
            raise TemplateError(f"{self.logical_id}: {self.handler} is not a callable handler")
        return entry


class LambdaContext:
    """The parts of Lambda's context object our handlers and Powertools read."""

    def __init__(self, function: LocalFunction) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class InvokeResult:
    payload: Any = None
    error_type: str | None = None
    error_message: str | None = None

    @property
    def failed(self) -> bool:
        return self.error_type is not None


class FunctionHost:
    """All functions of the stack, found by logical id, name or ARN."""

    def __init__(self) -> None:
        thread_local_http_requests()
        serialized_metrics()
        self._by_key: dict[str, LocalFunction] = {}
        self.functions: list[LocalFunction] = []

    def add(self, function: LocalFunction) -> None:
        self.functions.append(function)
        for key in (function.logical_id, function.name, function.arn):
            self._by_key[key] = function

    def get(self, key: str) -> LocalFunction:
        name = key.split(":function:", 1)[1].split(":", 1)[0] if ":function:" in key else key
        try:
            return self._by_key[name]
        except KeyError:
            raise KeyError(f"no local function {key!r}") from None

    def invoke(self, key: str, event: Any) -> InvokeResult:
        function = self.get(key)
        entry = function.load()
        context = LambdaContext(function)
        started = time.monotonic()
        result = InvokeResult()
        INVOKING.active = True
        try:
            with environment_overlay(function.environment):
                result.payload = entry(event, context)
        except Exception as exc:
            result.error_type = type(exc).__name__
            result.error_message = str(exc)
            log.warning("%s failed: %s\n%s", function.logical_id, result.error_type, traceback.format_exc(limit=8))
        finally:
            INVOKING.active = False
        elapsed_ms = (time.monotonic() - started) * 1000
        if elapsed_ms > function.timeout_s * 1000 and not result.failed:
            result = InvokeResult(
                error_type="Sandbox.Timedout", error_message=f"Task timed out after {function.timeout_s} seconds"
            )
        function.stats.invocations += 1
        function.stats.billed_ms += max(1, int(elapsed_ms + 0.999))
        if result.failed:
            function.stats.errors += 1
        return result
