"""What the fleet cannot do, found before solving, with the reason.

For every (vehicle, order) pair the pre-check asks: does the vehicle have the
skills and sit at the order's depot, does the order fit in every capacity
dimension, and can the vehicle reach one of the order's windows from its start
and still get back before its shift ends?  The answer narrows ``compat`` (so
OR-Tools never tries hopeless insertions) and, for orders no vehicle can take,
gives the reason reported when no carrier takes them either.  Checks go from
the most basic to the most specific so the reason names the first obstacle:
off the network, then skills, then capacity, then windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.dispatch.arrays import VrpArrays
from engine.domain.plan import UnassignedReason


@dataclass(frozen=True, slots=True)
class Precheck:
    """Result of ``run``: refined compatibility and, per job node without a vehicle, a reason."""

    #: bool [n_veh, n]: vehicle can serve node on its own (ignores other orders).
    compat: np.ndarray
    #: job node -> (reason, detail) for jobs no vehicle can serve.
    fleet_reasons: dict[int, tuple[UnassignedReason, str]]

    def routable(self, a: VrpArrays) -> np.ndarray:
        """Job nodes at least one vehicle can serve."""
        nodes = np.arange(a.n_depots, a.n_nodes)
        return nodes[self.compat[:, a.n_depots :].any(axis=0)] if a.n_vehicles else nodes[:0]


def run(a: VrpArrays) -> Precheck:
    """Pre-check every job of ``a`` against every vehicle (vectorised over jobs)."""
    nd, n, m = a.n_depots, a.n_nodes, a.n_vehicles
    jobs = np.arange(nd, n)
    off = np.asarray(a.meta.get("off_network", np.zeros(n, dtype=bool)), dtype=bool)
    skill_ok = a.compat[:, jobs].copy() if m else np.zeros((0, jobs.size), dtype=bool)
    fits = np.ones((m, jobs.size), dtype=bool)
    reach = np.ones((m, jobs.size), dtype=bool)
    # Windows as arrays: the first (earliest) window of each job, and the jobs with more.
    first = np.array([a.windows[j][0] if a.windows[j] else (0, -1) for j in jobs], dtype=np.int64).reshape(-1, 2)
    several = [k for k, j in enumerate(jobs) if len(a.windows[j]) > 1]
    for v in range(m):
        fits[v] = np.all(a.demand[jobs] <= a.v_capacity[v][None, :], axis=1)
        dur = a.profile_durations[a.v_profile[v]]
        s, e = int(a.v_start[v]), int(a.v_end[v])
        t0 = int(a.v_tw_start[v])
        arrive = t0 + dur[s, jobs].astype(np.int64) + int(a.service[s])
        back = dur[jobs, e].astype(np.int64) + a.service[jobs]
        end_ok = int(a.v_tw_end[v])
        max_d = int(a.v_max_duration[v])
        # A job is reachable if some window is: arrive by its end, and return in time from its start.
        begin = np.maximum(arrive, first[:, 0])
        finish = begin + back
        ok = (begin <= first[:, 1]) & (finish <= end_ok) & (finish - t0 <= max_d)
        for k in several:
            ok[k] = False
            for ws, we in a.windows[jobs[k]]:
                b = max(int(arrive[k]), ws)
                if b <= we:
                    f = b + int(back[k])
                    ok[k] = f <= end_ok and f - t0 <= max_d
                    # Later windows only start later: no point in trying them.
                    break
        reach[v] = ok
    if a.lateness_cost_per_s > 0:
        # Soft windows: lateness is paid for, so a late arrival still counts as reachable
        # as long as the vehicle gets home within its shift.
        for v in range(m):
            dur = a.profile_durations[a.v_profile[v]]
            s, e = int(a.v_start[v]), int(a.v_end[v])
            t0 = int(a.v_tw_start[v])
            begin = np.maximum(t0 + dur[s, jobs].astype(np.int64), a.tw_start[jobs])
            finish = begin + a.service[jobs] + dur[jobs, e]
            reach[v] |= (finish <= a.v_tw_end[v]) & (finish - t0 <= a.v_max_duration[v])

    compat = a.compat.copy()
    good = skill_ok & fits & reach & ~off[jobs][None, :]
    compat[:, jobs] = good
    reasons: dict[int, tuple[UnassignedReason, str]] = {}
    for k, j in enumerate(jobs):
        if m and good[:, k].any():
            continue
        if off[j]:
            snap = float(np.asarray(a.meta.get("snap_m", np.zeros(n)))[j])
            reasons[int(j)] = (UnassignedReason.OFF_NETWORK, f"{snap:.0f} m from the nearest road")
        elif m == 0:
            reasons[int(j)] = (UnassignedReason.NO_CARRIER, "no vehicles in the fleet")
        elif not skill_ok[:, k].any():
            reasons[int(j)] = (UnassignedReason.NO_SKILL, "no vehicle has the required skills at the order's depot")
        elif not (skill_ok[:, k] & fits[:, k]).any():
            reasons[int(j)] = (UnassignedReason.OVER_CAPACITY, "larger than every suitable vehicle in some dimension")
        else:
            wins = ", ".join(f"{ws}-{we}" for ws, we in a.windows[j] if we >= ws) or "none"
            reasons[int(j)] = (
                UnassignedReason.WINDOW_UNREACHABLE,
                f"no suitable vehicle can arrive within the window(s) [{wins}] s and return in its shift",
            )
    return Precheck(compat=compat, fleet_reasons=reasons)
