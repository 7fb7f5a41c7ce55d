"""The gradebook's database: sqlite (the default, one file) or PostgreSQL, by SQLAlchemy URL.

The course reaches the gradebook only through nbgrader's `Gradebook(db_url)`, so any database SQLAlchemy and
nbgrader's models support works; this file holds the few things that depend on which one it is: errors worth
retrying when several graders write at once, URLs shown without their password, fresh PostgreSQL databases
(tests, scratch courses) and `copy_gradebook`, the migration of a gradebook to another database
(`python -m classroom.cli migrate-db --to URL`).
"""
import uuid

from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

# Messages of errors that only mean "another grader was writing at the same moment": sqlite's lock wait ran
# out; PostgreSQL chose this transaction as a deadlock's victim, could not serialise it, or saw another one
# create the same row first. Grading the submission again is safe (nbgrader replaces its entries).
TRANSIENT = ("database is locked", "deadlock detected", "could not serialize access",
             "duplicate key value violates unique constraint")


def is_transient(message):
    return any(marker in str(message) for marker in TRANSIENT)


def backend(url):
    """"sqlite", "postgresql", ... (the SQLAlchemy dialect's name)."""
    return make_url(url).get_backend_name()


def shown(url):
    """`url` with its password masked, for logs and report.html."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_url(path):
    """The course's sqlite gradebook at `path`; graders wait up to a minute for its lock."""
    return f"sqlite:///{path}?timeout=60"


def _on_server(server_url, statement):
    """Run one statement in the server's maintenance database `postgres` (CREATE/DROP DATABASE cannot run inside a
    transaction, nor in the database they act on)."""
    engine = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def create_database(server_url, prefix="tinytorch"):
    """A new, empty PostgreSQL database on the server of `server_url`; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _on_server(server_url, f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url):
    """Drop the PostgreSQL database of `url` (closing its open connections)."""
    _on_server(url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


class NotEmpty(RuntimeError):
    """The migration's target already holds gradebook data."""


class SchemaMismatch(RuntimeError):
    """The source gradebook's schema is not the one this nbgrader writes."""


def _row_counts(engine, tables):
    present = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in tables if t.name in present}


def copy_gradebook(source_url, target_url):
    """Copy every row of nbgrader's gradebook at `source_url` (students, assignments and their due dates,
    notebooks, cells, submissions with timestamps and extensions, grades with a TA's manual scores and extra
    credit, comments, late penalties) into the database at `target_url`, table by table through nbgrader's
    own SQLAlchemy models, in one transaction. The target must hold no gradebook rows (NotEmpty otherwise);
    its tables are created as nbgrader creates them. Returns {table: rows copied}."""
    from nbgrader.api import Base, get_alembic_version

    tables = Base.metadata.sorted_tables  # parents before children (foreign keys)
    source, target = create_engine(source_url), create_engine(target_url)
    try:
        filled = {name: n for name, n in _row_counts(target, tables).items() if n}
        if filled:
            raise NotEmpty(f"{shown(target_url)} already holds a gradebook ({', '.join(f'{k}: {v} rows' for k, v in filled.items())}); "
                           "migrate into a new, empty database")
        with source.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if version != get_alembic_version():
            raise SchemaMismatch(f"{shown(source_url)} has gradebook schema {version}, this nbgrader writes "
                                 f"{get_alembic_version()}: run `nbgrader db upgrade` on it first")
        counts = {}
        with source.connect() as src, target.begin() as dst:
            Base.metadata.create_all(dst)
            dst.execute(text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)"))
            dst.execute(text("DELETE FROM alembic_version"))
            dst.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})
            for table in tables:
                rows = [dict(row) for row in src.execute(select(table)).mappings()]
                if rows:
                    dst.execute(table.insert(), rows)
                counts[table.name] = len(rows)
        copied = _row_counts(target, tables)
        if copied != counts:
            raise RuntimeError(f"the copy does not hold what was read: {copied} != {counts}")
        return counts
    finally:
        source.dispose()
        target.dispose()
