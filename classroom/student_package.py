"""What students get: `make student-dist MODULE=M`, one archive per module, the way students get the course.

build/student-dist/M.tar.gz holds
- `M/M.ipynb`, the release notebook (solutions stripped, hidden tests removed), and any other file of release/M/
  (20_capstone's baseline model);
- `tinytorch/`, a pip-installable project holding only the modules published *before* M (c.Classroom.published;
  nothing that is not published, never M itself) plus the shared test helpers `tinytorch.testing`, and
  depending on NumPy and nbgrader (so `nbgrader validate` works where students work);
- `README.md`, saying how to install, work, validate and hand in;
- `nbgrader_config.py`, the student side of nbgrader's exchange (course id and exchange root).

`make student-package` writes the same `tinytorch/` project alone to build/student/ (MODULE=M for module M's,
else every published module).
"""
import argparse
import shutil
import tarfile
import tempfile
from pathlib import Path

from classroom import course, exchange, export
from classroom.kernel_package import published_before
from classroom.config import Classroom

PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "tinytorch"
version = "0.1.0+{tag}"
description = "TinyTorch reference package: published modules {modules}"
requires-python = ">=3.10"
dependencies = [{dependencies}]

[tool.setuptools]
packages = ["tinytorch"]
"""

README = """# {module_id}

1. Install the course package (the reference `tinytorch` of the modules published so far, {modules}; the
   test helpers; NumPy and nbgrader):

       python -m pip install ./tinytorch

2. Open `{module_id}/{module_id}.ipynb` in JupyterLab (`python -m pip install jupyterlab` if you have none).
   Its first cell says how it is graded. Implement the cells marked `# YOUR CODE HERE`; run the test cell at
   the end of each section.
3. Before handing in: restart the kernel and run all cells, then

       nbgrader validate {module_id}/{module_id}.ipynb

4. Hand in `{module_id}.ipynb` under that name, the way your course says: with nbgrader's exchange, run
   `nbgrader submit {module_id}` from this folder (its `nbgrader_config.py` names the course and the
   exchange), with the notebook at `{module_id}/{module_id}.ipynb`; or through your LMS.
"""


def _pinned(name):
    """The requirement line for `name` in requirements.txt (what the course is tested with)."""
    for line in (course.ROOT / "requirements.txt").read_text().splitlines():
        if line.split("==")[0].strip().lower() == name:
            return line.strip()
    raise LookupError(f"{name} is not pinned in requirements.txt")


def build(published, directory):
    """Write the pip-installable `tinytorch` project of the `published` modules into `directory`; return its
    file names."""
    directory = Path(directory)
    package = directory / "tinytorch"
    package.mkdir(parents=True, exist_ok=True)
    for stale in package.glob("*.py"):
        stale.unlink()
    for name, text in export.build_package(published).items():
        (package / name).write_text(text)
    tag = "m" + "-".join(m.split("_")[0] for m in published) if published else "none"
    dependencies = ", ".join(f'"{_pinned(name)}"' for name in ("numpy", "nbgrader"))
    (directory / "pyproject.toml").write_text(PYPROJECT.format(tag=tag, modules=", ".join(published) or "none",
                                                               dependencies=dependencies))
    return sorted(p.name for p in package.glob("*.py"))


def distribution(module_id, published, out_dir, release_dir=course.RELEASE, config=None):
    """Write out_dir/<module_id>.tar.gz (see the module docstring); return its path."""
    notebook = Path(release_dir) / module_id / f"{module_id}.ipynb"
    if not notebook.is_file():
        raise FileNotFoundError(f"{notebook} does not exist: run `make release` first")
    allowed = published_before(module_id, published)
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp) / module_id
        (top / module_id).mkdir(parents=True)
        shutil.copy(notebook, top / module_id / notebook.name)
        for extra in sorted(notebook.parent.iterdir()):  # files the notebook reads (20_capstone's baseline model)
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy(extra, top / module_id / extra.name)
        build(allowed, top / "tinytorch")
        (top / "README.md").write_text(README.format(module_id=module_id, modules=", ".join(allowed) or "none yet"))
        if config is not None:
            (top / "nbgrader_config.py").write_text(exchange.student_config(config))
        out = Path(out_dir) / f"{module_id}.tar.gz"
        out.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(out, "w:gz") as archive:
            archive.add(top, arcname=module_id)
    return out


def main(argv=None):
    from classroom.nbgrader_api import load_config
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", help="the module students will work on (its package holds the ones before)")
    parser.add_argument("--dist", action="store_true", help="the whole student archive (needs --module)")
    args = parser.parse_args(argv)
    config = load_config()
    published = Classroom(config=config).published
    if args.dist:
        if not args.module:
            parser.error("make student-dist needs MODULE=NN_name")
        path = distribution(args.module, published, course.ROOT / "build" / "student-dist", config=config)
        print(f"{path}: release notebook, tinytorch with {', '.join(published_before(args.module, published)) or 'no module'}"
              " published, README")
        return 0
    modules = published_before(args.module, published)
    files = build(modules, course.ROOT / "build" / "student")
    print(f"build/student: tinytorch with {', '.join(modules) or 'no published module'} ({', '.join(files)}); "
          f"students install it with `pip install build/student`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
