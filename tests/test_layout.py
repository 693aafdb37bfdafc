"""The layout rules of the project, checked so they stay true.

* the import direction (import-linter contracts in pyproject.toml): data flows
  network -> matrix -> dispatch/eta -> promise -> monitor -> tickets -> notify,
  domain imports nothing else, and the edges (io, store, plot, cli, sim, api)
  are imported by nothing in the core;
* every package under engine/ is placed in a contract, so a new stage cannot
  slip in unchecked;
* the environment is read only by engine/config.py; haversine lives only in
  engine/geo.py; no module grows past ~500 lines without saying why at its top.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engine"
#: Edges: they compose the stages, and nothing in the core imports them.
EDGES = {"io", "store", "plot", "cli", "sim"}


def _sources() -> list[Path]:
    return sorted(p for d in (ENGINE, ROOT / "api") for p in d.rglob("*.py"))


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed (pip install -e .[dev])")
    res = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "0 broken" in res.stdout


def test_every_engine_package_is_in_a_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layered = " ".join(config[0]["layers"])
    packages = sorted(p.parent.name for p in ENGINE.glob("*/__init__.py"))
    missing = [p for p in packages if p not in EDGES and f"engine.{p}" not in layered]
    assert not missing, f"engine packages in no layer of the import contract: {missing}"


def test_only_config_reads_the_environment() -> None:
    pattern = re.compile(r"os\.environ|os\.getenv|getenv\(")
    offenders = [
        str(p.relative_to(ROOT))
        for p in _sources()
        if p != ENGINE / "config.py" and pattern.search(p.read_text())
    ]
    assert not offenders, f"read the environment through engine.config.Settings, not in {offenders}"


def test_one_haversine() -> None:
    defs = [str(p.relative_to(ROOT)) for p in _sources() if re.search(r"^def (haversine|haversine_m|haversine_km|great_circle)\(", p.read_text(), re.M)]
    assert defs == ["engine/geo.py"], defs


def test_long_modules_say_why() -> None:
    long = []
    for p in _sources():
        text = p.read_text()
        if text.count("\n") > 520:
            head = text[:3000].lower()
            if "why this module is long" not in head:
                long.append(f"{p.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    assert not long, "split these, or say 'Why this module is long: ...' in the docstring: " + ", ".join(long)
