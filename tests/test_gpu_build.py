"""Index builds on a GPU (`build-index --device cuda`): the same model in float16, vectors that
agree with the CPU ones, so CPU replicas serve a GPU-built index. Machines without a GPU check
the float16 path on the CPU and that asking for a missing GPU fails clearly; the GPU speed is
measured by scripts/bench/bench_gpu_build.py on a machine with one (docs/scaling.md)."""

from __future__ import annotations

import numpy as np
import pytest

from index import Embedder, load_index, resolve_device
from service.state import AppState
from tests.test_cli import _run

torch = pytest.importorskip("torch")
GPU = torch.cuda.is_available()


def corpus_texts(app_state: AppState) -> list[str]:
    index = load_index(app_state.settings.index_dir)
    return [p.search_text for p in index.passages] + [s.text for s in index.sentences]


@pytest.mark.parametrize(
    "device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not GPU, reason="no GPU"))]
)
def test_float16_vectors_agree_with_the_served_model(
    app_state: AppState, embedder: Embedder, device: str
) -> None:
    texts = corpus_texts(app_state)
    half = Embedder("torch", device=device, half=True)
    assert half.model_key == embedder.model_key  # an index built this way is served as is
    cosines = np.sum(half.encode(texts) * embedder.encode(texts), axis=1)
    assert cosines.min() >= 0.999, cosines.min()


@pytest.mark.skipif(GPU, reason="this machine has a GPU")
def test_asking_for_a_missing_gpu_fails_clearly(app_state: AppState) -> None:
    before = (app_state.settings.index_dir / "CURRENT").read_text()
    result = _run(["build-index", "--device", "cuda", "--quiet"], app_state.settings)
    assert result.returncode == 2
    assert "sees no CUDA GPU" in result.stderr and "--device cpu" in result.stderr
    assert (app_state.settings.index_dir / "CURRENT").read_text() == before
    assert resolve_device("auto") == "cpu"


def test_an_unknown_device_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        resolve_device("tpu")
