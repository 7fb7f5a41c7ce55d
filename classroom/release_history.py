"""Every version of a module's locked cells the course has released, so that fixing a test mid-term does not
make honest students look like tamperers.

A student's copy of a locked cell is what the course gave them, in the version they fetched. When an
instructor fixes a test and releases again, earlier students still hold the earlier version; their copy is
not an edit. nbgrader grades every submission with the current locked cells whatever the copy holds, so the
history decides only what is flagged, never a score.

Kept in gradebook/release_history/<module>.json (commit it with the course): a list of versions, each
{"released": ISO time, "note": why, "locked": {grade_id: sha256 of the cell's source}}. A release that
changes the locked cells of a module students have already handed in is an explicit act (`make release
RERELEASE=<module>`), recorded with its note.
"""
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path


def history_path(root, module_id):
    return Path(root) / "gradebook" / "release_history" / f"{module_id}.json"


def locked_digests(release_nb):
    """{grade_id: sha256 of the stripped source} of the cells students must leave alone."""
    digests = {}
    for cell in release_nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") and meta.get("locked") and not meta.get("solution"):
            digests[meta["grade_id"]] = digest(cell.source)
    return digests


def digest(source):
    return hashlib.sha256(source.strip().encode()).hexdigest()


def versions(root, module_id):
    path = history_path(root, module_id)
    return json.loads(path.read_text()) if path.is_file() else []


def locked_versions(root, module_id):
    """[{grade_id: digest}]: the locked cells of each version released, oldest first."""
    return [version["locked"] for version in versions(root, module_id)]


def changed_cells(root, module_id, release_nb):
    """Locked cells whose source differs from the last recorded release ([] for a first release)."""
    recorded = versions(root, module_id)
    if not recorded:
        return []
    last, now = recorded[-1]["locked"], locked_digests(release_nb)
    return sorted(g for g in set(last) | set(now) if last.get(g) != now.get(g))


def record(root, module_id, release_nb, note):
    """Append this release's locked cells to the history, unless they equal the last version's."""
    recorded = versions(root, module_id)
    now = locked_digests(release_nb)
    if recorded and recorded[-1]["locked"] == now:
        return False
    recorded.append({"released": datetime.now(timezone.utc).isoformat(timespec="seconds"), "note": note,
                     "locked": now})
    path = history_path(root, module_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(recorded, indent=1) + "\n")
    return True
