"""nbgrader preprocessors of the course, one per file, named after its class (configured in nbgrader_config.py)."""
from classroom.preprocessors.cached_check_cell_metadata import CachedCheckCellMetadata
from classroom.preprocessors.compare_checks import CompareChecks
from classroom.preprocessors.guarded_execute import GuardedExecute
from classroom.preprocessors.mark_awaiting_grades import MarkAwaitingGrades
from classroom.preprocessors.restore_grading_metadata import RestoreGradingMetadata
from classroom.preprocessors.score_capstone import ScoreCapstone
from classroom.preprocessors.scrub_hidden_tests import ScrubHiddenTests

__all__ = ["CachedCheckCellMetadata", "CompareChecks", "GuardedExecute", "MarkAwaitingGrades", "RestoreGradingMetadata",
           "ScoreCapstone", "ScrubHiddenTests"]
