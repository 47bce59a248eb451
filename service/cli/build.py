"""Building the index from the command line: a progress bar, the replicas' shared build lock
when a database is configured, and the report printed after."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import typer

from index import BuildInProgress, BuildReport, build_index, load_index, resolve_device
from index.encoder.multilingual import MultilingualEncoder
from index.store.multilingual import build_multilingual

from ..settings import Settings

# The progress bars' labels, by build stage (files are read only when new or changed).
_BARS = {"read": "Reading new files", "embed": "Embedding"}


def build_with_progress(
    settings: Settings, quiet: bool = False, device: str = "cpu"
) -> BuildReport:
    """Build with a progress bar on stderr, embedding on ``device`` (see --device)."""
    from tqdm import tqdm

    from ..state import build_embedder

    device = resolve_device(device)
    if not quiet:
        where = "the CPU" if device == "cpu" else f"{device} (float16)"
        typer.echo(f"Loading the embedding model on {where}…", err=True)
    embedder = build_embedder(settings, device)
    bar: tqdm[Any] | None = None

    def on_stage(stage: str, done: int, total: int) -> None:
        nonlocal bar
        if quiet:
            return
        if stage in ("read", "embed") and total:
            if bar is None or bar.desc != _BARS[stage]:
                if bar is not None:
                    bar.close()
                unit = "file" if stage == "read" else "text"
                bar = tqdm(total=total, desc=_BARS[stage], unit=unit, file=sys.stderr)
            bar.update(done - bar.n)
        elif stage == "write":
            typer.echo("Writing the index…", err=True)

    try:
        with shared_build_lock(settings):
            return build_index(
                settings.corpus_dir,
                settings.index_dir,
                embedder,
                on_stage=on_stage,
                reading=settings.read_options,
            )
    finally:
        if bar is not None:
            bar.close()


def multilingual_with_progress(settings: Settings, quiet: bool = False) -> None:
    """The second phase (issue #32) of the version just published, with its progress bar: the
    multilingual vectors and latent terms of passages and sentences, each document's
    language."""
    from tqdm import tqdm

    index = load_index(settings.index_dir)
    bar: tqdm[Any] | None = None

    def on_stage(_stage: str, done: int, total: int) -> None:
        nonlocal bar
        if quiet or not total:
            return
        if bar is None:
            bar = tqdm(total=total, desc="Multilingual vectors", unit="text", file=sys.stderr)
        if total != bar.total:  # what the cache held is known once it is looked up
            bar.total = total
        bar.update(done - bar.n)

    try:
        report = build_multilingual(index, settings.index_dir, MultilingualEncoder(), on_stage)
    finally:
        if bar is not None:
            bar.close()
    languages = ", ".join(f"{c}: {n}" for c, n in sorted((report.languages or {}).items()))
    typer.echo(
        f"Multilingual phase: {report.embedded} texts embedded, {report.reused} reused"
        + (f"; documents by language: {languages}" if languages else " (already there)")
    )


@contextlib.contextmanager
def shared_build_lock(settings: Settings) -> Iterator[None]:
    """With a shared database, the replicas' build lock too (the index folder's own lock may
    not hold across machines on a network volume)."""
    if not settings.database_url:
        yield
        return
    from ..library import BuildRegistry, DatabaseUnavailable, Library

    try:
        library = Library(settings.database_url)
    except DatabaseUnavailable as exc:
        raise ValueError(str(exc)) from exc
    with BuildRegistry(library.engine).build_lock() as mine:
        if not mine:
            raise BuildInProgress("a replica is building the index now; try again shortly")
        yield


def print_report(report: BuildReport) -> None:
    typer.echo(
        f"Index {report.version}: {report.documents} documents, {report.passages} passages, "
        f"{report.sentences} sentences in {report.seconds:.1f} s"
    )
    typer.echo(
        f"Documents: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, {report.unchanged} unchanged"
    )
    typer.echo(f"Texts embedded: {report.embedded} new, {report.reused} reused from the cache")
    for name, items in (
        ("added", report.added),
        ("changed", report.changed),
        ("removed", report.removed),
    ):
        for item in items[:20]:
            typer.echo(f"  {name}: {item}")
    for problem in report.skipped_files:
        typer.secho(f"  skipped: {problem}", fg=typer.colors.YELLOW, err=True)
