"""How the local cloud creates each resource type of the template inside moto: one function a
type (table, queue, KMS key, secret, log group, topic, alarm, dashboard, API, function, state
machine, SES identity), listed in ``CREATORS``; a type missing there stops the start."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from local.cloud import template as tpl
from local.cloud.functions import LocalFunction
from local.cloud.template import ACCOUNT_ID, REPO_ROOT, TemplateError

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType

    from local.cloud.cloud import LocalCloud


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
        ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
    if (props.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled"):
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    cloud.physical[rid] = name
    cloud.resolver.refs[rid] = name
    cloud.resolver.attrs[(rid, "Arn")] = description["TableArn"]


def _queue(cloud: LocalCloud, rid: str, res: dict[str, Any]) -> None:
    props = cloud.resolver.resolve(res.get("Properties", {}))
    fifo = bool(props.get("FifoQueue"))
    name = props.get("QueueName") or cloud._name(rid) + (".fifo" if fifo else "")
    attributes: dict[QueueAttributeNameType, str] = {}
    key: QueueAttributeNameType
    for key in (
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds",
        "MaximumMessageSize",
        "FifoQueue",
        "ContentBasedDeduplication",
        "SqsManagedSseEnabled",
    ):
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
    arn = cloud.client("sns").subscribe(
        TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"]
    )["SubscriptionArn"]
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
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props.get("MemorySize", 128)),
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
        }
    )
    env.update(cloud.environment)
    fn = LocalFunction(
        logical_id=rid,
        name=name,
        region=cloud.region,
        code_dir=REPO_ROOT / props["CodeUri"],
        handler=props["Handler"],
        timeout_s=int(props.get("Timeout", 3)),
        memory_mb=int(props.get("MemorySize", 128)),
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
        name=name,
        definition=json.dumps(definition),
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


CREATORS = {
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
