"""nbgrader configuration for the TinyTorch course (used by `nbgrader ...` and by `classroom`)."""
import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = here
c.CourseDirectory.course_id = "tinytorch"
# The gradebook is sqlite by default; set TINYTORCH_DB_URL (any SQLAlchemy URL) to use another database.
c.CourseDirectory.db_url = os.environ.get(
    "TINYTORCH_DB_URL", "sqlite:///" + os.path.join(here, "gradebook", "gradebook.db"))
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# What a student sees where a solution was stripped.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A cell that runs longer than this is stopped and the notebook graded as it stands.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
c.ExecutePreprocessor.timeout = 120

# Students hand in through the course's own submitted/ folder; keep nbgrader's exchange inside the course.
c.Exchange.root = os.path.join(here, "exchange")
