"""Building an index version: incremental, atomic, locked (``load.py`` loads one).

Layout of ``index_dir``::

    CURRENT                    name of the version being served (replaced atomically)
    versions/<name>/           one complete index version (never modified once published)
        manifest.json  documents.json  passages.json  sentences.json
        passages.faiss  sentences.npy  words.json  words.npy  acronyms.json
        terms.npz  terms.json      BM25's raw counts (terms.py)
    embeddings.sqlite          vectors by (model, text hash), reused across builds
    parsed.sqlite              what each file's bytes read into (index/corpus.py), reused
    build.lock                 held (flock) while a build runs
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ..acronyms import corpus_acronyms, expand_acronyms
from ..corpus import load_corpus
from ..documents import Document
from ..encoder.cache import EmbeddingCache, embed_with_cache
from ..encoder.embedder import Embedder
from ..formats.options import ReadOptions
from ..formats.parse import SUPPORTED_SUFFIXES as SUPPORTED
from ..passages import PassageOptions, PassageRecord, SentenceRecord, cut_passages
from ..problems import NothingToIndex
from ..text import content_terms
from .dense import EXACT_SEARCH_LIMIT
from .terms import Terms, bm25_tokens
from .versions import (
    FORMAT_VERSION,
    STORED_VECTOR_DTYPE,
    build_lock,
    current_version,
    fsync_dir,
    fsync_files,
    prune_versions,
    publish,
    versions_dir,
)

StageCallback = Callable[[str, int, int], None]


@dataclass
class BuildReport:
    """What a build did, for the CLI and the admin endpoint."""

    version: str
    documents: int
    passages: int
    sentences: int
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0
    reused: int = 0
    skipped_files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Every file the build found in the corpus (read or skipped), relative to it: a file added
    # while the build ran is not among them, and waits for the next build.
    files: list[str] = field(default_factory=list)


# --- build -------------------------------------------------------------------------------------


def corpus_digest(documents: list[Document]) -> str:
    """A digest of every document's path and content."""
    h = hashlib.sha256()
    for d in sorted(documents, key=lambda d: d.path):
        h.update(f"{d.path}\0{d.digest}\n".encode())
    return h.hexdigest()


def corpus_vocabulary(sentences: list[SentenceRecord]) -> list[str]:
    """Every content word of the corpus, once, sorted."""
    return sorted({t for s in sentences for t in content_terms(s.text)})


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    options: PassageOptions | None = None,
    on_stage: StageCallback | None = None,
    reading: ReadOptions | None = None,
) -> BuildReport:
    """Build a new index version from ``corpus_dir`` and publish it.

    Only passages and sentences whose text is not in the embedding cache are embedded. The new
    version is written to a staging directory and published by an atomic rename of CURRENT, so a
    crash at any point leaves the previous version serving.

    Args:
        corpus_dir: the folder of documents.
        index_dir: the index folder (versions, cache, lock).
        embedder: the embedding model.
        options: passage size and overlap.
        on_stage: called with (stage, done, total) as the build progresses.
        reading: OCR, time and memory budgets and caps for reading each file (a file that
            fails is skipped and reported, the rest are built).

    Raises:
        BuildInProgress: another build holds the lock.
        FileNotFoundError: ``corpus_dir`` does not exist.
        NothingToIndex: no file gave any text (the version served before stays).
    """
    options = options or PassageOptions()
    stage = on_stage or (lambda _stage, _done, _total: None)
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder {corpus_dir} does not exist")
    started = time.perf_counter()
    with build_lock(index_dir):
        stage("read", 0, 0)
        documents, skipped = load_corpus(
            corpus_dir,
            reading,
            index_dir / "parsed.sqlite",
            on_file=lambda done, total: stage("read", done, total),
        )
        previous = _previous_documents(index_dir)
        sentences: list[SentenceRecord] = []
        passages: list[PassageRecord] = []
        for document in documents:
            doc_sentences, doc_passages = cut_passages(document, len(sentences), options)
            sentences.extend(doc_sentences)
            passages.extend(doc_passages)
        if not passages:  # the version being served (if any) stays
            why = f": {'; '.join(skipped[:3])}" if skipped else ""
            raise NothingToIndex(
                f"nothing to index in {corpus_dir}: no supported file ({', '.join(SUPPORTED)}) "
                f"gave any text{why}"
            )

        cache = EmbeddingCache(index_dir / "embeddings.sqlite", embedder.model_key)
        try:
            # Single words too: the abstention check compares question words with answer words,
            # and looking corpus words up beats embedding them while a user waits.
            words = corpus_vocabulary(sentences)
            # Each document's acronyms spell out its own text only: what one document defines
            # must not change how another is indexed (issue #31).
            acronyms = {d.id: corpus_acronyms([d.text]) for d in documents}
            texts = (
                [expand_acronyms(p.search_text, acronyms[p.document_id]) for p in passages]
                + [expand_acronyms(s.text, acronyms[s.document_id]) for s in sentences]
                + words
            )
            vectors, embedded = embed_with_cache(
                embedder, cache, texts, progress=lambda d, t: stage("embed", d, t)
            )
        finally:
            cache.close()
        passage_vectors = vectors[: len(passages)]
        sentence_vectors = vectors[len(passages) : len(passages) + len(sentences)]
        word_vectors = vectors[len(passages) + len(sentences) :]

        stage("write", 0, 0)
        name = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]
        manifest = {
            "format_version": FORMAT_VERSION,
            "version": name,
            "model": embedder.model_name,
            "model_key": embedder.model_key,
            "dimension": embedder.dimension,
            "corpus_digest": corpus_digest(documents),
            "document_count": len(documents),
            "passage_count": len(passages),
            "sentence_count": len(sentences),
            "passage_options": dataclasses.asdict(options),
            "faiss_index": "flat-ip" if len(passages) <= EXACT_SEARCH_LIMIT else "hnsw32",
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        _write_version(
            index_dir,
            name,
            manifest,
            documents,
            passages,
            sentences,
            passage_vectors,
            sentence_vectors,
            words,
            word_vectors,
            acronyms,
        )
        publish(index_dir, name)
        prune_versions(index_dir)

    current = {d.id: d.digest for d in documents}
    return BuildReport(
        version=name,
        documents=len(documents),
        passages=len(passages),
        sentences=len(sentences),
        added=sorted(set(current) - set(previous)),
        changed=sorted(k for k in current if k in previous and previous[k] != current[k]),
        removed=sorted(set(previous) - set(current)),
        unchanged=sum(1 for k in current if previous.get(k) == current[k]),
        embedded=embedded,
        reused=len(set(texts)) - embedded,
        skipped_files=skipped,
        seconds=time.perf_counter() - started,
        files=[d.path for d in documents] + [s.split(": ", 1)[0] for s in skipped],
    )


def _previous_documents(index_dir: Path) -> dict[str, str]:
    """Document id → digest of the version being served (empty when there is none)."""
    version = current_version(index_dir)
    if version is None:
        return {}
    try:
        rows = json.loads((versions_dir(index_dir) / version / "documents.json").read_text())
    except (OSError, ValueError):
        return {}
    return {row["id"]: row["digest"] for row in rows}


def _faiss_index(vectors: np.ndarray, kind: str) -> Any:
    dimension = vectors.shape[1]
    index: Any
    if kind == "flat-ip":
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 64
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def _write_version(
    index_dir: Path,
    name: str,
    manifest: dict[str, Any],
    documents: list[Document],
    passages: list[PassageRecord],
    sentences: list[SentenceRecord],
    passage_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    words: list[str],
    word_vectors: np.ndarray,
    acronyms: dict[str, dict[str, str]],
) -> None:
    root = versions_dir(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".staging-{name}"
    staging.mkdir()
    try:
        _write_json(staging / "documents.json", [_document_row(d) for d in documents])
        _write_json(staging / "passages.json", [dataclasses.asdict(p) for p in passages])
        _write_json(staging / "sentences.json", [dataclasses.asdict(s) for s in sentences])
        faiss.write_index(
            _faiss_index(passage_vectors, manifest["faiss_index"]), str(staging / "passages.faiss")
        )
        np.save(staging / "sentences.npy", sentence_vectors.astype(STORED_VECTOR_DTYPE))
        _write_json(staging / "words.json", words)
        _write_json(staging / "acronyms.json", acronyms)
        np.save(staging / "words.npy", word_vectors.astype(STORED_VECTOR_DTYPE))
        Terms.of(
            bm25_tokens(expand_acronyms(p.search_text, acronyms[p.document_id])) for p in passages
        ).save(staging)
        # The manifest goes last: a version directory with a manifest is complete.
        _write_json(staging / "manifest.json", manifest)
        fsync_files(staging)
        os.replace(staging, root / name)
        fsync_dir(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _document_row(document: Document) -> dict[str, Any]:
    """A document as documents.json keeps it (blocks as rows: a long PDF has thousands)."""
    row = dataclasses.asdict(document)
    row["blocks"] = [dataclasses.astuple(b) for b in document.blocks]
    return row
