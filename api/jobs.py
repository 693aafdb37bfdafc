"""Solves run in a bounded pool of worker processes of their own, and survive the server.

Why processes: a solve is seconds of CPU in numba and OR-Tools; in a thread it
would hold the interpreter and Starlette's shared thread pool, so health
checks and checkout quotes would wait behind it.  In a worker process (spawned,
not forked: numba's threading layer is not fork-safe) the API process stays
free to answer.

Why a queue of our own in front of the pool: the pool gets a job only when a
worker is free, so the API knows which plans are really ``running`` (it marks
them, and writes their heartbeat) and which are ``queued``; the queue is
bounded (``Settings.solve_queue``), and a full one is a 429 with
``Retry-After``, never an unbounded backlog.

Surviving the server: every plan, with the parameters to solve it, is in the
store before the client hears ``202``.  At start-up :meth:`SolveService.start`
calls ``Store.recover``: plans left ``queued`` are queued again, plans left
``running`` (the server died under them) are re-run, or marked ``failed`` with
the reason once they have died ``Settings.max_attempts`` times.  On a graceful
shutdown running solves get ``Settings.shutdown_grace_s`` to finish, then are
re-queued in the store and their workers stopped, so SIGTERM never waits out a
long time limit.

The worker's function receives plain JSON and returns plain JSON: the parent
process does every store write, so an in-memory SQLite store works too.

Keeping the API process responsive: the workers are spawned and warmed (a
two-order solve loads numba's kernels and OR-Tools) at start-up, then run at
``SCHED_IDLE`` (:func:`idle_priority`), so any request preempts them at once.
Problems and plans cross the API process as JSON text (``RawJSON`` in the
store), never as Python objects, and one thread writes submissions to the
store: a burst of 100 kB documents costs the event loop's interpreter next to
nothing.  A worker that dies fails its plan; the pool is replaced for the next.
"""

from __future__ import annotations

import functools
import json
import logging
import multiprocessing
import queue
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from engine.config import Settings
from engine.domain.plan import JobStatus
from engine.errors import BusyError, EngineError, InputError
from engine.store.repository import RawJSON, Store

log = logging.getLogger(__name__)

#: How often finished plans past their retention are deleted (by the heartbeat thread).
_PRUNE_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class SolveRequest:
    """What the worker needs: the validated problem (a document, or its JSON text) and how to solve it."""

    plan_id: str
    problem: dict[str, Any] | str
    time_limit: float
    seed: int = 0
    solution_limit: int | None = None
    #: seconds of the time limit already used before the solver got the request
    #: (validating the body); not stored: a re-queued plan gets its whole limit again
    spent: float = 0.0

    @property
    def params(self) -> dict[str, Any]:
        return {"time_limit": self.time_limit, "seed": self.seed, "solution_limit": self.solution_limit}


def solve_budget(time_limit: float, spent: float, n_orders: int) -> float:
    """Seconds left for ``solve`` out of a plan's ``time_limit``.

    The client's limit covers the whole request as the server handles it: validating
    the body (``spent``), reading it in the worker, the solve (matrices included) and
    writing the plan back (its JSON takes about 5 us per order; 30 us per order is reserved
    here to cover the store write too).  Time queued behind
    other plans is not counted: a plan's limit is its own.  At least a tenth of the
    limit is always left to the solver, so an overrun elsewhere still yields a plan.
    """
    reserve = 0.02 + 3e-5 * n_orders
    return max(0.1 * time_limit, time_limit - spent - reserve)


def solve_document(
    problem: dict[str, Any] | str, time_limit: float, seed: int, solution_limit: int | None, spent: float = 0.0
) -> dict[str, Any]:
    """Run in a worker process: problem document (or its JSON text) in; out ``{"plan_json": text}``
    (the plan as ``plan_to_dict``'s JSON, serialised here so the API process never parses it)
    or ``{"error": ..., "input": bool}``.  ``spent``: seconds of ``time_limit`` used before
    (see :func:`solve_budget`)."""
    started = time.monotonic()
    try:
        from engine.dispatch import solve
        from engine.dispatch.stop import from_limits
        from engine.io.problem_json import plan_to_dict, problem_from_dict
        problem_obj = problem_from_dict(json.loads(problem) if isinstance(problem, str) else problem)
        net = _network(problem_obj.network) if problem_obj.network else None
        budget = solve_budget(time_limit, spent + time.monotonic() - started, len(problem_obj.orders))
        plan = solve(problem_obj, network=net, stop=from_limits(budget, solution_limit), seed=seed)
        return {"plan_json": json.dumps(plan_to_dict(plan), default=_jsonable)}
    except EngineError as exc:
        # The client's mistake that only the network could show (a depot off its roads).
        return {"error": f"{type(exc).__name__}: {exc}", "input": isinstance(exc, InputError)}
    except Exception as exc:  # a failed solve must end "failed" with its reason, never kill the pool
        import traceback

        return {"error": f"internal error ({type(exc).__name__}): {exc}", "input": False, "trace": traceback.format_exc()}


def _jsonable(obj: Any) -> Any:
    # What plan_to_dict may leave: numpy scalars and arrays, datetimes.
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


@functools.lru_cache(maxsize=2)
def _network(spec: str) -> Any:
    # Per worker, a few networks at most: a compiled city is tens to hundreds of MB.
    from engine.network import load

    return load(spec)


#: The smallest day that runs the whole solve path once (network-free, two orders).
WARM_DAY: dict[str, Any] = {
    "name": "warm-up",
    "depots": [{"id": "D", "lat": 60.17, "lon": 24.94}],
    "vehicle_types": [{"id": "van", "count": 1, "start_depot": "D", "shift": ["08:00", "17:00"]}],
    "orders": [{"id": "a", "lat": 60.171, "lon": 24.941}, {"id": "b", "lat": 60.173, "lon": 24.944}],
}


def idle_priority() -> None:
    """Run this process only on CPU time nothing else wants (``SCHED_IDLE``; ``nice 19`` where unsupported).

    Why not just ``nice``: a niced solver still takes its CFS share of the core the API
    process wakes up on, and on a machine with as many solvers as cores a health check
    waits behind it for a scheduler tick or more.  An idle-class process is preempted
    at once by any ordinary one.
    """
    import os

    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux, or a sandbox that forbids it
        os.nice(19)


def _warm_worker() -> None:
    # Import the heavy modules and run the smallest solve once per worker (numba's
    # kernels loaded, OR-Tools imported) at start-up, at normal priority: neither
    # the first solve's time budget nor a burst of submissions pays for it.
    solve_document(WARM_DAY, 1.0, 0, 1)
    # Then solvers yield the CPU to the API process: a quote or a health check must
    # not wait behind a batch solve on a machine with as many solvers as cores.
    idle_priority()


def _ready() -> bool:
    """A no-op task: it runs once the worker's initializer (the warm-up) has finished."""
    return True


def stop_pool(pool: Executor) -> None:
    """Shut a pool down without waiting for its tasks: a process pool's workers are terminated.

    Then, once they are gone, its queues are closed properly (or the resource tracker
    warns about leaked semaphores when the server exits).
    """
    # Its processes first: shutdown() forgets them.
    procs = list((getattr(pool, "_processes", None) or {}).values())  # noqa: SLF001 - no public way to stop its workers
    pool.shutdown(wait=False, cancel_futures=True)
    if not isinstance(pool, ProcessPoolExecutor):
        return
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.join(timeout=2)
    # A worker that outlives SIGTERM (a solver's own signal handler, a busy machine) is killed: no solver
    # may outlive the server.
    # A busy machine can take a while to reap one, and a join can return early when the pool's own thread
    # reaps the same child at that moment: keep killing and joining, for up to ten seconds in all.
    deadline = time.monotonic() + 10.0
    for proc in procs:
        while proc.is_alive() and time.monotonic() < deadline:
            proc.kill()
            proc.join(timeout=0.5)
    left = [proc.pid for proc in procs if proc.is_alive()]
    if left:
        log.error("solver process(es) %s still alive 10 s after SIGKILL at shutdown", left)
    else:
        pool.shutdown(wait=True)


class SolveService:
    """The solve queue, its dispatcher thread, the worker pool and the heartbeat."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._queue: queue.Queue[SolveRequest] = queue.Queue()
        self._slots = threading.BoundedSemaphore(settings.solve_workers)
        self._lock = threading.Lock()
        self._running: dict[str, Future[dict[str, Any]]] = {}
        self._queued = 0
        self._pool: Executor | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._warming: list[Future[bool]] = []
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan-store")

    # ------------------------------------------------------------------ life cycle

    def start(self) -> int:
        """Start the pool, the dispatcher and heartbeat, and queue what the last server left; returns that count.

        The worker processes are spawned and warmed now (see :meth:`warming`), not by the
        first burst of submissions.
        """
        self._stop.clear()
        pool = self._pool_()
        self._warming = [pool.submit(_ready) for _ in range(self.settings.solve_workers)]
        self._threads = [
            threading.Thread(target=self._dispatch, name="solve-dispatch", daemon=True),
            threading.Thread(target=self._beat, name="solve-heartbeat", daemon=True),
        ]
        for t in self._threads:
            t.start()
        recovered = self.store.recover(max_attempts=self.settings.max_attempts)
        for job in recovered:
            p = job.params or {}
            self._put(SolveRequest(job.plan_id, job.problem, float(p.get("time_limit", 10.0)), int(p.get("seed", 0)), p.get("solution_limit")))
        if recovered:
            log.warning("re-queued %d plan(s) left by the previous server", len(recovered))
        return len(recovered)

    def shutdown(self) -> None:
        """Stop taking work; give running solves the grace period, then re-queue them in the store."""
        self._stop.set()
        deadline = time.monotonic() + self.settings.shutdown_grace_s
        while time.monotonic() < deadline:
            with self._lock:
                if not self._running:
                    break
            time.sleep(0.05)
        with self._lock:
            unfinished = list(self._running)
            self._running.clear()
        if unfinished:
            try:
                self.store.requeue(unfinished, "server shut down during the solve; re-queued for the next start")
            except EngineError:
                log.exception("could not re-queue %d solve(s) at shutdown", len(unfinished))
        self._writer.shutdown(wait=False, cancel_futures=True)
        pool, self._pool = self._pool, None
        if pool is not None:
            stop_pool(pool)  # running workers would finish their whole time limit: stop them now
        for t in self._threads:
            t.join(timeout=2)

    def warming(self) -> list[Future[bool]]:
        """One future per worker, done when that worker is spawned and warm (await them before serving)."""
        return list(self._warming)

    # ------------------------------------------------------------------ submitting

    @property
    def capacity(self) -> int:
        return self.settings.solve_workers + self.settings.solve_queue

    def in_flight(self) -> int:
        with self._lock:
            return len(self._running) + self._queued

    def ensure_room(self) -> None:
        """``BusyError`` (429) now if the queue is full, so callers can refuse before costly work."""
        with self._lock:
            self._refuse_if_full(retry_after_s=10.0)

    def _refuse_if_full(self, retry_after_s: float) -> None:
        # Callers hold self._lock.
        if self._stop.is_set():
            raise BusyError("server is shutting down", retry_after_s=10)
        if len(self._running) + self._queued >= self.capacity:
            raise BusyError(
                f"all {self.settings.solve_workers} solver(s) busy and {self.settings.solve_queue} plan(s) waiting; try again later",
                retry_after_s=retry_after_s,
            )

    def submit(
        self, problem: dict[str, Any] | str, *, time_limit: float, seed: int, solution_limit: int | None, spent: float = 0.0
    ) -> str:
        """Store the plan as ``queued`` and queue it; ``BusyError`` (429) when the queue is full.

        ``problem`` is the validated document or, cheaper for this process, its JSON text.
        ``spent``: seconds of the time limit already used (validation, see :func:`solve_budget`).
        """
        with self._lock:
            self._refuse_if_full(retry_after_s=max(1.0, min(60.0, time_limit)))
            self._queued += 1  # hold the place while the row is written
        try:
            req = SolveRequest("", problem, time_limit, seed, solution_limit)
            plan_id = self.store.create_plan(RawJSON(problem) if isinstance(problem, str) else problem, req.params)
        except BaseException:
            with self._lock:
                self._queued -= 1
            raise
        self._queue.put(SolveRequest(plan_id, problem, time_limit, seed, solution_limit, spent))
        return plan_id

    def submit_later(
        self, problem: dict[str, Any] | str, *, time_limit: float, seed: int, solution_limit: int | None, spent: float = 0.0
    ) -> Future[str]:
        """:meth:`submit` on the service's one store-writer thread (await it with ``asyncio.wrap_future``).

        Why one thread: a burst of submissions written from many threads at once contends
        for the database's write lock and for the interpreter, and the event loop waits
        its turn behind them.
        """
        return self._writer.submit(self.submit, problem, time_limit=time_limit, seed=seed, solution_limit=solution_limit, spent=spent)

    def _put(self, req: SolveRequest) -> None:
        with self._lock:
            self._queued += 1
        self._queue.put(req)

    # ------------------------------------------------------------------ threads

    def _pool_(self) -> Executor:
        if self._pool is None and self.settings.solve_in_threads:
            self._pool = ThreadPoolExecutor(max_workers=self.settings.solve_workers, thread_name_prefix="solve")
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.settings.solve_workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_warm_worker,
            )
        return self._pool

    def _dispatch(self) -> None:
        while not self._stop.is_set():
            try:
                req = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            while not self._slots.acquire(timeout=0.1):
                if self._stop.is_set():
                    return  # left 'queued' in the store: the next start picks it up
            try:
                self.store.update_plan(req.plan_id, JobStatus.RUNNING)
                fut = self._submit(req)
            except Exception:
                log.exception("could not start plan %s", req.plan_id)
                self._slots.release()
                with self._lock:
                    self._queued -= 1
                self._fail(req.plan_id, "internal error: the solve could not be started")
                continue
            with self._lock:
                self._queued -= 1
                self._running[req.plan_id] = fut
            fut.add_done_callback(lambda f, pid=req.plan_id: self._finished(pid, f))

    def _submit(self, req: SolveRequest) -> Future[dict[str, Any]]:
        try:
            return self._pool_().submit(solve_document, req.problem, req.time_limit, req.seed, req.solution_limit, req.spent)
        except BrokenProcessPool:
            # A worker died (killed, out of memory) and took the pool with it: start a new one.
            self._discard_broken_pool()
            return self._pool_().submit(solve_document, req.problem, req.time_limit, req.seed, req.solution_limit, req.spent)

    def _discard_broken_pool(self) -> None:
        with self._lock:
            pool = self._pool
            if not (isinstance(pool, ProcessPoolExecutor) and pool._broken):  # noqa: SLF001 - no public way to ask
                return
            self._pool = None
        log.warning("a solver process died; starting a new pool")
        pool.shutdown(wait=False, cancel_futures=True)

    def _finished(self, plan_id: str, fut: Future[dict[str, Any]]) -> None:
        self._slots.release()
        with self._lock:
            mine = self._running.pop(plan_id, None) is not None
        if not mine or fut.cancelled():
            return  # shut down: re-queued in the store already
        try:
            out = fut.result()
        except Exception as exc:  # the worker process died (killed, out of memory)
            self._fail(plan_id, f"the solver process died ({type(exc).__name__}: {exc})")
            if isinstance(exc, BrokenProcessPool):
                self._discard_broken_pool()  # so that the next plan gets a working pool
            return
        try:
            if "plan_json" in out:
                self.store.update_plan(plan_id, JobStatus.DONE, result=RawJSON(out["plan_json"]))
            else:
                if out.get("input"):
                    log.warning("plan %s failed: %s", plan_id, out["error"])
                else:
                    log.error("plan %s failed: %s\n%s", plan_id, out["error"], out.get("trace", ""))
                self.store.update_plan(plan_id, JobStatus.FAILED, error=out["error"])
        except EngineError:
            log.exception("could not store the result of plan %s", plan_id)

    def _fail(self, plan_id: str, reason: str) -> None:
        try:
            self.store.update_plan(plan_id, JobStatus.FAILED, error=reason)
        except EngineError:
            log.exception("could not mark plan %s failed", plan_id)

    def _beat(self) -> None:
        pruned = float("-inf")
        while not self._stop.wait(self.settings.heartbeat_s):
            with self._lock:
                ids = list(self._running)
            try:
                self.store.heartbeat(ids)
                if time.monotonic() - pruned >= _PRUNE_EVERY_S:
                    # Retention is not urgent, and each prune holds this process's interpreter
                    # (and the database's write lock) for milliseconds.
                    self.store.prune(keep_days=self.settings.plan_retention_days, max_plans=self.settings.max_stored_plans)
                    pruned = time.monotonic()
            except EngineError:
                log.warning("heartbeat: database unavailable")
