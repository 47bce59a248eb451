"""What the answerer returns: a quoted, cited answer or a refusal, as data."""

from __future__ import annotations

from dataclasses import dataclass, field

from .citations import Citation, RelatedSection
from .refusals import Refusal
from .settling import Settled


@dataclass
class Answer:
    """The answerer's result; the API serialises it as the /ask response."""

    question: str
    standalone_question: str
    answered: bool
    answer: str
    citations: list[Citation]
    index_version: str
    took_ms: float
    related: list[RelatedSection] = field(default_factory=list)
    confidence: float = 0.0
    signals: dict[str, float] = field(default_factory=dict)
    # For a refusal, why, as data: ``answer`` is its English sentence; the web layer renders
    # it in the reader's language.
    refusal: Refusal | None = None
    # The question's language (ISO 639-1): as the caller said, or as detected.
    language: str = ""
    # For a yes/no question answered by a sentence that states the thing asked: what it
    # settles, and how (issue #33); None otherwise.
    settles: Settled | None = None
