"""Run every benchmark in this folder in one process and print all of their output.

    python benchmarks/run_all.py            # each benchmark's default run
    python benchmarks/run_all.py --quick    # each benchmark's --quick run

Calls ``main([...])`` of ``volume_speed.py``, ``rowspace_speed.py``, ``training.py``, ``measures_speed.py``, ``runner.py`` and
``end_to_end.py``.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

from basinlab.runtime import prefer_sleeping_threads

prefer_sleeping_threads()   # as the basinlab command does, before any benchmark loads torch
HERE = Path(__file__).resolve().parent
BENCHMARKS = ("volume_speed.py", "rowspace_speed.py", "training.py", "measures_speed.py", "runner.py", "end_to_end.py")


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"basinlab_bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # so tasks named '<module>:<fn>' resolve
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    unknown = [a for a in argv if a != "--quick"]
    if unknown:
        raise SystemExit(f"run_all.py: unknown argument(s) {unknown}; only --quick is accepted")
    results = {}
    for name in BENCHMARKS:
        path = HERE / name
        if not path.is_file():
            print(f"== {name}: not present, skipped")
            continue
        print(f"== {name} {' '.join(argv)}", flush=True)
        start = time.perf_counter()
        results[name] = _load(path).main(argv)
        print(f"== {name} finished in {time.perf_counter() - start:.1f} s\n", flush=True)
    return results


if __name__ == "__main__":
    main()
