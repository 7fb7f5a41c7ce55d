"""`make demo`: release every module, hand in work for a small demo class, autograde, feed back, export, and
compare the students' code (`make similarity`).

The class: `ada` submits the solution, `ben` submits the untouched release, `cam` submits the solution
with the first listed typical bug (mutant) of each module (so ada and cam look alike, and ben, who wrote
nothing, looks like no one). Running it again gives the same grades.

The demo runs in its own course, build/demo/ (a copy of source/, every module published), so its students
never enter the real course's submitted/, gradebook or exports.
"""
import shutil

import nbformat

from classroom import course, deadlines, exports, submissions
from classroom.similarity import similarity_report
from classroom.grading import autograde_all, feedback_all
from classroom.nbgrader_api import Course

DEMO_STUDENTS = ("ada", "ben", "cam")


def demo_notebooks(module_id, release_nb, source_nb):
    bugs = submissions.mutants(module_id)[:1]
    return {
        "ada": submissions.fill(release_nb, source_nb),
        "ben": release_nb,
        "cam": submissions.fill(release_nb, source_nb, bugs[0] if bugs else None),
    }


DEMO_ROOT = course.ROOT / "build" / "demo"


def demo_course(root=DEMO_ROOT):
    """The demo's course at `root`, its source/ refreshed from the real one."""
    for module_id in course.modules():
        shutil.rmtree(root / "source" / module_id, ignore_errors=True)
        shutil.copytree(course.SOURCE / module_id, root / "source" / module_id)
    return Course(root, {"Classroom.published": course.modules()})


def run_demo(c=None, modules=None):
    c = c or demo_course()
    modules = modules or course.modules()
    for module_id in modules:
        c.generate_assignment(module_id)
        release_nb = nbformat.read(str(c.release_path(module_id)), as_version=4)
        source_nb = nbformat.read(str(c.source_path(module_id)), as_version=4)
        for student, nb in demo_notebooks(module_id, release_nb, source_nb).items():
            submissions.write(nb, c.submission_path(module_id, student))
    flagged = autograde_all(modules, DEMO_STUDENTS, c)
    failures = feedback_all(modules, DEMO_STUDENTS, c)
    deadlines.refresh_penalties(c)
    table, max_scores, path = exports.export(c.db_url, c.root / "gradebook" / "exports")
    print(exports.summary(table, max_scores, exports.awaiting_manual_grade(c.db_url)))
    similar = similarity_report(c, modules)
    print(f"\nscores: {path}\nfeedback: {c.root / 'feedback'}/<student>/<module>/\n"
          f"similar pairs for a TA to review: {len(similar)} ({path.parent / 'similarity.csv'})")
    return 1 if failures or flagged else 0
