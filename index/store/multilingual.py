"""The second build phase (issue #32): what questions in other languages, and documents in
them, are answered from — made after the English index serves, beside the version it belongs to.

For each version, in ``versions/<name>/multilingual/`` (written whole in a staging folder, then
renamed; a version without it is simply not ready yet)::

    vectors.npz      passages' and sentences' multilingual-e5 vectors, 8-bit (one scale each)
    passages-*.npy   the passages' latent terms (``latent.py``), read into memory
    sentences-*.npy  the sentences' latent terms, memory-mapped (read for candidates only)
    languages.json   each document's detected language
    terms.npz  terms.json   BM25 counts of the passages, stemmed in each document's language

The English files of the version are never touched, so English answers cannot change. The
vectors are e5's own; they are scored with the language directions taken out
(``multilingual_vectors.py``), so new directions need no rebuild.
Vectors are cached by text like the English ones (``embeddings.sqlite``, another model key):
a changed passage re-embeds only itself.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..encoder.cache import EmbeddingCache, embed_with_cache
from ..encoder.directions import LanguageDirections
from ..encoder.multilingual import MultilingualEncoder
from ..languages import detect_language
from ..stemming import language_tokens
from .latent import LatentIndex, LatentTermsForCache
from .loaded import LoadedIndex
from .multilingual_vectors import NeutralVectors, QuantisedVectors
from .terms import Terms
from .versions import fsync_dir, fsync_files, phase_lock

FOLDER = "multilingual"
_VECTORS = "vectors.npz"
_LANGUAGES = "languages.json"
_PASSAGES, _SENTENCES = "passages", "sentences"  # the latent terms' files
StageCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class MultilingualIndex:
    """The second phase of one index version, in memory."""

    languages: dict[str, str]  # document id → ISO 639-1 code
    passages: NeutralVectors
    sentences: NeutralVectors
    terms: Terms
    latent: LatentIndex  # the passages'
    sentence_latent: LatentIndex

    def document_languages(self, documents: Iterable[str]) -> set[str]:
        """The languages of ``documents``."""
        return {self.languages[d] for d in documents if d in self.languages}

    def with_directions(self, directions: LanguageDirections) -> MultilingualIndex:
        """The same phase scored with other language directions taken out (for measuring)."""
        return dataclasses.replace(
            self,
            passages=NeutralVectors.kept(self.passages.vectors, directions),
            sentences=NeutralVectors(self.sentences.vectors, directions),
        )


@dataclass
class MultilingualReport:
    """What the second phase did (for the CLI and the library's progress)."""

    version: str
    embedded: int = 0
    reused: int = 0
    latent_encoded: int = 0  # texts whose latent terms were computed (not in the cache)
    languages: dict[str, int] | None = None
    superseded: bool = False  # the version was pruned before its phase finished


def is_ready(version_dir: Path) -> bool:
    """Whether the second phase of the version in ``version_dir`` is complete."""
    return (version_dir / FOLDER / _VECTORS).is_file()


def document_language(text: str) -> str:
    """A document's language, from its text."""
    return detect_language(text).code


def build_multilingual(
    index: LoadedIndex,
    index_dir: Path,
    encoder: MultilingualEncoder,
    on_stage: StageCallback | None = None,
) -> MultilingualReport:
    """Make the second phase of ``index`` (a whole loaded version of ``index_dir``).

    Nothing is done when it is there already. Safe beside a build of a newer version: if the
    version is pruned meanwhile, the report says ``superseded`` (the vectors computed so far
    stay in the cache for the next version).

    Args:
        index: the version, as loaded.
        index_dir: its index folder (the embedding cache is there).
        encoder: the multilingual model.
        on_stage: called with (stage, done, total) as the phase progresses.
    """
    stage = on_stage or (lambda _stage, _done, _total: None)
    report = MultilingualReport(index.version)
    if is_ready(index.path):
        return report
    texts = [p.search_text for p in index.passages] + [s.text for s in index.sentences]
    # While another server's phase is waited for: the vectors and the latent terms of each text.
    stage("multilingual", 0, 2 * len(set(texts)))
    with phase_lock(index_dir):
        if is_ready(index.path):  # another server made it meanwhile
            return report
        _make(index, index_dir, encoder, texts, stage, report)
    return report


def _make(
    index: LoadedIndex,
    index_dir: Path,
    encoder: MultilingualEncoder,
    texts: list[str],
    stage: StageCallback,
    report: MultilingualReport,
) -> None:
    languages = {key: document_language(d.text) for key, d in index.documents.items()}
    report.languages = dict(Counter(languages.values()))
    passage_texts = [p.search_text for p in index.passages]
    # One count for the whole phase: the vectors, then each text's latent terms (the same
    # texts: the passages' and the sentences').
    work = len(set(texts))
    vectors, report.embedded = _cached(
        encoder, index_dir, texts, lambda d, t: stage("multilingual", d, t + work)
    )
    packed, report.latent_encoded = _cached(
        LatentTermsForCache(encoder),
        index_dir,
        texts,
        lambda d, t: stage("multilingual", work + d, work + t),
    )
    report.reused = work - report.embedded
    terms = Terms.of(
        language_tokens(p.search_text, [languages[p.document_id]]) for p in index.passages
    )
    unpacked = LatentTermsForCache.unpack(packed)
    latent = (
        LatentIndex.of(unpacked[: len(passage_texts)]),
        LatentIndex.of(unpacked[len(passage_texts) :]),
    )
    try:
        _write(index.path, languages, vectors, len(index.passages), terms, latent)
    except FileNotFoundError:
        report.superseded = True


def _cached(
    encoder: MultilingualEncoder | LatentTermsForCache,
    index_dir: Path,
    texts: list[str],
    progress: Callable[[int, int], None],
) -> tuple[np.ndarray, int]:
    """``texts`` encoded, reusing what the index folder's embedding cache holds."""
    cache = EmbeddingCache(index_dir / "embeddings.sqlite", encoder.model_key)
    try:
        return embed_with_cache(encoder, cache, texts, progress=progress)
    finally:
        cache.close()


def _write(
    version_dir: Path,
    languages: dict[str, str],
    vectors: np.ndarray,
    passage_count: int,
    terms: Terms,
    latent: tuple[LatentIndex, LatentIndex],
) -> None:
    staging = version_dir / f".{FOLDER}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        passages = QuantisedVectors.of(vectors[:passage_count])
        sentences = QuantisedVectors.of(vectors[passage_count:])
        np.savez(
            staging / _VECTORS,
            passage_codes=passages.codes,
            passage_scales=passages.scales,
            sentence_codes=sentences.codes,
            sentence_scales=sentences.scales,
        )
        latent[0].save(staging, _PASSAGES)
        latent[1].save(staging, _SENTENCES)
        (staging / _LANGUAGES).write_text(json.dumps(languages), encoding="utf-8")
        terms.save(staging)
        fsync_files(staging)
        os.replace(staging, version_dir / FOLDER)
        fsync_dir(version_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def load_multilingual(
    version_dir: Path, directions: LanguageDirections | None = None
) -> MultilingualIndex | None:
    """The second phase of the version in ``version_dir``; None while it is not ready.
    Its vectors are scored without ``directions`` (by default the shipped ones)."""
    if not is_ready(version_dir):
        return None
    folder = version_dir / FOLDER
    with np.load(folder / _VECTORS) as arrays:
        passages = QuantisedVectors(arrays["passage_codes"], arrays["passage_scales"])
        sentences = QuantisedVectors(arrays["sentence_codes"], arrays["sentence_scales"])
    languages = json.loads((folder / _LANGUAGES).read_text(encoding="utf-8"))
    directions = directions or LanguageDirections.load()
    return MultilingualIndex(
        languages,
        NeutralVectors.kept(passages, directions),
        NeutralVectors(sentences, directions),
        Terms.load(folder),
        LatentIndex.load(folder, _PASSAGES),
        LatentIndex.load(folder, _SENTENCES, mapped=True),
    )
