"""The package a grading kernel imports: published modules only, with bytecode the kernel can use (it cannot
write its own), verified against the source at each import."""
import importlib.util

from classroom import course
from classroom.kernel_package import published_package


def _pyc_flags(path):
    # PEP 552: the second 32-bit word of a pyc; 0b11 = hash-based and checked against the source at import
    return int.from_bytes(open(importlib.util.cache_from_source(str(path)), "rb").read()[4:8], "little")


def test_each_module_has_a_checked_hash_pyc(tmp_path):
    package = published_package("03_layers", course.modules(), tmp_path) / "tinytorch"
    names = sorted(p.name for p in package.glob("*.py"))
    assert names == ["__init__.py", "activations.py", "tensor.py", "testing.py"], names
    assert all(_pyc_flags(package / n) == 0b11 for n in names)


def test_a_module_no_longer_published_leaves_no_source(tmp_path):
    published_package("03_layers", course.modules(), tmp_path)
    package = published_package("03_layers", ["01_tensor"], tmp_path) / "tinytorch"
    assert not (package / "activations.py").exists()
    assert "activations" not in (package / "__init__.py").read_text()
    # its pyc may stay: Python reads a pyc in __pycache__ only beside its source file (PEP 3147)
