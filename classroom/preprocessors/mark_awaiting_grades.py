"""MarkAwaitingGrades: tell the feedback page which points still wait for a person (a written answer no TA has
graded), so it says "awaits a TA" instead of publishing them as 0 (classroom/templates/feedback/tinytorch_feedback.html.j2)."""
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade

from classroom.exports import awaits_grader


class MarkAwaitingGrades(NbGraderPreprocessor):
    """After GetGrades: set `awaiting` on each graded cell that needs a manual grade no one has given, and
    resources["nbgrader"]["awaiting_points"] to their points."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
            # (needs a TA, points) read inside the session: the rows are not usable after it closes
            waiting = {g.name: (awaits_grader(g), g.max_score) for g in notebook.grades}
        awaiting = 0.0
        for cell in nb.cells:
            if is_grade(cell):
                waits, points = waiting.get(cell.metadata.nbgrader["grade_id"], (False, 0.0))
                cell.metadata.nbgrader["awaiting"] = bool(waits)
                awaiting += points if waits else 0.0
        info["awaiting_points"] = awaiting
        return nb, resources
