"""Due dates, per-student extensions and the late policy, kept where nbgrader keeps them.

- A module's due date is nbgrader's assignment `duedate` (UTC), set with `make deadline` before or after release.
- An extension is nbgrader's per-submission `extension`. nbgrader can only hold one on a submission that exists,
  and a submission that is re-created (an unreadable file graded as zero) loses it; so every extension granted
  is also kept in gradebook/extensions.json and put back on the submission before each grading.
- How late a submission is comes from nbgrader: its `timestamp.txt` (written by `nbgrader collect`) against the
  due date plus extension. The penalty is `c.AssignLatePenalties.plugin_class` (the course uses PercentPerDay);
  nbgrader computes it when it autogrades, on the score known then, so `refresh_penalties` recomputes it on the
  current score (after a TA's grading, a later extension) before feedback and exports.
"""
import json
import math
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import AssignLatePenalties
from nbgrader.utils import parse_utc
from traitlets import Float


class PercentPerDay(LateSubmissionPlugin):
    """Late penalty: `percent_per_day` of the submission's score for each day or part of a day late, after
    `grace_minutes`, capped at `max_percent` (set them as c.PercentPerDay.<name> in nbgrader_config.py).

    penalty = score * min(max_percent, percent_per_day * ceil((seconds_late - 60 * grace_minutes) / 86400)) / 100
    """

    percent_per_day = Float(10.0, help="Percent of the score lost per day (or part of a day) late.").tag(config=True)
    max_percent = Float(50.0, help="The most a late submission can lose, in percent of its score.").tag(config=True)
    grace_minutes = Float(15.0, help="Minutes after the due date that do not count as late.").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        late = total_seconds_late - 60 * self.grace_minutes
        if late <= 0:
            return None
        percent = min(self.max_percent, self.percent_per_day * math.ceil(late / 86400))
        return score * percent / 100


def extensions_path(root):
    return Path(root) / "gradebook" / "extensions.json"


def recorded_extensions(root):
    """{module: {student: {"minutes": float, "note": str}}}."""
    path = extensions_path(root)
    return json.loads(path.read_text()) if path.is_file() else {}


def set_due_date(c, module_id, due):
    """Set `module_id`'s due date; `due` as nbgrader reads it ("2026-12-04 23:59:00 Europe/Zurich", ISO, UTC if
    no zone). Returns the stored UTC datetime."""
    when = parse_utc(due)
    with Gradebook(c.db_url) as gb:
        gb.update_or_create_assignment(module_id, duedate=when)
    return when


def grant_extension(c, module_id, student, minutes, note=""):
    """Give `student` `minutes` more for `module_id` (0 removes it), before or after they hand in; recorded in
    gradebook/extensions.json and applied at once if the submission exists."""
    records = recorded_extensions(c.root)
    if minutes:
        records.setdefault(module_id, {})[student] = {"minutes": float(minutes), "note": note}
    else:
        records.get(module_id, {}).pop(student, None)
    path = extensions_path(c.root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
    with Gradebook(c.db_url) as gb:
        try:
            gb.find_submission(module_id, student)
        except MissingEntry:
            return
        gb.grant_extension(module_id, student, minutes=float(minutes))


def apply_extension(c, module_id, student):
    """Put a recorded extension on the submission (creating the gradebook's submission entry first, so that
    nbgrader's autograde computes lateness with it). Call before grading and after re-creating a submission."""
    minutes = recorded_extensions(c.root).get(module_id, {}).get(student, {}).get("minutes")
    if not minutes:
        return
    with Gradebook(c.db_url) as gb:
        gb.update_or_create_student(student)
        try:
            gb.find_submission(module_id, student)
        except MissingEntry:
            gb.add_submission(module_id, student)
        gb.grant_extension(module_id, student, minutes=minutes)


def refresh_penalties(c):
    """Recompute every notebook's late penalty from the course's policy and its current score, as nbgrader's
    AssignLatePenalties does when it autogrades (its plugin, its bounds)."""
    assign = AssignLatePenalties(config=c.config)
    assign.init_plugin()
    with Gradebook(c.db_url) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                late = submission.total_seconds_late
                for notebook in submission.notebooks:
                    penalty = (assign.plugin_inst.late_submission_penalty(submission.student.id, notebook.score, late)
                               if late > 0 else None)
                    notebook.late_submission_penalty = (None if penalty is None
                                                        else assign._check_late_penalty(notebook, penalty))
        gb.db.commit()
