"""Learn the directions along which multilingual-e5 tells languages apart (issue #32;
``index/encoder/directions.py`` says what they are for) and write them beside the encoder.

    .venv/bin/python scripts/training/language_directions.py             # 8 directions
    .venv/bin/python scripts/training/language_directions.py --count 4

The texts are the product's own interface catalogues (``web/locales/*/LC_MESSAGES``): the
messages translated in every catalogue, in English (their ids) and in each language — the
same sentences in each, so their means differ by language and hardly by what they say. Each
text is embedded on both of e5's sides (a question's and a passage's); a language's mean is
over both. No evaluation set's questions or documents are read, so the directions can be
measured on any of them (``scripts/eval/xquad_retrieval.py`` chooses how many on folds).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
from babel.messages.pofile import read_po

from index.encoder.directions import DIRECTIONS_FILE, learn_directions
from index.encoder.multilingual import MultilingualEncoder

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "web" / "locales"
# How many directions: with eleven catalogues the folds of scripts/eval/xquad_retrieval.py
# chose six over four in 11 of 15 choices; with nineteen, eight measure a little above six
# (mean R@3 0.9307 against 0.9299 on XQuAD's English paragraphs; docs/quality.md, #32).
DIRECTIONS = 8
# Messages this short ("Sign in", "Library") say little of their language; longer ones do.
SHORTEST_MESSAGE = 12


def parallel_messages() -> dict[str, list[str]]:
    """Each catalogue's translations of the messages every catalogue translates, in the same
    order, and the English ids under "en"."""
    catalogues: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOGUES.glob("*/LC_MESSAGES/messages.po")):
        with path.open("rb") as handle:
            catalogue = read_po(handle)
        catalogues[path.parts[-3]] = {
            str(m.id): str(m.string)
            for m in catalogue
            if m.id and isinstance(m.id, str) and m.string and isinstance(m.string, str)
        }
    if not catalogues:
        sys.exit(f"no catalogues under {CATALOGUES}")
    shared = sorted(set.intersection(*(set(c) for c in catalogues.values())))
    shared = [m for m in shared if len(m) >= SHORTEST_MESSAGE]
    texts = {"en": shared}
    texts.update({code: [c[m] for m in shared] for code, c in catalogues.items()})
    return texts


def language_means(encoder: MultilingualEncoder, texts: dict[str, list[str]]) -> np.ndarray:
    """Each language's mean e5 vector over its texts, both sides (rows in ``texts``' order)."""
    means = []
    for code, lines in texts.items():
        print(f"  {code}: {len(lines)} messages", flush=True)
        both = np.concatenate([encoder.encode_queries(lines), encoder.encode(lines)])
        means.append(both.mean(axis=0))
    return np.stack(means)


def catalogue_means(encoder: MultilingualEncoder) -> tuple[list[str], np.ndarray]:
    """The catalogues' languages and their means."""
    texts = parallel_messages()
    return list(texts), language_means(encoder, texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=DIRECTIONS, help="directions to take out")
    args = parser.parse_args()
    languages, means = catalogue_means(MultilingualEncoder())
    if not 0 <= args.count < len(languages):
        sys.exit(
            f"--count must be between 0 and {len(languages) - 1} (one less than the languages)"
        )
    basis = learn_directions(means, args.count)
    manifest = {
        "count": args.count,
        "languages": languages,
        "learned": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "how": "scripts/training/language_directions.py: the top singular directions of the "
        "catalogues' language means (web/locales), centred",
        "basis": [[round(float(x), 7) for x in row] for row in basis],
    }
    DIRECTIONS_FILE.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"{args.count} directions from {len(languages)} languages → {DIRECTIONS_FILE}")


if __name__ == "__main__":
    main()
