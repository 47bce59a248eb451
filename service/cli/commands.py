"""The ``briefing-qa`` command: serve, build-index, ask, eval, inspect, feedback, mcp, and
(``accounts.py``) users, groups, collections, keys, audit."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from index import (
    MODES,
    BuildInProgress,
    IndexProblem,
    NothingToIndex,
    current_version,
)

from ..library import DatabaseUnavailable, Library, database_url
from ..settings import Settings
from ..web.metrics import share_metrics_between_workers
from .accounts import register as register_access_commands
from .build import build_with_progress, multilingual_with_progress, print_report
from .inspect import inspect_command

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Ask questions of policy briefings; every answer is quoted and cited.",
)

app.command("inspect")(inspect_command)
register_access_commands(app)  # users, groups, collections, keys, audit

CorpusOption = Annotated[
    Path | None, typer.Option("--corpus", help="Corpus folder [env BRIEFING_QA_CORPUS_DIR]")
]
IndexOption = Annotated[
    Path | None, typer.Option("--index", help="Index folder [env BRIEFING_QA_INDEX_DIR]")
]


def _settings(corpus: Path | None = None, index: Path | None = None, **extra: Any) -> Settings:
    overrides: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    if corpus is not None:
        overrides["corpus_dir"] = corpus
    if index is not None:
        overrides["index_dir"] = index
    return Settings(**overrides)


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command("build-index")
def build_index_command(
    corpus: CorpusOption = None,
    index: IndexOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    device: Annotated[
        str,
        typer.Option(
            help="Where to embed: cpu, cuda (a GPU, float16), or auto (the GPU when one is "
            "visible) [env BRIEFING_QA_BUILD_DEVICE]"
        ),
    ] = "",
) -> None:
    """Build (or incrementally rebuild) the index from the corpus and publish it atomically."""
    settings = _settings(corpus, index)
    try:
        report = build_with_progress(settings, quiet, device or settings.build_device)
    except BuildInProgress as exc:
        _fail(str(exc), 3)
    except (FileNotFoundError, ValueError, NothingToIndex) as exc:
        _fail(str(exc), 2)
    print_report(report)
    if settings.multilingual:  # the English index serves already; this phase comes after
        multilingual_with_progress(settings, quiet)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address [env BRIEFING_QA_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [env BRIEFING_QA_PORT]")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [env BRIEFING_QA_WORKERS]")
    ] = None,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Run the web chat and the API (builds the index first if there is none)."""
    import uvicorn

    settings = _settings(corpus, index, host=host, port=port, workers=workers)
    if current_version(settings.index_dir) is None:
        typer.echo(f"No index in {settings.index_dir} yet: building it first.", err=True)
        try:
            print_report(build_with_progress(settings))
        except (BuildInProgress, FileNotFoundError) as exc:
            _fail(str(exc), 2)
    try:  # the database reachable and its schema migrated, once, before any worker starts
        Library(database_url(settings.database_url, settings.index_dir)).engine.dispose()
    except DatabaseUnavailable as exc:
        _fail(str(exc), 2)
    # Worker processes build their own Settings from the environment, so hand the CLI's
    # choices down that way.
    for name in ("corpus_dir", "index_dir"):
        os.environ[f"BRIEFING_QA_{name.upper()}"] = str(getattr(settings, name))
    if settings.workers > 1:
        share_metrics_between_workers()
    typer.echo(f"briefing-qa: chat at http://{settings.host}:{settings.port}/", err=True)
    uvicorn.run(
        "service.web.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="info",
        access_log=False,  # the app writes its own JSON access line with the request id
        timeout_graceful_shutdown=10,
    )


def _answerer(settings: Settings) -> Any:
    from ..answering import Answerer, DecisionModel
    from ..state import IndexHolder, load_embedder

    embedder = load_embedder(settings)
    holder = IndexHolder(settings, embedder)
    try:
        holder.load(build_if_missing=True)
    except IndexProblem as exc:
        _fail(str(exc), 2)
    decision = DecisionModel(target_false_abstention=settings.target_false_abstention)
    return Answerer(embedder, holder.current, decision)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question to ask.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the /ask JSON response.")] = False,
    top_k: Annotated[int, typer.Option(min=1, max=10, help="Citations to show.")] = 3,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Answer one question from the command line."""
    from index.text import clean_user_text

    from ..web.api import answer_response

    settings = _settings(corpus, index)
    cleaned = clean_user_text(question)
    if not cleaned:
        _fail("the question is empty", 2)
    answer = _answerer(settings).ask(cleaned, (), top_k)
    if as_json:
        typer.echo(answer_response(answer).model_dump_json(indent=2))
        return
    typer.echo(answer.answer)
    for c in answer.citations:
        page = f", p. {c.page}" if c.page else ""
        typer.echo(f"  [{c.n}] {c.document_title} — {c.section}{page} (chars {c.start}-{c.end})")
    for r in answer.related:
        typer.echo(f"  related: {r.section} ({r.document_title})")


def eval_index_dir(served_index_dir: Path, corpus: Path) -> Path:
    """Where ``eval --corpus DIR`` keeps the index of another corpus: beside the served index,
    one folder per corpus path, so evaluating never replaces what the server serves."""
    import hashlib

    key = hashlib.sha1(str(corpus.resolve()).encode()).hexdigest()[:12]
    return served_index_dir.parent / "eval-indexes" / f"{corpus.resolve().name}-{key}"


@app.command("eval")
def eval_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Questions (.jsonl)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    retriever: Annotated[
        str, typer.Option(help=f"Retrieval mode for ablations: {', '.join(MODES)}")
    ] = "hybrid",
    show_misses: Annotated[bool, typer.Option("--misses/--no-misses")] = True,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Score the answerer on a question set (R@k, MRR, answer accuracy, abstention, latency)."""
    from .evaluation import METRIC_LABELS, evaluate, load_cases

    if retriever not in MODES:
        _fail(f"--retriever must be one of {', '.join(MODES)}", 2)
    try:
        cases = load_cases(file)
    except ValueError as exc:
        _fail(str(exc), 2)
    if corpus is not None and index is None:
        index = eval_index_dir(Settings().index_dir, corpus)
    report = evaluate(_answerer(_settings(corpus, index)), cases, mode=retriever)
    if as_json:
        typer.echo(json.dumps({"retriever": retriever, **report.to_json()}, indent=2))
        return
    typer.echo(f"{file} — {report.counts['questions']} questions, retriever={retriever}")
    for key, label in METRIC_LABELS.items():
        typer.echo(f"  {label:<34} {report.metrics[key]}")
    if report.per_group:
        typer.echo("Per document (accuracy, R@1, R@3, abstention, false abstention, chars):")
        for name, m in report.per_group.items():
            typer.echo(
                f"  {name:<34} {m['answer_accuracy']:.3f} {m['r_at_1']:.3f} {m['r_at_3']:.3f} "
                f"{m['abstention_accuracy']:.3f} {m['false_abstention_rate']:.3f} "
                f"{m['mean_answer_chars']:.0f}"
            )
    if show_misses:
        misses = report.misses()
        typer.echo(f"Misses ({len(misses)}):")
        for miss in misses:
            typer.echo(f"  {miss['id']}: {', '.join(miss['reasons'])} — {miss['question']}")
            typer.echo(f"      answer: {miss['answer'][:160]}")


feedback_app = typer.Typer(help="Readers' ratings of answers (👍/👎 from the chat).")
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(index: IndexOption = None) -> None:
    """Print every rating as JSON Lines that `briefing-qa eval` reads as questions to check."""
    from ..library import Library, database_url

    settings = _settings(None, index)
    library = Library(database_url(settings.database_url, settings.index_dir))
    for row in library.feedback():
        # eval reads it as a question with nothing to match: the rating and note say why.
        record = {**row, "id": f"feedback-{row['id']}", "answer_keys": [], "evidence": []}
        typer.echo(json.dumps(record, ensure_ascii=False))


@app.command("mcp")
def mcp_command(
    http: Annotated[
        bool, typer.Option("--http", help="Serve over streamable HTTP instead of stdio.")
    ] = False,
    port: Annotated[
        int | None, typer.Option(help="Port for --http [env BRIEFING_QA_MCP_PORT]")
    ] = None,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Serve the `ask` and `search` tools over the Model Context Protocol (stdio by default)."""
    from ..web.mcp_server import build_server

    settings = _settings(corpus, index, mcp_port=port)
    try:
        server = build_server(settings)
    except IndexProblem as exc:
        _fail(str(exc), 2)
    # stdout is the protocol's channel over stdio: logs go to stderr only.
    server.run(transport="streamable-http" if http else "stdio")


def main() -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Access lines are JSON already (one object per request): print them as they are.
    access = logging.getLogger("briefing_qa.access")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(handler)
    access.propagate = False
    for noisy in ("httpx", "sentence_transformers", "optimum", "transformers", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app()


if __name__ == "__main__":
    main()
