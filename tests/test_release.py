"""release/ is nbgrader's output for source/: fresh, free of solutions and hidden tests, and runnable."""
import re

import nbformat
import pytest
from nbclient import NotebookClient

from classroom import course, submissions

MODULES = course.modules()
SOLUTION = re.compile(r"### BEGIN SOLUTION(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)


def _cells(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells}


def _release(module_id, root=course.ROOT):
    return nbformat.read(str(root / "release" / module_id / f"{module_id}.ipynb"), as_version=4)


@pytest.mark.parametrize("module_id", MODULES)
def test_release_matches_a_fresh_generate_assignment(module_id, scratch_course):
    scratch = scratch_course(module_id)
    scratch.generate_assignment(module_id)
    fresh, committed = _release(module_id, scratch.root), _release(module_id)
    assert [c.source for c in committed.cells] == [c.source for c in fresh.cells], \
        f"release/{module_id} is stale: run `make release`"
    assert [c.metadata for c in committed.cells] == [c.metadata for c in fresh.cells], \
        f"release/{module_id} metadata is stale: run `make release`"


@pytest.mark.parametrize("module_id", MODULES)
def test_the_export_marker_is_explained_before_its_first_use(module_id):
    """Students meet `#| export` at the top of code cells; the locked header says what it is before that."""
    cells = _release(module_id).cells
    first = next(i for i, c in enumerate(cells) if c.cell_type == "code" and c.source.startswith("#| export"))
    assert any("`#| export`" in c.source for c in cells[:first] if c.cell_type == "markdown"), \
        f"release/{module_id}: the export marker is used before anything explains it (source/header.ipynb)"


@pytest.mark.parametrize("module_id", MODULES)
def test_release_holds_no_solution_and_no_hidden_test(module_id):
    source = nbformat.read(str(course.source_notebook(module_id)), as_version=4)
    released = "\n".join(c.source for c in _release(module_id).cells)
    given = "\n".join(SOLUTION.sub("", HIDDEN.sub("", c.source)) for c in source.cells)
    given_lines = {line.strip() for line in given.splitlines()}
    for c in source.cells:
        for region in SOLUTION.findall(c.source) + HIDDEN.findall(c.source):
            for line in region.splitlines():
                line = line.strip().lstrip("# ").strip()
                if len(line) > 12 and line not in given_lines and not any(line in g for g in given_lines):
                    assert line not in released, f"release/{module_id} leaks: {line!r}"
    for marker in ["BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"]:
        assert marker not in released


@pytest.mark.parametrize("module_id", MODULES)
def test_released_notebook_runs_top_to_bottom_with_only_the_expected_failures(module_id, tmp_path):
    """What a student sees on "Run All": given cells work; only answers and tests fail, as NotImplementedError
    or AssertionError — never an error from the notebook's own machinery."""
    nb = _release(module_id)
    NotebookClient(nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(tmp_path)}}).execute()
    failing_tests = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        meta = cell.metadata["nbgrader"]
        is_test = meta.get("grade") and not meta.get("solution")
        if not is_test:
            assert not errors, f"{module_id}: cell {meta['grade_id']} raised {errors[0].ename}: {errors[0].evalue}"
        elif errors:
            failing_tests += 1
            assert errors[0].ename in {"NotImplementedError", "AssertionError"}, \
                f"{module_id}: test {meta['grade_id']} fails with {errors[0].ename}: {errors[0].evalue}"
    assert failing_tests == sum(1 for c in nb.cells if c.metadata["nbgrader"].get("grade")
                                and not c.metadata["nbgrader"].get("solution")), "every test must fail on the stub"


@pytest.mark.parametrize("module_id", MODULES)
def test_nbgrader_validate_reports_failures_on_the_release_and_passes_the_solution(module_id, tmp_path):
    from nbgrader.validator import Validator
    release = _release(module_id)
    blank, solved = tmp_path / "blank.ipynb", tmp_path / "solved.ipynb"
    submissions.write(release, blank)
    source = nbformat.read(str(course.source_notebook(module_id)), as_version=4)
    submissions.write(submissions.fill(release, source), solved)
    assert Validator().validate(str(blank)).get("failed"), f"{module_id}: validate passes an empty notebook"
    result = Validator().validate(str(solved))
    assert not result.get("failed") and not result.get("errors"), f"{module_id}: validate fails the solution: {result}"
