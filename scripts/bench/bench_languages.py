"""What speaking the reader's language costs (issue #32), measured in one process.

Run: .venv/bin/python scripts/bench/bench_languages.py [--repeat 200]

Prints, each the median of ``--repeat`` runs after one warm-up (what is compared takes turns,
round by round):

- reading one catalogue as shipped (the ``.po`` file, read and compiled in memory by Babel,
  which the server does the first time a reader needs that language) beside loading the same
  catalogue precompiled to ``.mo`` (what compiling at build time would buy), per language;
- making the offered languages at start (``Languages``: the folder listed, CLDR read);
- the chat page in English and in German on a warm server, over HTTP (TestClient: noisy) and
  its template rendered alone (the starters, the naming, the template: what the language
  changes), and /ask refused in English and in German (the same cached answer: only the
  words differ), as ratios;
- negotiating an Accept-Language header, cached and not; choosing a request's language and
  saying a refusal in it, against the answer body as the answerer wrote it.

Timings on a shared machine are noisy: read the ratios, which come from the same run.
"""

from __future__ import annotations

import argparse
import functools
import gettext
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from babel.messages.mofile import write_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402


def median_ms(action: Callable[[], object], repeat: int) -> float:
    action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def paired_ms(actions: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """The median of each action, the actions taking turns in every round (so a burst of load
    from elsewhere falls on all of them alike)."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for action in actions.values():
        action()
    for _ in range(repeat):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(found) for name, found in times.items()}


def catalogues(repeat: int) -> None:
    from service.web.languages import available, catalogue_path, read_catalogue

    print("catalogue      .po read+compile (ms)   .mo load (ms)")
    with tempfile.TemporaryDirectory() as folder:
        for locale in available()[1:]:
            with catalogue_path(locale).open("rb") as po:
                compiled = io.BytesIO()
                write_mo(compiled, read_po(po, locale=locale))
            mo = Path(folder) / f"{locale}.mo"
            mo.write_bytes(compiled.getvalue())

            def load_mo(path: Path = mo) -> object:
                with path.open("rb") as file:
                    return gettext.GNUTranslations(file)

            po_ms = median_ms(functools.partial(read_catalogue, locale), repeat)
            print(f"{locale:<14} {po_ms:>10.2f} {median_ms(load_mo, repeat):>22.3f}")


def start_cost(repeat: int) -> None:
    from service.settings import LANGUAGES
    from service.web.languages import Languages

    ms = median_ms(lambda: Languages(LANGUAGES, "en"), repeat)
    print(f"Languages(...) at start: {ms:.2f} ms (catalogues are read later, on first use)")
    languages = Languages(LANGUAGES, "en")
    header = "de-AT,de;q=0.9,en;q=0.5"
    cached = median_ms(lambda: languages.negotiate(header), repeat * 10)
    print(f"negotiate, a header seen before: {cached * 1000:.1f} µs")
    fresh = iter(range(10**9))
    cold = median_ms(lambda: languages.negotiate(f"x{next(fresh)}, {header}"), repeat)
    print(f"negotiate, a new header: {cold * 1000:.1f} µs")


def requests(repeat: int) -> None:
    from fastapi.testclient import TestClient
    from starlette.requests import Request

    from service.settings import Settings
    from service.web.api import answer_body
    from service.web.app import create_app
    from service.web.language_choice import words_for

    settings = Settings(reload_check_seconds=0, rate_limit_per_minute=0)
    refused = {"question": "What did Human Rights Watch report?"}
    with TestClient(create_app(settings)) as client:

        def page(lang: str) -> object:
            return client.get("/", headers={"accept-language": lang})

        def ask(lang: str) -> object:
            return client.post("/ask", json=refused, headers={"accept-language": lang})

        pages = paired_ms({lang: functools.partial(page, lang) for lang in ("en", "de")}, repeat)
        swapped = paired_ms({lang: functools.partial(page, lang) for lang in ("de", "en")}, repeat)
        asked = paired_ms({lang: functools.partial(ask, lang) for lang in ("en", "de")}, repeat)
        app = client.app
        rendered = paired_ms(
            {lang: functools.partial(render_chat, app, lang) for lang in ("en", "de", "ar")},
            repeat,
        )
        answer = app.state.qa.answerer.ask(refused["question"])  # type: ignore[attr-defined]
        scope = {
            "type": "http",
            "app": app,
            "headers": [(b"accept-language", b"de-AT,de;q=0.9,en;q=0.5")],
        }
        words = words_for(Request(scope))
        choose = median_ms(lambda: words_for(Request(scope)), repeat * 10)
        bodies = paired_ms(
            {"plain": lambda: answer_body(answer), "said": lambda: answer_body(answer, words)},
            repeat * 10,
        )
        plain, said = bodies["plain"], bodies["said"]
    for name, found in (("English first", pages), ("German first", swapped)):
        print(f"chat page over HTTP (TestClient), {name}: en {found['en']:.2f} ms, "
              f"de {found['de']:.2f} ms, ratio de/en {found['de'] / found['en']:.3f}")  # fmt: skip
    print(f"chat page rendered (starters, naming, template): en {rendered['en']:.3f} ms, "
          f"de {rendered['de']:.3f} ms, ar {rendered['ar']:.3f} ms, "
          f"ratio de/en {rendered['de'] / rendered['en']:.3f}")  # fmt: skip
    print(f"/ask refused (cached answer): en {asked['en']:.2f} ms, de {asked['de']:.2f} ms, "
          f"ratio de/en {asked['de'] / asked['en']:.3f}")  # fmt: skip
    print(f"a request's language (cookie, header): {choose * 1000:.1f} µs")
    print(f"/ask body of a refusal: as the answerer wrote it {plain * 1000:.1f} µs, "
          f"said in German {said * 1000:.1f} µs")  # fmt: skip


def render_chat(app: Any, locale: str) -> str:
    """The chat page's template rendered as the route renders it, without the HTTP around."""
    from starlette.requests import Request

    from service.web.callers import OPEN
    from service.web.reading import readable_for
    from service.web.rendering import script_words, templates
    from service.web.starters import corpus_naming, starter_questions

    languages, readable = app.state.languages, readable_for(app.state.qa, OPEN)
    words = languages.words(locale)
    scope = {"type": "http", "app": app, "headers": [], "path": "/", "query_string": b""}
    context = {
        "request": Request(scope),
        "turns": [],
        "history_json": "[]",
        "error": None,
        "starters": starter_questions(readable.index, documents=readable.documents, words=words),
        "naming": corpus_naming(readable.index, documents=readable.documents, words=words),
        "view": readable,
        "caller": OPEN,
        "auth_local": False,
        "csrf": None,
        "words": words,
        "languages": languages.choices(),
        "script_words": script_words(words, "app.js"),
    }
    return templates.get_template("chat.html").render(context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    catalogues(args.repeat)
    start_cost(args.repeat)
    requests(args.repeat)


if __name__ == "__main__":
    main()
