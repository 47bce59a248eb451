"""Every file is read alone, in a process of its own, within a time and memory budget and the
caps; a hostile file fails with a reason a user can act on, and the others are read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from index import ReadOptions, load_corpus
from tests.hostile import (
    blank_pages_pdf,
    flate_bomb_pdf,
    many_headings_markdown,
    nested_divs_html,
    single_word_text,
)

GOOD = "# Harbour note\n\nThe harbour opened in 1887 after a long debate in the city council.\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("bomb.pdf", flate_bomb_pdf, "MB of memory"),
        ("blank.pdf", blank_pages_pdf, "no text to index"),
        ("word.txt", single_word_text, "without a space is not text"),
        ("headings.md", many_headings_markdown, "over 20,000 headings (60,000)"),
        ("nested.html", nested_divs_html, "nested too deeply"),
    ],
)
def test_hostile_file_fails_alone_with_its_reason(
    tmp_path: Path, name: str, make: Callable[[Path], Path], reason: str
) -> None:
    make(tmp_path / name)
    (tmp_path / "good.md").write_text(GOOD)
    options = ReadOptions(memory_mb=1536, seconds=60)
    documents, errors = load_corpus(tmp_path, options, tmp_path / ".cache" / "parsed.sqlite")
    assert [d.id for d in documents] == ["good"]
    assert len(errors) == 1 and errors[0].startswith(f"{name}: ")
    assert reason in errors[0], errors[0]


def test_reading_past_its_time_is_stopped(tmp_path: Path) -> None:
    big = tmp_path / "long.txt"
    big.write_text("Title\n\n" + "A short line of prose that goes on.\n" * 1_500_000)
    (tmp_path / "good.md").write_text(GOOD)
    documents, errors = load_corpus(tmp_path, ReadOptions(seconds=1.5))
    assert [d.id for d in documents] == ["good"]
    assert errors == ["long.txt: parsing took longer than 1.5 s"]


def test_reading_outcomes_are_kept_by_content(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text(GOOD)
    many_headings_markdown(corpus / "headings.md")
    cache = tmp_path / "parsed.sqlite"
    first = load_corpus(corpus, ReadOptions(), cache)
    (corpus / "headings.md").rename(corpus / "renamed.md")  # same bytes, other name
    read = []
    second = load_corpus(corpus, ReadOptions(), cache, on_file=lambda done, _: read.append(done))
    assert read == []  # nothing read again: both came from the cache
    assert [d.text for d in first[0]] == [d.text for d in second[0]]
    assert second[1][0].startswith("renamed.md: over 20,000 headings")


def test_reading_options_change_the_cached_outcome(tmp_path: Path) -> None:
    many_headings_markdown(tmp_path / "headings.md", headings=300)
    cache = tmp_path / ".cache.sqlite"
    _, refused = load_corpus(tmp_path, ReadOptions(max_headings=100), cache)
    documents, errors = load_corpus(tmp_path, ReadOptions(max_headings=1000), cache)
    assert "over 100 headings" in refused[0]
    assert errors == [] and len(documents[0].sections) == 300
