"""The index's problems a user can act on: each message names the fix."""

from __future__ import annotations


class IndexProblem(Exception):
    """Base for index problems that a user can act on; the message names the fix."""


class IndexNotFound(IndexProblem):
    """There is no built index in the index directory."""


class IndexIncompatible(IndexProblem):
    """The index was built by another model or index format, or its files are damaged."""


class BuildInProgress(IndexProblem):
    """Another process holds the build lock."""


class NothingToIndex(IndexProblem):
    """No file of the corpus folder gave any text to index."""


class DocumentError(Exception):
    """A file in the corpus could not be read as a document (the message says why)."""
