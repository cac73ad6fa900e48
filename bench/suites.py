"""The bench parts that run as their own processes: ``d`` payout drain (bench/drain.py), ``l`` ledger growth
(bench/ledger.py), ``m`` memory (bench/memory.py). Each builds its own stack and databases (hub_drain…,
hub_ledger…, hub_memory… with BENCH_DB_SUFFIX), so ``bench.bench.main`` calls :func:`run` after its own
stack has stopped; each writes var/bench-<name>.json, whose goals come back here.

Time: ``d`` ~2 min, ``l`` ~5–10 min (the build), ``m`` BENCH_MEMORY_SECONDS (600) + ~1 min. Each has
its own time limit; the parent's watchdog is re-armed per part.
"""

from __future__ import annotations

import json
import signal
import subprocess

from .common import PY, ROOT, log
from .goals import Goal

SUITES = {  # part → (module, results file, time limit in seconds)
    "d": ("bench.drain", "bench-drain.json", 9 * 60),
    "l": ("bench.ledger", "bench-ledger.json", 25 * 60),
    "m": ("bench.memory", "bench-memory.json", 20 * 60),
}


def run(parts: set[str], results: dict) -> list[Goal]:
    goals: list[Goal] = []
    for part, (module, filename, limit) in SUITES.items():
        if part not in parts:
            continue
        path = ROOT / "var" / filename
        path.unlink(missing_ok=True)
        signal.alarm(limit + 60)  # the parent's watchdog: this part has its own limit
        log(f"({part}) python -m {module}")
        proc = subprocess.Popen([PY, "-m", module], cwd=ROOT)
        try:
            code: int | str = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            proc.terminate()  # SIGTERM: the part stops the processes of its own stack
            proc.wait(timeout=60)
            code = "timeout"
        if code != 0 or not path.exists():
            goals.append(Goal(f"({part}) {module}", "runs", f"failed ({code})", False))
            continue
        data = json.loads(path.read_text())
        results[module.split(".")[1]] = {k: v for k, v in data.items() if k != "goals"}
        goals += [Goal(**g) for g in data["goals"]]
    return goals
