"""Where things are in the course repository, and which modules exist."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"
RELEASE = ROOT / "release"
PACKAGE = ROOT / "tinytorch"
GRADEBOOK = ROOT / "gradebook"


def modules():
    """Assignment ids (`01_tensor`, ...) in course order: every folder of source/ holding its own notebook."""
    return sorted(p.name for p in SOURCE.iterdir() if (p / f"{p.name}.ipynb").is_file())


def source_notebook(module_id):
    return SOURCE / module_id / f"{module_id}.ipynb"


def package_name(module_id):
    """`01_tensor` -> `tensor`: the tinytorch module a notebook exports to by default."""
    return module_id.split("_", 1)[1]
