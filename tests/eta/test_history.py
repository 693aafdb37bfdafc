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
        "created_at: unparseable time": 1,
        "delivered before created": 1,
        "point outside the map": 1,
        "created_at: time without UTC offset": 1,
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


def test_a_gbk_export_is_read_and_says_so(tmp_path: Path) -> None:
    # Excel on a Chinese Windows writes GBK: the carrier names must come through as written.
    lines = [GOOD.format(i=i).replace(",own,same_day,", ",顺丰,特快,") for i in range(40)]
    p = tmp_path / "h.csv"
    p.write_bytes(("\n".join([",".join(REQUIRED), *lines]) + "\n").encode("gbk"))
    h = read_history(p)
    assert h.rows_used == 40 and set(h.frame["carrier"]) == {"顺丰"} and set(h.frame["service"]) == {"特快"}
    assert h.summary()["encoding"].lower().replace("-", "") in {"gb18030", "gbk", "gb2312"}
    assert read_history(_write(tmp_path, [GOOD.format(i=1)])).summary()["encoding"] == "utf-8"


def test_a_missing_handover_scan_keeps_the_row_for_promises(tmp_path: Path) -> None:
    blank = "b{i},own,same_day,60.25,24.99,60.17,24.94,2026-03-02T09:00:00+02:00,,2026-03-02T18:00:00+02:00,1.5"
    h = read_history(_write(tmp_path, [GOOD.format(i=1), blank.format(i=2), blank.format(i=3)]))
    assert h.rows_used == 3 and h.summary()["rows_without_handover"] == 2
    assert h.frame["handed"].isna().sum() == 2 and h.frame["handed_off"].isna().sum() == 2
    # A written scan that cannot be read is still a bad row, named by its column.
    bad = GOOD.format(i=4).replace("2026-03-02T10:00:00+02:00", "soon")
    assert read_history(_write(tmp_path, [bad])).skipped == {"handed_over_at: unparseable time": 1}


def test_a_cp1252_export_is_not_taken_for_chinese(tmp_path: Path) -> None:
    # "São" in cp1252 also decodes as GB18030 (to a stray ideograph): the reader must not pick that.
    lines = [GOOD.format(i=i).replace(",own,same_day,", ",Expresso São Paulo,Econômico,") for i in range(30)]
    p = tmp_path / "h.csv"
    p.write_bytes(("\n".join([",".join(REQUIRED), *lines]) + "\n").encode("cp1252"))
    h = read_history(p)
    assert h.summary()["encoding"] == "cp1252" and set(h.frame["carrier"]) == {"Expresso São Paulo"}
    assert set(read_history(p, encoding="cp1252").frame["service"]) == {"Econômico"}
    with pytest.raises(HistoryError, match="cannot be read as nope"):
        read_history(p, encoding="nope")
    p.write_bytes(("\n".join([",".join(REQUIRED), *lines]) + "\n").encode("utf-8") + bytes([0x81, 0x8D, 0x90]) * 40)
    with pytest.raises(HistoryError, match="--encoding"):
        read_history(p)


def test_semicolons_decimal_commas_and_retitled_columns(tmp_path: Path) -> None:
    # Excel where the decimal separator is a comma writes ";" between fields, and people retitle columns.
    header = ";".join(c.replace("_", " ").title() for c in REQUIRED) + ";Note"
    row = GOOD.format(i=1).split(",")
    row = [x.replace(".", ",") if x.replace(".", "").replace("-", "").isdigit() else x for x in row]
    p = tmp_path / "h.csv"
    p.write_text(header + "\n" + ";".join(row) + ";x\n")
    h = read_history(p)
    assert h.rows_used == 1 and h.ignored_columns == ["Note"]
    assert h.frame["dest_lat"].iloc[0] == pytest.approx(60.17) and h.frame["weight_kg"].iloc[0] == pytest.approx(1.5)
    # A tab-separated export too; a comma file with a quoted decimal comma reads the same.
    p.write_text("\t".join(REQUIRED) + "\n" + GOOD.format(i=2).replace(",", "\t") + "\n")
    assert read_history(p).rows_used == 1
    p.write_text(",".join(REQUIRED) + "\n" + GOOD.format(i=3).replace(",1.5", ',"1,5"') + "\n")
    assert read_history(p).frame["weight_kg"].iloc[0] == pytest.approx(1.5)


def test_an_undelivered_order_is_skipped_as_such(tmp_path: Path) -> None:
    open_row = "u{i},own,same_day,60.25,24.99,60.17,24.94,2026-03-02T09:00:00+02:00,2026-03-02T10:00:00+02:00,,1.5"
    h = read_history(_write(tmp_path, [GOOD.format(i=1), open_row.format(i=2), open_row.format(i=3).replace(",,", ",NULL,")]))
    assert h.rows_used == 1 and h.skipped == {"delivered_at blank (not delivered)": 2}
