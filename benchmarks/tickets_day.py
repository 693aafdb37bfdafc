"""A replayed 1,000-order day through the monitor, tickets and notifications, with simulated agents.

The day comes from the monitor's own generator (``engine.monitor.dayplay.simulate_day``: a breakdown,
snow, an unreported jam, a missed sort, a silent van) and is replayed through
the monitor (``engine.monitor.score.replay_day``) for its warning records.
Everything after that runs on a ``SimClock`` over three days, against a
SQLite store, each cause in one unit of work with its notifications:

* order events: confirmed (the evening before), out for delivery (the van's
  first position, the carrier's out-for-delivery scan), delivered (the truth);
* monitor warnings -> delay tickets (one per order), notes, priorities; a
  delivered order resolves its ticket;
* customers who were not warned and whose order is late call in (a delay
  ticket on the phone, 10-60 min past the promise);
* customer-initiated tickets: damage 1%, quality 0.8%, returns 1.2% (after
  delivery), feedback 2% (any time);
* a carrier parcel with no scan for ``--lost-after`` hours: a lost-parcel ticket;
* agents (``--agents``, shifts 08-22 Helsinki time) take the oldest ticket of
  the highest priority: a first answer (4 min), then per category: delay
  waits on the carrier until delivered (or 15 min of work next morning if it
  never came), damage/quality/returns wait on the customer half of the time
  (0.5-8 h) and take 10-40 min, feedback 8 min, lost parcels wait 2-10 h on
  the carrier;
* the SLA sweep every 5 minutes; the outbox worker every minute (a sink
  channel; quiet hours and rate limits as the customers set them).

Printed: the ticket KPIs of every ticket the day caused, seen at the end (share resolved within 24 h),
and the notifications by event, channel and state.

Usage::

    .venv/bin/python benchmarks/tickets_day.py --orders 1000 --seed 0 --out benchmarks/out/tickets_day.json
"""

from __future__ import annotations

import argparse
import heapq
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import notify, tickets  # noqa: E402
from engine.clock import SimClock  # noqa: E402
from engine.domain.monitor import TrackKind  # noqa: E402
from engine.domain.notification import ChannelKind, Customer  # noqa: E402
from engine.domain.ticket import Priority, TicketCategory, TicketStatus  # noqa: E402
from engine.monitor.dayplay import simulate_day  # noqa: E402
from engine.monitor.score import replay_day  # noqa: E402
from engine.notify import RetryPolicy, Worker  # noqa: E402
from engine.store.aftersales import StoreOutbox, unit  # noqa: E402
from engine.store.repository import Store  # noqa: E402

TZ = ZoneInfo("Europe/Helsinki")
MIN = 60.0
H = 3600.0


class Sink:
    """A channel that accepts everything (the transport is benchmarked in notify_outbox.py)."""

    def __init__(self, kind: ChannelKind) -> None:
        self.kind = kind
        self.count = 0

    def send(self, n, msg) -> int:  # type: ignore[no-untyped-def]
        assert msg.body
        self.count += 1
        return 200


def _on_shift(t: float) -> bool:
    return 8 <= datetime.fromtimestamp(t, TZ).hour < 22


def run(orders: int, vehicles: int, seed: int, agents: int, lost_after_h: float, business_hours: bool = False) -> dict:
    rng = np.random.default_rng(seed + 1000)
    t_wall = time.perf_counter()
    day = simulate_day(orders, vehicles, seed=seed)
    monitor_metrics, mon = replay_day(day)
    warnings = sorted(mon.notices, key=lambda w: (w.at, w.seq))
    t_monitor = time.perf_counter() - t_wall

    db = Path(tempfile.mkdtemp(prefix="tickets-day-")) / "day.db"
    store = Store(f"sqlite:///{db}")
    order_ids = sorted(day.promises)
    # Customers: channel mixes and languages as a Helsinki shop with Chinese-speaking customers might have.
    with unit(store) as u:
        for i, o in enumerate(order_ids):
            chans = [c for c, p in ((ChannelKind.EMAIL, 0.6), (ChannelKind.SMS, 0.4), (ChannelKind.PUSH, 0.35),
                                    (ChannelKind.WEBHOOK, 0.15)) if rng.random() < p] or [ChannelKind.EMAIL]
            u.put_customer(Customer(
                f"c{i}", name=f"Customer {i}", language="zh_CN" if rng.random() < 0.3 else "en", timezone="Europe/Helsinki",
                channels=tuple(chans), addresses={"email": f"c{i}@example.com", "sms": f"+3584000{i:05d}",
                                                  "push": f"device-{i}", "webhook": "http://127.0.0.1:9/unused"},
                quiet_start=22, quiet_end=8, rate_per_hour=4, opted_out=rng.random() < 0.03))
            u.link_order(o, f"c{i}", "north" if "north" in o or rng.random() < 0.5 else "south")

    # The timeline: (time, seq, kind, data).
    q: list[tuple[float, int, str, object]] = []
    seq = [0]

    def at(t: float, kind: str, data: object) -> None:
        seq[0] += 1
        heapq.heappush(q, (float(t), seq[0], kind, data))

    t_first = min(e.at for e in day.events)
    day0 = datetime.fromtimestamp(t_first, TZ).replace(hour=0, minute=0, second=0).timestamp()
    vehicle_of = {s.order_id: r.vehicle_id for r in day.plan.routes for s in r.stops if s.order_id}
    first_ping: dict[str, float] = {}
    carrier_scans: dict[str, list[tuple[float, str]]] = {}
    for e in day.events:
        if e.kind == TrackKind.POSITION and e.vehicle_id and e.vehicle_id not in first_ping:
            first_ping[e.vehicle_id] = e.at
        if e.kind == TrackKind.CARRIER_SCAN and e.order_id:
            carrier_scans.setdefault(e.order_id, []).append((e.at, e.status or ""))
            if e.status == "out_for_delivery":
                at(e.at, "out", e.order_id)
    for o in order_ids:
        at(day0 - 4 * H, "confirmed", o)
        v = vehicle_of.get(o)
        if v in first_ping:
            at(first_ping[v], "out", o)
        if day.delivered.get(o) is not None:
            at(day.delivered[o], "delivered", o)
    for w in warnings:
        at(w.at, "warning", w)
    warned = {w.order_id for w in warnings}
    for o in order_ids:
        if day.delivered.get(o) is None:  # never came: an agent books a redelivery the next morning
            nxt = datetime.fromtimestamp(day.promises[o], TZ).replace(hour=9, minute=0, second=0).timestamp() + 24 * H
            at(nxt, "redeliver", o)
    for o in order_ids:
        d, p = day.delivered.get(o), day.promises[o]
        if o not in warned and (d is None or d > p):
            at(p + rng.uniform(10, 60) * MIN, "call", o)
        dl = d if d is not None else p
        for cat, share in ((TicketCategory.DAMAGE, 0.01), (TicketCategory.QUALITY, 0.008), (TicketCategory.RETURNS, 0.012)):
            if d is not None and rng.random() < share:
                at(dl + rng.uniform(1, 30) * H, "customer", (o, cat))
        if rng.random() < 0.02:
            at(day0 + rng.uniform(7, 23) * H, "customer", (o, TicketCategory.FEEDBACK))
    end = day0 + 72 * H
    for k in range(int((end - day0) / (5 * MIN))):
        at(day0 + k * 5 * MIN, "sweep", None)
    for k in range(int((end - day0) / H)):
        at(day0 + k * H, "lost_check", None)
    for k in range(int((end - day0) / MIN)):
        at(day0 + k * MIN, "tick", None)

    clock = SimClock(min(q)[0])
    sinks = {k: Sink(k) for k in ChannelKind}
    worker = Worker(StoreOutbox(store), sinks, clock, retry=RetryPolicy(max_attempts=3), batch=500, concurrency=1)
    pol = tickets.SlaPolicies()
    if business_hours:
        # The desk's own hours (08-22 Helsinki, every day but Finnish public holidays) instead of calendar hours.
        cal = tickets.BusinessHours("Europe/Helsinki", 8, 22, weekdays=range(7), country="FI")
        pol = tickets.SlaPolicies(default=tickets.SlaPolicy(calendar=cal))
        pol.rules = {k: tickets.SlaPolicy(first_response_s=v.first_response_s, resolution_s=v.resolution_s, calendar=cal)
                     for k, v in pol.rules.items()}
    # Agents' view of the work: ticket id -> (stage, ready at); stages: respond, work, wait, done.
    work: dict[str, list] = {}
    free_at = [0.0] * agents
    counts: Counter = Counter()
    sla_events: Counter = Counter()

    def track(t, stage: str = "respond", ready: float | None = None) -> None:  # type: ignore[no-untyped-def]
        if t is not None and t.ticket_id not in work:
            work[t.ticket_id] = [stage, clock.now() if ready is None else ready, t.category, t.priority]

    def change(u, res) -> None:  # type: ignore[no-untyped-def]
        t, ch = res
        notify.on_ticket_change(u, t, ch)

    while q:
        t, _, kind, data = heapq.heappop(q)
        if t > end:
            break
        clock.set(max(t, clock.now()))
        now = clock.now()
        if kind == "tick":
            worker.run_once()
            if not _on_shift(now):
                continue
            ready = [(-Priority(v[3]).rank, v[1], tid) for tid, v in work.items() if v[0] in ("respond", "work") and v[1] <= now]
            ready.sort()
            for a in range(agents):
                if not ready:
                    break
                if free_at[a] > now:
                    continue
                _, _, tid = ready.pop(0)
                stage, _, cat, _ = work[tid]
                with unit(store) as u:
                    if stage == "respond":
                        change(u, tickets.add_note(u, tid, "We are on it.", now=now, actor=f"agent-{a}"))
                        free_at[a] = now + 4 * MIN
                        got = day.delivered.get(u.get_ticket(tid).order_id or "")
                        if cat == TicketCategory.DELAY and got is not None and got <= now:
                            # The warning came after the parcel did (a late stop event): close it at once.
                            change(u, tickets.resolve(u, tid, now=now, actor=f"agent-{a}", text="already delivered"))
                            work.pop(tid)
                            counts["resolved_already_delivered"] += 1
                        elif cat == TicketCategory.DELAY:
                            change(u, tickets.set_status(u, tid, TicketStatus.WAITING_CARRIER, now=now, actor=f"agent-{a}"))
                            work[tid] = ["wait", now, cat, work[tid][3]]
                        elif cat == TicketCategory.LOST_PARCEL:
                            change(u, tickets.set_status(u, tid, TicketStatus.WAITING_CARRIER, now=now, actor=f"agent-{a}"))
                            work[tid] = ["work", now + rng.uniform(2, 10) * H, cat, work[tid][3]]
                        elif cat == TicketCategory.FEEDBACK:
                            work[tid] = ["work", now, cat, work[tid][3]]
                        elif rng.random() < 0.5:
                            change(u, tickets.set_status(u, tid, TicketStatus.WAITING_CUSTOMER, now=now, actor=f"agent-{a}"))
                            back = now + rng.uniform(0.5, 8) * H
                            at(back, "reply", tid)
                            work[tid] = ["wait", back, cat, work[tid][3]]
                        else:
                            work[tid] = ["work", now, cat, work[tid][3]]
                    else:
                        effort = {TicketCategory.FEEDBACK: 8 * MIN, TicketCategory.DELAY: 15 * MIN,
                                  TicketCategory.LOST_PARCEL: 10 * MIN}.get(cat, rng.uniform(10, 40) * MIN)
                        free_at[a] = now + effort
                        at(now + effort, "resolve", (tid, a))
                        work[tid] = ["busy", now, cat, work[tid][3]]
            continue
        with unit(store) as u:
            if kind == "confirmed":
                notify.on_order_event(u, data, "confirmed", now, payload={"promised_by": day.promises[data]})
            elif kind == "out":
                notify.on_order_event(u, data, "out_for_delivery", now, payload={"promised_by": day.promises[data]})
            elif kind == "delivered":
                notify.on_order_event(u, data, "delivered", now)
                for tk in tickets.on_delivered(u, data, now):
                    work.pop(tk.ticket_id, None)
                    counts["auto_resolved_on_delivery"] += 1
            elif kind == "warning":
                tk = tickets.on_warning(u, data)
                notify.on_warning(u, data, ticket_id=tk.ticket_id if tk else None)
                counts[f"warning_{data.kind}"] += 1
                if tk is not None and tk.ticket_id not in work:
                    counts["opened_by_monitor"] += 1
                    track(tk)
            elif kind == "call":
                if u.find_open_ticket(data, [TicketCategory.DELAY]) is None:
                    tk = tickets.open_ticket(u, category=TicketCategory.DELAY, now=now, order_id=data, channel="phone",
                                             subject=f"where is order {data}?", text="customer called: late")
                    notify.on_ticket_change(u, tk, tk.history[-1])
                    counts["opened_by_customer_call"] += 1
                    track(tk)
            elif kind == "customer":
                o, cat = data
                tk = tickets.open_ticket(u, category=cat, now=now, order_id=o, channel=str(rng.choice(["phone", "email", "chat", "app", "social"])),
                                         text=f"{cat} reported by the customer")
                notify.on_ticket_change(u, tk, tk.history[-1])
                counts[f"opened_{cat}"] += 1
                track(tk)
            elif kind == "redeliver":
                tk = u.find_open_ticket(data, [TicketCategory.DELAY])
                if tk is not None and tk.ticket_id in work and work[tk.ticket_id][0] == "wait":
                    work[tk.ticket_id][0] = "work"
                    counts["redelivery_booked"] += 1
            elif kind == "reply":
                if data in work and work[data][0] == "wait":
                    change(u, tickets.set_status(u, data, TicketStatus.OPEN, now=now, actor="customer", text="here you go"))
                    work[data] = ["work", now, work[data][2], work[data][3]]
            elif kind == "resolve":
                tid, a = data
                tk = u.get_ticket(tid)
                if tk is not None and tk.is_open:
                    change(u, tickets.resolve(u, tid, now=now, actor=f"agent-{a}", text="done"))
                work.pop(tid, None)
            elif kind == "sweep":
                open_now = u.list_tickets(tickets.TicketQuery(status=[TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING_CARRIER, TicketStatus.WAITING_CUSTOMER]), limit=100_000)
                evs = tickets.sweep(open_now, pol, now)
                for tk in {id(x): x for x, _ in evs}.values():
                    u.save_ticket(tk)
                for _, e in evs:
                    sla_events[f"{e.clock}:{e.kind}"] += 1
            elif kind == "lost_check":
                scans = []
                for o, ss in carrier_scans.items():
                    seen = [(ts, st) for ts, st in ss if ts <= now]
                    if seen and day.delivered.get(o) is None or (seen and day.delivered.get(o, 0) > now):
                        last = max(seen)
                        scans.append(type("Scan", (), {"order_id": o, "carrier_id": "postnord", "last_scan_at": last[0], "status": last[1]})())
                for tk in tickets.check_lost_parcels(u, scans, now, silent_after_s=lost_after_h * H):
                    counts["opened_lost_parcel"] += 1
                    track(tk)
    with unit(store) as u:
        # Every ticket the day caused (complaints come in up to 30 h after delivery), judged at the end.
        all_day = u.list_tickets(tickets.TicketQuery(since=day0, until=end), limit=100_000)
        k = tickets.kpis(all_day, since=day0, until=end, now=end, policies=pol)
        outbox = u.outbox_counts()
        left = [t for t in all_day if t.is_open]
        left_desc = [(t.category, str(t.status), work.get(t.ticket_id, ["untracked"])[0], day.delivered.get(t.order_id or "", "?") is None,
                      [str(c.kind) + ":" + str(c.value) for c in t.history][-4:]) for t in left[:10]]
        rows = u.notifications_for(limit=1_000_000)
    by_event = Counter((str(n.event), str(n.status)) for n in rows)
    deferred = sum(1 for n in rows if n.not_before > n.created_at + 1)
    return {
        "orders": orders, "vehicles": vehicles, "seed": seed, "agents": agents, "lost_after_h": lost_after_h,
        "sla_calendar": "business hours 08-22 Helsinki, FI holidays" if business_hours else "calendar hours",
        "monitor": {k2: v for k2, v in monitor_metrics.items() if not isinstance(v, dict)},
        "kpis": k.to_dict(), "open_at_end": len(left), "open_at_end_sample": left_desc, "ticket_sources": dict(counts), "sla_events": dict(sla_events),
        "notifications": {"outbox": outbox, "by_event_status": {f"{e}/{s}": c for (e, s), c in sorted(by_event.items())},
                          "deferred_by_quiet_hours_or_rate": deferred,
                          "delivered_by_channel": {str(kk): v.count for kk, v in sinks.items()}},
        "wall_s": round(time.perf_counter() - t_wall, 1), "monitor_replay_s": round(t_monitor, 1),
        "loadavg": open("/proc/loadavg").read().split()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--vehicles", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--agents", type=int, default=4)
    ap.add_argument("--lost-after", type=float, default=24.0, help="hours without a carrier scan before a lost-parcel ticket")
    ap.add_argument("--business-hours", action="store_true", help="SLA clocks count the desk's hours only")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    r = run(a.orders, a.vehicles, a.seed, a.agents, a.lost_after, a.business_hours)
    r["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    k = r["kpis"]
    pct = lambda x: "-" if x is None else f"{100 * x:.1f}%"  # noqa: E731
    print(f"tickets opened {k['opened']}, resolved {k['resolved']}; sources {r['ticket_sources']}")
    print(f"resolved within 24 h: {pct(k['resolved_24h_share'])} of {k['resolved_24h_judged']}; "
          f"feedback within 48 h: {pct(k['feedback_48h_share'])} of {k['feedback_48h_judged']}; "
          f"median first response {k['median_first_response_s'] and round(k['median_first_response_s'] / 60, 1)} min")
    for qn, s in k["by_queue"].items():
        print(f"  {qn:<22} opened {s['opened']:>3} resolved {s['resolved']:>3} backlog {s['backlog']:>2} SLA met {pct(s['sla_attainment'])}")
    print(f"SLA events {r['sla_events']}")
    print(f"notifications {r['notifications']['outbox']}, deferred {r['notifications']['deferred_by_quiet_hours_or_rate']}")
    print(f"wall {r['wall_s']} s (monitor replay {r['monitor_replay_s']} s), load {r['loadavg']}")
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(r, indent=2, default=str))


if __name__ == "__main__":
    main()
