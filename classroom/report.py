"""`make report`: what a TA needs to act on, from the real gradebook, in gradebook/exports/.

Files written (all from nbgrader's gradebook plus the grading pipeline's event files):
  scores.csv              student x module points, with a max_score row (classroom.exports.export)
  lms.csv                 one row per student, percentages, for an LMS gradebook import (exports.lms_table)
  test_pass_rates.csv     per autograded test cell across the class, hardest first:
                          module, grade_id, max_points, submissions, failed, pass_rate (share of submissions
                          with full marks, 0-1), mean_score
  integrity.csv           flagged events: student, module, kind, cell, detail. Read from
                          gradebook/events/<student>/<module>.json (a JSON list of
                          {"kind", "cell", "detail"}); an unreadable file is itself an event
                          ("unreadable_events"), and a submission in submitted/ with no gradebook entry is
                          flagged "not_graded"; plus the LMS intake's decisions from
                          gradebook/intake/<module>.json (classroom/intake.py; refused files as "(refused)")
  manual_queue.csv        cells still needing a TA: student, module, cell, kind ("written answer", or "code"
                          when the pipeline left a code cell to a TA), max_points, formgrader (URL path on
                          the Jupyter server running the formgrader, focused on that cell's score box)
  grade_distribution.png  histogram of total percentage, box plot of each module's percentage
  report.html             all of the above on one self-contained page (no JS, image embedded), with the top
                          similar pairs per module from similarity.csv (`make similarity`, classroom/similarity.py)
"""
import base64
import datetime
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from nbgrader.api import Gradebook

from classroom import database, deadlines, exports, similarity
from classroom import intake
from classroom.events import load_events
from classroom.similarity import Similarity

PASS_RATE_COLUMNS = ["module", "grade_id", "max_points", "submissions", "failed", "pass_rate", "mean_score"]
INTEGRITY_COLUMNS = ["student", "module", "kind", "cell", "detail"]
QUEUE_COLUMNS = ["student", "module", "cell", "kind", "max_points", "formgrader"]


# --- tables -------------------------------------------------------------------------------------------------

def _formgrader_index(notebook_path, grade_id):
    """The formgrader's `?index=` for a cell's score box: its position among the page's `.tabbable` inputs.

    The formgrade page (nbgrader 0.9 formgrade/index.html.j2) has, in order: the "Next" link, then per
    nbgrader cell a score and an extra-credit input (graded or task cells) and a comment box (solution or
    task cells). None if the autograded notebook is missing or the cell is not in it.
    """
    try:
        cells = json.loads(Path(notebook_path).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    index = 1
    for cell in cells:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        graded, answer = meta.get("grade") or meta.get("task"), meta.get("solution") or meta.get("task")
        if graded and meta.get("grade_id") == grade_id:
            return index
        index += 2 * bool(graded) + bool(answer)
    return None


def gradebook_tables(db_url, root):
    """(test pass rates, manual-grading queue, graded (student, module) pairs) from the gradebook."""
    results, queue, graded = [], [], set()
    with Gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                graded.add((sub.student.id, assignment.name))
                for nb in sub.notebooks:
                    autograded = Path(root) / "autograded" / sub.student.id / assignment.name / f"{nb.name}.ipynb"
                    for g in nb.grades:
                        if g.cell.type != "GradeCell":
                            continue
                        if g.cell.cell_type == "code" and not g.needs_manual_grade:
                            results.append(dict(module=assignment.name, grade_id=g.name, max_points=g.max_score,
                                                score=g.score, passed=g.score >= g.max_score - 1e-9))
                        if exports.awaits_grader(g):
                            index = _formgrader_index(autograded, g.name)
                            url = (f"/formgrader/submissions/{nb.id}/?index={index}" if index is not None
                                   else f"/formgrader/submissions/{nb.id}/")
                            kind = "written answer" if g.cell.cell_type == "markdown" else "code"
                            queue.append(dict(student=sub.student.id, module=assignment.name, cell=g.name,
                                              kind=kind, max_points=g.max_score, formgrader=url,
                                              _order=index or 0))
    return _pass_rates(pd.DataFrame(results)), _queue(pd.DataFrame(queue)), graded


def _pass_rates(results):
    if results.empty:
        return pd.DataFrame(columns=PASS_RATE_COLUMNS)
    rates = results.groupby(["module", "grade_id"], sort=False).agg(
        max_points=("max_points", "max"), submissions=("score", "size"), passed=("passed", "sum"),
        mean_score=("score", "mean")).reset_index()
    rates["failed"] = rates["submissions"] - rates["passed"]
    rates["pass_rate"] = (rates["passed"] / rates["submissions"]).round(3)
    rates["mean_score"] = rates["mean_score"].round(2)
    rates = rates.sort_values(["pass_rate", "module", "grade_id"], kind="stable")
    return rates[PASS_RATE_COLUMNS].reset_index(drop=True)


def _queue(queue):
    if queue.empty:
        return pd.DataFrame(columns=QUEUE_COLUMNS)
    queue = queue.sort_values(["module", "student", "_order", "cell"], kind="stable")
    return queue[QUEUE_COLUMNS].reset_index(drop=True)


def event_rows(path, student, module):
    """The events in one gradebook/events/<student>/<module>.json, as rows; an unreadable file becomes one event."""
    def unreadable(why):
        return [dict(student=student, module=module, kind="unreadable_events", cell=None,
                     detail=f"{path.name}: {why}")]
    try:
        events = load_events(path)
    except ValueError as err:
        return unreadable(str(err))
    rows, bad = [], 0
    for event in events:
        if isinstance(event, dict) and isinstance(event.get("kind"), str) and event["kind"]:
            cell = event.get("cell")
            rows.append(dict(student=student, module=module, kind=event["kind"],
                             cell=None if cell is None else str(cell), detail=str(event.get("detail") or "")))
        else:
            bad += 1
    if bad:
        rows += unreadable(f"{bad} entr{'y' if bad == 1 else 'ies'} without a 'kind' skipped")
    return rows


def integrity_table(root, graded=()):
    """Every event under gradebook/events/ and gradebook/intake/, plus submissions in submitted/ that never reached the gradebook."""
    root = Path(root)
    rows = []
    for path in sorted((root / "gradebook" / "events").glob("*/*.json")):
        rows += event_rows(path, student=path.parent.name, module=path.stem)
    rows += intake.event_rows(root)  # LMS intake: renamed notebooks, attempts chosen, no time, refused files
    graded = set(graded)
    for module_dir in sorted((root / "submitted").glob("*/*")):
        student, module = module_dir.parent.name, module_dir.name
        if module_dir.is_dir() and (student, module) not in graded:
            rows.append(dict(student=student, module=module, kind="not_graded", cell=None,
                             detail="in submitted/ but not in the gradebook: autograding failed or has not "
                                    "run (make autograde MODULE=... STUDENT=...)"))
    table = pd.DataFrame(rows, columns=INTEGRITY_COLUMNS)
    return table.sort_values(["student", "module", "kind"], kind="stable").reset_index(drop=True)


def module_columns(lms):
    return [c for c in lms.columns if c not in ("student_id", "last_name", "first_name", "email", "total")]


# --- figure -------------------------------------------------------------------------------------------------

def distribution_png(lms):
    """PNG bytes: histogram of total percentage (left), each module's percentage as a box plot (right)."""
    fig = Figure(figsize=(11, 4), dpi=100)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, gridspec_kw=dict(width_ratios=[1, 1.6]))
    modules = module_columns(lms)
    totals = lms["total"].dropna() if "total" in lms else pd.Series(dtype=float)
    if totals.empty:
        for ax in (left, right):
            ax.text(0.5, 0.5, "no graded submissions yet", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
    else:
        left.hist(totals, bins=range(0, 101, 10), color="#4c72b0", edgecolor="white")
        left.set(title=f"Total score ({len(totals)} students)", xlabel="% of course points", ylabel="students",
                 xlim=(0, 100))
        left.yaxis.set_major_locator(MaxNLocator(integer=True))
        data = [lms[m].dropna().to_numpy() for m in modules]
        keep = [(m, d) for m, d in zip(modules, data) if len(d)]
        right.boxplot([d for _, d in keep], tick_labels=[m for m, _ in keep])
        right.set(title="Score per module", ylabel="% of module points", ylim=(-5, 105))
        right.tick_params(axis="x", labelrotation=30)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# --- html ---------------------------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.9em; } th, td { padding: 0.25em 0.7em; border: 1px solid #ddd; }
th { background: #f3f3f3; text-align: left; } p.note { color: #555; font-size: 0.9em; }
img { max-width: 100%; } code { background: #f3f3f3; padding: 0 0.2em; }
"""


def _table_html(frame, empty_message, link_base=None):
    if frame.empty:
        return f"<p><em>{html.escape(empty_message)}</em></p>"
    shown = frame.copy().astype(object).where(frame.notna(), "")
    shown = shown.map(lambda v: html.escape(str(v)))
    if "formgrader" in shown:
        shown["formgrader"] = [
            f'<a href="{html.escape(link_base.rstrip("/"))}{p}">open</a>' if link_base else f"<code>{p}</code>"
            for p in shown["formgrader"]]
    return shown.to_html(index=False, escape=False, border=0)


def render_html(r, link_base=None):
    e = html.escape
    rates = r.pass_rates.copy()
    if not rates.empty:
        rates["pass_rate"] = (100 * rates["pass_rate"].astype(float)).round(1).astype(str) + "%"
    hard = rates.head(20)
    png = base64.b64encode(r.png).decode("ascii")
    lms = r.lms.drop(columns=[c for c in ("last_name", "first_name", "email") if (r.lms[c] == "").all()]) \
        if not r.lms.empty else r.lms
    queue_note = ("Open a link on the Jupyter server that runs the formgrader"
                  if link_base else "Append the path to the address of the Jupyter server that runs the formgrader "
                                    "(or run <code>classroom report --formgrader-url http://host:port</code> for "
                                    "clickable links)")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<title>TinyTorch Classroom report</title>", f"<style>{CSS}</style></head><body>",
        "<h1>TinyTorch Classroom: class report</h1>",
        f'<p class="note">Generated {e(r.generated)} from <code>{e(database.shown(str(r.db_url)))}</code>.</p>',
        "<h2>At a glance</h2>", "<ul>" + "".join(f"<li>{e(line)}</li>" for line in r.summary_lines()) + "</ul>",
        "<h2>Needs your grading</h2>",
        '<p class="note">Written answers (and any code cell the pipeline left to a TA) not graded yet. '
        f"{queue_note}. "
        "Grades entered there appear in the next report.</p>",
        _table_html(r.manual_queue, "Nothing waiting: every written answer has a grade.", link_base),
        "<h2>Integrity flags</h2>",
        '<p class="note">Events the grading pipeline recorded (timeouts, crashed kernels, flooded output, '
        "invalid notebooks, renamed functions, tampering) and submissions that never reached the gradebook. "
        "Look at the submission before trusting its score.</p>",
        _table_html(r.integrity, "No flags."),
        "<h2>Tests most students fail</h2>",
        '<p class="note">Autograded test cells, lowest pass rate first (pass = full marks, hidden tests '
        "included). A low pass rate points to a hard concept or an unclear instruction. "
        f"Top {len(hard)} of {len(rates)} shown; all in <code>test_pass_rates.csv</code>.</p>",
        _table_html(hard, "No autograded tests yet."),
        "<h2>Grade distribution</h2>",
        f'<img alt="Histogram of total percentage and box plots per module" src="data:image/png;base64,{png}">',
        "<h2>Scores (% of points)</h2>",
        '<p class="note">As in <code>lms.csv</code>; empty = no graded submission. Ungraded written answers '
        "count as 0 until a TA grades them.</p>",
        _table_html(lms, "No students in the gradebook yet."),
        r.similarity_html,
        "<h2>Files</h2>",
        "<ul>" + "".join(f"<li><code>{e(p.name)}</code></li>" for p in r.files) + "</ul>",
        "</body></html>",
    ]
    return "\n".join(parts)


# --- entry point --------------------------------------------------------------------------------------------

@dataclass
class Report:
    db_url: str
    lms: pd.DataFrame
    pass_rates: pd.DataFrame
    manual_queue: pd.DataFrame
    integrity: pd.DataFrame
    n_submissions: int
    png: bytes = b""
    generated: str = ""
    files: list = field(default_factory=list)
    html_path: Path = None
    similarity_html: str = ""

    def summary_lines(self):
        n_students = len(self.lms)
        if not self.n_submissions:
            lines = [f"No graded submissions in the gradebook yet ({n_students} students, "
                     f"{len(module_columns(self.lms))} modules): run `make autograde` once students have "
                     "handed in."]
        else:
            totals = self.lms["total"].dropna()
            lines = [f"{n_students} students, {self.n_submissions} graded submissions; "
                     f"class mean {totals.mean():.1f}% (median {totals.median():.1f}%)"]
        if not self.pass_rates.empty:
            worst = self.pass_rates.head(3)
            lines.append("Tests most students fail: " + ", ".join(
                f"{r.module}/{r.grade_id} ({100 * r.pass_rate:.0f}% pass)" for r in worst.itertuples()))
        if not self.manual_queue.empty:
            per = self.manual_queue.groupby("student").size()
            written = int((self.manual_queue["kind"] == "written answer").sum())
            what = (f"{written} written answers" if written == len(self.manual_queue)
                    else f"{len(self.manual_queue)} cells ({written} written answers)")
            lines.append(f"Needs your grading: {what}: " + ", ".join(f"{s} {n}" for s, n in per.items()))
        else:
            lines.append("Needs your grading: nothing")
        if not self.integrity.empty:
            kinds = self.integrity.groupby("kind").size()
            lines.append(f"Integrity flags: {len(self.integrity)} ("
                         + ", ".join(f"{k} {n}" for k, n in kinds.items()) + ")")
        else:
            lines.append("Integrity flags: none")
        return lines


def build_report(c, directory=None, link_base=None):
    """Write every export for course `c` (a classroom.nbgrader_api.Course) into `directory`; return a Report."""
    directory = Path(directory or c.root / "gradebook" / "exports")
    directory.mkdir(parents=True, exist_ok=True)
    deadlines.refresh_penalties(c)
    table, max_scores, scores_path = exports.export(c.db_url, directory)
    lms = exports.lms_table(c.db_url, table, max_scores)
    pass_rates, queue, graded = gradebook_tables(c.db_url, c.root)
    integrity = integrity_table(c.root, graded)
    r = Report(db_url=c.db_url, lms=lms, pass_rates=pass_rates, manual_queue=queue, integrity=integrity,
               n_submissions=int(table.notna().to_numpy().sum()),
               generated=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))
    outputs = {"test_pass_rates.csv": pass_rates, "integrity.csv": integrity, "manual_queue.csv": queue}
    for name, frame in outputs.items():
        frame.to_csv(directory / name, index=False)
    r.png = distribution_png(lms)
    (directory / "grade_distribution.png").write_bytes(r.png)
    r.files = [scores_path, directory / "lms.csv", directory / "lateness.csv", directory / "canvas.csv",
               directory / "moodle.csv", *(directory / n for n in outputs),
               directory / "grade_distribution.png", directory / "report.html"]
    r.similarity_html = similarity.report_section(c, directory, Similarity(config=c.config).top)
    r.html_path = directory / "report.html"
    r.html_path.write_text(render_html(r, link_base), encoding="utf-8")
    return r
