"""Lead sources, the portals' lead post and the webhook signature, as pure functions."""

from __future__ import annotations

import pytest

from vellarys.domain import lead_source
from vellarys.domain.portal_lead import InvalidPortalLead, read_portal_lead
from vellarys.domain.webhook import check_events, retry_delay, sign, verify

POST = {"originLeadId": "L1", "clientListingId": "AP-1", "ddd": "11", "phone": "988887777"}


def test_sources_are_the_known_ones_or_a_named_portal() -> None:
    assert lead_source.check_source(" Site ") == "site"
    assert lead_source.check_source("portal:zap") == "portal:zap"
    for bad in ("portal", "portal:", "portal:Zap Imóveis!", "facebook", ""):
        with pytest.raises(ValueError, match="Origem desconhecida"):
            lead_source.check_source(bad)
    assert lead_source.matches("portal") == ("portal:", True)
    assert lead_source.matches("ad") == ("ad", False)
    assert lead_source.portal_source("Grupo ZAP") == "portal:grupozap"
    assert lead_source.label("portal:vivareal") == "Portal · VivaReal"
    assert lead_source.label(None) == "WhatsApp direto"


def test_an_ads_referral_is_kept_bounded_and_named_by_its_headline() -> None:
    kept = lead_source.referral_details(
        {"headline": "Casa\x00 nova", "source_id": 42, "image_url": "x", "body": "b" * 900}
    )
    assert kept == {"headline": "Casa nova", "source_id": "42", "body": "b" * 500}
    assert lead_source.referral_campaign(kept) == "Casa nova"
    assert lead_source.referral_campaign({"source_id": "42"}) == "42"


def test_a_portal_post_is_read_with_its_phone_forms_and_refused_without_what_a_lead_needs() -> None:
    lead = read_portal_lead({**POST, "leadOrigin": "VivaReal", "temperature": "Alta"})
    assert (lead.phone, lead.source, lead.listing_code) == (
        "11988887777",
        "portal:vivareal",
        "AP-1",
    )
    assert lead.details == {"temperature": "Alta", "leadOrigin": "VivaReal", "portal_lead_id": "L1"}
    legacy = {**POST, "ddd": None, "phone": None, "phoneNumber": "11988887777"}
    assert read_portal_lead(legacy).phone == "11988887777"
    for post, reason in (
        ([], "objeto JSON"),
        ({**POST, "originLeadId": " "}, "originLeadId"),
        ({**POST, "clientListingId": None}, "clientListingId"),
        ({**POST, "phone": ""}, "telefone"),
        ({**POST, "name": {"first": "Ana"}}, "name precisa ser texto"),
        ({**POST, "message": "x" * 5000}, "message passa"),
    ):
        with pytest.raises(InvalidPortalLead, match=reason):
            read_portal_lead(post)


def test_webhook_signatures_bind_body_secret_and_time() -> None:
    header = sign("s3cret", b'{"a":1}', 1_700_000_000)
    assert verify("s3cret", b'{"a":1}', header, now=1_700_000_100)
    assert not verify("other", b'{"a":1}', header, now=1_700_000_100)
    assert not verify("s3cret", b'{"a":2}', header, now=1_700_000_100)
    assert not verify("s3cret", b'{"a":1}', header, now=1_700_001_000)  # too old: a replay
    assert not verify("s3cret", b'{"a":1}', "t=x,v1=y", now=1_700_000_000)
    assert [retry_delay(n, base_seconds=30) for n in range(1, 7)] == [
        30, 120, 600, 3600, 21600, None
    ]  # fmt: skip
    assert check_events(["message.received", "lead.created"]) == [
        "lead.created",
        "message.received",
    ]
    with pytest.raises(ValueError):
        check_events([])
