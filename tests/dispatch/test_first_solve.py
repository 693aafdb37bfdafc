"""A first solve in a fresh process gets its time limit for solving, not for loading the numba kernels."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_SCRIPT = """
import json, sys
from engine.dispatch import MaxRuntime, SolveParams
from engine.io.vroom import solve_vroom_plan
doc = json.loads(sys.argv[1])
_, out = solve_vroom_plan(doc, params=SolveParams(gls_max_jobs=0), stop=MaxRuntime(0.3))
print(out["summary"]["unassigned"])
"""


def test_a_fresh_process_plans_within_a_short_limit() -> None:
    doc = {
        "vehicles": [{"id": 1, "start_index": 0, "end_index": 0, "capacity": [9]}],
        "jobs": [{"id": j, "location_index": j, "service": 60, "delivery": [1]} for j in (1, 2, 3)],
        "matrices": {"car": {"durations": [[0, 100, 200, 300], [100, 0, 100, 200], [200, 100, 0, 100], [300, 200, 100, 0]]}},
    }
    root = Path(__file__).resolve().parents[2]
    p = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps(doc)], capture_output=True, text=True, cwd=root, timeout=120, check=False)
    assert p.returncode == 0, p.stderr[-2000:]
    # Before: the 0.3 s went to loading the cached kernels and all three jobs came back NOT_PLANNED.
    assert p.stdout.strip().splitlines()[-1] == "0"
