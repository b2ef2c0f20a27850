"""Reading template.yaml: YAML with CloudFormation's short-form tags, SAM Globals merged into
each function, and the intrinsic functions the template uses resolved against the local
resources. Anything the loader does not understand is an error, never a guess."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"


class TemplateError(Exception):
    """The template uses something the local cloud cannot bring up or resolve."""


class _Tag:
    def __init__(self, name: str, value: Any) -> None:
        self.name, self.value = name, value


def _loader() -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        pass

    def construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        key = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        return {key: value}

    Loader.add_multi_constructor("!", construct)
    return Loader


def load(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: Any = yaml.load(handle, Loader=_loader())  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict) or "Resources" not in data:
        raise TemplateError(f"{path.name} has no Resources")
    return dict(data)


def function_properties(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    """A function's properties with the template's Globals merged in (SAM's merge rules:
    maps merge, lists and scalars of the function win)."""
    globals_ = copy.deepcopy(template.get("Globals", {}).get("Function", {}))
    own = copy.deepcopy(template["Resources"][logical_id].get("Properties", {}))
    merged: dict[str, Any] = _merge(globals_, own)
    return merged


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return base + [item for item in override if item not in base]
    return override


@dataclass
class Resolver:
    """Resolves intrinsic functions. ``refs`` maps logical ids and parameters to their Ref
    value; ``attrs`` maps (logical id, attribute) to GetAtt values."""

    region: str
    stack_name: str
    parameters: dict[str, Any]
    conditions: dict[str, Any]
    refs: dict[str, Any] = field(default_factory=dict)
    attrs: dict[tuple[str, str], Any] = field(default_factory=dict)
    pending: Callable[[str], bool] = lambda _name: False

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": "",
        }

    def ref(self, name: str) -> Any:
        if name in self.pseudo():
            return self.pseudo()[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        raise TemplateError(f"Ref to {name!r}, which the local cloud has not brought up (yet)")

    def getatt(self, name: str, attribute: str) -> Any:
        try:
            return self.attrs[(name, attribute)]
        except KeyError:
            raise TemplateError(f"GetAtt {name}.{attribute} is not available locally") from None

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise TemplateError(f"unknown condition {name!r}")
        return bool(self.resolve(self.conditions[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.getatt(name, attribute)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                sep, items = arg
                return sep.join(str(self.resolve(i)) for i in self.resolve(items))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Equals":
                left, right = arg
                return self.resolve(left) == self.resolve(right)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            if key == "Condition":
                return self.condition(arg)
            if key.startswith("Fn::"):
                raise TemplateError(f"intrinsic {key} is not supported by the local cloud")
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] not in self.parameters:
                resource, attribute = name.split(".", 1)
                return str(self.getatt(resource, attribute))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


def substitute_definition(definition: str, substitutions: Mapping[str, Any]) -> dict[str, Any]:
    """Apply DefinitionSubstitutions to a state machine definition, as Step Functions does."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in substitutions:
            raise TemplateError(f"state machine definition uses ${{{name}}}, which has no substitution")
        return str(substitutions[name])

    text = re.sub(r"\$\{([A-Za-z0-9_]+)\}", replace, definition)
    try:
        parsed: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"state machine definition is not valid JSON after substitution: {exc}") from None
    return parsed
