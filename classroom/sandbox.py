"""Run each student's kernel in a bubblewrap sandbox with resource limits.

Inside, the kernel sees: the system's /usr (read-only), the Python interpreter's prefix and the course
virtualenv (read-only), a `tinytorch` holding only the modules published before the one being graded
(read-only), a private copy of the submission's folder (read-only, as its working directory: a directory of
its own, readable by its uid alone, filled when the kernel is given its notebook, so a kernel can be started
before it is known which student it will grade; see classroom/kernel_pool.py), an empty /tmp, and the
unix sockets it talks to the grader on. It has no network (own network namespace), its own PID namespace,
an unprivileged uid, and limits on address space, processes, open files and file size. Not visible:
source/, release/, gradebook/, other submissions, the instructor's home.

Why the shape of the command: the kernel uses IPC transport (unix sockets in a directory bound into the
sandbox) because TCP cannot cross the network namespace; and it is started by a small shell, because
ipykernel shuts itself down when its parent is PID 1 (bwrap's init in the new PID namespace).
"""
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode
from traitlets.config import Configurable

# Put on a kernel's path after its tinytorch: modules a grading kernel must not load (see its files).
KERNEL_STUBS = Path(__file__).resolve().parent / "kernel_stubs"


class SandboxUnavailable(RuntimeError):
    pass


class Sandbox(Configurable):
    """Limits and switches for student kernels (set them in nbgrader_config.py as c.Sandbox.<name>)."""

    enabled = Bool(True, help="Run student kernels under bubblewrap. Without it, grading refuses to run "
                              "unless allow_unsandboxed is also set.").tag(config=True)
    allow_unsandboxed = Bool(False, help="Explicit opt-out: grade without a sandbox where bubblewrap "
                                         "is unavailable. Student code then runs with your rights.").tag(config=True)
    bwrap = Unicode("bwrap", help="The bubblewrap executable.").tag(config=True)
    memory_mb = Integer(2048, help="Address-space limit of a student kernel (MiB).").tag(config=True)
    max_processes = Integer(64, help="Process/thread limit of a student kernel.").tag(config=True)
    max_open_files = Integer(256).tag(config=True)
    max_file_mb = Integer(64, help="Largest file a kernel may write (MiB, in its private /tmp).").tag(config=True)
    tmp_mb = Integer(256, help="Size of the kernel's private /tmp (MiB).").tag(config=True)
    output_limit_kb = Integer(1024, help="Output a notebook may print before its kernel is stopped (KiB).").tag(config=True)
    record_limit_kb = Integer(16384, help="Check records (the values grading compares) a notebook may emit before "
                                          "its kernel is stopped (KiB).").tag(config=True)
    uid_base = Integer(61000, help="Unprivileged uids used for kernels: uid_base + a slot per live kernel.").tag(config=True)
    uid_slots = Integer(1000, help="How many kernels may run at once on this machine (one uid each).").tag(config=True)
    slot_dir = Unicode(os.path.join(tempfile.gettempdir(), "tinytorch-kernel-uids"),
                       help="Lock files that give each live kernel on the machine its own uid.").tag(config=True)
    extra_ro_binds = List(Unicode(), help="More host paths the kernel may read.").tag(config=True)

    def check(self):
        """Raise SandboxUnavailable with what to do, unless grading may go ahead."""
        if not self.enabled:
            if self.allow_unsandboxed:
                return False
            raise SandboxUnavailable("c.Sandbox.enabled is False but c.Sandbox.allow_unsandboxed is not set: "
                                     "refusing to run student code unsandboxed")
        if shutil.which(self.bwrap) is None:
            if self.allow_unsandboxed:
                return False
            raise SandboxUnavailable(
                "bubblewrap (bwrap) is not installed, so student code cannot be isolated: run `make sandbox` "
                "(apt-get install bubblewrap), or opt out explicitly with c.Sandbox.allow_unsandboxed = True")
        if os.geteuid() != 0:
            if self.allow_unsandboxed:
                return False
            raise SandboxUnavailable("the sandbox starts kernels as an unprivileged uid and needs root to do so")
        return True


def _python_roots():
    """Read-only paths the interpreter needs: its base prefix and the virtualenv it runs from."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    return sorted(str(r) for r in roots)


def sandbox_command(kernel_cmd, *, config, workdir, ipc_dir, package_dir, uid):
    """The full command line that runs `kernel_cmd` inside bubblewrap with the limits in `config`."""
    cmd = [config.bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session",
           "--ro-bind", "/usr", "/usr", "--perms", "0755", "--dir", "/etc",
           "--ro-bind-try", "/etc/alternatives", "/etc/alternatives",
           "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
           # fontconfig's configuration: without it matplotlib's font lookup prints an error into the cell
           "--ro-bind-try", "/etc/fonts", "/etc/fonts",
           "--proc", "/proc", "--dev", "/dev",
           "--perms", "1777", "--size", str(config.tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    for name in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{name}"):
            cmd += ["--symlink", os.readlink(f"/{name}"), f"/{name}"]
        elif os.path.isdir(f"/{name}"):
            cmd += ["--ro-bind", f"/{name}", f"/{name}"]
    binds = _python_roots() + list(config.extra_ro_binds) + [str(workdir), str(ipc_dir), "/opt/tinytorch"]
    # bwrap would create the parents of bind targets with mode 0700, unreadable to the kernel's uid.
    for parent in sorted({str(p) for b in binds for p in Path(b).parents if str(p) not in ("/", "/tmp")},
                         key=lambda p: p.count("/")):
        cmd += ["--perms", "0755", "--dir", parent]
    for root in _python_roots() + list(config.extra_ro_binds):
        cmd += ["--ro-bind", root, root]
    cmd += ["--ro-bind", str(package_dir), "/opt/tinytorch", "--ro-bind", str(KERNEL_STUBS), "/opt/kernel-stubs",
            "--ro-bind", str(workdir), str(workdir), "--chdir", str(workdir),
            "--bind", str(ipc_dir), str(ipc_dir),
            "--setenv", "HOME", "/tmp", "--setenv", "PYTHONPATH", "/opt/tinytorch:/opt/kernel-stubs",
            # no MPLBACKEND: ipykernel then selects matplotlib's inline backend, so a student's plot is an
            # image/png output in the graded notebook and the feedback, as in JupyterLab
            "--unsetenv", "MPLBACKEND", "--setenv", "MPLCONFIGDIR", "/tmp",
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--unsetenv", "JPY_PARENT_PID",
            # the submission folder is the working directory: files handed in beside the notebook (a
            # `numpy/` package, say) must not shadow what the kernel imports
            "--setenv", "PYTHONSAFEPATH", "1",
            # the grader already runs one kernel per core: a BLAS thread pool in each would oversubscribe them
            # (a measured cell of 17_memoization: 1.0 s on one thread, 1.7 s with a pool beside another kernel)
            "--setenv", "OPENBLAS_NUM_THREADS", "1", "--setenv", "OMP_NUM_THREADS", "1",
            "--setenv", "MKL_NUM_THREADS", "1", "--"]
    mb = 1024 * 1024
    cmd += ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "/usr/bin/prlimit", f"--as={config.memory_mb * mb}", f"--nproc={config.max_processes}",
            f"--nofile={config.max_open_files}", f"--fsize={config.max_file_mb * mb}", "--core=0", "--",
            # a shell in between, so the kernel's parent is not PID 1 (ipykernel would exit)
            "/bin/sh", "-c", '"$@"; exit $?', "kernel"]
    return cmd + list(kernel_cmd)


def claim_uid(config):
    """(uid, lock file) for one kernel: a uid no other live kernel on this machine holds, whichever grading run
    started it. Per-uid limits (processes, signals) are then that kernel's alone. The claim is an flock on
    `slot_dir/<uid>`, held open for the kernel's life and released by the kernel manager, or by the OS if
    the grading process dies."""
    os.makedirs(config.slot_dir, mode=0o700, exist_ok=True)
    start = os.getpid() % config.uid_slots  # runs started together probe different slots first
    for step in range(config.uid_slots):
        uid = config.uid_base + (start + step) % config.uid_slots
        lock = open(os.path.join(config.slot_dir, str(uid)), "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return uid, lock
        except BlockingIOError:
            lock.close()
    raise SandboxUnavailable(f"all {config.uid_slots} kernel uids from {config.uid_base} are in use "
                             "(raise c.Sandbox.uid_slots)")


def _special_files(folder, names):
    paths = ((name, os.path.join(folder, name)) for name in names)
    return [name for name, path in paths if not (os.path.islink(path) or os.path.isfile(path) or os.path.isdir(path))]


class SandboxedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernels start inside the sandbox (see the module docstring)."""

    package_dir = Unicode("", help="Directory holding the tinytorch the kernel may import.").tag(config=True)

    async def _async_pre_start_kernel(self, **kw):
        self._ipc_dir = Path(tempfile.mkdtemp(prefix="tt-kernel-"))
        self._ipc_dir.chmod(0o777)  # the kernel runs as an unprivileged uid and creates its sockets here
        self._work_dir = Path(tempfile.mkdtemp(prefix="tt-work-"))  # its working directory (see stage)
        self.transport = "ipc"
        self.ip = str(self._ipc_dir / "sock")
        self.connection_file = str(self._ipc_dir / "kernel.json")
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        # config=, not parent=: the manager has no parent (nbclient makes it with config=), so parent= gave the
        # defaults and c.Sandbox.<limit> never reached the kernel's command line
        config = Sandbox(config=self.config)
        os.chmod(self.connection_file, 0o644)
        uid, self._uid_lock = claim_uid(config)
        os.chown(self._work_dir, 0, uid)  # root's, readable by this kernel's uid (its gid) and no one else
        self._work_dir.chmod(0o750)
        if kw.get("cwd"):
            self.stage(kw["cwd"])
        kw["cwd"] = str(self._work_dir)
        wrapped = sandbox_command(kernel_cmd, config=config, workdir=self._work_dir, ipc_dir=self._ipc_dir,
                                  package_dir=self.package_dir, uid=uid)
        kw["stdout"] = subprocess.DEVNULL  # ipykernel's connection banner; errors still reach stderr
        return await super()._async_launch_kernel(wrapped, **kw)

    def stage(self, folder):
        """Copy the files of `folder` (the notebook's folder) into the kernel's working directory, which the
        kernel sees read-only: before it runs the notebook, whether it was started for it or ahead of it."""
        # symlinks=True: a link is copied as a link (resolved inside the sandbox, as before), never followed by
        # this root process; FIFOs, sockets and devices are left out (copying a FIFO would block)
        shutil.copytree(folder, self._work_dir, symlinks=True, dirs_exist_ok=True, ignore=_special_files)
        self._work_dir.chmod(0o750)  # copytree copied the folder's own mode onto it

    async def _async_cleanup_resources(self, restart=False):
        try:
            await super()._async_cleanup_resources(restart=restart)
        finally:  # also when jupyter_client's part fails (e.g. at interpreter exit): no folder is left behind
            shutil.rmtree(getattr(self, "_ipc_dir", ""), ignore_errors=True)
            shutil.rmtree(getattr(self, "_work_dir", ""), ignore_errors=True)
            if getattr(self, "_uid_lock", None):
                # the kernel's processes are gone with its PID namespace (bwrap --die-with-parent, --unshare-pid)
                self._uid_lock.close()
                self._uid_lock = None
