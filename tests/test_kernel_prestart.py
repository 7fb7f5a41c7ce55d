"""Kernels started ahead (classroom/kernel_pool.py): a kernel runs one notebook only, a spare launched for other
parameters is shut down, nothing is left running after autograde_all, and the scores are those of kernels
started on demand."""
import os
import re
from pathlib import Path

import nbformat
import pytest

from classroom import course, kernel_pool, submissions
from classroom.grading import autograde_all, create_students, grade_one, not_ready

# Appended to a student's first answer cell: what this kernel is, and whether an earlier notebook's state is here.
PROBE = '''
import os as _os
from ipykernel.connect import get_connection_file as _cf
print("PROBE", _os.getuid(), _cf(), "LEAK" if "_PROBE_STATE" in globals() else "CLEAN", sorted(_os.listdir(".")))
_PROBE_STATE = "set by an earlier notebook"
'''


def _with_probe(release, solution):
    nb = submissions.fill(release, solution)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))
    cell.source += "\n" + PROBE
    return nb


def _probe(c, module_id, student):
    nb = nbformat.read(str(c.submission_path(module_id, student, "autograded")), as_version=4)
    text = "".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", []))
    uid, conn, state, files = re.search(r"PROBE (\d+) (\S+) (\w+) (\[.*\])", text).groups()
    return int(uid), conn, state, files


def _kernel_processes(root):
    """Host processes whose command line names the scratch course (a sandboxed kernel binds its package)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(root) in cmd and "ipykernel" in cmd:
            found.append((pid, cmd[:120]))
    return found


@pytest.fixture
def probed_class(scratch_course):
    c = scratch_course("01_tensor")
    c.generate_assignment("01_tensor")
    release = nbformat.read(str(c.release_path("01_tensor")), as_version=4)
    solution = nbformat.read(str(course.source_notebook("01_tensor")), as_version=4)
    for student in ("s1", "s2", "s3"):
        submissions.write(_with_probe(release, solution), c.submission_path("01_tensor", student))
    return c


def test_each_notebook_gets_a_fresh_kernel_and_nothing_is_left_running(probed_class):
    c = probed_class
    autograde_all(["01_tensor"], c=c, workers=1, progress=False)
    probes = [_probe(c, "01_tensor", s) for s in ("s1", "s2", "s3")]
    assert [p[2] for p in probes] == ["CLEAN"] * 3, probes  # no global of one student reaches the next
    assert len({p[1] for p in probes}) == 3, probes  # three kernels (connection files), one per notebook
    assert probes[0][0] != probes[1][0] != probes[2][0], probes  # the next kernel started under its own uid
    for p in probes:  # each kernel's working directory holds its own notebook's folder, started ahead or not
        assert p[3] == "['01_tensor.ipynb']", p
    assert kernel_pool.spare_key() is None
    assert _kernel_processes(c.root) == []
    for s in ("s1", "s2", "s3"):  # full marks for every autograded cell (the written answer waits for a TA)
        scores = c.cell_scores("01_tensor", s)
        assert all(sc[0] == sc[1] for sc in scores.values() if not sc[2]) and len(scores) > 3, (s, scores)


def test_scores_are_the_same_with_and_without_prestart(scratch_course, tmp_path):
    c = scratch_course("01_tensor")
    c.generate_assignment("01_tensor")
    release = nbformat.read(str(c.release_path("01_tensor")), as_version=4)
    solution = nbformat.read(str(course.source_notebook("01_tensor")), as_version=4)
    bugs = submissions.mutants("01_tensor")
    notebooks = {"right": submissions.fill(release, solution), "blank": release,
                 "bug0": submissions.fill(release, solution, bugs[0]), "bug1": submissions.fill(release, solution, bugs[1])}
    for student, nb in notebooks.items():
        submissions.write(nb, c.submission_path("01_tensor", student))
    autograde_all(["01_tensor"], c=c, workers=2, progress=False)
    assert _kernel_processes(c.root) == []  # the workers' spares went with them
    with_prestart = {s: c.cell_scores("01_tensor", s) for s in notebooks}
    off = type(c)(c.root, {**c.overrides, "GuardedExecute.prestart": False})
    autograde_all(["01_tensor"], c=off, workers=1, progress=False)
    without = {s: off.cell_scores("01_tensor", s) for s in notebooks}
    assert with_prestart == without
    assert sum(v[0] for v in with_prestart["right"].values()) > sum(v[0] for v in with_prestart["bug0"].values())


def test_a_spare_for_other_parameters_is_shut_down_not_used(scratch_course):
    c = scratch_course("01_tensor", "02_activations")
    for m in ("01_tensor", "02_activations"):
        c.generate_assignment(m)
        release = nbformat.read(str(c.release_path(m)), as_version=4)
        solution = nbformat.read(str(course.source_notebook(m)), as_version=4)
        submissions.write(submissions.fill(release, solution), c.submission_path(m, "s1"))
    create_students(c, ["s1"])
    assert not_ready(c, "01_tensor") is None and not_ready(c, "02_activations") is None  # references, as autograde_all
    assert grade_one(c, "01_tensor", "s1") == []
    key = kernel_pool.spare_key()
    assert key is not None and "01_tensor" in key[1]  # the spare holds 01_tensor's package (nothing published before it)
    spare = kernel_pool._spare[1]
    pid = spare.provisioner.process.pid
    work = spare._work_dir
    assert grade_one(c, "02_activations", "s1") == []  # 02's kernel imports tinytorch.tensor: not the spare's package
    assert not Path(f"/proc/{pid}").exists() and not work.exists()  # the mismatched spare is gone, with its folder
    assert "02_activations" in kernel_pool.spare_key()[1]
    kernel_pool.discard()
    assert _kernel_processes(c.root) == []
    for m in ("01_tensor", "02_activations"):
        scores = c.cell_scores(m, "s1")
        assert all(s[0] == s[1] for s in scores.values() if not s[2]), (m, scores)


def test_staging_copies_links_as_links_and_skips_special_files(tmp_path):
    from classroom.sandbox import SandboxedKernelManager
    folder, work = tmp_path / "submission", tmp_path / "work"
    folder.mkdir()
    work.mkdir()
    (folder / "nb.ipynb").write_text("{}")
    (folder / "data").mkdir()
    (folder / "data" / "x.txt").write_text("x")
    secret = tmp_path / "secret.txt"
    secret.write_text("the grader's file")
    (folder / "link").symlink_to(secret)
    os.mkfifo(folder / "pipe")
    km = SandboxedKernelManager()
    km._work_dir = work
    km.stage(folder)
    assert sorted(p.name for p in work.iterdir()) == ["data", "link", "nb.ipynb"]
    assert (work / "link").is_symlink() and os.readlink(work / "link") == str(secret)  # not its content
    assert (work / "data" / "x.txt").read_text() == "x"
    assert oct(work.stat().st_mode & 0o777) == "0o750"
