"""A notebook whose file says nbformat 4.4 but whose cells carry ids (some editors write this) is graded like
the same notebook saved as 4.5: `nbgrader validate` accepts it, so autograde must too (field case
v44-ids-rejected: it used to score 0 as an invalid notebook)."""
import json

import nbformat

from classroom import course, submissions
from classroom.grading import autograde_all

MODULE = "01_tensor"


def test_cell_ids_under_minor_4_are_graded(scratch_course):
    c = scratch_course(MODULE)
    c.generate_assignment(MODULE)
    release = nbformat.read(str(c.root / "release" / MODULE / f"{MODULE}.ipynb"), as_version=4)
    solution = submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4))
    path = c.submission_path(MODULE, "s44")
    submissions.write(solution, path)
    raw = json.loads(path.read_text())
    raw["nbformat_minor"] = 4
    assert all("id" in cell for cell in raw["cells"])
    path.write_text(json.dumps(raw))
    assert not autograde_all([MODULE], c=c, workers=1, progress=False)
    scores = c.cell_scores(MODULE, "s44")
    assert all(score == maximum for score, maximum, manual in scores.values() if not manual), scores
