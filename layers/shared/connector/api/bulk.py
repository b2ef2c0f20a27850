"""Bulk product actions that answer at once (no task): pre-validate and exclude / include, on
the products named or on the whole catalog a page at a time.

    POST /connections/{connection_id}/catalog/validate  {"product_ids": [...]} | {"all": true, "page_token"?}
    POST /connections/{connection_id}/catalog/exclude   (same body)
    POST /connections/{connection_id}/catalog/include   (same body)

Pre-validation runs the push's own checks and sends nothing; an excluded product is never pushed
until it is included again. With ``all`` the answer covers one page and carries
``next_page_token`` until the last.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from connector.api import body, correlation, new_router, owned
from connector.errors import BadRequest, Conflict, NotFound
from connector.web import json_response

router = new_router()

MAX_PRODUCTS = 500


class ProductSelection(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    product_ids: list[str] | None = Field(default=None, min_length=1, max_length=MAX_PRODUCTS)
    """Store product ids (1 to 500)."""
    all: bool = False
    """Every product of the connection, one page per request."""
    page_token: str | None = Field(default=None, max_length=2000)
    """With ``all``: the page after the one an earlier answer ended on."""

    @model_validator(mode="after")
    def _one_of(self) -> ProductSelection:
        if self.all == (self.product_ids is not None):
            raise ValueError("give either product_ids (1 to 500 store product ids) or all: true")
        if self.page_token is not None and not self.all:
            raise ValueError("page_token goes with all: true")
        for pid in self.product_ids or []:
            if not pid.strip() or len(pid) > 128:
                raise ValueError("product_ids holds an empty or over-long id")
        return self


def selection(request_router: Any) -> ProductSelection:
    try:
        return body(request_router, ProductSelection)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        raise BadRequest(f"the body is not a selection of products: {problems}", reason="invalid_body") from None


def bad_token() -> BadRequest:
    return BadRequest("the page token is not one this listing gave out", reason="bad_page_token")


def verdict_json(verdict: Any) -> dict[str, Any]:
    return {"product_id": verdict.store_product_id, "title": verdict.title, "outcome": verdict.outcome,
            "problems": [{"code": p.code, "message": p.message, "blocking": p.blocking} for p in verdict.problems]}


def validate_selection(cat: Any, request: ProductSelection) -> tuple[list[Any], str | None]:
    """The verdicts of a selection (the console's screen calls this too)."""
    from connector.catalog.prevalidate import check_page, check_products

    if request.all:
        try:
            return check_page(cat, request.page_token)
        except ValueError:
            raise bad_token() from None
    verdicts = check_products(cat, [p.strip() for p in request.product_ids or []])
    return verdicts, None


@router.post("/connections/<connection_id>/catalog/validate")
def validate(connection_id: str) -> Any:
    from connector.catalog.context import open_catalog
    from connector.connections.wiring import wire

    w = wire()
    owned(router, w, connection_id)
    request = selection(router)
    verdicts, token = validate_selection(open_catalog(w.c, connection_id, correlation(router)), request)
    counts: dict[str, int] = {}
    for verdict in verdicts:
        counts[verdict.outcome] = counts.get(verdict.outcome, 0) + 1
    return json_response(200, {"checked": len(verdicts), "counts": counts,
                               "products": [verdict_json(v) for v in verdicts], "next_page_token": token})


def _exclusion(connection_id: str, excluded: bool) -> Any:
    from connector.catalog.exclusion import set_excluded, set_excluded_page
    from connector.catalog.records import ProductRepository
    from connector.connections.wiring import wire
    from connector.runtime import now

    w = wire()
    connection = owned(router, w, connection_id)
    request = selection(router)
    if connection.state == "disconnected":
        raise Conflict(f"connection {connection_id} is disconnected", reason="connection_disconnected")
    repo = ProductRepository(w.env.table_name)
    token = None
    if request.all:
        try:
            changed, token = set_excluded_page(repo, connection_id, excluded, int(now()), request.page_token)
        except ValueError:
            raise bad_token() from None
    else:
        changed, unknown = set_excluded(repo, connection_id, [p.strip() for p in request.product_ids or []],
                                        excluded, int(now()))
        if unknown:
            raise NotFound(f"unknown store products: {', '.join(unknown[:10])} (pull them first)",
                           reason="unknown_product")
    return json_response(200, {"excluded": excluded, "changed": changed, "next_page_token": token})


@router.post("/connections/<connection_id>/catalog/exclude")
def exclude(connection_id: str) -> Any:
    return _exclusion(connection_id, True)


@router.post("/connections/<connection_id>/catalog/include")
def include(connection_id: str) -> Any:
    return _exclusion(connection_id, False)


def _describe() -> None:
    from connector.api.routes import describe

    me = "connector.api.bulk"
    describe("POST", "/connections/<connection_id>/catalog/validate", tag="catalog", body=f"{me}:ProductSelection",
             summary="Pre-validate products (or the whole catalog, a page at a time) with the push's own checks: "
                     "each product ready or the reasons it is not; nothing is sent")
    describe("POST", "/connections/<connection_id>/catalog/exclude", tag="catalog", body=f"{me}:ProductSelection",
             summary="Exclude products from sync: they are never pushed until included again")
    describe("POST", "/connections/<connection_id>/catalog/include", tag="catalog", body=f"{me}:ProductSelection",
             summary="Include excluded products in sync again")


_describe()
