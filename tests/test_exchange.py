"""A real term through nbgrader's exchange, with real accounts' permissions: an unprivileged student fetches and
submits, and cannot read source/, the gradebook or another student's work (field report: the exchange was
inside the course folder, so students had to be able to traverse it, and could read the solutions).

Students run as unprivileged uids under bubblewrap, which shows them the machine as it is (real permissions)
except /root (holding this interpreter) and a passwd entry of their own, which a real student account has."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from classroom import course, exchange, submissions
from classroom.grading import autograde_all
from classroom.nbgrader_api import Course
from classroom.sandbox import _python_roots

MODULE = "01_tensor"
NBGRADER = str(Path(sys.executable).parent / "nbgrader")


@pytest.fixture
def term():
    base = Path(tempfile.mkdtemp(prefix="term-"))  # not under pytest's 0700 tmp: students must reach the exchange
    base.chmod(0o755)
    root, ex = base / "course", base / "exchange"
    shutil.copytree(course.SOURCE / MODULE, root / "source" / MODULE)
    c = Course(root, {"Exchange.root": str(ex), "Classroom.published": course.modules()})
    exchange.prepare(ex, root)
    yield base, c
    shutil.rmtree(base, ignore_errors=True)


def _as_student(base, c, name, uid, *cmd):
    home = base / f"home-{name}"
    if not home.exists():
        home.mkdir()
        os.chown(home, uid, uid)
        home.chmod(0o700)
        (home / "nbgrader_config.py").write_text(exchange.student_config(c.config))
    passwd = base / f"passwd-{name}"
    passwd.write_text(Path("/etc/passwd").read_text() + f"{name}:x:{uid}:{uid}::{home}:/bin/sh\n")
    view = ["bwrap", "--bind", "/", "/", "--perms", "0755", "--tmpfs", "/root", "--ro-bind", str(passwd), "/etc/passwd"]
    for prefix in _python_roots():  # the interpreter, as the grading sandbox binds it
        if prefix.startswith("/root"):
            view += ["--ro-bind", prefix, prefix]
    view += ["--setenv", "HOME", str(home), "--setenv", "USER", name, "--chdir", str(home), "--",
             "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *cmd]
    return subprocess.run(view, capture_output=True, text=True)


def test_students_fetch_and_submit_but_cannot_read_the_course(term):
    base, c = term
    c.generate_assignment(MODULE)
    assert c.api.release_assignment(MODULE)["success"]

    fetched = _as_student(base, c, "s1", 61990, NBGRADER, "fetch_assignment", MODULE)
    assert fetched.returncode == 0, fetched.stderr
    notebook = base / "home-s1" / MODULE / f"{MODULE}.ipynb"
    release = nbformat.read(str(notebook), as_version=4)
    submissions.write(submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4)),
                      notebook)  # s1 does the work
    submitted = _as_student(base, c, "s1", 61990, NBGRADER, "submit", MODULE)
    assert submitted.returncode == 0, submitted.stderr

    for target in [c.root / "source" / MODULE / f"{MODULE}.ipynb", c.root / "gradebook" / "gradebook.db",
                   base / "home-s1" / MODULE / f"{MODULE}.ipynb"]:
        peek = _as_student(base, c, "s2", 61991, "cat", str(target))
        assert peek.returncode != 0 and "Permission denied" in peek.stderr, target
    listing = _as_student(base, c, "s2", 61991, "ls", str(base / "exchange" / "tinytorch" / "inbound"))
    assert listing.returncode != 0 and "Permission denied" in listing.stderr

    assert c.api.collect(MODULE)["success"]
    assert (c.root / "submitted" / "s1" / MODULE / "timestamp.txt").is_file()
    assert not autograde_all([MODULE], c=c, workers=1, progress=False)
    scores = c.cell_scores(MODULE, "s1")
    assert all(score == maximum for score, maximum, manual in scores.values() if not manual)


def test_the_exchange_may_not_live_inside_the_course(tmp_path):
    with pytest.raises(ValueError, match="inside the course folder"):
        exchange.prepare(tmp_path / "course" / "exchange", tmp_path / "course")
