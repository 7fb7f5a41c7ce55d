"""Notebooks as a student would hand them in: filled from the solution, left blank, or with a known bug."""
import copy
import runpy

import nbformat

from classroom import course
from classroom.delimiters import delimiters

MUTANTS = course.ROOT / "tests" / "mutants"


def strip_markers(text):
    return "\n".join(line for line in text.splitlines() if not delimiters().is_solution_marker(line))


def mutants(module_id):
    """The plausible wrong implementations listed for a module (tests/mutants/<module_id>.py)."""
    path = MUTANTS / f"{module_id}.py"
    return runpy.run_path(str(path))["MUTANTS"] if path.is_file() else []


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def fill(release_nb, source_nb, mutant=None):
    """The release notebook with every answer cell written as in the solution (optionally with one mutant).

    A mutant is dict(cell=<grade_id>, find=<text>, replace=<text>); `find` must occur exactly once.
    """
    answers = {_grade_id(c): strip_markers(c.source) for c in source_nb.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    if mutant is not None:
        text = answers.get(mutant["cell"])
        if text is None or text.count(mutant["find"]) != 1:
            raise ValueError(f"mutant {mutant['name']!r}: its text must occur exactly once in answer cell "
                             f"{mutant['cell']!r}")
        answers[mutant["cell"]] = text.replace(mutant["find"], mutant["replace"])
    filled = copy.deepcopy(release_nb)
    for cell in filled.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[_grade_id(cell)]
    return filled


def write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
