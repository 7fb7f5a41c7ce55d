"""Gradebook exports with pandas: a student x module score table, an LMS import CSV and a printed summary."""
import pandas as pd
from nbgrader.api import Gradebook, MissingEntry

from classroom import course, lms


def score_table(db_url):
    """DataFrame indexed by student, one column per module (NaN = no submission), plus the max scores.

    Scores are final: nbgrader's score (autograded points plus manual grades) minus the late penalty (see
    classroom/deadlines.py; `lateness_table` shows both)."""
    rows, max_scores = {}, {}
    with Gradebook(db_url) as gb:
        assignments = sorted(a.name for a in gb.assignments)
        for name in assignments:
            max_scores[name] = gb.find_assignment(name).max_score
        for student in gb.students:
            row = {}
            for name in assignments:
                try:
                    row[name] = _final_score(gb.find_submission(name, student.id))
                except MissingEntry:
                    row[name] = float("nan")
            rows[student.id] = row
    table = pd.DataFrame.from_dict(rows, orient="index", columns=assignments).sort_index()
    table.index.name = "student"
    return table, pd.Series(max_scores, name="max_score")


def _penalty(submission):
    return sum(nb.late_submission_penalty or 0.0 for nb in submission.notebooks)


def _final_score(submission):
    return submission.score - _penalty(submission)


LATENESS_COLUMNS = ["student", "module", "raw_score", "max_score", "submitted", "due", "extension_hours",
                    "hours_late", "penalty", "final_score"]


def lateness_table(db_url):
    """One row per graded submission: raw score, when it was handed in, its due date (extension included, UTC),
    how late, the late penalty and the final score the other exports use."""
    rows = []
    with Gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                penalty = _penalty(sub)
                rows.append(dict(student=sub.student.id, module=assignment.name, raw_score=sub.score,
                                 max_score=sub.max_score, submitted=sub.timestamp, due=sub.duedate,
                                 extension_hours=round(sub.extension.total_seconds() / 3600, 2) if sub.extension else 0.0,
                                 hours_late=round(sub.total_seconds_late / 3600, 2), penalty=round(penalty, 2),
                                 final_score=round(sub.score - penalty, 2)))
    return pd.DataFrame(rows, columns=LATENESS_COLUMNS).sort_values(["module", "student"], ignore_index=True)


def lms_table(db_url, table=None, max_scores=None):
    """One row per student, ready for a gradebook import into an LMS (Canvas, Moodle, Blackboard, ...).

    Columns, in order:
      student_id            the nbgrader student id (map it to the LMS's login / SIS id column on import)
      last_name, first_name, email
                            from the nbgrader student record (empty when nbgrader has none)
      <module id> ...       one column per module, e.g. `01_tensor`: the module score as a percentage of its
                            max score, 0-100 with 2 decimals; EMPTY when the student has no graded
                            submission (LMSs read an empty cell as "no grade", not as zero)
      total                 percentage of the whole course's max score, 2 decimals; a missing submission
                            counts as 0 here

    Scores are final: autograded points plus any manual grade already given, minus the late penalty
    (lateness.csv shows raw score, lateness, penalty and final score side by side). Written answers still
    awaiting a TA count as 0 until graded, so re-export after manual grading before importing.
    """
    if table is None or max_scores is None:
        table, max_scores = score_table(db_url)
    with Gradebook(db_url) as gb:
        people = {s.id: (s.last_name or "", s.first_name or "", s.email or "") for s in gb.students}
    names = [people.get(s, ("", "", "")) for s in table.index]
    maxima = max_scores.reindex(table.columns).astype(float)
    out = pd.DataFrame({"student_id": table.index,
                        "last_name": [n[0] for n in names],
                        "first_name": [n[1] for n in names],
                        "email": [n[2] for n in names]})
    for m in table.columns:
        out[m] = (100 * table[m] / maxima[m]).round(2).to_numpy() if maxima[m] > 0 else float("nan")
    total_max = maxima.sum()
    out["total"] = (100 * table.fillna(0).sum(axis=1) / total_max).round(2).to_numpy() if total_max > 0 \
        else float("nan")
    return out


def awaits_grader(grade):
    """Whether a person still has to grade this nbgrader Grade: it needs a manual grade and nobody entered one.
    (nbgrader flags every cell a person graded as needing review again on each regrade, keeping the score;
    that cell has been graded.)"""
    return bool(grade.needs_manual_grade) and grade.manual_score is None


def awaiting_manual_grade(db_url):
    """Number of written answers per student that still need a TA's grade."""
    counts = {}
    with Gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                for nb in sub.notebooks:
                    pending = sum(1 for g in nb.grades if awaits_grader(g))
                    counts[sub.student.id] = counts.get(sub.student.id, 0) + pending
    return counts


def export(db_url, directory=course.GRADEBOOK / "exports"):
    """Write scores.csv (student x module, final scores, with a max_score row), lms.csv (see `lms_table`),
    lateness.csv (see `lateness_table`), and canvas.csv and moodle.csv (classroom/lms.py). Run classroom.deadlines.refresh_penalties first.

    Returns (table, max_scores, path of scores.csv).
    """
    table, max_scores = score_table(db_url)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "scores.csv"
    out = table.copy()
    out["total"] = table.sum(axis=1, min_count=1)
    out.loc["max_score"] = list(max_scores[table.columns]) + [max_scores[table.columns].sum()]
    out.round(2).to_csv(path)
    lms_table(db_url, table, max_scores).to_csv(directory / "lms.csv", index=False, float_format="%.2f")
    lateness_table(db_url).to_csv(directory / "lateness.csv", index=False)
    lms.canvas_table(db_url, table.round(2), max_scores).to_csv(directory / "canvas.csv", index=False)
    lms.moodle_table(db_url, table).to_csv(directory / "moodle.csv", index=False)
    return table, max_scores, path


def summary(table, max_scores, pending=None):
    """A short text summary: each student's percentage, each module's mean, and what awaits a TA."""
    total_max = max_scores[table.columns].sum()
    lines = [table.round(1).to_string(na_rep="-"), ""]
    percent = (100 * table.sum(axis=1, min_count=1) / total_max).round(1)
    lines.append("overall %: " + ", ".join(f"{s} {p}" for s, p in percent.items()))
    lines.append("module mean / max: " + ", ".join(
        f"{m} {table[m].mean():.1f}/{max_scores[m]:.0f}" for m in table.columns))
    if pending and any(pending.values()):
        lines.append("written answers awaiting a TA (formgrader): " + ", ".join(
            f"{s} {n}" for s, n in sorted(pending.items()) if n))
    return "\n".join(lines)
