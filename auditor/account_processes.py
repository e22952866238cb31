"""discover's accounts audited in worker processes, for organizations on machines with cores.

One process cannot audit accounts faster than its own CPU allows: with the credential report an
account is only a few round trips, and parsing its answers (botocore's XML) and evaluating its
roles take most of the time under the GIL. So with `--max-accounts` above 1 the accounts are
shared among worker processes (one per core), each auditing several at once in threads.

What the thread path guarantees still holds:
- at most `max_accounts` accounts in flight: the parent hands an account out only when fewer
  are in flight (its results are back or its worker died), so memory follows the accounts in
  flight, not the organization's size;
- each account's outcome comes back as soon as it is done (the JSONL stream is written by the
  parent as before), in completion order;
- a worker that dies turns its accounts in flight into DISCOVER-001 ERRORs and is replaced;
- Ctrl-C: workers ignore SIGINT; the parent's KeyboardInterrupt ends them and propagates;
- every client of a worker comes from `aws.Clients`, read-only guarded as in the parent, and
  an account's results are scrubbed of the credentials it assumed before they leave it
  (`discover_account`, as in the thread path).

On Linux a parent with no other thread is forked once it has loaded what every worker needs;
otherwise (its threads' locks would be copied mid-use) workers come from a forkserver that
imported boto3 and the auditor once. Each gets the parent's environment (AWS_* variables,
proxies) as it was when the run started.
"""
from __future__ import annotations

import math
import os
import queue
import threading
from typing import Any, Callable, Iterator

PROCESSES_VARIABLE = "IAM_AUDITOR_PROCESSES"
_PRELOAD = ["auditor.account_processes", "auditor.discover", "auditor.actions", "boto3", "botocore.session"]
_PARENT_ENDS: list = []      # this process's ends of its workers' pipes (closed in a forked worker)


def process_count(max_accounts: int, accounts: int, environ=os.environ) -> int:
    """Worker processes for this run: 0 (threads of this process) when at most one account is
    in flight or one core is all there is; IAM_AUDITOR_PROCESSES sets the count (0: threads)."""
    from .errors import UsageError

    in_flight = min(max_accounts, accounts)
    text = environ.get(PROCESSES_VARIABLE, "").strip()
    if text:
        if not text.isdigit():
            raise UsageError(f"{PROCESSES_VARIABLE} must be a whole number of processes (0: none)")
        wanted = int(text)
    else:
        wanted = os.cpu_count() or 1
        if wanted < 2:
            return 0
    return 0 if in_flight < 2 or wanted < 1 else min(wanted, in_flight)


def audit_account(spec, clients, job: dict):
    """What a worker does with one account (the thread path's `discover_account`)."""
    from .discover import discover_account

    return discover_account(spec, clients, job["region"], job["settings"], None, job["secrets"],
                            fresh_keys=job["fresh_keys"], report_wait=job["report_wait"])


def _worker(conn, threads: int, job: dict) -> None:
    """A worker process: accounts arrive on `conn`; `threads` threads each audit one at a time and
    send its outcome back on `conn`. The parent closing its end stops the worker."""
    import logging
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C is the parent's to handle
    for end in _PARENT_ENDS:      # forked: the parent's ends of the pipes, whose close is our EOF
        end.close()
    _PARENT_ENDS.clear()
    os.environ.clear()
    os.environ.update(job["environ"])
    if job["log_level"] is not None:                  # -v / --debug: the call log on stderr
        import sys

        from .calllog import LOG
        from .scrub import ScrubbingStream

        handler = logging.StreamHandler(ScrubbingStream(sys.stderr))
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(job["log_level"])
        LOG.propagate = False
    from .actions import catalogue
    from .aws import Clients

    catalogue().prefetch()
    clients = Clients(job["region"])
    audit: Callable = job["audit"]
    local: queue.SimpleQueue = queue.SimpleQueue()
    send_lock = threading.Lock()

    def send(message) -> None:
        with send_lock:
            conn.send(message)

    def run() -> None:
        while (task := local.get()) is not None:
            index, spec = task
            try:
                message = ("done", index, audit(spec, clients, job))
            except BaseException as error:  # noqa: BLE001 - the parent turns it into DISCOVER-001
                message = ("failed", index, type(error).__name__)
            send(message)

    workers = [threading.Thread(target=run, name=f"account-{n}") for n in range(threads)]
    for thread in workers:
        thread.start()
    try:
        while True:
            local.put(conn.recv())
    except (EOFError, OSError):     # the parent is done (or gone)
        pass
    finally:
        for _ in workers:
            local.put(None)
        for thread in workers:
            thread.join()


def _lost(spec, why: str):
    from .discover import AccountOutcome, account_error

    result = account_error(spec.label, spec.account_id,
                           f"account {spec.label} could not be audited: {why}; its results are missing")
    result.account_name = spec.name or spec.label
    return AccountOutcome(spec, [result], spec.account_id)


def discover_in_processes(specs: list, region: str, settings, *, max_accounts: int, processes: int,
                          secrets: bool = False, fresh_keys: bool = False,
                          report_wait: float | None = None,
                          audit: Callable[[Any, Any, dict], Any] = audit_account) -> Iterator:
    """Each account's outcome as soon as a worker has it, at most `max_accounts` in flight."""
    import logging
    from multiprocessing.connection import wait

    from .calllog import LOG

    ctx, forkserver = _context(region)
    job = {"environ": dict(os.environ), "region": region, "settings": settings, "secrets": secrets,
           "fresh_keys": fresh_keys, "report_wait": report_wait, "audit": audit,
           "log_level": LOG.getEffectiveLevel() if forkserver and LOG.isEnabledFor(logging.INFO) else None}
    threads = math.ceil(max_accounts / processes)
    workers: list[_Worker] = []
    pending = iter(enumerate(specs))
    try:
        workers += [_Worker(ctx, threads, job) for _ in range(processes)]
        in_flight = 0

        def hand_out() -> int:
            handed = 0
            while in_flight + handed < max_accounts:
                task = next(pending, None)
                if task is None:
                    break
                min(workers, key=lambda w: len(w.accounts)).give(*task)
                handed += 1
            return handed

        in_flight += hand_out()
        while in_flight:
            ready = wait([w.conn for w in workers] + [w.process.sentinel for w in workers])
            for n, worker in enumerate(list(workers)):
                if worker.conn not in ready and worker.process.sentinel not in ready:
                    continue
                for index, outcome in worker.receive():
                    in_flight -= 1
                    if outcome is None:
                        yield _lost(specs[index], "internal error")
                    else:
                        outcome.spec = specs[index]     # the caller's object, not a copy
                        yield outcome
                if not worker.alive:
                    worker.process.join(timeout=2)    # its pipe may close before its exit code is known
                    for index in list(worker.accounts):
                        in_flight -= 1
                        yield _lost(specs[index], "its worker process ended (exit code "
                                                  f"{worker.process.exitcode})")
                    worker.stop()
                    workers[n] = _Worker(ctx, threads, job)
            in_flight += hand_out()
        for worker in workers:
            worker.conn.close()               # the worker's threads finish and it exits
        for worker in workers:
            worker.process.join(timeout=10)
    finally:
        for worker in workers:
            worker.stop()
        if forkserver:
            _stop_forkserver()


def _context(region: str):
    """(multiprocessing context, whether it is the forkserver). On Linux, a process with no other
    thread is forked as it is: its imports, botocore's parsed IAM and STS models and the action
    catalogue are loaded once, here, and shared (a forkserver starts Python and imports boto3
    again, about 0.7 s of CPU). A process with threads (a progress bar, a test's moto server)
    would copy their locks into the children: the forkserver then."""
    import gc
    import multiprocessing
    import sys

    if sys.platform == "linux" and threading.active_count() == 1:
        _warm(region)
        if threading.active_count() == 1 and _one_task():
            # What the workers inherit lives as long as they do: out of the collector's sight,
            # its pages are not copied by collections, nor traversed by each of them.
            gc.freeze()
            return multiprocessing.get_context("fork"), False
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx, True


def _one_task(patience: float = 1.0) -> bool:
    """Whether this process is down to one OS thread. A joined Python thread may still be ending
    (its thread-local destructors, OpenSSL's among them, take library locks): forked then, a
    child could inherit a lock held for ever, and hang at its first TLS context. Seen once in
    hundreds of runs, when the workers' warm-up ran in a thread."""
    import time

    deadline = time.monotonic() + patience
    while True:
        try:
            if len(os.listdir("/proc/self/task")) == 1:
                return True
        except OSError:
            return False
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)


def _warm(region: str) -> None:
    """What every worker would otherwise load for itself: the catalogue, the clients' models."""
    from .actions import catalogue
    from .aws import Clients

    catalogue().prefetch().join()
    try:
        warm = Clients(region)                 # clients made, never called (no credentials needed)
        for service in ("iam", "sts"):
            warm.get(None, service)
    except Exception:  # noqa: BLE001 - only a head start: each worker makes its own clients
        pass


def _stop_forkserver() -> None:
    """End the forkserver and reap it, as its workers are: the run's CPU time and memory then
    count in the command's own resource usage (what `time` and the benchmark see), and no
    process outlives the run. Private in multiprocessing; where it is missing, the forkserver
    ends by itself when this process does."""
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is not None:
        try:
            stop()
        except OSError:
            pass


class _Worker:
    """One worker process, its pipe, and the accounts it holds (by index in the run)."""

    def __init__(self, ctx, threads: int, job: dict):
        self.conn, child = ctx.Pipe()
        _PARENT_ENDS.append(self.conn)
        self.process = ctx.Process(target=_worker, args=(child, threads, job), daemon=True,
                                   name="iam-auditor-accounts")
        self.process.start()
        child.close()
        self.accounts: set[int] = set()
        self.alive = True

    def give(self, index: int, spec) -> None:
        self.accounts.add(index)
        try:
            self.conn.send((index, spec))
        except OSError:
            self.alive = False      # found dead at the next wait: its accounts are reported lost

    def receive(self) -> list:
        """The outcomes waiting on the pipe ((index, outcome or None when the audit raised));
        a pipe at its end means the worker died."""
        got = []
        try:
            while self.conn.poll():
                kind, index, value = self.conn.recv()
                self.accounts.discard(index)
                got.append((index, value if kind == "done" else None))
        except (EOFError, OSError):
            self.alive = False
        if not self.process.is_alive():
            self.alive = False
        return got

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=2)
        self.conn.close()
        if self.conn in _PARENT_ENDS:
            _PARENT_ENDS.remove(self.conn)
