"""A student who changes a graded cell's type (a locked test cell to markdown, an answer cell to raw) gets
it graded as the cell it was: type, metadata and (for locked cells) source come back from the release.
Field case: cell-type-changed (a correct notebook whose test_exp_log became markdown)."""
import copy

import nbformat

from classroom import course, submissions
from classroom.grading import autograde_all, read_events

MODULE = "01_tensor"


def _retype(nb, grade_id, kind):
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    old = nb.cells[index]
    make = {"markdown": nbformat.v4.new_markdown_cell, "raw": nbformat.v4.new_raw_cell}[kind]
    nb.cells[index] = make(source=old.source, metadata=copy.deepcopy(old.metadata))


def test_changed_cell_types_are_restored_and_graded(scratch_course):
    c = scratch_course(MODULE)
    c.generate_assignment(MODULE)
    release = nbformat.read(str(c.root / "release" / MODULE / f"{MODULE}.ipynb"), as_version=4)
    solution = submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4))
    changed = copy.deepcopy(solution)
    _retype(changed, "test_exp_log", "markdown")   # the field case
    _retype(changed, "tensor_class", "raw")         # the answer cell too
    submissions.write(changed, c.submission_path(MODULE, "ct"))
    autograde_all([MODULE], c=c, workers=1, progress=False)
    scores = c.cell_scores(MODULE, "ct")
    auto = {cell: s for cell, s in scores.items() if not s[2]}
    assert auto and all(score == maximum for score, maximum, _ in auto.values()), scores
    kinds = {(e["kind"], e["cell"]) for e in read_events(c, MODULE, "ct")}
    assert ("tampering", "test_exp_log") in kinds, f"the change must be recorded for a TA: {kinds}"
