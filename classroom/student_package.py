"""`make student-package`: the `tinytorch` students install, holding only the published modules.

Writes build/student/ (a pip-installable project) from the source notebooks' export cells of the modules in
c.Classroom.published (plus the shared test helpers). Students run `pip install build/student` (or the
wheel you build from it); a module whose deadline has not passed exists nowhere in what they hold.
"""
from pathlib import Path

from classroom import course, export
from classroom.config import Classroom

PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "tinytorch"
version = "0.1.0+{tag}"
description = "TinyTorch reference package: published modules {modules}"
requires-python = ">=3.10"
dependencies = ["numpy>=1.26"]

[tool.setuptools]
packages = ["tinytorch"]
"""


def build(published, directory):
    directory = Path(directory)
    package = directory / "tinytorch"
    package.mkdir(parents=True, exist_ok=True)
    for stale in package.glob("*.py"):
        stale.unlink()
    for name, text in export.build_package(published).items():
        (package / name).write_text(text)
    tag = "m" + "-".join(m.split("_")[0] for m in published) if published else "none"
    (directory / "pyproject.toml").write_text(PYPROJECT.format(tag=tag, modules=", ".join(published) or "none"))
    return sorted(p.name for p in package.glob("*.py"))


def main():
    from classroom.nbgrader_api import load_config
    published = Classroom(config=load_config()).published or course.modules()
    files = build(published, course.ROOT / "build" / "student")
    print(f"build/student: tinytorch with {', '.join(published)} ({', '.join(files)}); "
          f"students install it with `pip install build/student`")


if __name__ == "__main__":
    main()
