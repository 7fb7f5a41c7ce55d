"""Autograding throughput: plain sequential `nbgrader autograde` vs `classroom` (sandboxed, parallel).

Builds a scratch class (solution, blank and buggy notebooks of the chosen modules), grades it both ways
from scratch, checks the two runs give the same scores, and prints notebooks per minute and the speed-up.
Usage: python bench/bench_grading.py [--students 24] [--modules 01_tensor 02_activations] [--workers N]
"""
import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.converters.autograde import Autograde

from classroom import course, exports, submissions
from classroom.grading import autograde_all
from classroom.nbgrader_api import Course


def build_class(root, modules, students):
    for m in modules:
        shutil.copytree(course.SOURCE / m, root / "source" / m)
    c = Course(root, {"Classroom.published": course.modules()})
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


def score_table(root):
    table, _ = exports.score_table(Course(root).db_url)
    return table


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--modules", nargs="+", default=["01_tensor", "02_activations"])
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--no-prestart", action="store_true",
                        help="start each kernel when its notebook comes (c.GuardedExecute.prestart = False)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    plain_root, ours_root = work / "plain", work / "ours"
    for root in (plain_root, ours_root):
        build_class(root, args.modules, args.students)
    n = len(args.modules) * args.students

    # Plain nbgrader: its stock autograde preprocessors (no sandbox), one notebook after another.
    stock = Autograde.class_traits()["autograde_preprocessors"].default()
    plain = Course(plain_root, overrides={"Autograde.autograde_preprocessors": stock,
                                          "Classroom.published": course.modules()})
    start = time.perf_counter()
    for m in args.modules:
        for s in plain.submitted_students(m):
            plain.autograde(m, s)
    plain_s = time.perf_counter() - start

    ours = Course(ours_root, {"Classroom.published": course.modules(), "GuardedExecute.prestart": not args.no_prestart})
    start = time.perf_counter()
    autograde_all(args.modules, c=ours, workers=args.workers)
    ours_s = time.perf_counter() - start

    same = score_table(plain_root).equals(score_table(ours_root))
    result = {"notebooks": n, "workers": args.workers, "cores": os.cpu_count(),
              "plain_sequential_nb_per_min": round(60 * n / plain_s, 1),
              "classroom_sandboxed_parallel_nb_per_min": round(60 * n / ours_s, 1),
              "speedup": round(plain_s / ours_s, 2), "same_scores": same, "prestart": not args.no_prestart,
              "load_average": [round(x, 1) for x in os.getloadavg()]}
    print(f"{'plain nbgrader autograde (sequential, no sandbox)':52s} {result['plain_sequential_nb_per_min']:7.1f} notebooks/min")
    print(f"{f'classroom autograde ({args.workers} workers, sandboxed)':52s} {result['classroom_sandboxed_parallel_nb_per_min']:7.1f} notebooks/min")
    print(f"speed-up {result['speedup']}x; identical scores: {same}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "grading.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))
    shutil.rmtree(work, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
