"""The authoring gate for every module, in two halves.

Here, in `make test`: solution full marks, blank release zero, authoring rules, reference passes, and a mutant
list that applies and names every test cell. Grading every mutant (each caught where it says, by the visible
and the hidden part) is `make check`, which `.ci/run` runs after `make test`; `tests/test_gate_rules.py` shows
that half refuses what it must on small modules."""
import pytest

from classroom import course
from classroom.check import check_module


@pytest.mark.parametrize("module_id", course.modules())
def test_module_tests_are_trustworthy(module_id, tmp_path):
    problems = check_module(module_id, tmp_path, workers=1, grade_mutants=False)  # xdist runs modules side by side
    assert not problems, "\n".join(problems)
