"""Paragraphs and property cards laid out as a few short WhatsApp messages."""

from collections.abc import Sequence

MAX_MESSAGES = 4
MESSAGE_LIMIT = 690  # WhatsApp allows far more; a lead on a phone reads a short message
MAX_PARAGRAPHS = 3
_BREAK = "\n\n"


def fits(blocks: Sequence[str]) -> bool:
    """Whether ``blocks`` fit in one message."""
    return len(_BREAK.join(blocks)) <= MESSAGE_LIMIT


def lay_out(before: Sequence[str], cards: Sequence[str], after: Sequence[str]) -> list[str]:
    """Text before the cards, the cards in one message, text after: at most four messages."""
    messages = _pack(before)
    if cards:
        messages.append(_BREAK.join(cards))
    messages += _pack(after)
    while len(messages) > MAX_MESSAGES:
        messages[-2:] = [_BREAK.join(messages[-2:])]
    return messages


def _pack(paragraphs: Sequence[str]) -> list[str]:
    """Fill each message with up to three paragraphs while it stays short."""
    messages: list[str] = []
    current: list[str] = []
    for paragraph in paragraphs:
        candidate = [*current, paragraph]
        if current and (len(candidate) > MAX_PARAGRAPHS or not fits(candidate)):
            messages.append(_BREAK.join(current))
            candidate = [paragraph]
        current = candidate
    if current:
        messages.append(_BREAK.join(current))
    return messages
