"""Course-level settings, read from nbgrader_config.py as c.Classroom.<name>."""
import os

from traitlets import Integer, List, Unicode
from traitlets.config import Configurable


class Classroom(Configurable):
    published = List(Unicode(), help=(
        "Modules whose reference solution students may hold (their deadline has passed); publishing is an "
        "explicit act, one module at a time. The package students install to work on module M, and the "
        "kernel grading M, hold only the published modules before M; M itself never. Grading M waits until "
        "every module before it is published. Empty: nothing is published.")).tag(config=True)
    workers = Integer(0, help="Parallel autograde workers; 0 means one per CPU core.").tag(config=True)
    scheduler_address = Unicode("", help=(
        "A running Dask scheduler (tcp://host:8786) whose workers grade, one task per submission; empty: a "
        "LocalCluster of `workers` processes on this machine. TINYTORCH_SCHEDULER overrides it for the course "
        "(classroom/distributed.py).")).tag(config=True)

    def worker_count(self):
        return self.workers or os.cpu_count() or 1
