"""The engine's radii are pinned: equal, within rtol, to those of the engine at the commit recorded in
``data/engine_reference.json`` (made by ``make_engine_reference.py``), on small fixed models (an MLP in three nested
landscapes and three thresholds, covering both evaluation strategies; a CNN). Speed work must not change results."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from basinlab.volume import measure_volume

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_engine_reference import CASES, PATH, load_model  # noqa: E402

REFERENCE = json.loads(PATH.read_text())


@pytest.mark.parametrize("name", sorted(CASES))
def test_radii_equal_the_pinned_engine_within_rtol(name):
    case = REFERENCE["cases"][name]
    model = load_model(name, case["state"])
    x, y = CASES[name][1]()
    settings = case["settings"]
    res = measure_volume(model, x, y, **settings)
    want = np.array(case["radii"])
    assert res.radii.shape == want.shape
    np.testing.assert_array_equal(res.censored, np.array(case["censored"], dtype=bool))
    np.testing.assert_allclose(res.centre_loss, case["centre_loss"], rtol=1e-6)
    rtol = settings.get("rtol", 1e-4)
    # each radius is located to rtol; a different but valid probe path may land anywhere in the final fine cell
    np.testing.assert_allclose(res.radii, want, rtol=rtol, atol=0)
    assert (want > 0).all()  # every case crosses: the comparison is not vacuous
