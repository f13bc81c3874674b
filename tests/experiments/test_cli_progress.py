"""``basinlab run … > log.txt 2>&1``: progress lines reach the log while the run goes; Ctrl-C says what was kept
and how to resume, and that command resumes."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest
from experiments_testlib import TINY, alive, descendants

from basinlab.experiments import read_table

# 6 training tasks of ~1 s each on 2 idle cores (several s loaded), so the run is still going when the first line appears
SLOW_TINY = TINY.replace("epochs = 30", "epochs = 600")
LINE = re.compile(r"^training: (\d)/6 tasks \(\d+%\) elapsed \d+:\d\d ETA (\d+:\d\d|\?) ", re.M)


def _wait_for(path, pattern, proc, timeout=120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        text = path.read_text() if path.exists() else ""
        if pattern.search(text):
            return text
        if proc.poll() is not None:
            raise AssertionError(f"run ended (code {proc.returncode}) before a progress line:\n{text}")
        time.sleep(0.05)
    raise AssertionError(f"no progress line within {timeout} s:\n{path.read_text()}")


@pytest.mark.parametrize("pool", [[], ["--executor", "process", "--workers", "2"]], ids=["local", "process-pool"])
def test_log_shows_progress_while_running_and_ctrl_c_resumes(tmp_path, pool):
    spec, out, log = tmp_path / "slow.toml", tmp_path / "run", tmp_path / "log.txt"
    spec.write_text(SLOW_TINY)
    env = {**os.environ, "COLUMNS": "200"}
    with log.open("w") as f:   # what `basinlab run … > log.txt 2>&1` does
        proc = subprocess.Popen([sys.executable, "-m", "basinlab", "run", str(spec), "--out", str(out),
                                 "--no-report", *pool], stdout=f, stderr=subprocess.STDOUT, env=env)
        try:
            text = _wait_for(log, LINE, proc)
            assert proc.poll() is None, "the line must be in the log while the run is still going"
            assert "tasks done" not in text                   # the summary comes only at the end
            family = descendants(proc.pid)                    # a pool's workers (none for the local executor)
            assert bool(family) == bool(pool)
            proc.send_signal(signal.SIGINT)                   # Ctrl-C
            assert proc.wait(timeout=60) == 130
        finally:
            if proc.poll() is None:
                proc.kill()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in family)                  # no worker outlives the interrupted run
    text = log.read_text()
    said = re.search(r"^interrupted: (\d+) of 12 tasks are done and kept in (.+?); .*resume with: (.+)$", text, re.M)
    assert said, text
    assert "Traceback" not in text
    kept = int(said.group(1))
    assert said.group(2) == str(out) and 1 <= kept < 12
    before = subprocess.run([sys.executable, "-m", "basinlab", "status", str(out), "--json", "-"],
                            capture_output=True, text=True, env=env, timeout=120)
    done = [r for r in json.loads(before.stdout) if r["state"] == "done"]
    assert len(done) == kept                                  # what it says is kept is in the run directory
    trained = sum(r["kind"] == "train" for r in done)         # tasks of both kinds may have finished
    assert 1 <= trained and len(read_table(out, "models")) == trained
    resume = shlex.split(said.group(3))
    assert resume == ["basinlab", "run", str(spec), "--out", str(out), *pool, "--no-report"]
    again = subprocess.run([sys.executable, "-m", "basinlab", *resume[1:]], capture_output=True,
                           text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "12/12 tasks done" in again.stdout
    assert re.search(r"^training: 6/6 tasks \(100%\)", again.stderr, re.M)   # counts include the kept tasks
    assert len(read_table(out, "models")) == 6
    status = subprocess.run([sys.executable, "-m", "basinlab", "status", str(out), "--json", "-"], capture_output=True,
                            text=True, env=env, timeout=120)
    rows = json.loads(status.stdout)                          # nothing but JSON on stdout
    assert status.returncode == 0 and len(rows) == 12 and {r["state"] for r in rows} == {"done"}
    assert {r["kind"] for r in rows} == {"train", "volume"}
    for command in ("table", "claims"):
        found = subprocess.run([sys.executable, "-m", "basinlab", command, str(out), "--json", "-"],
                               capture_output=True, text=True, env=env, timeout=120)
        assert found.returncode == 0, found.stderr
        assert isinstance(json.loads(found.stdout), list)     # valid JSON (NaN written as null), nothing else


BUSY_MODEL = '''
import pathlib

def make(input_shape, num_classes):
    pathlib.Path("building").write_text("")
    exec("import time\\nwhile True:\\n    time.sleep(0.01)")   # code run from a string, as dataclasses do
'''


def test_ctrl_c_inside_code_run_from_a_string_still_exits_130(tmp_path):
    """CPython marks a KeyboardInterrupt that leaves code run from a string (``exec("...")``: dataclass and
    namedtuple creation, lazy imports) as unhandled even when basinlab catches it; under ``python -m`` the
    interpreter then ended by re-raising SIGINT (status -2) instead of exiting 130 (a CI run hit it once)."""
    (tmp_path / "busymodel.py").write_text(BUSY_MODEL)
    spec, out, log = tmp_path / "busy.toml", tmp_path / "run", tmp_path / "log.txt"
    spec.write_text(TINY.replace("hidden = [8, 8]", 'kind = "busymodel:make"'))
    with log.open("w") as f:
        proc = subprocess.Popen([sys.executable, "-m", "basinlab", "run", str(spec), "--out", str(out), "--no-report"],
                                stdout=f, stderr=subprocess.STDOUT, cwd=tmp_path)
        try:
            end = time.monotonic() + 120
            while not (tmp_path / "building").exists():
                assert proc.poll() is None and time.monotonic() < end, log.read_text()
                time.sleep(0.05)
            time.sleep(0.2)                                   # inside the string's loop
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=60) == 130, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text()
    assert re.search(r"^interrupted: before any task ran; start again with: basinlab run ", text, re.M), text
    assert "Traceback" not in text
