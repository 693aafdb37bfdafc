"""Network source specs: ``parse_source``, ``synthetic_size``, ``check_source`` and ``load``'s ``@seed``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine import network
from engine.network import NetworkError, check_source, parse_source, synthetic_size
from engine.network import cache as _cache

MAX = 300_000


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_cache.ENV_VAR, str(tmp_path_factory.getbasetemp() / "network-cache"))


def _names_network(err: pytest.ExceptionInfo[NetworkError]) -> None:
    assert isinstance(err.value, NetworkError) and isinstance(err.value, ValueError)
    assert err.value.item == "network" and err.value.loc[0] == "network"


# --------------------------------------------------------------------------- parse_source


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("synthetic:500@7", ("synthetic:500", 7)),
        ("  synthetic:500 @ 7 ", ("synthetic:500", 7)),
        ("SYNTHETIC:500@0", ("SYNTHETIC:500", 0)),
        ("synthetic:500", ("synthetic:500", 0)),
        ("helsinki", ("helsinki", 0)),
        # Only synthetic sources carry a seed: an '@' in a file name stays part of the path.
        ("/data/x@2.osm.pbf", ("/data/x@2.osm.pbf", 0)),
        ("place:Caf\u00e9 @ Home", ("place:Caf\u00e9 @ Home", 0)),
    ],
)
def test_parse_source(spec: str, expected: tuple[str, int]) -> None:
    assert parse_source(spec) == expected


@pytest.mark.parametrize("seed", ["x", "-1", "", "1.5", "\u00b2", "7 8", "1" * 40])
def test_parse_source_bad_seed_names_network(seed: str) -> None:
    with pytest.raises(NetworkError, match="seed after '@'") as err:
        parse_source(f"synthetic:500@{seed}")
    _names_network(err)
    assert err.value.field == "seed"


def test_parse_source_needs_a_string() -> None:
    with pytest.raises(NetworkError, match="string") as err:
        parse_source(500)  # type: ignore[arg-type]
    _names_network(err)


@pytest.mark.parametrize(
    ("spec", "n"),
    [("synthetic:250000", 250_000), ("synthetic:250_000@3", 250_000), ("synthetic:250,000", 250_000), ("synthetic:25e4", 250_000)],
)
def test_synthetic_size(spec: str, n: int) -> None:
    assert synthetic_size(spec) == n


@pytest.mark.parametrize("spec", ["synthetic:lots", "synthetic:", "synthetic:1e400", "helsinki", "synthetic:9@x"])
def test_synthetic_size_bad_names_network(spec: str) -> None:
    with pytest.raises(NetworkError) as err:
        synthetic_size(spec)
    _names_network(err)


# --------------------------------------------------------------------------- load and '@seed'


def test_load_honours_the_seed_in_the_spec() -> None:
    a = network.load("synthetic:400@3")
    b = network.load("synthetic:400", seed=3)
    c = network.load("synthetic:400")
    assert a.cache_key == b.cache_key != c.cache_key
    assert a.source == b.source == "synthetic:400"
    assert (a.lat == b.lat).all()
    # The same seed twice is fine; two different seeds are a mistake.
    assert network.load("synthetic:400@3", seed=3).cache_key == a.cache_key
    with pytest.raises(NetworkError, match="carries seed 3") as err:
        network.load("synthetic:400@3", seed=4)
    _names_network(err)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("synthetic:400@x", "seed after '@'"),
        ("synthetic:3@1", "between 50"),
        ("synthetic:abc", "bad synthetic source"),
        ("", "empty road network source"),
        ("helsinky", "unknown road network source"),
        ("place:", "place source needs a name"),
    ],
)
def test_load_bad_sources_name_network(spec: str, needle: str) -> None:
    with pytest.raises(NetworkError, match=needle) as err:
        network.load(spec)
    _names_network(err)


def test_osm_read_errors_name_network(tmp_path: Path) -> None:
    bad = tmp_path / "corrupt.osm.gz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(network.OSMReadError, match="could not read") as err:
        network.load(bad, use_cache=False)
    _names_network(err)


# --------------------------------------------------------------------------- check_source


def test_check_source_accepts_what_the_api_serves(tmp_path: Path) -> None:
    assert check_source("helsinki", allowed_dir=None, max_synthetic_nodes=MAX) == "helsinki"
    assert check_source("synthetic:250000@1", allowed_dir=None, max_synthetic_nodes=MAX) == "synthetic:250000@1"
    assert check_source("synthetic:50", allowed_dir=tmp_path, max_synthetic_nodes=MAX) == "synthetic:50"
    roads = tmp_path / "city" / "roads@2.osm.pbf"
    roads.parent.mkdir()
    roads.write_bytes(b"")
    resolved = str(roads.resolve())
    assert check_source("city/roads@2.osm.pbf", allowed_dir=tmp_path, max_synthetic_nodes=MAX) == resolved
    assert check_source("./city/../city/roads@2.osm.pbf", allowed_dir=tmp_path, max_synthetic_nodes=MAX) == resolved
    # An absolute path is fine when it points inside the directory.
    assert check_source(resolved, allowed_dir=tmp_path, max_synthetic_nodes=MAX) == resolved
    # A symlink that stays inside the directory is fine too.
    (tmp_path / "alias.osm.pbf").symlink_to(roads)
    assert check_source("alias.osm.pbf", allowed_dir=tmp_path, max_synthetic_nodes=MAX) == resolved


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("synthetic:400000", "50..300,000"),
        ("synthetic:49", "50..300,000"),
        ("synthetic:20000000", "50..300,000"),
        ("synthetic:abc", "bad synthetic source"),
        ("synthetic:500@x", "seed after '@'"),
        ("place:Helsinki", "unknown network"),
        ("", "unknown network"),
        ("helsinky", "unknown network"),
        ("/etc/passwd", "unknown network"),
    ],
)
def test_check_source_refuses_bad_specs(tmp_path: Path, spec: str, needle: str) -> None:
    with pytest.raises(NetworkError, match=needle) as err:
        check_source(spec, allowed_dir=tmp_path, max_synthetic_nodes=MAX)
    _names_network(err)


@pytest.fixture()
def jail(tmp_path: Path) -> Path:
    """``tmp_path/jail`` is the allowed directory; OSM files lie inside it and next to it."""
    root = tmp_path / "jail"
    root.mkdir()
    (root / "inside.osm").write_text("<osm/>")
    (root / "notes.txt").write_text("not OSM")
    (root / "sub.osm").mkdir()
    (tmp_path / "outside.osm").write_text("<osm/>")
    (root / "escape.osm").symlink_to(tmp_path / "outside.osm")
    (root / "link").symlink_to(tmp_path)
    return root


@pytest.mark.parametrize(
    "spec",
    [
        "../outside.osm",
        "sub.osm/../../outside.osm",
        "escape.osm",  # a symlink inside the directory pointing out of it
        "link/outside.osm",  # a directory symlink pointing out
        "inside.osm\x00",
        "inside.osm\x00../outside.osm",
        "notes.txt",  # inside, but not an OSM file
        "sub.osm",  # a directory
        "missing.osm",
    ],
)
def test_check_source_refuses_paths_outside_the_directory(jail: Path, spec: str) -> None:
    assert check_source("inside.osm", allowed_dir=jail, max_synthetic_nodes=MAX) == str((jail / "inside.osm").resolve())
    with pytest.raises(NetworkError, match="unknown network|NUL byte") as err:
        check_source(spec, allowed_dir=jail, max_synthetic_nodes=MAX)
    _names_network(err)


def test_check_source_refuses_absolute_paths_outside(jail: Path) -> None:
    outside = str((jail.parent / "outside.osm").resolve())
    assert os.path.isfile(outside)
    for spec in (outside, "/etc/passwd", "/" + "../" * 8 + "etc/passwd"):
        with pytest.raises(NetworkError, match="unknown network") as err:
            check_source(spec, allowed_dir=jail, max_synthetic_nodes=MAX)
        _names_network(err)


def test_check_source_says_nothing_about_refused_paths(jail: Path) -> None:
    """An existing file outside and a missing one get the same answer (no probing the server's disk)."""
    messages = []
    for spec in ("../outside.osm", "../nothere.osm"):
        with pytest.raises(NetworkError) as err:
            check_source(spec, allowed_dir=jail, max_synthetic_nodes=MAX)
        messages.append(str(err.value).replace(spec, "<spec>"))
    assert messages[0] == messages[1]


def test_check_source_without_a_directory_serves_no_files(jail: Path) -> None:
    with pytest.raises(NetworkError, match="no network directory") as err:
        check_source(str(jail / "inside.osm"), allowed_dir=None, max_synthetic_nodes=MAX)
    _names_network(err)


def test_check_source_message_is_bounded() -> None:
    with pytest.raises(NetworkError) as err:
        check_source("x" * 100_000, allowed_dir=None, max_synthetic_nodes=MAX)
    assert len(str(err.value)) < 500
