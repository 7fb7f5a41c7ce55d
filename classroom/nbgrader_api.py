"""One way in to nbgrader: its Python API, configured from nbgrader_config.py, with every result checked."""
import contextlib
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import nbformat

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from sqlalchemy.exc import SAWarning
from traitlets.config.loader import PyFileConfigLoader

from classroom import course, database, release_history


# nbgrader runs `alembic` (gradebook migrations) as a command: make this interpreter's tools findable,
# however the course tooling was started (make, pytest, a plain .venv/bin/python).
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")


# nbgrader 0.9's gradebook triggers SQLAlchemy autoflush warnings on every autograde; they are not ours to fix.
warnings.filterwarnings("ignore", category=SAWarning)


class NbgraderError(RuntimeError):
    """An nbgrader step failed; the message holds nbgrader's own traceback and log."""


class ReleaseRefused(RuntimeError):
    """A release would change locked cells students already hold, and was not asked for as a re-release."""


def load_config(root=course.ROOT, overrides=None):
    """nbgrader_config.py, re-pointed at `root` (a course directory) with its own gradebook there.

    overrides: {"Class.trait": value} applied on top, e.g. {"GuardedExecute.timeout": 5} in tests. A scratch
    course gets a sqlite gradebook in its own folder (never the course's TINYTORCH_DB_URL), unless
    {"CourseDirectory.db_url": url} names another database, e.g. a fresh PostgreSQL one
    (`classroom.database.create_database`); likewise it grades on a LocalCluster (never the course's
    TINYTORCH_SCHEDULER or scheduler_address) unless given {"Classroom.scheduler_address": address}. Workers get
    the same overrides.
    """
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course.ROOT)).load_config()
    root = Path(root).resolve()
    if root != course.ROOT:
        config.CourseDirectory.root = str(root)
        config.CourseDirectory.db_url = database.sqlite_url(root / "gradebook" / "gradebook.db")
        config.Classroom.scheduler_address = ""
    for key, value in (overrides or {}).items():
        section, trait = key.split(".")
        setattr(config[section], trait, value)
    (Path(config.CourseDirectory.root) / "gradebook").mkdir(parents=True, exist_ok=True)
    return config


class Course:
    """A course directory (the repository itself, or a scratch copy used by `make check` and the tests)."""

    def __init__(self, root=course.ROOT, overrides=None):
        self.root = Path(root).resolve()
        self.overrides = dict(overrides or {})
        self.config = load_config(self.root, self.overrides)
        self.db_url = self.config.CourseDirectory.db_url
        self.api = NbGraderAPI(config=self.config)

    def _run(self, what, result):
        if not result.get("success"):
            raise NbgraderError(f"nbgrader {what} failed\n{result.get('error', '')}\n{result.get('log', '')}")
        return result

    @contextlib.contextmanager
    def _in_root(self):
        # nbgrader resolves a few paths (e.g. the kernel's working directory) against the cwd.
        previous = os.getcwd()
        os.chdir(self.root)
        try:
            yield
        finally:
            os.chdir(previous)

    def generate_assignment(self, module_id, rerelease_note=None):
        """Release `module_id` (nbgrader generate_assignment) and record its locked cells in the release
        history (classroom/release_history.py). Once students have handed the module in, a release that
        changes its locked cells must be asked for with a `rerelease_note` saying why; else ReleaseRefused."""
        if rerelease_note is None and self.submitted_students(module_id) and release_history.versions(self.root, module_id):
            changed = release_history.changed_cells(self.root, module_id, self._trial_release(module_id))
            if changed:
                raise ReleaseRefused(
                    f"{module_id} is in students' hands and this release changes its locked cells "
                    f"({', '.join(changed)}): re-release it explicitly with `make release RERELEASE={module_id} "
                    "NOTE='why'`; earlier versions stay valid copies for the tamper check")
        with self._in_root():
            result = self._run(f"generate_assignment {module_id}", self.api.generate_assignment(module_id, force=True))
        released = nbformat.read(str(self.release_path(module_id)), as_version=4)
        first = not release_history.versions(self.root, module_id)
        release_history.record(self.root, module_id, released, rerelease_note or ("first release" if first else "release"))
        return result

    def _trial_release(self, module_id):
        """The release notebook `module_id`'s source would give now, generated in a scratch course."""
        with tempfile.TemporaryDirectory() as scratch:
            shutil.copytree(self.root / "source" / module_id, Path(scratch) / "source" / module_id)
            trial = Course(scratch, self.overrides)
            with trial._in_root():
                trial._run(f"generate_assignment {module_id}", trial.api.generate_assignment(module_id, force=True))
            return nbformat.read(str(trial.release_path(module_id)), as_version=4)

    def release_path(self, module_id):
        return self.notebook_path(module_id, ".", "release")

    def source_path(self, module_id):
        return self.notebook_path(module_id, ".", "source")

    def notebook_path(self, module_id, student_id, step):
        """A module's notebook at one of nbgrader's steps ("source", "release", "submitted", "autograded",
        "feedback"; student "." for the first two), where nbgrader's CourseDirectory puts it."""
        coursedir = self.api.coursedir
        folder = getattr(coursedir, f"{step}_directory")
        return Path(coursedir.format_path(folder, student_id, module_id)) / f"{module_id}.ipynb"

    def autograde(self, module_id, student_id):
        with self._in_root():
            return self._run(f"autograde {module_id} for {student_id}", self.api.autograde(module_id, student_id, force=True))

    def generate_feedback(self, module_id, student_id):
        with self._in_root():
            return self._run(f"generate_feedback {module_id} for {student_id}",
                             self.api.generate_feedback(module_id, student_id, force=True))

    def submission_path(self, module_id, student_id, step="submitted"):
        return self.notebook_path(module_id, student_id, step)

    def submitted_students(self, module_id):
        base = self.root / "submitted"
        return sorted(p.name for p in base.iterdir() if (p / module_id).is_dir()) if base.is_dir() else []

    def cell_scores(self, module_id, student_id):
        """{grade_id: (score, max_score, needs_manual_grade)} for one graded submission, from the gradebook."""
        with Gradebook(self.db_url) as gb:
            try:
                nb = gb.find_submission_notebook(module_id, module_id, student_id)
            except MissingEntry:
                return {}
            return {g.name: (g.score, g.max_score, g.needs_manual_grade) for g in nb.grades}
