"""`make check`: the authoring gate. For each module, in a scratch course, through exactly the pipeline
`make autograde` uses (parallel workers, sandbox, integrity flags, CompareChecks):

- every test cell checks only through tinytorch.testing (no bare `assert`, `raise` or `try`: those would
  be verdicts computed inside the kernel, which decide nothing in grading) and records at least one check;
- every solution code cell keeps its `### BEGIN/END SOLUTION` delimiters (without them nbgrader releases a bare
  stub in place of the whole cell: skeleton, docstring and export marker lost), and every hidden block
  starts with its `# hint:` line (what feedback shows when it fails);
- the reference solution passes every check of its own tests (their assertion messages are shown if not);
- the solution earns every autograded point, the untouched release earns none;
- every listed mutant (a plausible wrong implementation, tests/mutants/<module>.py) fails each test cell it
  names, and every test cell is named by a mutant;
- in every test cell the visible part alone catches at least one mutant (so `nbgrader validate` means
  something), and the hidden part catches at least one mutant the visible part misses. A mutant counts as
  caught by the part holding the first check that failed (the line CompareChecks names);
- no mutant is caught only by checks whose right record is known without running the code under test
  (assert_true, assert_same, assert_raises without match strings; tinytorch.testing.forgeable): code in the
  kernel could forge those, so each mutant must also fail a check of a value it computes. A raise check's
  match strings are not all in its label (a forged error could echo the label).

Grading every mutant is the slow half (a sandboxed kernel each, ~25 per module): `make check` runs it, `.ci/run`
runs it after `make test`, and `make test` runs the rest for every module (`grade_mutants=False`: the mutant list is
still checked to apply and to name every test cell, without grading each one).
"""
import ast
import shutil
import tempfile
from pathlib import Path

import nbformat

from classroom import course, submissions
from classroom.cells import is_test_cell
from classroom.delimiters import delimiters
from classroom.hidden_tests import VERDICT, frames, hidden_blocks
from classroom.grading import autograde_all
from classroom.nbgrader_api import Course
from classroom.preprocessors.compare_checks import FORGEABLE_ONLY
from classroom.preprocessors.score_capstone import graded_outside
from classroom.reference import ReferenceFailed, reference_checks


def autograded_cells(source_nb):
    """grade_id -> points of the autograded test cells."""
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in source_nb.cells
            if is_test_cell(c)}


def in_kernel_verdicts(source_nb):
    """[(grade_id, line, what)] for each `assert`, `raise` or `try` in a test cell."""
    found = []
    for cell in source_nb.cells:
        if is_test_cell(cell):
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            try:
                tree = ast.parse(cell.source)
            except SyntaxError as err:
                found.append((grade_id, err.lineno, f"does not parse ({err.msg})"))
                continue
            for node in ast.walk(tree):
                kind = {ast.Assert: "assert", ast.Raise: "raise", ast.Try: "try"}.get(type(node))
                if kind:
                    found.append((grade_id, node.lineno, f"`{kind}`"))
    return found


HINT_LENGTH = (20, 300)  # characters: says something, and fits the feedback page as one wrapped line


def authoring_problems(source_nb):
    """Solution cells without delimiters, hidden blocks without a hint."""
    problems = []
    for cell in source_nb.cells:
        info = cell.metadata.get("nbgrader", {})
        name = info.get("grade_id", "?")
        if cell.cell_type == "code" and info.get("solution"):
            d = delimiters()
            if d.begin_solution not in cell.source or d.end_solution not in cell.source:
                problems.append(f"solution cell {name} has no `### {d.begin_solution}` / `### {d.end_solution}` lines: nbgrader "
                                "would release a bare stub in place of the whole cell")
        if cell.cell_type == "code":
            for block in hidden_blocks(cell.source):
                if not block.hint:
                    problems.append(f"{name}: the hidden block at line {block.start} has no `# hint: <one line>` as its "
                                    "first line (what students read when it fails)")
                elif not HINT_LENGTH[0] <= len(block.hint) <= HINT_LENGTH[1]:
                    problems.append(f"{name}: the hint of the hidden block at line {block.start} has {len(block.hint)} "
                                    f"characters; feedback shows {HINT_LENGTH[0]}-{HINT_LENGTH[1]} (one readable line)")
    return problems


def _graded_cell(c, module_id, student, grade_id):
    """Test cell `grade_id` of a submission's autograded notebook (None if there is none)."""
    path = c.submission_path(module_id, student, "autograded")
    if not path.is_file():
        return None
    nb = nbformat.read(str(path), as_version=4)
    return next((x for x in nb.cells if x.metadata.get("nbgrader", {}).get("grade_id") == grade_id), None)


def caught_where(c, module_id, student, cell):
    """'visible' or 'hidden': the part of test cell `cell` holding the first failing check of a graded
    submission (None if the cell did not fail or the failure names no line)."""
    target = _graded_cell(c, module_id, student, cell)
    for out in target.get("outputs", []) if target is not None else []:
        if out.output_type == "error" and out.get("ename") == VERDICT:
            lines = [ln for _, ln in frames(out.get("traceback", [])) if ln is not None]
            if lines:
                return "hidden" if any(lines[0] in b for b in hidden_blocks(target.source)) else "visible"
    return None


def failure_message(c, module_id, student, cell):
    """What the autograded notebook says about a failed test cell (the grader's verdict first)."""
    target = _graded_cell(c, module_id, student, cell)
    if target is None:
        return "no autograded notebook"
    errors = [o for o in target.get("outputs", []) if o.output_type == "error"]
    errors.sort(key=lambda o: o.get("ename") != VERDICT)
    return f"{errors[0].ename}: {errors[0].evalue}"[:1500] if errors else "no error output"


def apply_mutants(module_id, tests, release_nb, source_nb, mutants):
    """({mutant: its notebook} for the mutants that apply, problems with the list found without grading): a
    mutant whose text does not occur exactly once in its cell, one naming a cell that is not autograded, a test
    cell no mutant names."""
    notebooks, problems, covered = {}, [], set()
    for m in mutants:
        try:
            notebooks[m["name"]] = submissions.fill(release_nb, source_nb, m)
        except (ValueError, KeyError) as err:
            problems.append(f"{module_id}: {err}")
        for cell in m["caught_by"]:
            if cell in tests:
                covered.add(cell)
            else:
                problems.append(f"{module_id}: mutant {m['name']} names {cell}, which is not an autograded cell")
    problems += [f"{module_id}: no mutant shows that {cell} can catch a wrong implementation (add one to "
                 f"tests/mutants/{module_id}.py)" for cell in sorted(set(tests) - covered)]
    return notebooks, problems


def check_module(module_id, workdir=None, workers=None, grade_mutants=True, listed=None):
    """Return a list of problems (empty when the module's tests are trustworthy). With grade_mutants=False it
    grades only the solution and the blank release, and checks the mutant list without grading it. `listed`
    replaces the module's mutant list (tests/mutants/<module_id>.py)."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix=f"check-{module_id}-"))
    shutil.copytree(course.SOURCE / module_id, workdir / "source" / module_id, dirs_exist_ok=True)
    # the gate checks a module as graded in a term once everything before it is published
    scratch = Course(workdir, {"Classroom.published": course.modules()})
    scratch.generate_assignment(module_id)
    source_nb = nbformat.read(str(course.source_notebook(module_id)), as_version=4)
    release_nb = nbformat.read(str(scratch.release_path(module_id)), as_version=4)
    # a cell scored from files handed in beside the notebook (the capstone's, ScoreCapstone) is outside the gate: the
    # gate's submissions are notebooks only, so it checks that the blank release earns nothing there (below);
    # tests/test_capstone_grading.py grades that cell
    outside = graded_outside(module_id)
    tests = {cell: points for cell, points in autograded_cells(source_nb).items() if cell not in outside}
    if not tests:
        return [f"{module_id}: no autograded test cells"]
    listed = submissions.mutants(module_id) if listed is None else listed
    problems = [f"{module_id}: {p}" for p in authoring_problems(source_nb)]
    applied, list_problems = apply_mutants(module_id, tests, release_nb, source_nb, listed)
    problems += list_problems
    problems += [f"{module_id}: {cell} line {line}: {what} in a test cell is a verdict computed in the student's "
                "kernel and decides nothing in grading; check through tinytorch.testing (assert_close, assert_equal, "
                "assert_true, assert_raises, check_gradients)" for cell, line, what in in_kernel_verdicts(source_nb)]
    try:
        reference = reference_checks(scratch.config, module_id)["cells"]
    except ReferenceFailed as err:
        return problems + [f"{module_id}: the reference solution fails {cell}: {message}"
                           for cell, message in getattr(err, "failed", {"?": str(err)}).items()]
    problems += [f"{module_id}: {cell} records no check, so it can never be graded"
                 for cell in tests if not reference.get(cell, {}).get("records")]
    problems += [f"{module_id}: {cell}: the raise check \"{r['label']}\" has all its match strings in its label, which a "
                 "forged error could echo: keep at least one thing the message must say out of the label"
                 for cell in tests for r in reference.get(cell, {}).get("records", [])
                 if r["check"] == "raises" and r.get("match") and all(m in r["label"] for m in r["match"])]

    students = {"solution": submissions.fill(release_nb, source_nb), "blank": release_nb}
    mutants = [m for m in listed if m["name"] in applied] if grade_mutants else []  # the others are reported
    for m in mutants:
        students[f"mutant-{m['name']}".replace("_", "-")] = applied[m["name"]]
    for student, nb in students.items():
        submissions.write(nb, scratch.submission_path(module_id, student))
    autograde_all([module_id], c=scratch, workers=workers, progress=False)
    scores = {s: scratch.cell_scores(module_id, s) for s in students}

    for cell, points in tests.items():
        got = scores["solution"].get(cell, (None,))[0]
        if got != points:
            problems.append(f"{module_id}: the solution earns {got} of {points} points in {cell}: "
                            + failure_message(scratch, module_id, "solution", cell))
        got = scores["blank"].get(cell, (None,))[0]
        if got != 0:
            problems.append(f"{module_id}: the blank release earns {got} points in {cell} (a test that cannot fail)")
    for cell in sorted(outside):
        got = scores["blank"].get(cell, (None,))[0]
        if got != 0:
            problems.append(f"{module_id}: the blank release, handing in no model, earns {got} points in {cell}")
    covered, parts = set(), {cell: set() for cell in tests}
    for m in mutants:
        student = f"mutant-{m['name']}".replace("_", "-")
        for cell in (c for c in m["caught_by"] if c in tests):
            covered.add(cell)
            score = scores[student].get(cell, (None,))[0]
            if score is None or score >= tests[cell]:
                problems.append(f"{module_id}: mutant {m['name']} is not caught by {cell} (scored {score})")
                continue
            parts[cell].add(caught_where(scratch, module_id, student, cell))
            if _graded_cell(scratch, module_id, student, cell).metadata.get(FORGEABLE_ONLY):
                problems.append(f"{module_id}: mutant {m['name']} is caught in {cell} only by checks whose right record "
                                "is known in advance (assert_true, assert_same, assert_raises without match strings, "
                                "assert_outcomes whose inputs all raise), "
                                "which code in a kernel can forge: add a check of a value it computes wrong")
    for cell in sorted(covered):
        has_hidden = any(hidden_blocks(c.source) for c in source_nb.cells
                         if c.metadata.get("nbgrader", {}).get("grade_id") == cell)
        if "visible" not in parts[cell]:
            problems.append(f"{module_id}: the visible part of {cell} catches none of its mutants, so `nbgrader "
                            "validate` passes them: make a visible check catch the most common mistake")
        if has_hidden and "hidden" not in parts[cell]:
            problems.append(f"{module_id}: the hidden part of {cell} catches no mutant its visible part misses: add "
                            f"a mutant to tests/mutants/{module_id}.py that only the hidden checks catch")
    return problems
