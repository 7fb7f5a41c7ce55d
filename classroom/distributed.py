"""Autograde on Dask distributed: one task per (module, student), on one machine or many.

- **Where tasks run.** A `LocalCluster` of `workers` processes with one thread each (one machine, the default),
  or the workers of a running scheduler (`dask scheduler`, `dask worker`, dask-jobqueue, dask-kubernetes) at
  `c.Classroom.scheduler_address` or `TINYTORCH_SCHEDULER` (`tcp://host:8786`).
- **What a task does.** `grade_task` grades one submission with `grading.grade_one`, sandbox on, exactly as one
  machine does, and writes its grades into the shared gradebook. A cluster needs a gradebook every machine can
  reach (PostgreSQL): a sqlite file is refused with a remote scheduler (`SqliteOnCluster`).
- **What a worker needs on disk.** The course directory (this repository, its `.venv` included) on a shared
  filesystem (NFS) at the same path as on the machine that submits, and around it the course image: the same base
  Python at the same path, bubblewrap and util-linux, root for the sandbox's uids. A task reads source/, release/,
  submitted/ and gradebook/ (release history, extensions, the reference cache) there and writes autograded/ and
  gradebook/events/ there. Only the course root, the overrides, the gradebook URL and the (module, student)
  travel in the task.
- **A worker that dies mid-task loses nothing.** The scheduler gives the task to another worker (up to Dask's
  `distributed.scheduler.allowed-failures` deaths, default 3); `grade_one` regrades from scratch (it removes the
  submission's old autograded/ and nbgrader replaces its gradebook entries), and on PostgreSQL a task holds an
  advisory lock on its (module, student) while it grades, so two runs of one submission (a worker the scheduler
  thought dead that was still grading) take turns instead of interleaving their writes. A submission that kills
  every worker it is given is recorded as not gradable (0 points, an `autograde_failed` event); the rest of the
  class is graded either way.
"""
import contextlib
import hashlib
import logging
import os
import uuid

from classroom import course, database, deadlines
from classroom.config import Classroom
from classroom.events import write_events

SCHEDULER_ENV = "TINYTORCH_SCHEDULER"


class SqliteOnCluster(RuntimeError):
    """A remote scheduler's workers cannot write into a sqlite file on this machine."""


def scheduler_address(c):
    """The scheduler to grade on, or None: a LocalCluster. For the course itself TINYTORCH_SCHEDULER, else
    c.Classroom.scheduler_address; a scratch course (make check, the tests) only takes the address from its
    overrides, as it ignores TINYTORCH_DB_URL."""
    configured = Classroom(config=c.config).scheduler_address
    if c.root == course.ROOT:
        return os.environ.get(SCHEDULER_ENV) or configured or None
    return configured or None


def refuse_sqlite(c, address):
    if address and database.backend(c.db_url) == "sqlite":
        raise SqliteOnCluster(
            f"NOT GRADED: the scheduler {address} has workers on other machines, which cannot write into the sqlite "
            f"gradebook {database.shown(c.db_url)}: put the gradebook on PostgreSQL (TINYTORCH_DB_URL, `make migrate-db`)")


@contextlib.contextmanager
def client(workers, address=None):
    """A Dask client: on the scheduler at `address`, else on a new LocalCluster of `workers` processes."""
    from dask.distributed import Client, LocalCluster
    if address:
        with Client(address) as connected:
            yield connected
        return
    # Processes, not threads: each worker owns its nbgrader app, its kernels and its event loop (as the spawn
    # pool this replaced did). Its HTTP server (the dashboard, if bokeh is installed) on a free loopback port.
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as local:
        yield local


def worker_count(dask_client):
    return max(1, sum(w["nthreads"] for w in dask_client.scheduler_info()["workers"].values()))


# --- on a worker -----------------------------------------------------------------------------------------------------

_COURSES = {}


def _course(root, overrides):
    """This worker's Course for `root`, built once per worker process (loading nbgrader's config costs ~0.1 s)."""
    from classroom.nbgrader_api import Course
    key = (root, repr(sorted(overrides.items())))
    if key not in _COURSES:
        _COURSES[key] = Course(root, overrides)
    return _COURSES[key]


def lock_key(module_id, student):
    """A 64-bit key for PostgreSQL's advisory lock of one submission."""
    return int.from_bytes(hashlib.sha256(f"{module_id}\0{student}".encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def submission_lock(db_url, module_id, student):
    """Hold PostgreSQL's advisory lock of (module, student) (nothing on sqlite, where one machine grades). The lock
    belongs to its connection: a process that dies releases it with the connection, and a machine that vanishes
    (no FIN/RST) within ~30 s, since the server probes this connection's TCP peer from 10 s of silence on."""
    if database.backend(db_url) != "postgresql":
        yield
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            for setting in ("tcp_keepalives_idle = 10", "tcp_keepalives_interval = 5", "tcp_keepalives_count = 3"):
                conn.execute(text(f"SET {setting}"))
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_key(module_id, student)})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(module_id, student)})
                conn.commit()
    finally:
        engine.dispose()


def grade_task(root, overrides, module_id, student):
    """One Dask task: grade one submission of the course at `root` (a path every worker sees); return its events."""
    from classroom.grading import grade_one
    c = _course(root, overrides)
    with submission_lock(c.db_url, module_id, student):
        return grade_one(c, module_id, student)


# --- on the machine that submits ---------------------------------------------------------------------------------------

def grade_pairs(c, pairs, dask_client, done):
    """Grade every (module, student) of `pairs` as one task each on `dask_client`; call done(m, s, events) as each
    finishes, in the order they finish."""
    from dask.distributed import as_completed
    from distributed.scheduler import KilledWorker
    # The task carries the gradebook URL itself: a worker's own TINYTORCH_DB_URL must not decide where grades go.
    overrides = {**c.overrides, "CourseDirectory.db_url": c.db_url}
    run = uuid.uuid4().hex[:8]
    futures = {dask_client.submit(grade_task, str(c.root), overrides, m, s, key=("grade", m, s, run), pure=False): (m, s)
               for m, s in pairs}
    for future in as_completed(futures):
        m, s = futures[future]
        try:
            events = future.result()
        except KilledWorker as err:  # it took down every worker it was given: grade the rest, record why
            events = [{"kind": "autograde_failed", "cell": None,
                       "detail": f"the grading worker died on this submission each time it was tried ({err})"[:300]}]
            record_not_gradable(c, m, s, events)
        done(m, s, events)


def record_not_gradable(c, module_id, student, events):
    from classroom.grading import forget_graded_files, record_zero
    forget_graded_files(c, module_id, student)
    record_zero(c, module_id, student)
    deadlines.apply_extension(c, module_id, student)
    write_events(c.root, module_id, student, events)
