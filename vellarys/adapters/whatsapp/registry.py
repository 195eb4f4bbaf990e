"""What each WhatsApp provider declares about itself: name, label and credential fields.

The command line, the channels page, the channel service and the bootstrap all read these
declarations, so a provider's credentials are listed once, next to its adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from vellarys.domain.ports import WhatsAppProvider
from vellarys.errors import ProviderError


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One credential a channel of this provider stores.

    ``secret`` values are sealed in the database and never shown again; ``url`` values are
    addresses the adapter connects to, checked against private networks.
    """

    key: str
    label: str  # pt-BR, shown on the channels page
    help: str  # English, shown by the command line
    secret: bool = True
    required: bool = True
    url: bool = False

    @property
    def option(self) -> str:
        return "--" + self.key.replace("_", "-")


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """What building an adapter for one stored channel takes (credentials already opened)."""

    identity: str
    credentials: Mapping[str, str]
    http: httpx.AsyncClient
    meta_graph_url: str

    def required(self, key: str, provider: str) -> str:
        value = self.credentials.get(key)
        if not value:
            raise ProviderError(f"the {provider} channel has no {key!r} credential")
        return value


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str
    label: str  # pt-BR
    identity_label: str  # pt-BR: what identifies the channel in the provider's webhooks
    identity_option: str  # the command line's option for it
    fields: tuple[CredentialField, ...]
    build: Callable[[ChannelConfig], WhatsAppProvider]
    # False for the simulator: created with its agency, never added by an admin.
    connectable: bool = True

    @property
    def secret_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.secret)

    @property
    def url_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.url)

    @property
    def required_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.required)
