"""A plot a student draws appears in the graded notebook and the feedback as it does in JupyterLab: an inline
image/png output (field case plots-vanish: the sandbox forced a non-inline backend and hid fontconfig's
configuration, so the cell's only output was a fontconfig error)."""
import base64

import nbformat

from classroom import course, submissions
from classroom.grading import autograde_all, feedback_all

MODULE = "01_tensor"
PLOT = """import matplotlib.pyplot as plt
x = Tensor(np.linspace(0, 3, 20))
plt.plot(x.data, np.exp(x.data))  # a cell placed right after the Tensor class: only its own section has run
plt.title("exp")
plt.show()"""


def test_student_plot_is_an_inline_image_in_graded_notebook_and_feedback(scratch_course):
    c = scratch_course(MODULE)
    c.generate_assignment(MODULE)
    release = nbformat.read(str(c.root / "release" / MODULE / f"{MODULE}.ipynb"), as_version=4)
    nb = submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4))
    # a student's own cell, placed before any hidden test (output of cells run after hidden tests is withheld
    # from feedback: it could show what a hidden test computed)
    at = next(i for i, cell in enumerate(nb.cells) if cell.metadata.get("nbgrader", {}).get("grade_id") == "tensor_class")
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(PLOT))
    submissions.write(nb, c.submission_path(MODULE, "plot"))

    autograde_all([MODULE], c=c, workers=1, progress=False)
    graded = nbformat.read(str(c.submission_path(MODULE, "plot", "autograded")), as_version=4)
    outputs = next(cell for cell in graded.cells if cell.source == PLOT).outputs
    assert [o.output_type for o in outputs] == ["display_data"], outputs  # no error text beside it
    png = base64.b64decode(outputs[0].data["image/png"])
    assert png.startswith(b"\x89PNG")

    assert not feedback_all([MODULE], c=c)
    folder = c.root / "feedback" / "plot" / MODULE
    assert "data:image/png;base64," in (folder / f"{MODULE}.html").read_text()
    handed_back = nbformat.read(str(folder / f"{MODULE}.ipynb"), as_version=4)
    assert any("image/png" in o.get("data", {}) for cell in handed_back.cells for o in cell.get("outputs", []))
