"""nbgrader `zip_collect` collector plugins for the downloads of common LMSs (Canvas, Moodle, Blackboard Learn).

nbgrader's ZipCollectApp extracts an archive into downloaded/<module>/extracted/ and asks its collector plugin, file
by file, for the `student_id`, the `file_id` (the notebook's name in submitted/) and optionally a `timestamp`
(written to timestamp.txt, which the late policy reads). The shipped FileNameCollectorPlugin needs a
`named_regexp` and files every name it matches as it is; these plugins know each LMS's naming, and look at the
whole download before answering for any file, so that they can:

- map the LMS's own id to the nbgrader student id through the roster (`nbgrader db student import`, columns
  id, first_name, last_name, email, lms_user_id), and refuse an unmapped or ambiguous file (never file it
  under someone else);
- file a notebook the LMS renamed (`01_tensor-1.ipynb`, `01_tensor (1).ipynb`) as `01_tensor.ipynb`, and of
  several candidates keep the latest by the LMS's own ordering;
- take the submission time from what the LMS provides, and say so when it provides none;
- keep a newer submission already collected (an older download never replaces it, nor one without a time a
  timed one) and leave an unchanged one alone (re-collecting the same archive changes nothing).

Every decision is an event ({kind, cell, detail}) in `self.events`, which classroom/intake.py records.

Sources for each LMS's naming (what the plugins parse; see also README, "Running a term"):

- Canvas, "Download Submissions": `<sortable name>_<user id>_<submission id>_<file name>`, with `late_` before
  the user id for a late submission (e.g. `smithbob_340934_208490284_BobsWork.zip` in
  github.com/mikewesthad/canvas-unzipper; `studenttest_3143_207797_zipsubmission.zip` in
  instructure/canvas-lms#2406). Canvas appends `-1`, `-2` to a file uploaded again under the same name
  (nus-cs2103-AY2324S1/forum#459, IIC1253/IIC1253-2024-1#26). The zip holds no time, and Canvas's UI exports
  none (github.com/ssardina-teaching/canvas-submission-time-scraper); times come from Canvas's Submissions API
  (`GET /api/v1/courses/:course/assignments/:assignment/submissions`, fields `user_id`, `submitted_at`), saved
  as a CSV with those two columns (`TIMES=`).
- Moodle, assignment "Download all submissions": `<Full name>_<participant id>_assignsubmission_file_<file>`, or
  the same prefix as a folder per student holding the files ("Download submissions in folders"); the
  participant id is the user id unless blind marking hides it. Times: the assignment's grading worksheet
  ("Download grading worksheet"), columns `Identifier` ("Participant <id>"), `Email address` and `Last
  modified (submission)`, in the zone Moodle shows (`c.LmsCollector.timezone`).
- Blackboard Learn, Grade Center "Assignment File Download": `<assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>
  _<file>` plus a `<assignment>_<username>_attempt_<time>.txt` receipt ("Date Submitted: ..."); nbgrader's own
  `named_regexp` help uses this form (`ps1_bitdiddle_attempt_2016-01-30-15-00-00_problem1.ipynb`). The time in
  the name is the server's local time (`c.LmsCollector.timezone`). The receipt's `Name: <full name> (<username>)`
  line gives the username whole (the receipt format as parsed by CodeGrade's Blackboard importer, "Name:",
  "Assignment:", "Date Submitted:", ...); without a receipt the username is the name's last `_`-free part.
"""
import csv
import hashlib
import os
import re
from datetime import datetime
from pathlib import Path

import dateutil.parser
from dateutil.tz import gettz
from nbgrader.api import Gradebook
from nbgrader.plugins import FileNameCollectorPlugin
from nbgrader.utils import parse_utc
from traitlets import Unicode

# A notebook the LMS or the student's browser renamed: `01_tensor-1.ipynb` (Canvas), `01_tensor (1).ipynb`
# (browser downloads), `01_tensor_1.ipynb`. The number orders the copies: the highest is the latest.
SUFFIX = r"(?:-(?P<dash>\d+)| ?\((?P<paren>\d+)\)|_(?P<under>\d+))?"


def _event(kind, detail):
    return {"kind": kind, "cell": None, "detail": detail}


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class LmsCollector(FileNameCollectorPlugin):
    """Base of the LMS collectors: subclasses say how a file name reads (`parse`), where times come from
    (`times`) and which roster fields identify a student (`identity`)."""

    lms = "lms"
    timezone = Unicode("UTC", help="The time zone of LMS times that carry none (Moodle's worksheet, Blackboard's "
                                   "file names), e.g. 'Europe/Zurich'.").tag(config=True)
    times_file = Unicode("", help="The LMS's file of submission times, if it keeps them outside the archive "
                                  "(Canvas: a CSV of user_id, submitted_at; Moodle: the grading worksheet)."
                         ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.events = {"students": {}, "refused": {}}  # student -> [event], archive path -> event
        self.filed = {}  # student -> (archive path, notebook name, time or None)
        self.unreadable_times = {}  # lms id -> the time text the LMS gave that could not be read
        self._plan = None

    # --- what each LMS says -----------------------------------------------------------------------------
    def parse(self, rel):
        """{lms_id, name, file, time (UTC, naive) or None, order, late} for one file of the download, or None."""
        raise NotImplementedError

    def times(self):
        """{lms id: submission time (UTC, naive)} from `times_file` (empty if none)."""
        return {}

    def identity(self, lms_id):
        """[(roster field, value)] that identify the student behind `lms_id`, tried in order."""
        return [("lms_user_id", lms_id), ("id", lms_id)]

    def read_time(self, lms_id, text, read):
        """`read(text)` as naive UTC, or None (noted for the event) if the LMS's text cannot be read as a time."""
        try:
            return read(text)
        except (ValueError, OverflowError):
            self.unreadable_times[lms_id] = text
            return None

    def local(self, naive):
        """An LMS time without a zone, read in `timezone`, as naive UTC (nbgrader's convention)."""
        zone = gettz(self.timezone)
        if zone is None:
            raise ValueError(f"c.LmsCollector.timezone = {self.timezone!r} is not a time zone")
        return parse_utc(naive.replace(tzinfo=zone))

    # --- nbgrader's entry point ------------------------------------------------------------------------
    def collect(self, submitted_file):
        if self._plan is None:
            self._plan = self.plan(self.parent._format_collect_path(self.parent.extracted_directory))
        return self._plan.get(os.path.normpath(submitted_file))

    # --- deciding, for the whole download at once -------------------------------------------------------
    def _roster(self):
        with Gradebook(self.parent.coursedir.db_url) as gb:
            return [{"id": s.id, "lms_user_id": str(s.lms_user_id or ""), "email": (s.email or "").lower()}
                    for s in gb.students]

    def student_for(self, lms_id, roster):
        """(student id, None) or (None, event saying why the file is refused)."""
        for field, value in self.identity(lms_id):
            if not value:
                continue
            value = value.lower() if field == "email" else value
            found = sorted({s["id"] for s in roster if s[field] == value})
            if len(found) == 1:
                return found[0], None
            if len(found) > 1:
                return None, _event("lms_ambiguous", f"{self.lms} id {lms_id}: {field} {value!r} belongs to "
                                                     f"{', '.join(found)} in the roster; fix the roster")
        tried = " or ".join(f"{f} {v!r}" for f, v in self.identity(lms_id) if v)
        return None, _event("lms_unmapped", f"{self.lms} id {lms_id} is not in the roster (no student with {tried}): "
                                            "import the roster (nbgrader db student import) and collect again")

    def notebook(self, file_name):
        """(expected name, suffix number) if `file_name` is this module's notebook, maybe renamed; else None."""
        module = self.parent.coursedir.assignment_id
        m = re.fullmatch(re.escape(module) + SUFFIX + r"\.ipynb", file_name)
        if not m:
            return None
        return f"{module}.ipynb", int(m["dash"] or m["paren"] or m["under"] or 0)

    def plan(self, root):
        """{absolute path: nbgrader's collect dict} for the files to file; every decision recorded as an event."""
        module = self.parent.coursedir.assignment_id
        self.root = root
        roster, times, found = self._roster(), self.times(), {}
        for folder, _, files in os.walk(root):
            for name in files:
                path = os.path.normpath(os.path.join(folder, name))
                rel = os.path.relpath(path, root)
                if not name.endswith(".ipynb"):
                    continue
                info = self.parse(rel)
                if info is None:
                    self.events["refused"][rel] = _event(
                        "lms_unrecognised", f"{rel}: not named as {self.lms} names submissions: not collected")
                    continue
                student, why = self.student_for(info["lms_id"], roster)
                if why:
                    why["detail"] = f"{rel} ({info['name']}): " + why["detail"] + "; not collected"
                    self.events["refused"][rel] = why
                    continue
                if info["time"] is None:
                    info["time"] = times.get(info["lms_id"])
                info.update(path=path, rel=rel, student=student, notebook=self.notebook(info["file"]))
                found.setdefault(student, []).append(info)
        plan = {}
        for student, candidates in sorted(found.items()):
            ours = [c for c in candidates if c["notebook"]]
            pool = ours or candidates  # no notebook of this module's name: file the latest under its own name
            key = lambda c: (c["time"] or datetime.min, c["notebook"][1] if c["notebook"] else 0, c["order"], c["rel"])
            pool.sort(key=key)
            chosen, events = pool[-1], []
            file_id = chosen["notebook"][0] if chosen["notebook"] else chosen["file"]
            if len(candidates) > 1:
                others = ", ".join(c["file"] + (f" ({c['time']:%Y-%m-%d %H:%M:%S} UTC)" if c["time"] else "")
                                   for c in candidates if c is not chosen)
                events.append(_event("lms_attempt_chosen", f"{len(candidates)} notebooks from {self.lms}: kept "
                                     f"{chosen['file']} (the latest by {self.lms}'s ordering), not {others}"))
            if chosen["file"] != file_id:
                events.append(_event("lms_renamed", f"{self.lms} file {chosen['file']} filed as {file_id}"))
            elif not chosen["notebook"]:
                events.append(_event("lms_wrong_name", f"no notebook named {module}.ipynb (or an LMS copy of it) "
                                     f"from {self.lms}: filed {chosen['file']} as it is"))
            if chosen["time"] is None:
                late = " (Canvas marks it late)" if chosen.get("late") else ""
                text = self.unreadable_times.get(chosen["lms_id"])
                hint = "" if self.times_file else " (pass TIMES=, see README)"
                given = (f"{self.lms}'s time {text!r} cannot be read" if text
                         else f"{self.lms} gives no submission time{hint}")
                events.append(_event("lms_no_time", f"{given} for {chosen['file']}{late}: no timestamp.txt, so "
                                     "no late penalty can be computed"))
            if not self._replaces(student, chosen, file_id, events):
                continue
            self.events["students"][student] = events
            self.filed[student] = (chosen["rel"], file_id, chosen["time"])
            entry = {"student_id": student, "file_id": file_id}
            if chosen["time"] is not None:
                entry["timestamp"] = f"{chosen['time']:%Y-%m-%d %H:%M:%S} UTC"
            plan[chosen["path"]] = entry
        return plan

    def _replaces(self, student, chosen, file_id, events):
        """Whether `chosen` should replace what submitted/ holds for `student`: not when that is newer (an
        event says so), nor when it is the same file at the same time (re-collecting changes nothing)."""
        folder = Path(self.parent.coursedir.format_path(
            self.parent.coursedir.submitted_directory, student, self.parent.coursedir.assignment_id))
        held = folder / file_id
        if not held.is_file():
            return True
        stamp = folder / "timestamp.txt"
        held_time = parse_utc(stamp.read_text().strip()) if stamp.is_file() else None
        if chosen["time"] is not None and held_time is not None and chosen["time"] < held_time:
            self.events["students"].setdefault(student, []).append(_event(
                "lms_older_attempt", f"{self.lms} file {chosen['file']} ({chosen['time']:%Y-%m-%d %H:%M:%S} UTC) is "
                f"older than the submission already collected ({held_time:%Y-%m-%d %H:%M:%S} UTC): kept that"))
            return False
        if chosen["time"] == held_time and _sha(chosen["path"]) == _sha(held):
            return False
        if chosen["time"] is None and held_time is not None:  # replacing it would lose the time lateness needs
            self.events["students"].setdefault(student, []).append(_event(
                "lms_untimed_attempt", f"{self.lms} file {chosen['file']} differs from the submission already "
                f"collected ({held_time:%Y-%m-%d %H:%M:%S} UTC) but has no time, so it cannot be shown newer: kept "
                "that (collect again with the LMS's times to replace it)"))
            return False
        return True


class CanvasCollector(LmsCollector):
    """Canvas "Download Submissions": `<sortable name>_[late_]<user id>_<submission id>_<file>`; times from a CSV
    of Canvas's Submissions API (`user_id`, `submitted_at`) given as `times_file`."""

    lms = "canvas"
    named_regexp = Unicode(r"(?P<name>[^_/]+)_(?:(?P<late>late)_)?(?P<lms_id>\d+)_(?P<submission>\d+)_(?P<file>.+)",
                           help="Canvas's file names.").tag(config=True)

    def parse(self, rel):
        m = re.fullmatch(self.named_regexp, os.path.basename(rel), flags=re.IGNORECASE)
        if not m:
            return None
        return dict(lms_id=m["lms_id"], name=m["name"], file=m["file"], time=None, order=int(m["submission"]),
                    late=bool(m["late"]))

    def times(self):
        if not self.times_file:
            return {}
        with open(self.times_file, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        ids = [(str(r["user_id"]).strip(), (r.get("submitted_at") or "").strip()) for r in rows]
        return {user: self.read_time(user, when, parse_utc) for user, when in ids if when}


class MoodleCollector(LmsCollector):
    """Moodle "Download all submissions": `<Full name>_<participant id>_assignsubmission_file_<file>`, flat or as a
    folder per student; times from the grading worksheet given as `times_file`."""

    lms = "moodle"
    named_regexp = Unicode(r"(?P<name>.+)_(?P<lms_id>\d+)_assignsubmission_file_(?P<file>.*)",
                           help="Moodle's file (or folder) names.").tag(config=True)

    def parse(self, rel):
        parts = Path(rel).parts
        m = re.fullmatch(self.named_regexp, parts[-1])
        if m and m["file"]:
            file = m["file"]
        elif len(parts) > 1 and (m := re.fullmatch(self.named_regexp, parts[-2])) and not m["file"]:
            file = parts[-1]
        else:
            return None
        return dict(lms_id=m["lms_id"], name=m["name"], file=file, time=None, order=0, late=False)

    def _worksheet(self):
        if not self.times_file:
            return []
        with open(self.times_file, newline="", encoding="utf-8-sig") as f:
            return list(csv.DictReader(f))

    @staticmethod
    def _participant(row):
        m = re.search(r"(\d+)\s*$", row.get("Identifier") or "")
        return m.group(1) if m else None

    def times(self):
        out = {}
        for row in self._worksheet():
            when = (row.get("Last modified (submission)") or "").strip()
            if self._participant(row) and when and when != "-":
                out[self._participant(row)] = self.read_time(self._participant(row), when,
                                                             lambda t: self.local(dateutil.parser.parse(t)))
        return out

    def identity(self, lms_id):
        emails = {self._participant(r): (r.get("Email address") or "").strip() for r in self._worksheet()}
        return [("lms_user_id", lms_id), ("email", emails.get(lms_id, "")), ("id", lms_id)]


class BlackboardCollector(LmsCollector):
    """Blackboard Learn "Assignment File Download": `<assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>`;
    the time is in the name (the server's local time, `timezone`)."""

    lms = "blackboard"
    named_regexp = Unicode(
        r"(?P<assignment>.+)_(?P<lms_id>[^_/]+)_attempt_(?P<timestamp>\d{4}(?:-\d\d){5})_(?P<file>.+)",
        help="Blackboard's file names.").tag(config=True)

    def parse(self, rel):
        name = os.path.basename(rel)
        m = re.fullmatch(self.named_regexp, name)
        if not m:
            return None
        when = self.local(datetime.strptime(m["timestamp"], "%Y-%m-%d-%H-%M-%S"))
        return dict(lms_id=self.receipt_user(rel, name[:m.end("timestamp")]) or m["lms_id"], name=m["lms_id"],
                    file=m["file"], time=when, order=0, late=False)

    def receipt_user(self, rel, prefix):
        """The username on the attempt's receipt (`Name: Full Name (username)`), which holds it whole where the
        file name cannot (a username with `_` in it); None without a receipt."""
        receipt = Path(self.root) / Path(rel).parent / f"{prefix}.txt"
        if not receipt.is_file():
            return None
        m = re.search(r"^Name: .*\((?P<user>[^()\n]+)\)\s*$", receipt.read_text(errors="replace"), flags=re.MULTILINE)
        return m["user"].strip() if m else None

    def identity(self, lms_id):
        return [("id", lms_id), ("lms_user_id", lms_id)]


COLLECTORS = {c.lms: c for c in (CanvasCollector, MoodleCollector, BlackboardCollector)}
