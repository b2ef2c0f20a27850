"""The local cloud: template.yaml brought up inside moto's server, in this process.

Every resource of the template is created in dependency order (tables with keys, indexes and
TTL; queues with redrive; KMS keys; the secret; log groups; alarms; the dashboard; the SNS
topic), state machines are created from their definition files with the substitutions applied
and really execute (moto's interpreter, with Lambda tasks running our real handlers), SQS
event sources deliver batches to our handlers, schedules fire on a local clock or on demand,
and an HTTP gateway on 127.0.0.1 serves the HttpApi routes. A resource type the local cloud
cannot bring up stops the start with an error naming it.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import socket
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local.cloud import emulator
from local.cloud import template as tpl
from local.cloud.eventsources import Schedule, Scheduler, SqsMapping
from local.cloud.functions import FunctionHost, LocalFunction
from local.cloud.gateway import Gateway, Route
from local.cloud.meter import SCOPE, Meter, MeteringMiddleware
from local.cloud.template import ACCOUNT_ID, REPO_ROOT, TemplateError

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
        self.meter = Meter()

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
        _install_lambda_dispatch(self.host)
        self._server = MotoServer(self.meter, ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._server.start()
        requests.post(
            f"http://127.0.0.1:{self.moto_port}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}},
            timeout=10,
        ).raise_for_status()

    def client(self, service: str) -> Any:
        import boto3

        factory: Any = boto3.client
        return factory(
            service, region_name=self.region, endpoint_url=f"http://127.0.0.1:{self.moto_port}",
            aws_access_key_id=LOCAL_CREDENTIALS[0], aws_secret_access_key=LOCAL_CREDENTIALS[1],
        )

    # ------------------------------------------------------------------ template
    def _check_types(self) -> None:
        unknown = sorted({
            f"{rid} ({res['Type']})" for rid, res in self.template["Resources"].items()
            if res["Type"] not in _CREATORS and res["Type"] not in _ON_IMPORT_PATH
        })
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
        _CREATORS[res["Type"]](self, rid, res)

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
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                            "ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]
        return sum(int(v) for v in attrs.values())

    def running_executions(self) -> int:
        sfn = self.client("stepfunctions")
        return sum(
            len(sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"])
            for arn in self.state_machines.values()
        )

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until every queue is empty, no poller is mid-batch and no execution runs."""
        queues = [rid for rid, res in self.template["Resources"].items()
                  if res["Type"] == "AWS::SQS::Queue" and rid in self.physical and not _is_dlq(self.template, rid)]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (all(self.queue_depth(q) == 0 for q in queues) and not any(m.busy for m in self.mappings)
                    and self.running_executions() == 0):
                return
            time.sleep(0.05)
        raise TimeoutError(f"the local cloud did not settle within {timeout} s")

    def reset_usage(self) -> None:
        """Start counting billable usage afresh (see :meth:`usage`)."""
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
            **self.meter.snapshot(),
            "lambda_invocations": sum(fn.stats.invocations for fn in self.host.functions),
            "lambda_gb_seconds": round(gb_seconds, 3),
            "lambda_by_function": {fn.logical_id: {"invocations": fn.stats.invocations, "billed_ms": fn.stats.billed_ms}
                                   for fn in self.host.functions if fn.stats.invocations},
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
                            executionArn=execution["executionArn"], PaginationConfig={"PageSize": 1000}):
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
                    self.routes.append(Route(ep.get("Method", "ANY").upper(), ep["Path"], fn.logical_id,
                                             iam=auth == "AWS_IAM"))
                elif kind == "SQS":
                    queue_arn = self.resolver.resolve(ep["Queue"])
                    queue_name = queue_arn.rsplit(":", 1)[1]
                    url = f"http://127.0.0.1:{self.moto_port}/{ACCOUNT_ID}/{queue_name}"
                    scaling = (ep.get("ScalingConfig") or {}).get("MaximumConcurrency", 2)
                    self.mappings.append(SqsMapping(
                        function=fn.logical_id, queue_url=url, queue_arn=queue_arn, region=self.region,
                        batch_size=int(ep.get("BatchSize", 10)),
                        window_s=float(ep.get("MaximumBatchingWindowInSeconds", 0)),
                        report_failures="ReportBatchItemFailures" in (ep.get("FunctionResponseTypes") or []),
                        concurrency=min(int(scaling), 4), retry_delay=self.sqs_retry_delay,
                    ))
                elif kind in ("Schedule", "ScheduleV2"):
                    name = f"{fn.logical_id}.{event_name}"
                    self.schedules.append(Schedule(
                        name=name, function=fn.logical_id, kind=kind,
                        expression=self.resolver.resolve(ep[_SCHEDULE_FIELD[kind]]),
                        arn=f"arn:aws:scheduler:{self.region}:{ACCOUNT_ID}:schedule/default/{name}",
                        enabled=ep.get("State", "ENABLED") == "ENABLED" and ep.get("Enabled", True) is not False,
                    ))
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
def _table(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    props = cloud.resolver.resolve(res["Properties"])
    name = props.get("TableName") or cloud._name(rid)
    ddb = cloud.client("dynamodb")
    params: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if props.get("GlobalSecondaryIndexes"):
        params["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if params["BillingMode"] == "PROVISIONED":
        params["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    if props.get("SSESpecification"):
        params["SSESpecification"] = {"Enabled": bool(props["SSESpecification"].get("SSEEnabled"))}
    description = ddb.create_table(**params)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": ttl["AttributeName"]})
    if (props.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled"):
        ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
    cloud.physical[rid] = name
    cloud.resolver.refs[rid] = name
    cloud.resolver.attrs[(rid, "Arn")] = description["TableArn"]


def _queue(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    props = cloud.resolver.resolve(res.get("Properties", {}))
    fifo = bool(props.get("FifoQueue"))
    name = props.get("QueueName") or cloud._name(rid) + (".fifo" if fifo else "")
    attributes: dict[str, str] = {}
    for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds",
                "MaximumMessageSize", "FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled"):
        if key in props:
            value = props[key]
            attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
    if props.get("RedrivePolicy"):
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloud.physical[rid] = url
    cloud.resolver.refs[rid] = url
    cloud.resolver.attrs.update({(rid, "Arn"): arn, (rid, "QueueName"): name, (rid, "QueueUrl"): url})


def _kms_key(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    props = cloud.resolver.resolve(res.get("Properties", {}))
    kms = cloud.client("kms")
    policy = json.dumps(props["KeyPolicy"])
    meta = kms.create_key(Description=props.get("Description", rid), Policy=policy)["KeyMetadata"]
    if props.get("EnableKeyRotation"):
        kms.enable_key_rotation(KeyId=meta["KeyId"])
    cloud.physical[rid] = meta["KeyId"]
    cloud.resolver.refs[rid] = meta["KeyId"]
    cloud.resolver.attrs[(rid, "Arn")] = meta["Arn"]


def _kms_alias(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    props = cloud.resolver.resolve(res["Properties"])
    cloud.client("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
    cloud.resolver.refs[rid] = props["AliasName"]


def _secret(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    props = cloud.resolver.resolve(res["Properties"])
    value: dict[str, Any] = {}
    generate = props.get("GenerateSecretString")
    if generate:
        value = json.loads(generate.get("SecretStringTemplate", "{}"))
        if generate.get("GenerateStringKey"):
            value[generate["GenerateStringKey"]] = secrets.token_urlsafe(int(generate.get("PasswordLength", 32)))
    value.update(cloud.secret_values)
    name = props.get("Name") or cloud._name(rid)
    arn = cloud.client("secretsmanager").create_secret(Name=name, SecretString=json.dumps(value))["ARN"]
    cloud.physical[rid] = arn
    cloud.resolver.refs[rid] = arn


def _log_group(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    props = cloud.resolver.resolve(res.get("Properties", {}))
    name = props.get("LogGroupName") or f"/tts-local/{cloud._name(rid)}"
    logs = cloud.client("logs")
    logs.create_log_group(logGroupName=name)
    if props.get("RetentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    cloud.physical[rid] = name
    cloud.resolver.refs[rid] = name
    cloud.resolver.attrs[(rid, "Arn")] = f"arn:aws:logs:{cloud.region}:{ACCOUNT_ID}:log-group:{name}:*"


def _topic(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    props = cloud.resolver.resolve(res.get("Properties", {}))
    attributes = {k: str(props[k]) for k in ("DisplayName", "KmsMasterKeyId") if k in props}
    name = props.get("TopicName") or cloud._name(rid)
    arn = cloud.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
    cloud.physical[rid] = arn
    cloud.resolver.refs[rid] = arn
    cloud.resolver.attrs[(rid, "TopicName")] = arn.rsplit(":", 1)[1]


def _subscription(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    props = cloud.resolver.resolve(res["Properties"])
    arn = cloud.client("sns").subscribe(TopicArn=props["TopicArn"], Protocol=props["Protocol"],
                                        Endpoint=props["Endpoint"])["SubscriptionArn"]
    cloud.resolver.refs[rid] = arn


def _alarm(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    props = cloud.resolver.resolve(res["Properties"])
    name = props.get("AlarmName") or cloud._name(rid)
    params = {k: v for k, v in props.items() if k != "AlarmName"}
    cloud.client("cloudwatch").put_metric_alarm(AlarmName=name, **params)
    cloud.physical[rid] = name
    cloud.resolver.refs[rid] = name
    cloud.resolver.attrs[(rid, "Arn")] = f"arn:aws:cloudwatch:{cloud.region}:{ACCOUNT_ID}:alarm:{name}"


def _dashboard(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    props = cloud.resolver.resolve(res["Properties"])
    name = props.get("DashboardName") or cloud._name(rid)
    json.loads(props["DashboardBody"])  # a malformed body fails here as it would on deploy
    cloud.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=props["DashboardBody"])
    cloud.physical[rid] = name
    cloud.resolver.refs[rid] = name


def _http_api(cloud: LocalCloud, rid: str, _res: dict[str, Any]) -> None:
    cloud.physical[rid] = "local"
    cloud.resolver.refs[rid] = "local"


def _function(cloud: LocalCloud, rid: str, _res: dict[str, Any]) -> None:
    props = tpl.function_properties(cloud.template, rid)
    name = props.get("FunctionName") or cloud._name(rid)
    variables = (props.get("Environment") or {}).get("Variables") or {}
    env = {k: str(cloud.resolver.resolve(v)) for k, v in variables.items()}
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props.get("MemorySize", 128)),
        "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
    })
    env.update(cloud.environment)
    fn = LocalFunction(
        logical_id=rid, name=name, region=cloud.region, code_dir=REPO_ROOT / props["CodeUri"],
        handler=props["Handler"], timeout_s=int(props.get("Timeout", 3)), memory_mb=int(props.get("MemorySize", 128)),
        environment=env,
    )
    cloud.host.add(fn)
    cloud.physical[rid] = name
    cloud.resolver.refs[rid] = name
    cloud.resolver.attrs[(rid, "Arn")] = fn.arn


def _state_machine(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    props = res["Properties"]
    if "DefinitionUri" not in props:
        raise TemplateError(f"{rid}: state machines must use DefinitionUri (statemachines/*.asl.json)")
    text = (REPO_ROOT / props["DefinitionUri"]).read_text(encoding="utf-8")
    substitutions = cloud.resolver.resolve(props.get("DefinitionSubstitutions") or {})
    definition = tpl.substitute_definition(text, substitutions)
    name = props.get("Name") or cloud._name(rid)
    arn = cloud.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{name}-role",
    )["stateMachineArn"]
    cloud.state_machines[rid] = arn
    cloud.physical[rid] = arn
    cloud.resolver.refs[rid] = arn
    cloud.resolver.attrs.update({(rid, "Name"): name, (rid, "Arn"): arn})


def _ses_email_identity(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    """An SES sender identity, verified at once (moto keeps every email sent from it: see
    ``python -m connector.notifications outbox``)."""
    props = cloud.resolver.resolve(res["Properties"])
    cloud.client("ses").verify_email_identity(EmailAddress=props["EmailIdentity"])
    cloud.physical[rid] = props["EmailIdentity"]
    cloud.resolver.refs[rid] = props["EmailIdentity"]


_CREATORS = {
    "AWS::DynamoDB::Table": _table,
    "AWS::SQS::Queue": _queue,
    "AWS::KMS::Key": _kms_key,
    "AWS::KMS::Alias": _kms_alias,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::Subscription": _subscription,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::CloudWatch::Dashboard": _dashboard,
    "AWS::Serverless::HttpApi": _http_api,
    "AWS::Serverless::Function": _function,
    "AWS::Serverless::StateMachine": _state_machine,
    "AWS::SES::EmailIdentity": _ses_email_identity,
}


def _install_lambda_dispatch(host: FunctionHost) -> None:
    """Make moto's Lambda (as called by the Step Functions interpreter) run our handlers."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    def invoke(self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any,
               response_headers: Any) -> bytes:
        event = json.loads(body) if body else {}
        result = _ACTIVE_HOST[0].invoke(function_name, event)
        if result.failed:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorMessage": result.error_message, "errorType": result.error_type}).encode()
        return json.dumps(result.payload).encode()

    _ACTIVE_HOST[:] = [host]
    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]


_ACTIVE_HOST: list[FunctionHost] = []


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


def _moto_pieces() -> tuple[type, Any]:
    """moto's dispatcher and a server for it, made fit for thousands of calls a minute.

    - moto finds the backend of every request under one lock, walking its module list and URL
      patterns; signed requests name their service and region in the credential scope, so the
      answer is cached per scope, host and first path segment.
    - DynamoDB requests run one at a time, so a reader never sees half of an update.
    - werkzeug's development server closes the connection after every answer, so every boto3
      call paid a new TCP connection and a new server thread. ``serve`` is a plain HTTP/1.1
      server with kept-alive connections that hands each request to the WSGI application.
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import unquote_to_bytes, urlsplit

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    class CachedDispatcher(DomainDispatcherApplication):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._by_scope: dict[tuple[str, str, str], Any] = {}
            self._dynamodb = threading.Lock()

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            # DynamoDB applies each request to one item atomically; moto edits the stored item
            # in place, action by action, so a read running beside an update could see half of
            # it (a state set, the field set with it not yet). One request at a time, as a whole.
            scope = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
            if scope and scope.group(1) == "dynamodb":
                with self._dynamodb:
                    return [b"".join(super().__call__(environ, start_response))]
            return super().__call__(environ, start_response)

        def get_application(self, environ: dict[str, Any]) -> Any:
            scope = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
            path = environ.get("PATH_INFO", "")
            if not scope or path.startswith(("/moto-api", "/latest/")):
                return super().get_application(environ)
            # SES and SES v2 share a scope and a host and differ by path: the first segment is in the key
            key = (scope.group(0), environ.get("HTTP_HOST", ""), path.split("/", 2)[1] if "/" in path else "")
            app = self._by_scope.get(key)
            if app is None:
                app = self._by_scope[key] = super().get_application(environ)
            return app

    def serve(host: str, port: int, app: Any) -> ThreadingHTTPServer:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                if self.headers.get("Transfer-Encoding"):  # no chunked request bodies here
                    self.send_error(411, "a Content-Length is required")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                environ: dict[str, Any] = {
                    "REQUEST_METHOD": self.command, "SCRIPT_NAME": "",
                    "PATH_INFO": unquote_to_bytes(split.path).decode("latin-1"),
                    "QUERY_STRING": split.query, "SERVER_NAME": host, "SERVER_PORT": str(port),
                    "SERVER_PROTOCOL": self.request_version, "REMOTE_ADDR": self.client_address[0],
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(length),
                    "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
                    "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
                    "wsgi.run_once": False,
                }
                for name, value in self.headers.items():
                    key = "HTTP_" + name.upper().replace("-", "_")
                    if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                        environ[key] = f"{environ[key]},{value}" if key in environ else value
                answer: list[Any] = []

                def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                    answer[:] = [status, headers]
                    return lambda _data: None

                try:
                    chunks = app(environ, start_response)
                    data = b"".join(chunks)
                    if hasattr(chunks, "close"):
                        chunks.close()
                    status, headers = answer
                except Exception as exc:  # an emulator bug answers 500, the connection stays usable
                    log.exception("the AWS emulator failed on %s %s", self.command, split.path)
                    data = json.dumps({"message": f"emulator error: {type(exc).__name__}"}).encode()
                    status, headers = "500 Internal Server Error", [("Content-Type", "application/json")]
                code, _, reason = status.partition(" ")
                self.send_response(int(code), reason)
                for name, value in headers:
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        return server

    return CachedDispatcher, serve



class MotoServer:
    """moto on a local port as the local cloud runs it: the faster queries, the kept-alive
    server, one DynamoDB request at a time (so conditional writes are atomic, as on AWS) and,
    when a meter is given, the metering middleware in front. The test suite's AWS endpoint is
    this same server."""

    def __init__(self, meter: Meter | None = None, *, ip_address: str, port: int, verbose: bool = False) -> None:
        from moto.server import ThreadedMotoServer

        meter_ = meter

        class _Server(ThreadedMotoServer):
            def _server_entry(self) -> None:
                from moto.moto_server.werkzeug_app import create_backend_app

                emulator.install()
                dispatcher, serve = _moto_pieces()
                app = dispatcher(create_backend_app)
                self._server = serve(self._ip_address, self._port,
                                     app if meter_ is None else MeteringMiddleware(app, meter_))
                self._server_ready_event.set()
                self._server.serve_forever()

        self._inner = _Server(ip_address=ip_address, port=port, verbose=verbose)

    def start(self) -> None:
        self._inner.start()

    def stop(self) -> None:
        self._inner.stop()
