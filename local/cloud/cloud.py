"""The local cloud: template.yaml brought up inside moto's server (in a process of its own, see
moto_server.py), the functions in this process.

Every resource of the template is created in dependency order (tables with keys, indexes and
TTL; queues with redrive; KMS keys; the secret; log groups; alarms; the dashboard; the SNS
topic), state machines are created from their definition files with the substitutions applied
and really execute (moto's interpreter, with Lambda tasks running our real handlers), SQS
event sources deliver batches to our handlers, schedules fire on a local clock or on demand,
and an HTTP gateway on 127.0.0.1 serves the HttpApi routes. A resource type the local cloud
cannot bring up stops the start with an error naming it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import unquote

import httpx

from local.cloud import template as tpl
from local.cloud.eventsources import Schedule, Scheduler, SqsMapping
from local.cloud.functions import FunctionHost, LocalFunction
from local.cloud.gateway import Gateway, Route
from local.cloud.moto_server import BUSY_PATH, MeterClient, MotoServer
from local.cloud.resources import CREATORS
from local.cloud.template import ACCOUNT_ID, TemplateError
from local.httpkit import Request, Response, Router, Server, json_response

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

log = logging.getLogger("local.cloud")

LOCAL_CREDENTIALS = ("testing", "testing")  # moto accepts any; the gateway checks SigV4 with these

_SCHEDULE_FIELD = {"Schedule": "Schedule", "ScheduleV2": "ScheduleExpression"}

# Types that exist only for the deployment on AWS and have no runtime behaviour to emulate
# locally: the layer's code is on the import path already.
_ON_IMPORT_PATH = {"AWS::Serverless::LayerVersion"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalCloud:
    def __init__(
        self,
        *,
        template_path: Path = tpl.TEMPLATE_PATH,
        parameters: Mapping[str, Any] | None = None,
        environment: Mapping[str, str] | None = None,
        secret_values: Mapping[str, str] | None = None,
        stack_name: str = "tts-local",
        region: str = "us-east-1",
        clock_speed: float | None = None,
        sqs_retry_delay: int = 1,
        gateway_port: int = 0,
        moto_port: int = 0,
        function_log: Path | None = None,
    ) -> None:
        self.template = tpl.load(template_path)
        self.stack_name = stack_name
        self.region = region
        self.parameter_overrides = dict(parameters or {})
        self.environment = dict(environment or {})
        self.secret_values = dict(secret_values or {})
        self.clock_speed = clock_speed
        self.sqs_retry_delay = sqs_retry_delay
        self.gateway_port = gateway_port
        self.moto_port = moto_port
        self.host = FunctionHost()
        self.mappings: list[SqsMapping] = []
        self.schedules: list[Schedule] = []
        self.routes: list[Route] = []
        self.physical: dict[str, Any] = {}
        self.state_machines: dict[str, str] = {}
        self.skipped: dict[str, str] = {}
        self._stop = threading.Event()
        self._server: Any = None
        self.gateway: Gateway | None = None
        self.scheduler: Scheduler | None = None
        self._saved_env: dict[str, str | None] = {}
        self.function_log = function_log
        self.meter: MeterClient | None = None
        self._lambda: Server | None = None
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()
        self._session: Any = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalCloud:
        self._check_types()
        if self.function_log:
            _send_function_logs_to(self.function_log)
        self._start_moto()
        self.resolver = tpl.Resolver(
            region=self.region,
            stack_name=self.stack_name,
            parameters=self._parameters(),
            conditions=self.template.get("Conditions", {}),
        )
        for logical_id in self._order():
            self._create(logical_id)
        self._wire_functions()
        self.gateway = Gateway(self.host, self.routes, LOCAL_CREDENTIALS, self.region, port=self.gateway_port)
        self.gateway.start()
        for fn in self.host.functions:
            fn.environment.setdefault("PUBLIC_BASE_URL", "")
            if not fn.environment.get("PUBLIC_BASE_URL"):
                fn.environment["PUBLIC_BASE_URL"] = self.gateway.url
            fn.load()  # import every handler now: a broken one fails the start, not the first call
        sqs = self.client("sqs")
        for mapping in self.mappings:
            mapping.start(self.host, sqs, self._stop)
        self.scheduler = Scheduler(self.host, self.schedules, self.clock_speed)
        self.scheduler.start(self._stop)
        return self

    def stop(self) -> None:

        self._stop.set()
        if self.function_log:
            from local.cloud import functions

            functions.FUNCTION_LOG.clear()
        for mapping in self.mappings:
            for thread in mapping._threads:
                thread.join(timeout=5)
        if self.gateway:
            self.gateway.stop()
        if self._server:
            self._server.stop()
        if self._lambda:
            self._lambda.stop(drain_s=5.0)
        with self._clients_lock:
            for found in self._clients.values():
                found.close()
            self._clients.clear()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        from connector import aws

        aws.clear_cache()

    @property
    def url(self) -> str:
        """The gateway's base URL (the API's URL on AWS)."""
        assert self.gateway, "the local cloud is not started"
        return self.gateway.url

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ moto
    def _start_moto(self) -> None:
        import requests

        self.moto_port = self.moto_port or free_port()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        logging.getLogger("moto").setLevel(logging.CRITICAL)
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        process_env = {
            "AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS[0],
            "AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS[1],
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.moto_port}",
            "MOTO_PORT": str(self.moto_port),
        }
        for key, value in process_env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        from connector import aws

        aws.clear_cache()
        self._lambda = _lambda_endpoint(self.host).start()
        self._server = MotoServer(ip_address="127.0.0.1", port=self.moto_port, metered=True,
                                  lambda_url=self._lambda.url)
        self._server.start()
        meter = self._server.meter
        assert meter is not None
        self.meter = meter
        requests.post(
            f"http://127.0.0.1:{self.moto_port}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}},
            timeout=10,
        ).raise_for_status()

    @overload
    def client(self, service: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["sqs"]) -> SQSClient: ...
    @overload
    def client(self, service: Literal["stepfunctions"]) -> SFNClient: ...
    @overload
    def client(self, service: Literal["kms"]) -> KMSClient: ...
    @overload
    def client(self, service: Literal["sns"]) -> SNSClient: ...
    @overload
    def client(self, service: Literal["sesv2"]) -> SESV2Client: ...
    @overload
    def client(self, service: Literal["secretsmanager"]) -> SecretsManagerClient: ...
    @overload
    def client(self, service: Literal["cloudwatch"]) -> CloudWatchClient: ...
    @overload
    def client(self, service: str) -> Any: ...
    def client(self, service: str) -> Any:
        """A boto3 client on the local cloud, typed with the ``mypy_boto3_*`` stubs for the services
        the connector uses. One per service, built on first use and kept: building a client costs
        tens of milliseconds of CPU, and :meth:`wait_idle` asks for clients many times a second.
        boto3 clients are safe to share between threads."""
        with self._clients_lock:
            found = self._clients.get(service)
            if found is None:
                if self._session is None:
                    import boto3

                    self._session = boto3.session.Session()
                factory: Any = self._session.client
                found = self._clients[service] = factory(
                    service,
                    region_name=self.region,
                    endpoint_url=f"http://127.0.0.1:{self.moto_port}",
                    aws_access_key_id=LOCAL_CREDENTIALS[0],
                    aws_secret_access_key=LOCAL_CREDENTIALS[1],
                )
            return found

    # ------------------------------------------------------------------ template
    def _check_types(self) -> None:
        unknown = sorted(
            {
                f"{rid} ({res['Type']})"
                for rid, res in self.template["Resources"].items()
                if res["Type"] not in CREATORS and res["Type"] not in _ON_IMPORT_PATH
            }
        )
        if unknown:
            raise TemplateError("the local cloud cannot bring up: " + ", ".join(unknown))

    def _parameters(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, spec in self.template.get("Parameters", {}).items():
            if name in self.parameter_overrides:
                values[name] = self.parameter_overrides[name]
            elif "Default" in spec:
                values[name] = spec["Default"]
            else:
                raise TemplateError(f"parameter {name} has no default and no local value")
        unknown = set(self.parameter_overrides) - set(values)
        if unknown:
            raise TemplateError(f"unknown parameters: {sorted(unknown)}")
        return values

    def _order(self) -> list[str]:
        resources = self.template["Resources"]
        deps: dict[str, set[str]] = {}
        for rid, res in resources.items():
            found: set[str] = set()
            _collect_refs(res.get("Properties", {}), found)
            if res["Type"] == "AWS::Serverless::Function":
                _collect_refs(tpl.function_properties(self.template, rid), found)
            deps[rid] = {d for d in found if d in resources and d != rid}
        ordered: list[str] = []
        visiting: set[str] = set()

        def visit(rid: str) -> None:
            if rid in ordered:
                return
            if rid in visiting:
                raise TemplateError(f"circular dependency through {rid}")
            visiting.add(rid)
            for dep in sorted(deps[rid]):
                visit(dep)
            visiting.discard(rid)
            ordered.append(rid)

        for rid in sorted(resources):
            visit(rid)
        return ordered

    def _create(self, rid: str) -> None:
        res = self.template["Resources"][rid]
        condition = res.get("Condition")
        if condition and not self.resolver.condition(condition):
            self.skipped[rid] = f"condition {condition} is false"
            return
        if res["Type"] in _ON_IMPORT_PATH:
            self.resolver.refs[rid] = f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:layer:{rid}:1"
            self.skipped[rid] = "layer code is on the import path"
            return
        CREATORS[res["Type"]](self, rid, res)

    def _name(self, rid: str) -> str:
        return f"{self.stack_name}-{rid}"

    # ------------------------------------------------------------------ helpers for tests and tools
    def function(self, logical_id: str) -> LocalFunction:
        return self.host.get(logical_id)

    def queue_url(self, logical_id: str) -> str:
        return str(self.physical[logical_id])

    def table_name(self, logical_id: str = "ConnectorTable") -> str:
        return str(self.physical[logical_id])

    def state_machine_arn(self, logical_id: str) -> str:
        return self.state_machines[logical_id]

    def fire_schedule(self, function_logical_id: str, event_name: str) -> Any:
        assert self.scheduler
        return self.scheduler.fire(f"{function_logical_id}.{event_name}")

    def queue_depth(self, logical_id: str) -> int:
        attrs = self.client("sqs").get_queue_attributes(
            QueueUrl=self.queue_url(logical_id),
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return sum(int(v) for v in attrs.values())

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until every queue is empty, no poller is mid-batch and no execution runs."""
        queues = [
            rid
            for rid, res in self.template["Resources"].items()
            if res["Type"] == "AWS::SQS::Queue" and rid in self.physical and not _is_dlq(self.template, rid)
        ]
        names = [self.queue_url(q).rsplit("/", 1)[1] for q in queues]
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=30) as http:
            while time.monotonic() < deadline:
                # One request for every queue and execution (see moto_server.busy), then the pollers.
                found = http.get(f"http://127.0.0.1:{self.moto_port}{BUSY_PATH}").json()
                if (
                    all(found["queues"].get(name, 0) == 0 for name in names)
                    and not any(m.busy for m in self.mappings)
                    and found["running_executions"] == 0
                ):
                    return
                time.sleep(0.05)
        raise TimeoutError(f"the local cloud did not settle within {timeout} s")

    def reset_usage(self) -> None:
        """Start counting billable usage afresh (see :meth:`usage`)."""
        assert self.meter, "the local cloud is not started"
        self.meter.reset()
        for fn in self.host.functions:
            fn.stats.invocations = fn.stats.errors = fn.stats.billed_ms = 0
        if self.gateway:
            self.gateway.requests = 0
        self._transitions_before = self._state_transitions()

    def usage(self) -> dict[str, Any]:
        """What the run since :meth:`reset_usage` would be billed for: requests counted by the
        meter, Lambda invocations and GB-seconds, API requests, Step Functions transitions."""
        gb_seconds = sum(fn.stats.billed_ms / 1000 * fn.memory_mb / 1024 for fn in self.host.functions)
        return {
            **(self.meter.snapshot() if self.meter else {}),
            "lambda_invocations": sum(fn.stats.invocations for fn in self.host.functions),
            "lambda_gb_seconds": round(gb_seconds, 3),
            "lambda_by_function": {
                fn.logical_id: {"invocations": fn.stats.invocations, "billed_ms": fn.stats.billed_ms}
                for fn in self.host.functions
                if fn.stats.invocations
            },
            "http_api_requests": self.gateway.requests if self.gateway else 0,
            "state_transitions": self._state_transitions() - getattr(self, "_transitions_before", 0),
        }

    def _state_transitions(self) -> int:
        """State transitions of every execution so far (Standard workflows bill each one)."""
        sfn = self.client("stepfunctions")
        total = 0
        for arn in self.state_machines.values():
            for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn):
                for execution in page["executions"]:
                    # Every page of the history: a catalog push of 10,000 products has thousands of events.
                    for events in sfn.get_paginator("get_execution_history").paginate(
                        executionArn=execution["executionArn"], PaginationConfig={"PageSize": 1000}
                    ):
                        total += sum(1 for e in events["events"] if e["type"].endswith("StateEntered"))
        return total

    def describe(self) -> dict[str, Any]:
        return {
            "gateway": self.gateway.url if self.gateway else None,
            "moto": f"http://127.0.0.1:{self.moto_port}",
            "table": self.physical.get("ConnectorTable"),
            "functions": sorted(f.logical_id for f in self.host.functions),
            "queues": sorted(rid for rid, r in self.template["Resources"].items() if r["Type"] == "AWS::SQS::Queue"),
            "state_machines": sorted(self.state_machines),
            "routes": [r.route_key + (" (IAM)" if r.iam else "") for r in self.routes],
            "schedules": sorted(self.scheduler.schedules if self.scheduler else []),
            "not_run_locally": dict(self.skipped),
        }

    # ------------------------------------------------------------------ functions
    def _wire_functions(self) -> None:
        for fn in self.host.functions:
            props = tpl.function_properties(self.template, fn.logical_id)
            for event_name, event in (props.get("Events") or {}).items():
                kind = event["Type"]
                ep = event.get("Properties", {})
                if kind == "HttpApi":
                    auth = (ep.get("Auth") or {}).get("Authorizer")
                    if auth not in (None, "NONE", "AWS_IAM"):
                        raise TemplateError(f"{fn.logical_id}.{event_name}: authorizer {auth} is not emulated")
                    self.routes.append(
                        Route(ep.get("Method", "ANY").upper(), ep["Path"], fn.logical_id, iam=auth == "AWS_IAM")
                    )
                elif kind == "SQS":
                    queue_arn = self.resolver.resolve(ep["Queue"])
                    queue_name = queue_arn.rsplit(":", 1)[1]
                    url = f"http://127.0.0.1:{self.moto_port}/{ACCOUNT_ID}/{queue_name}"
                    scaling = (ep.get("ScalingConfig") or {}).get("MaximumConcurrency", 2)
                    self.mappings.append(
                        SqsMapping(
                            function=fn.logical_id,
                            queue_url=url,
                            queue_arn=queue_arn,
                            region=self.region,
                            batch_size=int(ep.get("BatchSize", 10)),
                            window_s=float(ep.get("MaximumBatchingWindowInSeconds", 0)),
                            report_failures="ReportBatchItemFailures" in (ep.get("FunctionResponseTypes") or []),
                            concurrency=min(int(scaling), 8),
                            retry_delay=self.sqs_retry_delay,
                        )
                    )
                elif kind in ("Schedule", "ScheduleV2"):
                    name = f"{fn.logical_id}.{event_name}"
                    self.schedules.append(
                        Schedule(
                            name=name,
                            function=fn.logical_id,
                            kind=kind,
                            expression=self.resolver.resolve(ep[_SCHEDULE_FIELD[kind]]),
                            arn=f"arn:aws:scheduler:{self.region}:{ACCOUNT_ID}:schedule/default/{name}",
                            enabled=ep.get("State", "ENABLED") == "ENABLED" and ep.get("Enabled", True) is not False,
                        )
                    )
                else:
                    raise TemplateError(f"{fn.logical_id}.{event_name}: event type {kind} is not emulated")


def _is_dlq(template: Mapping[str, Any], rid: str) -> bool:
    for res in template["Resources"].values():
        if res["Type"] == "AWS::SQS::Queue":
            target = (res.get("Properties", {}).get("RedrivePolicy") or {}).get("deadLetterTargetArn")
            if isinstance(target, dict) and target.get("Fn::GetAtt", [None])[0] == rid:
                return True
    return False


def _collect_refs(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0])
            elif key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) else arg
                found.update(m.split(".", 1)[0] for m in re.findall(r"\$\{([^}!]+)\}", text))
                if isinstance(arg, list):
                    _collect_refs(arg[1], found)
            else:
                _collect_refs(arg, found)
    elif isinstance(value, list):
        for item in value:
            _collect_refs(item, found)


# ---------------------------------------------------------------------- creators per type
def _lambda_endpoint(host: FunctionHost) -> Server:
    """Where moto's Lambda (as called by the Step Functions interpreter, in the emulator's own
    process) invokes our handlers: ``POST /functions/{name}/invocations`` with the event, answered
    with the payload or the error, as Lambda's Invoke API answers."""
    router = Router()

    @router.route("POST", "/functions/{name}/invocations")
    def invoke(request: Request) -> Response:
        event = json.loads(request.body) if request.body else {}
        result = host.invoke(unquote(request.params["name"]), event)
        if result.failed:
            return json_response({"errorType": result.error_type, "errorMessage": result.error_message})
        return json_response({"payload": result.payload})

    return Server(router, name="local lambda")


def _send_function_logs_to(path: Path) -> None:
    """Write the functions' structured logs and EMF metric lines to ``path`` (one JSON line
    each) instead of stdout, as CloudWatch Logs would keep them apart from the demo's output."""
    import warnings

    from connector.observability import logger
    from local.cloud import functions

    path.parent.mkdir(parents=True, exist_ok=True)
    stream = path.open("a", encoding="utf-8")
    for handler in logger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
    functions.FUNCTION_LOG[:] = [stream]
    functions.route_metric_lines()
    warnings.filterwarnings("ignore", message="No application metrics to publish")
