"""Gradebook exports with pandas: a student x module score table (CSV) and a printed summary."""
import pandas as pd
from nbgrader.api import Gradebook, MissingEntry

from classroom import course


def score_table(db_url):
    """DataFrame indexed by student, one column per module (NaN = no submission), plus the max scores."""
    rows, max_scores = {}, {}
    with Gradebook(db_url) as gb:
        assignments = sorted(a.name for a in gb.assignments)
        for name in assignments:
            max_scores[name] = gb.find_assignment(name).max_score
        for student in gb.students:
            row = {}
            for name in assignments:
                try:
                    row[name] = gb.find_submission(name, student.id).score
                except MissingEntry:
                    row[name] = float("nan")
            rows[student.id] = row
    table = pd.DataFrame.from_dict(rows, orient="index", columns=assignments).sort_index()
    table.index.name = "student"
    return table, pd.Series(max_scores, name="max_score")


def awaiting_manual_grade(db_url):
    """Number of written answers per student that still need a TA's grade."""
    counts = {}
    with Gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                for nb in sub.notebooks:
                    pending = sum(1 for g in nb.grades if g.needs_manual_grade)
                    counts[sub.student.id] = counts.get(sub.student.id, 0) + pending
    return counts


def export(db_url, directory=course.GRADEBOOK / "exports"):
    """Write scores.csv (student x module, with a max_score row) and return (table, max_scores, path)."""
    table, max_scores = score_table(db_url)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "scores.csv"
    out = table.copy()
    out["total"] = table.sum(axis=1, min_count=1)
    out.loc["max_score"] = list(max_scores[table.columns]) + [max_scores[table.columns].sum()]
    out.round(2).to_csv(path)
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
