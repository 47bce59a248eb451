"""A message the product writes, kept translatable until it reaches a reader.

Errors are raised deep in a request (validation, sign-in, the library) before anyone knows the
reader's language; a :class:`Phrase` carries its catalogue entry (the English source, with
``%(name)s`` placeholders) and its values, and reads as that English text wherever a plain
string is expected (logs, tests, ``str()``). Where the response is written,
``Words.say`` renders it in the reader's language. ``pybabel extract`` finds each
``Phrase("...")`` (babel.cfg names it a keyword).
"""

from __future__ import annotations

from typing import Any


class Phrase(str):
    """The English text of a catalogue entry, remembering the entry and its values.

    Args:
        msgid: the English source text; ``%(name)s`` placeholders for the values.
        **params: the values; a value may itself be a :class:`Phrase` (translated too).
    """

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Phrase:
        made = super().__new__(cls, msgid % params if params else msgid)
        made.msgid = msgid
        made.params = params
        return made

    def __reduce__(self) -> Any:  # pickled (worker processes, caches) with its entry
        return (_rebuild, (self.msgid, self.params))


def _rebuild(msgid: str, params: dict[str, Any]) -> Phrase:
    return Phrase(msgid, **params)
