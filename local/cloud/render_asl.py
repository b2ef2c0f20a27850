"""Render every state machine definition of template.yaml with its DefinitionSubstitutions
(placeholder ARNs, parameter defaults for numbers) into a folder, so asl-validator can lint the
JSON Step Functions will really see. Usage: python -m local.cloud.render_asl OUT_DIR"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from local.cloud import template as tpl


def placeholder(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict) and "Ref" in value and value["Ref"] in parameters:
        spec = parameters[value["Ref"]]
        default = spec.get("Default", "placeholder")
        return default
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        name = value["Fn::GetAtt"][0]
        return f"arn:aws:lambda:us-east-1:{tpl.ACCOUNT_ID}:function:{name}"
    if isinstance(value, dict) and "Ref" in value:
        return f"arn:aws:states:us-east-1:{tpl.ACCOUNT_ID}:stateMachine:{value['Ref']}"
    return value


def render(out_dir: Path) -> list[Path]:
    template = tpl.load()
    parameters = template.get("Parameters", {})
    written = []
    for rid, res in template["Resources"].items():
        if res["Type"] != "AWS::Serverless::StateMachine":
            continue
        props = res["Properties"]
        text = (tpl.REPO_ROOT / props["DefinitionUri"]).read_text(encoding="utf-8")
        subs = {k: placeholder(v, parameters) for k, v in (props.get("DefinitionSubstitutions") or {}).items()}
        definition = tpl.substitute_definition(text, subs)
        path = out_dir / f"{rid}.asl.json"
        path.write_text(json.dumps(definition, indent=2), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    for path in render(target):
        print(path)
