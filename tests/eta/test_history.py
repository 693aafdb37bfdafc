"""History CSV reading: every bad row is skipped and counted with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.eta._city import HELSINKI
from engine.eta.history import REQUIRED, HistoryError, read_history

GOOD = "o{i},own,same_day,60.25,24.99,60.17,24.94,2026-03-02T09:00:00+02:00,2026-03-02T10:00:00+02:00,2026-03-02T18:00:00+02:00,1.5"


def _write(tmp_path: Path, lines: list[str], header: str = ",".join(REQUIRED)) -> Path:
    p = tmp_path / "h.csv"
    p.write_text("\n".join([header, *lines]) + "\n")
    return p


def test_bad_rows_counted_per_reason(tmp_path: Path) -> None:
    lines = [GOOD.format(i=i) for i in range(5)]
    lines += [
        "b1,own,same_day,60.25,24.99,60.17,24.94,yesterday,2026-03-02T10:00:00+02:00,2026-03-02T18:00:00+02:00,1",
        "b2,own,same_day,60.25,24.99,60.17,24.94,2026-03-02T09:00:00+02:00,2026-03-02T10:00:00+02:00,2026-03-01T18:00:00+02:00,1",
        "b3,own,same_day,60.25,24.99,10.0,24.94,2026-03-02T09:00:00+02:00,2026-03-02T10:00:00+02:00,2026-03-02T18:00:00+02:00,1",
        "b4,own,same_day,60.25,24.99,60.17,24.94,2026-03-02T09:00:00,2026-03-02T10:00:00+02:00,2026-03-02T18:00:00+02:00,1",
        "b5,own,same_day,60.25,24.99,60.17",
        "b6,own,same_day,60.25,24.99,abc,24.94,2026-03-02T09:00:00+02:00,2026-03-02T10:00:00+02:00,2026-03-02T18:00:00+02:00,1",
        "b7,own,same_day,60.25,24.99,60.17,24.94,2026-03-02T09:00:00+02:00,2026-03-02T10:00:00+02:00,2026-03-02T18:00:00+02:00,-3",
        "o0,own,same_day,60.25,24.99,60.17,24.94,2026-03-02T09:00:00+02:00,2026-03-02T10:00:00+02:00,2026-03-02T18:00:00+02:00,1",
        "b8,,same_day,60.25,24.99,60.17,24.94,2026-03-02T09:00:00+02:00,2026-03-02T10:00:00+02:00,2026-03-02T18:00:00+02:00,1",
        "b9,own,same_day,60.25,24.99,60.17,24.94,2026-03-02T09:00:00+02:00,2026-03-02T08:00:00+02:00,2026-03-02T18:00:00+02:00,1",
        "b10,own,same_day,60.25,24.99,0,0,2026-03-02T09:00:00+02:00,2026-03-02T10:00:00+02:00,2026-03-02T18:00:00+02:00,1",
    ]
    h = read_history(_write(tmp_path, lines), bbox=HELSINKI.bbox)
    s = h.summary()
    assert s["rows_read"] == 16
    assert s["rows_used"] == 5
    assert s["skipped_by_reason"] == {
        "unparseable time": 1,
        "delivered before created": 1,
        "point outside the map": 1,
        "time without UTC offset": 1,
        "wrong number of fields": 1,
        "unparseable coordinate": 1,
        "bad weight_kg": 1,
        "duplicate order_id": 1,
        "empty order_id, carrier or service": 1,
        "handed over before created": 1,
        "coordinate at 0, 0 (a missing geocode)": 1,
    }
    # Times are real instants: 09:00+02:00 is 07:00 UTC.
    assert h.frame["created"].iloc[0] == pytest.approx(1772434800.0)


def test_extra_columns_are_ignored_and_reported(tmp_path: Path) -> None:
    header = ",".join(REQUIRED) + ",note"
    h = read_history(_write(tmp_path, [GOOD.format(i=1) + ",hello"], header=header))
    assert h.rows_used == 1
    assert h.ignored_columns == ["note"]


def test_missing_required_column_is_a_clear_error(tmp_path: Path) -> None:
    header = ",".join(c for c in REQUIRED if c != "handed_over_at")
    p = tmp_path / "h.csv"
    p.write_text(header + "\n")
    with pytest.raises(HistoryError, match="missing required column.*handed_over_at"):
        read_history(p)


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="not found"):
        read_history(tmp_path / "nope.csv")
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(HistoryError, match="empty"):
        read_history(tmp_path / "e.csv")


def test_the_own_fleet_as_written_is_keyed_own(tmp_path: Path) -> None:
    written = ["Own_Fleet", "in-house", "OWN", "dhl"]
    lines = [GOOD.replace(",own,", f",{w},", 1).format(i=i) for i, w in enumerate(written)]
    h = read_history(_write(tmp_path, lines), bbox=HELSINKI.bbox)
    assert h.frame["carrier"].tolist() == ["own", "own", "own", "dhl"]
    assert h.summary()["carriers_renamed"] == {"Own_Fleet": "own", "in-house": "own", "OWN": "own"}
    # A fleet with a brand name is named; then that name alone is the own fleet, so no two carriers merge.
    h = read_history(_write(tmp_path, lines), bbox=HELSINKI.bbox, own_carrier="DHL")
    assert h.frame["carrier"].tolist() == ["Own_Fleet", "in-house", "own", "own"]
    with pytest.raises(HistoryError, match="--own-carrier 'ups': no carrier of that name"):
        read_history(_write(tmp_path, lines), bbox=HELSINKI.bbox, own_carrier="ups")
