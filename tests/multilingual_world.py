# ruff: noqa: RUF001 (Chinese is written with full-width punctuation)
"""A corpus in three languages for the multilingual tests (issue #32): the English briefing, a
German and a Chinese document, built with both phases."""

from __future__ import annotations

import shutil
from pathlib import Path

from index import Embedder, build_index, load_index
from index.encoder.multilingual import MultilingualEncoder
from index.store.multilingual import build_multilingual, is_ready

GERMAN = """# Wasserversorgung in Bergdörfern

Die Gemeinde Hohenfels versorgt seit 1987 ihre 412 Einwohner aus einer eigenen Quelle.

Im Jahr 2019 wurden die Leitungen erneuert; die Arbeiten kosteten 1,8 Millionen Euro und
wurden zur Hälfte vom Land getragen.

Die Wasserpreise stiegen danach um zwölf Prozent, was im Gemeinderat heftig umstritten war.
"""
CHINESE = """# 城市公共交通报告

该市的地铁系统于2008年开通，目前共有七条线路，每天运送乘客约两百万人次。

2021年，市政府决定将公交车全部更换为电动车，计划在五年内完成。

票价自开通以来一直保持在两元，这是全国最低的票价之一。
"""


def build_world(
    root: Path, briefing: Path, embedder: Embedder, encoder: MultilingualEncoder
) -> Path:
    """Build the three documents under ``root`` (``corpus/``, ``index/``); returns ``root``."""
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(briefing, corpus / briefing.name)
    (corpus / "wasser.md").write_text(GERMAN, encoding="utf-8")
    (corpus / "verkehr.md").write_text(CHINESE, encoding="utf-8")
    build_index(corpus, root / "index", embedder)
    index = load_index(root / "index")
    assert not is_ready(index.path)  # the English index serves before the second phase
    build_multilingual(index, root / "index", encoder)
    return root
