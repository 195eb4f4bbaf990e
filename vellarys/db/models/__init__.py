"""All ORM models; importing this package registers every table on ``Base.metadata``."""

from vellarys.db.models.channel import Channel
from vellarys.db.models.console import LgpdRequest, LoginEvent, Operator, OperatorSession, Plan
from vellarys.db.models.feed import ListingFeed
from vellarys.db.models.followup import Notification, PlannedMessage
from vellarys.db.models.inbox import ConversationRead, QuickReply
from vellarys.db.models.integration import (
    LeadIntake,
    PortalIntake,
    WebhookDelivery,
    WebhookEndpoint,
)
from vellarys.db.models.knowledge import KnowledgeChunk, KnowledgeDocument, KnowledgeEmbedding
from vellarys.db.models.lead import Handoff, Lead, LeadNote
from vellarys.db.models.llm_trace import LlmTrace
from vellarys.db.models.login import LoginAttempt
from vellarys.db.models.mail import OutgoingEmail
from vellarys.db.models.media import MediaFile
from vellarys.db.models.message import Message, RejectedInbound
from vellarys.db.models.opportunity import Opportunity
from vellarys.db.models.property import Property, PropertyEmbedding
from vellarys.db.models.push import PushSubscription
from vellarys.db.models.report import AgencyGoal, BriefingMessage, BrokerGoal
from vellarys.db.models.security import ErasedIdentifier, ErasureSalt, PasswordReset, UserSession
from vellarys.db.models.system import LlmUsage, MessageRate, SystemSetting
from vellarys.db.models.tenant import ApiKey, AuditEntry, Tenant, User
from vellarys.db.models.visit import BrokerBlock, BrokerSchedule, Visit, VisitReminder

__all__ = [
    "AgencyGoal",
    "ApiKey",
    "AuditEntry",
    "BriefingMessage",
    "BrokerBlock",
    "BrokerGoal",
    "BrokerSchedule",
    "Channel",
    "ConversationRead",
    "ErasedIdentifier",
    "ErasureSalt",
    "Handoff",
    "KnowledgeChunk",
    "KnowledgeDocument",
    "KnowledgeEmbedding",
    "Lead",
    "LeadIntake",
    "LeadNote",
    "LgpdRequest",
    "ListingFeed",
    "LlmTrace",
    "LlmUsage",
    "LoginAttempt",
    "LoginEvent",
    "MediaFile",
    "Message",
    "MessageRate",
    "Notification",
    "Operator",
    "OperatorSession",
    "Opportunity",
    "OutgoingEmail",
    "PasswordReset",
    "Plan",
    "PlannedMessage",
    "PortalIntake",
    "Property",
    "PropertyEmbedding",
    "PushSubscription",
    "QuickReply",
    "RejectedInbound",
    "SystemSetting",
    "Tenant",
    "User",
    "UserSession",
    "Visit",
    "VisitReminder",
    "WebhookDelivery",
    "WebhookEndpoint",
]
