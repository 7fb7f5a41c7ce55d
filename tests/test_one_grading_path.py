"""One grading path: plain `nbgrader autograde` with the course's nbgrader_config.py gives the grades
`make autograde` gives, because the verdict is an nbgrader preprocessor (CompareChecks), not a wrapper."""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from classroom import course, submissions
from classroom.grading import autograde_all
from classroom.nbgrader_api import Course
from tests.redteam.value_attacks import FIELD_TWO_LINES, _first_test

MODULE = "01_tensor"


def test_plain_nbgrader_autograde_gives_the_same_grades(tmp_path):
    shutil.copytree(course.SOURCE / MODULE, tmp_path / "source" / MODULE)
    shutil.copy(course.ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    c = Course(tmp_path)
    c.generate_assignment(MODULE)
    release = nbformat.read(str(c.root / "release" / MODULE / f"{MODULE}.ipynb"), as_version=4)
    source = nbformat.read(str(course.source_notebook(MODULE)), as_version=4)
    mutant = submissions.mutants(MODULE)[0]
    wrong = submissions.fill(release, source, mutant)
    attacked = submissions.fill(release, source, mutant)
    attacked.cells.insert(attacked.cells.index(_first_test(attacked)), nbformat.v4.new_code_cell(FIELD_TWO_LINES))
    for path in ("classroom", "nbgrader"):
        submissions.write(wrong, c.submission_path(MODULE, f"wrong-via-{path}"))
        submissions.write(attacked, c.submission_path(MODULE, f"attack-via-{path}"))

    autograde_all([MODULE], students=["wrong-via-classroom", "attack-via-classroom"], c=c, workers=2, progress=False)
    nbgrader = Path(sys.executable).parent / "nbgrader"
    for student in ["wrong-via-nbgrader", "attack-via-nbgrader"]:
        subprocess.run([str(nbgrader), "autograde", MODULE, "--student", student, "--force"], cwd=tmp_path,
                       check=True, capture_output=True)

    def scores(student):
        return {cell: s[0] for cell, s in c.cell_scores(MODULE, student).items()}
    wrong_scores = scores("wrong-via-classroom")
    assert sum(wrong_scores.values()) < sum(s[1] for s in c.cell_scores(MODULE, "wrong-via-classroom").values())
    for cell in mutant["caught_by"]:
        assert wrong_scores[cell] == 0, f"{mutant['name']} must fail {cell}"
    assert scores("wrong-via-nbgrader") == wrong_scores
    for path in ("classroom", "nbgrader"):
        got = scores(f"attack-via-{path}")
        assert all(got[cell] <= wrong_scores[cell] for cell in wrong_scores), (path, got, wrong_scores)
