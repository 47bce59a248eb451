"""The peers' chunkers, re-implemented from their code (LangChain's RecursiveCharacterTextSplitter,
LlamaIndex's SentenceSplitter) and fixed 500-character chunks (for scripts/peers/bench_peers.py)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# --- chunkers -------------------------------------------------------------------------------


def fixed_chunks(text: str, size: int = 500) -> list[str]:
    """Consecutive ``size``-character pieces, no overlap."""
    return [text[i : i + size] for i in range(0, len(text), size)]


class RecursiveCharacterSplitter:
    """LangChain's RecursiveCharacterTextSplitter with its defaults (keep_separator=True, i.e.
    at the start of the next piece; strip_whitespace=True; length = len), from its source."""

    def __init__(
        self,
        chunk_size: int = 1000,
        chunk_overlap: int = 200,
        separators: Sequence[str] = ("\n\n", "\n", " ", ""),
    ) -> None:
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.separators = list(separators)

    def split_text(self, text: str) -> list[str]:
        """The chunks of one document."""
        return self._split(text, self.separators)

    def _split(self, text: str, separators: list[str]) -> list[str]:
        separator, rest = separators[-1], []
        for i, candidate in enumerate(separators):
            if candidate == "":
                separator = candidate
                break
            if re.search(re.escape(candidate), text):
                separator, rest = candidate, separators[i + 1 :]
                break
        chunks: list[str] = []
        good: list[str] = []
        for piece in _split_keeping_separator(text, separator):
            if len(piece) < self.chunk_size:
                good.append(piece)
                continue
            if good:
                chunks.extend(self._merge(good))
                good = []
            chunks.extend(self._split(piece, rest) if rest else [piece])
        if good:
            chunks.extend(self._merge(good))
        return chunks

    def _merge(self, splits: list[str]) -> list[str]:
        # The separator is kept inside the pieces, so they are joined with "" (length 0).
        docs: list[str] = []
        current: list[str] = []
        total = 0
        for piece in splits:
            length = len(piece)
            if total + length > self.chunk_size and current:
                _append_stripped(docs, "".join(current))
                while total > self.chunk_overlap or (
                    total + length > self.chunk_size and total > 0
                ):
                    total -= len(current[0])
                    current = current[1:]
            current.append(piece)
            total += length
        _append_stripped(docs, "".join(current))
        return docs


def _split_keeping_separator(text: str, separator: str) -> list[str]:
    """LangChain's ``_split_text_with_regex`` with keep_separator=True ("start")."""
    if not separator:
        return [c for c in text if c != ""]
    parts = re.split(f"({re.escape(separator)})", text)
    splits = [parts[i] + parts[i + 1] for i in range(1, len(parts), 2)]
    if len(parts) % 2 == 0:
        splits += parts[-1:]
    return [s for s in [parts[0], *splits] if s != ""]


def _append_stripped(docs: list[str], text: str) -> None:
    stripped = text.strip()
    if stripped:
        docs.append(stripped)


_NUMBER = re.compile(r"^-?[\.,]?\d[\d,\.-]*\.?$")
_INITIAL = re.compile(r"^[^\W\d]\.$")
_CLOSERS = ")\"';}]*:@'({["


def sentence_starts(text: str) -> list[int]:
    """Where sentences start, by the rules of nltk's untrained PunktSentenceTokenizer (see the
    module docstring); always 0 first."""
    starts = [0]
    tokens = list(re.finditer(r"\S+", text))
    for current, following in itertools.pairwise(tokens):
        if _ends_sentence(current.group(), following.group()):
            starts.append(following.start())
    return starts


def _ends_sentence(token: str, following: str) -> bool:
    core = token.rstrip(_CLOSERS)
    if not core or core[-1] not in ".?!":
        return False
    if core[-1] in "?!":
        return True
    if core.endswith(".."):
        return False
    initial = bool(_INITIAL.match(core))
    if initial or _NUMBER.match(core):
        if following[0].islower():
            return False
        if initial and following[0].isupper():
            return False
    return True


def split_sentences(text: str) -> list[str]:
    """LlamaIndex's ``split_by_sentence_tokenizer``: each sentence runs to the next one's start,
    so the whitespace after a sentence stays with it."""
    starts = sentence_starts(text)
    ends = [*starts[1:], len(text)]
    return [text[a:b] for a, b in zip(starts, ends, strict=True)]


def _split_keep_sep_llama(text: str, separator: str) -> list[str]:
    """LlamaIndex's ``split_text_keep_separator``: the separator starts every later piece."""
    parts = text.split(separator)
    return [p for p in [parts[0], *(separator + p for p in parts[1:])] if p]


@dataclass
class _Split:
    text: str
    is_sentence: bool
    tokens: int


@dataclass
class SentenceSplitter:
    """LlamaIndex's SentenceSplitter (``split_text``), from its source."""

    count_tokens: Callable[[str], int]
    chunk_size: int = 256
    chunk_overlap: int = 20
    paragraph_separator: str = "\n\n\n"
    chunking_regex: str = "[^,.;。\uff1f\uff01]+[,.;。\uff1f\uff01]?|[,.;。\uff1f\uff01]"
    split_fns: list[Callable[[str], list[str]]] = field(default_factory=list)
    sub_sentence_fns: list[Callable[[str], list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        paragraph = self.paragraph_separator
        regex = self.chunking_regex
        self.split_fns = [lambda t: _split_keep_sep_llama(t, paragraph), split_sentences]
        self.sub_sentence_fns = [
            lambda t: re.findall(regex, t),
            lambda t: _split_keep_sep_llama(t, " "),
            list,
        ]

    def split_text(self, text: str) -> list[str]:
        """The chunks of one document."""
        if text == "":
            return []
        return self._merge(self._split(text))

    def _split(self, text: str) -> list[_Split]:
        size = self.count_tokens(text)
        if size <= self.chunk_size:
            return [_Split(text, True, size)]
        pieces, is_sentence = self._splits_by_fns(text)
        splits: list[_Split] = []
        for piece in pieces:
            size = self.count_tokens(piece)
            if size <= self.chunk_size:
                splits.append(_Split(piece, is_sentence, size))
            else:
                splits.extend(self._split(piece))
        return splits

    def _splits_by_fns(self, text: str) -> tuple[list[str], bool]:
        for split_fn in self.split_fns:
            pieces = split_fn(text)
            if len(pieces) > 1:
                return pieces, True
        pieces = [text]
        for split_fn in self.sub_sentence_fns:
            pieces = split_fn(text)
            if len(pieces) > 1:
                break
        return pieces, False

    def _merge(self, splits: list[_Split]) -> list[str]:
        chunks: list[str] = []
        current: list[tuple[str, int]] = []
        length = 0
        new_chunk = True
        index = 0
        while index < len(splits):
            split = splits[index]
            if length + split.tokens > self.chunk_size and not new_chunk:
                chunks.append("".join(text for text, _ in current))
                current, length = self._overlap(current)
                new_chunk = True
            elif split.is_sentence or length + split.tokens <= self.chunk_size or new_chunk:
                current.append((split.text, split.tokens))
                length += split.tokens
                index += 1
                new_chunk = False
            else:
                chunks.append("".join(text for text, _ in current))
                current, length = self._overlap(current)
                new_chunk = True
        if not new_chunk:
            chunks.append("".join(text for text, _ in current))
        return [c.strip() for c in chunks if c.strip()]

    def _overlap(self, last: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], int]:
        """Trailing splits of the closed chunk, whole, while they fit in the overlap."""
        carried: list[tuple[str, int]] = []
        length = 0
        for text, tokens in reversed(last):
            if length + tokens > self.chunk_overlap:
                break
            carried.insert(0, (text, tokens))
            length += tokens
        return carried, length
