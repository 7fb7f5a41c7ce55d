"""nbgrader's solution and hidden-test delimiters, read from nbgrader's own configuration (the traits of its
ClearSolutions and ClearHiddenTests preprocessors: their defaults, or what nbgrader_config.py sets), and matched
as nbgrader matches them: a line that contains the delimiter."""
import functools
from dataclasses import dataclass

from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from traitlets.config.loader import PyFileConfigLoader

from classroom import course


@dataclass(frozen=True)
class Delimiters:
    begin_solution: str
    end_solution: str
    begin_hidden: str
    end_hidden: str

    def is_solution_marker(self, line):
        return self.begin_solution in line or self.end_solution in line


@functools.lru_cache(maxsize=None)
def delimiters():
    """The course's delimiters. Read when first needed, never at import: nbgrader_config.py imports classroom."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course.ROOT)).load_config()
    solutions, hidden = ClearSolutions(config=config), ClearHiddenTests(config=config)
    return Delimiters(solutions.begin_solution_delimeter, solutions.end_solution_delimeter,
                      hidden.begin_test_delimeter, hidden.end_test_delimeter)
