"""briefing-qa's indexing library: documents → sentence-aligned passages → embeddings → versions.

Framework-free: nothing here imports the web service or the CLI.
"""

from .corpus import load_corpus
from .documents import SUPPORTED_SUFFIXES, Document, document_id, read_document
from .encoder.cache import EmbeddingCache
from .encoder.embedder import MODEL_NAME, Embedder, bundled_model_path, resolve_device
from .formats.options import ReadOptions
from .model import Block, ParsedDocument
from .passages import PassageOptions, PassageRecord, SentenceRecord, cut_passages
from .problems import (
    BuildInProgress,
    DocumentError,
    IndexIncompatible,
    IndexNotFound,
    IndexProblem,
    NothingToIndex,
)
from .sections import Section
from .store.build import BuildReport, build_index
from .store.load import load_index
from .store.loaded import LoadedIndex
from .store.search import MODES, Hit, SearchWeights, search
from .store.versions import current_version

__all__ = [
    "MODEL_NAME",
    "MODES",
    "SUPPORTED_SUFFIXES",
    "Block",
    "BuildInProgress",
    "BuildReport",
    "Document",
    "DocumentError",
    "Embedder",
    "EmbeddingCache",
    "Hit",
    "IndexIncompatible",
    "IndexNotFound",
    "IndexProblem",
    "LoadedIndex",
    "NothingToIndex",
    "ParsedDocument",
    "PassageOptions",
    "PassageRecord",
    "ReadOptions",
    "SearchWeights",
    "Section",
    "SentenceRecord",
    "build_index",
    "bundled_model_path",
    "current_version",
    "cut_passages",
    "document_id",
    "load_corpus",
    "load_index",
    "read_document",
    "resolve_device",
    "search",
]
