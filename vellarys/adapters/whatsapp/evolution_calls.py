"""Evolution's ``call`` event (Baileys' call record): a lead calling the agency's number.

A call rings (``offer``), then ends unanswered (``timeout``), refused (``reject``), answered
(``accept``) or hung up (``terminate``). The ring is recorded; an unanswered or refused call is
a missed call, answered by message. The rest says nothing new.
"""

from __future__ import annotations

from datetime import datetime

from vellarys.adapters.whatsapp.payload import Node, compact
from vellarys.domain.message import InboundMessage

_OUTCOMES = {"offer": "received", "timeout": "missed", "reject": "missed"}


def read_call(data: Node, when: datetime) -> InboundMessage | None:
    """The call as a message of type ``call`` (one per call and outcome), or None."""
    outcome = _OUTCOMES.get(data.opt_text("status") or "")
    caller = data["from"].text()
    if outcome is None or data.opt_flag("isGroup") or not caller.endswith("@s.whatsapp.net"):
        return None
    call_id = data["id"].text()
    return InboundMessage(
        external_id=f"call:{call_id}:{outcome}",
        phone=Node(caller.split("@", 1)[0], f"{data.path}.from").phone(),
        type="call",
        text="",
        timestamp=when,
        media=compact(call=outcome, video=data.opt_flag("isVideo"), call_id=call_id),
    )
