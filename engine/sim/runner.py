"""Many replications of one or more scenario variants, on a local process pool or on Ray.

A replication is a pure function of (scenario, replication index, root seed)
(:func:`engine.sim.day.run_replication`), so where it runs does not matter:
the :class:`Runner` ships each (variant, replication) pair to a worker and
collects the :class:`~engine.sim.result.ReplicationResult` objects back in
(variant, replication) order, whatever order they finished in.  The same
seeds give the same KPIs serially, on the process pool and on Ray.

* **local** (default): a ``ProcessPoolExecutor`` with ``spawn`` workers (the
  project's convention: forking a process that holds OR-Tools or numba
  threads is not safe); one worker runs in-process, no pool.
* **Ray** (``ray="auto"`` or a cluster address, the ``distributed`` extra):
  ``auto`` joins a running cluster if there is one, else starts a local one
  with ``workers`` CPUs.  Each variant's scenario is put in the object store
  once.  Ray is imported only here and only when asked for.  On a remote
  cluster every node needs promise-engine installed, and the files a
  scenario names (an OSM extract, a catalogue, a fitted model) at the same
  paths: a replication reads them where it runs.

Variants come from ``--set key=v1,v2`` strings (:func:`parse_sets`: a comma
list gives one variant per value, several ``--set`` their cartesian product),
applied with :func:`engine.sim.scenario.apply_overrides`.
"""

from __future__ import annotations

import csv
import itertools
import time
import tomllib
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from engine.errors import InputError, UnavailableError
from engine.sim.result import ReplicationResult

__all__ = ["Progress", "Runner", "parse_sets", "variants"]

#: ``replicate(scenario, replication, *, root_seed=...)``: one simulated day.
Replicate = Callable[..., ReplicationResult]


@dataclass(frozen=True, slots=True)
class Progress:
    """Handed to the progress callback each time a replication finishes."""

    done: int
    total: int
    variant: int
    replication: int
    seconds: float


def _value(raw: str) -> Any:
    """A ``--set`` value as a TOML literal (``30`` int, ``0.5`` float, ``true``), else the bare string."""
    raw = raw.strip()
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def parse_sets(sets: Sequence[str]) -> list[dict[str, Any]]:
    """``["fleet.van.count=30,40", "demand.surge=2,3"]`` -> the cartesian product, one overrides dict each.

    No ``--set`` gives one variant without overrides.  Values are
    comma-separated (double quotes keep a comma inside one: ``"a,b",c``) and
    each is read as a TOML literal: ``30`` is an int, ``0.5`` a float,
    ``true`` a bool, anything else the bare string.
    """
    axes: list[tuple[str, list[Any]]] = []
    for s in sets:
        key, eq, values = s.partition("=")
        key = key.strip()
        if not eq or not key:
            raise InputError(f"--set {s!r}: expected key=value[,value...]", item="--set", field=s)
        if any(k == key for k, _ in axes):
            raise InputError(f"--set {key}: given twice; list its values once, comma-separated", item="--set", field=key)
        # Double quotes protect a comma inside one value ("a,b",c).
        parsed = [_value(v) for row in csv.reader([values], skipinitialspace=True) for v in row]
        if not parsed or any(v == "" for v in parsed):
            raise InputError(f"--set {key}: empty value in {values!r}", item="--set", field=key)
        axes.append((key, parsed))
    return [dict(zip([k for k, _ in axes], combo)) for combo in itertools.product(*[v for _, v in axes])]


def variants(scenario: Any, sets: Sequence[str]) -> list[tuple[dict[str, Any], Any]]:
    """(overrides, scenario with them applied) per variant of ``--set`` strings; validates each variant."""
    from engine.sim.scenario import apply_overrides

    return [(o, apply_overrides(scenario, o) if o else scenario) for o in parse_sets(sets)]


def _one(replicate: Replicate | None, scenario: Any, replication: int, root_seed: int | None) -> ReplicationResult:
    """One replication in a worker (module level so it pickles by reference)."""
    if replicate is None:
        from engine.sim.day import run_replication

        replicate = run_replication
    return replicate(scenario, replication, root_seed=root_seed)


class Runner:
    """Runs replications where asked; keeps its pool (or Ray connection) between :meth:`run` calls.

    Parameters
    ----------
    workers
        Local worker processes (default: ``Settings.solve_workers``, one per
        core); with Ray and ``auto`` starting a local instance, its CPUs.
    ray
        ``None`` for the local pool, ``"auto"`` or a Ray address
        (``host:6379``, ``ray://host:10001``) for Ray.
    replicate
        The day to run (default :func:`engine.sim.day.run_replication`); a
        module-level function, so it pickles by reference.
    progress
        Called in this process after each finished replication.

    Use as a context manager (or call :meth:`close`) so the pool shuts down.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        ray: str | None = None,
        replicate: Replicate | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> None:
        if workers is None:
            from engine.config import get_settings

            workers = get_settings().solve_workers
        if workers < 1:
            raise InputError(f"workers must be at least 1, got {workers}", item="runner", field="workers")
        self.workers = int(workers)
        self.ray_address = ray
        self.replicate = replicate
        self.progress = progress
        self._pool: ProcessPoolExecutor | None = None
        self._ray: Any = None
        self._ray_started = False

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # Leaving on an error or Ctrl-C: do not wait minutes for replications nobody will read.
        self.close(abort=exc_type is not None)

    def close(self, *, abort: bool = False) -> None:
        """Shut the pool down (cancelling queued work); disconnect from a Ray instance this runner started.

        ``abort`` also stops the pool's running replications (its own worker processes) instead of
        waiting for them.
        """
        if self._pool is not None:
            if abort:
                # ProcessPoolExecutor has no public way to stop running work before Python 3.14
                # (terminate_workers); its worker processes are ours to end.
                for proc in list(getattr(self._pool, "_processes", {}).values()):
                    proc.terminate()
            self._pool.shutdown(wait=not abort, cancel_futures=True)
            self._pool = None
        if self._ray is not None and self._ray_started:
            self._ray.shutdown()
        self._ray = None

    @property
    def where(self) -> str:
        """Where replications run, for the report and the progress line."""
        if self.ray_address is not None:
            return f"ray ({self.ray_address})"
        return "in-process" if self.workers == 1 else f"{self.workers} local processes"

    # ------------------------------------------------------------------ running

    def run(
        self,
        scenarios: Sequence[Any],
        replications: int | Sequence[int],
        *,
        root_seed: int | None = None,
    ) -> list[list[ReplicationResult]]:
        """Every replication of every scenario: ``out[v][i]`` is scenario ``v``'s ``i``-th replication.

        ``replications`` is a count (indices ``0..n-1``) or the indices
        themselves; the same indices and root seed give the same random
        streams in every variant (common random numbers).
        """
        reps = list(range(replications)) if isinstance(replications, int) else [int(r) for r in replications]
        if not reps:
            raise InputError("at least one replication is needed", item="runner", field="replications")
        jobs = [(v, r) for v in range(len(scenarios)) for r in reps]
        out: dict[tuple[int, int], ReplicationResult] = {}
        t0 = time.perf_counter()
        if self.ray_address is not None:
            finished = self._run_ray(scenarios, jobs, root_seed)
        elif self.workers == 1:
            finished = ((v, r, _one(self.replicate, scenarios[v], r, root_seed)) for v, r in jobs)
        else:
            finished = self._run_pool(scenarios, jobs, root_seed)
        for done, (v, r, res) in enumerate(finished, 1):
            out[(v, r)] = res
            if self.progress is not None:
                self.progress(Progress(done, len(jobs), v, r, time.perf_counter() - t0))
        return [[out[(v, r)] for r in reps] for v in range(len(scenarios))]

    def _run_pool(self, scenarios: Sequence[Any], jobs: list[tuple[int, int]], root_seed: int | None) -> Iterator[tuple[int, int, ReplicationResult]]:
        if self._pool is None:
            import multiprocessing

            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        pending: dict[Future[ReplicationResult], tuple[int, int]] = {
            self._pool.submit(_one, self.replicate, scenarios[v], r, root_seed): (v, r) for v, r in jobs
        }
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    v, r = pending.pop(f)
                    yield v, r, f.result()
        finally:
            # A failed replication (or the caller giving up) cancels what has not started.
            for f in pending:
                f.cancel()

    def _connect_ray(self) -> Any:
        if self._ray is not None:
            return self._ray
        try:
            import ray
        except ImportError:
            raise InputError(
                "--ray needs Ray, which is not installed: pip install 'promise-engine[distributed]'", item="--ray", field="ray"
            ) from None
        if not ray.is_initialized():
            address = self.ray_address
            try:
                if address == "auto":
                    try:
                        ray.init(address="auto", log_to_driver=False)
                    except ConnectionError:
                        ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
                else:
                    ray.init(address=address, log_to_driver=False)
            except ConnectionError as exc:
                raise UnavailableError(f"cannot reach the Ray cluster at {address}: {exc}") from None
            self._ray_started = True
        self._ray = ray
        return ray

    def _run_ray(self, scenarios: Sequence[Any], jobs: list[tuple[int, int]], root_seed: int | None) -> Iterator[tuple[int, int, ReplicationResult]]:
        ray = self._connect_ray()
        remote = ray.remote(max_retries=0)(_one)
        refs = [ray.put(s) for s in scenarios]
        pending = {remote.remote(self.replicate, refs[v], r, root_seed): (v, r) for v, r in jobs}
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    v, r = pending.pop(ref)
                    try:
                        res = ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        # The replication's own exception (an InputError stays an InputError).
                        cause = getattr(exc, "cause", None)
                        if isinstance(cause, BaseException):
                            raise cause from None
                        raise
                    yield v, r, res
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
