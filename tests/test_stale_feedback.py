"""Feedback and autograded/ always describe a student's latest submission (field case
stale-feedback-after-bad-resubmit: a truncated resubmission scored 0, yet `make feedback` rebuilt the feedback
from the previous autograded notebook, hidden tests "passed" next to "Score: 0.0")."""
import os
import time

import nbformat

from classroom import course, submissions
from classroom.grading import autograde_all, feedback_all

MODULE = "01_tensor"


def _graded_once(scratch_course, student):
    c = scratch_course(MODULE)
    c.generate_assignment(MODULE)
    release = nbformat.read(str(c.root / "release" / MODULE / f"{MODULE}.ipynb"), as_version=4)
    good = submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4))
    path = c.submission_path(MODULE, student)
    submissions.write(good, path)
    assert not autograde_all([MODULE], c=c, workers=1, progress=False)
    assert not feedback_all([MODULE], c=c)
    assert "passed" in (c.root / "feedback" / student / MODULE / f"{MODULE}.html").read_text()
    return c, path


def test_unreadable_resubmission_replaces_old_feedback_with_the_reason(scratch_course):
    c, path = _graded_once(scratch_course, "resub")
    path.write_bytes(path.read_bytes()[:500])  # the browser's upload was cut off
    events = autograde_all([MODULE], c=c, workers=1, progress=False)[(MODULE, "resub")]
    assert [e["kind"] for e in events] == ["invalid_notebook"]
    assert not c.submission_path(MODULE, "resub", "autograded").parent.exists()

    assert not feedback_all([MODULE], c=c)
    folder = c.root / "feedback" / "resub" / MODULE
    assert sorted(p.name for p in folder.iterdir()) == [f"{MODULE}.html"]  # no notebook from the old grading
    page = (folder / f"{MODULE}.html").read_text()
    assert "could not be graded" in page and "invalid_notebook" in page and "scores 0 points" in page
    assert "passed" not in page and "class Tensor" not in page


def test_resubmission_not_yet_graded_gets_no_feedback(scratch_course):
    c, path = _graded_once(scratch_course, "late")
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("one more thought"))
    nbformat.write(nb, str(path))
    later = time.time() + 5  # a resubmission is always newer than the grading it follows
    os.utime(path, (later, later))

    failures = feedback_all([MODULE], c=c)
    assert [(m, s) for m, s, _ in failures] == [(MODULE, "late")]
    assert "make autograde" in failures[0][2]
    assert not (c.root / "feedback" / "late" / MODULE).exists()
