"""Autograde and feedback over the whole of submitted/: one bad submission never stops the batch."""
from tqdm import tqdm

from classroom import course
from classroom.nbgrader_api import Course, NbgraderError


def _pairs(c, modules=None, students=None):
    for module_id in modules or course.modules():
        for student in c.submitted_students(module_id):
            if students is None or student in students:
                yield module_id, student


def _each(step, c, pairs, desc):
    """Run `step(module, student)` for every pair; collect failures instead of stopping."""
    failures = []
    for module_id, student in tqdm(pairs, desc=desc, unit="notebook"):
        try:
            step(module_id, student)
        except NbgraderError as err:
            failures.append((module_id, student, str(err).splitlines()[0]))
    for module_id, student, reason in failures:
        print(f"FAILED {module_id} / {student}: {reason}")
    return failures


def autograde_all(modules=None, students=None, c=None):
    c = c or Course()
    return _each(c.autograde, c, list(_pairs(c, modules, students)), "autograde")


def feedback_all(modules=None, students=None, c=None):
    c = c or Course()
    pairs = [(m, s) for m, s in _pairs(c, modules, students) if c.submission_path(m, s, "autograded").is_file()]
    return _each(c.generate_feedback, c, pairs, "feedback")
