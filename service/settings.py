"""The one settings object. Every value can come from a ``BRIEFING_QA_*`` environment variable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index import ReadOptions

# The repository root: defaults point into it so the README's commands work from a checkout.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The languages the product speaks (web/locales/ holds a catalogue for each but English, the
# source): the EU's most read (Portuguese as written in Portugal) and more of its official
# languages, Russian (read across Central Asia, where the first briefing is about), and every
# language of the shared XQuAD set. Each catalogue also teaches the cross-lingual search its
# language (scripts/training/language_directions.py).
LANGUAGES = [
    *("en", "de", "fr", "es", "it", "nl", "pl", "pt_PT", "cs", "sv", "hu", "ro", "el", "bg"),
    *("fi", "ru", "zh_Hans", "ar", "hi"),
]


class Settings(BaseSettings):
    """Configuration of the service, the CLI and the evaluation."""

    model_config = SettingsConfigDict(env_prefix="BRIEFING_QA_", extra="ignore")

    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Folder of documents to index.")
    index_dir: Path = Field(
        PROJECT_ROOT / "var" / "index", description="Where index versions are built and served."
    )
    model_cache_dir: Path = Field(
        PROJECT_ROOT / "var" / "models",
        description="Where the ONNX export of the embedding model is kept.",
    )
    embedding_backend: Literal["onnx", "torch"] = Field(
        "onnx", description="Inference backend for the embedding model."
    )
    quantized_embeddings: bool = Field(
        False, description="Use the int8 ONNX model (faster; needs an index built with it)."
    )
    threads: int = Field(0, ge=0, description="Inference threads (0: library default).")
    answer_concurrency: int = Field(
        1,
        ge=1,
        le=64,
        description="Questions one process works on at once; the rest wait their turn. "
        "Answering is CPU-bound Python plus a model that already uses every core: on 2 cores "
        "one at a time answered 141/s in-process, two 122/s, sixteen 99/s (threads fighting "
        "over the interpreter lock). Scale with `workers` instead.",
    )
    answer_max_wait_seconds: float = Field(
        10.0,
        gt=0,
        description="How long a question may wait for its turn; longer, it gets 503 with "
        "Retry-After instead of hanging (questions are answered in arrival order, issue #26).",
    )
    host: str = Field("127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `serve` listens on.")
    public_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="Where readers reach the web app (behind a balancer, its address), for the "
        "links in MCP answers; unset: http://HOST:PORT.",
    )
    mcp_port: int = Field(
        8001, ge=1, le=65535, description="Port `briefing-qa mcp --http` listens on."
    )
    workers: int = Field(1, ge=1, le=16, description="Server worker processes for `serve`.")
    top_k: int = Field(3, ge=1, le=10, description="Citations returned by default.")
    max_top_k: int = Field(10, ge=1, le=50, description="Largest `top_k` a request may ask for.")
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")
    max_history_turns: int = Field(20, ge=0, description="Most history turns accepted.")
    max_history_chars: int = Field(4000, ge=10, description="Longest question/answer in history.")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest request body accepted.")
    reload_check_seconds: float = Field(
        2.0, ge=0, description="How often the server checks for a new index version (0: never)."
    )
    rate_limit_per_minute: int = Field(
        1200, ge=0, description="Sustained /ask requests per client address (0: no limit)."
    )
    rate_limit_burst: int = Field(120, ge=1, description="Requests a client may send at once.")
    redis_url: str | None = Field(
        None,
        description="Redis for the rate-limit counters, shared by every worker and replica "
        "(redis://host:6379); unset: counted in each process's memory.",
    )
    redis_prefix: str = Field(
        "briefing-qa", description="Prefix of this deployment's keys in Redis."
    )
    # NoDecode: the environment's value reaches the validator below as it was written, so an
    # operator may write plain comma-separated addresses as well as a JSON list.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1"],
        description="Addresses whose X-Forwarded-For names the client (a load balancer); "
        "comma-separated (10.0.0.5,10.0.0.6) or a JSON list.",
    )
    admin_token: str | None = Field(
        None, description="Bearer token for /admin endpoints; unset disables them."
    )
    auth: Literal["none", "local"] = Field(
        "none",
        description="Who may read what: `none` (everything public; writes need the admin "
        "token) or `local` (accounts, groups and collections in the database; docs/access.md).",
    )
    session_hours: float = Field(
        8.0,
        gt=0,
        le=24 * 30,
        description="How long a sign-in lasts (local mode): a working day, after which the "
        "browser signs in again; sign-out and a password change end it sooner.",
    )
    login_failures_per_minute: int = Field(
        10,
        ge=1,
        description="Failed sign-ins one account, or one address, may make in a minute before "
        "/login answers 429 (local mode): enough for typos, far too few to guess a password.",
    )
    api_key: str | None = Field(
        None,
        description="The API key `briefing-qa mcp` over stdio acts for (local mode); unset: "
        "it answers as an anonymous caller, from public collections only.",
    )
    multilingual: bool = Field(
        True,
        description="Answer questions in other languages and documents not in English (issue "
        "#32): a second, multilingual build phase runs after the English index serves; off, "
        "every question takes the English route and nothing more is built.",
    )
    target_false_abstention: float = Field(
        0.03,
        ge=0.0,
        le=0.5,
        description="Share of answerable questions the answerer may refuse: its operating "
        "point, measured on held-out articles (issue #11; lower answers more, refuses less).",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the library's records and feedback (PostgreSQL, ...); "
        "unset: an SQLite file beside the index.",
    )
    max_upload_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, description="Largest upload request (one or more files)."
    )
    session_secret: str | None = Field(
        None,
        description="Key that signs the sign-in cookie; unset: derived from the admin token, "
        "so every worker and replica with the same token accepts the same cookie.",
    )
    build_on_start: bool = Field(True, description="Build the index on start when none exists.")
    ocr: bool = Field(
        True,
        description="Read PDF pages that have no text layer (scans) with offline OCR; off: such "
        "pages are left out and an image-only PDF is refused with that reason.",
    )
    max_ocr_pages: int = Field(
        30,
        ge=1,
        description="Most pages of one document OCR reads (a page takes ~1-3 s on 2 cores, and "
        "the whole file must be read within read_seconds).",
    )
    read_seconds: float = Field(
        120.0, gt=0, description="Longest one file may take to read; past it, it fails alone."
    )
    read_memory_mb: int = Field(
        3072,
        ge=512,
        description="Memory the process reading one file may use (a decompression bomb stops "
        "here and fails alone).",
    )
    max_headings: int = Field(
        20_000, ge=1, description="A file with more headings than this is refused."
    )
    max_blocks: int = Field(
        250_000, ge=1, description="A file with more paragraphs, items and rows is refused."
    )
    read_workers: int = Field(
        2, ge=0, le=16, description="Files read at once, each in a process of its own."
    )
    # NoDecode: a comma-separated list, as for trusted_proxies.
    languages: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(LANGUAGES),
        description="The languages readers may have the product's own words in (the quoted "
        "documents are always in their own): catalogue locales of web/locales/, "
        "comma-separated (en,de,fr) or a JSON list; English is the catalogues' source.",
    )
    default_language: str = Field(
        "en",
        description="The language of a reader whose browser asks for none of `languages` (and "
        "of API calls without Accept-Language, and of MCP over stdio); one of `languages`.",
    )
    build_device: str = Field(
        "auto",
        pattern=r"^(auto|cpu|cuda(:\d+)?)$",
        description="Where `build-index` embeds: cpu, cuda[:N] (float16 on a GPU; the index is "
        "the same and CPU replicas serve it), auto (the GPU when PyTorch sees one).",
    )

    @field_validator("trusted_proxies", "languages", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """``a,b`` or ``["a", "b"]`` (an empty value: an empty list)."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]

    @property
    def read_options(self) -> ReadOptions:
        """How the index reads each file: OCR, its time and memory, the caps."""
        return ReadOptions(
            ocr=self.ocr,
            max_ocr_pages=self.max_ocr_pages,
            seconds=self.read_seconds,
            memory_mb=self.read_memory_mb,
            max_headings=self.max_headings,
            max_blocks=self.max_blocks,
            workers=self.read_workers,
        )

    @property
    def onnx_dir(self) -> Path:
        """Where the ONNX export lives."""
        return self.model_cache_dir / "all-MiniLM-L6-v2-onnx-v2"
