"""`make report` on a scratch course graded by the demo class: every export, checked against known students."""
import base64
import json
import re

import nbformat
import pandas as pd
from nbconvert import HTMLExporter
from nbgrader.api import Gradebook
from nbgrader.server_extensions.formgrader import handlers
from traitlets.config import Config

from classroom import submissions
from classroom.demo import run_demo
from classroom.events import events_path
from classroom.nbgrader_api import Course
from classroom.report import build_report

MODULE = "01_tensor"
FILES = ["scores.csv", "lms.csv", "lateness.csv", "canvas.csv", "moodle.csv", "test_pass_rates.csv", "integrity.csv", "manual_queue.csv",
         "grade_distribution.png", "report.html"]
HEADINGS = ["Tests most students fail", "Needs your grading", "Integrity flags", "Grade distribution"]


def _grade_cells(c):
    """(autograded test cell ids, written-answer cell ids) of MODULE, from its source notebook."""
    nb = nbformat.read(str(c.root / "source" / MODULE / f"{MODULE}.ipynb"), as_version=4)
    graded = [cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")]
    return ([x.metadata.nbgrader.grade_id for x in graded if x.cell_type == "code"],
            [x.metadata.nbgrader.grade_id for x in graded if x.cell_type == "markdown"])


def _formgrade_inputs(c, student):
    """The ids of the `.tabbable` elements on the formgrader page of a submission, as nbgrader renders it."""
    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = dict(assignment_id=MODULE, notebook_id=MODULE, submission_id="x", index=0, total=3, base_url="",
                     student=student, last_name="", first_name="", notebook_path="")
    page, _ = HTMLExporter(config=config).from_filename(
        str(c.submission_path(MODULE, student, "autograded")), resources=resources)
    tags = re.findall(r"<[^>]*\btabbable\b[^>]*>", page)
    return [(re.search(r'\bid="([^"]*)"', t) or [None, None])[1] for t in tags]


def test_report_on_the_demo_class(scratch_course, tmp_path):
    c = scratch_course(MODULE)
    assert run_demo(c, [MODULE]) == 0
    tests, written = _grade_cells(c)
    events = events_path(c.root, MODULE, "cam")
    events.write_text(json.dumps([{"kind": "timeout", "cell": "test_matmul", "detail": "cell ran past 10 s"}]))
    events_path(c.root, MODULE, "ben").write_text("[{not json")

    out = tmp_path / "exports"
    report = build_report(c, out)
    for name in FILES:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name

    # Pass rates: ada (solution) passes every test, ben (blank release) none, cam (first mutant) what the
    # gradebook says -- and the mutant's catching tests are among the hardest.
    rates = pd.read_csv(out / "test_pass_rates.csv").set_index("grade_id")
    assert sorted(rates.index) == sorted(tests) and (rates["module"] == MODULE).all()
    assert list(rates["pass_rate"]) == sorted(rates["pass_rate"]), "hardest tests first"
    cam = c.cell_scores(MODULE, "cam")
    for test in tests:
        cam_passes = cam[test][0] >= cam[test][1]
        assert rates.loc[test, "submissions"] == 3
        assert rates.loc[test, "failed"] == (1 if cam_passes else 2), test
        assert rates.loc[test, "pass_rate"] == round((2 if cam_passes else 1) / 3, 3), test
    for test in submissions.mutants(MODULE)[0]["caught_by"]:
        assert rates.loc[test, "pass_rate"] == round(1 / 3, 3)

    # Manual queue: ada's and cam's written answers (ben's untouched answer is auto-zeroed by nbgrader), each
    # with a formgrader link whose ?index= lands on that answer's score box.
    queue = pd.read_csv(out / "manual_queue.csv")
    assert sorted(zip(queue["student"], queue["cell"])) == sorted((s, w) for s in ("ada", "cam") for w in written)
    assert (queue["kind"] == "written answer").all()
    with Gradebook(c.db_url) as gb:
        for row in queue.itertuples():
            nb_id = gb.find_submission_notebook(MODULE, MODULE, row.student).id
            url = re.fullmatch(rf"/formgrader/submissions/{nb_id}/\?index=(\d+)", row.formgrader)
            assert url, row.formgrader
            assert _formgrade_inputs(c, row.student)[int(url[1])] == row.cell

    integrity = pd.read_csv(out / "integrity.csv")
    assert {"student": "cam", "module": MODULE, "kind": "timeout", "cell": "test_matmul",
            "detail": "cell ran past 10 s"} in integrity.to_dict("records")
    assert ("ben", "unreadable_events") in set(zip(integrity["student"], integrity["kind"]))

    lms = pd.read_csv(out / "lms.csv")
    assert list(lms.columns) == ["student_id", "last_name", "first_name", "email", MODULE, "total"]
    ada = lms.set_index("student_id").loc["ada"]
    ada_points = sum(score for score, _, manual in c.cell_scores(MODULE, "ada").values() if not manual)
    max_points = sum(m for _, m, _ in c.cell_scores(MODULE, "ada").values())
    assert ada[MODULE] == ada["total"] == round(100 * ada_points / max_points, 2)
    assert lms.set_index("student_id").loc["ben", "total"] == 0

    page = (out / "report.html").read_text()
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in page
    img = re.search(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert img and base64.b64decode(img[1]).startswith(b"\x89PNG")
    assert "<script" not in page and "cell ran past 10 s" in page and "written_views_vs_copies" in page
    assert any("Needs your grading: 2 written answers" in line for line in report.summary_lines())

    # Once a TA grades ada's answers they leave the queue.
    with Gradebook(c.db_url) as gb:
        for g in gb.find_submission_notebook(MODULE, MODULE, "ada").grades:
            if g.needs_manual_grade:
                g.manual_score, g.needs_manual_grade = 2.0, False
        gb.db.commit()
    build_report(c, out)
    assert set(pd.read_csv(out / "manual_queue.csv")["student"]) == {"cam"}


def test_report_on_an_empty_class(tmp_path):
    c = Course(tmp_path)
    (tmp_path / "submitted" / "dan" / MODULE).mkdir(parents=True)  # handed in, never autograded
    report = build_report(c)
    out = tmp_path / "gradebook" / "exports"
    for name in FILES:
        assert (out / name).is_file(), name
    assert pd.read_csv(out / "manual_queue.csv").empty and pd.read_csv(out / "test_pass_rates.csv").empty
    assert pd.read_csv(out / "integrity.csv")[["student", "kind"]].values.tolist() == [["dan", "not_graded"]]
    assert "No graded submissions" in report.summary_lines()[0]
    page = (out / "report.html").read_text()
    assert "No autograded tests yet" in page and "data:image/png;base64," in page
