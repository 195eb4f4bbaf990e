"""Split knowledge documents (Markdown or plain text) into overlapping chunks for retrieval.

A chunk is ~600-900 characters, ends at a paragraph or sentence boundary whenever it can, and
repeats the last ~120 characters of the previous chunk of the same section (no overlap across
a heading). The stored ``content`` of a chunk that starts mid-section begins with the nearest
heading line, so that every chunk reads on its own when handed to the brain; the document title
is not stored in the chunk but is prepended by ``embedding_text`` to the text that gets embedded.
"""

import re
from dataclasses import dataclass

MIN_CHARS = 600
MAX_CHARS = 900
OVERLAP_CHARS = 120

# Only the start of a Markdown heading is matched: "(.+?)\s*#*\s*$" backtracked
# quadratically over a long run of "#".
_HEADING = re.compile(r"\s{0,3}#{1,6}\s+\S")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…:;])\s+(?=[\"“'(\[*_-]?[A-ZÁÉÍÓÚÂÊÔÃÕÀÇ0-9])")
_SPACES = re.compile(r"[ \t\f\v\r]+")
_PARAGRAPH = "\n\n"


@dataclass(frozen=True, slots=True)
class Chunk:
    position: int
    content: str
    heading: str | None = None


@dataclass(frozen=True, slots=True)
class _Piece:
    """A sentence, a list line or a heading; ``sep`` joins it to the piece before it."""

    text: str
    sep: str
    heading: str | None
    is_heading: bool = False
    block_len: int = 0  # length of the whole paragraph this piece opens (0 inside a paragraph)


def split_text(
    text: str,
    *,
    min_chars: int = MIN_CHARS,
    max_chars: int = MAX_CHARS,
    overlap_chars: int = OVERLAP_CHARS,
) -> list[Chunk]:
    """The chunks of ``text`` in reading order (an empty list for blank text)."""
    if min_chars > max_chars or overlap_chars * 2 > max_chars:
        raise ValueError("chunk sizes must satisfy overlap*2 <= min <= max")
    pieces = _pieces(text, max_chars - overlap_chars)
    return _pack(pieces, min_chars, max_chars, overlap_chars)


def embedding_text(title: str, content: str) -> str:
    """What gets embedded for a chunk: the document title, then the chunk (heading included)."""
    title = title.strip()
    if not title or title.casefold() in content[: len(title) + 8].casefold():
        return content
    return f"{title}\n\n{content}"


def _blocks(text: str) -> list[tuple[str, bool]]:
    """Paragraphs and headings as ``(text, is_heading)``; a heading is its own block."""
    blocks: list[tuple[str, bool]] = []
    current: list[str] = []

    def close() -> None:
        if current:
            blocks.append(("\n".join(current), False))
            current.clear()

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").split("\n"):
        line = _SPACES.sub(" ", raw).strip()
        if _HEADING.match(line):
            close()
            blocks.append((line, True))
        elif line:
            current.append(line)
        else:
            close()
    close()
    return blocks


def _pieces(text: str, longest: int) -> list[_Piece]:
    pieces: list[_Piece] = []
    heading: str | None = None
    for block, is_heading in _blocks(text):
        if is_heading:
            heading = block
            pieces.append(_Piece(block, _PARAGRAPH, heading, True, len(block)))
            continue
        parts = _split_block(block, longest)
        for index, (part, sep) in enumerate(parts):
            opens = index == 0
            pieces.append(
                _Piece(part, _PARAGRAPH if opens else sep, heading, block_len=len(block) * opens)
            )
    return pieces


def _split_block(block: str, longest: int) -> list[tuple[str, str]]:
    """Sentences (or list lines) of a paragraph, each at most ``longest`` characters."""
    lines = block.split("\n")
    if len(lines) > 1 and sum(bool(_LIST_ITEM.match(line)) for line in lines) * 2 >= len(lines):
        units = [(line, "\n") for line in lines]
    else:
        units = [(sentence, " ") for sentence in _SENTENCE_END.split(" ".join(lines))]
    parts: list[tuple[str, str]] = []
    for unit, sep in units:
        sentences = _SENTENCE_END.split(unit) if sep == "\n" and len(unit) > longest else [unit]
        windows = [w for s in sentences for w in _word_windows(s, longest) if w]
        parts.extend((window, sep if i == 0 else " ") for i, window in enumerate(windows))
    return parts


def _word_windows(text: str, longest: int) -> list[str]:
    """A sentence too long for a chunk, cut between words."""
    windows: list[str] = []
    rest = text
    while len(rest) > longest:
        cut = rest.rfind(" ", 0, longest + 1)
        cut = cut if cut > longest // 2 else longest
        windows.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    windows.append(rest)
    return windows


def _length(pieces: list[_Piece]) -> int:
    return sum(len(p.text) + len(p.sep) for p in pieces) - (len(pieces[0].sep) if pieces else 0)


def _pack(pieces: list[_Piece], min_chars: int, max_chars: int, overlap: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    current: list[_Piece] = []
    carried = 0  # how many leading pieces of ``current`` repeat the previous chunk
    for piece in pieces:
        size = _length(current)
        fresh = len(current) > carried
        if fresh and _should_break(piece, size, min_chars, max_chars):
            chunks.append(_chunk(len(chunks), current))
            current = [] if piece.is_heading else _overlap(current, overlap)
            carried = len(current)
            if current and _length([*current, piece]) > max_chars:
                current, carried = [], 0
        current.append(piece)
    if len(current) > carried:
        chunks.append(_chunk(len(chunks), current))
    return chunks


def _should_break(piece: _Piece, size: int, min_chars: int, max_chars: int) -> bool:
    grown = size + len(piece.sep) + len(piece.text)
    if grown > max_chars:
        return True
    if size < min_chars:
        return False
    # Long enough already: stop at a heading, or before a paragraph that would not fit whole.
    return piece.is_heading or (piece.block_len > 0 and size + 2 + piece.block_len > max_chars)


def _overlap(pieces: list[_Piece], overlap: int) -> list[_Piece]:
    """The trailing whole sentences worth about ``overlap`` characters, else a word tail."""
    tail: list[_Piece] = []
    for piece in reversed(pieces):
        if piece.is_heading or _length([piece, *tail]) > overlap * 3 // 2:
            break
        tail.insert(0, piece)
    if tail:
        return tail
    last = pieces[-1]
    if last.is_heading:
        return []
    start = last.text.find(" ", max(0, len(last.text) - overlap))
    if start < 0:
        return []
    return [_Piece(last.text[start + 1 :], _PARAGRAPH, last.heading)]


def _chunk(position: int, pieces: list[_Piece]) -> Chunk:
    body = pieces[0].text + "".join(p.sep + p.text for p in pieces[1:])
    heading = pieces[0].heading
    if heading and not pieces[0].is_heading:
        body = f"{heading}\n{body}"
    return Chunk(position=position, content=body, heading=heading)
