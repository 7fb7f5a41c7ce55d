"""Every submission folder is graded as its own student, or refused up front with an event naming the
unsupported character; never is another student's notebook graded in its place (field case student-ids:
nbgrader reads an id as a glob, so `x[1]` graded the folder `x1`; `jane doe` was split by make)."""
import json
import subprocess
import sys

import nbformat
from nbgrader.api import Gradebook

from classroom import course, submissions
from classroom.grading import autograde_all, feedback_all

MODULE = "01_tensor"
REFUSED = {"x[1]": "[ ]", "a*": "*", " padded": "whitespace"}


def test_each_folder_is_graded_as_its_own_student_or_refused(scratch_course):
    c = scratch_course(MODULE)
    c.generate_assignment(MODULE)
    release = nbformat.read(str(c.root / "release" / MODULE / f"{MODULE}.ipynb"), as_version=4)
    solution = submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4))
    for student in ["x1", "jane doe", "o'brien", *REFUSED]:
        # x1 hands in the blank release: a glob `x[1]` matching its folder would show up as a 0 for x[1]
        submissions.write(release if student == "x1" else solution, c.submission_path(MODULE, student))

    problems = autograde_all([MODULE], c=c, workers=1, progress=False)
    assert sorted(s for _, s in problems) == sorted(REFUSED)
    for student, named in REFUSED.items():
        [event] = problems[(MODULE, student)]
        assert event["kind"] == "unsupported_student_id" and named in event["detail"], event
    with Gradebook(c.db_url) as gb:
        scores = {s.id: gb.find_submission(MODULE, s.id).code_score for s in gb.students}
    assert scores == {"x1": 0.0, "jane doe": 14.0, "o'brien": 14.0}
    assert sorted(p.name for p in (c.root / "autograded").iterdir()) == ["jane doe", "o'brien", "x1"]

    failures = {s: why for _, s, why in feedback_all([MODULE], c=c)}
    assert sorted(failures) == sorted(REFUSED)
    assert (c.root / "feedback" / "jane doe" / MODULE / f"{MODULE}.html").is_file()


def test_make_passes_any_student_id_as_one_argument(tmp_path):
    echo = tmp_path / "args.py"
    echo.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    echo.chmod(0o755)
    for target in ("autograde", "feedback"):
        out = subprocess.run(["make", "-s", "-C", str(course.ROOT), target, f"PY={echo}", "STUDENT=o'brien \"jo\" x",
                              "MODULE=01_tensor"], capture_output=True, text=True, check=True).stdout
        assert json.loads(out.splitlines()[-1])[-4:] == ["--module", "01_tensor", "--student", "o'brien \"jo\" x"]
