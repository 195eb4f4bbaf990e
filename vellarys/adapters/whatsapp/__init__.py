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

from vellarys.adapters.whatsapp.evolution import EvolutionProvider
from vellarys.adapters.whatsapp.meta_cloud import MetaCloudProvider
from vellarys.adapters.whatsapp.simulator import SimulatorProvider
from vellarys.adapters.whatsapp.zapi import ZApiProvider
from vellarys.domain.ports import WhatsAppProvider
from vellarys.errors import ProviderError

PROVIDERS = ("meta", "zapi", "evolution", "simulator")

__all__ = [
    "PROVIDERS",
    "EvolutionProvider",
    "MetaCloudProvider",
    "SimulatorProvider",
    "ZApiProvider",
    "build_provider",
]


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
    the simulator. ``credentials`` keys, per provider:

    - ``meta``: ``access_token``, ``app_secret`` (``api_version`` optional, default v21.0)
    - ``zapi``: ``token``, ``client_token`` (may be empty), ``base_url`` (optional)
    - ``evolution``: ``api_key`` (the instance token), ``base_url``
    - ``simulator``: none

    A missing credential or an unknown provider raises a non-retryable ``ProviderError``.
    """
    if provider == "meta":
        return MetaCloudProvider(
            phone_number_id=identity,
            access_token=_required(credentials, "access_token", provider),
            app_secret=_required(credentials, "app_secret", provider),
            graph_url=meta_graph_url,
            http=http,
            api_version=credentials.get("api_version") or "v21.0",
        )
    if provider == "zapi":
        return ZApiProvider(
            instance_id=identity,
            token=_required(credentials, "token", provider),
            client_token=credentials.get("client_token", ""),
            base_url=credentials.get("base_url") or "https://api.z-api.io",
            http=http,
        )
    if provider == "evolution":
        return EvolutionProvider(
            instance=identity,
            api_key=_required(credentials, "api_key", provider),
            base_url=_required(credentials, "base_url", provider),
            http=http,
        )
    if provider == "simulator":
        return SimulatorProvider(identity=identity)
    raise ProviderError(f"unknown WhatsApp provider {provider!r}; expected one of {PROVIDERS}")


def _required(credentials: Mapping[str, str], key: str, provider: str) -> str:
    value = credentials.get(key)
    if not value:
        raise ProviderError(f"the {provider} channel has no {key!r} credential")
    return value
