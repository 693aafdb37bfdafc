"""The model checkout serves: the configured model directory, else the shipped default."""

from __future__ import annotations

from engine.config import get_settings
from engine.eta.model import EtaModel, default_model

__all__ = ["current_model", "set_model"]

_current: EtaModel | None = None


def current_model() -> EtaModel:
    """The model served: ``Settings.model_dir`` (``$PROMISE_MODEL_DIR``) if set, else the shipped default."""
    global _current
    if _current is None:
        d = get_settings().model_dir
        _current = EtaModel.load(d) if d else default_model()
    return _current


def set_model(model: EtaModel | None) -> None:
    """Serve ``model`` from now on (``None``: back to the settings/default)."""
    global _current
    _current = model
