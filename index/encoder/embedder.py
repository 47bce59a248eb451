"""The offline embedding model (the vectors kept between builds: ``cache.py``; the
ONNX export: ``onnx_export.py``).

Two backends compute the same all-MiniLM-L6-v2 vectors:

* ``onnx`` (default): sentence-transformers exports the bundled model to ONNX once (offline,
  cached on disk); afterwards inference runs on onnxruntime with the model's own tokenizer,
  mean pooling and L2 normalisation, exactly the model's sentence-transformers pipeline,
  without importing torch. That makes a server start in about a second and use a fraction
  of the memory.
* ``torch``: sentence-transformers on PyTorch, the reference; on a GPU, in float16 (builds).

Concurrent single-text calls are micro-batched: whichever thread runs inference takes every
query waiting at that moment and embeds them in one call.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .model_files import bundled_model_path, max_length
from .onnx_export import ensure_onnx_export

MODEL_NAME = "all-MiniLM-L6-v2"
# Passages per forward pass on a GPU: large enough to keep it busy, small enough for any card
# (512 passages of 256 tokens in float16 take well under 1 GB of activations).
GPU_BATCH = 512
ProgressCallback = Callable[[int, int], None]


def resolve_device(choice: str) -> str:
    """``"auto"``: the GPU when PyTorch sees one, else the CPU; ``"cuda"`` must be there.

    Raises:
        ValueError: a GPU was asked for and none is visible.
    """
    if choice == "cpu":
        return "cpu"
    if not re.fullmatch(r"auto|cuda(:\d+)?", choice):
        raise ValueError(f"unknown device {choice!r}; use cpu, cuda, cuda:N or auto")
    import torch

    visible = torch.cuda.is_available()
    if choice == "auto":
        return "cuda" if visible else "cpu"
    if not visible:
        raise ValueError(
            f"--device {choice}: PyTorch sees no CUDA GPU here (a CPU-only torch build, or no "
            "driver); use --device cpu, or install a CUDA build of torch on the GPU machine"
        )
    return choice


def _offline() -> None:
    # Never reach for a hub: the weights are on disk, and the machine may be offline.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class _Runner(Protocol):
    dimension: int

    def run(self, texts: list[str]) -> np.ndarray: ...


class _TorchRunner:
    """sentence-transformers on PyTorch: on the CPU in float32 (the reference), or on a GPU in
    float16 (half the memory traffic; vectors within cosine 0.9999 of float32)."""

    def __init__(self, threads: int, device: str = "cpu", half: bool = False) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if threads > 0:
            torch.set_num_threads(threads)
        self.model = SentenceTransformer(
            str(bundled_model_path()), device=device, local_files_only=True
        )
        if half:
            self.model.half()
        dimension_of = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension_of() or 384)

    def run(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=len(texts),  # the caller already cut the batch
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        vectors = np.asarray(vectors, dtype=np.float32)  # float16 from a GPU, renormalised
        return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)


class _OnnxRunner:
    """The exported ONNX graph + the model's tokenizer + mean pooling + L2 normalisation."""

    def __init__(
        self, export_dir: Path, threads: int, max_length: int, quantized: bool = False
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        if threads > 0:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(
            str(export_dir / "onnx" / ("model_qint8.onnx" if quantized else "model.onnx")),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(export_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def run(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        tokens = self.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class _Slot:
    """One query waiting to be embedded by whichever thread leads the next batch."""

    __slots__ = ("done", "error", "result", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.result: np.ndarray | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


class Embedder:
    """Sentence embeddings from the bundled all-MiniLM-L6-v2, L2-normalised float32.

    Args:
        backend: ``"onnx"`` (fast on CPU; exported once into ``onnx_cache_dir``) or ``"torch"``.
        onnx_cache_dir: where the ONNX export is kept between runs (required for ``onnx``).
        threads: intra-op threads for inference; 0 leaves the library default.
        quantized: use the int8 copy of the ONNX model (about 1.7x faster, vectors within
            cosine 0.99 of the float model; indexes built with one cannot be served by the other).
        device: ``"cpu"``, or a GPU (``"cuda"``, ``"cuda:1"``) for the torch backend: the same
            model in float16, whose vectors agree with the CPU ones (same ``model_key``), so an
            index built on a GPU is served by CPU replicas.
        half: float16 weights (default: on a GPU only; on a CPU it is slower, and is there to
            check the float16 path on machines without a GPU).
    """

    def __init__(
        self,
        backend: str = "onnx",
        onnx_cache_dir: Path | None = None,
        threads: int = 0,
        quantized: bool = False,
        device: str = "cpu",
        half: bool | None = None,
    ) -> None:
        _offline()
        if quantized and backend != "onnx":
            raise ValueError("quantized embeddings need the onnx backend")
        if device != "cpu" and backend != "torch":
            raise ValueError("a GPU device needs the torch backend")
        self.backend = backend
        self.device = device
        self.model_name = MODEL_NAME
        self._runner: _Runner
        # Texts per forward pass when building: a GPU needs big batches to be kept busy.
        self.batch_size = 64 if device == "cpu" else GPU_BATCH
        if backend == "torch":
            self._runner = _TorchRunner(threads, device, device != "cpu" if half is None else half)
        elif backend == "onnx":
            if onnx_cache_dir is None:
                raise ValueError("the onnx backend needs a folder for its export")
            self._runner = _OnnxRunner(
                ensure_onnx_export(onnx_cache_dir), threads, max_length(), quantized
            )
        else:
            raise ValueError(f"unknown embedding backend {backend!r}; use 'onnx' or 'torch'")
        self.dimension = self._runner.dimension
        # What an index must have been built with to be searched with these vectors.
        self.model_key = f"{MODEL_NAME}/{self.dimension}" + ("/qint8" if quantized else "")
        self._inference = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Slot] = []
        self._leading = False
        self.max_batch = 32

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Embed ``texts``; returns an array of shape (len(texts), dimension).

        Args:
            texts: the texts to embed.
            batch_size: texts per forward pass (default: the device's).
            progress: called with (done, total) after each batch.
        """
        batch_size = batch_size or self.batch_size
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Sorting by length keeps padding small inside a batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for begin in range(0, len(order), batch_size):
            chunk = order[begin : begin + batch_size]
            with self._inference:
                out[chunk] = self._runner.run([texts[i] for i in chunk])
            if progress is not None:
                progress(min(begin + batch_size, len(texts)), len(texts))
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """Embed one query. Concurrent callers are batched: the first becomes the leader and
        embeds everything queued, batch after batch, until the queue is empty; the others
        just wait for their result."""
        slot = _Slot(text)
        with self._queue_lock:
            self._queue.append(slot)
            lead = not self._leading
            self._leading = True
        if lead:
            self._lead_batches()
        else:
            slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.result is not None
        return slot.result

    def _lead_batches(self) -> None:
        while True:
            with self._queue_lock:
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                if not batch:
                    self._leading = False
                    return
            try:
                with self._inference:
                    vectors = self._runner.run([s.text for s in batch])
            except BaseException as exc:  # every waiter must wake up, with the error
                with self._queue_lock:
                    stranded, self._queue = self._queue, []
                    self._leading = False
                for waiting in batch + stranded:
                    waiting.error = exc
                    waiting.done.set()
                raise
            for waiting, vector in zip(batch, vectors, strict=True):
                waiting.result = vector
                waiting.done.set()
