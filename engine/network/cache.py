"""A small on-disk cache of numpy arrays (``.npz``) keyed by a content hash.

Compiled road networks and (later) matrix preprocessing are expensive to build
and cheap to load, so both go through ``cached_npz``.  Keys hash everything
the result depends on: a file's resolved path, size and modification time
(``file_fingerprint``), the build options and a format version, so a changed
input or a changed format never serves a stale entry.

The directory is ``$PROMISE_CACHE_DIR`` or ``~/.cache/promise-engine``.
Writes are atomic (temp file + rename) so concurrent builders can't leave a
half-written entry; an unreadable entry is rebuilt rather than trusted.  The
cache is bounded (``Settings.cache_max_gb``): after each write the least
recently used entries go until it fits.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

ENV_VAR = "PROMISE_CACHE_DIR"  # read by engine.config.Settings; named here for tests


def cache_dir(namespace: str | None = None) -> Path:
    """The cache directory (created on demand), or its ``namespace`` subdirectory."""
    from engine.config import Settings

    # Fresh settings, not the cached ones: callers (tests, benchmarks) point the
    # cache elsewhere between calls, and this is far from any hot path.
    base = Path(Settings().cache_dir).expanduser()
    path = base / namespace if namespace else base
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_fingerprint(path: str | os.PathLike[str]) -> str:
    """``resolved-path|size|mtime_ns`` of a file: changes whenever the file does."""
    p = Path(path).resolve()
    st = p.stat()
    return f"{p}|{st.st_size}|{st.st_mtime_ns}"


def cache_key(*parts: Any) -> str:
    """A stable hex key from JSON-serialisable ``parts`` (order matters)."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _load(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError):
        return None


def cached_npz(
    key: str,
    builder: Callable[[], Mapping[str, np.ndarray]],
    *,
    namespace: str = "misc",
    use_cache: bool = True,
) -> tuple[dict[str, np.ndarray], bool]:
    """Load the arrays stored under ``key``, or build, store and return them.

    Parameters
    ----------
    key
        From ``cache_key(...)``; must change whenever the result would.
    builder
        Called on a miss; returns a mapping of name -> numpy array (no object
        arrays: strings go in as ``np.str_`` arrays, e.g. ``np.array(json_text)``).
    namespace
        Subdirectory, so that network and matrix entries are easy to tell apart.
    use_cache
        ``False`` always builds and never reads or writes the cache.

    Returns
    -------
    (arrays, hit)
        ``hit`` is ``True`` when the arrays came from disk.
    """
    if not use_cache:
        return dict(builder()), False
    try:
        path = cache_dir(namespace) / f"{key}.npz"
    except OSError:
        # An unusable cache location (read-only home, bad $PROMISE_CACHE_DIR)
        # costs speed, not correctness.
        return {k: np.asarray(v) for k, v in builder().items()}, False
    if path.is_file():
        arrays = _load(path)
        if arrays is not None:
            _touch(path)
            return arrays, True
    arrays = {k: np.asarray(v) for k, v in builder().items()}
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".npz", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        evict(keep=path)
    except OSError:
        # A read-only or full cache directory must not stop the engine: the
        # result is correct, only the next load will be slow.
        pass
    return arrays, False


def _touch(path: Path) -> None:
    # The modification time doubles as "last used": eviction drops the least recently used.
    try:
        os.utime(path)
    except OSError:
        pass


def evict(max_bytes: float | None = None, *, keep: Path | None = None) -> int:
    """Delete least recently used entries until the cache holds at most ``max_bytes``.

    ``max_bytes`` defaults to ``Settings.cache_max_gb``; ``keep`` (the entry just
    written) is never deleted.  Returns how many files went.
    """
    from engine.config import Settings

    limit = Settings().cache_max_gb * 1e9 if max_bytes is None else float(max_bytes)
    try:
        entries = []
        for p in cache_dir().rglob("*.npz"):
            st = p.stat()
            entries.append((st.st_mtime_ns, st.st_size, p))
    except OSError:
        return 0
    total = sum(size for _, size, _ in entries)
    n = 0
    for _, size, p in sorted(entries, key=lambda e: e[0]):
        if total <= limit:
            break
        if keep is not None and p == keep:
            continue
        try:
            p.unlink()
        except OSError:
            continue
        total -= size
        n += 1
    return n


def clear(namespace: str | None = None) -> int:
    """Delete cached entries (one namespace or all); returns how many files went."""
    root = cache_dir(namespace)
    n = 0
    for p in root.rglob("*.npz"):
        p.unlink(missing_ok=True)
        n += 1
    return n
