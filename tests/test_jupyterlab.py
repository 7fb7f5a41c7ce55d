"""The real JupyterLab starts on the course, serves the released notebooks and nbgrader's formgrader."""
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from classroom import course


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    # the documented command, as a TA runs it on the grading machine (as root there)
    args = f"--no-browser --port={port} --ip=127.0.0.1 --ServerApp.token=t0ken --ServerApp.runtime_dir={runtime}"
    proc = subprocess.Popen(["make", "-s", "lab", f"PY={sys.executable}", f"LAB_ARGS={args}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=course.ROOT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token=t0ken", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.5)
    yield base
    proc.terminate()
    proc.wait(timeout=20)


def _get(url):
    with urllib.request.urlopen(url + ("&" if "?" in url else "?") + "token=t0ken", timeout=20) as r:
        return r.status, r.read().decode()


def test_lab_serves_a_released_notebook(lab):
    status, body = _get(f"{lab}/api/contents/release/01_tensor/01_tensor.ipynb")
    assert status == 200
    nb = json.loads(body)["content"]
    assert any("YOUR CODE HERE" in c["source"] for c in nb["cells"])
    status, page = _get(f"{lab}/lab")
    assert status == 200 and "JupyterLab" in page


def test_formgrader_is_there_for_instructors_and_tas(lab):
    status, page = _get(f"{lab}/formgrader")
    assert status == 200 and "formgrade" in page.lower()
    assert 'class="alert alert-warning"' not in page, "formgrader's first page must carry no warning"
