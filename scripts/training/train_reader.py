"""Fine-tune the reading model: all-MiniLM-L6-v2's weights as a cross-encoder that reads a
(question, sentence) pair and scores whether the sentence answers the question.

Measured for issue #11 and not shipped (docs/quality.md): held out, it added little. To repeat:

    .venv/bin/python scripts/training/train_decision.py --reader-pairs .reader/pairs.jsonl.gz
    # copy the bundled model's config, tokenizer files and (fp16) weights to .reader/base/
    OUT=out python scripts/training/train_reader.py  # on a GPU machine: ~6 minutes on one H200

It writes ``$OUT/oof.npy`` (each pair scored by a model that never saw its article: 4 folds of
articles, the briefing one of them) and ``$OUT/reader/`` (the model trained on every pair,
fp16, cut in pieces of 15 MiB). On the 2-core CPU the same training would take hours.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

BASE = Path(".reader/base")
FOLDS = 4
EPOCHS = 2
BATCH = 64
LEARNING_RATE = 4e-5
MAX_TOKENS = 128


def load_pairs() -> list[dict[str, object]]:
    with gzip.open(".reader/pairs.jsonl.gz", "rt") as f:
        return [json.loads(line) for line in f]


def encode(tokenizer, rows, device):  # type: ignore[no-untyped-def]
    batch = tokenizer(
        [r["q"] for r in rows],
        [r["s"] for r in rows],
        truncation=True,
        max_length=MAX_TOKENS,
        padding=True,
        return_tensors="pt",
    )
    return {k: v.to(device) for k, v in batch.items()}


def train(tokenizer, rows, device):  # type: ignore[no-untyped-def]
    torch.manual_seed(7)
    random.seed(7)
    model = AutoModelForSequenceClassification.from_pretrained(
        BASE, num_labels=1, torch_dtype=torch.float32
    ).to(device)
    steps = EPOCHS * math.ceil(len(rows) / BATCH)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, s / (0.1 * steps)) * max(0.0, (steps - s) / steps)
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    order = list(range(len(rows)))
    for _ in range(EPOCHS):
        random.shuffle(order)
        for start in range(0, len(order), BATCH):
            chunk = [rows[i] for i in order[start : start + BATCH]]
            labels = torch.tensor([float(r["y"]) for r in chunk], device=device)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                logits = model(**encode(tokenizer, chunk, device)).logits.squeeze(-1)
            loss = loss_fn(logits.float(), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
    return model


@torch.no_grad()
def score(model, tokenizer, rows, device) -> np.ndarray:  # type: ignore[no-untyped-def]
    model.eval()
    out = []
    for start in range(0, len(rows), 512):
        chunk = rows[start : start + 512]
        with torch.autocast("cuda", dtype=torch.bfloat16):
            out.append(model(**encode(tokenizer, chunk, device)).logits.squeeze(-1).float().cpu())
    return torch.cat(out).numpy()


# Files come back from the GPU machine in pieces of at most 16 MiB.
PART_BYTES = 15 * 1024 * 1024


def split_file(path: Path, part_bytes: int) -> None:
    """Cut ``path`` into ``path.part0``, ``path.part1``, ... (join them with ``cat``)."""
    data = path.read_bytes()
    for i in range(0, len(data), part_bytes):
        (path.parent / f"{path.name}.part{i // part_bytes}").write_bytes(data[i : i + part_bytes])
    path.unlink()


def main() -> None:
    out = Path(os.environ.get("OUT", "out"))
    out.mkdir(parents=True, exist_ok=True)
    device = "cuda"
    rows = load_pairs()
    tokenizer = AutoTokenizer.from_pretrained(BASE)
    groups = sorted({str(r["g"]) for r in rows})
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    oof = np.zeros(len(rows), dtype=np.float32)
    seconds: dict[str, float] = {}
    log = {"pairs": len(rows), "folds": {g: fold_of[g] for g in groups}, "seconds": seconds}
    # FINAL_ONLY=1 trains just the model to ship (the held-out scores already exist).
    for fold in range(0 if os.environ.get("FINAL_ONLY") else FOLDS):
        started = time.time()
        train_rows = [r for r in rows if fold_of[str(r["g"])] != fold]
        test_ids = [i for i, r in enumerate(rows) if fold_of[str(r["g"])] == fold]
        model = train(tokenizer, train_rows, device)
        oof[test_ids] = score(model, tokenizer, [rows[i] for i in test_ids], device)
        seconds[f"fold{fold}"] = round(time.time() - started, 1)
        print(f"fold {fold}: {len(train_rows)} pairs, {time.time() - started:.1f}s", flush=True)
    if not os.environ.get("FINAL_ONLY"):
        np.save(out / "oof.npy", oof)
    started = time.time()
    model = train(tokenizer, rows, device)
    seconds["final"] = round(time.time() - started, 1)
    model.half().save_pretrained(out / "reader")
    tokenizer.save_pretrained(out / "reader")
    split_file(out / "reader" / "model.safetensors", PART_BYTES)
    (out / "train_log.json").write_text(json.dumps(log, indent=1))
    print(json.dumps(log), flush=True)


if __name__ == "__main__":
    main()
