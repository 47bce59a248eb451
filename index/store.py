"""Index versions on disk: build (incremental, atomic, locked), load, prune.

Layout of ``index_dir``::

    CURRENT                    name of the version being served (replaced atomically)
    versions/<name>/           one complete index version (never modified once published)
        manifest.json  documents.json  passages.json  sentences.json
        passages.faiss  sentences.npy  words.json  words.npy  acronyms.json  bm25/
    embeddings.sqlite          vectors by (model, text hash), reused across builds
    build.lock                 held (flock) while a build runs
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import datetime as dt
import difflib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np

from .acronyms import corpus_acronyms, expand_acronyms
from .documents import Document, Section, load_corpus
from .embedding import Embedder
from .embedding_cache import EmbeddingCache, embed_with_cache
from .passages import PassageOptions, PassageRecord, SentenceRecord, cut_passages
from .text import content_terms, stem, stems, tokenize

FORMAT_VERSION = 5
KEEP_VERSIONS = 3
# Exact search is fastest and best below this many passages; above it HNSW keeps queries fast.
EXACT_SEARCH_LIMIT = 50_000
# How alike (difflib ratio) an unknown capitalised word and a corpus name must be to be taken
# for a variant of it: "Nazarbaev"/"Nazarbayev" 0.95, "Janaozen"/"Zhanaozen" 0.82,
# "Uzbekistan"/"Kazakhstan" 0.60.
NAME_MATCH_CUTOFF = 0.8
_CAPITALISED_WORD = re.compile(r"\b[A-Z][a-z]{4,}\b")
StageCallback = Callable[[str, int, int], None]


class IndexProblem(Exception):
    """Base for index problems that a user can act on; the message names the fix."""


class IndexNotFound(IndexProblem):
    """There is no built index in the index directory."""


class IndexIncompatible(IndexProblem):
    """The index was built by another model or index format, or its files are damaged."""


class BuildInProgress(IndexProblem):
    """Another process holds the build lock."""


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


@dataclass
class LoadedIndex:
    """One index version in memory: everything a search needs."""

    version: str
    path: Path
    manifest: dict[str, Any]
    documents: dict[str, Document]
    passages: list[PassageRecord]
    sentences: list[SentenceRecord]
    passage_index: Any  # faiss.Index
    sentence_vectors: np.ndarray
    bm25: bm25s.BM25
    sentence_to_passages: list[list[int]]
    passage_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    sentence_ids_by_text: dict[str, list[int]] = field(default_factory=dict, repr=False)
    word_ids: dict[str, int] = field(default_factory=dict, repr=False)
    word_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    _vocab: dict[str, int] = field(default_factory=dict, repr=False)
    _stems: dict[int, frozenset[str]] = field(default_factory=dict, repr=False)
    acronyms: dict[str, str] = field(default_factory=dict, repr=False)
    _aliases: dict[str, set[str]] | None = field(default=None, repr=False)
    _tokens: dict[int, frozenset[str]] = field(default_factory=dict, repr=False)
    _name_frequency: dict[str, int] = field(default_factory=dict, repr=False)
    _sorted_vocab: list[str] = field(default_factory=list, repr=False)
    _names: list[str] | None = field(default=None, repr=False)
    _respellings: dict[str, str | None] = field(default_factory=dict, repr=False)

    def sentence_stems(self, sentence_id: int) -> frozenset[str]:
        """Stemmed content words of a sentence, acronyms spelled out as in the indexed text
        (memoised: answers reuse the same few)."""
        return _memoised(
            self._stems,
            sentence_id,
            lambda: stems(expand_acronyms(self.sentences[sentence_id].text, self.acronyms)),
        )

    def sentence_tokens(self, sentence_id: int) -> frozenset[str]:
        """Normalised word tokens of a sentence (memoised)."""
        return _memoised(
            self._tokens, sentence_id, lambda: tokenize(self.sentences[sentence_id].text)
        )

    def prepare(self) -> None:
        """Compute the corpus-wide tables name matching needs (about a second per 100,000
        passages) now, at load, so that the first question does not pay for them."""
        corpus = " ".join(d.text for d in self.documents.values())
        if self._aliases is None:
            self._aliases = initialisms(corpus)
        if self._names is None:
            self._names = sorted({w.lower() for w in _CAPITALISED_WORD.findall(corpus)})

    def name_aliases(self, token: str) -> set[str]:
        """Initialisms of the corpus's capitalised phrases that contain ``token``
        ("parliament" -> {"ep"} when the corpus says "European Parliament")."""
        if self._aliases is None:
            self.prepare()
        assert self._aliases is not None
        return self._aliases.get(token, set())

    def document_frequency(self, term: str) -> int:
        """In how many passages the BM25 token ``term`` occurs."""
        token_id = self._vocab.get(term)
        if token_id is None:
            return 0
        indptr = self.bm25.scores["indptr"]  # CSC matrix: one column per token
        return int(indptr[token_id + 1] - indptr[token_id])

    def name_frequency(self, token: str) -> int:
        """In how many passages ``token`` or a word of its family occurs ("kazakh" counts
        "Kazakhstan" and "Kazakhstani" too): how common a name is, as name matching sees it."""
        cached = self._name_frequency.get(token)
        if cached is not None:
            return cached
        family = [self._vocab[w] for w in self._word_family(token)]
        indptr, indices = self.bm25.scores["indptr"], self.bm25.scores["indices"]
        passages = {int(p) for t in family for p in indices[indptr[t] : indptr[t + 1]]}
        if len(self._name_frequency) > 50_000:  # questions bring new names; keep memory bounded
            self._name_frequency.clear()
        self._name_frequency[token] = len(passages)
        return len(passages)

    def _word_family(self, token: str) -> list[str]:
        """Indexed words of ``token``'s family: itself, the words it begins, the words that
        begin it (see :func:`same_family`). Found by bisection in the sorted vocabulary, so a
        100,000-word vocabulary costs microseconds, not a scan."""
        if not self._sorted_vocab and self._vocab:
            self._sorted_vocab = sorted(self._vocab)
        words = [token] if token in self._vocab else []
        if len(token) >= 5:
            start = bisect.bisect_left(self._sorted_vocab, token)
            for word in self._sorted_vocab[start:]:
                if not word.startswith(token):
                    break
                if word != token:
                    words.append(word)
            words += [token[:k] for k in range(5, len(token)) if token[:k] in self._vocab]
        return words

    def respell_names(self, text: str) -> str:
        """``text`` with capitalised words the corpus does not know replaced by the corpus name
        they are a variant of ("Nazarbaev" -> "Nazarbayev", "Janaozen" -> "Zhanaozen"):
        transliterations and typos of names are common, and an unknown name means "not in the
        corpus" to the abstention check."""

        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            lowered = word.lower()
            if lowered in self._vocab or self.name_frequency(lowered):
                return word
            known = self._closest_name(lowered)
            return known.capitalize() if known else word

        return _CAPITALISED_WORD.sub(replace, text)

    def _closest_name(self, word: str) -> str | None:
        if word in self._respellings:
            return self._respellings[word]
        if self._names is None:
            self.prepare()
        assert self._names is not None
        # Close in length first: difflib is slow over a large vocabulary.
        candidates = [n for n in self._names if abs(len(n) - len(word)) <= 2]
        match = difflib.get_close_matches(word, candidates, n=1, cutoff=NAME_MATCH_CUTOFF)
        if len(self._respellings) > 50_000:
            self._respellings.clear()
        self._respellings[word] = match[0] if match else None
        return self._respellings[word]

    def bm25_scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros when no query term is indexed)."""
        tokens = [t for t in bm25_tokens(query) if t in self._vocab]
        if not tokens:
            return np.zeros(len(self.passages), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)

    def dense_search(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, passage ids) of the ``k`` passages nearest to ``query_vector``."""
        k = min(k, len(self.passages))
        scores, ids = self.passage_index.search(query_vector.reshape(1, -1).astype(np.float32), k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]


def _memoised(
    cache: dict[int, frozenset[str]], key: int, compute: Callable[[], list[str]]
) -> frozenset[str]:
    value = cache.get(key)
    if value is None:
        value = cache[key] = frozenset(compute())
    return value


# --- paths and pointer -------------------------------------------------------------------------


def versions_dir(index_dir: Path) -> Path:
    """Where version directories live."""
    return index_dir / "versions"


def current_version(index_dir: Path) -> str | None:
    """The name of the version being served, or None when nothing was built yet."""
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def _publish(index_dir: Path, version: str) -> None:
    """Point CURRENT at ``version``: write a temp file, fsync, rename (atomic on POSIX)."""
    temp = index_dir / f".CURRENT.{uuid.uuid4().hex}"
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, index_dir / "CURRENT")
    _fsync_dir(index_dir)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the build lock; the kernel releases it if the process dies, so no stale locks."""
    index_dir.mkdir(parents=True, exist_ok=True)
    handle = open(index_dir / "build.lock", "a+", encoding="utf-8")  # noqa: SIM115
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise BuildInProgress(
                    f"another index build is running in {index_dir} (lock held on build.lock); "
                    "wait for it to finish"
                ) from exc
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


# --- build -------------------------------------------------------------------------------------


def corpus_digest(documents: list[Document]) -> str:
    """A digest of every document's path and content."""
    h = hashlib.sha256()
    for d in sorted(documents, key=lambda d: d.path):
        h.update(f"{d.path}\0{d.digest}\n".encode())
    return h.hexdigest()


_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:(?:of|for|and|on|in|the)\s+)*[A-Z][a-z]+)+")


def initialisms(text: str) -> dict[str, set[str]]:
    """Each word of a capitalised multi-word phrase in ``text`` -> the phrase's initials."""
    aliases: dict[str, set[str]] = {}
    for match in _PHRASE.finditer(text):
        words = [w for w in match.group(0).split() if w[0].isupper()]
        if len(words) < 2:
            continue
        initials = "".join(w[0] for w in words).lower()
        for word in words:
            aliases.setdefault(word.lower(), set()).add(initials)
    return aliases


def corpus_vocabulary(sentences: list[SentenceRecord]) -> list[str]:
    """Every content word of the corpus, once, sorted."""
    return sorted({t for s in sentences for t in content_terms(s.text)})


def bm25_tokens(text: str) -> list[str]:
    """BM25 tokens: normalised words; numbers and hyphenated words also split into parts."""
    tokens = []
    for token in tokenize(text):
        tokens.append(token)
        stemmed = stem(token)
        if stemmed != token:
            tokens.append(stemmed)
        if "-" in token or "." in token or "," in token:
            tokens.extend(p for p in token.replace(",", "-").replace(".", "-").split("-") if p)
    return tokens


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    options: PassageOptions | None = None,
    on_stage: StageCallback | None = None,
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

    Raises:
        BuildInProgress: another build holds the lock.
        FileNotFoundError: ``corpus_dir`` does not exist.
    """
    options = options or PassageOptions()
    stage = on_stage or (lambda _stage, _done, _total: None)
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder {corpus_dir} does not exist")
    started = time.perf_counter()
    with build_lock(index_dir):
        stage("read", 0, 0)
        documents, skipped = load_corpus(corpus_dir)
        previous = _previous_documents(index_dir)
        sentences: list[SentenceRecord] = []
        passages: list[PassageRecord] = []
        for document in documents:
            doc_sentences, doc_passages = cut_passages(document, len(sentences), options)
            sentences.extend(doc_sentences)
            passages.extend(doc_passages)

        cache = EmbeddingCache(index_dir / "embeddings.sqlite", embedder.model_key)
        try:
            # Single words too: the abstention check compares question words with answer words,
            # and looking corpus words up beats embedding them while a user waits.
            words = corpus_vocabulary(sentences)
            acronyms = corpus_acronyms(d.text for d in documents)
            texts = (
                [expand_acronyms(p.search_text, acronyms) for p in passages]
                + [expand_acronyms(s.text, acronyms) for s in sentences]
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
        _publish(index_dir, name)
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
    acronyms: dict[str, str],
) -> None:
    root = versions_dir(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".staging-{name}"
    staging.mkdir()
    try:
        _write_json(staging / "documents.json", [dataclasses.asdict(d) for d in documents])
        _write_json(staging / "passages.json", [dataclasses.asdict(p) for p in passages])
        _write_json(staging / "sentences.json", [dataclasses.asdict(s) for s in sentences])
        faiss.write_index(
            _faiss_index(passage_vectors, manifest["faiss_index"]), str(staging / "passages.faiss")
        )
        np.save(staging / "sentences.npy", sentence_vectors.astype(np.float32))
        _write_json(staging / "words.json", words)
        _write_json(staging / "acronyms.json", acronyms)
        np.save(staging / "words.npy", word_vectors.astype(np.float32))
        retriever = bm25s.BM25()
        retriever.index(
            [bm25_tokens(expand_acronyms(p.search_text, acronyms)) for p in passages],
            show_progress=False,
        )
        retriever.save(str(staging / "bm25"), show_progress=False)
        # The manifest goes last: a version directory with a manifest is complete.
        _write_json(staging / "manifest.json", manifest)
        for path in staging.rglob("*"):
            if path.is_file():
                with open(path, "rb") as handle:
                    os.fsync(handle.fileno())
        os.replace(staging, root / name)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def prune_versions(index_dir: Path, keep: int = KEEP_VERSIONS) -> list[str]:
    """Delete all but the newest ``keep`` versions (never the current one) and stale staging
    directories left by crashed builds. Call with the build lock held."""
    root = versions_dir(index_dir)
    if not root.is_dir():
        return []
    current = current_version(index_dir)
    removed = []
    for stale in root.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
        removed.append(stale.name)
    versions = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in versions[:-keep] if keep > 0 else versions:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old.name)
    return removed


# --- load --------------------------------------------------------------------------------------


def load_index(
    index_dir: Path, version: str | None = None, model_key: str | None = None
) -> LoadedIndex:
    """Load an index version (default: the current one).

    Args:
        index_dir: the index folder.
        version: a version name; None loads what CURRENT names.
        model_key: when given, the index must have been built with this model.

    Raises:
        IndexNotFound: nothing has been built in ``index_dir``.
        IndexIncompatible: other model or format, or damaged files.
    """
    version = version or current_version(index_dir)
    if version is None:
        raise IndexNotFound(f"no index in {index_dir}; build one with `briefing-qa build-index`")
    path = versions_dir(index_dir) / version
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexIncompatible(
            f"index version {version} in {index_dir} is missing or damaged ({exc}); "
            "rebuild it with `briefing-qa build-index`"
        ) from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexIncompatible(
            f"index version {version} has format {manifest.get('format_version')}, this program "
            f"reads format {FORMAT_VERSION}; rebuild it with `briefing-qa build-index`"
        )
    if model_key is not None and manifest.get("model_key") != model_key:
        raise IndexIncompatible(
            f"index version {version} was built with {manifest.get('model_key')}, the server "
            f"uses {model_key}; rebuild it with `briefing-qa build-index`"
        )
    try:
        return _read_version(path, version, manifest)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexIncompatible(
            f"index version {version} in {index_dir} cannot be read ({exc}); "
            "rebuild it with `briefing-qa build-index`"
        ) from exc


def _read_version(path: Path, version: str, manifest: dict[str, Any]) -> LoadedIndex:
    documents = {}
    for row in json.loads((path / "documents.json").read_text(encoding="utf-8")):
        row["sections"] = [Section(**s) for s in row["sections"]]
        documents[row["id"]] = Document(**row)
    passages = [
        PassageRecord(**{**row, "sentence_ids": tuple(row["sentence_ids"])})
        for row in json.loads((path / "passages.json").read_text(encoding="utf-8"))
    ]
    sentences = [
        SentenceRecord(**row)
        for row in json.loads((path / "sentences.json").read_text(encoding="utf-8"))
    ]
    sentence_ids_by_text: dict[str, list[int]] = {}
    for sid, sentence in enumerate(sentences):
        sentence_ids_by_text.setdefault(sentence.text, []).append(sid)
    sentence_to_passages: list[list[int]] = [[] for _ in sentences]
    for pid, passage in enumerate(passages):
        for sid in passage.sentence_ids:
            sentence_to_passages[sid].append(pid)
    bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False)
    vocab = dict(bm25.vocab_dict) if getattr(bm25, "vocab_dict", None) else {}
    passage_index = faiss.read_index(str(path / "passages.faiss"))
    if passage_index.ntotal != len(passages):
        raise ValueError("vector count does not match passage count")
    passage_vectors = _stored_vectors(passage_index)
    loaded = LoadedIndex(
        version=version,
        path=path,
        manifest=manifest,
        documents=documents,
        passages=passages,
        sentences=sentences,
        passage_index=passage_index,
        passage_vectors=passage_vectors,
        sentence_vectors=np.load(path / "sentences.npy"),
        word_ids={w: i for i, w in enumerate(json.loads((path / "words.json").read_text()))},
        word_vectors=np.load(path / "words.npy"),
        acronyms=json.loads((path / "acronyms.json").read_text(encoding="utf-8")),
        bm25=bm25,
        sentence_to_passages=sentence_to_passages,
        sentence_ids_by_text=sentence_ids_by_text,
        _vocab=vocab,
    )
    loaded.prepare()
    return loaded


def _stored_vectors(passage_index: Any) -> np.ndarray:
    """A read-only view of the vectors FAISS holds (no copy): the fused score needs the
    candidates' vectors, and reading them from FAISS one by one is slow."""
    flat = passage_index
    if not isinstance(flat, faiss.IndexFlat):
        flat = faiss.downcast_index(passage_index.storage)
    n, d = flat.ntotal, flat.d
    if n == 0:
        return np.zeros((0, d), dtype=np.float32)
    view = faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)
    view.flags.writeable = False
    return view
