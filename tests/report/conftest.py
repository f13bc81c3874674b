"""A tiny synthetic run directory with every table (sizes × seeds, radii, poison, SAM, batch sizes, imbalance,
grokking epochs, measures), and its report written once per session."""

from __future__ import annotations

import pytest

from basinlab.analysis import load_run
from synthetic_run import make_synthetic_run


@pytest.fixture(scope="session")
def fixture_run_dir(tmp_path_factory):
    return make_synthetic_run(tmp_path_factory.mktemp("report-run") / "run", seeds=(0, 1, 2), n_directions=24)


@pytest.fixture(scope="session")
def fixture_tables(fixture_run_dir):
    return load_run(fixture_run_dir)


REPORT_PROGRESS: list[tuple[int, int, str]] = []  # what write_report told its progress callback


@pytest.fixture(scope="session")
def fixture_report(fixture_run_dir):
    from basinlab.report import write_report

    return write_report(fixture_run_dir, n_boot=200, progress=lambda *event: REPORT_PROGRESS.append(event))


@pytest.fixture(scope="session")
def fixture_report_progress(fixture_report):
    return list(REPORT_PROGRESS)
