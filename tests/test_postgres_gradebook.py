"""The gradebook on PostgreSQL (issue 13): a class graded by two workers writing into PostgreSQL at once scores
exactly as the same class graded into sqlite, cell by cell; feedback, deadlines, extensions and the report run
on it; and `classroom migrate-db` copies a sqlite gradebook (with a TA's grade and an extension) into a fresh
PostgreSQL database whose exports equal sqlite's.

Needs a PostgreSQL server: TINYTORCH_TEST_PG_URL (a postgresql+psycopg:// URL of a role that may create
databases). `.ci/run` starts a throwaway one on loopback (classroom/pgserver.py); without it these tests skip.
Each test gets a new database of its own and drops it afterwards."""
import os
import shutil

import nbformat
import pandas as pd
import pytest
from nbgrader.api import Gradebook

from classroom import course, database, deadlines, exports, submissions
from classroom.cli import main as cli
from classroom.grading import autograde_all, feedback_all
from classroom.nbgrader_api import Course
from classroom.report import build_report

SERVER = os.environ.get("TINYTORCH_TEST_PG_URL")
pytestmark = pytest.mark.skipif(
    not SERVER, reason="TINYTORCH_TEST_PG_URL is not set: no PostgreSQL server to test against (.ci/run starts "
                       "one; by hand: python3 -m classroom.pgserver start, then export TINYTORCH_TEST_PG_URL=<url>)")

MODULES = ["01_tensor", "02_activations"]


@pytest.fixture
def pg_url():
    url = database.create_database(SERVER, "tt_test")
    yield url
    database.drop_database(url)


def build_class(root, modules, students, db_url=None):
    """A scratch course at `root` (gradebook at `db_url`, else its own sqlite) with `students` submissions per
    module: the solution, the blank release and mutants (wrong implementations) in turn."""
    for m in modules:
        shutil.copytree(course.SOURCE / m, root / "source" / m)
    overrides = {"Classroom.published": course.modules()}
    if db_url:
        overrides["CourseDirectory.db_url"] = db_url
    c = Course(root, overrides)
    for m in modules:
        c.generate_assignment(m)
        release = nbformat.read(str(c.release_path(m)), as_version=4)
        solution = nbformat.read(str(course.source_notebook(m)), as_version=4)
        bugs = submissions.mutants(m)
        for i in range(students):
            nb = (submissions.fill(release, solution) if i % 3 == 0 else release if i % 3 == 1
                  else submissions.fill(release, solution, bugs[i % len(bugs)]))
            submissions.write(nb, c.submission_path(m, f"s{i}"))
    return c


def every_cell(c, modules, students):
    return {(m, s): c.cell_scores(m, s) for m in modules for s in students}


def test_two_workers_into_postgresql_score_as_sqlite(tmp_path, pg_url):
    students = [f"s{i}" for i in range(4)]
    on_sqlite = build_class(tmp_path / "sqlite", MODULES, len(students))
    on_pg = build_class(tmp_path / "pg", MODULES, len(students), pg_url)
    assert database.backend(on_pg.db_url) == "postgresql" and database.backend(on_sqlite.db_url) == "sqlite"
    for c in (on_sqlite, on_pg):  # a due date and an extension, kept in each gradebook
        deadlines.set_due_date(c, MODULES[0], "2026-11-01 12:00:00 UTC")
        for m in MODULES:
            (c.submission_path(m, "s0").parent / "timestamp.txt").write_text("2026-11-03 12:00:00 UTC")
        deadlines.grant_extension(c, MODULES[0], "s3", 24 * 60, "illness")
        (c.submission_path(MODULES[0], "s3").parent / "timestamp.txt").write_text("2026-11-02 11:00:00 UTC")
        assert not autograde_all(MODULES, c=c, workers=2, progress=False)

    cells = every_cell(on_pg, MODULES, students)
    assert cells == every_cell(on_sqlite, MODULES, students)
    assert all(cells.values()) and len({tuple(v.values()) for v in cells.values()}) > 2  # graded, and not all alike
    pg_table, pg_max = exports.score_table(on_pg.db_url)
    sqlite_table, sqlite_max = exports.score_table(on_sqlite.db_url)
    pd.testing.assert_frame_equal(pg_table, sqlite_table)
    pd.testing.assert_series_equal(pg_max, sqlite_max)
    late = exports.lateness_table(on_pg.db_url)
    pd.testing.assert_frame_equal(late, exports.lateness_table(on_sqlite.db_url))
    assert late.set_index(["module", "student"]).loc[(MODULES[0], "s0"), "penalty"] > 0  # two days late
    assert late.set_index(["module", "student"]).loc[(MODULES[0], "s3"), "extension_hours"] == 24

    # feedback and the TA report read the same gradebook; the report does not show the database's password
    assert not feedback_all(MODULES[:1], ["s0", "s1"], on_pg)
    assert (on_pg.root / "feedback" / "s0" / MODULES[0] / f"{MODULES[0]}.html").is_file()
    build_report(on_pg)
    page = (on_pg.root / "gradebook" / "exports" / "report.html").read_text()
    password = pg_url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert "postgresql+psycopg://" in page and password not in page


def _exports(c, directory):
    build_report(c, directory)
    return {name: (directory / name).read_text() for name in ("scores.csv", "lateness.csv", "lms.csv", "manual_queue.csv")}


def test_migrate_sqlite_gradebook_to_postgresql(tmp_path, pg_url, capsys):
    module = MODULES[0]
    c = build_class(tmp_path / "course", [module], 3)
    deadlines.set_due_date(c, module, "2026-11-01 12:00:00 UTC")
    for s in ("s0", "s2"):
        (c.submission_path(module, s).parent / "timestamp.txt").write_text("2026-11-03 12:00:00 UTC")
    assert not autograde_all([module], c=c, workers=1, progress=False)
    with Gradebook(c.db_url) as gb:  # a TA grades a written answer, comments on it, overrides an autograded cell
        grades = {g.name: g for g in gb.find_submission_notebook(module, module, "s0").grades}
        grades["written_views_vs_copies"].manual_score = 1.5
        grades["test_matmul"].manual_score = 1.0
        gb.find_comment("written_views_vs_copies", module, module, "s0").manual_comment = "views share memory: see 2.3"
        gb.db.commit()
    deadlines.grant_extension(c, module, "s2", 3 * 24 * 60, "illness")
    before = _exports(c, tmp_path / "from-sqlite")

    assert cli(["migrate-db", "--from", c.db_url, "--to", pg_url]) == 0
    assert "copied" in capsys.readouterr().out
    migrated = Course(c.root, {"Classroom.published": course.modules(), "CourseDirectory.db_url": pg_url})
    after = _exports(migrated, tmp_path / "from-postgresql")
    assert after == before  # scores.csv, lateness.csv, lms.csv, manual_queue.csv: the same files
    lateness = exports.lateness_table(pg_url).set_index("student")
    assert lateness.loc["s2", "extension_hours"] == 72 and lateness.loc["s0", "penalty"] > 0
    assert lateness.loc["s2", "penalty"] == 0
    for s in ("s0", "s1", "s2"):
        assert migrated.cell_scores(module, s) == c.cell_scores(module, s)
    assert migrated.cell_scores(module, "s0")["written_views_vs_copies"][0] == 1.5
    with Gradebook(pg_url) as gb:
        assert gb.find_comment("written_views_vs_copies", module, module, "s0").manual_comment == "views share memory: see 2.3"

    # the migrated course keeps working: a regrade into PostgreSQL keeps the TA's grade and the extension
    assert not autograde_all([module], c=migrated, workers=2, progress=False)
    scores = lambda course_: {cell: score for cell, (score, _, _) in course_.cell_scores(module, "s0").items()}
    assert scores(migrated) == scores(c) and scores(migrated)["test_matmul"] == 1.0
    assert exports.lateness_table(pg_url).set_index("student").loc["s2", "extension_hours"] == 72

    # a second migration into the same database is refused: it holds a gradebook now
    assert cli(["migrate-db", "--from", c.db_url, "--to", pg_url]) == 1
    assert "NOT MIGRATED" in capsys.readouterr().out
