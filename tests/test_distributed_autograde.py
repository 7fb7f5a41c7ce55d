"""Distributed autograde on Dask (issue 13), tested as a cluster runs it: a `dask scheduler` and two `dask worker`
processes started on 127.0.0.1 as separate programs (as on separate machines; the course directory is the
shared filesystem every worker sees, README "Throughput"), grading a class into a fresh PostgreSQL database through
`autograde_all` with the scheduler's address. One worker is killed (SIGKILL, no nanny to restart it: a machine
lost) while it is grading a submission; the run completes, the scheduler gave that task to the other worker, every
submission has exactly one submission row and one grade per cell, and every cell scores as the same class graded
on one machine into sqlite.

Needs TINYTORCH_TEST_PG_URL, like tests/test_postgres_gradebook.py (`.ci/run` starts a throwaway server); without
it these tests skip. The sqlite refusal needs no server."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import cloudpickle
import pytest
from nbgrader.api import Gradebook, Grade, SubmittedAssignment, SubmittedNotebook

from classroom import course, database, distributed
from classroom.grading import autograde_all, read_events
from classroom.nbgrader_api import Course
from tests.test_postgres_gradebook import SERVER, build_class, every_cell

needs_pg = pytest.mark.skipif(
    not SERVER, reason="TINYTORCH_TEST_PG_URL is not set: a cluster grades into PostgreSQL and there is no server to "
                       "test against (.ci/run starts one; by hand: python3 -m classroom.pgserver start, then export "
                       "TINYTORCH_TEST_PG_URL=<url>)")

MODULES = ["01_tensor", "02_activations"]
STUDENTS = [f"s{i}" for i in range(5)]
DASK = str(Path(sys.executable).parent / "dask")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def pg_url():
    url = database.create_database(SERVER, "tt_dask")
    yield url
    database.drop_database(url)


@pytest.fixture
def cluster(tmp_path, request):
    """(scheduler address, {worker address: its Popen}): a scheduler and two one-thread workers, each in a
    directory of its own (not the course's), stopped at the end. Parametrized indirectly: the scheduler's
    allowed-failures (Dask's default, 3, otherwise)."""
    address = f"tcp://127.0.0.1:{free_port()}"
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    quiet = {**os.environ, "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "warning"}
    scheduler_env = dict(quiet)
    if getattr(request, "param", None) is not None:
        scheduler_env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = str(request.param)
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                               "--dashboard-address", "127.0.0.1:0"], cwd=logs, env=scheduler_env,
                              stdout=subprocess.DEVNULL, stderr=open(logs / "scheduler.log", "w"))]
    for i in range(2):
        home = tmp_path / f"worker{i}"
        home.mkdir()
        procs.append(subprocess.Popen([DASK, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-nanny",
                                       "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(home),
                                       "--name", f"worker{i}"], cwd=home, env=quiet,
                                      stdout=subprocess.DEVNULL, stderr=open(logs / f"worker{i}.log", "w")))
    from dask.distributed import Client
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            pids = client.run(os.getpid)  # {worker address: pid}
        by_pid = {p.pid: p for p in procs[1:]}
        yield address, {addr: by_pid[pid] for addr, pid in pids.items()}
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


# the two probes below run in the worker and scheduler processes, which cannot import this test module
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def _executing(dask_worker):
    return [ts.key for ts in dask_worker.state.executing]


def _suspicious(dask_scheduler, key):
    ts = dask_scheduler.tasks.get(key)
    return ts.suspicious if ts is not None else None


def kill_a_worker_mid_task(address, workers, course):
    """Wait until a worker is grading a submission (its task executing, nbgrader's autograded/ folder of that
    submission created), SIGKILL that worker, and wait until the scheduler has counted the death against the task
    (so it was taken from the dead worker and handed to the other). Returns (the task's key, the killed worker)."""
    from dask.distributed import Client
    with Client(address, timeout=60) as watcher:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            for addr, keys in watcher.run(_executing, workers=list(workers)).items():
                for key in keys:
                    _, m, s, _ = key
                    if course.submission_path(m, s, "autograded").parent.is_dir():
                        workers[addr].send_signal(signal.SIGKILL)
                        workers[addr].wait(timeout=30)
                        while watcher.run_on_scheduler(_suspicious, key=key) == 0:
                            time.sleep(0.05)
                        assert watcher.run_on_scheduler(_suspicious, key=key) == 1
                        return key, addr
            time.sleep(0.05)
    raise AssertionError("no worker was seen grading a submission")


def graded_rows(db_url):
    """(submission rows per (module, student), grade rows per submission, distinct cells graded per submission)."""
    with Gradebook(db_url) as gb:
        per_pair, grades, cells = {}, {}, {}
        for sub in gb.db.query(SubmittedAssignment):
            per_pair[(sub.assignment.name, sub.student.id)] = per_pair.get((sub.assignment.name, sub.student.id), 0) + 1
        for nb in gb.db.query(SubmittedNotebook):
            pair = (nb.assignment.assignment.name, nb.student.id)
            rows = gb.db.query(Grade).filter(Grade.notebook_id == nb.id).all()
            grades[pair] = grades.get(pair, 0) + len(rows)
            cells[pair] = cells.get(pair, 0) + len({g.cell_id for g in rows})
        return per_pair, grades, cells


@needs_pg
def test_scheduler_and_two_workers_one_killed_mid_task(tmp_path, pg_url, cluster):
    address, workers = cluster
    on_sqlite = build_class(tmp_path / "sqlite", MODULES, len(STUDENTS))
    assert not autograde_all(MODULES, c=on_sqlite, workers=1, progress=False)  # one machine, one process

    build_class(tmp_path / "cluster", MODULES, len(STUDENTS), pg_url)
    on_cluster = Course(tmp_path / "cluster", {"Classroom.published": on_sqlite.overrides["Classroom.published"],
                                              "CourseDirectory.db_url": pg_url,
                                              "Classroom.scheduler_address": address})
    outcome = {}
    grading = threading.Thread(target=lambda: outcome.update(problems=autograde_all(MODULES, c=on_cluster,
                                                                                    progress=False)))
    grading.start()
    try:
        key, killed = kill_a_worker_mid_task(address, dict(workers), on_cluster)
    finally:
        grading.join(timeout=600)
    assert not grading.is_alive() and outcome["problems"] == {}
    assert workers[killed].poll() == -signal.SIGKILL and [w.poll() for w in workers.values()].count(None) == 1

    pairs = [(m, s) for m in MODULES for s in STUDENTS]
    per_pair, grades, cells = graded_rows(pg_url)
    assert per_pair == {pair: 1 for pair in pairs}  # one submission row each, the retried one included
    expected = {pair: len(on_sqlite.cell_scores(*pair)) for pair in pairs}
    assert grades == expected and cells == expected  # one grade per cell, none twice
    scores = every_cell(on_cluster, MODULES, STUDENTS)
    assert scores == every_cell(on_sqlite, MODULES, STUDENTS)
    assert len({tuple(v.values()) for v in scores.values()}) > 2  # graded, and not all alike
    _, m, s, _ = key
    assert on_cluster.submission_path(m, s, "autograded").is_file()  # the retry's notebook, whole


@needs_pg
@pytest.mark.parametrize("cluster", [0], indirect=True)  # the first worker death under a task ends it
def test_a_submission_that_outlives_no_worker_is_recorded_and_the_rest_graded(tmp_path, pg_url, cluster):
    address, workers = cluster
    students = STUDENTS[:3]
    build_class(tmp_path / "cluster", MODULES[:1], len(students), pg_url)
    c = Course(tmp_path / "cluster", {"Classroom.published": course.modules(), "CourseDirectory.db_url": pg_url,
                                      "Classroom.scheduler_address": address})
    outcome = {}
    grading = threading.Thread(target=lambda: outcome.update(problems=autograde_all(MODULES[:1], c=c, progress=False)))
    grading.start()
    try:
        key, _ = kill_a_worker_mid_task(address, dict(workers), c)
    finally:
        grading.join(timeout=600)
    # the task being graded, and any the scheduler had already queued on that worker (Dask counts both)
    _, m, s, _ = key
    assert not grading.is_alive() and (m, s) in outcome["problems"]
    for pair, events in outcome["problems"].items():
        assert [e["kind"] for e in events] == [e["kind"] for e in read_events(c, *pair)] == ["autograde_failed"]
        assert not c.submission_path(*pair, "autograded").exists()
        assert {score for score, _, _ in c.cell_scores(*pair).values()} == {0}  # in the gradebook, worth nothing
    graded = [st for st in students if (m, st) not in outcome["problems"]]
    assert graded and all(c.submission_path(m, st, "autograded").is_file() for st in graded)  # the rest: graded
    assert graded_rows(pg_url)[0] == {(m, st): 1 for st in students}


@needs_pg
def test_submission_lock_lets_one_grader_at_a_time(pg_url):
    """Two runs of one submission (a worker the scheduler gave up on that was still grading) take turns; other
    submissions are not held up."""
    order = []

    def second():
        with distributed.submission_lock(pg_url, "01_tensor", "ada"):
            order.append("second")

    with distributed.submission_lock(pg_url, "01_tensor", "ada"):
        waiting = threading.Thread(target=second)
        waiting.start()
        with distributed.submission_lock(pg_url, "01_tensor", "bea"):  # another submission: not blocked
            order.append("other")
        waiting.join(timeout=1)
        assert waiting.is_alive()  # still waiting for the lock
        order.append("first")
    waiting.join(timeout=30)
    assert order == ["other", "first", "second"]


def test_remote_scheduler_refuses_a_sqlite_gradebook(tmp_path, capsys):
    c = Course(tmp_path, {"Classroom.scheduler_address": "tcp://127.0.0.1:1"})
    assert database.backend(c.db_url) == "sqlite"
    with pytest.raises(distributed.SqliteOnCluster, match="put the gradebook on PostgreSQL"):
        autograde_all(c=c, progress=False)
    assert not (tmp_path / "autograded").exists()


def test_tinytorch_scheduler_reaches_the_course_not_a_scratch_course(tmp_path, monkeypatch, capsys):
    """`TINYTORCH_SCHEDULER=... make autograde` on the course's sqlite gradebook stops with one line, before grading;
    a scratch course (make check, the tests) ignores the variable, as it ignores TINYTORCH_DB_URL."""
    from classroom.cli import main as cli
    monkeypatch.setenv("TINYTORCH_SCHEDULER", "tcp://127.0.0.1:1")
    monkeypatch.delenv("TINYTORCH_DB_URL", raising=False)
    assert distributed.scheduler_address(Course(tmp_path)) is None
    assert cli(["autograde"]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("NOT GRADED: the scheduler tcp://127.0.0.1:1") and "PostgreSQL" in out[0]
