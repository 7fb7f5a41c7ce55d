"""Feedback files: the scrubbed notebook handed back beside nbgrader's HTML (see
classroom/preprocessors/scrub_hidden_tests.py for what is scrubbed and why)."""
from pathlib import Path

import nbformat

from classroom.preprocessors.scrub_hidden_tests import ScrubHiddenTests


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
    coursedir = c.api.coursedir
    folder = Path(coursedir.format_path(coursedir.feedback_directory, student_id, module_id))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module_id}.ipynb"
    nbformat.write(nb, str(path))
    return path
