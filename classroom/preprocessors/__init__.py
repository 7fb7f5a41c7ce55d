"""nbgrader preprocessors of the course, one per file, named after its class (configured in nbgrader_config.py)."""
from classroom.preprocessors.compare_checks import CompareChecks

__all__ = ["CompareChecks"]
