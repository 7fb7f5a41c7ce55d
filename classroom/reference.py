"""The reference solution's check records: what every submission's records are compared with.

Computed by running the module's source notebook (the solution, hidden tests included) through the same
executor and sandbox as a submission, in "reference" mode (every check records its value and also raises
if the solution fails it). Computed once per module version, keyed by the hash of the source notebook and
of the package its kernel imports, and kept in gradebook/reference/, which no kernel can see. Parallel
graders compute it once between them (a file lock).
"""
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import nbformat

from classroom.config import Classroom
from classroom.cells import is_test_cell
from classroom.hidden_tests import strip_ansi
from classroom.kernel_package import published_package

FORMAT = "2"  # bump when the record format or the way references are computed changes


class ReferenceFailed(RuntimeError):
    """The reference solution fails one of its own test cells: nothing can be graded against it."""


def pop_records(cell):
    """Remove the check records from a cell's outputs and return them, in order."""
    # imported when used, not with this module: nbgrader_config.py imports classroom, and `make package` must
    # load it even when the generated tinytorch/ is broken (it is what repairs it)
    from tinytorch.testing import RECORD_MIME
    records, kept = [], []
    for out in cell.get("outputs", []):
        if out.get("output_type") in ("display_data", "execute_result") and RECORD_MIME in out.get("data", {}):
            records.append(json.loads(json.dumps(out["data"][RECORD_MIME])))  # plain dicts, not NotebookNodes
        else:
            kept.append(out)
    cell.outputs = kept
    return records


def source_digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _key(source, package_dir):
    digest = hashlib.sha256(FORMAT.encode())
    digest.update(source.read_bytes())
    for path in sorted((Path(package_dir) / "tinytorch").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def compute(config, module_id, source):
    """Run the source notebook in the sandbox; return {"cells": {grade_id: {"records", "error", "source"}}}."""
    from classroom.preprocessors.guarded_execute import GuardedExecute  # (the preprocessors import this module)
    workdir = Path(tempfile.mkdtemp(prefix=f"tt-reference-{module_id}-"))
    try:
        shutil.copytree(source.parent, workdir, dirs_exist_ok=True)
        workdir.chmod(0o755)  # the sandboxed kernel's uid must be able to enter its working directory
        nb = nbformat.read(str(source), as_version=4)
        executor = GuardedExecute(config=config)
        executor.check_mode = "reference"
        nb, _ = executor.preprocess(nb, {"metadata": {"path": str(workdir)},
                                         "nbgrader": {"assignment": module_id, "notebook": module_id}})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    cells = {}
    for cell in nb.cells:
        if is_test_cell(cell):
            records = pop_records(cell)
            errors = [o for o in cell.outputs if o.output_type == "error"]
            error = strip_ansi(f"{errors[0].get('ename')}: {errors[0].get('evalue')}")[:2000] if errors else None
            cells[cell.metadata.nbgrader["grade_id"]] = {
                "records": records, "error": error, "source": source_digest(cell.source)}
    return {"module": module_id, "cells": cells}


def reference_checks(config, module_id):
    """The reference records of `module_id` for the course at config.CourseDirectory.root (cached).

    Raises ReferenceFailed (with the solution's own assertion message) if a test cell fails on the
    solution; such a result is not cached, so a fixed notebook is picked up at once."""
    root = Path(config.CourseDirectory.root)
    source = root / "source" / module_id / f"{module_id}.ipynb"
    if not source.is_file():
        raise ReferenceFailed(f"no source notebook {source}: the reference solution of {module_id} is needed to grade it")
    package = published_package(module_id, Classroom(config=config).published, root)
    folder = root / "gradebook" / "reference"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module_id}-{_key(source, package)[:16]}.json"
    with open(folder / f"{module_id}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():
            result = compute(config, module_id, source)
            failed = {g: c["error"] for g, c in result["cells"].items() if c["error"]}
            if failed:
                err = ReferenceFailed(f"the reference solution of {module_id} fails its own tests: " + "; ".join(
                    f"{g}: {e}" for g, e in failed.items()))
                err.failed = failed
                raise err
            scratch = path.with_suffix(f".{os.getpid()}.tmp")
            scratch.write_text(json.dumps(result))
            os.replace(scratch, path)
    return json.loads(path.read_text())
