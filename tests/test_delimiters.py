"""The course reads nbgrader's delimiters from nbgrader's own configuration, so what it strips, hides and checks
is what nbgrader releases (classroom/delimiters.py)."""
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from classroom import delimiters as delimiters_module
from classroom.delimiters import delimiters
from classroom.hidden_tests import hidden_blocks
from classroom.submissions import strip_markers


def test_the_delimiters_are_nbgraders_own():
    d = delimiters()
    assert (d.begin_solution, d.end_solution) == (ClearSolutions().begin_solution_delimeter,
                                                  ClearSolutions().end_solution_delimeter)
    assert (d.begin_hidden, d.end_hidden) == (ClearHiddenTests().begin_test_delimeter,
                                              ClearHiddenTests().end_test_delimeter)


def test_a_course_that_configures_other_delimiters_is_read_with_them(monkeypatch, tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        'c = get_config()\nc.ClearSolutions.begin_solution_delimeter = "START ANSWER"\n'
        'c.ClearSolutions.end_solution_delimeter = "STOP ANSWER"\n'
        'c.ClearHiddenTests.begin_test_delimeter = "SECRET START"\nc.ClearHiddenTests.end_test_delimeter = "SECRET STOP"\n')
    monkeypatch.setattr(delimiters_module.course, "ROOT", tmp_path)
    delimiters.cache_clear()
    try:
        assert strip_markers("def f():\n    # START ANSWER\n    return 1\n    # STOP ANSWER") == "def f():\n    return 1"
        [block] = hidden_blocks("check(1)\n# SECRET START\n# hint: zero\ncheck(0)\n# SECRET STOP")
        assert (block.start, block.end, block.hint) == (2, 5, "zero")
    finally:
        delimiters.cache_clear()
