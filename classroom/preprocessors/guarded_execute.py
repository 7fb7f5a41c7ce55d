"""GuardedExecute: nbgrader's Execute step, hardened for notebooks written by strangers.

- Kernels start in the sandbox (classroom.sandbox) and import a `tinytorch` holding only the modules
  published before the one being graded.
- A cell that runs past the time limit gets its kernel killed (an interrupt can be ignored); a kernel that
  dies (os._exit, a killed parent, out of memory) or floods its output is stopped the same way. Every
  code cell not run after that gets an error output, so its tests score zero, and the reason is recorded
  in gradebook/events/<student>/<module>.json for the report (not beside the autograded notebook, which
  nbgrader copies into the students' feedback).
- While a notebook runs, the next notebook's kernel starts (classroom/kernel_pool.py): a fresh kernel in a
  fresh sandbox, used by one notebook at most, and only if launched with that notebook's parameters.
"""
import json

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Enum

from classroom.cells import is_test_cell
from classroom import kernel_pool
from classroom.config import Classroom
from classroom.events import write_events
from classroom.kernel_package import published_package
from classroom.oracles import strip_oracles
from classroom.sandbox import Sandbox, SandboxedKernelManager


class KernelStopped(Exception):
    def __init__(self, kind, detail):
        super().__init__(detail)
        self.kind, self.detail = kind, detail


class GuardedExecute(Execute):
    """Execute, with the sandbox, a hard per-cell time limit, an output cap and a record of what went wrong."""

    check_mode = Enum(["grade", "reference"], "grade", help=(
        "How the kernel's tinytorch.testing checks behave: 'grade' records values and never raises (the "
        "verdict is CompareChecks', outside the kernel); 'reference' records and raises (the solution run)."))
    prestart = Bool(True, help=(
        "While a notebook is graded (check mode 'grade', sandboxed), start the kernel of the next one, so its "
        "start-up is hidden. A kernel still runs one notebook only: see classroom/kernel_pool.py.")).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._stopped = self._pending_stop = None
        self._events = []
        self._output_bytes = self._record_bytes = 0
        sandbox = Sandbox(parent=self)
        self._record_limit = sandbox.record_limit_kb * 1024
        self._sandboxed = sandbox.check()
        self._output_limit = sandbox.output_limit_kb * 1024
        info = resources.get("nbgrader", {}) if resources else {}
        self._package_dir = published_package(info.get("assignment", ""), Classroom(config=self.config).published,
                                               self.config.CourseDirectory.root)
        self._kernel_used = None
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            if self._kernel_used is not None:
                # nbclient's cleanup misses a kernel that was stopped or died mid-notebook (a timeout, os._exit):
                # its folders (the staged copy of the notebook's folder among them) stayed in /tmp
                kernel_pool.stop_now(self._kernel_used)
            if info.get("student"):
                write_events(self.config.CourseDirectory.root, info["assignment"], info["student"], self._events)

    def create_kernel_manager(self):
        # Before any notebook code runs: checks record their values for CompareChecks.
        setup = f"--IPKernelApp.exec_lines=import tinytorch.testing; tinytorch.testing.set_check_mode({self.check_mode!r})"
        self.extra_arguments = [a for a in self.extra_arguments if not a.startswith(
            ("--IPKernelApp.exec_lines=", "--HistoryManager.hist_file="))] + [
            setup, "--IPKernelApp.ignore_cwd=True",  # files beside the notebook shadow no module (see sandbox.py)
            f"--HistoryManager.hist_file={self.ipython_hist_file}"]  # here, not by nbclient: part of the launch key
        self.kernel_manager_class = SandboxedKernelManager if self._sandboxed else AsyncKernelManager
        if self._sandboxed and not self.kernel_name:
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name", "")
        if self._sandboxed and (km := kernel_pool.take(self._launch_key())) is not None:
            km.stage(self.resources.get("metadata", {}).get("path") or km._work_dir)
            self.km = self._kernel_used = km
            return km
        km = super().create_kernel_manager()
        if self._sandboxed:
            km.package_dir = str(self._package_dir)
            self._kernel_used = km
        return km

    def _launch_key(self):
        """Everything a kernel is launched with: a spare kernel started with another key is not used."""
        limits = Sandbox(config=self.config)
        return (self.kernel_name, str(self._package_dir), self.check_mode, tuple(self.extra_arguments),
                tuple(sorted((name, repr(getattr(limits, name))) for name in limits.trait_names(config=True))))

    def _new_manager(self):
        km = SandboxedKernelManager(kernel_name=self.kernel_name, config=self.config)
        km.package_dir = str(self._package_dir)
        return km

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        # this notebook's kernel is up: launch the next one, to start while this notebook runs
        if self._sandboxed and self.prestart and self.check_mode == "grade":
            await kernel_pool.start_spare(self._launch_key(), self._new_manager, self.extra_arguments)
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)  # what nbconvert's preprocess calls

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._stopped:
            cell.outputs = [self._error("NotRun", f"not run: {self._stopped.detail}")]
            return cell, resources
        original = cell.source
        if self.check_mode == "grade" and is_test_cell(cell):
            cell.source = strip_oracles(original)  # the graded kernel never holds an expected value
        try:
            return super().preprocess_cell(cell, resources, index)
        except (KernelStopped, DeadKernelError) as err:
            if isinstance(err, DeadKernelError):
                err = self._pending_stop or KernelStopped("kernel_died", "the kernel died while running this cell "
                                                          "(os._exit, a killed process, or out of memory)")
            self._stopped = err
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            self._events.append({"kind": err.kind, "cell": grade_id, "detail": err.detail})
            cell.outputs.append(self._error(err.kind, err.detail))
            return cell, resources
        finally:
            cell.source = original

    async def _async_handle_timeout(self, timeout, cell=None):
        await self._kill_kernel()
        raise KernelStopped("timeout", f"this cell ran past the {timeout} s time limit, so its kernel was stopped")

    def output(self, outs, msg, display_id, cell_index):
        # imported when used, not with this module: nbgrader_config.py imports classroom, and `make package` must
        # load it even when the generated tinytorch/ is broken (it is what repairs it)
        from tinytorch.testing import RECORD_MIME
        size = len(json.dumps(msg.get("content", {})))
        if RECORD_MIME in msg.get("content", {}).get("data", {}):
            self._record_bytes += size  # check records have their own budget: they are what grading reads
        else:
            self._output_bytes += size
        if self._output_bytes > self._output_limit or self._record_bytes > self._record_limit:
            if self._pending_stop is None:
                self._pending_stop = KernelStopped(
                    "output_limit", f"the notebook printed more than {self._output_limit // 1024} KiB (or recorded "
                                    f"more than {self._record_limit // 1024} KiB of checks), so its kernel was stopped")
                process = getattr(getattr(self.km, "provisioner", None), "process", None)
                if process is not None:
                    process.kill()
            return None
        return super().output(outs, msg, display_id, cell_index)

    async def _kill_kernel(self):
        try:
            await self.km.shutdown_kernel(now=True)
        except Exception:  # already gone: nothing left to stop
            pass

    @staticmethod
    def _error(kind, detail):
        return new_output("error", ename=kind, evalue=detail, traceback=[f"{kind}: {detail}"])
