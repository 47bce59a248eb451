"""The ONNX export of the bundled model, made once (offline) and cached on disk: the plain graph
with BERT's attention and layer-norm ops fused, and an int8 copy."""

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

from .model_files import bundled_model_path

log = logging.getLogger(__name__)


def ensure_onnx_export(export_dir: Path) -> Path:
    """Export the bundled model to ONNX in ``export_dir`` unless that was done already.

    The export runs once (it needs torch and optimum, both installed); concurrent processes
    wait for each other, and a crash mid-export leaves no half-written model behind.
    """
    if (export_dir / "onnx" / "model.onnx").exists():
        return export_dir
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(export_dir.parent / f".{export_dir.name}.lock"):
        if (export_dir / "onnx" / "model.onnx").exists():
            return export_dir
        log.info("preparing the model for fast CPU inference (once, about 20 s)…")
        with _quiet_export():
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.set_verbosity_error()  # it resets its own level on import
            model = SentenceTransformer(
                str(bundled_model_path()), backend="onnx", device="cpu", local_files_only=True
            )
        staging = Path(tempfile.mkdtemp(prefix=".onnx-", dir=export_dir.parent))
        try:
            model.save_pretrained(str(staging))
            with _quiet_export():
                _derive_variants(staging / "onnx")
            if export_dir.exists():
                shutil.rmtree(export_dir)
            os.replace(staging, export_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return export_dir


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
    names = ("", "sentence_transformers", "transformers", "optimum", "onnxruntime", "onnx")
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
