"""Grading events: what went wrong with one submission (a kernel stopped, a notebook refused, a flag), kept in
gradebook/events/<student>/<module>.json, a JSON list of {kind, cell, detail}. The one place that writes
and reads them (the report shows unreadable files as events of their own)."""
import json
from pathlib import Path


def events_path(root, module_id, student):
    """Where the grading events of one submission are kept: gradebook/events/<student>/<module>.json."""
    return Path(root) / "gradebook" / "events" / student / f"{module_id}.json"


def write_events(root, module_id, student, events):
    path = events_path(root, module_id, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(events, indent=1))


def load_events(path):
    """The events in one events file; ValueError (saying why) if it cannot be read as a list of events."""
    try:
        events = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{type(err).__name__}: {err}") from None
    if not isinstance(events, list):
        raise ValueError(f"expected a JSON list of events, got {type(events).__name__}")
    return events


def read_events(root, module_id, student):
    """The events recorded for one submission ([] if none, or if the file cannot be read)."""
    try:
        return load_events(events_path(root, module_id, student))
    except ValueError:
        return []
