"""Quote tables: a table of orders in, one JSON object per order out (``promise quote --orders``).

Columns: ``order_id, dest_lat, dest_lon, created_at, weight_kg`` (``created_at`` as a history writes it:
ISO-8601 with an offset, Unix time, or a local time of the model's zone), optional
``origin_lat, origin_lon``, ``carrier``/``service`` to ask for one option
only, and ``slot_start`` (``slot_end``) for the window a customer picked: the
slot option is then quoted for that window.  Each row answers::

    {"order_id": "o1", "model": "default", "options": [
        {"carrier": "own", "service": "same_day", "available": true,
         "promised_by": "2026-11-11T18:05:00+02:00", "window_start": null,
         "p50": "2026-11-11T15:40:00+02:00", "probability": 0.955, "cost": 6.83,
         "cutoff": "2026-11-11T13:00:00+02:00", "reason": null, "nominal": true}, ...]}

``nominal`` is false for an option quoted later than its kind promises (next-day
past its cut-off), and ``reason`` then says why and when it arrives.

or ``{"order_id": ..., "error": "..."}`` for a row that cannot be quoted;
a bad row never stops the batch.
"""

from __future__ import annotations

import json
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.domain.promise import BatchQuote
from engine.errors import InputError, QuoteError
from engine.eta._time import MAX_EPOCH, MIN_EPOCH, to_iso
from engine.eta.history import is_blank, parse_instants, parse_numbers, read_table
from engine.eta.model import EtaModel
from engine.promise.batch import apply_booked_slots, quote_arrays, resolve_keys
from engine.promise.reasons import reason_texts

__all__ = ["ORDER_COLUMNS", "quote_table", "quote_table_jsonl", "read_orders"]

_REQUIRED = ("order_id", "dest_lat", "dest_lon", "created_at", "weight_kg")
#: Every column a quote table reads (others are passed over).
ORDER_COLUMNS = (*_REQUIRED, "origin_lat", "origin_lon", "carrier", "service", "slot_start", "slot_end")
_TIMES = ("promised_by", "window_start", "p50", "cutoff")


def _iso_strings(model: EtaModel, a: np.ndarray) -> np.ndarray:
    """ISO-8601 local strings of epoch seconds ``a`` (object array, None where NaN).

    Promises are rounded to 5 minutes, cut-offs fall on the hour and p50s are
    one per hour cell and day, so a batch has few distinct values: format
    each once and index.
    """
    out = np.full(a.shape, None, dtype=object)
    ok = np.isfinite(a)
    if ok.any():
        uniq, inv = np.unique(a[ok], return_inverse=True)
        out[ok] = to_iso(uniq, model.tz).astype(object)[inv]
    return out


def _iso_json(model: EtaModel, a: np.ndarray) -> np.ndarray:
    """JSON text of :func:`_iso_strings`: the quoted string (ISO needs no escaping), ``null`` where NaN."""
    out = np.full(a.shape, "null", dtype=object)
    ok = np.isfinite(a)
    if ok.any():
        uniq, inv = np.unique(a[ok], return_inverse=True)
        out[ok] = np.char.add(np.char.add('"', to_iso(uniq, model.tz)), '"').astype(object)[inv]
    return out


def _json_floats(a: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """JSON numbers (as ``json.dumps`` writes floats) of ``a`` where ``ok``, else ``null``."""
    out = np.full(a.shape, "null", dtype=object)
    if ok.any():
        uniq, inv = np.unique(a[ok], return_inverse=True)
        out[ok] = np.array([repr(float(x)) for x in uniq.tolist()], dtype=object)[inv]
    return out


def _table_batches(
    model: EtaModel, rows: pd.DataFrame, target: float,
) -> tuple[np.ndarray, np.ndarray, dict[int, str], list[tuple[np.ndarray, list[str], BatchQuote]]]:
    """Parse and validate a table of orders, then quote it: ``(oid, created, errors, batches)``.

    ``errors`` maps a row index to its message; ``batches`` lists
    ``(row indices, option keys, BatchQuote)`` per distinct option filter.
    """
    missing = [c for c in _REQUIRED if c not in rows.columns]
    if missing:
        raise QuoteError(
            f"orders are missing required column(s) {', '.join(missing)}; expected {', '.join(_REQUIRED)}", field=missing[0],
        )
    n = len(rows)
    oid = rows["order_id"].astype(str).to_numpy()
    lat = parse_numbers(rows["dest_lat"])
    lon = parse_numbers(rows["dest_lon"])
    w = parse_numbers(rows["weight_kg"])
    # As the history is read: ISO-8601 with an offset, Unix seconds or milliseconds; a local time without an
    # offset is one of the model's zone (checkout's clock is the shop's).
    created, _, okt, has_off, gap = parse_instants(rows["created_at"].astype(str).str.strip(), model.city.tz)
    olat = olon = None
    if "origin_lat" in rows.columns and "origin_lon" in rows.columns:
        olat = parse_numbers(rows["origin_lat"])
        olon = parse_numbers(rows["origin_lon"])
        blank = ~np.isfinite(olat) | ~np.isfinite(olon)
        olat = np.where(blank, model.city.depot[0], olat)
        olon = np.where(blank, model.city.depot[1], olon)
    err = np.full(n, "", dtype=object)
    err[~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))] = "dest_lat/dest_lon: not a valid coordinate"
    err[(err == "") & ~(np.isfinite(w) & (w >= 0))] = "weight_kg: must be a number >= 0"
    err[(err == "") & gap] = "created_at: a local time the clock change makes ambiguous or skips; give its UTC offset"
    err[(err == "") & ~okt] = "created_at: unparseable time"
    err[(err == "") & ~has_off] = "created_at: time without UTC offset"
    err[(err == "") & ~((created >= MIN_EPOCH) & (created < MAX_EPOCH))] = "created_at: outside 2000-2099"
    want = np.full(n, "", dtype=object)
    for col in ("carrier", "service"):
        if col in rows.columns:
            v = rows[col].fillna("").astype(str).str.strip().to_numpy()
            want = np.where(v != "", np.where(want != "", want + ":" + v, v), want)
    booked = None
    if "slot_start" in rows.columns:
        # The window a customer picked (blank: none); its slot option is quoted for that window.
        ss = rows["slot_start"].fillna("").astype(str).str.strip()
        st, _, ok_s, _, _ = parse_instants(ss, model.city.tz)
        blank = is_blank(rows["slot_start"])
        err[(err == "") & ~blank & ~ok_s] = "slot_start: unparseable time"
        se = np.full(n, np.nan)
        if "slot_end" in rows.columns:
            e_s, _, ok_e, _, _ = parse_instants(rows["slot_end"].fillna("").astype(str).str.strip(), model.city.tz)
            se = np.where(ok_e, e_s, np.nan)
            err[(err == "") & ~blank & ok_s & np.isfinite(se) & (se <= st)] = "slot_end: not after slot_start"
        booked = (np.where(blank | ~ok_s, np.nan, st), se)
    good = err == ""
    errors: dict[int, str] = {int(i): str(err[i]) for i in np.flatnonzero(~good).tolist()}
    batches = []
    for filt in np.unique(want[good].astype(str)).tolist():
        idx = np.flatnonzero(good & (want == filt))
        try:
            keys = resolve_keys(model, [filt] if filt else None)
        except QuoteError as exc:
            for i in idx.tolist():
                errors[i] = str(exc)
            continue
        b = quote_arrays(
            model, lat[idx], lon[idx], created[idx], w[idx],
            None if olat is None else olat[idx], None if olon is None else olon[idx],
            target=target, keys=keys,
        )
        if booked is not None:
            apply_booked_slots(model, b, booked[0][idx], booked[1][idx], created[idx], target)
        batches.append((idx, keys, b))
    return oid, created, errors, batches


def quote_table(model: EtaModel, rows: pd.DataFrame, target: float = 0.95) -> list[dict[str, Any]]:
    """Quote a table of orders (pandas DataFrame) into one JSON-ready dict per row (see the module docstring)."""
    oid, created, errors, batches = _table_batches(model, rows, target)
    out: list[dict[str, Any] | None] = [None] * oid.shape[0]
    for idx, keys, b in batches:
        cols = {
            name: _iso_strings(model, np.where(b.available, arr, np.nan))
            for name, arr in zip(_TIMES, (b.promised, b.window_start, b.p50, b.cutoff))
        }
        reasons = reason_texts(model, b, created[idx])
        nominal = b.nominal if b.nominal is not None else np.ones(b.available.shape, dtype=bool)
        specs = [model.spec(k) for k in keys]
        prob = np.where(b.available, b.probability, np.nan).astype(object)
        prob[~b.available] = None
        for j, i in enumerate(idx.tolist()):
            opts = []
            for k, sp in enumerate(specs):
                opts.append(
                    {
                        "carrier": sp.carrier,
                        "service": sp.service,
                        "available": bool(b.available[j, k]),
                        "promised_by": cols["promised_by"][j, k],
                        "window_start": cols["window_start"][j, k],
                        "p50": cols["p50"][j, k],
                        "probability": prob[j, k],
                        "cost": float(b.cost[j, k]),
                        "cutoff": cols["cutoff"][j, k],
                        "reason": reasons[j, k],
                        "nominal": bool(nominal[j, k]),
                    }
                )
            out[i] = {"order_id": oid[i], "model": model.source, "currency": model.city.currency, "options": opts}
    for i, e in errors.items():
        out[i] = {"order_id": oid[i], "error": e}
    return [o for o in out if o is not None]


def quote_table_jsonl(model: EtaModel, rows: pd.DataFrame, target: float = 0.95) -> list[str]:
    """:func:`quote_table` as JSON lines (one ``json.dumps``-equivalent line per row, without the newline).

    The same objects, but each distinct value is encoded once and every line
    is one ``str.join`` over its columns: a batch of 20,000 orders spends its
    time quoting, not in ``json.dumps`` of 120,000 dicts.
    """
    oid, created, errors, batches = _table_batches(model, rows, target)
    out: list[str | None] = [None] * oid.shape[0]
    src = json.dumps(model.source)
    for idx, keys, b in batches:
        av = b.available
        nominal = b.nominal if b.nominal is not None else np.ones(av.shape, dtype=bool)
        all_reasons = reason_texts(model, b, created[idx], as_json=True)
        n_b = idx.shape[0]
        # One list of columns (constant text or per-row text), joined row by row in C.
        cols: list[Any] = ['{"order_id": ', [json.dumps(x) for x in oid[idx].tolist()],
                           ', "model": ' + src + ', "currency": ' + json.dumps(model.city.currency) + ', "options": [']
        for k, key in enumerate(keys):
            sp = model.spec(key)
            ok = av[:, k]
            iso = {name: _iso_json(model, np.where(ok, arr[:, k], np.nan)).tolist()
                   for name, arr in zip(_TIMES, (b.promised, b.window_start, b.p50, b.cutoff))}
            cols += [
                (", " if k else "") + f'{{"carrier": {json.dumps(sp.carrier)}, "service": {json.dumps(sp.service)}, "available": ',
                np.where(ok, "true", "false").tolist(),
                ', "promised_by": ', iso["promised_by"], ', "window_start": ', iso["window_start"],
                ', "p50": ', iso["p50"], ', "probability": ', _json_floats(b.probability[:, k], ok).tolist(),
                ', "cost": ', _json_floats(b.cost[:, k], np.ones(ok.shape, dtype=bool)).tolist(),
                ', "cutoff": ', iso["cutoff"], ', "reason": ', all_reasons[:, k].tolist(),
                ', "nominal": ', np.where(nominal[:, k], "true", "false").tolist(), "}",
            ]
        cols.append("]}")
        lines = map("".join, zip(*(c if isinstance(c, list) else repeat(c, n_b) for c in cols)))
        for i, line in zip(idx.tolist(), lines):
            out[i] = line
    for i, e in errors.items():
        out[i] = json.dumps({"order_id": oid[i], "error": e})
    return [o for o in out if o is not None]


def read_orders(path: Path, encoding: str | None = None) -> pd.DataFrame:
    """An orders CSV as users export it (separator, text encoding and column titles as :func:`engine.eta.history.read_table` reads them).

    Raises
    ------
    HistoryError
        The file is missing or not a CSV.
    InputError
        A row with another number of fields than the header (its line named): quoting it
        from shifted columns would answer another order.
    """
    header, rows, _ = read_table(path, ORDER_COLUMNS, encoding, "orders file")
    filled = [(i, r) for i, r in enumerate(rows) if any(x.strip() for x in r)]
    for i, r in filled:
        if len(r) != len(header):
            raise InputError(f"orders file {str(path)!r} line {i + 2}: {len(r)} fields, the header has {len(header)}", field="--orders")
    return pd.DataFrame([r for _, r in filled], columns=header, dtype=str)
