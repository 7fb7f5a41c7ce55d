"""The authoring gate's static rules, on hand-made cells (fast): what `make check` refuses before grading."""
from nbformat.v4 import new_code_cell, new_notebook

from classroom.check import authoring_problems, in_kernel_verdicts


def _cell(source, grade_id, solution=False, grade=False):
    return new_code_cell(source, metadata={"nbgrader": {"grade_id": grade_id, "solution": solution, "grade": grade,
                                                        "locked": not solution, "schema_version": 3}})


def test_a_solution_cell_without_delimiters_is_refused():
    good = _cell("#| export\nclass A:\n    def f(self):\n        ### BEGIN SOLUTION\n        return 1\n"
                 "        ### END SOLUTION", "a", solution=True)
    bare = _cell("#| export\nclass B:\n    def f(self):\n        return 1", "b", solution=True)
    problems = authoring_problems(new_notebook(cells=[good, bare]))
    assert len(problems) == 1 and "solution cell b has no `### BEGIN SOLUTION`" in problems[0]


def test_a_hidden_block_without_a_hint_is_refused():
    hinted = _cell("assert_close(f(1), 2, 'one')\n### BEGIN HIDDEN TESTS\n# hint: f(0) must be 1, not 0\n"
                   "assert_close(f(0), 1, 'zero')\n### END HIDDEN TESTS", "test_a", grade=True)
    bare = _cell("assert_close(f(1), 2, 'one')\n### BEGIN HIDDEN TESTS\nassert_close(f(0), 1, 'zero')\n"
                 "### END HIDDEN TESTS", "test_b", grade=True)
    terse = _cell("### BEGIN HIDDEN TESTS\n# hint: zero\nassert_close(f(0), 1, 'zero')\n### END HIDDEN TESTS",
                  "test_c", grade=True)
    essay = _cell("### BEGIN HIDDEN TESTS\n# hint: " + "x" * 301 + "\nassert_close(f(0), 1, 'zero')\n"
                  "### END HIDDEN TESTS", "test_d", grade=True)
    problems = authoring_problems(new_notebook(cells=[hinted, bare, terse, essay]))
    assert problems == ["test_b: the hidden block at line 2 has no `# hint: <one line>` as its first line "
                        "(what students read when it fails)",
                        "test_c: the hint of the hidden block at line 1 has 4 characters; feedback shows 20-300 "
                        "(one readable line)",
                        "test_d: the hint of the hidden block at line 1 has 301 characters; feedback shows 20-300 "
                        "(one readable line)"]


def test_verdicts_computed_in_the_kernel_are_refused():
    cell = _cell("assert f(1) == 2\ntry:\n    f(None)\nexcept TypeError:\n    pass\nif f(2) != 3:\n"
                 "    raise AssertionError('two')\nassert_close(f(3), 4, 'three')", "test_c", grade=True)
    found = in_kernel_verdicts(new_notebook(cells=[cell]))
    assert [(line, what) for _, line, what in found] == [(1, "`assert`"), (2, "`try`"), (7, "`raise`")]
