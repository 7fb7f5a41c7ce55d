"""The `tinytorch` a student kernel imports: only the modules published before the one being graded."""
import importlib.util
import os
import py_compile
from pathlib import Path

from classroom import course, export


def published_before(module_id, published):
    """The published modules the students of `module_id` may hold, in course order (every published one if
    module_id is None); ValueError for a module the course does not have."""
    order = course.modules()
    if module_id is None:
        return [m for m in order if m in published]
    if module_id not in order:
        raise ValueError(f"no module {module_id!r}; modules: {', '.join(order)}")
    return [m for m in order[:order.index(module_id)] if m in published]


def published_package(module_id, published, root):
    """Write <root>/build/sandbox/<module>/tinytorch with the published modules before `module_id`; return
    its parent (what the sandbox puts on the kernel's path). The shared test helpers (tinytorch.testing)
    are always there."""
    allowed = published_before(module_id, published) if module_id in course.modules() else []
    target = Path(root) / "build" / "sandbox" / module_id
    package = target / "tinytorch"
    package.mkdir(parents=True, exist_ok=True)
    files = export.build_package(allowed)
    for stale in package.glob("*.py"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        path = package / name
        changed = not path.is_file() or path.read_text() != text
        if changed:
            scratch = package / f".{name}.{os.getpid()}"
            scratch.write_text(text)
            os.replace(scratch, path)  # atomic: parallel graders may read it meanwhile
        # Kernels cannot write bytecode (PYTHONDONTWRITEBYTECODE, a read-only package), so each compiled the modules
        # it imports again. A checked-hash pyc is verified against its source at every import (a pyc of a module no
        # longer published is never used: Python reads __pycache__ only beside a source file).
        if changed or not os.path.exists(importlib.util.cache_from_source(str(path))):
            py_compile.compile(str(path), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    return target
