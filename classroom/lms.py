"""Grade exports in the formats LMS gradebook imports document, from the final scores (classroom/exports.py).

- Canvas (Grades > Import, "Importing grades in Canvas"): the columns Student, ID, SIS User ID, SIS Login ID,
  Section identify a student; every other column is an assignment, in points; a "Points Possible" row first.
  No total column (Canvas would take it for an assignment). ID is the student's Canvas user id
  (nbgrader's `lms_user_id`, from the roster); SIS Login ID is the nbgrader id.
- Moodle (Grades > Import > CSV file): one row per user, matched on `username` (or `email`), one column per
  grade item, in points.
Import the roster first (`nbgrader db student import roster.csv`: id, first_name, last_name, email,
lms_user_id) so names and Canvas ids are in the gradebook. A student with no graded submission of a module has
an empty cell there (no grade), never a 0.
"""
import pandas as pd
from nbgrader.api import Gradebook

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def _people(db_url):
    with Gradebook(db_url) as gb:
        return {s.id: (s.last_name or "", s.first_name or "", s.email or "", s.lms_user_id or "") for s in gb.students}


def canvas_table(db_url, table, max_scores):
    """Canvas's gradebook import CSV, as a DataFrame (write it with index=False)."""
    people = _people(db_url)
    modules = list(table.columns)
    rows = [["Points Possible", "", "", "", "", *[max_scores[m] for m in modules]]]
    for student in table.index:
        last, first, _, canvas_id = people.get(student, ("", "", "", ""))
        name = f"{last}, {first}" if last or first else student
        rows.append([name, canvas_id, "", student, "", *[table.loc[student, m] for m in modules]])
    return pd.DataFrame(rows, columns=CANVAS_IDENTITY + modules)


def moodle_table(db_url, table):
    """Moodle's CSV grade import, as a DataFrame: username, email, one column per module in points."""
    people = _people(db_url)
    out = pd.DataFrame({"username": table.index, "email": [people.get(s, ("",) * 4)[2] for s in table.index]})
    for m in table.columns:
        out[m] = table[m].round(2).to_numpy()
    return out
