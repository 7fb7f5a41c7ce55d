"""Autograde and feedback over submitted/: parallel, sandboxed, and one bad submission never stops the batch.

Each submission is checked before nbgrader sees it (expected notebook name, valid notebook JSON); whatever
goes wrong — a broken file, a kernel killed for time, memory or output, nbgrader refusing it — ends as a
gradebook entry worth zero where nothing was earned, plus a recorded reason in
gradebook/events/<student>/<module>.json. The rest of the class is graded either way.
"""
import shutil

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from tqdm import tqdm

from classroom import course, database, deadlines, distributed, kernel_pool, release_history
from classroom.config import Classroom
from classroom.cells import is_test_cell
from classroom.events import read_events as _read_events, write_events
from classroom.feedback import write_scrubbed_notebook, write_ungradable_feedback
from classroom.integrity import scan_notebook, tamper_events
from classroom.nbgrader_api import Course, NbgraderError
from classroom.reference import ReferenceFailed, reference_checks


def submissions(c, modules=None, students=None):
    """(module, student) pairs found in submitted/, in course order."""
    return [(m, s) for m in (modules or course.modules()) for s in c.submitted_students(m)
            if students is None or s in students]


def unsupported_student_id(student):
    """Why a submission folder name cannot be graded as a student id (None if it can). nbgrader reads an id
    as a glob pattern at several steps (escaping it does not reach all of them), so `x[1]` would grade the
    notebook of student `x1`; it strips surrounding whitespace, so ` jo` would grade (or miss) `jo`; and
    control characters break every file and table an id appears in."""
    glob_chars = sorted(set(student) & set("*?[]"))
    if glob_chars:
        return (f"student id {student!r} contains {' '.join(glob_chars)}, which nbgrader reads as a file pattern "
                "(it could grade another student's folder): rename the folder")
    if student != student.strip():
        return f"student id {student!r} has whitespace around it: rename the folder submitted/{student.strip()}"
    bad = sorted({ch for ch in student if not ch.isprintable()})
    if bad:
        return f"student id {student!r} contains the unprintable character(s) {', '.join(map(repr, bad))}: rename the folder"
    return None


def precheck(c, module_id, student):
    """(events that stop a submission before it runs, the notebook): no notebook of the expected name, or
    not a notebook; else no events and the parsed notebook."""
    expected = c.submission_path(module_id, student)
    folder = expected.parent
    if not expected.is_file():
        found = sorted(p.name for p in folder.glob("*.ipynb")) or "no notebook"
        return [{"kind": "wrong_name", "cell": None, "detail": f"expected {expected.name}, found {found}"}], None
    try:
        nb = nbformat.read(str(expected), as_version=4)
        if _cell_ids_under_old_minor(nb):
            # Some editors write cell ids (nbformat 4.5) but keep "nbformat_minor": 4; Jupyter opens such a
            # file, and `nbgrader validate` passes it, so grade it too: as the 4.5 notebook it is.
            nb.nbformat_minor = 5
            nbformat.validate(nb)
            nbformat.write(nb, str(expected))
        nbformat.validate(nb)
    except Exception as err:  # any parse or schema failure: the file is not a notebook we can grade
        return [{"kind": "invalid_notebook", "cell": None, "detail": f"{type(err).__name__}: {str(err)[:300]}"}], None
    return [], nb


def _cell_ids_under_old_minor(nb):
    return nb.get("nbformat") == 4 and nb.get("nbformat_minor", 0) < 5 and any("id" in cell for cell in nb.cells)


def integrity_events(c, module_id, nb):
    release = nbformat.read(str(c.release_path(module_id)), as_version=4)
    history = release_history.locked_versions(c.root, module_id)
    return tamper_events(nb, release, history) + scan_notebook(nb, module_id, release)


# Events that stop a submission before nbgrader grades it: it is recorded with no points (record_zero).
UNGRADABLE = ("wrong_name", "invalid_notebook", "autograde_failed")


def forget_graded_files(c, module_id, student):
    """Remove autograded/ and feedback/ of one submission: they describe an older file than the one being
    graded now, and must never be shown as if they were its result."""
    for step in ("autograded", "feedback"):
        shutil.rmtree(c.submission_path(module_id, student, step).parent, ignore_errors=True)


def record_zero(c, module_id, student):
    """Make the gradebook hold this submission with no points (replacing an older graded one)."""
    with Gradebook(c.db_url) as gb:
        gb.update_or_create_student(student)
        try:
            gb.remove_submission(module_id, student)
        except MissingEntry:
            pass
        gb.add_submission(module_id, student)


def grade_one(c, module_id, student, retries=2):
    """Autograde one submission; return the list of events recorded for it.

    Integrity and tamper flags are recorded for a TA but change no score: the points come only from the
    values the submission computed (CompareChecks), which no code in the kernel can fake."""
    forget_graded_files(c, module_id, student)
    deadlines.apply_extension(c, module_id, student)  # nbgrader computes lateness when it grades
    events, nb = precheck(c, module_id, student)
    if not events:
        flags = integrity_events(c, module_id, nb)
        for attempt in range(retries + 1):
            try:
                c.autograde(module_id, student)
                events = read_events(c, module_id, student) + flags
                if flags:
                    write_events(c.root, module_id, student, events)
                return events
            except NbgraderError as err:
                if database.is_transient(err) and attempt < retries:  # another grader's write got in the way
                    continue
                lines = str(err).splitlines()
                # the innermost real exception, not nbgrader's generic wrapper around it
                reason = next((l for l in reversed(lines) if "NbGraderException" not in l
                               and l.split(":")[0].strip().endswith(("Error", "Exception", "Unavailable"))), lines[0])
                events = flags + [{"kind": "autograde_failed", "cell": None, "detail": reason.strip()[:300]}]
                break
    forget_graded_files(c, module_id, student)  # whatever nbgrader left of a failed run
    record_zero(c, module_id, student)
    deadlines.apply_extension(c, module_id, student)  # the re-created submission keeps its extension
    write_events(c.root, module_id, student, events)
    return events


def read_events(c, module_id, student):
    return _read_events(c.root, module_id, student)


def not_ready(c, module_id):
    """Why `module_id` cannot be graded as things stand (None if it can): never released, released from a
    source notebook that changed since, or a reference solution that fails its own tests. Refusing up
    front leaves every grade already in the gradebook as it was."""
    path = c.source_path(module_id)
    if not path.is_file():
        return f"no source notebook source/{module_id}/{module_id}.ipynb (the reference solution grading needs)"
    order, published = course.modules(), Classroom(config=c.config).published
    unpublished = [m for m in order[:order.index(module_id)] if m not in published] if module_id in order else []
    if unpublished:
        return (f"{module_id} builds on {', '.join(unpublished)}, not published yet: students cannot have run it "
                "without them. Add them to c.Classroom.published in nbgrader_config.py once their deadline has passed")
    source = nbformat.read(str(path), as_version=4)
    with Gradebook(c.db_url) as gb:
        try:
            gb.find_assignment(module_id)
        except MissingEntry:
            return f"{module_id} has not been released: run `make release` first"
        changed = []
        for cell in source.cells:
            if is_test_cell(cell):
                grade_id = cell.metadata.nbgrader["grade_id"]
                try:
                    stored = gb.find_source_cell(grade_id, module_id, module_id).source
                except MissingEntry:
                    stored = None
                if stored != cell.source:
                    changed.append(grade_id)
    if changed:
        return (f"source/{module_id} changed after its release (test cells {', '.join(changed)}): run `make release` "
                "so students' notebooks are graded by the tests the reference solution is checked with")
    try:
        reference_checks(c.config, module_id)
    except ReferenceFailed as err:
        return str(err)
    except Exception as err:  # e.g. no sandbox: nothing of this module can be graded, say why once
        return f"the reference solution could not be run: {type(err).__name__}: {err}"
    return None


def create_students(c, students):
    """Enter every student in the gradebook before the workers start: nbgrader's autograde creates a missing
    student itself, and two workers grading one student's two modules at once would both insert the same row
    (PostgreSQL refuses the second; sqlite's lock only happens to serialise them)."""
    with Gradebook(c.db_url) as gb:
        for s in students:
            gb.update_or_create_student(s)


def _progress(total, workers, progress):
    # disable=None: a bar on a terminal, nothing in a log file
    return tqdm(total=total, desc=f"autograde ({workers} workers)", unit="notebook", disable=None if progress else True)


def autograde_all(modules=None, students=None, c=None, workers=None, progress=True):
    """Grade every submission, `workers` at a time; return {(module, student): events} for problems (and,
    with `progress`, show a progress bar and print them). Several workers are Dask workers: a LocalCluster of
    `workers` processes, or the scheduler's at c.Classroom.scheduler_address / TINYTORCH_SCHEDULER
    (classroom/distributed.py), which needs a gradebook all its machines reach (SqliteOnCluster otherwise)."""
    c = c or Course()
    address = distributed.scheduler_address(c)
    distributed.refuse_sqlite(c, address)  # before anything is written
    pairs = submissions(c, modules, students)
    refused = {m: why for m in sorted({m for m, _ in pairs}) if (why := not_ready(c, m))}
    for m, why in refused.items():
        print(f"NOT GRADED {m}: {why}")
    results = {(m, s): [{"kind": "not_graded", "cell": None, "detail": refused[m]}] for m, s in pairs if m in refused}
    for m, s in pairs:
        if m not in refused and (why := unsupported_student_id(s)):
            results[(m, s)] = [{"kind": "unsupported_student_id", "cell": None, "detail": why}]
    for (m, s), events in results.items():
        write_events(c.root, m, s, events)  # the gradebook keeps whatever grade it held
    pairs = [(m, s) for m, s in pairs if (m, s) not in results]
    create_students(c, sorted({s for _, s in pairs}))
    workers = min(workers or Classroom(config=c.config).worker_count(), max(len(pairs), 1))
    if not pairs or (workers == 1 and not address):  # one at a time, in this process: no cluster to start
        bar = _progress(len(pairs), workers, progress)
        for m, s in pairs:
            results[(m, s)] = grade_one(c, m, s)
            bar.update()
    else:
        with distributed.client(workers, address) as client:
            bar = _progress(len(pairs), distributed.worker_count(client) if address else workers, progress)

            def done(m, s, events):
                results[(m, s)] = events
                bar.update()
            distributed.grade_pairs(c, pairs, client, done)
            client.run(kernel_pool.discard)  # each worker's spare kernel: no next notebook is coming
    bar.close()
    kernel_pool.discard()  # the kernel this process started for a next notebook there is not
    problems = {key: ev for key, ev in sorted(results.items()) if ev}
    if not progress:
        return problems
    for (m, s), events in problems.items():
        for e in events:
            print(f"FLAGGED {m} / {s}: {e['kind']}" + (f" in {e['cell']}" if e.get("cell") else "") + f": {e['detail']}")
    with Gradebook(c.db_url) as gb:  # nbgrader's own code_score: the autograded points of a submission
        for m in sorted({m for m, _ in pairs}):
            subs = [(s, gb.find_submission(m, s)) for mm, s in pairs if mm == m]
            print(f"{m}: " + ", ".join(f"{s} {sub.code_score:g}/{sub.max_code_score:g}" for s, sub in subs))
    print(f"graded {len(pairs)} submissions; {len(problems)} flagged")
    return problems


def feedback_all(modules=None, students=None, c=None):
    """Write feedback for every submission in submitted/: nbgrader's HTML and the scrubbed notebook for a
    graded one, a page saying why for one that could not be graded. A submission changed since it was
    graded gets none (its old feedback would describe another file). Return [(module, student, why)] for
    the submissions left without feedback."""
    c = c or Course()
    failures = []
    deadlines.refresh_penalties(c)  # the page shows the penalty on the score as it is now
    for m, s in tqdm(submissions(c, modules, students), desc="feedback", unit="notebook", disable=None):
        graded, submitted = c.submission_path(m, s, "autograded"), c.submission_path(m, s, "submitted")
        problems = [e for e in read_events(c, m, s) if e.get("kind") in UNGRADABLE]
        stale = graded.is_file() and submitted.is_file() and submitted.stat().st_mtime > graded.stat().st_mtime
        try:
            if why := unsupported_student_id(s):
                failures.append((m, s, why))
            elif graded.is_file() and not stale:
                c.generate_feedback(m, s)
                write_scrubbed_notebook(c, m, s)  # after: a forced generate_feedback empties the folder
            elif problems and not graded.exists():
                write_ungradable_feedback(c, m, s, problems)
            else:
                shutil.rmtree(c.submission_path(m, s, "feedback").parent, ignore_errors=True)
                why = "submitted after its last grading" if stale else "not graded yet"
                failures.append((m, s, why + ": run `make autograde` first"))
        except NbgraderError as err:
            failures.append((m, s, str(err).splitlines()[0]))
    for m, s, why in failures:
        print(f"NO FEEDBACK {m} / {s}: {why}")
    return failures
