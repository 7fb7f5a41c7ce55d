"""Where a bench script's measurements go: bench/results/<name>-<timestamp>.json and latest_<name>.json, which
bench/summary.py gathers into `make bench`'s one table."""
import json
import os
import time

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def save(name, record, out=RESULTS):
    """Write `record` (a JSON-able dict; "written" is added, seconds since the epoch) to out/<name>-<timestamp>.json
    and out/latest_<name>.json; returns the first path."""
    os.makedirs(out, exist_ok=True)
    record = dict(record, written=time.time())
    path = os.path.join(out, f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json")
    for p in (path, os.path.join(out, f"latest_{name}.json")):
        with open(p, "w") as f:
            json.dump(record, f, indent=1, default=str)
            f.write("\n")
    return path
