"""Grading under concurrent load (`make soak`; slow, so not part of `make test`): three batches of the same
class, honest and hostile students together, graded at the same time on one machine, give exactly the
scores and events of the same batch graded alone.

What concurrent runs could share, and what keeps them apart: a kernel's uid (claimed machine-wide, one per
live kernel: per-uid process limits and signals are its own), its /tmp, IPC sockets and PID namespace
(private per kernel), the gradebook (one per course) and the CPU (the per-cell timeout is wall-clock, so it
must leave room for a loaded machine)."""
import json
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from classroom import course, submissions
from classroom.nbgrader_api import Course
from tests.redteam.attacks import with_answer
from tests.redteam.value_attacks import wrong_solution

pytestmark = pytest.mark.slow
MODULE = "01_tensor"
OVERRIDES = {"GuardedExecute.timeout": 20, "Sandbox.output_limit_kb": 256}
FORK_BOMB = "\nimport os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
AT_END = {  # run after every test cell: they must not cost this student or anyone else a point
    "fork-bomb-after-tests": FORK_BOMB,
    "memory-after-tests": "blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 2**20))\n",
    "flood-after-tests": "while True:\n    print('x' * 10000)\n",
}
IN_ANSWER = {
    "fork-bomb": FORK_BOMB,
    "infinite-loop": "\nwhile True:\n    pass\n",
    "many-processes": "\nimport subprocess\nprocs = [subprocess.Popen(['sleep', '30']) for _ in range(50)]\n",
}


def _class(release, solution):
    students = {"honest": solution, "honest2": solution, "wrong": wrong_solution(release, solution)}
    for name, code in IN_ANSWER.items():
        students[name] = with_answer(suffix=code)(release, solution)
    for name, code in AT_END.items():
        nb = nbformat.from_dict(json.loads(json.dumps(solution)))
        nb.cells.append(nbformat.v4.new_code_cell(code))
        students[name] = nb
    return students


def _batch(root):
    """A course at `root` holding the whole class, released, not yet graded."""
    shutil.copytree(course.SOURCE / MODULE, root / "source" / MODULE)
    c = Course(root, overrides=OVERRIDES)
    c.generate_assignment(MODULE)
    release = nbformat.read(str(root / "release" / MODULE / f"{MODULE}.ipynb"), as_version=4)
    solution = submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4))
    for student, nb in _class(release, solution).items():
        submissions.write(nb, c.submission_path(MODULE, student))
    return c


def _grade(root):
    """Start `make autograde`'s code path on the course at `root` in its own process (as another run would be)."""
    code = ("import sys; from classroom.grading import autograde_all; from classroom.nbgrader_api import Course; "
            f"autograde_all([{MODULE!r}], c=Course(sys.argv[1], {OVERRIDES!r}), workers=2, progress=False)")
    return subprocess.Popen([sys.executable, "-c", code, str(root)], cwd=course.ROOT)


def _results(c):
    with Gradebook(c.db_url) as gb:
        scores = {s.student.id: s.code_score for s in gb.find_assignment(MODULE).submissions}
    events = {}
    for path in sorted((c.root / "gradebook" / "events").glob(f"*/{MODULE}.json")):
        events[path.parent.name] = sorted({e["kind"] for e in json.loads(path.read_text())})
    return scores, events


def test_three_concurrent_batches_grade_as_one_alone(tmp_path):
    alone = _batch(tmp_path / "alone")
    assert _grade(alone.root).wait() == 0
    expected = _results(alone)
    assert expected[0]["honest"] == expected[0]["fork-bomb-after-tests"] == 14.0, expected

    courses = [_batch(tmp_path / f"busy{i}") for i in range(3)]
    runs = [_grade(c.root) for c in courses]
    assert [run.wait() for run in runs] == [0, 0, 0]
    for c in courses:
        assert _results(c) == expected
