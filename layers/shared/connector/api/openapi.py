"""The merchant API's OpenAPI 3.1 document, generated from the routes the resolver really has.

Every route of the merchant API's resolver (``functions/merchant_api/app.py`` and every router it
includes) is listed with its path parameters and error responses; the routes declared through
:mod:`connector.api.routes` also carry their query, body and response schemas, built
from the pydantic models (``model_json_schema``). Powertools' own generator needs its data
validation switched on and route signatures in its style; ours read bodies and queries through
models already, so the document is built from those models instead.

    python -m connector.api.openapi --write   # docs/openapi.json from the current routes
    python -m connector.api.openapi --check   # exit 1 when docs/openapi.json is stale
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from pydantic import BaseModel

TITLE = "TikTok Shop connector: merchant API"
VERSION = "1"
REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"<([^>]+)>")


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    """A ``$ref`` to ``model``; its schema and the schemas it uses go to ``components``."""
    schema = model.model_json_schema(ref_template=REF, mode="serialization")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(mode="validation")
    required = set(schema.get("required", []))
    found = []
    for name, prop in schema.get("properties", {}).items():
        description = prop.pop("description", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        found.append(param)
    return found


def _tag(path: str) -> str:
    """``/connections/<id>/catalog/...`` -> ``catalog``; the connection's own routes -> ``connection``."""
    parts = [p for p in path.split("/") if p and not p.startswith("<")]
    return parts[1] if len(parts) > 1 and parts[0] == "connections" else "connection"


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}}}


def document(app: Any) -> dict[str, Any]:
    from connector.api.routes import ROUTES, model
    from connector.api.views import ErrorBody

    specs = {(s.method, s.path): s for s in ROUTES}
    components: dict[str, Any] = {}
    _schema(ErrorBody, components)
    paths: dict[str, dict[str, Any]] = {}
    routes = sorted(app._static_routes + app._dynamic_routes, key=lambda r: (r.path, r.method))
    routes = [r for r in routes if not r.path.startswith("/console")]  # the console's HTML pages: not API
    for route in routes:
        spec = specs.get((route.method, route.path))
        doc = (route.func.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        operation: dict[str, Any] = {
            "operationId": route.func.__name__,
            "summary": spec.summary if spec else (doc or route.func.__name__.replace("_", " ")),
            "tags": [spec.tag if spec else _tag(route.path)],
        }
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in _PARAM.findall(route.path)]
        if spec and spec.query:
            parameters += _query_parameters(model(spec.query))
        if parameters:
            operation["parameters"] = parameters
        if spec and spec.body:
            body_model = model("ConnectionSettings" if spec.body == "SettingsPatch" else spec.body)
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": _schema(body_model, components)}}}
        ok: dict[str, Any] = {"description": "OK"}
        if spec and spec.response is not None:
            ok["content"] = {"application/json": {"schema": _schema(model(spec.response), components)}}
        responses: dict[str, Any] = {"200": ok}
        if not spec or spec.authenticated:
            responses.update({"400": _error("The request is invalid (the fields are named)"),
                              "401": _error("No connection token or session"),
                              "403": _error("The credentials are not this connection's"),
                              "404": _error("No such item on this connection")})
            operation["security"] = [{"connectionToken": []}, {"session": []}]
        operation["responses"] = responses
        paths.setdefault(_PARAM.sub(r"{\1}", route.path), {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION,
                 "description": "A merchant's own connection: status, tasks, products, orders, overview, "
                                "settings. Authenticate with the connection token shown at the end of the "
                                "install (`Authorization: Bearer mt_...`) or the install's session cookie."},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "connectionToken": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "tts_session"}}},
    }


def document_json(app: Any) -> str:
    return json.dumps(document(app), indent=2, sort_keys=False) + "\n"


_SERVED: dict[int, str] = {}


def served_json(app: Any) -> str:
    """The document the API serves: built once per container (building it takes a good part of a
    second, too much to pay again on every anonymous request)."""
    if id(app) not in _SERVED:
        _SERVED[id(app)] = document_json(app)
    return _SERVED[id(app)]


def load_merchant_app() -> Any:
    """The merchant API's resolver, imported from the checkout (for the command and tests)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[4] / "functions" / "merchant_api" / "app.py"
    spec = importlib.util.spec_from_file_location("merchant_api_app_for_openapi", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def main(argv: list[str] | None = None) -> int:
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m connector.api.openapi", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write docs/openapi.json")
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/openapi.json is not current")
    parser.add_argument("--path", default=str(Path(__file__).resolve().parents[4] / "docs" / "openapi.json"))
    args = parser.parse_args(argv)
    text = document_json(load_merchant_app())
    target = Path(args.path)
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            sys.stderr.write(f"{target} is stale: run python -m connector.api.openapi --write\n")
            return 1
        return 0
    if args.write:
        target.write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {target}\n")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
