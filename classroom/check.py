"""`make check`: the authoring gate. For each module, through nbgrader itself, in a scratch course:
the solution earns every autograded point, the untouched release earns none, and every listed
mutant (a plausible wrong implementation) fails each test cell it names; every test cell has a mutant."""
import shutil
import tempfile
from pathlib import Path

import nbformat

from classroom import course, submissions
from classroom.nbgrader_api import Course


def autograded_cells(source_nb):
    """grade_id -> points of the autograded test cells."""
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in source_nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}


def check_module(module_id, workdir=None):
    """Return a list of problems (empty when the module's tests are trustworthy)."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix=f"check-{module_id}-"))
    shutil.copytree(course.SOURCE / module_id, workdir / "source" / module_id, dirs_exist_ok=True)
    scratch = Course(workdir)
    scratch.generate_assignment(module_id)
    source_nb = nbformat.read(str(course.source_notebook(module_id)), as_version=4)
    release_nb = nbformat.read(str(workdir / "release" / module_id / f"{module_id}.ipynb"), as_version=4)
    tests = autograded_cells(source_nb)
    mutants = submissions.mutants(module_id)
    problems = []

    students = {"solution": submissions.fill(release_nb, source_nb), "blank": release_nb}
    for m in mutants:
        students[f"mutant-{m['name']}".replace("_", "-")] = submissions.fill(release_nb, source_nb, m)
    for student, nb in students.items():
        submissions.write(nb, scratch.submission_path(module_id, student))
        scratch.autograde(module_id, student)
    scores = {s: scratch.cell_scores(module_id, s) for s in students}

    for cell, points in tests.items():
        got = scores["solution"].get(cell, (None,))[0]
        if got != points:
            problems.append(f"{module_id}: the solution earns {got} of {points} points in {cell}")
        got = scores["blank"].get(cell, (None,))[0]
        if got != 0:
            problems.append(f"{module_id}: the blank release earns {got} points in {cell} (a test that cannot fail)")
    covered = set()
    for m in mutants:
        student = f"mutant-{m['name']}".replace("_", "-")
        for cell in m["caught_by"]:
            if cell not in tests:
                problems.append(f"{module_id}: mutant {m['name']} names {cell}, which is not an autograded cell")
                continue
            covered.add(cell)
            score = scores[student].get(cell, (None,))[0]
            if score is None or score >= tests[cell]:
                problems.append(f"{module_id}: mutant {m['name']} is not caught by {cell} (scored {score})")
    for cell in sorted(set(tests) - covered):
        problems.append(f"{module_id}: no mutant shows that {cell} can catch a wrong implementation")
    if not tests:
        problems.append(f"{module_id}: no autograded test cells")
    return problems
