"""The models checkout serves, by region: the embedded defaults plus the fitted models in ``Settings.model_dir``.

A request names its region (``"region": "shanghai"``) or gets the default;
one server quotes Helsinki and Shanghai addresses (and any fitted region)
without a restart.  ``Settings.model_dir`` (``$PROMISE_MODEL_DIR``) is either
one model directory (``promise fit --out DIR``: it becomes the default,
registered under its region's name) or a directory of them (each registered
under its directory name and its region's name).  Models load on first use
and stay loaded.
"""

from __future__ import annotations

from pathlib import Path

from engine.config import get_settings
from engine.errors import ModelLoadError, QuoteError
from engine.eta.model import DEFAULT_DIRS, EtaModel, default_model
from engine.eta.drift import DriftState

__all__ = ["current_model", "set_model", "model_for", "regions", "register", "drift_for", "set_drift"]

_current: EtaModel | None = None
#: Region name -> model directory (from the settings), found once.
_dirs: dict[str, Path] | None = None
_loaded: dict[str, EtaModel] = {}
#: Live drift correction per region (keyed by the model's region name), fed by whoever sees the deliveries.
_drift: dict[str, DriftState] = {}


def _model_dirs() -> dict[str, Path]:
    global _dirs
    if _dirs is None:
        found: dict[str, Path] = {}
        d = get_settings().model_dir
        if d is not None and Path(d).is_dir():
            d = Path(d)
            subs = [d] if (d / "model.json").is_file() else sorted(p for p in d.iterdir() if (p / "model.json").is_file())
            for p in subs:
                found.setdefault(p.name.lower(), p)
        _dirs = found
    return _dirs


def regions() -> list[str]:
    """Region names a request may choose (embedded, fitted and registered)."""
    return sorted(set(DEFAULT_DIRS) | set(_loaded) | set(_model_dirs()))


def register(region: str, model: EtaModel | None) -> None:
    """Serve ``model`` for ``region`` from now on (``None``: forget it; tests, embedding)."""
    key = region.strip().lower()
    if model is None:
        _loaded.pop(key, None)
    else:
        _loaded[key] = model


def _resolve(key: str) -> EtaModel | None:
    """The model registered, fitted (``Settings.model_dir``) or embedded for a lower-case region name; None if none is."""
    hit = _loaded.get(key)
    if hit is not None:
        return hit
    dirs = _model_dirs()
    if key in dirs:
        m = _loaded[key] = EtaModel.load(dirs[key])
        return m
    if key in DEFAULT_DIRS:
        m = _loaded[key] = default_model(key)
        return m
    for m in list(_loaded.values()):  # a fitted model by its region's name (not its directory's)
        if m.city.name.lower() == key:
            return m
    for name, p in dirs.items():
        m = _loaded.setdefault(name, EtaModel.load(p))
        if m.city.name.lower() == key:
            return m
    return None


def model_for(region: str | None = None) -> EtaModel:
    """The model serving ``region`` (None: the default, :func:`current_model`).

    The default model also answers to its region's name (a model set with
    :func:`set_model` or ``Settings.model_dir`` pointing at one model).

    Raises
    ------
    QuoteError
        An unknown region (field ``region``), naming the known ones.
    """
    cur = current_model()
    if region is None:
        return cur
    key = region.strip().lower()
    if key in (cur.city.name.lower(), cur.name.lower()):
        return cur
    m = _resolve(key)
    if m is None:
        known = sorted(set(regions()) | {cur.city.name.lower()})
        raise QuoteError(f"unknown region {region!r}; known: {', '.join(known)}", field="region")
    return m


def current_model() -> EtaModel:
    """The default model: ``Settings.model_dir`` when it is one model, else the default region's (``Settings.default_region``)."""
    global _current
    if _current is None:
        s = get_settings()
        d = s.model_dir
        if d is not None and (Path(d) / "model.json").is_file():
            _current = EtaModel.load(d)
        else:
            m = _resolve(s.default_region.strip().lower())
            if m is None:
                raise ModelLoadError(
                    f"PROMISE_DEFAULT_REGION={s.default_region!r} is not an embedded region ({', '.join(sorted(DEFAULT_DIRS))}) "
                    "nor a model directory under PROMISE_MODEL_DIR"
                )
            _current = m
    return _current


def set_model(model: EtaModel | None) -> None:
    """Serve ``model`` as the default from now on (``None``: back to the settings; the region registry is re-read too)."""
    global _current, _dirs
    _current = model
    if model is None:
        _dirs = None
        _loaded.clear()


def set_drift(region: str, state: DriftState | None) -> None:
    """Quote ``region`` (a model's ``city.name``) with the live correction ``state`` from now on (``None``: without)."""
    key = region.strip().lower()
    if state is None:
        _drift.pop(key, None)
    else:
        _drift[key] = state


def drift_for(region: str) -> DriftState | None:
    """The live correction kept for ``region``; None when nothing feeds one (quotes are then the model's own)."""
    return _drift.get(region.lower()) if _drift else None
