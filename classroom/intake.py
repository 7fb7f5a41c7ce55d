"""LMS intake: an LMS's download of one module's submissions, collected into submitted/ by nbgrader's own
`zip_collect` (ZipCollectApp) with the LMS's collector plugin (classroom/collectors.py).

`make collect-canvas MODULE=01_tensor ZIP=submissions.zip TIMES=times.csv` (and collect-moodle, collect-blackboard)
copies the archive to downloaded/<module>/archive/, lets ZipCollectApp extract it and file each student's notebook
as submitted/<student>/<module>/<module>.ipynb with timestamp.txt (so the late policy of classroom/deadlines.py
applies as to `nbgrader collect`), and records every decision (renamed, attempt chosen, no time, refused) in
gradebook/intake/<module>.json, which `make report` lists beside the grading events.
"""
import copy
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from dateutil.tz import gettz
from nbgrader.apps import NbGraderAPI
from nbgrader.apps.zipcollectapp import ZipCollectApp
from nbgrader.utils import capture_log, temp_attrs

from classroom.collectors import COLLECTORS
from classroom.nbgrader_api import NbgraderError


def intake_path(root, module_id):
    return Path(root) / "gradebook" / "intake" / f"{module_id}.json"


def read_log(root, module_id):
    """{"students": {student: [event]}, "refused": {archive path: event}} of one module ({} parts if none)."""
    path = intake_path(root, module_id)
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log = {}
    return {"students": dict(log.get("students") or {}), "refused": dict(log.get("refused") or {})}


@dataclass
class Intake:
    """What one collection did: {student: (archive file, filed as, UTC time or None)}, events, refused files."""
    filed: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)
    refused: dict = field(default_factory=dict)

    def lines(self, module_id):
        out = []
        for student, (rel, name, when) in sorted(self.filed.items()):
            at = f"{when:%Y-%m-%d %H:%M:%S} UTC" if when else "no submission time"
            out.append(f"{student}: {rel} -> submitted/{student}/{module_id}/{name} ({at})")
        for student, events in sorted(self.events.items()):
            out += [f"  {student}: {e['kind']}: {e['detail']}" for e in events]
        out += [f"REFUSED ({e['kind']}) {e['detail']}" for _, e in sorted(self.refused.items())]
        return out


def collect(c, lms, module_id, archive, times=None):
    """Collect `archive` (an LMS's download of `module_id`) into submitted/ through nbgrader's ZipCollectApp with
    the LMS's collector plugin; `times` is the LMS's file of submission times where it keeps them apart (Canvas:
    a CSV of user_id, submitted_at; Moodle: the grading worksheet). Returns an Intake; NbgraderError if
    nbgrader fails, ValueError for an unknown LMS, a missing archive or an unreleased module."""
    if lms not in COLLECTORS:
        raise ValueError(f"unknown LMS {lms!r}: one of {', '.join(COLLECTORS)}")
    archive = Path(archive)
    if not archive.is_file():
        raise ValueError(f"no archive {archive}")
    if not c.release_path(module_id).is_file():
        raise ValueError(f"{module_id} has not been released (release/{module_id}/ is empty): run `make release`")
    zone = c.config.LmsCollector.get("timezone", "UTC")
    if gettz(zone) is None:
        raise ValueError(f"c.LmsCollector.timezone = {zone!r} in nbgrader_config.py is not a time zone")
    plugin = COLLECTORS[lms]
    downloaded = c.root / "downloaded" / module_id
    shutil.rmtree(downloaded, ignore_errors=True)  # this archive only: nothing of an earlier download lingers
    (downloaded / "archive").mkdir(parents=True)
    shutil.copy(archive, downloaded / "archive" / archive.name)

    config = copy.deepcopy(c.config)
    config.ZipCollectApp.collector_plugin = plugin
    config.ZipCollectApp.force = True      # replace a student's folder when a newer attempt arrives (the
    config.ExtractorPlugin.force = True    # plugin answers only for those) and re-extract into extracted/
    config[plugin.__name__].times_file = str(Path(times).resolve()) if times else ""
    api = NbGraderAPI(config=config)
    with c._in_root(), temp_attrs(api.coursedir, assignment_id=module_id):
        app = ZipCollectApp(coursedir=api.coursedir, parent=api)
        result = capture_log(app)
    if not result.get("success"):
        raise NbgraderError(f"nbgrader zip_collect {module_id} failed\n{result.get('error', '')}\n"
                            f"{result.get('log', '')}")
    inst = app.collector_plugin_inst
    if inst is None:
        raise NbgraderError(f"nbgrader zip_collect {module_id} found nothing to collect\n{result.get('log', '')}")

    log = read_log(c.root, module_id)
    for student, events in inst.events["students"].items():
        if student in inst.filed:
            log["students"][student] = events
        else:  # nothing filed (an older attempt, say): keep what the earlier collection recorded, add this
            log["students"][student] = log["students"].get(student, []) + [
                e for e in events if e not in log["students"].get(student, [])]
    # refusals are per archive (its files are extracted under its name): this run's replace that archive's earlier ones
    log["refused"] = {rel: e for rel, e in log["refused"].items() if Path(rel).parts[0] != archive.stem}
    log["refused"].update(inst.events["refused"])
    path = intake_path(c.root, module_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(log, indent=1, sort_keys=True) + "\n")
    return Intake(filed=dict(inst.filed), events=dict(inst.events["students"]), refused=dict(inst.events["refused"]))


def run(c, lms, module_id, archive, times=None):
    """`make collect-<lms>`: collect, print what was filed and every decision; exit status 1 if anything was
    refused or nothing could be collected (the rest of the class is collected either way)."""
    try:
        done = collect(c, lms, module_id, archive, times)
    except ValueError as err:
        print(f"NOT COLLECTED: {err}")
        return 1
    print("\n".join(done.lines(module_id)))
    print(f"{lms}: {len(done.filed)} submission(s) of {module_id} collected into submitted/, {len(done.refused)} "
          f"file(s) refused; every decision is in gradebook/intake/{module_id}.json and `make report`")
    return 1 if done.refused else 0


def event_rows(root):
    """Every intake event, as report rows (student, module, kind, cell, detail); a refused file's student is
    shown as `(refused)`, the detail names the LMS's id and the file."""
    rows = []
    for path in sorted((Path(root) / "gradebook" / "intake").glob("*.json")):
        log = read_log(root, path.stem)
        for student, events in sorted(log["students"].items()):
            rows += [dict(student=student, module=path.stem, kind=e.get("kind", "intake"), cell=None,
                          detail=str(e.get("detail") or "")) for e in events if isinstance(e, dict)]
        rows += [dict(student="(refused)", module=path.stem, kind=e.get("kind", "intake"), cell=None,
                      detail=str(e.get("detail") or ""))
                 for _, e in sorted(log["refused"].items()) if isinstance(e, dict)]
    return rows
