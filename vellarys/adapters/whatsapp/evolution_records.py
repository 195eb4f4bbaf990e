"""Evolution API's own record of what was sent (``POST /chat/findMessages/{instance}``).

Evolution keeps every message its instance sent, so a send whose answer was lost (the worker
died after Evolution accepted it) is settled by asking for it, instead of being sent again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

# Evolution's clock and ours may differ a little; a record this much older still counts.
CLOCK_SLACK = timedelta(seconds=120)
# Records asked for per chat: a send is looked up minutes after it, never days.
RECENT = 50


def chat_ids(number: str) -> list[str]:
    """The chat ids a Brazilian mobile may be stored under, likeliest first: Evolution drops
    the ninth digit of mobiles outside areas 11-30 (WhatsApp's own ids predate the digit)."""
    full = f"{number}@s.whatsapp.net"
    if not (number.startswith("55") and len(number) == 13 and number[4] == "9"):
        return [full]
    short = f"{number[:4]}{number[5:]}@s.whatsapp.net"
    return [short, full] if int(number[2:4]) >= 31 else [full, short]


def query(chat_id: str) -> dict[str, Any]:
    """The ``findMessages`` body: our own messages in one chat, newest first."""
    return {"where": {"key": {"remoteJid": chat_id, "fromMe": True}}, "offset": RECENT, "page": 1}


def matching_id(answer: Any, *, text: str, since: datetime) -> str | None:
    """The id of the record with exactly ``text`` sent at or after ``since`` (less the slack)."""
    floor = (since - CLOCK_SLACK).timestamp()
    for record in _records(answer):
        raw_key = record.get("key")
        key: dict[str, Any] = raw_key if isinstance(raw_key, dict) else {}
        sent_at, found = record.get("messageTimestamp"), key.get("id")
        if not isinstance(sent_at, int | float) or sent_at < floor or key.get("fromMe") is False:
            continue
        if _text(record.get("message")) == text and isinstance(found, str) and found:
            return found
    return None


def _records(answer: Any) -> Iterator[dict[str, Any]]:
    messages = answer.get("messages") if isinstance(answer, dict) else None
    records = messages.get("records") if isinstance(messages, dict) else messages
    for record in records if isinstance(records, list) else []:
        if isinstance(record, dict):
            yield record


def _text(message: Any) -> str | None:
    if not isinstance(message, dict):
        return None
    if isinstance(message.get("conversation"), str):
        return str(message["conversation"])
    extended = message.get("extendedTextMessage")
    if isinstance(extended, dict) and isinstance(extended.get("text"), str):
        return str(extended["text"])
    return None
