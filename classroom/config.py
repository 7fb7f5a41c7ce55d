"""Course-level settings, read from nbgrader_config.py as c.Classroom.<name>."""
import os

from traitlets import Integer, List, Unicode
from traitlets.config import Configurable


class Classroom(Configurable):
    published = List(Unicode(), help=(
        "Modules whose reference solution students may hold (their deadline has passed). A student kernel "
        "grading module M imports only the published modules that come before M; M itself never. "
        "Empty means every module (fine for a demo; set it in a real course).")).tag(config=True)
    workers = Integer(0, help="Parallel autograde workers; 0 means one per CPU core.").tag(config=True)

    def worker_count(self):
        return self.workers or os.cpu_count() or 1
