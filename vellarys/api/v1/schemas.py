"""Request and response models of ``/api/v1``: what the OpenAPI document promises."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from vellarys.domain import glossary
from vellarys.services.lead_acts import MAX_MESSAGE_CHARS

Stage = glossary.Stage
Temperature = glossary.Temperature
PropertyType = glossary.PropertyType
Transaction = glossary.Transaction
Sort = Literal["newest", "last_message", "score", "name"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
State = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
Address = Annotated[str, StringConstraints(max_length=300)]
PhotoUrl = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]


class Model(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Input(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class ErrorInfo(BaseModel):
    code: str = Field(examples=["NotFound"])
    message: str = Field(examples=["Lead não encontrado"])
    details: Any = Field(default=None, description="Per-field or per-row problems, when any.")


class ErrorOut(BaseModel):
    """The one error shape of the API."""

    error: ErrorInfo


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: 401 always, plus ``statuses``, all as ``ErrorOut``."""
    described = {
        400: "The request cannot be carried out (the message says why).",
        401: "Missing, malformed, unknown or revoked API key.",
        404: "No such object in this agency.",
        409: "The object's state does not allow it.",
        422: "The request does not match the schema.",
    }
    return {
        status: {"model": ErrorOut, "description": described[status]}
        for status in sorted({401, *statuses})
    }


class LeadOut(Model):
    id: uuid.UUID
    name: str | None
    phone: str
    stage: Stage
    temperature: Temperature
    score: int
    custom_data: dict[str, Any] = Field(description="The qualification profile.")
    summary: str | None
    assigned_user_id: uuid.UUID | None
    assigned_user_name: str | None = None
    channel_id: uuid.UUID | None
    ai_paused: bool
    opted_out: bool
    last_message_at: datetime | None
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None
    source: str = Field(
        description="Where the lead came from: whatsapp, ad, site, api, import, manual or "
        "portal:<name>."
    )
    campaign: str | None = None
    source_details: dict[str, Any] = Field(
        default_factory=dict,
        description="What arrived with the lead: Meta's ad `referral`, intake details.",
    )


class LeadPageOut(BaseModel):
    items: list[LeadOut]
    total: int
    page: int
    per_page: int


class LeadPatch(Input):
    stage: Stage | None = None
    loss_reason: str | None = Field(
        default=None, max_length=120, description="Required with stage lost: one of the agency's."
    )
    assigned_user_id: uuid.UUID | None = Field(
        default=None, description="A user of the agency; null takes the lead off its broker."
    )


class LeadIn(Input):
    """A lead from the agency's site or another system."""

    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=32)] = (
        Field(description="With DDD; +55 is assumed when no country code is given.")
    )
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None
    message: Annotated[str, StringConstraints(max_length=4096)] | None = Field(
        default=None, description="What the lead wrote on the form (kept, not answered)."
    )
    listing_code: Code | None = Field(
        default=None, description="The listing asked about; the first message names it."
    )
    source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = Field(
        default="site", description="site, api, manual, import, ad or portal:<name>."
    )
    campaign: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    details: dict[str, str | int | float | bool] = Field(
        default_factory=dict, max_length=20, description="UTM and other flat details."
    )
    external_id: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = Field(
        default=None,
        description="Your id for this lead: sending it again returns the same lead.",
    )
    greet: bool = Field(
        default=True, description="Send the first WhatsApp message (a template when required)."
    )


class LeadIntakeOut(BaseModel):
    lead: LeadOut
    created: bool = Field(description="A new lead (false: matched by phone, or a replay).")
    replayed: bool = Field(description="The same Idempotency-Key or external_id was seen.")
    listing_found: bool
    first_message_id: uuid.UUID | None
    not_greeted: str | None = Field(description="Why no first message was queued, if none.")


class MessageOut(Model):
    id: uuid.UUID
    lead_id: uuid.UUID
    role: Literal["user", "assistant", "broker", "system"]
    direction: Literal["inbound", "outbound"]
    type: glossary.MessageType
    content: str
    media: dict[str, Any]
    status: Literal["received", "pending", "uncertain", "sent", "delivered", "read", "failed"]
    error: str | None
    user_id: uuid.UUID | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None


class MessagePageOut(BaseModel):
    items: list[MessageOut]
    total: int
    page: int
    per_page: int


class MessageIn(Input):
    text: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS),
    ]


Money = Annotated[Decimal, Field(ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)]
Count = Annotated[int, Field(ge=0, le=99)]


class PropertyIn(Input):
    code: Code
    title: Title
    property_type: PropertyType
    transaction: Transaction
    price: Money
    condo_fee: Money | None = None
    iptu: Money | None = None
    bedrooms: Count = 0
    suites: Count = 0
    bathrooms: Count = 0
    parking: Count = 0
    area_m2: Money | None = None
    neighborhood: Place
    city: Place
    state: State = "SP"
    address: Address | None = None
    description: str = ""
    features: list[Text] = Field(default_factory=list)
    photos: list[PhotoUrl] = Field(default_factory=list)


class PropertyPatch(Input):
    """Only the fields sent change; ``available`` reactivates (or deactivates) a listing."""

    code: Code | None = None
    title: Title | None = None
    property_type: PropertyType | None = None
    transaction: Transaction | None = None
    price: Money | None = None
    condo_fee: Money | None = None
    iptu: Money | None = None
    bedrooms: Count | None = None
    suites: Count | None = None
    bathrooms: Count | None = None
    parking: Count | None = None
    area_m2: Money | None = None
    neighborhood: Place | None = None
    city: Place | None = None
    state: State | None = None
    address: Address | None = None
    description: str | None = None
    features: list[Text] | None = None
    photos: list[PhotoUrl] | None = None
    available: bool | None = None


class PropertyOut(Model):
    id: uuid.UUID
    code: str
    title: str
    property_type: PropertyType
    transaction: Transaction
    price: float
    condo_fee: float | None
    iptu: float | None
    bedrooms: int
    suites: int
    bathrooms: int
    parking: int
    area_m2: float | None
    neighborhood: str
    city: str
    state: str
    address: str | None
    description: str
    features: list[str]
    photos: list[str]
    available: bool
    created_at: datetime
    updated_at: datetime


class PropertyPageOut(BaseModel):
    items: list[PropertyOut]
    total: int
    page: int
    per_page: int


class ImportOut(BaseModel):
    created: int
    updated: int


class KnowledgeIn(Input):
    title: Title
    content: Annotated[str, StringConstraints(min_length=1)]
    source_type: Literal["text", "markdown"] = "text"


class DocumentOut(Model):
    id: uuid.UUID
    title: str
    filename: str | None
    source_type: Literal["text", "markdown", "pdf"]
    status: Literal["pending", "ready", "failed"]
    error: str | None
    characters: int
    created_at: datetime
    updated_at: datetime


class DocumentPageOut(BaseModel):
    items: list[DocumentOut]
    total: int
    page: int
    per_page: int


class HandoffOut(Model):
    id: uuid.UUID
    lead_id: uuid.UUID
    user_id: uuid.UUID | None
    reason: glossary.HandoffReason
    status: glossary.HandoffStatus
    summary: str | None
    profile: dict[str, Any]
    property_ids: list[Any] = Field(description="Codes of the properties shown to the lead.")
    created_at: datetime
    released_at: datetime | None
    notified_at: datetime | None


class HandoffPageOut(BaseModel):
    items: list[HandoffOut]
    total: int
    page: int
    per_page: int


class ExportLead(BaseModel):
    id: uuid.UUID
    phone: str
    name: str | None
    stage: Stage
    temperature: Temperature
    score: int
    summary: str | None
    summary_updated_at: datetime | None
    assigned_user_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    ai_paused: bool
    opted_out: bool
    opted_out_at: datetime | None
    last_message_at: datetime | None
    last_inbound_at: datetime | None
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None


class ExportMessage(BaseModel):
    id: uuid.UUID
    role: str
    direction: str
    type: str
    content: str
    media: dict[str, Any]
    status: str
    error: str | None
    user_id: uuid.UUID | None
    raw_payload: dict[str, Any] | None
    provider_timestamp: datetime | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None


class ExportHandoff(BaseModel):
    id: uuid.UUID
    reason: str
    status: str
    summary: str | None
    profile: dict[str, Any]
    property_ids: list[Any]
    user_id: uuid.UUID | None
    created_at: datetime
    released_at: datetime | None
    notified_at: datetime | None


class ExportNote(BaseModel):
    id: uuid.UUID
    body: str
    user_id: uuid.UUID | None
    created_at: datetime


class ExportAudit(BaseModel):
    id: uuid.UUID
    action: str
    user_id: uuid.UUID | None
    details: dict[str, Any]
    created_at: datetime


class ExportOut(BaseModel):
    """Everything Vellarys holds about one lead (LGPD, art. 18)."""

    exported_at: datetime
    lead: ExportLead
    profile: dict[str, Any]
    messages: list[ExportMessage]
    handoffs: list[ExportHandoff]
    notes: list[ExportNote]
    audit: list[ExportAudit]


class ErasureOut(BaseModel):
    lead_id: uuid.UUID
    erased_at: datetime
    already_erased: bool
    messages_deleted: int
    notes_deleted: int
    handoffs_anonymized: int
