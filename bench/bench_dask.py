"""Dask's per-task overhead in autograde: what the engine adds to grading one notebook.

1. A no-op task's round trip (submit, run on a worker, result back), one at a time, and the same no-ops submitted
   all at once (time per task when the scheduler has a queue).
2. Grading the same notebooks three ways, one at a time: `grade_one` in this process; as a Dask task, timed inside
   the task (what the worker spends grading) and outside (submit to result, what the client waits).
The reference solution is computed first, so every grading reuses it.

Usage: python bench/bench_dask.py [--tasks 200] [--students 6] [--module 01_tensor] [--scheduler tcp://host:8786]
Without --scheduler it starts a LocalCluster of one worker process (one thread), as autograde_all does; with it,
the grading half needs a gradebook the workers share: --pg-server (default TINYTORCH_TEST_PG_URL).
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_grading import build_class  # noqa: E402

from classroom import database, distributed  # noqa: E402
from classroom.grading import create_students, grade_one, not_ready  # noqa: E402
from classroom.nbgrader_api import Course  # noqa: E402


def noop():
    return None


def timed_grade(root, overrides, module_id, student):
    start = time.perf_counter()
    distributed.grade_task(root, overrides, module_id, student)
    return time.perf_counter() - start


def ms(seconds):
    return round(1000 * seconds, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--module", default="01_tensor")
    parser.add_argument("--scheduler")
    parser.add_argument("--pg-server", default=os.environ.get("TINYTORCH_TEST_PG_URL"))
    args = parser.parse_args()
    result = {"engine": f"dask scheduler {args.scheduler}" if args.scheduler else "dask LocalCluster, 1 process"}
    with distributed.client(1, args.scheduler) as client:
        client.submit(noop, pure=False).result()  # the worker has imported what it runs
        start = time.perf_counter()
        for _ in range(args.tasks):
            client.submit(noop, pure=False).result()
        result["noop_round_trip_ms"] = ms((time.perf_counter() - start) / args.tasks)
        start = time.perf_counter()
        client.gather([client.submit(noop, pure=False) for _ in range(args.tasks)])
        result["noop_queued_ms_per_task"] = ms((time.perf_counter() - start) / args.tasks)

        work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
        pg_url = database.create_database(args.pg_server, "bench_dask") if args.scheduler else None
        try:
            overrides = {"CourseDirectory.db_url": pg_url} if pg_url else {}
            c = build_class(work, [args.module], args.students, overrides)
            c = Course(work, c.overrides)
            assert not_ready(c, args.module) is None  # computes the reference solution's records once
            students = c.submitted_students(args.module)
            create_students(c, students)
            in_process, inside, outside = [], [], []
            task_overrides = {**c.overrides, "CourseDirectory.db_url": c.db_url}
            client.submit(timed_grade, str(c.root), task_overrides, args.module, students[0], pure=False).result()
            for s in students:  # alternate, so both see the same load on this shared machine
                start = time.perf_counter()
                grade_one(c, args.module, s)
                in_process.append(time.perf_counter() - start)
                start = time.perf_counter()
                inside.append(client.submit(timed_grade, str(c.root), task_overrides, args.module, s, pure=False).result())
                outside.append(time.perf_counter() - start)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            if pg_url:
                database.drop_database(pg_url)
    result.update(notebooks=len(students), module=args.module,
                  grade_in_process_ms=ms(statistics.median(in_process)),
                  grade_inside_task_ms=ms(statistics.median(inside)),
                  grade_outside_task_ms=ms(statistics.median(outside)),
                  task_overhead_ms=ms(statistics.median(o - i for o, i in zip(outside, inside))))
    for key, value in result.items():
        print(f"{key:28s} {value}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "dask.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
