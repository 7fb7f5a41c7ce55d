"""Autograde refuses, up front and in one clear line, a module it cannot grade faithfully (never released,
or source/ changed since its release), and leaves every grade already in the gradebook as it was."""
import nbformat

from classroom import course, submissions
from classroom.grading import autograde_all, read_events

MODULE = "01_tensor"


def test_unreleased_and_stale_modules_are_refused_and_grades_kept(scratch_course, capsys):
    c = scratch_course(MODULE)
    source = nbformat.read(str(course.source_notebook(MODULE)), as_version=4)
    submissions.write(source, c.submission_path(MODULE, "ada"))

    flagged = autograde_all([MODULE], c=c, workers=1, progress=False)
    assert [e["kind"] for e in flagged[(MODULE, "ada")]] == ["not_graded"]
    assert "has not been released: run `make release`" in read_events(c, MODULE, "ada")[0]["detail"]

    c.generate_assignment(MODULE)
    release = nbformat.read(str(c.root / "release" / MODULE / f"{MODULE}.ipynb"), as_version=4)
    submissions.write(submissions.fill(release, source), c.submission_path(MODULE, "ada"))
    assert not autograde_all([MODULE], c=c, workers=1)
    printed = capsys.readouterr()
    before = c.cell_scores(MODULE, "ada")
    total = sum(maximum for _, maximum, manual in before.values() if not manual)
    assert f"{MODULE}: ada {total:g}/{total:g}" in printed.out, "make autograde prints each submission's points"
    assert "autograde (" not in printed.err, "no progress bar when the output is not a terminal (a log file)"
    assert all(score == maximum for score, maximum, manual in before.values() if not manual)

    # an instructor edits a test in source/ but forgets to release it again
    path = c.root / "source" / MODULE / f"{MODULE}.ipynb"
    edited = nbformat.read(str(path), as_version=4)
    test = next(cell for cell in edited.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_exp_log")
    test.source += "\nassert_close(x.exp(), np.exp([0.0, 1.0, 2.0]), 'exp again')"
    nbformat.write(edited, str(path))
    flagged = autograde_all([MODULE], c=c, workers=1, progress=False)
    assert "changed after its release (test cells test_exp_log)" in flagged[(MODULE, "ada")][0]["detail"]
    assert c.cell_scores(MODULE, "ada") == before, "a refused run changes no grade"


def test_module_waits_until_everything_before_it_is_published(scratch_course):
    """Students of 02 build on 01's reference package: until 01 is published (its deadline passed), 02 cannot
    have been run as released, so grading it is refused with the step to take."""
    c = scratch_course("01_tensor", "02_activations")
    c = type(c)(c.root, {"Classroom.published": []})
    c.generate_assignment("02_activations")
    submissions.write(nbformat.read(str(c.release_path("02_activations")), as_version=4),
                      c.submission_path("02_activations", "ada"))
    flagged = autograde_all(["02_activations"], c=c, workers=1, progress=False)
    [event] = flagged[("02_activations", "ada")]
    assert event["kind"] == "not_graded" and "builds on 01_tensor, not published yet" in event["detail"]
    assert "c.Classroom.published" in event["detail"]
