"""GHL webhook bodies as they arrive on `ghl.events` (see shared/GHL.md).

Models are tolerant: unknown fields are kept, unknown `type`s parse as `UnknownWebhook`. The
Marketplace app's INSTALL / UNINSTALL are `AppWebhook`s (`parse_delivery`): they may name a
company and no location.
Only what the pipeline relies on is required, with the types GHL documents.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)


class GhlModel(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class Webhook(GhlModel):
    """Fields every webhook body has (`webhookId`/`timestamp` on marketplace deliveries)."""

    type: str = Field(min_length=1)
    locationId: str = Field(min_length=1, max_length=128)
    webhookId: str | None = None
    timestamp: str | None = None

    @field_validator("locationId")
    @classmethod
    def _no_blank_location(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("locationId is blank")
        return value


class MessageWebhook(Webhook):
    """InboundMessage / OutboundMessage."""

    contactId: str = Field(min_length=1)
    conversationId: str | None = None
    messageId: str | None = None
    body: str | None = None
    messageType: str | None = None
    messageTypeString: str | None = None
    contentType: str | None = None
    direction: str | None = None
    status: str | None = None
    dateAdded: str | None = None
    attachments: list[Any] = Field(default_factory=list)
    source: str | None = None
    userId: str | None = None
    subject: str | None = None
    threadId: str | None = None
    emailMessageId: str | None = None
    conversationProviderId: str | None = None
    # `from` is a keyword; email sends `to` as a list.
    from_: str | None = Field(default=None, alias="from")
    to: str | list[str] | None = None


class CustomField(GhlModel):
    id: str
    value: Any = None


class DndChannelSetting(GhlModel):
    status: str | None = None
    message: str | None = None
    code: str | None = None


class ContactWebhook(Webhook):
    """ContactCreate / Update / Delete / TagUpdate / DndUpdate: the whole contact."""

    id: str = Field(min_length=1)
    firstName: str | None = None
    lastName: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None
    country: str | None = None
    timezone: str | None = None
    companyName: str | None = None
    source: str | None = None
    dateAdded: str | None = None
    dateUpdated: str | None = None
    dnd: bool | None = None
    dndSettings: dict[str, DndChannelSetting] | None = None
    tags: list[str] = Field(default_factory=list)
    assignedTo: str | None = None
    customFields: list[CustomField] = Field(default_factory=list)


class NoteWebhook(Webhook):
    id: str
    contactId: str = Field(min_length=1)
    body: str | None = None
    dateAdded: str | None = None


class TaskWebhook(Webhook):
    id: str
    contactId: str = Field(min_length=1)
    assignedTo: str | None = None
    title: str | None = None
    body: str | None = None
    dueDate: str | None = None
    dateAdded: str | None = None


class OpportunityWebhook(Webhook):
    id: str
    contactId: str = Field(min_length=1)
    assignedTo: str | None = None
    name: str | None = None
    monetaryValue: float | None = None
    pipelineId: str | None = None
    pipelineStageId: str | None = None
    source: str | None = None
    status: str | None = None
    dateAdded: str | None = None


class Appointment(GhlModel):
    id: str
    contactId: str = Field(min_length=1)
    calendarId: str | None = None
    title: str | None = None
    address: str | None = None
    appointmentStatus: str | None = None
    assignedUserId: str | None = None
    startTime: str | None = None
    endTime: str | None = None
    notes: str | None = None
    dateAdded: str | None = None


class AppointmentWebhook(Webhook):
    appointment: Appointment


class ConversationUnreadWebhook(Webhook):
    id: str
    contactId: str = Field(min_length=1)
    unreadCount: int | None = None
    inbox: bool | None = None
    starred: bool | None = None
    deleted: bool | None = None


class UnknownWebhook(Webhook):
    """A type this version does not know: accepted, counted and passed on, never a crash."""


WEBHOOK_MODELS: dict[str, type[Webhook]] = {
    "InboundMessage": MessageWebhook,
    "OutboundMessage": MessageWebhook,
    "ContactCreate": ContactWebhook,
    "ContactUpdate": ContactWebhook,
    "ContactDelete": ContactWebhook,
    "ContactTagUpdate": ContactWebhook,
    "ContactDndUpdate": ContactWebhook,
    "NoteCreate": NoteWebhook,
    "TaskCreate": TaskWebhook,
    "OpportunityCreate": OpportunityWebhook,
    "OpportunityStageUpdate": OpportunityWebhook,
    "OpportunityStatusUpdate": OpportunityWebhook,
    "AppointmentCreate": AppointmentWebhook,
    "AppointmentUpdate": AppointmentWebhook,
    "ConversationUnreadUpdate": ConversationUnreadWebhook,
}


class AppWebhook(GhlModel):
    """The Marketplace app's INSTALL / UNINSTALL (to the app's default webhook URL). Not a
    `Webhook`: an agency-level one names its `companyId` and no `locationId` (a bulk install
    may list `locationIds`), so the receiver keys it by `locationId`, else by `companyId`
    (`key`)."""

    type: str = Field(min_length=1)
    appId: str | None = None
    companyId: str | None = Field(default=None, max_length=128)
    locationId: str | None = Field(default=None, max_length=128)
    locationIds: list[str] = Field(default_factory=list, max_length=10_000)
    userId: str | None = None
    planId: str | None = None
    trial: dict[str, Any] | None = None
    isWhitelabelCompany: bool | None = None
    companyName: str | None = None
    webhookId: str | None = None
    timestamp: str | None = None

    @model_validator(mode="after")
    def _names_a_location_or_company(self) -> AppWebhook:
        if not (self.locationId or "").strip() and not (self.companyId or "").strip():
            raise ValueError(f"{self.type} names neither a locationId nor a companyId")
        return self

    @property
    def key(self) -> str:
        """What the record is keyed by (as the receiver keys it): the location, else the
        company (stripped)."""
        if self.locationId is not None and self.locationId.strip():
            return self.locationId
        return (self.companyId or "").strip()

    @property
    def locations(self) -> tuple[str, ...]:
        """The locations it names (`locationId`, then `locationIds`; blank ones skipped),
        each once; empty for an agency-level event naming only its company."""
        named = [self.locationId or "", *self.locationIds]
        return tuple(dict.fromkeys(x for x in named if x.strip()))


class AppInstallWebhook(AppWebhook):
    """INSTALL: the app was installed for a location (or an agency, or several locations)."""


class AppUninstallWebhook(AppWebhook):
    """UNINSTALL: the app was removed from a location (or from a whole agency)."""


APP_WEBHOOK_MODELS: dict[str, type[AppWebhook]] = {
    "INSTALL": AppInstallWebhook,
    "UNINSTALL": AppUninstallWebhook,
}


def parse_webhook(data: object) -> Webhook:
    """Validate a decoded body as the model of its `type`; raises `ValidationError`."""
    if not isinstance(data, dict):
        # Let pydantic produce the usual error for a non-object body.
        return Webhook.model_validate(data)
    model = WEBHOOK_MODELS.get(str(data.get("type")), UnknownWebhook)
    return model.model_validate(data)


def parse_delivery(data: object) -> Webhook | AppWebhook:
    """A delivery to the webhook URL: the app's INSTALL / UNINSTALL, or a location's webhook
    (`parse_webhook`); raises `ValidationError`."""
    if isinstance(data, dict):
        app = APP_WEBHOOK_MODELS.get(str(data.get("type")))
        if app is not None:
            return app.model_validate(data)
    return parse_webhook(data)


__all__ = ["APP_WEBHOOK_MODELS", "WEBHOOK_MODELS", "AppWebhook", "ValidationError", "Webhook",
           "parse_delivery", "parse_webhook"]
