"""Exports an LMS imports as it documents: Canvas's gradebook CSV (its identity columns, points, a Points
Possible row, no total) and Moodle's CSV grade import (username, points), after the roster is imported with
nbgrader's own command; each is read back and checked against the gradebook (field report: lms.csv had
student_id, percentages and a total column, which Canvas turns into a new assignment)."""
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
from nbgrader.api import Gradebook

from classroom import course, submissions
from classroom.grading import autograde_all
from classroom.report import build_report

MODULES = ["01_tensor", "02_activations"]
ROSTER = "id,first_name,last_name,email,lms_user_id\nada,Ada,Lovelace,ada@uni.edu,1001\nben,Ben,Okri,ben@uni.edu,1002\n"


def test_canvas_and_moodle_exports_read_back_as_the_gradebook(scratch_course, tmp_path):
    c = scratch_course(*MODULES)
    for m in MODULES:
        c.generate_assignment(m)
        release = nbformat.read(str(c.release_path(m)), as_version=4)
        submissions.write(submissions.fill(release, nbformat.read(str(course.source_notebook(m)), as_version=4)),
                          c.submission_path(m, "ada"))
    submissions.write(nbformat.read(str(c.release_path("01_tensor")), as_version=4), c.submission_path("01_tensor", "ben"))
    (tmp_path / "roster.csv").write_text(ROSTER)
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    subprocess.run([nbgrader, "db", "student", "import", str(tmp_path / "roster.csv"),
                    f"--CourseDirectory.db_url={c.db_url}"], cwd=tmp_path, check=True, capture_output=True)
    autograde_all(MODULES, c=c, workers=1, progress=False)
    build_report(c)
    out = c.root / "gradebook" / "exports"

    with Gradebook(c.db_url) as gb:
        expected = {(s.student.id, a.name): s.score for a in gb.assignments for s in a.submissions}
        maxima = {a.name: a.max_score for a in gb.assignments}

    canvas = pd.read_csv(out / "canvas.csv", dtype={"ID": str})
    assert list(canvas.columns) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *MODULES]
    assert canvas.iloc[0]["Student"] == "Points Possible"
    assert [canvas.iloc[0][m] for m in MODULES] == [maxima[m] for m in MODULES]
    people = canvas.iloc[1:].set_index("SIS Login ID")
    assert people.loc["ada", "Student"] == "Lovelace, Ada" and people.loc["ada", "ID"] == "1001"
    for (student, module), score in expected.items():
        assert people.loc[student, module] == round(score, 2)
    assert pd.isna(people.loc["ben", "02_activations"]), "no submission is no grade, not 0"

    moodle = pd.read_csv(out / "moodle.csv").set_index("username")
    assert list(moodle.columns) == ["email", *MODULES] and moodle.loc["ben", "email"] == "ben@uni.edu"
    for (student, module), score in expected.items():
        assert moodle.loc[student, module] == round(score, 2)
