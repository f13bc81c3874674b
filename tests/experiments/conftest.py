"""Fixtures of tests/experiments (helpers live in experiments_testlib.py, a uniquely named module)."""

from __future__ import annotations

import pytest
from experiments_testlib import TINY


@pytest.fixture
def tiny_spec(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path
