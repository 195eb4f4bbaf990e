"""WhatsApp text from whatever a brain or a person wrote: the one renderer every outbound passes.

WhatsApp shows ``*bold*``, ``_italic_``, ``~strike~`` and plain lines; Markdown's ``**bold**``,
``# headings`` and ``| tables |`` arrive as raw symbols. ``bubbles`` turns a text into the
messages a lead receives: Markdown rewritten into WhatsApp's marks, lists as "•" lines, tables
as "Item: valor" lines, headings as bold lines, and a long text split at paragraph boundaries.
Rendering is idempotent, so text already in WhatsApp's format passes through unchanged.
"""

from __future__ import annotations

import re

BUBBLE_LIMIT = 1000  # a bubble longer than this is split, at a paragraph if there is one
_HARD_LIMIT = 4000  # WhatsApp refuses texts over 4096 characters

_FENCE = re.compile(r"^\s*(?:```|~~~)[\w-]*\s*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+|$)(.*?)(?:\s+#+)?\s*$")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_BULLET = re.compile(r"^(\s*)[-*+•·▪●◦]\s+")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
# Every run of spaces is closed by a "|" or the end, so no two runs compete (linear time).
_TABLE_SEPARATOR = re.compile(r"^\s*(?:\|\s*)?:?-+:?\s*(?:\|\s*:?-+:?\s*)*(?:\|\s*)?$")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(([^)\s]+)\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_BOLD_ITALIC = re.compile(r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_SEPARATOR_PIECE = re.compile(r"\|(?:\s*:?-+:?\s*\|)+")
_LEFTOVER = re.compile(r"\*{2,}|_{2,}|~{2,}")
_BLANK_RUN = re.compile(r"\n{3,}")
# A heading mark inside a line ("Ótimo! ### Opções"): any run of two or more, or a lone "#".
# One "#" before a word or a number ("#12", "#casapaulista") is plain text on WhatsApp.
# The lookbehind starts a match only where a run of blanks starts (linear on long runs).
_STRAY_HASH = re.compile(r"(?<![ \t])[ \t]*(?:#{2,}|#(?!\w))[ \t]*")
_MAX_PASSES = 6
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def bubbles(text: str, *, limit: int = BUBBLE_LIMIT) -> list[str]:
    """The WhatsApp messages that carry ``text``, split when one is longer than ``limit``."""
    rendered = render(text)
    if not rendered:
        return []
    return [piece for piece in _split(rendered, limit) if piece]


def render(text: str) -> str:
    """``text`` in WhatsApp's format, as one string (paragraphs separated by a blank line).

    Rewriting can expose new marks ("**#** x" leaves "# x"), so it runs to a fixed point; a
    last pass removes whatever Markdown a pathological input still leaves.
    """
    for _ in range(_MAX_PASSES):
        rendered = _render_once(text)
        if rendered == text:
            break
        text = rendered
    return _sanitised(text)


def _sanitised(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        previous = None
        while previous != line:
            previous = line
            line = _LEFTOVER.sub("", _SEPARATOR_PIECE.sub(" ", line)).strip()
            line = line.lstrip("#").strip() if line.startswith("#") else line
            line = _without_stray_hashes(line).strip()
            line = line.strip("|").strip() if _TABLE_ROW.match(line) else line
        lines.append(line)
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def _render_once(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if _TABLE_ROW.match(lines[i]):
            j = i
            while j < len(lines) and (_TABLE_ROW.match(lines[j]) or _is_separator(lines[j])):
                j += 1
            out.extend(_table(lines[i:j]))
            i = j
            continue
        out.extend(_line(lines[i]))
        i += 1
    joined = "\n".join(line.rstrip() for line in out)
    return _BLANK_RUN.sub("\n\n", joined).strip()


def _line(line: str) -> list[str]:
    if _FENCE.match(line) or _RULE.match(line) or _is_separator(line):
        return [] if line.strip() else [""]
    heading = _HEADING.match(line)
    if heading:
        title = _inline(heading.group(1)).strip("*_ ")
        return [f"*{title}*"] if title else []
    bullet = _BULLET.match(line)
    if bullet:
        return ["• " + _inline(line[bullet.end() :])]
    return [_inline(line)]


def _inline(text: str) -> str:
    text = _IMAGE.sub(lambda m: m.group(2), text)
    text = _LINK.sub(lambda m: _link(m.group(1), m.group(2)), text)
    previous = None
    while previous != text:  # "***x***" and nested marks need more than one pass
        previous = text
        text = _BOLD_ITALIC.sub(lambda m: "*_" + m.group(1).strip("*_ ") + "_*", text)
        text = _BOLD.sub(lambda m: _mark(m.group(1), m.group(2)), text)
        text = _STRIKE.sub(lambda m: "~" + m.group(1) + "~", text)
        text = _LEFTOVER.sub("", _SEPARATOR_PIECE.sub(" ", text))
        if text.lstrip().startswith("#"):  # a heading mark with no space after it
            text = text.lstrip().lstrip("#").lstrip()
        text = _without_stray_hashes(text)
    return text


def _without_stray_hashes(text: str) -> str:
    """Heading marks inside a line removed; the words on either side keep one space."""

    def gap(match: re.Match[str]) -> str:
        spaced = match.group() != match.group().strip()
        inside = match.start() > 0 and match.end() < len(text)
        return " " if spaced and inside else ""

    return _STRAY_HASH.sub(gap, text)


def _mark(marker: str, inner: str) -> str:
    inner = inner.strip("*_ ")
    if not inner:
        return ""
    return f"*{inner}*" if marker == "**" else f"_{inner}_"


def _link(label: str, url: str) -> str:
    return url if label.strip() == url.strip() else f"{label} ({url})"


def _is_separator(line: str) -> bool:
    return "-" in line and bool(_TABLE_SEPARATOR.match(line))


def _table(rows: list[str]) -> list[str]:
    """Rows as "Item: valor" lines; with more columns, each value named by its header."""
    cells = [_cells(row) for row in rows if not _is_separator(row)]
    has_header = len(rows) > 1 and _is_separator(rows[1])
    header = cells.pop(0) if has_header and cells else []
    lines = [_table_line(row, header) for row in cells]
    return ["", *[line for line in lines if line], ""]


def _cells(row: str) -> list[str]:
    inner = row.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    cells = [_inline(cell.strip()).replace("|", "/") for cell in inner.split("|")]
    return ["" if _RULE.match(cell) or _is_separator(cell) else cell for cell in cells]


def _table_line(row: list[str], header: list[str]) -> str:
    filled = [cell for cell in row if cell]
    if not filled:
        return ""
    if len(row) <= 2:
        return ": ".join(filled)
    first, rest = row[0], row[1:]
    names = header[1:] if len(header) == len(row) else [""] * len(rest)
    pairs = [f"{name}: {value}" if name else value for name, value in zip(names, rest, strict=True)]
    values = ", ".join(pair for pair, value in zip(pairs, rest, strict=True) if value)
    return f"{first} — {values}" if first else values


def _split(text: str, limit: int) -> list[str]:
    """Split at paragraph boundaries, then sentences, then words, so no piece passes ``limit``."""
    limit = max(1, min(limit, _HARD_LIMIT))
    if len(text) <= limit:
        return [text]
    for separator, pattern in (("\n\n", re.compile(r"\n\n")), ("\n", re.compile(r"\n"))):
        parts = pattern.split(text)
        if len(parts) > 1:
            return _pack([p.strip() for p in parts if p.strip()], separator, limit)
    sentences = _SENTENCE_END.split(text)
    if len(sentences) > 1:
        return _pack(sentences, " ", limit)
    return _pack(text.split(" "), " ", limit)


def _pack(parts: list[str], separator: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for part in parts:
        if len(part) > limit:
            if current:
                pieces.append(current)
                current = ""
            splittable = " " in part or "\n" in part
            pieces.extend(_split(part, limit) if splittable else _cut(part, limit))
            continue
        candidate = f"{current}{separator}{part}" if current else part
        if len(candidate) > limit:
            pieces.append(current)
            candidate = part
        current = candidate
    if current:
        pieces.append(current)
    return [piece.strip() for piece in pieces if piece.strip()]


def _cut(word: str, limit: int) -> list[str]:
    return [word[i : i + limit] for i in range(0, len(word), limit)]
