"""TikTok Shop webhooks: verification and typed events (see docs/tiktok.md).

``parse_event(raw_body)`` turns the raw bytes into one of the event models below, chosen by
the envelope's integer ``type``. Types we do not model (TikTok documents many more) become
:class:`UnknownEvent`, a no-op, never an error. Ids that arrive as JSON numbers are coerced
to ``str`` (never through float). Verify the ``Authorization`` header with
:func:`verify` *before* parsing.

Payloads are thin hints: re-fetch the order or product before acting.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from connector.errors import BadRequest
from connector.tiktok.fields import Id, Text
from connector.tiktok.signing import verify_webhook

# Status spellings that differ from the Open API's.
ORDER_STATUS_CANCEL = "CANCEL"  # webhook 1; order search says CANCELLED
CANCELLATION_REQUEST_CANCELLED = "CANCELLATION_REQUEST_CANCELLED"  # webhook 11; search says _CANCEL


class InvalidWebhook(BadRequest):
    """The body is not a TikTok webhook envelope (answer 400; TikTok will retry)."""

    code = "invalid_webhook"


def verify(app_key: str, app_secret: str, raw_body: bytes, authorization: str | None) -> bool:
    """Constant-time check of the ``Authorization`` header over the raw body bytes."""
    return verify_webhook(app_key, app_secret, raw_body, authorization)


class _Data(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


def _text_list(value: Any) -> Any:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    return value


TextList = Annotated[list[str], BeforeValidator(_text_list)]


class OrderStatusChangeData(_Data):
    order_id: Id
    order_status: str
    is_on_hold_order: bool | None = None
    update_time: int | None = None


class ReverseStatusUpdateData(_Data):
    order_id: Id | None = None
    reverse_order_id: Id | None = None
    reverse_order_status: Text | None = None
    reverse_event_type: str | None = None
    reverse_type: Text | None = None
    update_time: int | None = None


class RecipientAddressUpdateData(_Data):
    order_id: Id
    update_time: int | None = None


class PackageListEntry(_Data):
    package_id: Id
    order_id_list: TextList = Field(default_factory=list)


class PackageUpdateData(_Data):
    sc_type: str | None = None
    role_type: str | None = None
    package_list: list[PackageListEntry] = Field(default_factory=list)
    update_time: int | None = None


class ProductStatusChangeData(_Data):
    product_id: Id
    status: str
    suspended_reason: str | None = None
    update_time: int | None = None


class SellerDeauthorizationData(_Data):
    message: str | None = None


class UpcomingAuthorizationExpirationData(_Data):
    message: str | None = None
    expiration_time: Text | None = None


class CancellationStatusChangeData(_Data):
    order_id: Id
    cancellations_role: str | None = None
    cancel_status: str
    cancel_id: Id | None = None
    create_time: int | None = None


class ReturnStatusChangeData(_Data):
    order_id: Id
    return_role: str | None = None
    return_type: str | None = None
    return_status: str
    return_id: Id | None = None
    create_time: int | None = None
    update_time: int | None = None


class ConversationData(_Data):
    conversation_id: Id | None = None
    message_id: Id | None = None
    type: str | None = None
    create_time: int | None = None


class ProductInformationChangeData(_Data):
    product_id: Id
    change_source: str | None = None
    changed_fields: TextList = Field(default_factory=list)


class ProductCreationData(_Data):
    product_id: Id
    product_types: TextList = Field(default_factory=list)


class InventoryStatusChangeData(_Data):
    product_id: Id
    sku_id: Id | None = None
    current_inventory_status: str | None = None
    inventory_distribution: Any = None


class Audit(_Data):
    status: str
    pre_approved_reasons: TextList = Field(default_factory=list)


class ProductAuditStatusChangeData(_Data):
    product_id: Id
    audit: Audit


#: The envelope's ``timestamp`` is UNIX seconds, at most the last second of year 9999.
MAX_TIMESTAMP = 253_402_300_799


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)

    event_type: ClassVar[str] = "UNKNOWN"
    type: int
    tts_notification_id: Annotated[Id, Field(min_length=1, max_length=128)] | None = None
    shop_id: Annotated[Id, Field(max_length=64)] | None = None
    timestamp: int | None = Field(default=None, ge=0, le=MAX_TIMESTAMP)

    @property
    def dedupe_key(self) -> str:
        """The producer's id for this notification; a content hash when TikTok sent none."""
        if self.tts_notification_id:
            return self.tts_notification_id
        data = getattr(self, "data", None)
        dumped = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
        canonical = json.dumps(
            {"type": self.type, "shop_id": self.shop_id, "timestamp": self.timestamp, "data": dumped},
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class OrderStatusChange(_Envelope):
    event_type: ClassVar[str] = "ORDER_STATUS_CHANGE"
    type: Literal[1]
    data: OrderStatusChangeData


class ReverseStatusUpdate(_Envelope):
    event_type: ClassVar[str] = "REVERSE_STATUS_UPDATE"
    type: Literal[2]
    data: ReverseStatusUpdateData


class RecipientAddressUpdate(_Envelope):
    event_type: ClassVar[str] = "RECIPIENT_ADDRESS_UPDATE"
    type: Literal[3]
    data: RecipientAddressUpdateData


class PackageUpdate(_Envelope):
    event_type: ClassVar[str] = "PACKAGE_UPDATE"
    type: Literal[4]
    data: PackageUpdateData


class ProductStatusChange(_Envelope):
    event_type: ClassVar[str] = "PRODUCT_STATUS_CHANGE"
    type: Literal[5]
    data: ProductStatusChangeData


class SellerDeauthorization(_Envelope):
    event_type: ClassVar[str] = "SELLER_DEAUTHORIZATION"
    type: Literal[6]
    data: SellerDeauthorizationData = Field(default_factory=SellerDeauthorizationData)


class UpcomingAuthorizationExpiration(_Envelope):
    event_type: ClassVar[str] = "UPCOMING_AUTHORIZATION_EXPIRATION"
    type: Literal[7]
    data: UpcomingAuthorizationExpirationData = Field(default_factory=UpcomingAuthorizationExpirationData)


class CancellationStatusChange(_Envelope):
    event_type: ClassVar[str] = "CANCELLATION_STATUS_CHANGE"
    type: Literal[11]
    data: CancellationStatusChangeData


class ReturnStatusChange(_Envelope):
    event_type: ClassVar[str] = "RETURN_STATUS_CHANGE"
    type: Literal[12]
    data: ReturnStatusChangeData


class NewConversation(_Envelope):
    event_type: ClassVar[str] = "NEW_CONVERSATION"
    type: Literal[13]
    data: ConversationData = Field(default_factory=ConversationData)


class NewMessage(_Envelope):
    event_type: ClassVar[str] = "NEW_MESSAGE"
    type: Literal[14]
    data: ConversationData = Field(default_factory=ConversationData)


class ProductInformationChange(_Envelope):
    event_type: ClassVar[str] = "PRODUCT_INFORMATION_CHANGE"
    type: Literal[15]
    data: ProductInformationChangeData


class ProductCreation(_Envelope):
    event_type: ClassVar[str] = "PRODUCT_CREATION"
    type: Literal[16]
    data: ProductCreationData


class InventoryStatusChange(_Envelope):
    event_type: ClassVar[str] = "INVENTORY_STATUS_CHANGE"
    type: Literal[27]
    data: InventoryStatusChangeData


class ProductAuditStatusChange(_Envelope):
    event_type: ClassVar[str] = "PRODUCT_AUDIT_STATUS_CHANGE"
    type: Literal[37]
    data: ProductAuditStatusChangeData


class UnknownEvent(_Envelope):
    """A type we do not model: acknowledge it and do nothing."""

    data: dict[str, Any] | list[Any] | None = None


KnownEvent = (
    OrderStatusChange
    | ReverseStatusUpdate
    | RecipientAddressUpdate
    | PackageUpdate
    | ProductStatusChange
    | SellerDeauthorization
    | UpcomingAuthorizationExpiration
    | CancellationStatusChange
    | ReturnStatusChange
    | NewConversation
    | NewMessage
    | ProductInformationChange
    | ProductCreation
    | InventoryStatusChange
    | ProductAuditStatusChange
)
WebhookEvent = KnownEvent | UnknownEvent

EVENT_TYPES: dict[int, type[_Envelope]] = {
    1: OrderStatusChange,
    2: ReverseStatusUpdate,
    3: RecipientAddressUpdate,
    4: PackageUpdate,
    5: ProductStatusChange,
    6: SellerDeauthorization,
    7: UpcomingAuthorizationExpiration,
    11: CancellationStatusChange,
    12: ReturnStatusChange,
    13: NewConversation,
    14: NewMessage,
    15: ProductInformationChange,
    16: ProductCreation,
    27: InventoryStatusChange,
    37: ProductAuditStatusChange,
}


def parse_event(raw: bytes | str | dict[str, Any]) -> WebhookEvent:
    """The typed event of a webhook body. Raises :class:`InvalidWebhook` only when the body is
    not an envelope at all, or a known type carries malformed data."""
    if isinstance(raw, dict):
        payload: Any = raw
    else:
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise InvalidWebhook("webhook body is not JSON") from None
    if not isinstance(payload, dict):
        raise InvalidWebhook("webhook body is not a JSON object")
    kind = payload.get("type")
    if isinstance(kind, str) and kind.isascii() and kind.isdigit() and len(kind) <= 6:
        kind = int(kind)
        payload = {**payload, "type": kind}
    model = EVENT_TYPES.get(kind) if isinstance(kind, int) and not isinstance(kind, bool) else None
    try:
        if model is None:
            if not isinstance(kind, int) or isinstance(kind, bool):
                payload = {**payload, "type": -1}
            return UnknownEvent.model_validate(payload)
        event = model.model_validate(payload)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
        raise InvalidWebhook(f"webhook type {kind} is malformed at: {', '.join(fields)}") from None
    assert isinstance(event, KnownEvent)  # every entry of EVENT_TYPES is a KnownEvent member
    return event
