"""CachedCheckCellMetadata: nbgrader's CheckCellMetadata, validating each distinct cell metadata once per process.

nbgrader validates every cell's `nbgrader` metadata with `jsonschema.validate`, which checks the schema itself
before each cell (about 20 ms of a grader's CPU per notebook, twice per notebook in autograde). In a class,
the cells of a module carry the same metadata in every submission (OverwriteCells restores the locked ones),
so a (cell type, metadata) pair that passed once passes again: it is not validated again. Everything else is
nbgrader's own: its checks, its errors, the duplicate grade id check over the whole notebook, which runs
for every notebook.
"""
import json

from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import CheckCellMetadata


class _OnceMetadataValidator(MetadataValidator):
    _passed = set()  # (cell type, metadata as JSON): shared by the instances of one process

    def validate_cell(self, cell):
        meta = cell.metadata.get("nbgrader")
        # a cell whose type changed makes nbgrader log a warning for that notebook: validate it every time
        if meta is None or meta.get("cell_type", cell.cell_type) != cell.cell_type:
            return super().validate_cell(cell)
        key = (cell.cell_type, json.dumps(meta, sort_keys=True))
        if key not in self._passed:
            super().validate_cell(cell)  # raises on invalid metadata: nothing is remembered then
            self._passed.add(key)


class CachedCheckCellMetadata(CheckCellMetadata):
    """CheckCellMetadata with nbgrader's validator, each distinct valid cell metadata validated once."""

    def preprocess(self, nb, resources):
        # as nbgrader's preprocess, which builds its validator inline: log the cause, raise its message
        try:
            _OnceMetadataValidator().validate_nb(nb)
        except ValidationError as err:
            self.log.error("%s: %s", type(err).__name__, err)
            raise ValidationError("Notebook failed to validate; the nbgrader metadata may be corrupted.")
        return nb, resources
