"""Milestones 01 (perceptron) and 02 (XOR) end to end: each runs in about a second, must exit 0, save its
training-curve PNG and end with exactly one JSON line reporting 100% test accuracy. Milestone 03 (MNIST /
Fashion-MNIST, about a minute each) runs only under `make milestones`."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

MILESTONES = Path(__file__).resolve().parent.parent / "milestones"
KEYS = {"milestone", "dataset", "n_train", "n_test", "test_accuracy", "seconds"}


@pytest.mark.parametrize("script,name,png", [("01_perceptron.py", "01_perceptron", "01_perceptron.png"),
                                             ("02_xor.py", "02_xor", "02_xor.png")])
def test_milestone_reaches_100_percent(script, name, png):
    result = MILESTONES / "results" / png
    result.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, str(MILESTONES / script)], capture_output=True, text=True,
                          timeout=120, cwd=MILESTONES.parent)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr}"
    lines = done.stdout.strip().splitlines()
    report = json.loads(lines[-1])
    assert sum(line.lstrip().startswith("{") for line in lines) == 1, "exactly one JSON line expected"
    assert set(report) == KEYS and report["milestone"] == name
    assert report["test_accuracy"] == 1.0, report
    assert report["n_train"] > 0 and report["n_test"] > 0 and report["seconds"] < 60
    assert "%|" in done.stderr, "expected a tqdm progress bar on stderr"
    assert result.is_file() and result.stat().st_size > 10_000
    if name == "02_xor":  # the point of the milestone: without a hidden layer, XOR is out of reach
        single = next(line for line in lines if line.startswith("single layer"))
        assert float(single.split("test accuracy ")[1].split()[0]) <= 0.75, single

