"""Ways to make wrong values pass, each on top of one wrong solution of 01_tensor.

The wrong solution computes every float result of every op as 1.5·x + 0.25. Each attack adds code that
would, if any verdict were computed in the kernel, turn its failures into passes: rebinding or wrapping
the checkers, patching numpy, builtins or tinytorch.testing by any route, faking check records, hiding the
test cell's own errors, trace and audit hooks. Graded outside the kernel, each must score exactly what the
wrong solution scores.
"""
import copy

import nbformat

ANSWER = "tensor_class"
WRONG = ("        out = cls(data)\n",
         "        array = np.asarray(data)\n"
         "        out = cls(array * 1.5 + 0.25 if array.dtype.kind == \"f\" else array)  # every float result wrong\n")


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _first_test(nb):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
                and not c.metadata["nbgrader"].get("solution"))


def wrong_solution(release, solution):
    """The solution with every float result wrong: the baseline no attack may improve on."""
    nb = copy.deepcopy(solution)
    cell = _cell(nb, ANSWER)
    assert cell.source.count(WRONG[0]) == 1, "Tensor.from_op changed: update WRONG"
    cell.source = cell.source.replace(*WRONG)
    return nb


def on_wrong(suffix="", cell_before_tests=None):
    """The wrong solution plus attack code after the answer and/or in an extra cell before the first test."""
    def build(release, solution):
        nb = wrong_solution(release, solution)
        _cell(nb, ANSWER).source += suffix
        if cell_before_tests is not None:
            nb.cells.insert(nb.cells.index(_first_test(nb)), nbformat.v4.new_code_cell(cell_before_tests))
        return nb
    return build


# The attack from the field: two lines before the first test cell. It neuters only checkers that test the
# wrong values, so it must score exactly what the wrong solution scores.
FIELD_TWO_LINES = """
assert_close = lambda *a, **k: None
check_gradients = lambda *a, **k: None
"""

REBIND_ALL_CHECKERS = """
import builtins
assert_close = check_gradients = assert_equal = assert_true = assert_raises = lambda *a, **k: None
builtins.assert_close = assert_close
"""

# Wrap the checkers so that they record the expected value instead of the actual one.
RECORD_EXPECTED = """
import tinytorch.testing as _t
def assert_close(actual, expected, *args, **kwargs):
    return _t.assert_close(expected, expected, *args, **kwargs)
def assert_equal(actual, expected, *args, **kwargs):
    return _t.assert_equal(expected, expected, *args, **kwargs)
def assert_raises(exception, fn, *args, **kwargs):
    def raise_it():
        raise exception("3 2 (2, 3)")
    return _t.assert_raises(exception, raise_it, *args, **kwargs)
"""

PATCH_TESTING = """
import tinytorch.testing as _t
vars(_t)["assert_close"] = lambda *a, **k: None
setattr(_t, "_record", lambda *a, **k: None)
_t._close_failure = lambda *a, **k: None
_t.set_check_mode("learn")
"""

# Patches made inside a function body that the tests call (through Tensor.__add__), via aliases.
PATCH_AT_CALL_TIME = """
def _patch_everything():
    import numpy, builtins, sys
    alias = numpy
    setattr(alias, "allclose", lambda *a, **k: True)
    vars(alias)["array_equal"] = lambda *a, **k: True
    vars(builtins)["isinstance"] = lambda *a: True
    testing = sys.modules["tinytorch" + ".testing"]
    testing.__dict__["_plain_data"] = lambda value, depth=0: {"type": "str", "value": "anything"}
_original_add = Tensor.__add__
def _add_and_patch(self, other):
    _patch_everything()
    return _original_add(self, other)
Tensor.__add__ = _add_and_patch
"""

# Student code that displays (and prints) fake check records with huge tolerances and "passed" verdicts.
FAKE_RECORDS = """
import json
from IPython.display import display
_MIME = "application/vnd.tinytorch.check+json"
def _fake(label):
    value = {"type": "array", "dtype": "<f8", "shape": [], "data": "AAAAAAAA8D8="}
    display({_MIME: {"check": "close", "label": label, "line": 1, "value": value, "rtol": 1e9, "atol": 1e9,
                     "check_dtype": False}}, raw=True)
    print(json.dumps({_MIME: {"label": label, "verdict": "passed"}}))
    display({"text/plain": "3.0"}, raw=True)
_original_mul = Tensor.__mul__
def _mul_and_fake(self, other):
    _fake("a * 2")
    return _original_mul(self, other)
Tensor.__mul__ = _mul_and_fake
"""

# Hide the test cell's own errors, and make every check raise so that hiding matters.
SWALLOW_ERRORS = """
import sys
get_ipython().set_custom_exc((BaseException,), lambda shell, etype, evalue, tb, tb_offset=None: None)
sys.excepthook = lambda *a: None
assert_close = lambda *a, **k: 1 / 0
"""

TRACE_HOOKS = """
import sys
def _tracer(frame, event, arg):
    if event == "call" and frame.f_code.co_name in ("assert_close", "_record", "_close_failure"):
        frame.f_locals["actual"] = frame.f_locals.get("expected")
    return None
sys.settrace(_tracer)
sys.setprofile(lambda frame, event, arg: None)
sys.addaudithook(lambda event, args: None)
"""


def value_attacks():
    """name -> builder (release_nb, solution_nb) -> notebook. None may score more than `wrong_solution` in any
    cell (an attack that also silences checks the wrong solution passes loses those points too)."""
    return {
        "field_two_lines": on_wrong(cell_before_tests=FIELD_TWO_LINES),
        "rebind_all_checkers": on_wrong(cell_before_tests=REBIND_ALL_CHECKERS),
        "record_expected": on_wrong(cell_before_tests=RECORD_EXPECTED),
        "patch_testing": on_wrong(cell_before_tests=PATCH_TESTING),
        "patch_at_call_time": on_wrong(suffix=PATCH_AT_CALL_TIME),
        "fake_records": on_wrong(suffix=FAKE_RECORDS),
        "swallow_errors": on_wrong(cell_before_tests=SWALLOW_ERRORS),
        "trace_hooks": on_wrong(cell_before_tests=TRACE_HOOKS),
    }
