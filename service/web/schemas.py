"""Request and response models of the HTTP API (they are the OpenAPI schema at /docs)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# The answerer's own dataclasses are the response's parts: one definition, no copying.
from ..answering import Citation, RelatedSection, Settled


class HistoryTurn(BaseModel):
    """An earlier exchange; the client sends the conversation back, the server keeps none."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., max_length=4000)
    answer: str = Field("", max_length=4000)


class AskRequest(BaseModel):
    """A question, optionally with the conversation so far."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "What was Kazakhstan's rank in the 2014 World Press Freedom Index?"}
            ]
        },
    )

    question: str = Field(..., description="The question, 1 to 1,000 characters.")
    history: list[HistoryTurn] = Field(
        default_factory=list, description="Earlier turns, oldest first (at most 20)."
    )
    top_k: int | None = Field(None, ge=1, le=10, description="How many citations to return.")
    documents: list[str] | None = Field(
        None,
        max_length=200,
        description="Answer only from these document ids (GET /api/documents lists them).",
    )
    language: str | None = Field(
        None,
        description="The question's language, ISO 639-1 (`de`, `zh`); detected when absent.",
    )


class RefusalReason(BaseModel):
    """Why a question was not answered, as data (the ``answer`` says it in words)."""

    code: str = Field(
        ...,
        description="nothing_close, not_mentioned, year_or_number, no_date, no_count, "
        "no_percentage, no_figure, no_duration, not_about, not_clear or "
        "multilingual_not_ready (docs/api.md).",
    )
    params: dict[str, str] = Field(
        default_factory=dict,
        description="The values the sentence names: `name` (from the question), `title` (the "
        "one document searched).",
    )


class AskResponse(BaseModel):
    """An answer quoted from the corpus with numbered citations, or ``answered: false``. The
    quotes are the documents' own words; what the product says itself (a refusal) is in the
    language of the request's ``Accept-Language`` (English when absent)."""

    question: str
    standalone_question: str
    answered: bool
    answer: str
    citations: list[Citation]
    related: list[RelatedSection] = Field(default_factory=list)
    confidence: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Calibrated chance that the quoted answer is right (measured on "
        "held-out articles); for a refusal, the chance the best passage would have been.",
    )
    refusal: RefusalReason | None = Field(
        None, description="For a refusal, why, as a code and its values; null for an answer."
    )
    language: str = Field(
        "", description="The question's language (ISO 639-1), as given or as detected."
    )
    settles: Settled | None = Field(
        None,
        description="For a yes/no or permission question (English) answered by a sentence "
        "that states the thing asked: `question` (the asking clause, as written), `verdict` "
        "(`yes`, `no`, `conditional`, or null when the sentence does not say it plainly) and "
        "`citation` (the `n` of the citation that holds it); null otherwise (docs/api.md).",
    )
    index_version: str
    took_ms: float


class MultilingualProgress(BaseModel):
    """The second, multilingual build phase of the version served (issue #32)."""

    ready: bool
    percent: int = Field(
        0,
        ge=0,
        le=100,
        description="How much of the version's passages and sentences is embedded (100 once "
        "ready). A share rather than counts: the phase covers documents the caller may not read.",
    )


class HealthResponse(BaseModel):
    """Liveness and what is being served."""

    status: str
    index_version: str
    documents: int
    passages: int
    sentences: int
    model: str
    built_at: str
    multilingual: MultilingualProgress | None = Field(
        None, description="Questions in other languages: ready, or how far; null when off."
    )


class ReindexResponse(BaseModel):
    """What an admin-triggered rebuild did."""

    index_version: str
    documents: int
    passages: int
    added: list[str]
    changed: list[str]
    removed: list[str]
    embedded: int
    reused: int
    skipped_files: list[str]
    seconds: float


class ErrorDetail(BaseModel):
    """One problem with a request."""

    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    """The error shape of every 4xx response."""

    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """``{"error": {...}}`` — one shape for every error."""

    error: ErrorBody
