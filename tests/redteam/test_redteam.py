"""Hostile and broken submissions, graded by the real sandbox and the real nbgrader, in one parallel batch
beside an honest student: no unearned points, every threat flagged or contained, the honest grade intact.

The value attacks (tests/redteam/value_attacks.py) sit on one wrong solution and try every way of making
its wrong values pass from inside the kernel; each must score exactly what the wrong solution scores."""
import socket
import threading

import nbformat
import pytest
from nbgrader.api import Gradebook

from classroom import submissions
from classroom.grading import autograde_all, read_events
from tests.redteam.attacks import attacks
from tests.redteam.value_attacks import value_attacks, wrong_solution

MODULE = "01_tensor"


@pytest.fixture(scope="module")
def listener():
    """A server on the host's loopback that a sandboxed kernel must not reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    yield server.getsockname()[1], accepted
    server.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listener):
    import shutil
    from classroom import course
    from classroom.nbgrader_api import Course
    root = tmp_path_factory.mktemp("redteam")
    shutil.copytree(course.SOURCE / MODULE, root / "source" / MODULE)
    c = Course(root, overrides={"GuardedExecute.timeout": 8, "Sandbox.output_limit_kb": 256})
    c.generate_assignment(MODULE)
    release = nbformat.read(str(root / "release" / MODULE / f"{MODULE}.ipynb"), as_version=4)
    solution = submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4))
    cases = attacks(listener[0])
    students = {"honest": solution, "honest2": solution, "wrong": wrong_solution(release, solution)}
    for name, (build, _) in cases.items():
        students[name.replace("_", "-")] = build(release, solution)
    for name, build in value_attacks().items():
        students[name.replace("_", "-")] = build(release, solution)
    for student, nb in students.items():
        path = c.submission_path(MODULE, student)
        if isinstance(nb, bytes):
            path.parent.mkdir(parents=True)
            path.write_bytes(nb)
        else:
            submissions.write(nb, path)
    wrong = c.submission_path(MODULE, "wrong-name")
    submissions.write(solution, wrong.parent / f"{MODULE} (1).ipynb")
    flagged = autograde_all([MODULE], c=c, workers=2)
    return c, cases, flagged


def _scores(c, student):
    with Gradebook(c.db_url) as gb:
        sub = gb.find_submission(MODULE, student)
        return sub.code_score, sub.max_code_score


def test_honest_students_get_full_marks(graded):
    c, _, flagged = graded
    for student in ["honest", "honest2"]:
        score, max_score = _scores(c, student)
        assert score == max_score > 0, f"{student}: {score}/{max_score}"
        assert (MODULE, student) not in flagged


@pytest.mark.parametrize("name", list(attacks(0)) + ["wrong_name"])
def test_attack_earns_nothing_unearned_and_is_recorded(graded, name):
    c, cases, _ = graded
    student = name.replace("_", "-")
    expect, kind = cases[name][1] if name in cases else ("zero", "wrong_name")
    score, max_score = _scores(c, student)
    assert max_score == _scores(c, "honest")[1], "points metadata must come from the gradebook, not the submission"
    if expect == "zero":
        assert score == 0, f"{name} earned {score} points"
    elif expect == "full":
        assert score == max_score, f"{name} lost points: {score}/{max_score}"
        assert not read_events(c, MODULE, student), f"{name} was flagged: {read_events(c, MODULE, student)}"
    else:
        assert score <= max_score
    if kind:
        kinds = [e["kind"] for e in read_events(c, MODULE, student)]
        assert kind in kinds, f"{name}: expected a {kind!r} event, got {kinds}"


def test_wrong_solution_earns_some_points_not_all(graded):
    score, max_score = _scores(graded[0], "wrong")
    assert 0 < score < max_score, f"the wrong solution scored {score}/{max_score}: the baseline must be partial"


@pytest.mark.parametrize("name", list(value_attacks()))
def test_value_attack_earns_nothing_the_wrong_solution_does_not(graded, name):
    c = graded[0]
    wrong = {cell: s[0] for cell, s in c.cell_scores(MODULE, "wrong").items()}
    attacked = {cell: s[0] for cell, s in c.cell_scores(MODULE, name.replace("_", "-")).items()}
    assert set(attacked) == set(wrong) and all(attacked[cell] <= wrong[cell] for cell in wrong), \
        f"{name}: {attacked} vs the wrong solution's {wrong}"
    if name == "field_two_lines":
        assert attacked == wrong, "the field's two-line attack must score exactly what the wrong solution scores"


def test_sandbox_hides_the_course_and_the_network(graded, listener):
    c, _, _ = graded
    for student in ["read-secrets", "network"]:
        nb = nbformat.read(str(c.submission_path(MODULE, student, "autograded")), as_version=4)
        text = "\n".join(str(o) for cell in nb.cells for o in cell.get("outputs", []))
        assert "LEAKED" not in text and "CONNECTED" not in text, text[:2000]
    assert not listener[1], "a sandboxed kernel connected to a server on the host"


def test_process_cap_holds(graded):
    c, _, _ = graded
    nb = nbformat.read(str(c.submission_path(MODULE, "many-processes", "autograded")), as_version=4)
    assert "PROCESS CAP HIT" in "\n".join(str(o) for cell in nb.cells for o in cell.get("outputs", []))
