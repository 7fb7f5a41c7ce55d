"""LMS intake (issue 15, item 3): an LMS's download is collected into submitted/<student>/<module>/ through nbgrader's
zip_collect with a collector plugin per LMS (classroom/collectors.py), by the commands README "Running a term"
step 3 gives (`make collect-canvas|collect-moodle|collect-blackboard` = `classroom.cli collect <lms> ...`).

Field report: with the shipped configuration zip_collect collected nothing; with the documented pattern a Canvas
resubmission `01_tensor-1.ipynb` was graded 0 as wrong_name, and no submission time reached timestamp.txt.
The fixture archives are built here, in each LMS's naming, from the released notebook."""
import csv
import json
import zipfile

import nbformat
import pytest
from nbgrader.api import Gradebook

from classroom import course, deadlines, intake, submissions
from classroom.cli import main
from classroom.grading import autograde_all
from classroom.report import integrity_table

MODULE = "01_tensor"
ROSTER = [  # id, email, lms_user_id
    ("ada", "ada@uni.example", "1001"),
    ("bob", "bob@uni.example", "1002"),
    ("cy", "cy@uni.example", "1003"),
    ("dee", "dee@uni.example", ""),
    ("twin1", "t1@uni.example", "7777"),
    ("twin2", "t2@uni.example", "7777"),
    ("doe", "doe@uni.example", ""),
    ("j_doe", "jd@uni.example", ""),
]


@pytest.fixture
def term(scratch_course, tmp_path):
    def make(**overrides):
        c = scratch_course(MODULE)
        for key, value in overrides.items():
            section, trait = key.split(".")
            setattr(c.config[section], trait, value)
        c.generate_assignment(MODULE)
        with Gradebook(c.db_url) as gb:
            for sid, email, lms_id in ROSTER:
                gb.update_or_create_student(sid, email=email, lms_user_id=lms_id or None)
        return c
    return make


def _notebooks(c):
    release = nbformat.read(str(c.release_path(MODULE)), as_version=4)
    solution = submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4))
    return release, solution


def _tagged(nb, tag):
    """The notebook, marked so the test can tell which attempt was filed."""
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    nb.metadata["attempt"] = tag
    return nbformat.writes(nb)


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return path


def _filed(c, student):
    path = c.submission_path(MODULE, student)
    stamp = path.parent / "timestamp.txt"
    attempt = nbformat.read(str(path), as_version=4).metadata.get("attempt") if path.is_file() else None
    return attempt, (stamp.read_text().strip() if stamp.is_file() else None)


def _kinds(c, student):
    return [e["kind"] for e in intake.read_log(c.root, MODULE)["students"].get(student, [])]


@pytest.fixture(autouse=True)
def _scratch_cli(monkeypatch):
    """`classroom.cli collect` on the scratch course the test made (the command grades course.ROOT otherwise)."""
    monkeypatch.setattr("classroom.nbgrader_api.Course", lambda: _COURSE[0])


_COURSE = [None]


def _collect(c, lms, archive, times=None):
    """What `make collect-<lms> MODULE=01_tensor ZIP=... TIMES=...` runs (README, "Running a term", step 3)."""
    _COURSE[0] = c
    return main(["collect", lms, MODULE, str(archive)] + (["--times", str(times)] if times else []))


def test_canvas_suffixed_resubmission_is_graded_as_the_notebook(term, tmp_path):
    c = term()
    release, solution = _notebooks(c)
    archive = _zip(tmp_path / "submissions.zip", {
        "lovelaceada_1001_5001_01_tensor-1.ipynb": _tagged(solution, "ada-1"),           # resubmitted once
        "babbagebob_late_1002_5002_01_tensor.ipynb": _tagged(release, "bob"),             # Canvas marks it late
        "hoppercy_1003_5003_01_tensor.ipynb": _tagged(release, "cy-0"),                   # three copies
        "hoppercy_1003_5003_01_tensor-2.ipynb": _tagged(release, "cy-2"),
        "hoppercy_1003_5003_01_tensor-1.ipynb": _tagged(release, "cy-1"),
        "hoppercy_1003_5003_notes.pdf": "%PDF",
        "strangerx_9999_5009_01_tensor.ipynb": _tagged(release, "x"),                     # not in the roster
        "twinst_7777_5010_01_tensor.ipynb": _tagged(release, "twin"),                     # two roster entries
    })
    times = tmp_path / "times.csv"  # Canvas Submissions API: user_id, submitted_at
    times.write_text("user_id,submitted_at\n1001,2026-11-01T11:00:00Z\n1002,2026-11-03T09:30:00Z\n")

    assert _collect(c, "canvas", archive, times) == 1  # files were refused: say so
    assert _filed(c, "ada") == ("ada-1", "2026-11-01 11:00:00")
    assert _filed(c, "bob") == ("bob", "2026-11-03 09:30:00")
    assert _filed(c, "cy") == ("cy-2", None)   # the latest by Canvas's numbering; Canvas gives no time
    assert sorted(p.name for p in c.submission_path(MODULE, "cy").parent.iterdir()) == [f"{MODULE}.ipynb"]
    assert _kinds(c, "ada") == ["lms_renamed"]
    assert _kinds(c, "cy") == ["lms_attempt_chosen", "lms_renamed", "lms_no_time"]
    refused = intake.read_log(c.root, MODULE)["refused"]
    assert {e["kind"] for e in refused.values()} == {"lms_unmapped", "lms_ambiguous"}
    assert not any((c.root / "submitted" / s).exists() for s in ("twin1", "twin2", "9999", "strangerx"))
    table = integrity_table(c.root)
    assert {"lms_renamed", "lms_unmapped", "lms_ambiguous", "lms_no_time"} <= set(table["kind"])

    # a later download without times cannot show ada's other file is newer: her timed submission stays
    untimed = _zip(tmp_path / "again.zip", {"lovelaceada_1001_5001_01_tensor-1.ipynb": _tagged(release, "ada-x")})
    assert _collect(c, "canvas", untimed) == 0
    assert _filed(c, "ada") == ("ada-1", "2026-11-01 11:00:00")
    assert _kinds(c, "ada") == ["lms_renamed", "lms_untimed_attempt"]

    assert not autograde_all([MODULE], ["ada"], c=c, workers=1, progress=False)
    scores = c.cell_scores(MODULE, "ada")
    assert scores and all(score == top for score, top, manual in scores.values() if not manual), scores


def test_moodle_worksheet_times_and_late_policy(term, tmp_path):
    c = term(**{"LmsCollector.timezone": "Europe/Zurich"})
    deadlines.set_due_date(c, MODULE, "2026-11-01 12:00:00 UTC")
    _, solution = _notebooks(c)
    archive = _zip(tmp_path / "moodle.zip", {
        # a folder per student ("Download submissions in folders") ...
        "Ada Lovelace_2001_assignsubmission_file_/01_tensor.ipynb": _tagged(solution, "ada"),
        # ... or flat; dee has no lms_user_id and is found by the worksheet's email
        "Dee Dee_2004_assignsubmission_file_01_tensor (1).ipynb": _tagged(solution, "dee"),
        "Bob Babbage_1002_assignsubmission_file_01_tensor.ipynb": _tagged(solution, "bob"),
        "Eve Nobody_2999_assignsubmission_file_01_tensor.ipynb": _tagged(solution, "eve"),
    })
    worksheet = tmp_path / "grades.csv"
    with worksheet.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum grade",
                    "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"])
        w.writerow(["Participant 2001", "Ada Lovelace", "ada@uni.example", "Submitted for grading", "", "100", "Yes",
                    "Sunday, 1 November 2026, 1:05 PM", "-", ""])           # 12:05 UTC: in the grace period
        w.writerow(["Participant 2004", "Dee Dee", "DEE@uni.example", "Submitted for grading", "", "100", "Yes",
                    "Tuesday, 3 November 2026, 10:00 AM", "-", ""])         # 09:00 UTC, 2 days late: 20%
        w.writerow(["Participant 1002", "Bob Babbage", "bob@uni.example", "Submitted for grading", "", "100", "Yes",
                    "gestern abend", "-", ""])                              # not a time: said, not guessed
    assert _collect(c, "moodle", archive, worksheet) == 1
    assert _filed(c, "ada") == ("ada", "2026-11-01 12:05:00")
    assert _filed(c, "dee") == ("dee", "2026-11-03 09:00:00")
    assert _filed(c, "bob") == ("bob", None) and _kinds(c, "bob") == ["lms_no_time"]
    assert "'gestern abend' cannot be read" in intake.read_log(c.root, MODULE)["students"]["bob"][0]["detail"]
    assert _kinds(c, "dee") == ["lms_renamed"]
    assert [e["kind"] for e in intake.read_log(c.root, MODULE)["refused"].values()] == ["lms_unmapped"]

    with Gradebook(c.db_url) as gb:  # the roster is fixed; the same download again files eve and nothing else
        gb.update_or_create_student("eve", lms_user_id="2999")
    ada_mtime = c.submission_path(MODULE, "ada").stat().st_mtime_ns
    assert _collect(c, "moodle", archive, worksheet) == 0
    assert _filed(c, "eve") == ("eve", None) and not intake.read_log(c.root, MODULE)["refused"]
    assert c.submission_path(MODULE, "ada").stat().st_mtime_ns == ada_mtime

    assert not autograde_all([MODULE], ["ada", "dee"], c=c, workers=1, progress=False)
    with Gradebook(c.db_url) as gb:
        ada, dee = gb.find_submission(MODULE, "ada"), gb.find_submission(MODULE, "dee")
        assert ada.late_submission_penalty == 0 and ada.code_score == 14
        assert dee.total_seconds_late == pytest.approx(2 * 86400 - 3 * 3600)
        assert dee.late_submission_penalty == pytest.approx(0.2 * dee.score)


def test_blackboard_times_from_names_newer_attempt_wins_and_recollecting_changes_nothing(term, tmp_path):
    c = term(**{"LmsCollector.timezone": "America/New_York"})
    release, _ = _notebooks(c)
    receipt = ("Name: Bob Babbage (bob)\nAssignment: Tensor\nDate Submitted: Monday, November 2, 2026 9:00:00 "
               "AM EST\nCurrent Grade: Needs Grading\n\nSubmission Field:\nThere is no student submission text "
               "data for this assignment.\n\nComments:\nThere are no student comments for this assignment.\n\n"
               "Files:\n\tOriginal filename: 01_tensor.ipynb\n\tFilename: Tensor_bob_attempt_2026-11-02-09-00-00_"
               "01_tensor.ipynb\n")
    first = _zip(tmp_path / "gradebook_tensor.zip", {
        "Tensor_bob_attempt_2026-11-01-08-00-00_01_tensor.ipynb": _tagged(release, "bob-1"),
        "Tensor_bob_attempt_2026-11-01-08-00-00.txt": receipt,
        "Tensor_bob_attempt_2026-11-02-09-00-00_01_tensor.ipynb": _tagged(release, "bob-2"),
        "Tensor_bob_attempt_2026-11-02-09-00-00.txt": receipt,
        "Tensor_ada_attempt_2026-11-01-06-30-00_01_tensor.ipynb": _tagged(release, "ada"),
        # a username with "_": its receipt names it whole, so it is not filed under "doe"
        "Tensor_j_doe_attempt_2026-11-01-07-00-00_01_tensor.ipynb": _tagged(release, "j_doe"),
        "Tensor_j_doe_attempt_2026-11-01-07-00-00.txt": receipt.replace("Bob Babbage (bob)", "Jay Doe (j_doe)"),
    })
    assert _collect(c, "blackboard", first) == 0
    assert _filed(c, "bob") == ("bob-2", "2026-11-02 14:00:00")   # EST is UTC-5
    assert _filed(c, "ada") == ("ada", "2026-11-01 11:30:00")     # EDT is UTC-4
    assert _kinds(c, "bob") == ["lms_attempt_chosen"]
    assert _filed(c, "j_doe") == ("j_doe", "2026-11-01 12:00:00") and not c.submission_path(MODULE, "doe").exists()

    notebook = c.submission_path(MODULE, "bob")
    before = notebook.stat().st_mtime_ns
    assert _collect(c, "blackboard", first) == 0   # the same archive again
    assert notebook.stat().st_mtime_ns == before and _kinds(c, "bob") == ["lms_attempt_chosen"]

    older = _zip(tmp_path / "older.zip", {
        "Tensor_bob_attempt_2026-11-01-08-00-00_01_tensor.ipynb": _tagged(release, "bob-1"),
        "Tensor_zed_attempt_2026-11-01-08-00-00_01_tensor.ipynb": _tagged(release, "zed")})
    assert _collect(c, "blackboard", older) == 1
    assert _filed(c, "bob") == ("bob-2", "2026-11-02 14:00:00")
    assert _kinds(c, "bob") == ["lms_attempt_chosen", "lms_older_attempt"]
    refused = intake.read_log(c.root, MODULE)["refused"]
    assert [e["kind"] for e in refused.values()] == ["lms_unmapped"] and "zed" in str(refused)

    newer = _zip(tmp_path / "newer.zip", {
        "Tensor_ada_attempt_2026-11-03-10-00-00_01_tensor.ipynb": _tagged(release, "ada-2")})
    assert _collect(c, "blackboard", newer) == 0
    assert _filed(c, "ada") == ("ada-2", "2026-11-03 15:00:00")
    assert _filed(c, "bob") == ("bob-2", "2026-11-02 14:00:00")   # not in this download: left as it was


def test_refuses_unknown_lms_and_unreleased_module(scratch_course, tmp_path):
    c = scratch_course(MODULE)
    archive = _zip(tmp_path / "a.zip", {"x.txt": "x"})
    with pytest.raises(ValueError, match="unknown LMS"):
        intake.collect(c, "sakai", MODULE, archive)
    with pytest.raises(ValueError, match="has not been released"):
        intake.collect(c, "canvas", MODULE, archive)
    c.generate_assignment(MODULE)
    c.config.LmsCollector.timezone = "Mars/Olympus"
    with pytest.raises(ValueError, match="is not a time zone"):
        intake.collect(c, "moodle", MODULE, archive)
