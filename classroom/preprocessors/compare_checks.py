"""CompareChecks: the verdict of every test cell, from values, computed outside the student's kernel.

Runs in nbgrader's autograde right after execution and before SaveAutoGrades. In the kernel, every check
of a test cell only recorded the value it checked (tinytorch.testing in "grade" mode). Here, in the
grader's own process, those records are compared with the records the reference solution made for the
same checks (classroom.reference), one by one, with the reference's labels and tolerances. A test cell
keeps its points only when every check the reference made is present, in order, and matches, and the
cell raised nothing; otherwise it gets one error output naming the first failing check (for a hidden
check: its label and the hint, never its inputs or values), which SaveAutoGrades scores as 0.

What the kernel can still do cannot earn a point: it decides only the values it records. So that
nbgrader's own rules add nothing either, in test cells: records are removed after reading, results
(`execute_result`, which nbgrader reads as partial credit) are dropped, stderr is shown as ordinary output
(a warning is not a verdict), and an error the kernel itself named like ours is renamed.
"""
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from classroom.cells import is_test_cell
from classroom.hidden_tests import VERDICT, hidden_blocks
from classroom.reference import pop_records, reference_checks, source_digest

FORGEABLE_ONLY = "failed_only_forgeable_checks"  # cell metadata: every failing check could be forged in the kernel


def failures(expected, records):
    """[(reference record or None, brief reason, detailed reason)] of every check that fails, in order."""
    if not expected:
        return [(None, "no checks", "the reference solution records no checks in this cell (instructor: make check)")]
    # imported when used, not with this module: nbgrader_config.py imports classroom, and `make package` must
    # load it even when the generated tinytorch/ is broken (it is what repairs it)
    from tinytorch.testing import compare_record
    found = []
    for i, reference in enumerate(expected):
        failure = compare_record(reference, records[i] if i < len(records) else None)
        if failure:
            found.append((reference, *failure))
    if len(records) > len(expected):
        found.append((None, "extra checks", f"the cell recorded {len(records)} checks; the reference records {len(expected)}"))
    return found


class CompareChecks(NbGraderPreprocessor):
    """Score each test cell by comparing its recorded values with the reference solution's."""

    no_hint = Unicode("", help="Hint shown for a failed hidden check whose block has no `# hint:` line.").tag(config=True)

    def preprocess(self, nb, resources):
        self._reference = reference_checks(self.config, resources["nbgrader"]["assignment"])["cells"]
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        records = pop_records(cell)
        if not is_test_cell(cell):
            return cell, resources
        outputs = []
        for out in cell.outputs:
            if out.output_type == "execute_result":
                continue
            if out.output_type == "stream" and out.get("name") == "stderr":
                out.name = "stdout"
            if out.output_type == "error" and out.get("ename") == VERDICT:
                out.ename = "Error"  # only the grader names an error CheckFailed
            outputs.append(out)
        cell.outputs = outputs
        grade_id = cell.metadata.nbgrader["grade_id"]
        reference = self._reference.get(grade_id)
        if reference is None or reference["source"] != source_digest(cell.source):
            raise RuntimeError(f"test cell {grade_id} is not the one the reference was computed from: the release "
                               "and source/ disagree (run `make release` after editing a source notebook)")
        failed = failures(reference["records"], records)
        if not failed and any(o.output_type == "error" for o in outputs):
            failed = [(None, "raised an error", "the cell raised an error after its checks (see above)")]
        if failed:
            cell.outputs.append(self._verdict(cell, *failed[0]))
            from tinytorch.testing import forgeable
            if all(r is not None and forgeable(r) for r, _, _ in failed):
                # for the authoring gate: code in the kernel could have forged every failing record
                cell.metadata[FORGEABLE_ONLY] = True
        return cell, resources

    def _verdict(self, cell, record, brief, detail):
        line = record.get("line") if record else None
        block = next((b for b in hidden_blocks(cell.source) if line is not None and line in b), None)
        if block is not None:
            hint = block.hint or self.no_hint
            message = f'hidden check "{record["label"]}" failed: {brief}' + (f" — hint: {hint}" if hint else "")
        else:
            message = detail
        frame = [f"Cell In[{cell.execution_count}], line {line}"] if line and cell.execution_count else []
        return new_output("error", ename=VERDICT, evalue=message, traceback=frame + [f"{VERDICT}: {message}"])
