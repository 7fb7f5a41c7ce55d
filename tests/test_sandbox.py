"""Without its sandbox, grading refuses to run student code unless the instructor opts out explicitly."""
import subprocess
import sys

import nbformat
import pytest

from classroom import course, submissions
from classroom.grading import autograde_all, read_events
from classroom.sandbox import Sandbox, SandboxUnavailable, claim_uid, sandbox_command


def test_missing_bubblewrap_refuses_unless_opted_out():
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        Sandbox(bwrap="no-such-bwrap").check()
    assert Sandbox(bwrap="no-such-bwrap", allow_unsandboxed=True).check() is False
    with pytest.raises(SandboxUnavailable, match="unsandboxed"):
        Sandbox(enabled=False).check()


def test_sandbox_command_isolates_and_limits(tmp_path):
    cmd = sandbox_command(["python", "-m", "ipykernel_launcher"], config=Sandbox(memory_mb=512, max_processes=8),
                          workdir=tmp_path, ipc_dir=tmp_path / "ipc", package_dir=tmp_path / "pkg", uid=61234)
    for flag in ["--unshare-net", "--unshare-pid", "--die-with-parent", f"--as={512 * 2**20}", "--nproc=8",
                 "--reuid=61234", "--no-new-privs"]:
        assert flag in cmd, flag
    assert str(course.ROOT / "source") not in " ".join(cmd), "the course's source/ must not be bound"
    assert cmd[-3:] == ["python", "-m", "ipykernel_launcher"]


def test_batch_without_sandbox_grades_nothing_and_says_why(scratch_course):
    c = scratch_course("01_tensor")
    c.generate_assignment("01_tensor")
    c = type(c)(c.root, overrides={"Sandbox.bwrap": "no-such-bwrap"})
    release = nbformat.read(str(c.root / "release" / "01_tensor" / "01_tensor.ipynb"), as_version=4)
    solution = submissions.fill(release, nbformat.read(str(course.source_notebook("01_tensor")), as_version=4))
    submissions.write(solution, c.submission_path("01_tensor", "ada"))
    flagged = autograde_all(["01_tensor"], c=c, workers=1)
    assert ("01_tensor", "ada") in flagged
    assert "bubblewrap" in read_events(c, "01_tensor", "ada")[0]["detail"]


def test_each_live_kernel_holds_its_own_uid_across_grading_processes(tmp_path):
    """Kernels used to run as uid_base + pid % 1000: two grading runs could share a uid, and so its process
    limit and its signals. A uid is now claimed machine-wide for a kernel's life."""
    config = Sandbox(uid_base=70000, uid_slots=3, slot_dir=str(tmp_path))
    claims = [claim_uid(config) for _ in range(2)]
    other = subprocess.run([sys.executable, "-c", "from classroom.sandbox import Sandbox, claim_uid; "
                            f"print(claim_uid(Sandbox(uid_base=70000, uid_slots=3, slot_dir={str(tmp_path)!r}))[0])"],
                           capture_output=True, text=True, check=True, cwd=course.ROOT)
    held = sorted(uid for uid, _ in claims)
    assert int(other.stdout) not in held and len(set(held)) == 2
    third = claim_uid(config)
    with pytest.raises(SandboxUnavailable, match="uid_slots"):
        claim_uid(config)
    third[1].close()  # the kernel holding it ended: its uid is free again
    assert claim_uid(config)[0] == third[0]
