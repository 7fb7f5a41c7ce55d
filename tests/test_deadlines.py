"""Due dates, a documented late policy and per-student extensions reach every grade: nbgrader's gradebook, the
feedback and every export (field report: a student five days late kept 84% in lms.csv while nbgrader's own
export said 0; an extension could not be granted before a first grading, and was erased by a regrade)."""
import nbformat
import pandas as pd
import pytest
from nbgrader.api import Gradebook

from classroom import course, deadlines, submissions
from classroom.grading import autograde_all, feedback_all
from classroom.report import build_report

MODULE = "01_tensor"
DUE = "2026-11-01 12:00:00 UTC"
HANDED_IN = {"ontime": "2026-11-01 12:10:00 UTC",   # inside the 15 minutes of grace
             "late": "2026-11-06 12:00:00 UTC",     # 5 days late: 50% (the cap)
             "ext": "2026-11-05 11:00:00 UTC",      # 4 days late, 3 days' extension: 1 day late, 10%
             "broke": "2026-11-05 11:00:00 UTC"}    # extension, then an unreadable resubmission


def test_percent_per_day_policy():
    policy = deadlines.PercentPerDay()
    assert policy.late_submission_penalty("s", 10.0, 14 * 60) is None
    assert policy.late_submission_penalty("s", 10.0, 16 * 60) == pytest.approx(1.0)
    assert policy.late_submission_penalty("s", 10.0, 86400 + 16 * 60) == pytest.approx(2.0)
    assert policy.late_submission_penalty("s", 10.0, 30 * 86400) == pytest.approx(5.0)


def _lateness(c):
    build_report(c)
    table = pd.read_csv(c.root / "gradebook" / "exports" / "lateness.csv").set_index("student")
    lms = pd.read_csv(c.root / "gradebook" / "exports" / "lms.csv").set_index("student_id")
    return table, lms


def test_late_penalties_and_extensions_reach_every_export_and_survive_regrading(scratch_course):
    c = scratch_course(MODULE)
    c.generate_assignment(MODULE)
    deadlines.set_due_date(c, MODULE, DUE)
    c.generate_assignment(MODULE)  # a re-release keeps the due date
    for student in ("ext", "broke"):  # granted before anything was handed in or graded
        deadlines.grant_extension(c, MODULE, student, 3 * 24 * 60, "illness")
    release = nbformat.read(str(c.release_path(MODULE)), as_version=4)
    solution = submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4))
    for student, when in HANDED_IN.items():
        path = c.submission_path(MODULE, student)
        submissions.write(solution, path)
        (path.parent / "timestamp.txt").write_text(when)

    for _ in range(2):  # every regrade gives the same
        autograde_all([MODULE], c=c, workers=1, progress=False)
        table, lms = _lateness(c)
        assert table.loc["ontime", "penalty"] == 0 and table.loc["ontime", "final_score"] == 14
        assert table.loc["late", "hours_late"] == 120 and table.loc["late", "penalty"] == 7
        assert table.loc["ext", "extension_hours"] == 72 and table.loc["ext", "hours_late"] == 23
        assert table.loc["ext", "final_score"] == pytest.approx(12.6)
        assert lms.loc["late", MODULE] == pytest.approx(100 * 7 / 16)  # final score, as nbgrader's own export

    # the extended student's resubmission cannot be read: graded zero, the extension still there
    c.submission_path(MODULE, "broke").write_text("{ not a notebook")
    autograde_all([MODULE], [("broke")], c=c, workers=1, progress=False)
    with Gradebook(c.db_url) as gb:
        assert gb.find_submission(MODULE, "broke").extension.days == 3

    # a TA grades late's written answer, and late gets an extension after grading: both count at once
    with Gradebook(c.db_url) as gb:
        gb.find_grade("written_views_vs_copies", MODULE, MODULE, "late").manual_score = 2.0
        gb.db.commit()
    table, _ = _lateness(c)
    assert table.loc["late", "raw_score"] == 16 and table.loc["late", "final_score"] == 8
    deadlines.grant_extension(c, MODULE, "late", 5 * 24 * 60)
    table, lms = _lateness(c)
    assert table.loc["late", "penalty"] == 0 and lms.loc["late", MODULE] == 100
    assert not feedback_all([MODULE], ["late", "ext"], c)
    page = (c.root / "feedback" / "ext" / MODULE / f"{MODULE}.html").read_text()
    assert "Late submission penalty (Score: -1.4)" in page
