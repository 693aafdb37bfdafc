"""Read and validate a delivery-history CSV, counting every skipped row by reason.

One row per delivered order, columns ``order_id, carrier, service, origin_lat,
origin_lon, dest_lat, dest_lon, created_at, handed_over_at, delivered_at,
weight_kg``; timestamps ISO-8601 *with* an offset, or Unix time (seconds, or
milliseconds; an instant in UTC).  A missing required column
is an error (nothing sensible can be fitted); a bad row is skipped and counted
so the fit can report what it used.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import HistoryError
from engine.eta._city import canonical_carrier
from engine.eta._time import MAX_EPOCH, MIN_EPOCH, zone_key

REQUIRED: tuple[str, ...] = (
    "order_id",
    "carrier",
    "service",
    "origin_lat",
    "origin_lon",
    "dest_lat",
    "dest_lon",
    "created_at",
    "handed_over_at",
    "delivered_at",
    "weight_kg",
)
TIME_COLUMNS = ("created_at", "handed_over_at", "delivered_at")
#: Optional: the window a customer booked for a slot delivery (blank for other rows; ``slot_end`` blank: the
#: window's length is read from the slots' starts, see :func:`engine.eta.slots.booked_slot_end`).
SLOT_COLUMNS = ("slot_start", "slot_end")
#: A timestamp must end with ``Z`` or an explicit ``+HH:MM`` / ``-HHMM`` / ``+HH`` offset (PostgreSQL writes
#: ``timestamptz`` as ``2025-06-01 10:00:00+08``) after its clock time, so a bare date's ``-01`` is not one.
_OFFSET_RE = r"\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(Z|[+-]\d\d(?::?\d\d)?)$"
#: Deliveries slower than this are data errors (a lost parcel is not a transit time).
MAX_LEAD_S = 30 * 86400.0


@dataclass(slots=True)
class History:
    """Validated history as arrays (epoch seconds), plus what was skipped."""

    frame: pd.DataFrame
    rows_read: int
    skipped: Counter = field(default_factory=Counter)
    #: Carrier names read as another (the own fleet's ``own_fleet`` as ``own``): written name -> name used.
    renamed: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    #: The file's text encoding when it was not UTF-8 (a Chinese Excel export is GB18030/GBK); None: UTF-8.
    encoding: str | None = None
    #: Rows used without a hand-over scan: in the promise tables, not in the transit and processing ones.
    no_handover: int = 0

    @property
    def rows_used(self) -> int:
        return len(self.frame)

    def summary(self) -> dict[str, object]:
        return {
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_skipped": int(sum(self.skipped.values())),
            "skipped_by_reason": dict(sorted(self.skipped.items())),
            "ignored_columns": list(self.ignored_columns),
            "carriers_renamed": dict(self.renamed),
            "encoding": self.encoding or "utf-8",
            "rows_without_handover": int(self.no_handover),
        }


def _offset_seconds(s: pd.Series) -> np.ndarray:
    """UTC offset written at the end of each ISO time, in seconds (NaN when there is none)."""
    m = s.str.extract(_OFFSET_RE, expand=False)
    out = np.full(len(s), np.nan)
    z = (m == "Z").to_numpy()
    out[z] = 0.0
    rest = m.where(~(m == "Z")).str.replace(":", "", regex=False)
    ok = rest.notna().to_numpy()
    if ok.any():
        r = rest[ok]
        sign = np.where(r.str[0] == "-", -1.0, 1.0)
        hh = pd.to_numeric(r.str[1:3], errors="coerce").to_numpy(dtype=np.float64)
        mm = pd.to_numeric(r.str[3:5].replace("", "0"), errors="coerce").to_numpy(dtype=np.float64)
        out[ok] = sign * (hh * 3600.0 + mm * 60.0)
    return out


def read_history(
    source: str | Path | pd.DataFrame,
    bbox: tuple[float, float, float, float] | None = None,
    local_tz: str | None = None,
    own_carrier: str | None = None,
    encoding: str | None = None,
) -> History:
    """Read a history CSV (or a frame with its columns) and validate every row.

    Parameters
    ----------
    source
        Path to the CSV, or a DataFrame with the same columns (strings for times).
    bbox
        ``(min_lat, min_lon, max_lat, max_lon)`` of the map; rows with an origin
        or destination outside are skipped as ``point outside the map``.
    local_tz
        IANA zone in which times written without an offset are local times
        (``--tz``); ``None``: such rows are skipped as ``time without UTC offset``.
        A local time that a daylight-saving change makes ambiguous or skips is
        skipped as ``local time ambiguous or skipped by a clock change``.
    own_carrier
        The carrier name of the platform's own fleet when it is a brand name
        (``--own-carrier``): its rows are keyed ``own``, as are the usual ways of
        writing it (``own_fleet``, ``In-house``, ...; :data:`engine.eta._city.OWN_ALIASES`).
    encoding
        The file's text encoding (``--encoding``); ``None``: UTF-8, else GB18030
        or cp1252 when the text reads as such (see :func:`_decode`).

    Returns
    -------
    History
        ``frame`` has columns order_id, carrier, service, origin_lat, origin_lon,
        dest_lat, dest_lon, weight_kg and epoch-second floats created, handed, delivered,
        slot_start and slot_end (NaN where no slot was booked, or without those columns).

    Raises
    ------
    HistoryError
        When the file cannot be read or lacks a required column.
    """
    skipped: Counter = Counter()
    if isinstance(source, pd.DataFrame):
        encoding = None
        raw = source.astype(str).copy()
        # "Created At", "ORDER_ID": spreadsheets retitle columns (read_table renames a file's).
        header = _schema_names(list(raw.columns), (*REQUIRED, *SLOT_COLUMNS))
        raw.columns = header
    else:
        header, rows, encoding = read_table(Path(source), (*REQUIRED, *SLOT_COLUMNS), encoding, "history file")
        if not header:
            raise HistoryError(f"history file {str(source)!r} is empty (no header row)")
        good = [r for r in rows if len(r) == len(header)]
        blank = sum(1 for r in rows if not r or all(not x.strip() for x in r))
        bad_len = len(rows) - len(good) - blank
        if bad_len:
            skipped["wrong number of fields"] += bad_len
        raw = pd.DataFrame(good, columns=header, dtype=str)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise HistoryError(
            f"history is missing required column(s) {', '.join(missing)}; expected {', '.join(REQUIRED)}"
        )
    ignored = [c for c in header if c not in REQUIRED and c not in SLOT_COLUMNS]
    slot_cols = [c for c in SLOT_COLUMNS if c in header]
    rows_read = len(raw) + sum(skipped.values())
    df = raw[list(REQUIRED) + slot_cols].copy()
    for c in ("order_id", "carrier", "service"):
        df[c] = df[c].astype(str).str.strip()
    names = df["carrier"].unique().tolist()
    canon = {n: canonical_carrier(n, own_carrier) for n in names}
    renamed = {n: c for n, c in canon.items() if c != n}
    if own_carrier is not None and not any(n.lower() == own_carrier.strip().lower() for n in map(str, names)):
        raise HistoryError(f"--own-carrier {own_carrier!r}: no carrier of that name in the history; carriers: {', '.join(sorted(map(str, names))[:20])}")
    if renamed:
        df["carrier"] = df["carrier"].map(canon)
    keep = np.ones(len(df), dtype=bool)

    def drop(mask: np.ndarray, reason: str) -> None:
        m = mask & keep
        k = int(m.sum())
        if k:
            skipped[reason] += k
            keep[m] = False

    drop(((df["order_id"] == "") | (df["carrier"] == "") | (df["service"] == "")).to_numpy(), "empty order_id, carrier or service")
    drop(df["order_id"].duplicated(keep="first").to_numpy(), "duplicate order_id")

    num = {}
    for c in ("origin_lat", "origin_lon", "dest_lat", "dest_lon", "weight_kg"):
        num[c] = parse_numbers(df[c])
    coords = np.column_stack([num[c] for c in ("origin_lat", "origin_lon", "dest_lat", "dest_lon")])
    drop(~np.isfinite(coords).all(axis=1), "unparseable coordinate")
    lat_ok = (np.abs(coords[:, 0]) <= 90) & (np.abs(coords[:, 2]) <= 90)
    lon_ok = (np.abs(coords[:, 1]) <= 180) & (np.abs(coords[:, 3]) <= 180)
    drop(~(lat_ok & lon_ok), "invalid coordinate")
    # (0, 0) is in the Gulf of Guinea: it is what a failed geocode writes, and it would stretch the service area.
    drop(((coords[:, 0] == 0) & (coords[:, 1] == 0)) | ((coords[:, 2] == 0) & (coords[:, 3] == 0)), "coordinate at 0, 0 (a missing geocode)")
    if bbox is not None:
        la0, lo0, la1, lo1 = bbox
        inside = (
            (coords[:, 0] >= la0) & (coords[:, 0] <= la1) & (coords[:, 1] >= lo0) & (coords[:, 1] <= lo1)
            & (coords[:, 2] >= la0) & (coords[:, 2] <= la1) & (coords[:, 3] >= lo0) & (coords[:, 3] <= lo1)
        )
        drop(~inside, "point outside the map")
    w = num["weight_kg"]
    drop(~np.isfinite(w) | (w < 0) | (w > 10_000), "bad weight_kg")

    times = {}
    offsets = {}
    for c in (*TIME_COLUMNS, *slot_cols):
        if c in SLOT_COLUMNS:
            # Optional: blank is "no booked slot" (a frame's NaN arrives as "nan"), and only a written time that
            # cannot be read skips its row.
            s = df[c].fillna("").astype(str).str.strip()
            blank = is_blank(s)
            s = s.where(~blank, "1970-01-01T00:00:00+00:00")
        else:
            s = df[c].str.strip()
        if c == "handed_over_at":
            # A missing pick-up scan is common in real exports: the row still says when the order was placed and
            # delivered (the promise tables), only the transit and processing tables go without it.
            no_scan = is_blank(s)
            s = s.where(~no_scan, df["created_at"].str.strip())
        ep, offsets[c], ok, has_off, gap = parse_instants(s, local_tz)
        drop(gap, "local time ambiguous or skipped by a clock change")
        if c in SLOT_COLUMNS:
            drop(~blank & ~(ok & has_off & (ep >= MIN_EPOCH) & (ep < MAX_EPOCH)),
                 f"{c}: unreadable, or without UTC offset (blank when no slot was booked)")
            times[c] = np.where(blank, np.nan, ep)
            continue
        if c == "delivered_at":
            # Not delivered yet, lost or returned: nothing to learn a transit time from (said, not called unparseable).
            drop(is_blank(s), "delivered_at blank (not delivered)")
        elif c == "created_at":
            drop(is_blank(s), "created_at blank")
        drop(~ok, f"{c}: unparseable time")
        drop(~has_off, f"{c}: time without UTC offset")
        drop(~((ep >= MIN_EPOCH) & (ep < MAX_EPOCH)), f"{c}: time outside 2000-2099")
        times[c] = ep
    cr, de = times["created_at"], times["delivered_at"]
    ho = np.where(no_scan, np.nan, times["handed_over_at"])
    drop(de < cr, "delivered before created")
    drop(ho < cr, "handed over before created")
    drop(de < ho, "delivered before handed over")
    drop(de - cr > MAX_LEAD_S, "delivery took more than 30 days")
    ss = times.get("slot_start", np.full(len(df), np.nan))
    se = times.get("slot_end", np.full(len(df), np.nan))
    drop(np.isfinite(se) & (~np.isfinite(ss) | (se <= ss)), "slot_end without a slot_start before it")

    out = pd.DataFrame(
        {
            "order_id": df["order_id"].to_numpy()[keep],
            "carrier": df["carrier"].to_numpy()[keep],
            "service": df["service"].to_numpy()[keep],
            "origin_lat": coords[keep, 0],
            "origin_lon": coords[keep, 1],
            "dest_lat": coords[keep, 2],
            "dest_lon": coords[keep, 3],
            "weight_kg": w[keep],
            "created": cr[keep],
            "handed": ho[keep],
            "delivered": de[keep],
            # UTC offsets as written (s): the time zone is inferred from them.
            "created_off": offsets["created_at"][keep],
            "handed_off": np.where(no_scan, np.nan, offsets["handed_over_at"])[keep],
            "delivered_off": offsets["delivered_at"][keep],
            # The booked slot window (epoch s; NaN: none booked, or no such column).
            "slot_start": ss[keep],
            "slot_end": se[keep],
        }
    )
    return History(frame=out, rows_read=rows_read, skipped=skipped, ignored_columns=ignored, renamed=renamed,
                   encoding=encoding, no_handover=int(np.count_nonzero(no_scan & keep)))


def is_blank(s: pd.Series) -> np.ndarray:
    """True where a field is empty, or what a frame or a database writes for nothing (``nan``, ``None``, ``NULL``)."""
    t = s.fillna("").astype(str).str.strip().str.lower()
    return (s.isna() | t.isin(("", "nan", "none", "nat", "null"))).to_numpy()


def parse_numbers(s: pd.Series) -> np.ndarray:
    """Numbers as written, a decimal comma included (Brazilian or German Excel: ``-23,55``); NaN where none.

    Coordinates and weights never carry a thousands separator, so ``1,5`` is 1.5.
    """
    v = s.astype(str).str.strip()
    v = v.where(~v.str.fullmatch(r"[+-]?\d*,\d+", na=False), v.str.replace(",", ".", regex=False))
    return pd.to_numeric(v, errors="coerce").to_numpy(dtype=np.float64)


def parse_instants(s: pd.Series, local_tz: str | None = None) -> tuple[np.ndarray, ...]:
    """Epoch seconds of written times: ``(epoch, offset written (s), read, has an offset, local time a clock change made ambiguous)``.

    ISO-8601 with an offset (``Z``, ``+08:00``, ``+08``), Unix time (seconds,
    or milliseconds with 12-13 digits: an instant in UTC, as databases export
    it), and, with ``local_tz``, local times without an offset read in that zone.
    """
    offsets = _offset_seconds(s)
    has_off = np.isfinite(offsets)
    unix = s.str.fullmatch(r"\d{9,10}(?:\.\d+)?|\d{12,13}", na=False).to_numpy()
    t = pd.to_datetime(s.where(~unix), utc=True, format="ISO8601", errors="coerce")
    ep = np.full(len(s), np.nan)
    ok = t.notna().to_numpy()
    gap = np.zeros(len(s), dtype=bool)
    if t.dtype.kind == "M":
        ep[ok] = (t[ok] - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy()
    if unix.any():
        u = pd.to_numeric(s[unix], errors="coerce").to_numpy(dtype=np.float64)
        ms = s[unix].str.fullmatch(r"\d{12,13}", na=False).to_numpy()
        ep[unix] = np.where(ms, u / 1000.0, u)
        ok = ok | unix
        has_off = has_off | unix
        offsets[unix] = 0.0
    if local_tz is not None and not has_off.all():
        naive = ~has_off & ~unix
        loc = pd.to_datetime(s.where(naive), format="ISO8601", errors="coerce")
        if loc.dtype.kind == "M" and loc.dt.tz is None:
            z = loc.dt.tz_localize(zone_key(local_tz), ambiguous="NaT", nonexistent="NaT")
            good = z.notna().to_numpy() & naive
            gap = naive & loc.notna().to_numpy() & ~good
            ep[good] = (z[good] - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy()
            wall = loc[good] - z[good].dt.tz_convert("UTC").dt.tz_localize(None)
            offsets[good] = wall.dt.total_seconds().to_numpy()
            ok = ok | good
            has_off = has_off | good
    return ep, offsets, ok, has_off, gap


def read_table(path: Path, known: tuple[str, ...], encoding: str | None = None, what: str = "file") -> tuple[list[str], list[list[str]], str | None]:
    """Header and rows of a CSV as users export it: ``(header, rows, encoding when not UTF-8)``.

    The field separator is read from the header (:func:`_delimiter`), the text
    encoding from the bytes (:func:`_decode`), and a column title that is one of
    ``known`` once lower-cased with words joined by ``_`` (``Created At``) is
    given that name.

    Raises
    ------
    HistoryError
        The file is missing, not text, or not CSV.
    """
    if not path.is_file():
        raise HistoryError(f"{what} {str(path)!r} not found")
    text, enc = _decode(path, encoding, what)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, known))
        header = [h.strip() for h in next(reader, [])]
        rows = list(reader)
    except csv.Error as exc:
        raise HistoryError(f"{what} {str(path)!r} is not a readable CSV: {exc}") from None
    return _schema_names(header, known), rows, enc


def _schema_names(header: list[str], known: tuple[str, ...]) -> list[str]:
    """``header`` with titles that spell a ``known`` column otherwise (``Created At``) given its name."""
    return [_column_name(h) if h not in known and _column_name(h) in known and _column_name(h) not in header else h for h in header]


def _column_name(header: str) -> str:
    """A column title as the schema writes it: lower case, words joined by ``_``."""
    return "_".join(header.strip().lower().replace("-", " ").split())


def _delimiter(text: str, known: tuple[str, ...]) -> str:
    """The field separator whose split of the header line names the most schema columns (``,`` on a tie).

    Excel writes ``;`` where the decimal separator is a comma (Brazil, Germany), and exports are often tab or
    ``|`` separated.
    """
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    score = {d: sum(_column_name(h.strip('"')) in known for h in first.split(d)) for d in (",", ";", "\t", "|")}
    best = max(score, key=lambda d: (score[d], d == ","))
    return best if score[best] > 0 else ","


def _decode(path: Path, encoding: str | None = None, what: str = "history file") -> tuple[str, str | None]:
    """The file's text and its encoding when not UTF-8 (None).

    Exports from Excel on a Chinese Windows are GB18030/GBK, on a Western one
    cp1252.  UTF-8 is tried first (it rarely decodes anything else by chance);
    then GB18030 when what it reads is Chinese as written (CJK characters whose
    second byte is in the GB2312 range: a cp1252 ``ã`` before an ASCII letter
    also decodes, to a stray ideograph); then cp1252 when it reads letters.
    Anything else needs ``encoding`` (``--encoding``).
    """
    data = path.read_bytes()
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError) as exc:
            raise HistoryError(f"{what} {str(path)!r} cannot be read as {encoding}: {exc}") from None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    for enc, plausible in (("gb18030", _reads_as_chinese), ("cp1252", _reads_as_latin)):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if plausible(text):
            return text, enc
    raise HistoryError(f"{what} {str(path)!r} is not UTF-8, GB18030 or cp1252 text: give its encoding (--encoding)")


def _non_ascii(text: str) -> Counter:
    # A regular expression, not a loop over characters: a year's export is tens of millions of them.
    return Counter(_NON_ASCII.findall(text))


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _reads_as_chinese(text: str) -> bool:
    chars = _non_ascii(text)
    n = sum(chars.values())
    cjk = sum(k for ch, k in chars.items() if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    gb2312 = sum(k for ch, k in chars.items() if len(b := ch.encode("gb18030")) == 2 and b[1] >= 0xA1)
    return n > 0 and cjk >= 0.95 * n and gb2312 >= 0.8 * n


def _reads_as_latin(text: str) -> bool:
    chars = _non_ascii(text)
    n = sum(chars.values())
    return n > 0 and sum(k for ch, k in chars.items() if ch.isalpha() or ch in "°ºª€£§") >= 0.9 * n
