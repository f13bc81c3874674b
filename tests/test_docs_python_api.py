"""docs/python-api.md runs: its ```python blocks execute in order in one namespace, as a notebook would."""

from __future__ import annotations

import math
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "python-api.md"


def test_python_api_page_runs_top_to_bottom(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 4
    namespace: dict = {"__name__": "docs_python_api"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{DOC.name}[block {i}]", "exec"), namespace)  # noqa: S102
    out = capsys.readouterr().out
    # the page's claims hold for what it computed
    assert namespace["result"].final["train_acc"] > 0.9
    volume = namespace["volume"]
    assert volume.radii.shape == (64, 2, 1) and volume.log_volume(0.3) > volume.log_volume(0.1)
    assert "VolumeResult: 64 directions" in repr(volume)
    top, trace = namespace["top"], namespace["trace"]
    assert len(top.details["eigenvalues"]) == 3 and top.value == max(top.details["eigenvalues"]) > 0
    # the Devices section: device='cpu' gives the default call's eigenvalues (the probes do not depend on the device)
    assert list(namespace["top_here"].details["eigenvalues"]) == list(top.details["eigenvalues"])
    assert math.isfinite(trace.value) and trace.stderr > 0
    assert "MeasureResult(sam=" in out and namespace["sam"]["asam"].value >= 0
    # the PyHessian block is at most 10 lines of code
    pyhessian = next(b for b in blocks if "hessian_top" in b)
    assert len([line for line in pyhessian.splitlines() if line.strip()]) <= 10
