"""Autograding throughput: plain sequential `nbgrader autograde` vs `classroom` (sandboxed, parallel).

Builds a scratch class (solution, blank and buggy notebooks of the chosen modules), grades it both ways
from scratch, checks the two runs give the same scores, and prints notebooks per minute, the speed-up and the
CPU seconds per notebook: of the graders (this process and every process it waited for: plain nbgrader's kernels,
Dask workers of a LocalCluster; not the sandboxed kernels, killed with their sandbox, nor a remote scheduler's
workers) and of the whole machine (everything, kernels included: run it on an otherwise idle machine).
Usage: python bench/bench_grading.py [--students 24] [--modules 01_tensor 02_activations] [--workers N]
           [--no-plain] [--postgres] [--scheduler tcp://host:8786] [--pg-server postgresql+psycopg://...]
--workers 1 grades in this process; more run a Dask LocalCluster of that many processes; --scheduler grades on
that scheduler's workers instead. --postgres (implied by --scheduler, since a cluster cannot share a sqlite file)
grades into a fresh database on the PostgreSQL server of --pg-server (default: TINYTORCH_TEST_PG_URL).
"""
import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.converters.autograde import Autograde

from classroom import course, database, exports, submissions
from classroom.grading import autograde_all
from classroom.nbgrader_api import Course


def build_class(root, modules, students, overrides=None):
    for m in modules:
        shutil.copytree(course.SOURCE / m, root / "source" / m)
    c = Course(root, {"Classroom.published": course.modules(), **(overrides or {})})
    for m in modules:
        c.generate_assignment(m)
        release = nbformat.read(str(root / "release" / m / f"{m}.ipynb"), as_version=4)
        solution = nbformat.read(str(course.source_notebook(m)), as_version=4)
        bugs = submissions.mutants(m)
        for i in range(students):
            kind = i % 3
            nb = (submissions.fill(release, solution) if kind == 0 else release if kind == 1
                  else submissions.fill(release, solution, bugs[i % len(bugs)]))
            submissions.write(nb, c.submission_path(m, f"s{i:03d}"))
    return c


def score_table(db_url):
    table, _ = exports.score_table(db_url)
    return table


def cpu_seconds():
    """CPU seconds (user + system) of this process and of every process it has waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def machine_cpu_seconds():
    """CPU seconds the whole machine has been busy since boot (/proc/stat: every state but idle and iowait).
    Unlike cpu_seconds it counts sandboxed kernels, which their grader never waits for (they are killed with
    their sandbox), and anything else running: meaningful on an otherwise idle machine."""
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--modules", nargs="+", default=["01_tensor", "02_activations"])
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--no-plain", action="store_true", help="skip plain nbgrader (no speed-up, no score check)")
    parser.add_argument("--scheduler", help="grade on this Dask scheduler's workers (tcp://host:8786)")
    parser.add_argument("--postgres", action="store_true", help="the gradebook in a fresh PostgreSQL database "
                                                                "(implied by --scheduler)")
    parser.add_argument("--pg-server", default=os.environ.get("TINYTORCH_TEST_PG_URL"),
                        help="PostgreSQL server for --scheduler's gradebook (default: TINYTORCH_TEST_PG_URL)")
    parser.add_argument("--no-prestart", action="store_true",
                        help="start each kernel when its notebook comes (c.GuardedExecute.prestart = False)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    plain_root, ours_root = work / "plain", work / "ours"
    overrides, pg_url = {}, None
    if args.scheduler or args.postgres:
        if not args.pg_server:
            parser.error("--scheduler and --postgres need --pg-server (or TINYTORCH_TEST_PG_URL)")
        pg_url = database.create_database(args.pg_server, "bench_grading")
        overrides = {"CourseDirectory.db_url": pg_url}
    if args.scheduler:
        overrides["Classroom.scheduler_address"] = args.scheduler
    if not args.no_plain:
        build_class(plain_root, args.modules, args.students)
    build_class(ours_root, args.modules, args.students, overrides)
    n = len(args.modules) * args.students

    result = {"notebooks": n, "workers": args.workers, "cores": os.cpu_count(),
              "engine": f"dask scheduler {args.scheduler}" if args.scheduler else
                        "in-process" if args.workers == 1 else f"dask LocalCluster of {args.workers} processes",
              "gradebook": "postgresql" if pg_url else "sqlite"}
    if not args.no_plain:
        # Plain nbgrader: its stock autograde preprocessors (no sandbox), one notebook after another.
        stock = Autograde.class_traits()["autograde_preprocessors"].default()
        plain = Course(plain_root, overrides={"Autograde.autograde_preprocessors": stock,
                                              "Classroom.published": course.modules()})
        start, cpu, machine = time.perf_counter(), cpu_seconds(), machine_cpu_seconds()
        for m in args.modules:
            for s in plain.submitted_students(m):
                plain.autograde(m, s)
        plain_s = time.perf_counter() - start
        result.update(plain_sequential_nb_per_min=round(60 * n / plain_s, 1),
                      plain_cpu_s_per_notebook=round((cpu_seconds() - cpu) / n, 2),
                      plain_machine_cpu_s_per_notebook=round((machine_cpu_seconds() - machine) / n, 2))

    ours = Course(ours_root, {"Classroom.published": course.modules(), "GuardedExecute.prestart": not args.no_prestart,
                              **overrides})
    start, cpu, machine = time.perf_counter(), cpu_seconds(), machine_cpu_seconds()
    autograde_all(args.modules, c=ours, workers=args.workers)
    ours_s = time.perf_counter() - start
    result.update(classroom_sandboxed_parallel_nb_per_min=round(60 * n / ours_s, 1),
                  classroom_cpu_s_per_notebook=round((cpu_seconds() - cpu) / n, 2),
                  classroom_machine_cpu_s_per_notebook=round((machine_cpu_seconds() - machine) / n, 2),
                  prestart=not args.no_prestart,
                  load_average=[round(x, 1) for x in os.getloadavg()])
    label = f"classroom autograde ({result['engine']}, sandboxed)"
    same = True
    if not args.no_plain:
        same = score_table(Course(plain_root).db_url).equals(score_table(ours.db_url))
        result.update(speedup=round(plain_s / ours_s, 2), same_scores=same)
        print(f"{'plain nbgrader autograde (sequential, no sandbox)':52s} {result['plain_sequential_nb_per_min']:7.1f} notebooks/min, "
              f"{result['plain_cpu_s_per_notebook']} CPU s/notebook, {result['plain_machine_cpu_s_per_notebook']} on the whole machine")
    print(f"{label:52s} {result['classroom_sandboxed_parallel_nb_per_min']:7.1f} notebooks/min, "
          f"{result['classroom_cpu_s_per_notebook']} CPU s/notebook in the graders, "
          f"{result['classroom_machine_cpu_s_per_notebook']} on the whole machine")
    if not args.no_plain:
        print(f"speed-up {result['speedup']}x; identical scores: {same}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "grading.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))
    shutil.rmtree(work, ignore_errors=True)
    if pg_url:
        database.drop_database(pg_url)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
