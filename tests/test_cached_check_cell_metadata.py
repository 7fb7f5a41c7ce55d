"""CachedCheckCellMetadata validates each distinct cell metadata once per process, and still refuses every
notebook nbgrader's CheckCellMetadata refuses: invalid metadata (every time it is seen) and duplicate grade ids."""
import copy

import nbformat
import pytest
from nbgrader.nbgraderformat import ValidationError

from classroom import course
from classroom.preprocessors import CachedCheckCellMetadata


def _solution():
    return nbformat.read(str(course.source_notebook("01_tensor")), as_version=4)


def _graded(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def test_a_valid_notebook_passes_again():
    check = CachedCheckCellMetadata()
    nb = _solution()
    for _ in range(2):
        assert check.preprocess(copy.deepcopy(nb), {})[0].cells == nb.cells


def test_invalid_metadata_is_refused_every_time():
    check = CachedCheckCellMetadata()
    check.preprocess(_solution(), {})  # its valid cells are remembered
    for _ in range(2):
        nb = _solution()
        del _graded(nb)[0].metadata.nbgrader["points"]  # a grade cell without points
        with pytest.raises(ValidationError, match="nbgrader metadata may be corrupted"):
            check.preprocess(nb, {})


def test_duplicate_grade_ids_are_refused_after_their_cells_passed():
    check = CachedCheckCellMetadata()
    check.preprocess(_solution(), {})
    nb = _solution()
    nb.cells.append(copy.deepcopy(_graded(nb)[0]))  # the same valid cell twice: each alone passes
    with pytest.raises(ValidationError):
        check.preprocess(nb, {})
