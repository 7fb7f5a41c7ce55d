"""Hidden test blocks and the traces they leave: how the course finds them in a cell's source and in an
error's traceback. Used by the feedback scrubber (classroom/preprocessors/scrub_hidden_tests.py), by
CompareChecks and by the authoring gate.

A hidden block is `### BEGIN HIDDEN TESTS ... ### END HIDDEN TESTS` in a test cell (nbgrader's delimiters,
classroom/delimiters.py); its first line is the instructor's hint, `# hint: <one line>`, which is what feedback
shows when the block fails.
"""
import re
from dataclasses import dataclass

from classroom.delimiters import delimiters

HINT = re.compile(r"^\s*#\s*hint:\s*(.*?)\s*$", re.I)
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# A frame of a notebook cell: IPython >= 8.5 "Cell In[5], line 12[, in f(x)]"; 8.0-8.4 "Input In [5], in <cell
# line: 12>()"; IPython 7 "<ipython-input-5-...>". Any other frame header ("File ...", a path) is not a cell.
CELL_FRAME = re.compile(r"Cell In\s*\[(\d+)\](?:,\s*line (\d+))?|Input In \[(\d+)\]|<ipython-input-(\d+)-")
OTHER_FRAME = re.compile(r"^\s*(File\s|/|[A-Za-z]:\\)")
# A quoted source line inside a frame: "      6 code", "----> 5 code", "---> 12 code".
NUMBERED = re.compile(r"^\s*(-*>)?\s*(\d+)(?=\s|$)")
VERDICT = "CheckFailed"  # ename of the verdicts CompareChecks writes: built by the grader, safe to show
WITHHELD = "[printed output withheld: it may come from code run by hidden tests]\n"
SCRUBBED = "hidden test failed"


def strip_ansi(text):
    return ANSI.sub("", text)


@dataclass
class HiddenBlock:
    start: int   # 1-based line number of `### BEGIN HIDDEN TESTS`
    end: int     # 1-based line number of `### END HIDDEN TESTS` (last line of the cell if it is missing)
    hint: str    # the instructor's one-line hint, "" if none
    lines: list  # the source lines strictly between the markers

    def __contains__(self, line_number):
        return self.start <= line_number <= self.end


def hidden_blocks(source):
    """The hidden blocks of a cell's source, in order."""
    lines, blocks, i = source.splitlines(), [], 0
    begin, end = delimiters().begin_hidden, delimiters().end_hidden
    while i < len(lines):
        if begin in lines[i]:
            j = next((k for k in range(i + 1, len(lines)) if end in lines[k]), len(lines) - 1)
            body = lines[i + 1:j] if end in lines[j] else lines[i + 1:]
            first_comment = next((ln for ln in body if ln.strip()), "")
            hint = HINT.match(first_comment)
            blocks.append(HiddenBlock(i + 1, j + 1, hint.group(1) if hint else "", body))
            i = j + 1
        else:
            i += 1
    return blocks


def hint_lines(source):
    """[(hidden block start line, hint or None)] — for checking that every hidden block carries a hint."""
    return [(b.start, b.hint or None) for b in hidden_blocks(source)]


def visible_source(source):
    """The source with its hidden blocks (markers included) removed."""
    keep = [True] * len(source.splitlines())
    for b in hidden_blocks(source):
        for n in range(b.start, b.end + 1):
            keep[n - 1] = False
    return "\n".join(ln for ln, k in zip(source.splitlines(), keep) if k)


def hidden_only_lines(nb, min_length=10):
    """Stripped lines of hidden code that appear nowhere outside a hidden block: what must never be shown.
    Hint lines are excluded (the hint is meant to be shown)."""
    visible, hidden = set(), set()
    for cell in nb.cells:
        blocks = hidden_blocks(cell.source) if cell.cell_type == "code" else []
        visible.update(ln.strip() for ln in visible_source(cell.source).splitlines())
        for b in blocks:
            hidden.update(ln.strip() for ln in b.lines if not HINT.match(ln))
    return {ln for ln in hidden - visible if len(ln) >= min_length}


def frames(traceback):
    """[(execution_count, line)] of the notebook-cell frames in an error's traceback, outermost first.

    The line is the frame's current line: the `---->` arrow if the frame quotes one, else the header's
    "line L". A cell frame whose line cannot be read has line None."""
    found, current = [], None
    lines = [(i, ln) for i, entry in enumerate(traceback) for ln in strip_ansi(entry).splitlines()]
    for n, (entry, line) in enumerate(lines):
        if n and entry != lines[n - 1][0]:
            current = None  # IPython gives each frame (and the final message) its own entry
        header = CELL_FRAME.search(line)
        if header:
            count = next(g for g in (header.group(1), header.group(3), header.group(4)) if g)
            current = [int(count), int(header.group(2)) if header.group(2) else None, False]
            found.append(current)
        elif OTHER_FRAME.match(line):
            current = None
        elif current is not None:
            quoted = NUMBERED.match(line)
            if quoted and quoted.group(1) and not current[2]:
                current[1], current[2] = int(quoted.group(2)), True
    return [(count, line) for count, line, _ in found]


def drop_hidden_quotes(traceback, blocks_by_count):
    """The traceback minus the source lines it quotes from inside hidden blocks (colours kept)."""
    out = []
    for entry in traceback:
        kept, current = [], None
        for line in entry.split("\n"):
            plain = strip_ansi(line)
            header = CELL_FRAME.search(plain)
            if header:
                count = next(g for g in (header.group(1), header.group(3), header.group(4)) if g)
                current = blocks_by_count.get(int(count), [])
            elif OTHER_FRAME.match(plain):
                current = None
            elif current:
                quoted = NUMBERED.match(plain)
                if quoted and any(int(quoted.group(2)) in b for b in current):
                    continue
            kept.append(line)
        out.append("\n".join(kept))
    return out


def output_text(output):
    """Everything an output would show, as plain text."""
    if output.output_type == "stream":
        return strip_ansi(output.get("text", ""))
    if output.output_type == "error":
        return strip_ansi("\n".join([output.get("ename", ""), output.get("evalue", "")] + output.get("traceback", [])))
    data = output.get("data", {})
    return "\n".join(v if isinstance(v, str) else "\n".join(v) if isinstance(v, list) else "" for v in data.values())


def leaks(text, secrets):
    d = delimiters()
    return d.begin_hidden in text or d.end_hidden in text or any(s in text for s in secrets)
