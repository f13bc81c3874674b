"""Shared test settings: one torch thread per xdist worker, deterministic algorithms."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
# The suite never touches the network: missing datasets fail at once instead of trying a download.
os.environ["BASINLAB_DOWNLOAD"] = "0"

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _one_torch_thread():
    import torch

    torch.set_num_threads(1)
    yield
