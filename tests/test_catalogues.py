"""The message catalogues (issue #32): every string the product writes is in every offered
language's catalogue, translated, with its placeholders — read from the source by Babel's own
extractors, so a new string without translations fails here."""

from __future__ import annotations

import functools
import pickle
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from service.settings import LANGUAGES, PROJECT_ROOT
from service.web.languages import LOCALES_DIR, SOURCE, Languages, Words, available
from service.web.phrases import Phrase

MAPPING = LOCALES_DIR / "babel.cfg"
# The keywords babel.cfg's header names (pybabel extract -k Phrase -k t): Babel's defaults
# (_, gettext, ngettext, N_, ...) and the product's own.
KEYWORDS = ("Phrase", "t")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# A plural form may say its number in words ("one document", Arabic's dual): it may leave the
# count's placeholder out, never another.
COUNT = "n"
TRANSLATED = [locale for locale in LANGUAGES if locale != SOURCE]


@functools.cache
def extracted() -> dict[str | tuple[str, str], list[str]]:
    """Every msgid in the source (Python, templates, scripts), with where it is used."""
    from babel.messages.extract import DEFAULT_KEYWORDS
    from babel.messages.frontend import parse_mapping_cfg

    with MAPPING.open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, **{k: None for k in KEYWORDS}}
    found: dict[str | tuple[str, str], list[str]] = {}
    for path, _, message, _, _ in extract_from_dir(
        PROJECT_ROOT, method_map, options_map, keywords=keywords
    ):
        key = message if isinstance(message, str) else (message[0], message[1])
        found.setdefault(key, []).append(path)
    return found


@functools.cache
def catalogue(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def _entries(locale: str) -> dict[str | tuple[str, str], list[str]]:
    return {
        (m.id if isinstance(m.id, str) else (m.id[0], m.id[1])): _forms(m)
        for m in catalogue(locale)
        if m.id
    }


def test_catalogues_extraction_finds_every_part_of_the_product() -> None:
    places = {Path(p).parts[0] for paths in extracted().values() for p in paths}
    assert places == {"service", "web"}
    used = {p for paths in extracted().values() for p in paths}
    assert any(p.endswith(".js") for p in used) and any(p.endswith(".html") for p in used)
    assert "%(subject)s \u2014 %(reason)s, so I won't guess." in extracted()


def test_catalogues_every_offered_language_has_one() -> None:
    assert available() == [SOURCE, *sorted(TRANSLATED)]


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_has_every_string_of_the_source(locale: str) -> None:
    missing = [m for m in extracted() if m not in _entries(locale)]
    assert not missing, f"{locale}: run pybabel extract and update (docs): {missing[:5]}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_has_no_string_the_source_dropped(locale: str) -> None:
    stale = [m for m in _entries(locale) if m not in extracted()]
    assert not stale, stale[:5]


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_translates_everything(locale: str) -> None:
    empty = [
        m.id
        for m in catalogue(locale)
        if m.id and (m.fuzzy or not all(form.strip() for form in _forms(m)))
    ]
    assert not empty, empty[:5]


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_keeps_every_placeholder(locale: str) -> None:
    wrong = []
    for message in catalogue(locale):
        if not message.id:
            continue
        ids = _ids(message)
        if len(ids) == 1:
            if _names(_forms(message)[0]) != _names(ids[0]):
                wrong.append((ids, _forms(message)[0]))
            continue
        expected = _names(ids[0]) | _names(ids[1])
        for form in _forms(message):
            if not expected - {COUNT} <= _names(form) <= expected:
                wrong.append((ids, form))
    assert not wrong, wrong[:5]


def _names(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _ids(message: Message) -> list[str]:
    return [message.id] if isinstance(message.id, str) else list(message.id)


def _forms(message: Message) -> list[str]:
    string = message.string
    return [string] if isinstance(string, str) else list(string or ())


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_has_its_languages_plural_forms(locale: str) -> None:
    plurals = [m for m in catalogue(locale) if m.id and len(_ids(m)) == 2]
    assert plurals
    assert all(len(_forms(m)) == catalogue(locale).num_plurals for m in plurals)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_uses_no_printf_placeholder_but_named_ones(locale: str) -> None:
    # Unnamed %s or {name} would not be filled in by the code, templates or scripts.
    loose = re.compile(r"%[sd]|\{[a-z_]+\}")
    strays = [m.id for m in catalogue(locale) if m.id and loose.search(" ".join(_forms(m)))]
    assert not strays, strays[:5]


def test_catalogue_template_is_current() -> None:
    with (LOCALES_DIR / "messages.pot").open("rb") as pot:
        template = {m.id if isinstance(m.id, str) else (m.id[0], m.id[1]) for m in read_po(pot)}
    assert template - {""} == set(extracted())


@pytest.mark.parametrize(
    ("locale", "tag", "direction"),
    [("en", "en", "ltr"), ("de", "de", "ltr"), ("ar", "ar", "rtl"), ("zh_Hans", "zh-Hans", "ltr")],
)
def test_words_know_their_tag_and_direction(locale: str, tag: str, direction: str) -> None:
    words = Words(locale)
    assert (words.tag, words.direction) == (tag, direction)


@pytest.mark.parametrize(
    ("locale", "name"),
    [
        ("de", "Deutsch"),
        ("fr", "Français"),
        ("pt_PT", "Português (Portugal)"),
        ("ar", "العربية"),
        ("el", "Ελληνικά"),
        ("ru", "Русский"),
    ],
)
def test_words_name_their_language_in_itself(locale: str, name: str) -> None:
    assert Words(locale).name == name


@pytest.mark.parametrize(
    ("locale", "written"), [("en", "12,345"), ("de", "12.345"), ("pl", "12\u00a0345")]
)
def test_words_write_numbers_the_readers_way(locale: str, written: str) -> None:
    assert Words(locale).number(12345) == written


def test_phrase_reads_as_english_and_is_said_in_the_readers_language() -> None:
    limit = Phrase("top_k must be at most %(limit)s", limit=10)
    assert limit == "top_k must be at most 10"
    assert Words("de").say(limit) == "top_k darf höchstens 10 sein"
    assert Words("de").say("not a phrase") == "not a phrase"
    assert pickle.loads(pickle.dumps(limit)).msgid == limit.msgid


def test_phrase_values_that_are_phrases_are_said_too() -> None:
    why = Phrase("this needs an admin")
    refused = Phrase(
        "%(why)s; you are signed in as %(name)s (%(role)s)", why=why, name="a", role="b"
    )
    assert Words("fr").say(refused).startswith("cette action est réservée aux administrateurs")


def test_languages_refuse_one_without_a_catalogue() -> None:
    with pytest.raises(ValueError, match="no catalogue for xx"):
        Languages(["en", "xx"], "en")
    with pytest.raises(ValueError, match="not offered"):
        Languages(["en", "de"], "fr")
