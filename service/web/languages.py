"""The reader's language: the message catalogues, and which one a request gets.

Everything the product writes itself (never the quoted document text) comes from gettext
catalogues, ``web/locales/<locale>/LC_MESSAGES/messages.po``, extracted by ``pybabel extract``
from the Python code, the templates and the scripts (``babel.cfg``); the English source text is
the catalogue's msgid, so English needs no catalogue. A catalogue is read with Babel the first
time a reader needs it and kept (about 10 ms each, docs/performance.md): nothing is compiled
at build time, and a server whose readers are all English reads none.

Which language a request gets: the reader's choice (a cookie, ``language_choice.py``) when it
is offered, else the best match of the browser's ``Accept-Language`` (a tag matches an offered
language of the same language and script, CLDR's likely subtags filling in the script:
``zh-CN`` is Simplified Chinese, ``zh-TW`` is not), else the default language.
"""

from __future__ import annotations

import functools
import gettext
import io
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from ..answering import Refusal
from ..settings import PROJECT_ROOT
from .phrases import Phrase

LOCALES_DIR = PROJECT_ROOT / "web" / "locales"
DOMAIN = "messages"
# The language the msgids are written in: it needs no catalogue.
SOURCE = "en"
# A hostile Accept-Language is cut here before it is read (real ones are a few dozen bytes).
LONGEST_HEADER = 500
MOST_TAGS = 20


def catalogue_path(locale: str) -> Path:
    """Where ``locale``'s catalogue is kept."""
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def available() -> list[str]:
    """The source language and every language with a catalogue on disk."""
    found = sorted(p.name for p in LOCALES_DIR.iterdir() if catalogue_path(p.name).is_file())
    return [SOURCE, *found]


_LOADED: dict[str, gettext.NullTranslations] = {}
_LOADING = threading.Lock()


def translations(locale: str) -> gettext.NullTranslations:
    """``locale``'s catalogue, read on first use (the source language's is the identity)."""
    if locale == SOURCE:
        return gettext.NullTranslations()
    with _LOADING:
        if locale not in _LOADED:
            _LOADED[locale] = read_catalogue(locale)
        return _LOADED[locale]


def read_catalogue(locale: str) -> Translations:
    """The ``.po`` file read with Babel and made into gettext's lookup (fuzzy entries are left
    out, as ``msgfmt`` leaves them)."""
    with catalogue_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


class Words:
    """What the product says to one reader, in their language.

    Args:
        locale: a catalogue's locale (``de``, ``zh_Hans``).
    """

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._locale = Locale.parse(locale)
        catalogue = translations(locale)
        self.gettext = catalogue.gettext
        self.ngettext = catalogue.ngettext
        # BCP 47, for <html lang> and Content-Language: zh_Hans -> zh-Hans.
        self.tag = locale.replace("_", "-")
        self.direction = "rtl" if self._locale.character_order == "right-to-left" else "ltr"
        # The language's own name ("Deutsch", "português (Portugal)"), first letter raised as
        # a list of choices writes it.
        named = self._locale.get_display_name(self._locale) or locale
        self.name = named[:1].upper() + named[1:]

    def number(self, value: int | float) -> str:
        """``value`` written the reader's way (12,345 · 12.345 · 12 345), in Latin digits, as
        the documents' own figures and the citation markers are."""
        return format_decimal(value, locale=self._locale)

    def percent(self, value: int) -> str:
        """``value`` per cent written the reader's way (45 % · 45% · ٪45), in Latin digits."""
        return format_percent(value / 100, locale=self._locale)

    def say(self, text: str) -> str:
        """``text`` in the reader's language when it is a :class:`Phrase` (its values too);
        anything else is shown as it is."""
        if not isinstance(text, Phrase):
            return str(text)
        translated = self.gettext(text.msgid)
        if not text.params:
            return translated
        return translated % {key: self.say(value) for key, value in text.params.items()}

    def refusal(self, refusal: Refusal) -> str:
        """A refusal's sentence in the reader's language."""
        return refusal.sentence(self.gettext)


class Languages:
    """The languages offered to readers, and the choice for each request.

    Args:
        offered: catalogue locales readers may have (each must be :func:`available`).
        default: the language of a reader whose browser asks for none offered.
    """

    def __init__(self, offered: Sequence[str], default: str) -> None:
        missing = [o for o in offered if o not in available()]
        if missing:
            raise ValueError(
                f"no catalogue for {', '.join(missing)} in {LOCALES_DIR}; "
                f"available: {', '.join(available())}"
            )
        if default not in offered:
            raise ValueError(f"the default language {default!r} is not offered")
        self.offered = list(offered)
        self.default = default
        self._words: dict[str, Words] = {}
        self._keys = {locale: _language_and_script(Locale.parse(locale)) for locale in offered}

    def words(self, locale: str | None) -> Words:
        """The words of ``locale`` (the default's when it is not offered)."""
        chosen = locale if locale in self._keys else self.default
        found = self._words.get(chosen)
        if found is None:
            found = self._words.setdefault(chosen, Words(chosen))
        return found

    def choices(self) -> list[Words]:
        """Every offered language, for the switcher."""
        return [self.words(locale) for locale in self.offered]

    def negotiate(self, accept_language: str | None) -> str:
        """The offered language that best matches an ``Accept-Language`` header."""
        if not accept_language:
            return self.default
        found = _best_match(accept_language[:LONGEST_HEADER], tuple(self._keys.items()))
        return found or self.default


@functools.lru_cache(maxsize=512)
def _best_match(header: str, offered: tuple[tuple[str, tuple[str, str | None]], ...]) -> str | None:
    """The first offered locale of the same language and script as a wanted tag."""
    for tag in preferred_tags(header):
        key = _key_of(tag)
        if key is None:
            continue
        for locale, (language, script) in offered:
            if language == key[0] and (script is None or script == key[1]):
                return locale
    return None


def preferred_tags(header: str) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (``q=0``, a
    wildcard and unreadable entries left out; equal weights keep the header's order)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:MOST_TAGS]):
        tag, _, options = item.strip().partition(";")
        weight = 1.0
        for option in options.split(";"):
            name, _, value = option.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        tag = tag.strip()
        if tag and tag != "*" and 0 < weight <= 1:
            weighted.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def _key_of(tag: str) -> tuple[str, str | None] | None:
    try:
        return _language_and_script(Locale.parse(tag.replace("_", "-"), sep="-"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def _language_and_script(locale: Locale) -> tuple[str, str | None]:
    """The language and its script, the script filled in from CLDR's likely subtags when the
    tag leaves it out (``zh`` and ``zh-SG`` are written in Hans, ``zh-HK`` in Hant)."""
    if locale.script:
        return locale.language, locale.script
    likely: Mapping[str, str] = get_global("likely_subtags")
    for key in _keys(locale.language, locale.territory):
        if key in likely:
            return locale.language, Locale.parse(likely[key]).script
    return locale.language, None


def _keys(language: str, territory: str | None) -> Iterable[str]:
    if territory:
        yield f"{language}_{territory}"
    yield language
