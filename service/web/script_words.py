"""The scripts' words in the reader's language, handed to them by the page as data.

``web/static/*.js`` write their text with ``t("English source", {values})``; ``pybabel
extract`` puts those strings in the one catalogue with the templates' and the code's. A page
that loads a script carries, in a ``<script type="application/json">`` block (data, which the
CSP lets through as it never runs), the translations of exactly the strings that script uses:
found once per process by Babel's own JavaScript extractor, so there is no second list to
keep and no catalogue in JavaScript.
"""

from __future__ import annotations

import functools

from babel.messages.extract import extract_javascript

from ..settings import PROJECT_ROOT
from .languages import Words

SCRIPTS_DIR = PROJECT_ROOT / "web" / "static"
# The scripts' translation function (babel.cfg names the same keyword).
KEYWORD = "t"


@functools.lru_cache(maxsize=16)
def script_msgids(script: str) -> tuple[str, ...]:
    """The strings ``script`` passes to ``t()``, in the order it first uses them."""
    with (SCRIPTS_DIR / script).open("rb") as source:
        found = list(extract_javascript(source, {KEYWORD: None}, [], {}))
    msgids: dict[str, None] = {}
    for _, _, message, _ in found:
        text = message[0] if isinstance(message, tuple) else message
        if isinstance(text, str):
            msgids.setdefault(text, None)
    return tuple(msgids)


def script_words(words: Words, *scripts: str) -> dict[str, str]:
    """What ``scripts`` say, in ``words``' language: {English source: translation}; strings
    the language leaves as they are (or does not have yet) are left out — the script shows
    its source text. Made once per language and scripts (the page only reads it)."""
    key = (words.locale, scripts)
    table = _TABLES.get(key)
    if table is None:
        table = {}
        for script in scripts:
            for msgid in script_msgids(script):
                translated = words.gettext(msgid)
                if translated != msgid:
                    table[msgid] = translated
        _TABLES[key] = table
    return table


_TABLES: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}
