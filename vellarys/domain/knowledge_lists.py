"""Answers a document gives by its shape rather than by one sentence.

"Quais documentos vocês pedem pra alugar?" is answered by a section's list (every item, word for
word), not by the one sentence most similar to the question; "não tenho fiador, tem outra
opção?" by the document's other sections (the other guarantees), each with its opening
sentence. Both quote the agency's text verbatim; only the list marks become WhatsApp's "•".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vellarys.domain.excerpt import sentences, stems
from vellarys.domain.text import fold

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)(?:[-*+•]|\d{1,2}[.)])\s+(.*\S)")
# "quais documentos...?", "o que preciso levar?", "que papéis...?": the lead wants the list.
_ASKS_LIST = re.compile(
    r"\bquais\b|\bque (?:documentos?|papeis|papelada|certidoes)\b"
    r"|\bo que (?:eu )?(?:preciso|precisa|tenho que|tem que|devo)"
    r" (?:levar|mandar|enviar|apresentar)"
)
# "não tenho fiador, tem outra opção?": the lead lacks one option and asks for the others.
_LACKS = re.compile(
    r"\b(?:nao|nem) (?:tenho|tem|consigo|quero|possuo|arrumo)(?: um| uma| o| a)? (\w+)"
)
_OTHERS = re.compile(
    r"\b(?:outras? (?:opc\w*|forma\w*|jeito\w*|manei\w*|saida\w*)|alternativ\w*)\b"
)
MAX_LIST_CHARS = 700
MIN_OPTIONS = 2


@dataclass
class _Section:
    heading: str
    level: int
    lines: list[str] = field(default_factory=list)

    def has_table(self) -> bool:
        return any(line.lstrip().startswith("|") for line in self.lines)

    def items(self) -> list[tuple[int, str]]:
        """(depth, text) of each list item, in order; depth 0 is the top level."""
        found = []
        for line in self.lines:
            item = _ITEM.match(line)
            if item:
                found.append((1 if len(item.group(1).expandtabs(4)) >= 2 else 0, item.group(2)))
        return found


def asks_for_structure(question: str) -> bool:
    """Whether ``question`` may be answered by a list or by the other options (cheap check)."""
    folded = fold(question)
    return bool(_ASKS_LIST.search(folded) or (_LACKS.search(folded) and _OTHERS.search(folded)))


def structured_answer(document: str, question: str) -> str | None:
    """The other options, or the list the question asks for, from ``document``; else None."""
    sections = _sections(document)
    return _alternatives(sections, question) or _listed(sections, question)


def _alternatives(sections: list[_Section], question: str) -> str | None:
    folded = fold(question)
    lacking = _LACKS.search(folded)
    if lacking is None or not _OTHERS.search(folded):
        return None
    missing = stems(lacking.group(1))
    if not missing:
        return None
    level = min((s.level for s in sections if s.level > 1), default=2)
    # A section with a table compares the options; it is not one of them.
    options = [s for s in sections if s.level == level and not s.has_table()]
    lacked = [s for s in options if missing & stems(s.heading)]
    others = [(s, _opening(s)) for s in options if s not in lacked]
    others = [(s, first) for s, first in others if first]
    if not lacked or len(others) < MIN_OPTIONS:
        return None
    lines = [f"• *{_plain(s.heading)}*: {first}" for s, first in others]
    return _whatsapp(f"Sem {lacking.group(1)}, você tem estas opções:\n" + "\n".join(lines))


def _listed(sections: list[_Section], question: str) -> str | None:
    if not _ASKS_LIST.search(fold(question)):
        return None
    keys = stems(question)
    # The title speaks for every section: the question's other words pick one when they can.
    title = stems(" ".join(s.heading for s in sections if s.level == 1))
    section = _named_list(sections, keys - title) or _named_list(sections, keys)
    if section is None:
        return None
    lines: list[str] = []
    size = 0
    for depth, text in section.items():
        line = ("   – " if depth else "• ") + text  # "–" is no list mark to the renderer
        if size + len(line) > MAX_LIST_CHARS:
            break
        lines.append(line)
        size += len(line) + 1
    if len(lines) < MIN_OPTIONS:
        return None
    return _whatsapp(f"*{_plain(section.heading)}*\n" + "\n".join(lines))


def _named_list(sections: list[_Section], keys: frozenset[str]) -> _Section | None:
    """The list section whose heading names the most of ``keys`` (its items break a tie)."""
    scored = [
        (len(keys & stems(s.heading)), len(keys & stems(" ".join(t for _, t in s.items()))), -n, s)
        for n, s in enumerate(sections)
        if len([d for d, _ in s.items() if d == 0]) >= MIN_OPTIONS
    ]
    scored = [entry for entry in scored if entry[0] > 0]
    return max(scored, key=lambda entry: entry[:3])[3] if scored else None


def _sections(document: str) -> list[_Section]:
    found = [_Section("", 0)]
    for line in document.splitlines():
        heading = _HEADING.match(line)
        if heading:
            found.append(_Section(heading.group(2), len(heading.group(1))))
        elif line.strip():
            found[-1].lines.append(line)
    return found


def _opening(section: _Section) -> str | None:
    """The section's first sentence outside a list, table or worked example."""
    prose = "\n".join(line for line in section.lines if not _ITEM.match(line))
    found = sentences(prose)
    return found[0] if found else None


def _whatsapp(text: str) -> str:
    return text.replace("**", "*")  # documents are Markdown; WhatsApp bolds with one


def _plain(heading: str) -> str:
    return heading.replace("*", "").replace("_", "").strip()
