"""The ONNX export of the bundled model, made once (offline) and cached on disk: the plain graph
with BERT's attention and layer-norm ops fused, and an int8 copy.

The export is PyTorch's own (``torch.onnx.export`` of the transformer, token embeddings out;
pooling and normalisation stay in numpy, see ``embedder.py``): no exporter stack beside torch,
whose optimum/transformers/kernels versions once sent a newcomer's pip into a 20-minute
dependency search (issue #30)."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .model_files import bundled_model_path

log = logging.getLogger(__name__)


def ensure_onnx_export(export_dir: Path) -> Path:
    """Export the bundled model to ONNX in ``export_dir`` unless that was done already.

    The export runs once (it needs torch, installed with the app); concurrent processes
    wait for each other, and a crash mid-export leaves no half-written model behind.
    """
    if (export_dir / "onnx" / "model.onnx").exists():
        return export_dir
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(export_dir.parent / f".{export_dir.name}.lock"):
        if (export_dir / "onnx" / "model.onnx").exists():
            return export_dir
        log.info("preparing the model for fast CPU inference (once, about 20 s)…")
        staging = Path(tempfile.mkdtemp(prefix=".onnx-", dir=export_dir.parent))
        try:
            (staging / "onnx").mkdir()
            with _quiet_export():
                _export_transformer(staging / "onnx" / "model.onnx")
                _derive_variants(staging / "onnx")
            shutil.copy(bundled_model_path() / "tokenizer.json", staging / "tokenizer.json")
            if export_dir.exists():
                shutil.rmtree(export_dir)
            os.replace(staging, export_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return export_dir


def _export_transformer(target: Path) -> None:
    """The bundled transformer as an ONNX graph: (input ids, attention mask, token types) →
    token embeddings, with the batch and sequence lengths free."""
    import torch
    import transformers

    transformers.logging.set_verbosity_error()  # it resets its own level on import
    model = transformers.AutoModel.from_pretrained(str(bundled_model_path()), local_files_only=True)

    class TokenEmbeddings(torch.nn.Module):
        """Keyword arguments into the model: its positional order moves between releases."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    free = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            TokenEmbeddings().eval(),
            example,
            str(target),
            input_names=names,
            output_names=["token_embeddings"],
            dynamic_axes={name: free for name in [*names, "token_embeddings"]},
            opset_version=17,
            dynamo=False,  # the tracing exporter: the dynamo one needs onnxscript besides
        )


def _derive_variants(onnx_dir: Path) -> None:
    """Next to the plain export, write the graph with BERT's attention and layer-norm ops
    fused (same numbers, faster on CPU) as model.onnx, and an int8 copy (per-channel dynamic
    quantisation) as model_qint8.onnx for those who trade a little accuracy for speed."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    plain = onnx_dir / "model.onnx"
    quantize_dynamic(
        str(plain), str(onnx_dir / "model_qint8.onnx"), weight_type=QuantType.QInt8,
        per_channel=True,
    )  # fmt: skip
    fused = optimizer.optimize_model(
        str(plain), model_type="bert", num_heads=0, hidden_size=0, opt_level=1
    )
    fused.save_model_to_file(str(onnx_dir / "model.fused.onnx"))
    os.replace(onnx_dir / "model.fused.onnx", plain)


@contextlib.contextmanager
def _quiet_export() -> Iterator[None]:
    """The exporters log every tensor and warn about tracing; none of it is actionable."""
    names = ("", "transformers", "torch.onnx", "onnxruntime", "onnx")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
