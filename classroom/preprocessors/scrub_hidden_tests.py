"""ScrubHiddenTests: feedback that teaches and leaks nothing; what students get back never shows a hidden test.

nbgrader's autograde restores every test cell from the gradebook, hidden tests included, and its
generate_feedback renders that notebook as it stands: the hidden block in the cell source, its lines again
in the IPython traceback (which quotes source lines around the failing one), and hidden inputs inside
assertion messages. `ScrubHiddenTests` runs inside GenerateFeedback (see nbgrader_config.py) and
`write_scrubbed_notebook` writes the same scrubbed notebook next to the HTML. For each code cell holding
`### BEGIN HIDDEN TESTS ... ### END HIDDEN TESTS`:

- Source: every hidden block becomes one line naming the test cell, the result of its hidden part and the
  instructor's hint, e.g. `# hidden tests (test_arithmetic): failed — hint: ...`. The hint is the first
  comment line of the block, `# hint: <one line>` (`hint_lines` reads it; a block without one says only
  `failed`).
- Pass/fail of the hidden part is read from the cell's error output. The traceback (ANSI stripped) names
  the cell frames ("Cell In[N], line L", N = the execution count); if any frame stands on a line inside a
  hidden block (of this cell or any other), the hidden part failed, and the error output is replaced by
  `ename: hidden test failed — hint: ...`: no evalue (assertion messages quote hidden inputs), no traceback.
  If the cell failed on a visible line, the traceback stays, minus the quoted source lines whose numbers
  fall inside a hidden block; hidden blocks after that line did not run ("not run"), those before it
  passed. No error output means every hidden block passed. An error with no cell frame at all (the grader
  stopped the kernel: time limit, output limit, kernel death) says "did not finish".
- Printed output: prints cannot be traced to lines, so stream, display and result outputs of a cell with
  a hidden block are kept only when the hidden code provably never ran (the cell failed on a visible line
  before its first hidden block); otherwise they are dropped and one line says so. The prints of every
  code cell run after a hidden block are dropped too: student code that a hidden test called may have
  stashed what it saw and print it later. Honest notebooks lose nothing (answer cells only define code).
- Last line of defence: an error output (in any cell) that still contains a line of hidden code, or a
  hidden-test marker, is scrubbed as above; if scrubbing a cell raises, the cell is emptied of outputs and
  its hidden blocks become bare stubs. Feedback fails closed, never open.

Not covered: student code runs with the hidden inputs (and can read IPython's input history), so it can
always encode them into what a visible test reports; that is for the sandbox and for grading after the
deadline, not for a text scrubber.
"""
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from classroom.delimiters import delimiters
from classroom.hidden_tests import (SCRUBBED, VERDICT, WITHHELD, drop_hidden_quotes, frames, hidden_blocks,
                                    hidden_only_lines, leaks, output_text)


class ScrubHiddenTests(NbGraderPreprocessor):
    """Replace hidden tests, and every trace of them in outputs, by a one-line stub with the result and hint."""

    no_hint = Unicode("", help="Hint shown for a failed hidden block that has no `# hint:` line.").tag(config=True)

    def preprocess(self, nb, resources):
        self._blocks_by_count = {}
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.get("execution_count") is not None:
                self._blocks_by_count[cell.execution_count] = hidden_blocks(cell.source)
        self._secrets = hidden_only_lines(nb)
        self._hidden_ran = False
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        try:
            if delimiters().begin_hidden in cell.source:
                self._scrub(cell)
                self._hidden_ran = self._hidden_ran or cell.get("execution_count") is not None
            elif self._hidden_ran and not self._written_by_grader(cell, resources):
                self._scrub_after_hidden(cell)
        except Exception as err:  # fail closed: nothing of this cell's run is shown
            self.log.warning("scrubbing hidden tests of cell %s failed (%s); dropping its outputs", index, err)
            cell.outputs = []
            if delimiters().begin_hidden in cell.source:
                cell.source = self._stubbed_source(cell, {}, "result withheld")
        return cell, resources

    @staticmethod
    def _written_by_grader(cell, resources):
        """A cell whose outputs the grader itself wrote after the kernel was gone (ScoreCapstone's report): no
        code of the kernel's is in them, so there is nothing to withhold."""
        from classroom.preprocessors.score_capstone import graded_outside
        module_id = (resources or {}).get("nbgrader", {}).get("assignment", "")
        return cell.metadata.get("nbgrader", {}).get("grade_id") in graded_outside(module_id)

    def _scrub_after_hidden(self, cell):
        """A cell run after hidden tests: its prints are withheld (code run by a hidden test may have stashed
        what it saw), and an error quoting hidden code is scrubbed."""
        outputs, dropped = [], False
        for out in cell.outputs:
            if out.output_type == "error":
                outputs.append(self._scrubbed_error(cell, out, "") if leaks(output_text(out), self._secrets) else out)
            else:
                dropped = True
        if dropped:
            outputs.insert(0, new_output("stream", name="stdout", text=WITHHELD))
        cell.outputs = outputs

    def _name(self, cell):
        return cell.metadata.get("nbgrader", {}).get("grade_id") or "this cell"

    def _stubbed_source(self, cell, statuses, default):
        lines, out, blocks = cell.source.splitlines(), [], hidden_blocks(cell.source)
        starts = {b.start: b for b in blocks}
        skip_to = 0
        for n, line in enumerate(lines, start=1):
            if n <= skip_to:
                continue
            if n in starts:
                b = starts[n]
                status = statuses.get(b.start, default)
                stub = f"# hidden tests ({self._name(cell)}): {status}"
                hint = b.hint or self.no_hint
                if status != "passed" and hint:
                    stub += f" — hint: {hint}"
                out.append(stub)
                skip_to = b.end
            else:
                out.append(line)
        return "\n".join(out)

    def _scrubbed_error(self, cell, error, hint):
        ename = error.get("ename", "Error")
        if ename == VERDICT and not leaks(error.get("evalue", ""), self._secrets):
            # the grader wrote it: a hidden check's verdict already holds only its label, reason and hint
            return new_output("error", ename=ename, evalue=error.evalue, traceback=[f"{ename}: {error.evalue}"])
        tail = f" — hint: {hint}" if hint else ""
        return new_output("error", ename=ename, evalue=SCRUBBED + tail,
                          traceback=[f"{ename}: {SCRUBBED} in {self._name(cell)}{tail}"])

    def _scrub(self, cell):
        blocks = hidden_blocks(cell.source)
        errors = [o for o in cell.outputs if o.output_type == "error"]
        # The grader's verdict, when it names a line, says where the cell failed; else the kernel's error.
        placed = [o for o in errors if o.get("ename") == VERDICT and frames(o.get("traceback", []))]
        error = (placed or [o for o in errors if o.get("ename") != VERDICT] or errors or [None])[0]
        own_count = cell.get("execution_count")
        statuses, hidden_failed, keep_prints = {}, False, False
        failing_block = None

        if error is None:
            status = "passed" if own_count is not None or cell.outputs else "not run"
            statuses = {b.start: status for b in blocks}
        else:
            located = frames(error.get("traceback", []))
            # A frame in a hidden block; or one we cannot place (unknown cell, unreadable line) in a cell
            # that has hidden blocks: counted as hidden, so doubt scrubs rather than shows.
            in_hidden = [(c, ln) for c, ln in located
                         if (c not in self._blocks_by_count and blocks)
                         or (c in self._blocks_by_count and self._blocks_by_count[c]
                             and (ln is None or any(ln in b for b in self._blocks_by_count[c])))]
            own = [ln for c, ln in located if c == own_count and ln is not None]
            if not located:
                # No frame of any cell: the grader stopped the kernel (time/output limit, crash) or never ran it.
                ename = error.get("ename", "error")
                status = "not run" if ename == "NotRun" else f"did not finish ({ename})"
                statuses = {b.start: status for b in blocks}
            elif in_hidden:
                hidden_failed = True
                top = own[0] if own else None
                failing_block = next((b for b in blocks if top is not None and top in b), None)
                for b in blocks:
                    if failing_block is None or b is failing_block:
                        statuses[b.start] = "failed"
                    else:
                        statuses[b.start] = "passed" if b.end < failing_block.start else "not run"
            else:
                top = own[0] if own else None
                for b in blocks:
                    statuses[b.start] = "passed" if top is not None and b.end < top else "not run"
                keep_prints = top is not None and all(top < b.start for b in blocks)

        hint = (failing_block.hint if failing_block else next((b.hint for b in blocks if b.hint), "")) or self.no_hint
        outputs, dropped = [], False
        for out in cell.outputs:
            if out.output_type == "error":
                if hidden_failed:
                    out = self._scrubbed_error(cell, out, hint)
                else:
                    out.traceback = drop_hidden_quotes(out.get("traceback", []), self._blocks_by_count)
                    if leaks(output_text(out), self._secrets):
                        for b in blocks:
                            statuses[b.start] = "failed"
                        out = self._scrubbed_error(cell, out, hint)
                outputs.append(out)
            elif keep_prints and not leaks(output_text(out), self._secrets):
                outputs.append(out)
            else:
                dropped = True
        if dropped:
            outputs.insert(0, new_output("stream", name="stdout", text=WITHHELD))
        cell.outputs = outputs
        cell.source = self._stubbed_source(cell, statuses, "not run")
