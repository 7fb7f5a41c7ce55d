"""The capstone's grader side (module 20_capstone): every point of the project from the grader's own measurement.

A student hands in, beside 20_capstone.ipynb, `submission.json` (tinytorch.capstone.SUBMISSION_SCHEMA) and the two
model files it names (`<stem>.json` + `<stem>.npz`, tinytorch.capstone.save_model's format). The ScoreCapstone
preprocessor (classroom/preprocessors/score_capstone.py) calls `grade_submission` on the folder AS SUBMITTED
(submitted/<student>/20_capstone/, never what the kernel wrote while it was graded):

1. the files are checked here, in the grader's process, before anything is loaded: submission.json (at most 64 KiB)
   exists and validates, the model stem is a plain name, its .json (at most 1 MiB) and .npz (at most
   `max_model_mb`) exist. A problem is an event and 0 points, never an exception that stops the batch;
2. a separate process (`python -m classroom.capstone measure ...`, limits on address space, CPU time and wall time,
   one BLAS thread) loads the baseline (source/20_capstone/baseline_mlp, the course's copy) and the student's model
   with the REFERENCE tinytorch.capstone.load_model (arrays read with allow_pickle=False: a model file is data, and
   loading it runs no student code), reads the held-out set, and runs the reference `evaluate` (both models, timed
   in turns in this one run, each call timed by the CPU time of the measuring thread: see `measure`) and `score`;
3. the points, the measurement and the claims come back as JSON; a claim far from its measurement is flagged for
   the TA (`claim_flags`).

Commands (the Makefile's `make heldout` and `make capstone-baseline`):
  python -m classroom.capstone heldout [--out gradebook/heldout] [--cache-dir DIR]
      the grader's held-out digits as IDX files (images-idx3-ubyte.gz uint8 (N, 28, 28), labels-idx1-ubyte.gz
      uint8 (N,)) from the data cache: the official MNIST test set when cached, else the 2,000 held-out digits of
      the offline set (tinytorch.datasets.load_mnist("mnist", "test")). Never inside release/ or a submission.
  python -m classroom.capstone baseline [--results DIR] [--out source/20_capstone/baseline_mlp]
      the baseline students start from: milestone 03's trained MLP (<results>/03_mlp_mnist.pkl; trained first by
      milestones/03_mlp_digits.py with its defaults when missing), saved with tinytorch.capstone.save_model.
"""
import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from classroom import course

MODULE = "20_capstone"
CELL = "test_capstone_submission"
BASELINE = course.SOURCE / MODULE / "baseline_mlp"
HELDOUT_FILES = ("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz")
SUBMISSION_MAX_BYTES = 64 * 1024
ARCHITECTURE_MAX_BYTES = 1024 * 1024
# A claim further than this from the grader's measurement is flagged for the TA (not a penalty: another machine,
# other images, timing noise). bytes: relative difference; speed-ups: ratio either way; accuracy: absolute.
CLAIM_TOLERANCE = {"bytes": 0.01, "speedup": 1.5, "accuracy": 0.03}


class SubmissionProblem(Exception):
    """Why a submission cannot be measured (the event's detail); `kind` is the event kind."""

    def __init__(self, kind, detail):
        super().__init__(detail)
        self.kind, self.detail = kind, detail


def check_files(folder, max_model_mb=64):
    """(submission dict, model stem path) of the files in `folder`, checked without loading any array; else
    SubmissionProblem("capstone_invalid", why)."""
    from tinytorch.capstone import read_submission
    folder = Path(folder)
    path = folder / "submission.json"
    _refuse_link(path)
    if not path.is_file():
        found = sorted(p.name for p in folder.iterdir() if p.suffix in (".json", ".npz")) if folder.is_dir() else []
        raise SubmissionProblem("capstone_invalid", "no submission.json handed in beside the notebook"
                                + (f" (found {', '.join(found)})" if found else ""))
    if path.stat().st_size > SUBMISSION_MAX_BYTES:
        raise SubmissionProblem("capstone_invalid", f"submission.json is {path.stat().st_size:,} bytes "
                                f"(at most {SUBMISSION_MAX_BYTES:,})")
    try:
        doc = read_submission(path)
    except (ValueError, RecursionError) as err:  # RecursionError: JSON nested deeper than Python's parser goes
        raise SubmissionProblem("capstone_invalid", str(err).replace(str(folder) + os.sep, "")[:500]) from None
    stem = folder / doc["model"]
    for suffix, cap in ((".json", ARCHITECTURE_MAX_BYTES), (".npz", max_model_mb * 1024 * 1024)):
        file = stem.with_name(stem.name + suffix)
        _refuse_link(file)
        if not file.is_file():
            raise SubmissionProblem("capstone_invalid", f"submission.json names the model {doc['model']!r}, "
                                    f"but {file.name} was not handed in")
        if file.stat().st_size > cap:
            raise SubmissionProblem("capstone_invalid", f"{file.name} is {file.stat().st_size:,} bytes "
                                    f"(at most {cap:,})")
    return doc, stem


def _refuse_link(path):
    # a link could point anywhere on the grading machine: only files handed in count
    if path.is_symlink():
        raise SubmissionProblem("capstone_invalid", f"{path.name} is a symbolic link: hand in the file itself")


def read_heldout(folder):
    """(images float32 (N, 784) in [0, 1], labels int64 (N,)) of the held-out IDX files in `folder`."""
    import numpy as np
    from tinytorch.datasets import read_idx
    images, labels = (read_idx(Path(folder) / name) for name in HELDOUT_FILES)
    if images.ndim != 3 or labels.shape != (len(images),):
        raise ValueError(f"{folder}: held-out images {images.shape} and labels {labels.shape} do not match")
    return (images.reshape(len(images), -1).astype(np.float32) / 255.0), labels.astype(np.int64)


IMAGE_LAYERS = ("Conv2d", "QuantizedConv2d", "BatchNorm2d", "MaxPool2d", "AvgPool2d")


def as_images(model):
    """`model` fed the held-out rows as images: a model whose first layer takes (N, C, H, W) (a convolution,
    BatchNorm2d or a pool) gets each row of 784 pixels as (N, 1, 28, 28), a view, timed as part of the model; any
    other model is returned as it is and gets (N, 784), as the baseline does."""
    from tinytorch.layers import Module, Sequential
    if not model.layers or type(model.layers[0]).__name__ not in IMAGE_LAYERS:
        return model

    class Images(Module):
        def forward(self, x):
            return x.reshape(x.shape[0], 1, 28, 28)

        def __repr__(self):
            return "Images(1, 28, 28)"
    return Sequential(Images(), *model.layers).eval()


def measure(model_stem, baseline_stem, heldout, reps):
    """The measurement the grader scores (run in the limited subprocess): reference load_model, evaluate, score.

    Each call is timed with time.thread_time, the CPU time of this thread (BLAS runs on it alone: the subprocess
    sets one BLAS thread), not the wall clock: time spent waiting while other processes run (other submissions,
    other jobs of a busy grading machine) is not counted, so the ratios do not swing with the machine's load. Measured
    under load on a shared 2-core machine, 4 runs each of the notebook's starting recipe (pruned 75%, distilled, int8)
    against the baseline: the wall clock gave speed-ups at batch 256 from 0.80x to 7.57x (a copy of the baseline: 0.53x
    to 1.93x), thread_time from 1.77x to 1.81x (the copy: 0.97x to 1.03x)."""
    from tinytorch.capstone import evaluate, load_model, score
    images, labels = read_heldout(heldout)
    baseline = load_model(baseline_stem)
    try:
        model = load_model(model_stem)
    except (ValueError, OSError, KeyError, EOFError, RecursionError) as err:
        # np.load's zip errors are OSError/ValueError/KeyError; json's parser raises RecursionError for nesting deeper
        # than Python's stack
        return {"rejected": f"{type(err).__name__}: {err}"[:500].replace(str(Path(model_stem).parent) + os.sep, "")}
    fed = as_images(model)
    try:
        measured = evaluate(fed, baseline, images, labels, reps=reps, batch_sizes=(1, 256), clock=time.thread_time)
    except Exception as err:  # a model that loads but cannot run on the held-out images (shapes that do not chain)
        shape = "(N, 1, 28, 28)" if fed is not model else "(N, 784)"
        return {"rejected": f"the model does not run on the held-out images {shape}: {type(err).__name__}: {err}"[:500]}
    return {"measured": measured, "points": score(measured, measured["baseline_accuracy"])}


def _limits(memory_mb, cpu_seconds):
    def apply():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def measure_in_subprocess(model_stem, baseline_stem, heldout, reps=30, timeout=300, memory_mb=2048):
    """measure(...) in a fresh process with limits: address space `memory_mb`, CPU and wall time `timeout` s.
    Returns its dict; SubmissionProblem("capstone_not_measured", why) if the process failed or ran out of time."""
    cmd = [sys.executable, "-m", "classroom.capstone", "measure", str(model_stem), "--baseline", str(baseline_stem),
           "--heldout", str(heldout), "--reps", str(reps)]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(course.ROOT)}
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=tempfile.gettempdir(),
                              preexec_fn=_limits(memory_mb, timeout))
    except subprocess.TimeoutExpired:
        raise SubmissionProblem("capstone_not_measured", f"measuring the model took more than {timeout} s") from None
    if done.returncode == -signal.SIGXCPU:  # the CPU limit fired before the wall-clock one
        raise SubmissionProblem("capstone_not_measured", f"measuring the model took more than {timeout} s of CPU time")
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        if done.returncode < 0 or "MemoryError" in tail:
            tail = f"stopped by its limits ({tail}; memory {memory_mb} MiB, {timeout} s)"
        raise SubmissionProblem("capstone_not_measured", f"the measurement failed: {tail[:300]}")
    return json.loads(lines[-1])


def claim_flags(claimed, measured):
    """Sentences for each claim far from the grader's measurement (CLAIM_TOLERANCE), for the TA."""
    flags = []
    if abs(claimed["bytes"] - measured["model_bytes"]) > CLAIM_TOLERANCE["bytes"] * measured["model_bytes"]:
        flags.append(f"claimed {claimed['bytes']:,} bytes, measured {measured['model_bytes']:,}")
    for key in ("speedup_batch1", "speedup_batch256"):
        ratio = claimed[key] / measured[key] if measured[key] > 0 else float("inf")
        if not 1 / CLAIM_TOLERANCE["speedup"] <= ratio <= CLAIM_TOLERANCE["speedup"]:
            flags.append(f"claimed {key} {claimed[key]:.2f}x, measured {measured[key]:.2f}x")
    if abs(claimed["accuracy"] - measured["accuracy"]) > CLAIM_TOLERANCE["accuracy"]:
        flags.append(f"claimed accuracy {claimed['accuracy']:.2%}, measured {measured['accuracy']:.2%} (held-out)")
    return flags


def report_text(result):
    """What the student's feedback shows in the graded cell."""
    lines = [f"Graded by the grader's own measurement: {result['points']:g} of {result['max_points']:g} points."]
    if result.get("problem"):
        lines.append(f"Not measured: {result['problem']}")
    m, claimed = result.get("measured"), result.get("claimed") or {}
    if m:
        p = result["score"]
        rows = [("accuracy (held-out)", f"{m['accuracy']:.2%} (baseline {m['baseline_accuracy']:.2%}, "
                 f"{m['n_images']:,} images)", claimed.get("accuracy"), p["accuracy"]),
                ("bytes", f"{m['model_bytes']:,} = {m['bytes_ratio']:.1%} of {m['baseline_bytes']:,}",
                 claimed.get("bytes"), p["bytes"]),
                ("speed-up at batch 1", f"{m['speedup_batch1']:.2f}x ({m['baseline_ms_batch1']:.3f} -> "
                 f"{m['ms_batch1']:.3f} ms)", claimed.get("speedup_batch1"), p["speedup_batch1"]),
                ("speed-up at batch 256", f"{m['speedup_batch256']:.2f}x ({m['baseline_ms_batch256']:.2f} -> "
                 f"{m['ms_batch256']:.2f} ms)", claimed.get("speedup_batch256"), p["speedup_batch256"])]
        lines.append(f"{'criterion':24s} {'measured by the grader':48s} {'you claimed':>14s} points")
        for name, value, claim, pts in rows:
            shown = "-" if claim is None else f"{claim:,}" if isinstance(claim, int) else f"{claim:.4g}"
            lines.append(f"{name:24s} {value:48s} {shown:>14s} {pts:g}")
        lines.append(f"(median of {m['reps']} timed calls of each model, timed in turns in one run, in CPU time of the "
                     "measuring thread)")
    for flag in result.get("flags", []):
        lines.append(f"Flagged for your TA: {flag}")
    return "\n".join(lines)


def grade_submission(folder, baseline=BASELINE, heldout=None, reps=30, timeout=300, memory_mb=2048, max_model_mb=64,
                     max_points=8.0):
    """Measure and score the capstone files in `folder`. Returns {"points", "max_points", "events" ([{kind, cell,
    detail}] for the TA), "measured", "claimed", "score", "flags", "problem", "report"}; never raises for a bad
    submission (a missing or invalid file, a rejected model, one that runs out of time: 0 points and an event)."""
    result = {"points": 0.0, "max_points": float(max_points), "events": [], "measured": None, "claimed": None,
              "score": None, "flags": [], "problem": None}
    try:
        if heldout is None or not all((Path(heldout) / n).is_file() for n in HELDOUT_FILES):
            raise SubmissionProblem("capstone_not_scored", f"the grader's held-out set is missing ({heldout}): run "
                                    "`make heldout`, then grade again (the submission itself was not judged)")
        doc, stem = check_files(folder, max_model_mb)
        result["claimed"] = doc["claimed"]
        out = measure_in_subprocess(stem, baseline, heldout, reps, timeout, memory_mb)
        if "rejected" in out:
            raise SubmissionProblem("capstone_invalid", f"the model files were rejected by load_model: {out['rejected']}")
        result.update(measured=out["measured"], score=out["points"], points=float(out["points"]["total"]))
        result["flags"] = claim_flags(doc["claimed"], out["measured"])
        result["events"] += [{"kind": "capstone_claim_far", "cell": CELL, "detail": f} for f in result["flags"]]
    except SubmissionProblem as problem:
        result["problem"] = problem.detail
        result["events"].append({"kind": problem.kind, "cell": CELL, "detail": problem.detail})
    result["report"] = report_text(result)
    return result


def write_heldout(out, cache_dir=None):
    """Write the held-out IDX files to `out` from the data cache; returns (n, source description)."""
    import numpy as np
    from tinytorch.datasets import load_mnist, write_idx
    images, labels, info = load_mnist("mnist", "test", cache_dir=cache_dir, return_info=True)
    raw = np.round(images * 255.0).astype(np.uint8)
    if not np.array_equal(raw.astype(np.float32) / 255.0, images):
        raise ValueError("the cached test images are not 8-bit pixels / 255: refusing to write a lossy copy")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_idx(out / HELDOUT_FILES[0], raw)
    write_idx(out / HELDOUT_FILES[1], labels.astype(np.uint8))
    (out / "SOURCE.txt").write_text(f"{info['source']}; {info['subset']}; n = {len(labels)}\n")
    return len(labels), f"{info['source']}; {info['subset']}"


def make_baseline(results=None, out=BASELINE):
    """Save milestone 03's trained MLP (training it first if <results>/03_mlp_mnist.pkl is missing) as `out`."""
    import importlib.util
    import pickle
    results = Path(results) if results else course.ROOT / "milestones" / "results"
    pkl = results / "03_mlp_mnist.pkl"
    sys.path.insert(0, str(course.ROOT / "milestones"))
    if not pkl.is_file():
        spec = importlib.util.spec_from_file_location("m03", course.ROOT / "milestones" / "03_mlp_digits.py")
        m03 = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(m03)
        m03.main(["--dataset", "mnist", "--results", str(results)])
    with open(pkl, "rb") as f:  # a pickle: only files milestone 03 wrote on this machine
        saved = pickle.load(f)
    from tinytorch.capstone import save_model
    model = saved["model"].eval()
    save_model(model, out)
    return saved.get("test_accuracy"), [l["type"] for l in json.loads(Path(f"{out}.json").read_text())["layers"]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    h = sub.add_parser("heldout", help="write the grader's held-out set from the data cache")
    h.add_argument("--out", default=str(course.GRADEBOOK / "heldout"))
    h.add_argument("--cache-dir", default=None)
    b = sub.add_parser("baseline", help="save milestone 03's MLP as source/20_capstone/baseline_mlp")
    b.add_argument("--results", default=None)
    b.add_argument("--out", default=str(BASELINE))
    m = sub.add_parser("measure", help="(internal) measure one model; prints JSON")
    m.add_argument("model")
    m.add_argument("--baseline", required=True)
    m.add_argument("--heldout", required=True)
    m.add_argument("--reps", type=int, default=30)
    args = parser.parse_args(argv)
    if args.command == "heldout":
        n, source = write_heldout(args.out, args.cache_dir)
        print(f"wrote {n:,} held-out digits to {args.out} ({source})")
    elif args.command == "baseline":
        accuracy, layers = make_baseline(args.results, args.out)
        print(f"wrote {args.out}.json/.npz: {' -> '.join(layers)} (milestone 03 test accuracy {accuracy})")
    else:
        print(json.dumps(measure(args.model, args.baseline, args.heldout, args.reps)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
