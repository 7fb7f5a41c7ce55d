"""RestoreGradingMetadata: before nbgrader checks a submission, put its grading metadata back the way the release had it.

nbgrader itself stops on a notebook whose graded cells were duplicated (a copy-pasted cell carries its
grade id), renamed, or had their nbgrader metadata changed, and the student then gets nothing for the
parts they did solve. Here, in memory (the submitted file is untouched): every graded cell gets back its
release metadata and cell type (a test cell turned into markdown by accident is graded as the code cell it
was); of several cells with one grade id the last keeps it (nbgrader's own convention) and the others become
plain cells that still run; a grade id the release does not know is dropped. Tampering is
still reported (classroom.integrity.tamper_events), as a flag for a TA; it changes no score.
"""
import copy

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor


class RestoreGradingMetadata(NbGraderPreprocessor):

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        root = self.config.CourseDirectory.root
        release_path = f"{root}/release/{info.get('assignment')}/{info.get('notebook')}.ipynb"
        try:
            release = nbformat.read(release_path, as_version=4)
        except (OSError, ValueError):
            self.log.warning("no release notebook at %s: grading metadata left as submitted", release_path)
            return nb, resources
        given = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in release.cells
                 if c.metadata.get("nbgrader", {}).get("grade_id")}
        last = {}
        for index, cell in enumerate(nb.cells):
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in given:
                last[grade_id] = index
        for index, cell in enumerate(nb.cells):
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if "nbgrader" not in cell.get("metadata", {}):
                continue
            if grade_id in given and last[grade_id] == index:
                nb.cells[index] = cell = _retyped(cell, _kind(release, grade_id))
                cell.metadata["nbgrader"] = copy.deepcopy(given[grade_id])
            else:
                del cell.metadata["nbgrader"]
        return nb, resources


def _retyped(cell, kind):
    """The cell as a cell of type `kind` (a test cell turned into markdown by accident becomes code again;
    nbgrader then restores a locked cell's source from the gradebook, an answer keeps the student's text)."""
    if cell.cell_type == kind:
        return cell
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
            "raw": nbformat.v4.new_raw_cell}[kind]
    fresh = make(source=cell.source, metadata=copy.deepcopy(cell.metadata))
    if "id" in cell:
        fresh["id"] = cell["id"]
    return fresh


def _kind(release, grade_id):
    return next(c.cell_type for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
