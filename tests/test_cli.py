"""The briefing-qa command, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index import current_version
from service.settings import Settings
from service.state import AppState
from tests.conftest import BRIEFING, settings_env
from tests.hostile import many_headings_markdown
from tests.pdfmaker import make_pdf


def _run(args: list[str], settings: Settings) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True,
        text=True,
        env=settings_env(settings),
        timeout=300,
        check=False,
    )


def test_cli_ask_json_prints_the_contract(app_state) -> None:  # type: ignore[no-untyped-def]
    result = _run(
        ["ask", "How many votes did Nazarbayev get in the 2011 presidential election?", "--json"],
        app_state.settings,
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["answered"] is True
    assert "95.55" in body["answer"]
    first = body["citations"][0]
    assert "95.55" in BRIEFING.read_text(encoding="utf-8")[first["start"] : first["end"]]
    assert body["index_version"] == current_version(app_state.settings.index_dir)


def test_cli_ask_empty_question_fails_clearly(app_state) -> None:  # type: ignore[no-untyped-def]
    result = _run(["ask", "   "], app_state.settings)
    assert result.returncode == 2
    assert "question is empty" in result.stderr


def test_cli_build_index_reports_reuse(app_state) -> None:  # type: ignore[no-untyped-def]
    result = _run(["build-index", "--quiet"], app_state.settings)
    assert result.returncode == 0, result.stderr
    assert "0 new" in result.stdout
    assert "1 unchanged" in result.stdout


def test_an_unreachable_database_stops_serve_and_build_with_one_line(
    app_state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "BRIEFING_QA_DATABASE_URL", "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/x"
    )
    for args in (["serve", "--port", "1"], ["build-index", "--quiet", "--device", "cpu"]):
        result = _run(args, app_state.settings)
        assert result.returncode == 2, result.stderr
        assert "cannot use the library's database" in result.stderr
        assert "Connection refused" in result.stderr and "hunter2" not in result.stderr
        assert "Traceback" not in result.stderr


def test_cli_inspect_shows_outline_blocks_and_what_was_removed(
    app_state: AppState, tmp_path: Path
) -> None:
    path = tmp_path / "report.pdf"
    pages = [["Harbour report", "1. Cargo", "The port handled 1.2 million containers.", "1"]]
    pages += [
        ["Harbour report", f"{n}. Part {n}", f"Page {n} says something new.", str(n)]
        for n in (2, 3, 4)
    ]
    make_pdf(path, pages)
    result = _run(["inspect", str(path)], app_state.settings)
    assert result.returncode == 0, result.stderr
    assert "PDF, 4 pages" in result.stdout
    assert "Outline" in result.stdout and "1. Cargo" in result.stdout
    assert "running header 'Harbour report' removed from 4 pages" in result.stdout
    report = json.loads(_run(["inspect", str(path), "--json"], app_state.settings).stdout)
    assert report["pages"] == 4 and report["blocks"]["heading"] >= 4


def test_cli_inspect_names_why_a_file_cannot_be_indexed(
    app_state: AppState, tmp_path: Path
) -> None:
    path = many_headings_markdown(tmp_path / "list.md", headings=25_000)
    result = _run(["inspect", str(path)], app_state.settings)
    assert result.returncode == 1
    assert "over 20,000 headings (25,000)" in result.stderr
