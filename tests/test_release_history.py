"""Fixing a test mid-term does not make honest students look like tamperers: a student's copy of a locked cell
that matches any version the course released is not an edit (field report: after a re-release, every earlier
submission was flagged "a locked cell was edited"). Re-releasing a module students already hold is an
explicit act, recorded with its reason in gradebook/release_history/<module>.json."""
import json
import subprocess
import sys

import nbformat
import pytest

from classroom import course, release_history, submissions
from classroom.grading import autograde_all
from classroom.nbgrader_api import ReleaseRefused

MODULE = "01_tensor"
FIX = ('"a * 2")', '"a * 2 (a number broadcasts to every element)")')


def _solution(c):
    release = nbformat.read(str(c.release_path(MODULE)), as_version=4)
    return submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4))


def test_copies_of_every_released_version_are_not_tampering(scratch_course):
    c = scratch_course(MODULE)
    c.generate_assignment(MODULE)
    submissions.write(_solution(c), c.submission_path(MODULE, "early"))  # fetched before the fix

    source_path = c.root / "source" / MODULE / f"{MODULE}.ipynb"
    source = nbformat.read(str(source_path), as_version=4)
    cell = next(x for x in source.cells if x.metadata.get("nbgrader", {}).get("grade_id") == "test_arithmetic")
    assert cell.source.count(FIX[0]) == 1
    cell.source = cell.source.replace(*FIX)
    nbformat.write(source, str(source_path))

    with pytest.raises(ReleaseRefused, match="test_arithmetic"):
        c.generate_assignment(MODULE)  # students hold the module: changing its tests must be asked for
    assert FIX[1] not in c.release_path(MODULE).read_text()
    c.generate_assignment(MODULE, rerelease_note="clearer label for a * 2")
    history = release_history.versions(c.root, MODULE)
    assert [v["note"] for v in history] == ["first release", "clearer label for a * 2"]
    assert history[0]["locked"]["test_arithmetic"] != history[1]["locked"]["test_arithmetic"]

    submissions.write(_solution(c), c.submission_path(MODULE, "late"))  # fetched after it
    edited = _solution(c)
    test = next(x for x in edited.cells if x.metadata.get("nbgrader", {}).get("grade_id") == "test_arithmetic")
    test.source = test.source.replace(FIX[1], '"anything")')
    submissions.write(edited, c.submission_path(MODULE, "editor"))

    problems = autograde_all([MODULE], c=c, workers=1, progress=False)
    assert sorted(s for _, s in problems) == ["editor"]
    assert [(e["kind"], e["cell"]) for e in problems[(MODULE, "editor")]] == [("tampering", "test_arithmetic")]
    for student in ("early", "late", "editor"):  # every copy is graded with the current tests
        scores = c.cell_scores(MODULE, student)
        assert all(score == maximum for score, maximum, manual in scores.values() if not manual), (student, scores)


def test_make_release_refuses_a_silent_rerelease_and_needs_a_note():
    run = subprocess.run([sys.executable, "-m", "classroom.cli", "release", "--rerelease", MODULE],
                         capture_output=True, text=True, cwd=course.ROOT)
    assert run.returncode == 1 and "needs a note" in run.stdout
