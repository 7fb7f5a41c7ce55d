"""`classroom`: the thin command-line layer over nbgrader that the Makefile calls."""
import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from classroom import course, submissions


def cmd_release(args):
    from classroom.nbgrader_api import Course, ReleaseRefused
    c = Course()
    modules = args.modules or course.modules()
    if args.rerelease and args.rerelease not in modules:
        print(f"--rerelease {args.rerelease}: no such module")
        return 1
    if args.rerelease and not args.note:
        print("a re-release needs a note saying why (NOTE='fixed the matmul test's message'): it is recorded")
        return 1
    refused = []
    for module_id in tqdm(modules, desc="generate_assignment", unit="module", disable=None):
        try:
            c.generate_assignment(module_id, rerelease_note=args.note if module_id == args.rerelease else None)
        except ReleaseRefused as err:
            refused.append(module_id)
            print(f"NOT RELEASED {module_id}: {err}")
    print(f"release/ regenerated for {len(modules) - len(refused)} of {len(modules)} modules")
    return 1 if refused else 0


def _timed_check(module_id):
    from classroom.check import check_module
    started = time.perf_counter()
    found = check_module(module_id, workers=1)
    return module_id, found, time.perf_counter() - started


def cmd_check(args):
    from classroom.config import Classroom
    from classroom.nbgrader_api import load_config
    # longest first (about one kernel per mutant), so no long module is left running alone at the end
    modules = sorted(args.modules or course.modules(), key=lambda m: -len(submissions.mutants(m)))
    parallel = min(len(modules), Classroom(config=load_config()).worker_count())
    problems, started = [], time.perf_counter()
    # Modules side by side, each graded by one worker: their serial parts (release, reference) overlap too.
    with ProcessPoolExecutor(parallel, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_timed_check, m): m for m in modules}
        for future in as_completed(futures):
            module_id, found, took = future.result()
            print(f"{module_id}: {'ok' if not found else f'{len(found)} problem(s)'} ({took:.0f} s)", flush=True)
            problems += found
    print(f"checked {len(modules)} modules in {time.perf_counter() - started:.0f} s ({parallel} at a time)")
    for p in problems:
        print("  -", p)
    return 1 if problems else 0


def cmd_autograde(args):
    from classroom.distributed import SqliteOnCluster
    from classroom.grading import autograde_all
    try:
        failures = autograde_all(modules=[args.module] if args.module else None,
                                 students=[args.student] if args.student else None)
    except SqliteOnCluster as err:
        print(err)
        return 1
    return 1 if failures else 0


def cmd_feedback(args):
    from classroom.grading import feedback_all
    failures = feedback_all(modules=[args.module] if args.module else None,
                            students=[args.student] if args.student else None)
    print(f"feedback in {course.ROOT / 'feedback'}/<student>/<module>/ (HTML and the scrubbed notebook)")
    return 1 if failures else 0


def cmd_report(args):
    from classroom.nbgrader_api import Course
    from classroom.report import build_report
    c = Course()
    r = build_report(c, args.out, args.formgrader_url)
    print("\n".join(r.summary_lines()))
    where = r.html_path.parent
    print(f"wrote {', '.join(p.name for p in r.files if p != r.html_path)} to {where}")
    print(f"report: {r.html_path}")


def cmd_similarity(args):
    from classroom.nbgrader_api import Course
    from classroom.similarity import similarity_report
    c = Course()
    started = time.perf_counter()
    table = similarity_report(c, [args.module] if args.module else None, args.out)
    where = args.out or c.root / "gradebook" / "exports"
    counts = table.groupby("module").size()
    print(", ".join(f"{m}: {n} pair(s)" for m, n in counts.items()) or "no pair reaches the threshold",
          f"({time.perf_counter() - started:.1f} s)")
    print(f"wrote similarity.csv and similarity/<module>.html to {where}; `make report` shows the top pairs")


def cmd_demo(args):
    from classroom.demo import run_demo
    return run_demo()


def cmd_lab(args):
    """JupyterLab on the course, as the grading machine runs it: root there (the sandbox needs it), so say
    so to Jupyter; and nbgrader's exchange directory exists, so formgrader's release and collect work."""
    from classroom import exchange
    from classroom.nbgrader_api import load_config
    exchange.create(load_config().Exchange.root)
    jupyter = str(Path(sys.executable).parent / "jupyter")
    cmd = [jupyter, "lab", f"--notebook-dir={course.ROOT}"] + (["--allow-root"] if os.geteuid() == 0 else [])
    os.execv(jupyter, cmd + [a for a in args.jupyter_args if a != "--"])


def cmd_exchange(args):
    from classroom import exchange
    from classroom.nbgrader_api import load_config
    path = exchange.prepare(load_config().Exchange.root, course.ROOT)
    print(f"exchange: {path} (open to every user, as nbgrader documents); course folder {course.ROOT} closed to "
          "everyone but its owner (mode 700)")


def cmd_deadline(args):
    from classroom import deadlines
    from classroom.nbgrader_api import Course
    when = deadlines.set_due_date(Course(), args.module, args.due)
    print(f"{args.module} is due {when:%Y-%m-%d %H:%M} UTC (late policy: c.PercentPerDay in nbgrader_config.py)")


def cmd_extension(args):
    from classroom import deadlines
    from classroom.nbgrader_api import Course
    minutes = 60 * (24 * args.days + args.hours)
    deadlines.grant_extension(Course(), args.module, args.student, minutes, args.note or "")
    print(f"{args.student}: {args.module} extended by {minutes / 60:g} hours (gradebook/extensions.json); "
          "it holds through every regrade; `make report` and `make feedback` apply it to an existing grade")


def cmd_collect(args):
    from classroom import intake
    from classroom.nbgrader_api import Course
    return intake.run(Course(), args.lms, args.module, args.archive, args.times)


def cmd_migrate_db(args):
    from classroom import database
    from classroom.nbgrader_api import Course
    source = args.source or Course().db_url
    try:
        counts = database.copy_gradebook(source, args.to)
    except (database.NotEmpty, database.SchemaMismatch) as err:
        print(f"NOT MIGRATED: {err}")
        return 1
    print(f"copied {database.shown(source)} -> {database.shown(args.to)}: "
          + ", ".join(f"{name} {n}" for name, n in counts.items()))
    print(f"point the course at it: export TINYTORCH_DB_URL='{database.shown(args.to)}' (with its password), or set "
          "c.CourseDirectory.db_url in nbgrader_config.py")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="classroom", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="nbgrader generate_assignment for every module -> release/")
    p.add_argument("modules", nargs="*")
    p.add_argument("--rerelease", help="a module students already hold whose locked cells (tests) change")
    p.add_argument("--note", help="why it is re-released (recorded in gradebook/release_history/)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("check", help="authoring gate: solution full marks, release zero, mutants caught")
    p.add_argument("modules", nargs="*")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("autograde", help="autograde submitted/")
    p.add_argument("--module")
    p.add_argument("--student")
    p.set_defaults(func=cmd_autograde)
    p = sub.add_parser("feedback", help="generate feedback for every graded submission")
    p.add_argument("--module")
    p.add_argument("--student")
    p.set_defaults(func=cmd_feedback)
    p = sub.add_parser("report", help="gradebook exports for TAs: scores, LMS CSV, test pass rates, manual-grading "
                                      "queue, integrity flags, plot, report.html")
    p.add_argument("--out", type=Path, help="output directory (default: gradebook/exports)")
    p.add_argument("--formgrader-url", help="address of the Jupyter server running the formgrader, e.g. "
                                            "http://localhost:8888, to make the grading queue clickable")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("similarity", help="pairs of submissions whose own code looks alike, for a TA to review")
    p.add_argument("--module")
    p.add_argument("--out", type=Path, help="output directory (default: gradebook/exports)")
    p.set_defaults(func=cmd_similarity)
    sub.add_parser("demo", help="release, grade a demo class, export grades").set_defaults(func=cmd_demo)
    sub.add_parser("exchange", help="create nbgrader's exchange outside the course and close the course folder to "
                                     "students").set_defaults(func=cmd_exchange)
    p = sub.add_parser("deadline", help="set a module's due date (nbgrader's duedate, UTC unless a zone is given)")
    p.add_argument("module")
    p.add_argument("due", help='e.g. "2026-12-04 23:59 Europe/Zurich"')
    p.set_defaults(func=cmd_deadline)
    p = sub.add_parser("extension", help="give one student more time on one module (0 removes it)")
    p.add_argument("module")
    p.add_argument("student")
    p.add_argument("--days", type=float, default=0)
    p.add_argument("--hours", type=float, default=0)
    p.add_argument("--note", help="why (kept with the extension)")
    p.set_defaults(func=cmd_extension)
    p = sub.add_parser("collect", help="collect an LMS's download of one module into submitted/ (nbgrader zip_collect)")
    p.add_argument("lms", choices=["canvas", "moodle", "blackboard"])
    p.add_argument("module")
    p.add_argument("archive", help="the LMS's download (zip)")
    p.add_argument("--times", help="Canvas: CSV of user_id, submitted_at (Submissions API); Moodle: grading worksheet")
    p.set_defaults(func=cmd_collect)
    p = sub.add_parser("migrate-db", help="copy the gradebook (default: the course's, TINYTORCH_DB_URL or sqlite) "
                                          "into a new, empty database, e.g. PostgreSQL")
    p.add_argument("--to", required=True, help="SQLAlchemy URL of the target, e.g. postgresql+psycopg://user:pw@host/db")
    p.add_argument("--from", dest="source", help="SQLAlchemy URL of the gradebook to copy (default: the course's)")
    p.set_defaults(func=cmd_migrate_db)
    p = sub.add_parser("lab", help="JupyterLab on the course (students: release/; instructors and TAs: Formgrader)")
    p.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="passed on to `jupyter lab`")
    p.set_defaults(func=cmd_lab)
    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
