import shutil

import pytest

from classroom import course
from classroom.nbgrader_api import Course


@pytest.fixture
def scratch_course(tmp_path):
    """A throwaway course directory holding a copy of the given modules' source, with its own gradebook."""
    def make(*module_ids):
        for module_id in module_ids:
            shutil.copytree(course.SOURCE / module_id, tmp_path / "source" / module_id)
        return Course(tmp_path, {"Classroom.published": course.modules()})
    return make
