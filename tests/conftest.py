import os
import shutil

import pytest

from classroom import course, database
from classroom.nbgrader_api import Course

# TINYTORCH_TEST_SCRATCH_DB=postgresql (with TINYTORCH_TEST_PG_URL, a PostgreSQL server): every scratch course of
# the tests gets a fresh PostgreSQL database instead of its own sqlite file, to run any test on PostgreSQL.
ON_POSTGRES = os.environ.get("TINYTORCH_TEST_SCRATCH_DB") == "postgresql"


@pytest.fixture
def scratch_course(tmp_path):
    """A throwaway course directory holding a copy of the given modules' source, with its own gradebook."""
    made = []

    def make(*module_ids):
        for module_id in module_ids:
            shutil.copytree(course.SOURCE / module_id, tmp_path / "source" / module_id)
        overrides = {"Classroom.published": course.modules()}
        if ON_POSTGRES:
            made.append(database.create_database(os.environ["TINYTORCH_TEST_PG_URL"], "tt_scratch"))
            overrides["CourseDirectory.db_url"] = made[-1]
        return Course(tmp_path, overrides)
    yield make
    for url in made:
        database.drop_database(url)
