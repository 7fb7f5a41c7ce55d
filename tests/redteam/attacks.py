"""Hostile and broken submissions of 01_tensor, each built from the real release notebook.

Each attack is a function (release_nb, solution_nb) -> notebook or raw bytes, plus what grading must show.
"""
import copy

import nbformat
from nbformat.corpus.words import generate_corpus_id

ANSWER = "tensor_class"  # the answer cell students write in 01_tensor


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _tests(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


def with_answer(prefix="", suffix="", base="solution"):
    """The solution (or the blank release) with code before/after the student's answer."""
    def build(release, solution):
        nb = copy.deepcopy(solution if base == "solution" else release)
        cell = _cell(nb, ANSWER)
        cell.source = prefix + cell.source + suffix
        return nb
    return build


def edit(fn):
    def build(release, solution):
        nb = copy.deepcopy(release)
        fn(nb)
        return nb
    return build


def _blank_tests(nb):
    for c in _tests(nb):
        c.source = "pass"


def _raise_points(nb):
    for c in _tests(nb):
        c.metadata.nbgrader["points"] = 100


def _delete_tests(nb):
    nb.cells = [c for c in nb.cells if c not in _tests(nb)]


def _move_test_first(nb):
    test = _tests(nb)[0]
    nb.cells.remove(test)
    nb.cells.insert(0, test)


def _rename_tests(nb):
    for c in _tests(nb):
        c.metadata.nbgrader["grade_id"] += "_mine"
        c.source = "pass"


def _duplicate_tests(nb):
    for c in list(_tests(nb)):
        twin = copy.deepcopy(c)
        twin["id"] = generate_corpus_id()  # as JupyterLab gives a pasted cell
        twin.source = "pass"
        nb.cells.insert(nb.cells.index(c), twin)


def copied_answer(release, solution):
    """An honest accident: the answer cell pasted twice (a pasted cell keeps its grade id), the stub left first."""
    nb = copy.deepcopy(solution)
    answer = _cell(nb, ANSWER)
    stub = copy.deepcopy(_cell(release, ANSWER))
    stub["id"] = generate_corpus_id()  # as JupyterLab gives a pasted cell
    nb.cells.insert(nb.cells.index(answer), stub)
    return nb


def _unlock_and_mark_solution(nb):
    for c in _tests(nb):
        c.metadata.nbgrader.update(solution=True, locked=False)
        c.source = "pass"


ALWAYS_EQUAL = '''
class Anything(float):
    def __eq__(self, other): return True
    __ne__ = lambda self, other: False
    def __getattr__(self, name): return self
    def __call__(self, *a, **k): return self
    def __getitem__(self, i): return self
    def __iter__(self): return iter([])
    shape = property(lambda self: self)
    data = property(lambda self: self)
class Tensor(Anything):
    def __new__(cls, *a, **k): return Anything.__new__(cls, 0.0)
'''

NAN_TENSOR = '''
import numpy as np
class Tensor:
    def __init__(self, data, requires_grad=False, dtype=None):
        self.data = np.full(np.shape(getattr(data, "data", data)), np.nan, dtype=np.float32)
        self.requires_grad, self.grad, self._op, self._inputs, self._saved = requires_grad, None, "add", (), {}
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    def _nan(self, *args, **kwargs):
        return Tensor(self.data)
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _nan
    __matmul__ = matmul = __pow__ = __neg__ = __getitem__ = reshape = transpose = sum = mean = max = exp = log = _nan
    T = property(_nan)
'''

PATCH_NUMPY = '''
import numpy as np, builtins
np.allclose = lambda *a, **k: True
np.isfinite = lambda x: True
np.all = lambda *a, **k: True
builtins.isinstance = lambda *a: True
'''

PATCH_HELPERS = '''
import tinytorch.testing as _t
_t.assert_close = lambda *a, **k: None
'''

READ_SECRETS = '''
import glob, os
for pattern in ["/work/*/source/*/*.ipynb", "/work/*/gradebook/*.db", "/root/*", "/tmp/*/source/*/*.ipynb",
                "/tmp/pytest-of-*/*/*/source/*/*.ipynb", "/tmp/pytest-of-*/*/*/gradebook/*", "../../../source/*/*"]:
    for path in glob.glob(pattern):
        try:
            print("LEAKED", path, open(path, "rb").read(200))
        except OSError:
            pass
'''

NETWORK = '''
import socket
for host in ["127.0.0.1", "pypi.org"]:
    try:
        socket.create_connection((host, {port}), timeout=2)
        print("CONNECTED", host)
    except OSError as err:
        pass
'''

MANY_PROCESSES = '''
import subprocess
procs = []
try:
    for _ in range(200):
        procs.append(subprocess.Popen(["sleep", "30"]))
except OSError:
    print("PROCESS CAP HIT after", len(procs))
for p in procs:
    p.kill()
'''


def attacks(port):
    """name -> (builder, expectation). Expectations: 'zero' (no autograded points), 'full' (an honest
    accident, graded in full), 'any' (just graded, batch unharmed), and an event kind that must be recorded."""
    return {
        "infinite_loop": (with_answer(suffix="\nwhile True:\n    pass\n"), ("zero", "timeout")),
        "sigint_ignored": (with_answer(suffix="\nimport signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                              "while True:\n    pass\n"), ("zero", "timeout")),
        "os_exit": (with_answer(suffix="\nimport os\nos._exit(0)\n"), ("zero", "kernel_died")),
        "kill_parent": (with_answer(suffix="\nimport os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
                                           "import time\ntime.sleep(3)\n"), ("any", None)),
        "sys_exit": (with_answer(prefix="import sys\nsys.exit(1)\n"), ("zero", None)),
        "memory_flood": (with_answer(prefix="blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 2**20))\n"),
                         ("zero", None)),
        "output_flood": (with_answer(suffix="\nwhile True:\n    print('x' * 10000)\n"), ("zero", "output_limit")),
        "many_processes": (with_answer(suffix=MANY_PROCESSES), ("any", None)),
        "read_secrets": (with_answer(prefix=READ_SECRETS, base="release"), ("zero", None)),
        "network": (with_answer(prefix=NETWORK.format(port=port), base="release"), ("zero", None)),
        # suffix: these classes replace the stub Tensor the release defines in the same cell
        "always_equal": (with_answer(suffix=ALWAYS_EQUAL, base="release"), ("zero", None)),
        "nan_everywhere": (with_answer(suffix=NAN_TENSOR, base="release"), ("zero", None)),
        "patch_numpy": (with_answer(prefix=PATCH_NUMPY, base="release"), ("zero", "integrity")),
        "patch_helpers": (with_answer(prefix=PATCH_HELPERS, base="release"), ("zero", "integrity")),
        "dynamic_patch": (with_answer(prefix=DYNAMIC_PATCH, base="release"), ("zero", "integrity")),
        "import_reference": (with_answer(prefix="from tinytorch.tensor import Tensor as _T\n", base="release"),
                             ("zero", "integrity")),
        "edited_tests": (edit(_blank_tests), ("zero", "tampering")),
        "raised_points": (edit(_raise_points), ("zero", "tampering")),
        "deleted_tests": (edit(_delete_tests), ("zero", "tampering")),
        "moved_test": (edit(_move_test_first), ("zero", "tampering")),
        "renamed_grade_ids": (edit(_rename_tests), ("zero", "tampering")),
        "duplicated_tests": (edit(_duplicate_tests), ("zero", "tampering")),
        "unlocked_tests": (edit(_unlock_and_mark_solution), ("zero", "tampering")),
        "copied_answer": (copied_answer, ("full", None)),
        "not_json": (lambda r, s: b"{this is not a notebook", ("zero", "invalid_notebook")),
        "not_a_notebook": (lambda r, s: b'{"cells": 5}', ("zero", "invalid_notebook")),
    }


DYNAMIC_PATCH = '''
import importlib
helpers = importlib.import_module("tinytorch" + ".testing")
numpy_module = importlib.import_module("num" + "py")
setattr(numpy_module, "allclose", lambda *a, **k: True)
helpers.assert_close = lambda *a, **k: None
'''
