"""`make check` for every module: solution full marks, blank release zero, every mutant caught (via nbgrader)."""
import pytest

from classroom import course
from classroom.check import check_module


@pytest.mark.parametrize("module_id", course.modules())
def test_module_tests_are_trustworthy(module_id, tmp_path):
    problems = check_module(module_id, tmp_path, workers=1)  # xdist already runs modules side by side
    assert not problems, "\n".join(problems)
