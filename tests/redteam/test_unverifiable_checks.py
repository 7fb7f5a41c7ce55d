"""Checks whose recorded value the kernel can produce without running the code under test.

CompareChecks compares values, so a forged record only earns a point if its value is right. For some
checkers the right value needs no knowledge of the answer at all:

- assert_true records a verdict computed in the kernel: the reference always records True;
- assert_raises records what was raised: "it raised ValueError" is known in advance;
- assert_same records two values the grader only compares with each other (and the first one's shape);
- check_gradients records gradients the grader compares with the reference's analytic ones, which the
  kernel can reproduce by finite differences of the forward pass (tinytorch.testing.numerical_gradient),
  without ever calling the `backward` under test.

FORGE replaces the four in tinytorch.testing (so per-cell `from tinytorch.testing import ...` picks them up)
in one added cell; its raise checks raise the expected error without calling the code, with the check's label
and match strings as the message. NUMPY_FILE does the same from a `numpy/` package placed next to the
notebook (the kernel's cwd is on sys.path before site-packages), with no code in the notebook at all. Each
attack sits on a listed mutant (tests/mutants/) or the blank release and must score, cell by cell, no more than
that baseline. When this test was written every case below failed: e.g. 04's mse_broadcasts_silently went from
10 to 12 of 12, 05's mul_gradients_swapped from 4 to 14 of 18, the blank 05 release from 0 to 3.

What closed it: a raise check's match strings are looked for in the recorded message by the grader and graded
kernels run without them (classroom/oracles.py); validation that mixes inputs that must work with inputs that
must fail is one assert_outcomes record; and the gate refuses a mutant that only forgeable checks catch
(tinytorch.testing.forgeable, classroom/check.py), so every listed wrong implementation also fails a value.
"""
import copy
import shutil

import nbformat
import pytest

from classroom import course, submissions
from classroom.grading import autograde_all, read_events

FORGE = '''import tinytorch.testing as _T
_real = (_T.assert_true, _T.assert_raises, _T.assert_same, _T._record, _T.numerical_gradient)
def _raises(exception, fn, what="error", match=()):
    def raise_it():                      # fn is never called; the message echoes all the kernel knows
        raise exception(" ".join([what] + ([] if match is ... else list(match))))
    _real[1](exception, raise_it, what, match)
def _grads(fn, *arrays, backward=None, rtol=1e-4, atol=1e-6, what="gradient"):
    import numpy as np                   # backward is never called: finite differences of the forward
    from tinytorch.tensor import Tensor
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    w = np.random.default_rng(0).standard_normal(fn(*[Tensor(a.copy()) for a in arrays]).shape)
    f = lambda xs: float((np.asarray(fn(*[Tensor(x) for x in xs]).data) * w).sum())
    for k in range(len(arrays)):
        _real[3]("close", f"{what} of input {k}", _real[4](f, arrays, k), rtol=rtol, atol=atol, check_dtype=False)
vars(_T).update(assert_true=lambda condition, what="condition": _real[0](True, what), assert_raises=_raises,
                assert_same=lambda first, second, what="repeat", rtol=1e-6, atol=1e-7: _real[2](first, first, what, rtol, atol),
                check_gradients=_grads)
'''

# numpy/__init__.py beside the notebook: loads the real numpy, then runs FORGE before the first cell.
NUMPY_FILE = '''import sys
_cwd = [p for p in sys.path if p in ("", ".") or "autograded" in p]
for p in _cwd:
    sys.path.remove(p)
del sys.modules["numpy"]
import numpy                              # the real one; the importer receives it from sys.modules
sys.path.extend(_cwd)
_FORGE = %r
def _once(*args):
    if not getattr(sys, "_forged", False):
        sys._forged = True
        exec(_FORGE, {})
from IPython import get_ipython
get_ipython().events.register("pre_run_cell", _once)
''' % FORGE

# name -> (module, mutant name or None for the blank release, attack)
CASES = {
    "01_add_skips_broadcast_check+forge": ("01_tensor", "add_skips_broadcast_check", "cell"),
    "03_init_private_generator+forge": ("03_layers", "init_private_generator", "cell"),
    "04_mse_broadcasts_silently+forge": ("04_losses", "mse_broadcasts_silently", "cell"),
    "04_ce_accepts_float_labels+numpy_file": ("04_losses", "ce_accepts_float_labels", "file"),
    "05_mul_gradients_swapped+forge": ("05_autograd", "mul_gradients_swapped", "cell"),
    "05_blank+forge": ("05_autograd", None, "cell"),
    "06_sgd_not_in_place+forge": ("06_optimizers", "sgd_not_in_place", "cell"),
}

def _student(name):
    return name.lower().replace("_", "-").replace("+", "--")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from classroom.nbgrader_api import Course
    root = tmp_path_factory.mktemp("unverifiable")
    modules = sorted({m for m, _, _ in CASES.values()})
    for m in modules:
        shutil.copytree(course.SOURCE / m, root / "source" / m)
    c = Course(root, overrides={"GuardedExecute.timeout": 30, "Classroom.published": course.modules()})
    missing, baselines = {}, {}
    for m in modules:
        c.generate_assignment(m)
    for name, (m, mutant, attack) in CASES.items():
        release = nbformat.read(str(root / "release" / m / f"{m}.ipynb"), as_version=4)
        source = nbformat.read(str(course.source_notebook(m)), as_version=4)
        if mutant is None:
            base = release
        else:
            found = [x for x in submissions.mutants(m) if x["name"] == mutant]
            try:
                base = submissions.fill(release, source, found[0]) if found else None
            except ValueError:
                base = None
            if base is None:
                missing[name] = f"mutant {mutant} of {m} is gone or no longer applies"
                continue
        baseline = _student(f"{m}-{mutant or 'blank'}")
        baselines[name] = baseline
        submissions.write(base, c.submission_path(m, baseline))
        attacked = copy.deepcopy(base)
        path = c.submission_path(m, _student(name))
        if attack == "cell":
            attacked.cells.insert(0, nbformat.v4.new_code_cell(FORGE))
        else:
            (path.parent / "numpy").mkdir(parents=True)
            (path.parent / "numpy" / "__init__.py").write_text(NUMPY_FILE)
        submissions.write(attacked, path)
    autograde_all(modules, c=c, workers=2, progress=False)
    return c, baselines, missing


@pytest.mark.parametrize("name", list(CASES))
def test_forging_value_free_checks_earns_nothing(graded, name):
    c, baselines, missing = graded
    if name in missing:
        pytest.skip(missing[name])
    module = CASES[name][0]
    base = {cell: s[0] for cell, s in c.cell_scores(module, baselines[name]).items()}
    attacked = {cell: s[0] for cell, s in c.cell_scores(module, _student(name)).items()}
    assert base and set(attacked) == set(base)
    gained = {cell: (base[cell], attacked[cell]) for cell in base if attacked[cell] > base[cell]}
    events = [e["kind"] for e in read_events(c, module, _student(name))]
    assert not gained, (f"{name}: forged records earned points the code does not (cell: (baseline, attacked)) "
                        f"{gained}; events recorded: {events}")
