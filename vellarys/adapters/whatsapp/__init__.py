"""WhatsApp channels: each module speaks one provider's wire format.

Every provider turns its webhooks into the same ``InboundMessage``. The ``media`` dict uses
these keys, each present only when the payload had it:

- audio, image, video, document, sticker: ``media_id`` (Meta; fetch it from the Graph API) or
  ``url`` (Z-API, Evolution), ``mime_type``, ``sha256``, ``caption``, ``filename``,
  ``seconds``, ``voice`` (a voice note); ``text`` is the caption or "".
- location: ``latitude``, ``longitude`` (floats), ``name``, ``address``, ``url``; ``text`` is
  "name - address".
- interactive (button or list replies): ``interactive_type``, ``reply_id``, ``description``;
  ``text`` is the title the lead tapped.
- contacts: ``contacts``, a list of ``{"name", "phones", "vcard"}``; ``text`` the names.
- reaction: ``emoji`` ("" when removed) and ``reacted_to``, the message id reacted to.
- unknown: ``original_type`` when the provider named one.
- Meta also sets ``reply_to`` (the message quoted) and ``referral`` (the ad a lead came from).
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from vellarys.adapters.whatsapp import evolution, meta_cloud, simulator, zapi
from vellarys.adapters.whatsapp.evolution import EvolutionProvider
from vellarys.adapters.whatsapp.meta_cloud import MetaCloudProvider
from vellarys.adapters.whatsapp.registry import ChannelConfig, CredentialField, ProviderSpec
from vellarys.adapters.whatsapp.simulator import SimulatorProvider
from vellarys.adapters.whatsapp.zapi import ZApiProvider
from vellarys.domain.ports import WhatsAppProvider
from vellarys.errors import ProviderError

# Every provider, by name. Add a provider here (and to the channels table's check).
REGISTRY: Mapping[str, ProviderSpec] = {
    spec.name: spec for spec in (meta_cloud.SPEC, zapi.SPEC, evolution.SPEC, simulator.SPEC)
}
PROVIDERS = tuple(REGISTRY)
# The providers an agency admin connects (the simulator comes with every agency).
CONNECTABLE = tuple(name for name, spec in REGISTRY.items() if spec.connectable)

__all__ = [
    "CONNECTABLE",
    "PROVIDERS",
    "REGISTRY",
    "ChannelConfig",
    "CredentialField",
    "EvolutionProvider",
    "MetaCloudProvider",
    "ProviderSpec",
    "SimulatorProvider",
    "ZApiProvider",
    "build_provider",
    "spec_of",
]


def spec_of(provider: str) -> ProviderSpec:
    """The declaration of ``provider``; a non-retryable ``ProviderError`` when unknown."""
    spec = REGISTRY.get(provider)
    if spec is None:
        raise ProviderError(f"unknown WhatsApp provider {provider!r}; expected one of {PROVIDERS}")
    return spec


def build_provider(
    provider: str,
    *,
    identity: str,
    credentials: Mapping[str, str],
    http: httpx.AsyncClient,
    meta_graph_url: str,
) -> WhatsAppProvider:
    """Build the adapter for one configured channel.

    ``identity`` is what the provider's webhooks name the channel by: Meta's
    ``phone_number_id``, the Z-API instance id, the Evolution instance name, or any label for
    the simulator. ``credentials`` (opened, not sealed) hold the keys the provider's
    ``SPEC.fields`` declare. A missing credential or an unknown provider raises a
    non-retryable ``ProviderError``.
    """
    config = ChannelConfig(
        identity=identity, credentials=credentials, http=http, meta_graph_url=meta_graph_url
    )
    return spec_of(provider).build(config)
