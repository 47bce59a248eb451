"""Loading an index version from disk into a :class:`LoadedIndex`, refusing one built by
another model or format, or damaged, with a message that names the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ..acronyms import merged_acronyms
from ..documents import Document
from ..model import Block
from ..passages import PassageRecord, SentenceRecord
from ..problems import IndexIncompatible, IndexNotFound
from ..sections import Section
from .loaded import LoadedIndex, Shared
from .terms import Terms
from .versions import FORMAT_VERSION, STORED_VECTOR_DTYPE, current_version, versions_dir


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
        row["sections"] = [Section(**{**s, "path": tuple(s["path"])}) for s in row["sections"]]
        row["blocks"] = [Block(*b) for b in row["blocks"]]
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
    terms = Terms.load(path)
    if len(terms.lengths) != len(passages):
        raise ValueError("term counts do not match passage count")
    order = {key: i for i, key in enumerate(documents)}
    shared = Shared(
        document_order=order,
        passage_documents=np.fromiter((order[p.document_id] for p in passages), dtype=np.int32),
        sentence_documents=np.fromiter((order[s.document_id] for s in sentences), dtype=np.int32),
    )
    acronyms = json.loads((path / "acronyms.json").read_text(encoding="utf-8"))
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
        sentence_vectors=_stored(path / "sentences.npy"),
        word_ids={w: i for i, w in enumerate(json.loads((path / "words.json").read_text()))},
        word_vectors=_stored(path / "words.npy"),
        document_acronyms=acronyms,
        acronyms=merged_acronyms(acronyms.get(key, {}) for key in documents),
        terms=terms,
        sentence_to_passages=sentence_to_passages,
        sentence_ids_by_text=sentence_ids_by_text,
        shared=shared,
    )
    shared.whole = loaded
    loaded.prepare()
    return loaded


def _stored(path: Path) -> np.ndarray:
    """Vectors saved with numpy, in the stored precision (an older float32 file narrowed)."""
    return np.load(path).astype(STORED_VECTOR_DTYPE, copy=False)


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
