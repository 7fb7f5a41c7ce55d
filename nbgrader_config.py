"""nbgrader configuration for the TinyTorch course (used by `nbgrader ...` and by `classroom`)."""
import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = here
c.CourseDirectory.course_id = "tinytorch"
# The gradebook is sqlite by default; set TINYTORCH_DB_URL (any SQLAlchemy URL) to use another database, e.g.
# postgresql+psycopg://user:password@host/dbname (README, "The gradebook on PostgreSQL"; `make migrate-db TO=` moves
# an existing gradebook there). Parallel graders write to sqlite in turn, waiting up to `timeout` seconds for its lock.
c.CourseDirectory.db_url = os.environ.get(
    "TINYTORCH_DB_URL", "sqlite:///" + os.path.join(here, "gradebook", "gradebook.db") + "?timeout=60")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# What a student sees where a solution was stripped.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"


# Every release opens with "How this notebook is graded" (nbgrader's own IncludeHeaderFooter; an absolute path,
# so scratch courses of `make check` and the tests release the same notebook).
c.IncludeHeaderFooter.header = os.path.join(here, "source", "header.ipynb")

# nbgrader's exchange (release, fetch, submit, collect, feedback) lives OUTSIDE the course folder, at nbgrader's
# default place, so the course folder (solutions, gradebook, submissions) can be closed to students:
# `make exchange` creates it and does that (classroom/exchange.py). Students get the matching nbgrader_config.py
# in their archive (`make student-dist`).
c.Exchange.root = os.environ.get("TINYTORCH_EXCHANGE", "/srv/nbgrader/exchange")

# --- Grading student code safely (classroom/preprocessors/guarded_execute.py, classroom/sandbox.py) -----------------------
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, IgnorePattern, LimitOutput, SaveAutoGrades)

from classroom.preprocessors import (  # noqa: E402
    CachedCheckCellMetadata, CompareChecks, GuardedExecute, RestoreGradingMetadata, ScoreCapstone)
from nbgrader.preprocessors import ClearOutput, DeduplicateIds, OverwriteCells, OverwriteKernelspec  # noqa: E402

# nbconvert re-validates the notebook after every preprocessor by default, compiling the JSON schema anew each
# time (0.05 s x 14 per notebook, a quarter of a notebook's grading overhead); validate once, after the last one.
c.Exporter.optimistic_validation = True

# Graded cells get their release metadata back before nbgrader checks them (classroom/preprocessors/restore_grading_metadata.py).
c.Autograde.sanitize_preprocessors = [ClearOutput, RestoreGradingMetadata, DeduplicateIds, OverwriteKernelspec,
                                      OverwriteCells, CachedCheckCellMetadata]

# CompareChecks turns the values each test cell recorded into its verdict, outside the kernel (README,
# "Grading safely"); it must come after execution and before SaveAutoGrades.
# ScoreCapstone (20_capstone only) then sets the project cell's points from the grader's own measurement of the
# submitted model files (classroom/capstone.py); for every other module it does nothing.
c.Autograde.autograde_preprocessors = [GuardedExecute, CompareChecks, ScoreCapstone, IgnorePattern,
                                       ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties,
                                       CachedCheckCellMetadata]
# The capstone's held-out digits (`make heldout` writes them from the data cache; never in release/ or a kernel), and
# the limits of the process that loads and times each submitted model.
c.ScoreCapstone.heldout = "gradebook/heldout"
c.ScoreCapstone.reps = 30
c.ScoreCapstone.timeout = 300
c.ScoreCapstone.memory_mb = 2048
c.ScoreCapstone.max_model_mb = 64
# Late policy (classroom/deadlines.py): 10% of the score per day or part of a day late, after 15 minutes of
# grace, at most 50%. Due dates: `make deadline MODULE= DUE=`; extensions: `make extension MODULE= STUDENT= DAYS=`.
from classroom.deadlines import PercentPerDay  # noqa: E402

c.AssignLatePenalties.plugin_class = PercentPerDay
c.PercentPerDay.percent_per_day = 10.0
c.PercentPerDay.max_percent = 50.0
c.PercentPerDay.grace_minutes = 15.0
# LMS intake (`make collect-canvas/-moodle/-blackboard`, classroom/collectors.py): the zone your LMS writes times
# without one in (Moodle's grading worksheet, Blackboard's file names); Canvas's API times carry their zone.
c.LmsCollector.timezone = "UTC"          # e.g. "Europe/Zurich"
c.GuardedExecute.timeout = 60            # seconds per cell, then the kernel is killed
c.Sandbox.enabled = True                 # bubblewrap; `make sandbox` installs it
c.Sandbox.allow_unsandboxed = False      # True only to grade trusted code where bwrap is unavailable
c.Sandbox.memory_mb = 2048
c.Sandbox.max_processes = 64
c.Sandbox.output_limit_kb = 1024
# Modules whose solutions students may hold: publish each one, explicitly, once its deadline has passed. What
# students install for module M (`make student-dist MODULE=M`) and the kernel grading M hold only the published
# modules before M, and M is graded only once all of those are published. `make demo` publishes everything in
# its own course (build/demo/).
c.Classroom.published = []               # e.g. ["01_tensor", "02_activations"] in week 3
c.Classroom.workers = 0                  # parallel autograde workers; 0 = one per core
# `make similarity` (classroom/similarity.py): pairs whose score (share of one student's own code found in the
# other's) reaches the threshold are listed for a TA; evidence to weigh, never a verdict.
c.Similarity.threshold = 0.5

# --- Feedback that leaks no hidden test (classroom/preprocessors/scrub_hidden_tests.py)---------------------------------
# Hidden blocks become one-line stubs with the result and the instructor's `# hint:`, and every trace of
# them (quoted traceback lines, assertion messages, prints) is removed from what students get back.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

import nbgrader  # noqa: E402

from classroom.preprocessors import MarkAwaitingGrades, ScrubHiddenTests  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, MarkAwaitingGrades, ScrubHiddenTests, CSSHTMLHeaderPreprocessor]
# nbgrader's feedback page, extended (classroom/templates/feedback/tinytorch_feedback.html.j2): cells named by grade
# id, written answers no TA has graded shown as awaiting one (not as 0), long hint lines wrapped. Set on an
# exporter class of feedback's own: formgrader's HTMLExporter keeps its templates. (nbgrader's API forces the
# template *name* "feedback"; the file is ours, found beside nbgrader's in that template's folders.)
from classroom.feedback import FeedbackExporter  # noqa: E402

c.GenerateFeedback.exporter_class = FeedbackExporter
c.FeedbackExporter.template_file = "tinytorch_feedback.html.j2"
c.FeedbackExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"),
    os.path.join(here, "classroom", "templates")]
