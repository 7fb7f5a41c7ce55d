"""Feedback teaches (visible tests, per-cell scores, the instructor's hint) and leaks no hidden test."""
import html
import json
import re
import shutil

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.api import Gradebook
from nbformat.v4 import new_code_cell, new_notebook, new_output

from classroom import course, submissions
from classroom.demo import run_demo
from classroom.feedback import scrub_notebook, write_scrubbed_notebook
from classroom.hidden_tests import (SCRUBBED, VERDICT, WITHHELD, frames, hidden_blocks, hint_lines, output_text,
                                    strip_ansi, visible_source)
from classroom.grading import autograde_all, feedback_all
from classroom.nbgrader_api import Course

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"  # as the notebooks write them

MODULE = "01_tensor"


# --- Every hidden block carries a hint ---------------------------------------------------------------------

@pytest.mark.parametrize("module_id", course.modules())
def test_every_hidden_block_has_a_one_line_hint(module_id):
    nb = nbformat.read(str(course.source_notebook(module_id)), as_version=4)
    found = 0
    for cell in nb.cells:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        for start, hint in hint_lines(cell.source):
            found += 1
            assert hint, f"{module_id}/{grade_id}: the hidden block at line {start} needs `# hint: <one line>` " \
                         "as its first line (what students read when it fails)"
            assert 20 <= len(hint) <= 300, f"{module_id}/{grade_id}: hint too short or too long: {hint!r}"
            block = next(b for b in hidden_blocks(cell.source) if b.start == start)
            code = {ln.strip() for ln in block.lines[1:] if len(ln.strip()) >= 12}
            assert not any(line in hint for line in code), f"{module_id}/{grade_id}: the hint quotes hidden code"
    assert found, f"{module_id} has no hidden tests"


# --- The traceback logic, on a hand-made notebook run by a real kernel -----------------------------------------

def _test_cell(grade_id, source):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = dict(grade=True, solution=False, locked=True, points=1.0, grade_id=grade_id,
                                     schema_version=3)
    return cell


HAND_MADE = {
    "helper": "def helper(x):\n    return x + 1",
    "test_hidden_fails": "\n".join([
        "assert helper(1) == 2",
        'print("visible print")',
        BEGIN,
        "# hint: think about what helper does with negative numbers",
        'print("SECRET_PRINT_hidden_fails")',
        "secret_input = -4242",
        'assert helper(secret_input) == 0, f"helper({secret_input}) gave {helper(secret_input)} SECRET_MSG"',
        'x = "SECRET_AFTER_FAILURE_1"',
        END]),
    "test_visible_fails": "\n".join([
        "assert helper(1) == 2",
        'print("visible print before the failure")',
        'assert helper(2) == 4, "visible message: helper(2) should be 4"',
        BEGIN,
        "# hint: the hidden part never runs here",
        'assert helper(-31337) == "SECRET_CONTEXT_LINE_1"',
        'y = "SECRET_CONTEXT_LINE_2"',
        'z = "SECRET_CONTEXT_LINE_3"',
        END]),
    "test_passes": "\n".join([
        "assert helper(0) == 1",
        BEGIN,
        "# hint: never shown, the hidden part passes",
        'print("SECRET_PRINT_passes", helper(271828))',
        END]),
    "test_hidden_function": "\n".join([
        "assert helper(3) == 4",
        BEGIN,
        "# hint: the error comes from inside a function defined in the hidden block",
        "def secret_reference(v):",
        '    raise ValueError(f"SECRET_FUNCTION_MESSAGE {v}")',
        "secret_reference(helper(99))",
        END]),
    "test_no_hint": "\n".join([
        "assert helper(5) == 6",
        BEGIN,
        'assert helper(7) == 9, "SECRET_NO_HINT_MESSAGE"',
        END]),
    "student_later": 'print("a later answer cell prints", helper(10))',
}
SECRETS = ["SECRET", "-4242", "31337", "271828", BEGIN, END, "secret_input", "secret_reference"]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    for grade_id, source in HAND_MADE.items():
        if grade_id.startswith("test_"):
            nb.cells.append(_test_cell(grade_id, source))
        else:
            cell = new_code_cell(source)
            cell.metadata["nbgrader"] = dict(grade=False, solution=True, locked=False, grade_id=grade_id,
                                             schema_version=3)
            nb.cells.append(cell)
    NotebookClient(nb, timeout=60, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path_factory.mktemp("kernel"))}}).execute()
    # A cell the grader stopped (as GuardedExecute records it): an error with no traceback frame.
    stopped = _test_cell("test_stopped",
                         "assert helper(1) == 2\n" + BEGIN + "\n# hint: keep it fast\nwhile True: pass\n" + END)
    nb.cells.append(stopped)
    stopped.outputs = [new_output("error", ename="timeout", evalue="this cell ran past the 60 s time limit",
                                  traceback=["timeout: this cell ran past the 60 s time limit"])]
    stopped.execution_count = nb.cells[-2].execution_count + 1
    return nb


def _cells(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells}


def _shown_outputs(cell):
    return "\n".join(output_text(o) for o in cell.outputs)


def _text(cell):
    return cell.source + "\n" + _shown_outputs(cell)


def test_frames_locate_the_failing_line_of_each_cell(executed):
    cells = _cells(executed)
    fails = cells["test_hidden_fails"]
    error = next(o for o in fails.outputs if o.output_type == "error")
    assert frames(error.traceback)[0] == (fails.execution_count, 7)       # the hidden assert
    visible = cells["test_visible_fails"]
    error = next(o for o in visible.outputs if o.output_type == "error")
    assert frames(error.traceback)[0] == (visible.execution_count, 3)
    # precondition: IPython quotes the hidden lines that follow a failing visible line
    assert "SECRET_CONTEXT_LINE_1" in strip_ansi("\n".join(error.traceback))
    inner = cells["test_hidden_function"]
    error = next(o for o in inner.outputs if o.output_type == "error")
    assert [line for _, line in frames(error.traceback)] == [6, 5]          # call site, then inside the function
    # older IPython frame headers and plain text
    assert frames(["Input In [12], in <cell line: 3>()\n      2 a = 1\n----> 3 b = 2"]) == [(12, 3)]
    assert frames(["File /x/y.py:4, in f()\n----> 4 raise E", "AssertionError: 4 things"]) == []


def test_scrubbed_notebook_reports_results_and_hints_without_hidden_text(executed):
    nb = scrub_notebook(nbformat.from_dict(json.loads(json.dumps(executed))))
    cells = _cells(nb)

    fails = cells["test_hidden_fails"]
    assert fails.source.splitlines()[-1] == \
        "# hidden tests (test_hidden_fails): failed — hint: think about what helper does with negative numbers"
    [error] = [o for o in fails.outputs if o.output_type == "error"]
    assert error.ename == "AssertionError" and error.evalue.startswith(SCRUBBED)
    assert "negative numbers" in error.evalue and len(error.traceback) == 1
    assert WITHHELD in _shown_outputs(fails) and "visible print" not in _shown_outputs(fails)

    visible = cells["test_visible_fails"]
    assert visible.source.splitlines()[-1] == \
        "# hidden tests (test_visible_fails): not run — hint: the hidden part never runs here"
    [error] = [o for o in visible.outputs if o.output_type == "error"]
    shown = strip_ansi("\n".join(error.traceback))
    assert "visible message: helper(2) should be 4" in error.evalue and "----> 3" in shown
    assert 'assert helper(2) == 4' in shown and "assert helper(1) == 2" in shown   # visible context kept
    assert "visible print before the failure" in _shown_outputs(visible)                    # hidden code never ran

    assert cells["test_passes"].source.splitlines()[-1] == "# hidden tests (test_passes): passed"
    assert WITHHELD in _text(cells["test_passes"])
    assert "failed — hint: the error comes from inside a function" in cells["test_hidden_function"].source
    assert cells["test_no_hint"].source.splitlines()[-1] == "# hidden tests (test_no_hint): failed"
    assert cells["test_stopped"].source.splitlines()[-1] == \
        "# hidden tests (test_stopped): did not finish (timeout) — hint: keep it fast"
    assert "time limit" in _text(cells["test_stopped"])
    assert WITHHELD in _text(cells["student_later"]), "prints after hidden tests ran are withheld"
    assert "def helper(x)" in cells["helper"].source

    for grade_id, cell in cells.items():
        text = _text(cell)
        for secret in SECRETS:
            assert secret not in text, f"{grade_id} still shows {secret!r}"


def test_scrubbing_fails_closed_on_an_unplaceable_frame():
    cell = _test_cell("test_x", "a = 1\n" + BEGIN + "\n# hint: h\nassert False, 'SECRET'\n" + END)
    cell.execution_count = 4
    cell.outputs = [new_output("error", ename="AssertionError", evalue="SECRET",
                               traceback=["Cell In[99], line 1", "----> 1 SECRET()", "AssertionError: SECRET"])]
    nb = scrub_notebook(new_notebook(cells=[cell]))
    assert "SECRET" not in _text(nb.cells[0]) and "failed — hint: h" in nb.cells[0].source


# --- The real pipeline: autograde + generate_feedback on a scratch course --------------------------------------

def _solution_with(release_nb, source_nb, edits):
    """The solution, then each (find, replace) applied once in the one answer cell that holds `find`."""
    nb = submissions.fill(release_nb, source_nb)
    answers = [c for c in nb.cells if c.metadata["nbgrader"].get("solution") and c.cell_type == "code"]
    for find, replace in edits:
        (cell,) = [c for c in answers if find in c.source]
        assert cell.source.count(find) == 1, find
        cell.source = cell.source.replace(find, replace)
    return nb


def _mutant(name):
    m = next(m for m in submissions.mutants(MODULE) if m["name"] == name)
    return m["find"], m["replace"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("feedback_course")
    shutil.copytree(course.SOURCE / MODULE, root / "source" / MODULE)
    c = Course(root)
    run_demo(c, [MODULE])                                    # ada: solution, ben: blank, cam: a visible bug
    release = nbformat.read(str(root / "release" / MODULE / f"{MODULE}.ipynb"), as_version=4)
    source = nbformat.read(str(root / "source" / MODULE / f"{MODULE}.ipynb"), as_version=4)
    matmul = 'return Tensor.from_op(x.data @ other.data, "matmul", x, other)'
    extra = {
        # bugs only the hidden tests catch
        "dee": _solution_with(release, source, [_mutant("pow_does_not_save_exponent"),
                                                _mutant("transpose_reverses_all_axes")]),
        # prints everything its matmul sees (hidden inputs included), plus a hidden-only bug
        "eve": _solution_with(release, source, [
            (matmul, 'print("SEEN", x.shape, other.shape, x.data.tolist()); ' + matmul),
            _mutant("pow_does_not_save_exponent")]),
    }
    for student, nb in extra.items():
        submissions.write(nb, c.submission_path(MODULE, student))
    autograde_all([MODULE], list(extra), c)
    feedback_all([MODULE], list(extra), c)
    return c, source


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _shown(path):
    """Every text a feedback file shows: raw, and for HTML also with tags stripped; JSON decoded."""
    raw = path.read_bytes().decode("utf-8", errors="ignore")
    texts = [raw]
    if path.suffix == ".html":
        body = re.sub(r"<(style|script)\b.*?</\1>", "", raw, flags=re.S | re.I)
        texts.append(html.unescape(re.sub(r"<[^>]+>", "", body)))
    if path.suffix in (".ipynb", ".json"):
        texts.extend(_strings(json.loads(raw)))
    return "\n".join(texts)


def _leak_probes(source_nb):
    """Lines and literals of the hidden tests that appear nowhere visible in the source notebook."""
    visible = "\n".join(visible_source(c.source) for c in source_nb.cells)
    hints = [b.hint for c in source_nb.cells for b in hidden_blocks(c.source)]
    probes = set()
    for cell in source_nb.cells:
        for block in hidden_blocks(cell.source):
            for line in block.lines:
                text = line.strip()
                if text.startswith("# hint:") or len(text) < 12 or text in visible:
                    continue
                probes.add(text)                                             # every non-trivial hidden line
                probes.update(re.findall(r"default_rng\(\d+\)|seed\(\d+\)", text))          # seeds
                probes.update(re.findall(r"\(\d+(?:, ?\d+)+\)", text))                      # shapes
                if re.match(r"(assert_\w+|check_gradients)\(", text):
                    continue  # a check's label is public: feedback names the hidden check that failed
                for literal in re.findall(r'"([^"{}]*)', text):                             # message fragments
                    if len(literal.strip()) >= 12:
                        probes.add(literal.strip())
    return {p for p in probes if p not in visible and not any(p in h for h in hints)}


def test_feedback_files_hold_no_hidden_test(graded):
    c, source = graded
    probes = _leak_probes(source)
    assert len(probes) > 50 and "default_rng(202)" in probes and "(5, 4, 3)" in probes
    files = [p for p in (c.root / "feedback").rglob("*") if p.is_file()]
    students = {p.relative_to(c.root / "feedback").parts[0] for p in files}
    assert students == {"ada", "ben", "cam", "dee", "eve"}
    for path in files:
        shown = _shown(path)
        for marker in ["HIDDEN TESTS", "BEGIN HIDDEN", "END HIDDEN"]:
            assert marker not in shown, f"{path} shows {marker!r}"
        leaked = sorted(p for p in probes if p in shown)
        assert not leaked, f"{path.relative_to(c.root)} shows hidden test text: {leaked[:5]}"


def test_feedback_html_teaches(graded):
    c, source = graded
    html_of = {s: _shown(c.root / "feedback" / s / MODULE / f"{MODULE}.html") for s in ["ada", "cam", "dee", "eve"]}
    visible_lines = [ln.strip() for cell in source.cells if cell.metadata["nbgrader"]["grade_id"].startswith("test_")
                     for ln in visible_source(cell.source).splitlines() if len(ln.strip()) >= 20]
    assert visible_lines
    for student, shown in html_of.items():
        missing = [ln for ln in visible_lines if ln not in shown]
        assert not missing, f"{student}: visible test code missing from feedback: {missing[:3]}"
        assert re.search(r"test_\w+ \(tests\): Score: [\d.]+ / [\d.]+", shown), f"{student}: no per-cell scores"
    assert "# hidden tests (test_arithmetic): passed" in html_of["ada"]
    hints = {c.metadata["nbgrader"]["grade_id"]: hidden_blocks(c.source)[0].hint
             for c in source.cells if hidden_blocks(c.source)}
    first_failing = {"test_arithmetic": "pow saves the exponent k",
                     "test_shape_ops": "transpose() of a 3-D tensor swaps only the last two axes"}
    for grade_id, label in first_failing.items():
        assert f"# hidden tests ({grade_id}): failed — hint: {hints[grade_id]}" in html_of["dee"], grade_id
        # the grader's verdict names the first failing hidden check by its label, with the hint
        assert re.search(re.escape(f'{VERDICT}: hidden check "{label}" failed: ') + r"[a-z ]+"
                         + re.escape(f" — hint: {hints[grade_id]}"), html_of["dee"]), label
    scores = c.cell_scores(MODULE, "dee")
    assert scores["test_shape_ops"][0] == 0 and scores["test_arithmetic"][0] == 0
    assert scores["test_matmul"][0] == scores["test_matmul"][1], "dee's bugs are caught by hidden tests only"
    # cam's bug fails a visible check: its label and both values are shown
    assert re.search(VERDICT + r": [^\n]*: values differ \(largest difference", html_of["cam"])


def test_feedback_all_gives_back_the_scrubbed_notebook(graded):
    c, source = graded
    for student in ["ada", "ben", "cam", "dee", "eve"]:
        path = c.root / "feedback" / student / MODULE / f"{MODULE}.ipynb"
        assert path.is_file(), f"feedback_all must call classroom.feedback.write_scrubbed_notebook ({path})"
        nb = nbformat.read(str(path), as_version=4)
        assert len(nb.cells) == len(nbformat.read(str(c.release_path(MODULE)), as_version=4).cells)
        stubs = [c.source.splitlines()[-1] for c in nb.cells if "# hidden tests (" in c.source]
        assert len(stubs) == sum(1 for c in source.cells if hidden_blocks(c.source))
    again = write_scrubbed_notebook(c, MODULE, "dee")
    assert "failed — hint:" in again.read_text()


def test_feedback_names_cells_and_never_publishes_an_ungraded_answer_as_zero(graded):
    """Field report: the summary listed "Test cell" six times, an ungraded written answer read "Score: 0.0 / 2.0",
    and hint lines ran off the page."""
    c, _ = graded
    page = (c.root / "feedback" / "ada" / MODULE / f"{MODULE}.html").read_text()
    toc = re.search(r'<div id="toc">(.*?)</ol>', page, re.S).group(1)
    assert "Test cell" not in toc and '<code>test_arithmetic</code></a> (tests): Score: 4.0 / 4.0' in toc
    assert re.search(r"<code>written_views_vs_copies</code></a> \(written answer\): awaits a TA \(2\.0 points\)", toc)
    assert re.search(r"<h4>01_tensor \(Score: 14\.0 / 16\.0; 2\.0 points of written answers await a TA\)</h4>", page)
    assert "white-space: pre-wrap" in page

    with Gradebook(c.db_url) as gb:  # a TA grades it: the page then shows the TA's score
        grade = gb.find_grade("written_views_vs_copies", MODULE, MODULE, "ada")
        grade.manual_score = 1.5
        gb.db.commit()
    c.generate_feedback(MODULE, "ada")
    page = (c.root / "feedback" / "ada" / MODULE / f"{MODULE}.html").read_text()
    assert "awaits a TA" not in page and "(written answer): Score: 1.5 / 2.0" in page
