"""The merchant API's contract: every route the resolver has is an event of MerchantApiFunction
(the gateway serves only those), docs/openapi.json is the document generated from the current
routes, and the operations routes' query models refuse what does not fit, naming the field."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import ValidationError

from connector.api import openapi, routes
from connector.api import views as v
from local.cloud import template as tpl

TEMPLATE = tpl.load()
APP = openapi.load_merchant_app()


def _app_routes() -> set[tuple[str, str]]:
    return {(r.method, re.sub(r"<([^>]+)>", r"{\1}", r.path)) for r in APP._static_routes + APP._dynamic_routes}


def _template_routes() -> set[tuple[str, str]]:
    events = tpl.function_properties(TEMPLATE, "MerchantApiFunction")["Events"]
    return {(e["Properties"]["Method"].upper(), e["Properties"]["Path"]) for e in events.values()
            if e["Type"] == "HttpApi"}


def test_every_merchant_route_is_an_event_of_the_function_and_back() -> None:
    assert _app_routes() == _template_routes()


def test_docs_openapi_json_is_current() -> None:
    assert openapi.main(["--check"]) == 0, "run: python -m connector.api.openapi --write"


def test_document_describes_operations_routes_with_their_models() -> None:
    doc = openapi.document(APP)
    assert doc["openapi"].startswith("3.1")
    api_routes = {r for r in _app_routes() if not r[1].startswith("/console")}  # the console's pages are HTML
    assert {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops} == api_routes
    tasks = doc["paths"]["/connections/{connection_id}/tasks"]["get"]
    assert {p["name"] for p in tasks["parameters"]} == {"connection_id", "kind", "state", "limit", "page_token"}
    ok = tasks["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/TaskPage"}
    assert {"401", "403"} <= set(tasks["responses"])
    patch = doc["paths"]["/connections/{connection_id}/settings"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ConnectionSettings")
    schemas = doc["components"]["schemas"]
    for name in ("TaskPage", "TaskView", "ProductPage", "OrderPage", "Overview", "ConnectionSettings",
                 "NotificationSettings", "ErrorBody"):
        assert name in schemas, name
    # Every $ref resolves.
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc)))
    assert refs <= set(schemas)
    # Money is a string in the document (Decimal serialized), never a float.
    revenue = schemas["Overview"]["properties"]["revenue"]["additionalProperties"]
    assert revenue["type"] == "string"


def test_openapi_route_is_public_and_the_others_are_not() -> None:
    doc = openapi.document(APP)
    assert "security" not in doc["paths"]["/openapi.json"]["get"]
    secured = [ops for path, methods in doc["paths"].items() if path != "/openapi.json" for ops in methods.values()]
    assert secured and all(op["security"] for op in secured)


@pytest.mark.parametrize(("model", "query", "field"), [
    (v.TaskQuery, {"limit": "0"}, "limit"),
    (v.TaskQuery, {"limit": "101"}, "limit"),
    (v.TaskQuery, {"state": "exploded"}, "state"),
    (v.TaskQuery, {"kind": "mine"}, "kind"),
    (v.TaskQuery, {"color": "red"}, "color"),
    (v.TaskItemQuery, {"outcome": "Robert'); DROP"}, "outcome"),
    (v.ProductQuery, {"status": "great"}, "status"),
    (v.OrderQuery, {"state": "lost"}, "state"),
    (v.OrderQuery, {"limit": "many"}, "limit"),
    (v.OverviewQuery, {"days": "0"}, "days"),
    (v.OverviewQuery, {"days": "400"}, "days"),
    (v.OverviewQuery, {"top": "51"}, "top"),
])
def test_query_models_name_the_refused_field(model: Any, query: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(query)
    assert [".".join(str(p) for p in e["loc"]) for e in caught.value.errors()] == [field]


def test_query_models_accept_strings_from_the_query_string() -> None:
    q = v.OrderQuery.model_validate({"state": "blocked", "limit": "7", "page_token": "abc"})
    assert (q.state, q.limit, q.page_token) == ("blocked", 7, "abc")
    assert v.OverviewQuery.model_validate({}).days == 30


def test_other_features_can_describe_their_routes_models() -> None:

    route = next(r for r in APP._static_routes + APP._dynamic_routes if r.method == "POST"
                 and r.path.endswith("/check"))
    before = len(routes.ROUTES)
    routes.describe("POST", route.path, summary="Check the connection", tag="connection",
                    body="connector.settings:StockSettings", response="connector.settings:PriceSettings")
    try:
        op = openapi.document(APP)["paths"]["/connections/{connection_id}/check"]["post"]
    finally:
        del routes.ROUTES[before:]
    assert op["summary"] == "Check the connection"
    assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/StockSettings"}
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/PriceSettings")
    generic = openapi.document(APP)["paths"]["/connections/{connection_id}/check"]["post"]
    assert generic["summary"].startswith("Check both sides") and "requestBody" not in generic
