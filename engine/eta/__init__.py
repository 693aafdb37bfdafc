"""ETA distributions: delivery-history fitting, quantile model, route Monte Carlo.

* :mod:`engine.eta.history` reads and validates a history CSV;
* :mod:`engine.eta.fit` learns conditional transit-time quantiles;
* :mod:`engine.eta.model` holds, saves and loads them (``default_model()`` is
  the shipped one, fitted on :mod:`engine.eta.simulate` history for Helsinki);
* :mod:`engine.eta.route` gives per-stop arrival distributions on planned routes;
* :mod:`engine.eta.region` infers a history's time zone, area, services and
  seasons; :mod:`engine.eta.calendar` holds holidays, learnt seasons and a
  service's order-taking days (``OpenDays``); :mod:`engine.eta.area` the
  service-area test; :mod:`engine.eta.drift` the live per-service correction
  from recent deliveries (``DriftState``), read by quotes.
"""

from __future__ import annotations


def warm() -> None:
    """Compile the numba kernels on tiny input so the first real call is fast."""
    from engine.eta import route  # noqa: PLC0415

    route.warm()


__all__ = ["warm"]
