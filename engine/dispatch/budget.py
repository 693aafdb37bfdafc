"""What a solve will need before it starts: memory for ``n`` orders and ``m`` vehicles.

The dominant terms are the dense matrices (durations and distances as
``int64`` in the flat arrays, their float64 sources, OR-Tools' own copies in
its transit callbacks, the numba search's copies) -- all ``(n + depots)^2``
-- plus per-vehicle state in OR-Tools that grows with ``n * m``.  The
coefficients are fitted on measured peak RSS (``benchmarks/api_faults.py
--memory``, recorded in ``benchmarks/RESULTS.md``) and rounded up, so the
estimate errs on the side of refusing.

They were fitted when every solve built the OR-Tools model.  Days above
``SolveParams.gls_max_jobs`` orders are now solved by the numba search alone
and need far less (5,000 orders: 0.73 GB peak on the API's Helsinki day,
1.13 GB on a ``synthetic:250000`` road day, against an estimate of 2.6 GB).
The estimate is kept as it is: it refuses 10,000 orders (8.6 GB) under the
default 8 GB budget, and that is what keeps such a day from overrunning its
time limit (its road-network matrix alone takes longer than a 5 s limit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from engine.domain.problem import Problem

__all__ = ["memory_estimate", "BYTES_PER_PAIR", "BYTES_PER_ORDER_VEHICLE", "BASE_BYTES"]

#: Bytes per (node, node) pair of the matrices, every copy included.
BYTES_PER_PAIR = 80.0
#: Bytes per (order, vehicle) pair in the routing model.
BYTES_PER_ORDER_VEHICLE = 64.0
#: The process itself: numba, OR-Tools, numpy, a compiled city network.
BASE_BYTES = 600e6


def memory_estimate(problem: "Problem") -> float:
    """Estimated peak memory in bytes to solve ``problem`` (numpy-style: a plain number).

    Parameters
    ----------
    problem
        The day to solve; only its counts matter.

    Returns
    -------
    float
        Bytes, rounded up from measurements.
    """
    n = len(problem.orders) + len(problem.depots)
    m = sum(vt.count for vt in problem.vehicle_types)
    return BASE_BYTES + BYTES_PER_PAIR * n * n + BYTES_PER_ORDER_VEHICLE * len(problem.orders) * m
