"""ScoreCapstone: the points of the capstone's project cell, from the grader's own measurement of the handed-in files.

Runs in nbgrader's autograde after CompareChecks and before SaveAutoGrades, and does something only for the modules
in `cells` (by default 20_capstone -> test_capstone_submission). For that cell, what the kernel did decides nothing:
classroom/capstone.py's grade_submission reads submission.json and the model files AS SUBMITTED (submitted/<student>/
<module>/, never the autograded copy a kernel could have written into), loads the model with the reference loader in
a limited subprocess, measures it against the course's baseline on the grader's held-out set (`heldout`, outside
release/ and out of every kernel's reach), and scores it with the reference `score`. The cell's outputs become the
grader's report (measured numbers beside the student's claims) and one `execute_result` holding the points, which
SaveAutoGrades reads as nbgrader's partial credit. A missing or invalid file, a rejected model, a measurement that
runs out of time or memory: 0 points, the reason in the cell, an event for the TA; never an exception that stops the
batch. Claims far from the measurement are events too (gradebook/events/, the report's integrity.csv), and the whole
result is kept in gradebook/capstone/<module>/<student>.json.
"""
import json
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Dict, Integer, Unicode

from classroom.events import read_events, write_events

CELLS = {"20_capstone": "test_capstone_submission"}


def graded_outside(module_id):
    """Grade ids of `module_id`'s test cells whose points this preprocessor sets (the authoring gate skips them)."""
    return {CELLS[module_id]} if module_id in CELLS else set()


class ScoreCapstone(NbGraderPreprocessor):
    """Set the capstone cell's points from the grader's measurement of the submitted model files."""

    cells = Dict(CELLS, help="module id -> grade id of the test cell whose points come from the measurement").tag(config=True)
    heldout = Unicode("gradebook/heldout", help="Folder of the grader's held-out IDX files (`make heldout`), relative "
                                                "to the course root unless absolute.").tag(config=True)
    reps = Integer(30, help="Timed calls of each model per batch size (median reported).").tag(config=True)
    timeout = Integer(300, help="Seconds (wall and CPU) the measurement of one submission may take.").tag(config=True)
    memory_mb = Integer(2048, help="Address-space limit of the measuring process (MiB); at least ~256: below that "
                                   "NumPy's own import fails (OpenBLAS then spins until the timeout).").tag(config=True)
    max_model_mb = Integer(64, help="Largest .npz model file accepted (MiB).").tag(config=True)

    def preprocess(self, nb, resources):
        module_id = resources["nbgrader"]["assignment"]
        grade_id = self.cells.get(module_id)
        if not grade_id:
            return nb, resources
        cell = next((c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id), None)
        if cell is None:
            return nb, resources
        from classroom.capstone import BASELINE, grade_submission
        student = resources["nbgrader"]["student"]
        coursedir = CourseDirectory(config=self.config)
        root = Path(coursedir.root)
        folder = Path(coursedir.format_path(coursedir.submitted_directory, student, module_id))
        heldout = Path(self.heldout) if Path(self.heldout).is_absolute() else root / self.heldout
        baseline = root / "source" / module_id / BASELINE.name
        points = float(cell.metadata["nbgrader"]["points"])
        result = grade_submission(folder, baseline, heldout, reps=self.reps, timeout=self.timeout,
                                  memory_mb=self.memory_mb, max_model_mb=self.max_model_mb, max_points=points)
        cell.outputs = [new_output("stream", name="stdout", text=result["report"] + "\n"),
                        new_output("execute_result", data={"text/plain": repr(min(result["points"], points))},
                                   execution_count=cell.get("execution_count"))]
        if result["events"]:
            write_events(root, module_id, student, read_events(root, module_id, student) + result["events"])
        record = root / "gradebook" / "capstone" / module_id / f"{student}.json"
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps({k: v for k, v in result.items() if k != "report"}, indent=1))
        return nb, resources
