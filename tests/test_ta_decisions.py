"""Nothing automatic overwrites what a person entered: a TA's grade of a written answer and a TA's override of
an autograded cell survive any number of regrades, and the report calls a graded answer graded (field report:
after a regrade every answer a TA had graded was back under "Needs your grading")."""
import nbformat
import pandas as pd
from nbgrader.api import Gradebook

from classroom import course, exports, submissions
from classroom.grading import autograde_all
from classroom.report import build_report

MODULE = "01_tensor"


def test_ta_grades_survive_two_regrades_and_leave_the_queue(scratch_course):
    c = scratch_course(MODULE)
    c.generate_assignment(MODULE)
    release = nbformat.read(str(c.release_path(MODULE)), as_version=4)
    solution = submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4))
    for student in ("ada", "bob"):
        submissions.write(solution, c.submission_path(MODULE, student))
    autograde_all([MODULE], c=c, workers=1, progress=False)

    with Gradebook(c.db_url) as gb:  # a TA grades ada's written answer and overrides one autograded cell
        grades = {g.name: g for g in gb.find_submission_notebook(MODULE, MODULE, "ada").grades}
        grades["written_views_vs_copies"].manual_score = 1.5
        grades["test_matmul"].manual_score = 1.0
        gb.db.commit()

    for _ in range(2):
        autograde_all([MODULE], c=c, workers=1, progress=False)
        with Gradebook(c.db_url) as gb:
            grades = {g.name: g for g in gb.find_submission_notebook(MODULE, MODULE, "ada").grades}
            assert grades["written_views_vs_copies"].score == 1.5 and grades["test_matmul"].score == 1.0
        assert exports.awaiting_manual_grade(c.db_url) == {"ada": 0, "bob": 1}
        build_report(c)
        queue = pd.read_csv(c.root / "gradebook" / "exports" / "manual_queue.csv")
        assert queue[["student", "cell"]].values.tolist() == [["bob", "written_views_vs_copies"]]
