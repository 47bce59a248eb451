"""``briefing-qa inspect FILE``: what the reader made of a file — its outline, block counts,
pages, what was removed (running headers, the table of contents) and warnings — for a user
whose document answers badly. It reads the file exactly as a build does (in a process of its
own, within the same budget and caps)."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from index import SUPPORTED_SUFFIXES, Document, ParsedDocument, ReadOptions
from index.documents import as_document
from index.formats.isolation import read_isolated

from ..settings import Settings

# A block this long is likely a table or a list read as one paragraph.
LONG_BLOCK_CHARS = 3000


def inspect_command(
    file: Annotated[Path, typer.Argument(help="The file to read (.pdf, .docx, .html, .md, .txt).")],
    outline_depth: Annotated[
        int, typer.Option("--outline-depth", help="Deepest heading level shown.")
    ] = 4,
    blocks: Annotated[int, typer.Option("--blocks", help="How many first blocks to show.")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Everything, as JSON.")] = False,
    ocr: Annotated[
        bool | None,
        typer.Option("--ocr/--no-ocr", help="OCR pages without text [env BRIEFING_QA_OCR]"),
    ] = None,
) -> None:
    """Show what the reader makes of FILE: outline, blocks, pages, removed text, warnings."""
    if not file.is_file():
        raise typer.BadParameter(f"{file} is not a file", param_hint="FILE")
    if file.suffix.lower() not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(SUPPORTED_SUFFIXES)
        raise typer.BadParameter(f"unsupported file type {file.suffix or '(none)'}; use {allowed}")
    settings = Settings() if ocr is None else Settings(ocr=ocr)
    started = time.perf_counter()
    outcome = _read(file, settings.read_options)
    seconds = time.perf_counter() - started
    if isinstance(outcome, str):
        typer.secho(f"{file.name}: cannot be indexed: {outcome}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    document = as_document(outcome, file.name, "", file.suffix)
    report = describe(document, outcome.notes, seconds)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    _print(report, document, outline_depth, blocks)


def _read(file: Path, options: ReadOptions) -> ParsedDocument | str:
    for _, outcome in read_isolated([file.resolve()], options):
        return outcome
    return "not read"


def describe(document: Document, notes: list[str], seconds: float) -> dict[str, Any]:
    """The facts ``inspect`` shows, as a dictionary (its --json output)."""
    kinds = Counter(b.kind for b in document.blocks)
    empty = [s.title for s in document.sections if s.title and s.start >= s.end]
    long_blocks = [b for b in document.blocks if b.end - b.start > LONG_BLOCK_CHARS]
    warnings = []
    if not kinds.get("heading"):
        warnings.append("no headings found: answers will cite the document without a section")
    if long_blocks:
        warnings.append(
            f"{len(long_blocks)} blocks over {LONG_BLOCK_CHARS:,} characters "
            "(a table or a list read as one paragraph?)"
        )
    if len(empty) > len(document.sections) // 2 and len(empty) > 3:
        warnings.append(f"{len(empty)} headings have no text of their own")
    return {
        "file": document.path,
        "format": document.format,
        "title": document.title,
        "pages": len(document.page_starts) or None,
        "characters": len(document.text),
        "read_seconds": round(seconds, 2),
        "blocks": dict(kinds.most_common()),
        "sections": len(document.sections),
        "outline": [
            {"level": s.level, "title": s.title, "page": document.page_at(s.heading_start or 0)}
            for s in document.sections
            if s.title
        ],
        "removed_and_guessed": notes,
        "warnings": warnings,
        "first_blocks": [
            {"kind": b.kind, "page": b.page, "text": document.text[b.start : b.end][:160]}
            for b in document.blocks[:50]
        ],
    }


def _print(report: dict[str, Any], document: Document, depth: int, first: int) -> None:
    pages = f", {report['pages']} pages" if report["pages"] else ""
    typer.secho(
        f"{report['file']} — {report['format'].upper()}{pages}, "
        f"{report['characters']:,} characters, read in {report['read_seconds']} s",
        bold=True,
    )
    typer.echo(f"Title: {report['title']}")
    counts = ", ".join(f"{n:,} {kind.replace('_', ' ')}s" for kind, n in report["blocks"].items())
    typer.echo(f"Blocks: {counts}")
    typer.echo(f"Sections: {report['sections']:,}")
    shown = [o for o in report["outline"] if o["level"] <= depth]
    typer.echo(f"\nOutline (levels ≤ {depth}: {len(shown)} of {len(report['outline'])}):")
    for entry in shown[:200]:
        page = f"  (p. {entry['page']})" if entry["page"] else ""
        typer.echo(f"{'  ' * max(0, entry['level'] - 1)}{entry['title']}{page}")
    if len(shown) > 200:
        typer.echo(f"  … {len(shown) - 200} more")
    for title, lines in (
        ("Removed and guessed", report["removed_and_guessed"]),
        ("Warnings", report["warnings"]),
    ):
        typer.echo(f"\n{title}:")
        for line in lines or ["none"]:
            typer.echo(f"  - {line}")
    typer.echo(f"\nFirst {min(first, len(report['first_blocks']))} blocks:")
    for block in report["first_blocks"][:first]:
        page = f" p.{block['page']}" if block["page"] else ""
        typer.echo(f"  [{block['kind']}{page}] {block['text']}")
