"""The VRPTW benchmark script: parsing, a short solve, the JSON line and the independent verifier."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import vrptw  # noqa: E402

pytestmark = pytest.mark.shared


def test_parse_solve_and_verify(vrptw_dir: Path, tmp_path: Path) -> None:
    inst = vrptw.read_instance(vrptw_dir / "solomon" / "C101.txt")
    assert inst.n_vehicles == 25 and inst.capacity == 200 and len(inst.cust_no) == 101
    assert inst.cust_no[0] == 0 and inst.due[0] == 1236
    out = tmp_path / "c101.jsonl"
    # an iteration budget, not a time limit: the outcome must not depend on the machine's load
    rc = vrptw.main(["--instances", "C101", "--iterations", "3000", "--solvers", "ours", "--json", str(out), "--verify"])
    assert rc == 0
    rec = json.loads(out.read_text().splitlines()[0])
    assert rec["instance"] == "C101" and rec["solver"] == "promise-engine"
    assert vrptw.verify(inst, rec["routes"]) == []
    assert rec["cost"] == vrptw.route_cost(inst, rec["routes"])
    assert rec["vehicles"] == len(rec["routes"])
    assert rec["cost"] < 828.94 * 1.05, rec["note"]  # BKS 828.94: 3000 iterations must come close


def test_verifier_catches_broken_routes(vrptw_dir: Path, tmp_path: Path) -> None:
    inst = vrptw.read_instance(vrptw_dir / "solomon" / "C101.txt")
    everyone = [[int(c)] for c in inst.cust_no[1:]]
    assert any("routes for 25 vehicles" in e for e in vrptw.verify(inst, everyone))
    # C101 customer 1 opens at 912: serving 1 first then 5 (due 67) is late
    errs = vrptw.verify(inst, [[1, 5]])
    assert any("customer 5 reached" in e for e in errs)
    assert any("customer 2 served 0 times" in e for e in errs)
    heavy = [list(range(1, 30))]
    assert any("load" in e and "capacity 200" in e for e in vrptw.verify(inst, heavy))
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"instance": "C101", "solver": "x", "cost": 1.0, "vehicles": 1, "routes": [[1, 5]]}) + "\n")
    assert vrptw.verify_file(bad) == 1
