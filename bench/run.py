"""Run every ``bench/bench_*.py`` and collect their figures into ``bench/results.json``.

Each script prints one figure a line as ``name value unit`` (other lines are
passed through as commentary).  Scripts run in their own process so one
benchmark's memory and threads never colour another's.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    only = set(argv)
    figures = []
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        if only and script.stem not in only and script.stem.removeprefix("bench_") not in only:
            continue
        print(f"# {script.name}", flush=True)
        proc = subprocess.run([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
        for line in proc.stdout.splitlines():
            print(line, flush=True)
            parts = line.split()
            if len(parts) == 3 and not line.startswith("#"):
                with contextlib.suppress(ValueError):
                    figures.append({"name": parts[0], "value": float(parts[1]), "unit": parts[2],
                                    "script": script.name})
        if proc.returncode:
            failed.append(script.name)
    machine = {"python": platform.python_version(), "machine": platform.machine(),
               "processor": platform.processor(), "cpus": os.cpu_count()}
    (HERE / "results.json").write_text(json.dumps({"machine": machine, "figures": figures},
                                                  indent=2) + "\n")
    if failed:
        print(f"# failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
