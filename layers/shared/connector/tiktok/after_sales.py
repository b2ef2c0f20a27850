"""After-sales: cancellations (the buyer's requests and the seller's own) and returns.

Seller cancel, the cancellation search and the return search are on 202602 (the same request
fields as 202309, answers with bundle sub-line items); the return rejection is on 202606, which
also wants the seller's ``decision``. Approving and rejecting a cancellation and approving a
return have no newer version than 202309."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from connector.tiktok.filters import CancellationFilter, ReturnFilter
from connector.tiktok.models import Cancellation, Page, Return, SellerCancelResult
from connector.tiktok.protocol import ShopRef
from connector.tiktok.transport import Service, drop_none, page_of, parse

CANCELLATIONS = "/return_refund/202602/cancellations"
CANCELLATIONS_SEARCH = "/return_refund/202602/cancellations/search"
CANCELLATION_APPROVE = "/return_refund/202309/cancellations/{cancel_id}/approve"
CANCELLATION_REJECT = "/return_refund/202309/cancellations/{cancel_id}/reject"
RETURNS_SEARCH = "/return_refund/202602/returns/search"
RETURN_APPROVE = "/return_refund/202309/returns/{return_id}/approve"
RETURN_REJECT = "/return_refund/202606/returns/{return_id}/reject"

#: The rejections a 202606 return rejection can decide (docs/tiktok.md). TikTok's list also has
#: OFFER_PARTIAL_REFUND_AFTER_RECEIVING_PKG, a counter-offer with an amount, which the connector never makes.
REJECT_DECISIONS = ("REJECT_REFUND", "REJECT_RETURN", "REJECT_RECEIVED_PACKAGE", "REJECT_REPLACEMENT")


class AfterSalesService(Service):
    """Each decision carries an ``idempotency_key`` (made here when the caller gave none), so a
    retried decision cannot be taken twice."""

    def search_cancellations(
        self,
        shop: ShopRef,
        filters: CancellationFilter | None = None,
        *,
        page_size: int = 50,
        page_token: str | None = None,
    ) -> Page[Cancellation]:
        data = self._transport.request(
            "POST",
            CANCELLATIONS_SEARCH,
            shop=shop,
            query={"page_size": page_size, "page_token": page_token},
            json=(filters or CancellationFilter()).wire(),
        )
        return page_of(data, "cancellations", Cancellation)

    def approve_cancellation(self, shop: ShopRef, cancel_id: str, *, idempotency_key: str | None = None) -> None:
        self._transport.request(
            "POST",
            CANCELLATION_APPROVE,
            shop=shop,
            path_params={"cancel_id": cancel_id},
            query={"idempotency_key": idempotency_key or uuid.uuid4().hex},
            json={},
        )

    def reject_cancellation(
        self,
        shop: ShopRef,
        cancel_id: str,
        *,
        reject_reason: str,
        comment: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        self._transport.request(
            "POST",
            CANCELLATION_REJECT,
            shop=shop,
            path_params={"cancel_id": cancel_id},
            query={"idempotency_key": idempotency_key or uuid.uuid4().hex},
            json=drop_none({"reject_reason": reject_reason, "comment": comment}),
        )

    def cancel_order(
        self,
        shop: ShopRef,
        order_id: str,
        *,
        cancel_reason: str,
        order_line_item_ids: Sequence[str] | None = None,
        skus: Sequence[Mapping[str, Any]] | None = None,
    ) -> SellerCancelResult:
        """Seller-initiated cancellation (whole order, or some line items / SKUs)."""
        body = drop_none(
            {
                "order_id": order_id,
                "cancel_reason": cancel_reason,
                "order_line_item_ids": list(order_line_item_ids) if order_line_item_ids else None,
                "skus": [dict(s) for s in skus] if skus else None,
            }
        )
        data = self._transport.request("POST", CANCELLATIONS, shop=shop, json=body)
        return parse(SellerCancelResult, data)

    def search_returns(
        self, shop: ShopRef, filters: ReturnFilter | None = None, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Return]:
        data = self._transport.request(
            "POST",
            RETURNS_SEARCH,
            shop=shop,
            query={"page_size": page_size, "page_token": page_token},
            json=(filters or ReturnFilter()).wire(),
        )
        return page_of(data, "return_orders", Return)

    def approve_return(
        self,
        shop: ShopRef,
        return_id: str,
        *,
        decision: str = "APPROVE_REFUND",
        idempotency_key: str | None = None,
    ) -> None:
        self._transport.request(
            "POST",
            RETURN_APPROVE,
            shop=shop,
            path_params={"return_id": return_id},
            query={"idempotency_key": idempotency_key or uuid.uuid4().hex},
            json={"decision": decision},
        )

    def reject_return(
        self,
        shop: ShopRef,
        return_id: str,
        *,
        decision: str,
        reject_reason: str,
        comment: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """``decision`` is one of :data:`REJECT_DECISIONS`: ``REJECT_REFUND`` for a refund-only
        request, ``REJECT_RETURN`` before the buyer ships, ``REJECT_RECEIVED_PACKAGE`` after."""
        if decision not in REJECT_DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(REJECT_DECISIONS)}")
        self._transport.request(
            "POST",
            RETURN_REJECT,
            shop=shop,
            path_params={"return_id": return_id},
            query={"idempotency_key": idempotency_key or uuid.uuid4().hex},
            json=drop_none({"decision": decision, "reject_reason": reject_reason, "comment": comment}),
        )
