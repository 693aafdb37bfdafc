"""Shared fixtures: the real benchmark data beside the project root."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real benchmark data not found at {SHARED} (clone beside ../shared to run these)")
    return SHARED


@pytest.fixture(scope="session")
def osm_dir(shared_data: Path) -> Path:
    return shared_data / "osm"


@pytest.fixture(scope="session")
def vrptw_dir(shared_data: Path) -> Path:
    return shared_data / "vrptw"
