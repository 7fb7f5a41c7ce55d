"""Feedback files: the scrubbed notebook handed back beside nbgrader's HTML (see
classroom/preprocessors/scrub_hidden_tests.py for what is scrubbed and why)."""
import html
from pathlib import Path

import nbformat
from nbconvert.exporters import HTMLExporter

from classroom.preprocessors.scrub_hidden_tests import ScrubHiddenTests


def feedback_folder(c, module_id, student_id):
    """feedback/<student>/<module>/ of course `c` (a classroom.nbgrader_api.Course), as nbgrader lays it out."""
    coursedir = c.api.coursedir
    return Path(coursedir.format_path(coursedir.feedback_directory, student_id, module_id))


def scrub_notebook(nb, **config):
    """The notebook with its hidden tests scrubbed (in place), as in the feedback HTML."""
    nb, _ = ScrubHiddenTests(**config).preprocess(nb, {})
    return nb


def write_scrubbed_notebook(c, module_id, student_id):
    """Write feedback/<student>/<module>/<module>.ipynb: the autograded notebook, hidden tests scrubbed.

    `c` is a classroom.nbgrader_api.Course. Call it after generate_feedback (which, forced, empties that
    folder first). Returns the path written."""
    nb = nbformat.read(str(c.submission_path(module_id, student_id, "autograded")), as_version=4)
    nb = scrub_notebook(nb, config=c.config)
    folder = feedback_folder(c, module_id, student_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module_id}.ipynb"
    nbformat.write(nb, str(path))
    return path


def write_ungradable_feedback(c, module_id, student_id, events):
    """Write feedback/<student>/<module>/<module>.html for a submission that could not be graded: it says so,
    why (the recorded `events`), and that it scores zero, so no older feedback can be taken for its result.
    Returns the path written."""
    coursedir = c.api.coursedir
    folder = feedback_folder(c, module_id, student_id)
    stamp = Path(coursedir.format_path(coursedir.submitted_directory, student_id, module_id)) / "timestamp.txt"
    when = f" (submitted {stamp.read_text().strip()})" if stamp.is_file() else ""
    reasons = "".join(f"<li><code>{html.escape(str(e.get('kind')))}</code>: {html.escape(str(e.get('detail')))}</li>"
                      for e in events)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module_id}.html"
    path.write_text(
        f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(module_id)}</title></head><body>\n"
        f"<h1>{html.escape(module_id)}: your latest submission could not be graded</h1>\n"
        f"<p>The file you handed in last{html.escape(when)} could not be graded, so it scores 0 points. "
        f"Nothing from an earlier submission is counted or shown here. Why:</p>\n<ul>{reasons}</ul>\n"
        "<p>Fix it (open it in JupyterLab and run <code>nbgrader validate</code> on it) and hand it in again; "
        "ask a TA if you cannot see what is wrong.</p>\n</body></html>\n", encoding="utf-8")
    return path


class FeedbackExporter(HTMLExporter):
    """The HTML exporter of `generate_feedback` (c.GenerateFeedback.exporter_class): nbgrader's feedback page,
    extended by classroom/templates/feedback/tinytorch_feedback.html.j2. A class of its own, so its template
    settings (c.FeedbackExporter.*) reach feedback only, never formgrader's HTMLExporter."""
