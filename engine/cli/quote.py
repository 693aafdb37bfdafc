"""``promise fit`` and ``promise quote``: learn transit times, quote orders."""

from __future__ import annotations

import json

import sys
from pathlib import Path
from typing import Optional

import typer

from engine.cli._errors import cli_errors
from engine.errors import InputError, NotFoundError


def register(app: typer.Typer) -> None:
    @app.command("fit")
    def fit_cmd(
        history: Optional[Path] = typer.Option(None, "--history", help="History CSV (one row per delivered order)."),
        out: Path = typer.Option(..., "--out", help="Model directory to write."),
        simulate: Optional[str] = typer.Option(None, "--simulate", help="Fit on simulated history for this city instead (e.g. helsinki)."),
        city: Optional[str] = typer.Option(None, "--city", "--region", help="Embedded region whose time zone, map and catalogue the model serves (default with --history: inferred from the history; with --simulate: that region)."),
        catalogue: Optional[Path] = typer.Option(None, "--catalogue", help="Catalogue TOML (region, depots, seasons, carriers' services, prices): overrides what the history implies."),
        tz: Optional[str] = typer.Option(None, "--tz", help="IANA time zone of the history (default: inferred from the timestamps' UTC offsets)."),
        weeks: int = typer.Option(52, "--weeks", help="Weeks of simulated history (52: a year, with one peak season)."),
        seed: int = typer.Option(0, "--seed", help="Seed of the simulated history."),
        start: str = typer.Option("2026-01-05", "--start", help="First day of the simulated history."),
        name: Optional[str] = typer.Option(None, "--name", help="Model name (default: from the input)."),
        conformal: bool = typer.Option(False, "--conformal", help="Add the one-sided conformal tail shift (off by default: see benchmarks/calibration.py)."),
        min_cell: int = typer.Option(40, "--min-cell", help="Rows a cell needs before it stops pooling into its parent."),
        own_carrier: Optional[str] = typer.Option(None, "--own-carrier", help="Carrier name of your own fleet when the history gives it a brand name (own, own_fleet, in-house and the like are read as the own fleet without it)."),
        encoding: Optional[str] = typer.Option(None, "--encoding", help="Text encoding of the history file (default: UTF-8, else GB18030 or cp1252 when the text reads as such)."),
    ) -> None:
        """Learn transit-time quantiles from delivery history (or simulated history)."""
        with cli_errors():
            from datetime import date  # noqa: PLC0415

            from engine.eta._city import city as get_city  # noqa: PLC0415
            from engine.eta.fit import fit  # noqa: PLC0415
            from engine.eta.history import read_history  # noqa: PLC0415

            if (history is None) == (simulate is None):
                raise InputError("give exactly one of --history FILE.csv or --simulate CITY", field="--history")
            if simulate and (own_carrier or encoding):
                raise InputError("--own-carrier and --encoding are about a --history file", field="--own-carrier" if own_carrier else "--encoding")
            c = get_city(simulate or city) if (simulate or city) else None
            region: dict[str, object] = {}
            if simulate:
                assert c is not None
                from engine.eta.simulate import simulate_history  # noqa: PLC0415

                df = simulate_history(c, start=date.fromisoformat(start), weeks=weeks, seed=seed)
                h = read_history(df, bbox=c.bbox)
                source, label = "default", f"{c.name}-simulated-seed{seed}-{weeks}w"
                extra = {"simulated": {"city": c.name, "seed": seed, "weeks": weeks, "start": start, "travel_source": df.attrs.get("travel_source")}}
            else:
                source, label = "fitted", Path(history).stem  # type: ignore[arg-type]
                extra = {}
                if catalogue is not None:
                    if c is not None:
                        raise InputError("give --city or --catalogue, not both", field="--catalogue")
                    c, h, region = _with_catalogue(history, catalogue, tz, own_carrier, encoding)  # type: ignore[arg-type]
                    extra["region"] = region
                elif c is None:
                    from engine.eta.region import infer_region  # noqa: PLC0415

                    c, h, region = infer_region(read_history(history, local_tz=tz, own_carrier=own_carrier, encoding=encoding), tz=tz, name=name or label)  # type: ignore[arg-type]
                    extra["region"] = region
                else:
                    h = read_history(history, bbox=c.bbox, local_tz=tz or c.tz, own_carrier=own_carrier, encoding=encoding)  # type: ignore[arg-type]
            model = fit(h, c, name=name or label, source=source, n_min=min_cell, conformal=conformal)
            model.meta.update(extra)
            if own_carrier:
                model.meta["own_carrier"] = own_carrier.strip()
            model.save(out)
            s = h.summary()
            typer.echo(f"fitted {model.name!r}: used {s['rows_used']} of {s['rows_read']} rows, skipped {s['rows_skipped']}")
            if s["encoding"] != "utf-8":
                typer.echo(f"  read as {s['encoding']} (the file is not UTF-8)")
            if s["rows_without_handover"]:
                typer.echo(f"  {s['rows_without_handover']} rows without a hand-over scan: used for the promises, not for the transit tables")
            if region:
                area = region["area"]
                if "catalogue" in region:
                    typer.echo(f"  region {region['region']!r} from {region['catalogue']}: time zone {region['tz']}, seasons {region['seasons']}")
                    if region.get("from_history_only"):
                        typer.echo(f"  in the history but not the catalogue: {region['from_history_only']}, prices: {region.get('from_history_only_prices')}")
                else:
                    typer.echo(
                        f"  region inferred: time zone {region['tz']} (from {region['tz_from']}), service area "
                        f"{area['radius_km']:.0f} km around {area['centre'][0]:.4f},{area['centre'][1]:.4f}, prices: {region['prices']}"  # type: ignore[index]
                    )
                    kept = region.get("holidays_learnt") or {}
                    if kept.get("subdivision") or kept.get("other_holidays_stopped"):  # type: ignore[union-attr]
                        typer.echo(f"  holiday calendar learnt: {kept['calendar']} (deliveries stopped on these beyond the national"  # type: ignore[index]
                                   f" holidays; give --catalogue with holidays = \"{str(kept['calendar']).split('-')[0].split('+')[0]}\" to keep those alone)")  # type: ignore[index]
                    for ls in region.get("seasons_learnt") or []:  # type: ignore[union-attr]
                        where = f"{ls['anchor']} {ls['offset_days'][0]:+d}..{ls['offset_days'][1]:+d} days" if ls.get("anchor") else "same dates every year"
                        if ls.get("with"):
                            where += f", with {', '.join(ls['with'])}: only in years they fall inside it again"
                        typer.echo(f"  season learnt from a slow period: {ls['season']} ({ls['from']} to {ls['to']}; {where})")
                    if region.get("tz_warning"):
                        typer.echo(f"  warning: {region['tz_warning']}")
            a, b = model.city.band_edges_km
            learnt = model.meta.get("band_edges_from") == "history"
            typer.echo(f"  distance bands: under {a:g} km, {a:g}-{b:g} km, beyond {b:g} km" + (" (learnt from the history)" if learnt else ""))
            booked = model.meta.get("slot_on_time_from")
            if isinstance(booked, dict) and booked.get("starts_h"):
                starts = ", ".join(f"{int(h):02d}:{round(h % 1 * 60):02d}" for h in booked["starts_h"])
                leads = ", ".join(f"{x:g} h" for x in booked.get("booked_at_least_h_before", []))
                typer.echo(f"  booked slots: {booked['length_h']:g} h from {starts}; bookable until {leads} before they start; kept {booked['kept']:.1%}")
            for written, used in s["carriers_renamed"].items():  # type: ignore[union-attr]
                typer.echo(f"  carrier {written!r} read as the own fleet {used!r}" if used == "own" else f"  carrier {written!r} read as {used!r}")
            for reason, k in s["skipped_by_reason"].items():  # type: ignore[union-attr]
                typer.echo(f"  skipped {k}: {reason}")
            for k in model.keys:
                typer.echo(f"  {k}: {model.counts[k]} rows" + (f"  ({k.split('@', 1)[1]} table)" if "@" in k else ""))
            if model.meta.get("keys_few_rows"):
                typer.echo(f"  promised from the order statistics of all their rows (too few for hour, weekday and distance tables): {model.meta['keys_few_rows']}")
            if model.meta.get("keys_too_few_rows"):
                typer.echo(f"  not fitted (too few rows): {model.meta['keys_too_few_rows']}")
            typer.echo(f"wrote {out}")

    @app.command("quote")
    def quote_cmd(
        orders: Optional[Path] = typer.Option(None, "--orders", help="Orders CSV: order_id, dest_lat, dest_lon, created_at, weight_kg[, origin_lat, origin_lon, carrier, service]."),
        model_dir: Optional[Path] = typer.Option(None, "--model", help="Model directory (default: the shipped default model of --region)."),
        region: Optional[str] = typer.Option(None, "--region", help="Region whose model quotes when no --model is given: helsinki, shanghai, or a fitted model under PROMISE_MODEL_DIR (default: PROMISE_DEFAULT_REGION, helsinki)."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
        target: float = typer.Option(0.95, "--target", help="Probability the promise must be met with."),
        lat: Optional[float] = typer.Option(None, "--lat", help="Quote one destination (with --lon, --at)."),
        lon: Optional[float] = typer.Option(None, "--lon"),
        at: Optional[str] = typer.Option(None, "--at", help="Order time, ISO-8601 with offset (default: now)."),
        weight: float = typer.Option(1.0, "--weight", help="Cart weight in kg for a single quote."),
        slot: Optional[str] = typer.Option(None, "--slot", help="With --lat/--lon: start of the delivery window the customer picked (ISO-8601); the slot option is quoted for it."),
        slot_end: Optional[str] = typer.Option(None, "--slot-end", help="End of that window (default: the region's slot length)."),
    ) -> None:
        """Quote delivery options with their 95%-on-time promise."""
        with cli_errors():
            import pandas as pd  # noqa: PLC0415

            from engine.eta.model import EtaModel  # noqa: PLC0415
            from engine.io.quote_table import quote_table, quote_table_jsonl, read_orders  # noqa: PLC0415
            from engine.promise.registry import model_for  # noqa: PLC0415

            if model_dir and region:
                raise InputError("give --model DIR or --region NAME, not both", field="--region")
            model = EtaModel.load(model_dir) if model_dir else model_for(region)
            rows = None
            if orders is None:
                if lat is None or lon is None:
                    raise InputError("give --orders FILE.csv, or --lat and --lon for one quote", field="--orders")
                from datetime import datetime, timezone  # noqa: PLC0415

                if slot_end is not None and slot is None:
                    raise InputError("--slot-end needs --slot, the window's start", field="--slot-end")
                when = at or datetime.now(timezone.utc).astimezone(model.tz).isoformat(timespec="seconds")
                frame = pd.DataFrame([{"order_id": "cli", "dest_lat": lat, "dest_lon": lon, "created_at": when, "weight_kg": weight,
                                       "slot_start": slot or "", "slot_end": slot_end or ""}])
                # One order from flags: what is wrong with it is wrong with a flag (exit 2), not a row of a table.
                rows = quote_table(model, frame, target=target)
                err = rows[0].get("error")
                if err:
                    col = str(err).split(":", 1)[0].strip()
                    raise InputError(f"{_FLAG_OF.get(col, '--lat')}: {err}", field=_FLAG_OF.get(col, "--lat"))
            else:
                if slot is not None or slot_end is not None:
                    raise InputError("--slot is for one quote (--lat/--lon); an orders file names each order's window in slot_start, slot_end",
                                     field="--slot")
                if not orders.is_file():
                    raise NotFoundError(f"orders file {str(orders)!r} not found")
                frame = read_orders(orders)
            if as_json:
                # quote_table_jsonl writes what json.dumps of quote_table's rows would, faster for a file of orders.
                lines = quote_table_jsonl(model, frame, target=target) if rows is None else [json.dumps(r) for r in rows]
                sys.stdout.write("".join(line + "\n" for line in lines))
                return
            if rows is None:
                rows = quote_table(model, frame, target=target)
            from rich.console import Console  # noqa: PLC0415
            from rich.table import Table  # noqa: PLC0415

            # One order (the usual interactive case): no order column, so the reasons have room.
            many = len(rows) > 1
            t = Table(title=f"quotes (model: {model.source} {model.name}, target {target})")
            if many:
                t.add_column("order")
            t.add_column("option")
            for c in ("promised by", "p50", "P", f"cost ({model.city.currency})" if model.city.currency else "cost"):
                t.add_column(c, no_wrap=True)
            t.add_column("cut-off / reason", min_width=14)
            for r in rows:
                lead = [r["order_id"]] if many else []
                if "error" in r:
                    t.add_row(*lead, "-", "-", "-", "-", "-", f"[red]{r['error']}")
                    continue
                for o in r["options"]:
                    t.add_row(
                        *lead, f"{o['carrier']}:{o['service']}", _short(o["promised_by"]), _short(o["p50"]),
                        f"{o['probability']:.3f}" if o["probability"] is not None else "-", f"{o['cost']:.2f}",
                        _short(o["cutoff"]) if o["available"] and o["nominal"] else f"[yellow]{o['reason']}",
                    )
            Console().print(t)


def _with_catalogue(history: Path, path: Path, tz: Optional[str], own_carrier: Optional[str] = None, encoding: Optional[str] = None) -> tuple["City", "History", dict[str, object]]:  # type: ignore[name-defined]  # noqa: F821
    """The catalogue's region and services, plus (default-priced) any service the history has and the catalogue lacks.

    Times the history writes without an offset are local times of the catalogue's zone.
    """
    from dataclasses import replace  # noqa: PLC0415

    from engine.eta.history import read_history  # noqa: PLC0415
    from engine.eta.region import infer_services  # noqa: PLC0415
    from engine.io.catalogue import apply_catalogue, read_catalogue  # noqa: PLC0415

    cat = read_catalogue(path, own_carrier)
    if tz is not None and tz != cat.city.tz:
        raise InputError(f"--tz {tz} differs from the catalogue's region.tz {cat.city.tz}", field="--tz")
    city, h = apply_catalogue(read_history(history, local_tz=cat.city.tz, own_carrier=own_carrier, encoding=encoding), cat)
    known = {s.key for s in city.services}
    extra = [s for s in infer_services(h.frame, city.tz, city.depot, city.currency) if s.key not in known]
    info = dict(cat.info)
    info["from_history_only"] = [s.key for s in extra]
    if extra:
        from engine.eta.region import prices_note  # noqa: PLC0415

        info["from_history_only_prices"] = prices_note(city.currency)
    return replace(city, services=city.services + tuple(extra)), h, info


#: The flag of ``promise quote`` that fills each column of its one-order table.
_FLAG_OF = {"created_at": "--at", "dest_lat": "--lat", "dest_lon": "--lon", "weight_kg": "--weight", "slot_start": "--slot",
            "slot_end": "--slot-end"}


def _short(iso: str | None) -> str:
    """``2026-11-12T17:00:00+02:00`` as ``Thu 12 17:00``: the table is read in the customer's zone."""
    if not iso:
        return "-"
    from datetime import datetime  # noqa: PLC0415

    return datetime.fromisoformat(iso).strftime("%a %d %H:%M")
