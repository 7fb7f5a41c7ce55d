"""Every notebook has one shape: each section is narrative, then its solution cell(s), then its tests; the written
question (for TAs) is the last graded cell. Students then meet each test right after the code it checks."""
import nbformat
import pytest

from classroom import course

LONGEST_SOLUTION_CELL = 150  # lines: a longer cell holds more than one section's code
NOT_YET = {  # known debts (issue 7); strict, so the test says when they are paid
}


def role(cell):
    """m narrative, Q written question, S solution code, T test, c other code."""
    info = cell.metadata.get("nbgrader", {})
    if cell.cell_type == "markdown":
        return "Q" if info.get("solution") and info.get("grade") else "m"
    if info.get("grade") and not info.get("solution"):
        return "T"
    return "S" if info.get("solution") else "c"


def roles(nb):
    return "".join(role(cell) for cell in nb.cells)


def shape_problems(nb):
    seq, problems = roles(nb), []
    if "Q" not in seq:
        problems.append("no written question")
    elif any(r in "ST" for r in seq[seq.rindex("Q") + 1:]):
        problems.append("graded cells after the written question")
    untested = False  # a solution cell whose tests have not come yet
    for i, r in enumerate(seq):
        if r == "S" and untested and "m" in seq[last_solution:i]:
            problems.append(f"cell {i} starts a new section's solution before cell {last_solution}'s tests")
        if r == "S":
            untested, last_solution = True, i
        elif r == "T":
            untested = False
    if untested:
        problems.append(f"solution cell {last_solution} has no test after it")
    for i, cell in enumerate(nb.cells):
        if role(cell) == "S" and len(cell.source.splitlines()) > LONGEST_SOLUTION_CELL:
            problems.append(f"solution cell {i} has {len(cell.source.splitlines())} lines (more than one section's code)")
    return problems


@pytest.mark.parametrize("module_id", [
    pytest.param(m, marks=pytest.mark.xfail(reason=NOT_YET[m], strict=True)) if m in NOT_YET else m
    for m in course.modules()])
def test_each_section_is_narrative_then_solution_then_tests(module_id):
    nb = nbformat.read(str(course.source_notebook(module_id)), as_version=4)
    assert not shape_problems(nb), shape_problems(nb)


def _notebook(letters):
    cells = []
    for r in letters:
        cell = nbformat.v4.new_markdown_cell("## x") if r in "mQ" else nbformat.v4.new_code_cell("x = 1")
        if r != "m":
            cell.metadata["nbgrader"] = {"solution": r in "SQ", "grade": r in "TQ"}
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


def test_the_rule_sees_tests_left_to_the_end_and_a_question_before_a_test():
    assert shape_problems(_notebook("mSTmSTQ")) == []
    assert shape_problems(_notebook("mSmSTTQ")) == ["cell 3 starts a new section's solution before cell 1's tests"]
    assert shape_problems(_notebook("mSQT")) == ["graded cells after the written question"]
