"""The static integrity scan (classroom/integrity.py): extending tinytorch through its sanctioned API is not
flagged; patching tinytorch's objects, or writing into its tables directly, is."""
import shutil

import nbformat
import pytest

from classroom import course, submissions
from classroom.integrity import scan_notebook

LATER = "06_optimizers"  # a module after 05_autograd: importing tinytorch.autograd is allowed there


def _notebooks(student_code):
    meta = {"nbgrader": {"grade": False, "grade_id": "answer", "locked": False, "schema_version": 3, "solution": True}}
    release = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# YOUR CODE HERE", metadata=meta)])
    submitted = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(student_code, metadata=meta)])
    return submitted, release


def _flags(student_code, module_id=LATER):
    nb, release = _notebooks(student_code)
    return [e["detail"] for e in scan_notebook(nb, module_id, release)]


SANCTIONED = {
    "register_op call": """
import numpy as np
from tinytorch.autograd import register_op
from tinytorch.tensor import Tensor

def conv1d(x, w):
    return Tensor.from_op(np.convolve(x.data, w.data, mode="valid"), "conv1d", x, w)

def grad_conv1d(out, g):
    x, w = out._inputs
    return np.convolve(g, w.data[::-1], mode="full"), np.convolve(x.data[::-1], g, mode="valid")[::-1]

register_op("conv1d", grad_conv1d)
""",
    "register_op decorator": """
import numpy as np
from tinytorch.autograd import register_op

@register_op("square")
def grad_square(out, g):
    (x,) = out._inputs
    return (2 * g * x.data,)
""",
    "register_op through the package, with replace": """
import tinytorch
import tinytorch.autograd as ag

@tinytorch.autograd.register_op("double")
def grad_double(out, g):
    return (2 * g,)

ag.register_op("double", grad_double, replace=True)
rules = ag.GRAD_RULES
print(sorted(rules), rules.get("double"))
""",
    "an op hook": """
from tinytorch.tensor import add_op_hook
seen = []
handle = add_op_hook(seen.append)
handle.remove()
with add_op_hook(lambda event: seen.append(event.op)):
    pass
""",
    "ordinary tensor code": """
import numpy as np
from tinytorch.tensor import Tensor
w = Tensor(np.zeros(3), requires_grad=True)
params = [w]
params.append(Tensor(np.ones(2), requires_grad=True))
for p in params:
    p.data -= 0.1 * (p.grad if p.grad is not None else 0)
    p.grad = None
state = {}
state.update(lr=0.1)
""",
}


@pytest.mark.parametrize("name", sorted(SANCTIONED))
def test_sanctioned_extensions_are_not_flagged(name):
    assert _flags(SANCTIONED[name]) == []


PATCHES = {
    "assign a Tensor method": ("from tinytorch.tensor import Tensor\nTensor.__add__ = lambda self, other: self\n",
                               "modifies tinytorch.tensor.Tensor"),
    "setattr on Tensor": ("from tinytorch import Tensor\nsetattr(Tensor, 'exp', lambda self: self)\n",
                          "setattr on tinytorch.Tensor"),
    "patch through the package": ("import tinytorch\ntinytorch.tensor.Tensor.backward = print\n",
                                  "modifies tinytorch"),
    "delete a Tensor method": ("from tinytorch.tensor import Tensor\ndel Tensor.log\n", "modifies tinytorch.tensor.Tensor"),
    "GRAD_RULES item": ("from tinytorch.autograd import GRAD_RULES\nGRAD_RULES['conv1d'] = lambda out, g: (g,)\n",
                        "modifies tinytorch.autograd.GRAD_RULES"),
    "GRAD_RULES through a module alias": ("import tinytorch.autograd as ag\nag.GRAD_RULES['mul'] = lambda out, g: (g, g)\n",
                                          "modifies tinytorch.autograd"),
    "GRAD_RULES.update": ("from tinytorch.autograd import GRAD_RULES\nGRAD_RULES.update(mul=lambda out, g: (g, g))\n",
                          "GRAD_RULES.update()"),
    "GRAD_RULES.pop": ("import tinytorch\ntinytorch.autograd.GRAD_RULES.pop('mul')\n", "GRAD_RULES.pop()"),
    "GRAD_RULES.setdefault": ("from tinytorch.autograd import GRAD_RULES as R\nR.setdefault('x', print)\n",
                              "R.setdefault()"),
    "del GRAD_RULES item": ("from tinytorch.autograd import GRAD_RULES\ndel GRAD_RULES['mul']\n",
                            "modifies tinytorch.autograd.GRAD_RULES"),
    "GRAD_RULES through a local alias": ("import tinytorch.autograd as ag\nrules = ag.GRAD_RULES\nrules['mul'] = print\n",
                                         "modifies tinytorch.autograd"),
    "hook list appended directly": ("from tinytorch import tensor\ntensor._OP_HOOKS.append(print)\n",
                                    "_OP_HOOKS.append()"),
}


@pytest.mark.parametrize("name", sorted(PATCHES))
def test_patching_tinytorch_is_flagged(name):
    code, expected = PATCHES[name]
    flags = _flags(code)
    assert any(expected in f for f in flags), flags


def test_register_op_in_module_05_itself_imports_the_reference():
    flags = _flags(SANCTIONED["register_op decorator"], module_id="05_autograd")
    assert flags == ["line 3: imports the reference solution tinytorch.autograd",
                     "line 3: imports the reference solution tinytorch.autograd.register_op"]


def test_rebinding_an_alias_ends_it():
    assert _flags("from tinytorch.autograd import GRAD_RULES\nrules = GRAD_RULES\nrules = {}\nrules['x'] = 1\n") == []


@pytest.mark.parametrize("module_id", course.modules())
def test_no_flag_on_honest_code(module_id, tmp_path):
    """Flags are about exploits, not idioms: the solution and every mutant (honest, if wrong, code) of
    every module scan clean. Field case: a 03_layers solution walking `self.__dict__` was flagged."""
    from classroom.integrity import scan_notebook
    from classroom.nbgrader_api import Course
    shutil.copytree(course.SOURCE / module_id, tmp_path / "source" / module_id)
    c = Course(tmp_path)
    c.generate_assignment(module_id)
    release = nbformat.read(str(tmp_path / "release" / module_id / f"{module_id}.ipynb"), as_version=4)
    source = nbformat.read(str(course.source_notebook(module_id)), as_version=4)
    notebooks = {"solution": submissions.fill(release, source)}
    notebooks.update({m["name"]: submissions.fill(release, source, m) for m in submissions.mutants(module_id)})
    flagged = {name: events for name, nb in notebooks.items() if (events := scan_notebook(nb, module_id, release))}
    assert not flagged, f"{len(flagged)} of {len(notebooks)} honest notebooks flagged: {flagged}"
    if module_id == "03_layers":
        dict_walk = submissions.fill(release, source)
        for cell in dict_walk.cells:
            cell.source = cell.source.replace("vars(self).values()", "self.__dict__.values()")
        assert not scan_notebook(dict_walk, module_id, release)


def test_redefining_a_function_a_locked_cell_gives_is_flagged():
    """Tests call the helpers locked cells give (18's `temporary_bytes` measures a function's temporaries): a
    student cell that rebinds one would change what the test measures. Plain variables of a demo cell are
    not helpers, and the student's own functions are theirs."""
    answer = {"nbgrader": {"grade": False, "grade_id": "answer", "locked": False, "schema_version": 3, "solution": True}}
    given = {"nbgrader": {"grade": False, "grade_id": "given", "locked": True, "schema_version": 3, "solution": False}}
    release = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import tracemalloc\n\ndef temporary_bytes(fn):\n    return 1\n\nx = 3\n",
                                  metadata=given),
        nbformat.v4.new_code_cell("# YOUR CODE HERE", metadata=answer)])

    def flags(code):
        nb = nbformat.v4.new_notebook(cells=[release.cells[0], nbformat.v4.new_code_cell(code, metadata=answer)])
        return [e["detail"] for e in scan_notebook(nb, LATER, release)]
    assert flags("def temporary_bytes(fn):\n    return 0\n") == [
        "line 1: redefines temporary_bytes, which a locked cell gives (the tests use it)"]
    assert flags("temporary_bytes = lambda fn: 0\n")
    assert flags("import tracemalloc\ntracemalloc.get_traced_memory = lambda: (0, 0)\n")
    assert flags("x = 4\ndef gelu(x):\n    def temporary_bytes():\n        return 2\n    return x\n") == []
