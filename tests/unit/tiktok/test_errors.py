"""Error families: which code or HTTP status becomes which exception, and what they carry."""

from __future__ import annotations

import pytest

from connector.errors import ConnectorError, UpstreamError
from connector.tiktok import errors as e


@pytest.mark.parametrize(
    ("code", "status", "family", "retryable"),
    [
        (106001, 401, e.InvalidSignature, False),
        (105002, 401, e.TokenExpired, False),
        (105005, 200, e.ScopeError, False),
        (105001, 401, e.AuthError, False),
        (106013, 200, e.ShopCipherError, False),
        (101000, 200, e.ShopCipherError, False),
        (36009033, 403, e.AuthError, False),
        (36009002, 429, e.RateLimited, True),
        (-1, 429, e.RateLimited, True),
        (36009003, 500, e.ServerError, True),
        (-1, 503, e.ServerError, True),
        (36009007, 504, e.Timeout, True),
        (36009004, 400, e.BadRequest, False),
        (36009014, 400, e.BadRequest, False),
        (36009010, 405, e.BadRequest, False),
        (12052525, 200, e.ProductValidationError, False),
        (12052300, 400, e.ProductValidationError, False),
        (12019028, 200, e.ProductValidationError, False),
        (12052093, 200, e.ListingLimitReached, False),
        (12052700, 404, e.TikTokNotFound, False),
        (21011001, 200, e.TikTokNotFound, False),
        (99999999, 200, e.TikTokError, False),
    ],
)
def test_family_by_code_and_status(code: int, status: int, family: type[e.TikTokError], retryable: bool) -> None:
    error = e.error_for(code, "msg", request_id="rid", http_status=status, path="/x/{id}")
    assert type(error) is family
    assert error.retryable is retryable
    assert error.tiktok_code == code
    assert error.request_id == "rid"
    assert isinstance(error, UpstreamError) and isinstance(error, ConnectorError)


def test_validation_error_is_a_listing_problem_not_an_auth_one() -> None:
    error = e.error_for(12052301, "Main image is not uploaded")
    assert isinstance(error, e.ProductValidationError)
    assert not isinstance(error, e.AuthError | e.BadRequest)


def test_text_has_code_path_and_request_id() -> None:
    error = e.error_for(
        12052525, "Too many sales attributes", request_id="202401010101", path="/product/202309/products"
    )
    text = str(error)
    assert "12052525" in text and "202401010101" in text and "/product/202309/products" in text
    assert error.reason == "tiktok:12052525"


def test_long_messages_are_cut() -> None:
    error = e.error_for(1, "x" * 5000)
    assert len(error.tiktok_message) == 500
