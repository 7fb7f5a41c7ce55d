"""nbgrader's exchange for a real term: outside the course folder, so the course folder can be closed to students.

Students release, fetch and submit through the exchange (nbgrader's default place, /srv/nbgrader/exchange, or
TINYTORCH_EXCHANGE); the course folder (source/ with every solution, the gradebook, other students'
submissions) belongs to the instructor alone. nbgrader's own permissions keep submissions apart: its inbound
folder can be written but not listed by students, and each submission's folder name carries a random suffix.
"""
import os
from pathlib import Path

STUDENT_CONFIG = '''"""nbgrader settings for students of the TinyTorch course: `nbgrader fetch_assignment`, `submit` and `validate`
read them when run from this folder (or copy this file to ~/.jupyter/nbgrader_config.py)."""
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
'''


def create(exchange_root):
    """Create the exchange as nbgrader documents it: everyone may read and write its top. Returns its path."""
    exchange = Path(exchange_root).resolve()
    exchange.mkdir(parents=True, exist_ok=True)
    exchange.chmod(0o777)
    return exchange


def prepare(exchange_root, course_root):
    """Create the exchange, and close the course folder to everyone but its owner. Returns the exchange path."""
    course = Path(course_root).resolve()
    if Path(exchange_root).resolve().is_relative_to(course):
        raise ValueError(f"the exchange {exchange_root} is inside the course folder {course}: students would need "
                         "to traverse the course folder, and could then read source/ and the gradebook")
    exchange = create(exchange_root)
    os.chmod(course, 0o700)
    return exchange


def student_config(config):
    """The nbgrader_config.py students get, pointing at this course's exchange."""
    return STUDENT_CONFIG.format(course_id=config.CourseDirectory.course_id, exchange=config.Exchange.root)
