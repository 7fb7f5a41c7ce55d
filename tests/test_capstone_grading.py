"""The capstone (20_capstone) is scored by the grader's own measurement of the files a student hands in, outside the
kernel (classroom/capstone.py, ScoreCapstone): a scratch course with a small baseline and a small held-out set, both
made here, grades an honest submission (points as measured), one with fake claims (points as measured, claims
flagged), missing and invalid files (0, an event, the batch goes on) and a model file holding a pickled object
array (rejected, its code never run)."""
import json
import os
import shutil

import nbformat
import numpy as np
import pytest

from classroom import capstone, course, submissions
from classroom.events import read_events
from classroom.grading import autograde_all
from tinytorch.activations import ReLU
from tinytorch.capstone import evaluate, load_model, read_submission, save_model, save_submission, score
from tinytorch.compression import prune_neurons
from tinytorch.datasets import write_idx
from tinytorch.layers import Linear, Sequential

MODULE = "20_capstone"
CELL = "test_capstone_submission"


def small_baseline(seed=20):
    """784-64-10 whose last 51 hidden neurons are faint (pruned first by prune_neurons) and feed nothing: `pruned`
    keeps the other 13 and computes the same logits, so an honest submission keeps the baseline's accuracy."""
    np.random.seed(seed)
    model = Sequential(Linear(784, 64), ReLU(), Linear(64, 10)).eval()
    model[0].weight.data[:, 13:] *= 0.01
    model[2].weight.data[13:] = 0.0
    return model


def write_heldout(folder, baseline, n=300, seed=20):
    """n random 28x28 uint8 images, labelled by the baseline's own predictions (its accuracy is 100%)."""
    images = np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)
    from tinytorch.capstone import predict
    labels = predict(baseline, images.reshape(n, -1).astype(np.float32) / 255.0).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / capstone.HELDOUT_FILES[0], images)
    write_idx(folder / capstone.HELDOUT_FILES[1], labels)
    return folder


def pruned(baseline):
    first, second = prune_neurons(baseline[0], baseline[2], 0.8)
    return Sequential(first, ReLU(), second).eval()


def hand_in(folder, model, claims=None, stem="my_model", heldout=None, baseline=None):
    """Save `model` and a submission.json in `folder`: claims measured on the held-out set (honest), or `claims`."""
    folder.mkdir(parents=True, exist_ok=True)
    save_model(model, folder / stem)
    if claims is None:
        images, labels = capstone.read_heldout(heldout)
        claims = evaluate(model, baseline, images, labels, reps=3)
    save_submission(folder / "submission.json", stem, claims, ["prune_neurons 80%"])


def fake_claims(model):
    return {"accuracy": 0.5, "model_bytes": 10, "speedup_batch1": 100.0, "speedup_batch256": 100.0}


def hostile_npz(stem, marker):
    """Replace the first weight of <stem>.npz by an object array whose unpickling would create `marker`."""
    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))
    with np.load(f"{stem}.npz") as f:
        arrays = {k: f[k] for k in f.files}
    weight = np.empty(arrays["0.weight"].shape, dtype=object)
    weight[...] = Payload()
    arrays["0.weight"] = weight
    np.savez(f"{stem}.npz", **arrays)


# ---- the committed baseline ---------------------------------------------------------------------------------------

def test_committed_baseline_is_milestone_03s_mlp():
    model = load_model(course.SOURCE / MODULE / "baseline_mlp")
    shapes = [layer.weight.shape for layer in model.layers if hasattr(layer, "weight")]
    assert shapes == [(784, 512), (512, 256), (256, 10)]
    assert [type(layer).__name__ for layer in model.layers] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert all(layer.weight.data.dtype == np.float32 for layer in model.layers[::2])


def test_student_archive_holds_the_baseline(tmp_path):
    import tarfile
    from classroom.student_package import distribution
    path = distribution(MODULE, course.modules(), tmp_path)
    with tarfile.open(path) as archive:
        names = archive.getnames()
    assert {f"{MODULE}/{MODULE}/baseline_mlp.json", f"{MODULE}/{MODULE}/baseline_mlp.npz",
            f"{MODULE}/{MODULE}/{MODULE}.ipynb"} <= set(names), names


# ---- grade_submission on folders (no notebook) --------------------------------------------------------------------

@pytest.fixture
def setting(tmp_path):
    base = small_baseline()
    save_model(base, tmp_path / "baseline")
    heldout = write_heldout(tmp_path / "heldout", base)
    return base, tmp_path / "baseline", heldout


def test_honest_submission_scores_what_the_grader_measures(tmp_path, setting):
    base, base_stem, heldout = setting
    hand_in(tmp_path / "s", pruned(base), heldout=heldout, baseline=base)
    result = capstone.grade_submission(tmp_path / "s", base_stem, heldout, reps=3)
    assert result["problem"] is None, result
    m = result["measured"]
    assert m["n_images"] == 300 and m["baseline_accuracy"] == 1.0
    assert m["model_bytes"] == (784 * 13 + 13 + 13 * 10 + 10) * 4
    assert result["score"] == score(m, m["baseline_accuracy"])
    assert result["points"] == result["score"]["total"]
    assert result["score"]["bytes"] == 2.0  # 20% of the baseline's bytes
    assert m["accuracy"] == 1.0 and result["score"]["accuracy"] == 2.0
    assert not [f for f in result["flags"] if "bytes" in f or "accuracy" in f]
    assert "measured by the grader" in result["report"]


def test_fake_claims_earn_only_what_is_measured_and_are_flagged(tmp_path, setting):
    base, base_stem, heldout = setting
    model = pruned(base)
    hand_in(tmp_path / "s", model, claims=fake_claims(model))
    result = capstone.grade_submission(tmp_path / "s", base_stem, heldout, reps=3)
    m = result["measured"]
    assert result["points"] == score(m, m["baseline_accuracy"])["total"]
    kinds = [e["kind"] for e in result["events"]]
    assert kinds.count("capstone_claim_far") == 4, result["events"]
    assert "Flagged for your TA: claimed 10 bytes" in result["report"]


@pytest.mark.parametrize("breakage, why", [
    ("no_submission", "no submission.json"),
    ("not_json", "not readable as JSON"),
    ("schema", "not a valid submission"),
    ("path_in_stem", "not a valid submission"),
    ("missing_npz", "my_model.npz was not handed in"),
    ("tampered", "rejected by load_model"),
    ("too_big", "at most"),
])
def test_invalid_files_score_zero_with_an_event(tmp_path, setting, breakage, why):
    base, base_stem, heldout = setting
    folder = tmp_path / "s"
    hand_in(folder, pruned(base), heldout=heldout, baseline=base)
    doc = json.loads((folder / "submission.json").read_text())
    if breakage == "no_submission":
        (folder / "submission.json").unlink()
    elif breakage == "not_json":
        (folder / "submission.json").write_text("{'model': ")
    elif breakage == "schema":
        del doc["claimed"]
        (folder / "submission.json").write_text(json.dumps(doc))
    elif breakage == "path_in_stem":
        doc["model"] = "../baseline"
        (folder / "submission.json").write_text(json.dumps(doc))
    elif breakage == "missing_npz":
        (folder / "my_model.npz").unlink()
    elif breakage == "tampered":
        arch = json.loads((folder / "my_model.json").read_text())
        arch["layers"][0]["in_features"] = 783
        (folder / "my_model.json").write_text(json.dumps(arch))
    elif breakage == "too_big":
        (folder / "my_model.npz").write_bytes(b"\0" * (2 * 1024 * 1024))
    result = capstone.grade_submission(folder, base_stem, heldout, reps=3, max_model_mb=1)
    assert result["points"] == 0.0
    assert [e["kind"] for e in result["events"]] == ["capstone_invalid"], result["events"]
    assert why in result["events"][0]["detail"], result["events"][0]["detail"]


def test_a_pickled_object_array_is_refused_and_never_run(tmp_path, setting):
    base, base_stem, heldout = setting
    folder, marker = tmp_path / "s", tmp_path / "payload-ran"
    hand_in(folder, pruned(base), heldout=heldout, baseline=base)
    hostile_npz(folder / "my_model", marker)
    result = capstone.grade_submission(folder, base_stem, heldout, reps=3)
    assert result["points"] == 0.0 and "allow_pickle" in result["problem"], result
    assert not marker.exists()


def test_a_model_that_no_longer_classifies_digits_earns_nothing(tmp_path, setting):
    """All-zero weights (or a lone ReLU: no bytes at all) are tiny and fast: under the first score rule they earned
    6 of 8. Bytes and speed now count only when the accuracy earns a point."""
    base, base_stem, heldout = setting
    zero = Sequential(Linear(784, 10)).eval()
    zero[0].weight.data[:] = 0.0
    for name, model in (("zero", zero), ("relu", Sequential(ReLU()))):
        hand_in(tmp_path / name, model, heldout=heldout, baseline=base)
        result = capstone.grade_submission(tmp_path / name, base_stem, heldout, reps=3)
        assert result["problem"] is None and result["measured"]["bytes_ratio"] <= 0.25, result  # 2 points alone
        assert result["points"] == 0.0, (name, result["score"])


def test_a_cnn_is_fed_images(tmp_path, setting):
    """A model whose first layer is a convolution gets the held-out rows as (N, 1, 28, 28)."""
    from tinytorch.spatial import Conv2d, Flatten, MaxPool2d
    base, base_stem, heldout = setting
    np.random.seed(3)
    cnn = Sequential(Conv2d(1, 2, 3, stride=2), ReLU(), MaxPool2d(2), Flatten(), Linear(2 * 6 * 6, 10)).eval()
    hand_in(tmp_path / "s", cnn, claims=fake_claims(None))
    result = capstone.grade_submission(tmp_path / "s", base_stem, heldout, reps=3)
    assert result["problem"] is None, result
    images, labels = capstone.read_heldout(heldout)
    from tinytorch.capstone import predict
    expected = np.mean(predict(cnn, images.reshape(-1, 1, 28, 28)) == labels)
    assert result["measured"]["accuracy"] == pytest.approx(expected)


@pytest.mark.parametrize("which", ["submission.json", "my_model.json", "my_model.npz"])
def test_a_symbolic_link_is_refused(tmp_path, setting, which):
    """Only files handed in count: a link could point at the baseline, /dev/zero or any file of the grading machine."""
    base, base_stem, heldout = setting
    folder = tmp_path / "s"
    hand_in(folder, pruned(base), claims=fake_claims(None))
    (folder / which).rename(tmp_path / which)
    (folder / which).symlink_to(tmp_path / which)
    result = capstone.grade_submission(folder, base_stem, heldout, reps=3)
    assert result["points"] == 0.0 and [e["kind"] for e in result["events"]] == ["capstone_invalid"], result
    assert "symbolic link" in result["problem"]


@pytest.mark.parametrize("where", ["submission", "architecture"])
def test_json_nested_too_deep_is_invalid_not_a_crash(tmp_path, setting, where):
    """60 KB of '[' is valid to the size checks but deeper than Python's JSON parser goes (RecursionError): it used to
    escape grade_submission (the submission) or count as the grader failing to measure (the architecture)."""
    base, base_stem, heldout = setting
    folder = tmp_path / "s"
    hand_in(folder, pruned(base), claims=fake_claims(None))
    deep = "[" * 30000 + "]" * 30000
    (folder / ("submission.json" if where == "submission" else "my_model.json")).write_text(deep)
    result = capstone.grade_submission(folder, base_stem, heldout, reps=3)
    assert result["points"] == 0.0 and [e["kind"] for e in result["events"]] == ["capstone_invalid"], result


def test_missing_heldout_set_is_an_event_not_a_crash(tmp_path, setting):
    base, base_stem, _ = setting
    hand_in(tmp_path / "s", pruned(base), claims=fake_claims(None))
    result = capstone.grade_submission(tmp_path / "s", base_stem, tmp_path / "nowhere", reps=3)
    assert result["points"] == 0.0 and result["events"][0]["kind"] == "capstone_not_scored"


def test_a_model_bigger_than_the_memory_limit_is_stopped(tmp_path, setting):
    """A small compressed .npz that inflates to 401 MB (784 x 128,000 float32 zeros) under a 300 MiB limit: the
    measuring process fails with MemoryError, the submission scores 0, nothing else is held up."""
    import zipfile
    base, base_stem, heldout = setting
    folder = tmp_path / "s"
    hand_in(folder, pruned(base), heldout=heldout, baseline=base)
    arch = json.loads((folder / "my_model.json").read_text())
    wide = 128_000
    arch["layers"] = [dict(arch["layers"][0], out_features=wide,
                           arrays={"weight": {"shape": [784, wide], "dtype": "float32"},
                                   "bias": {"shape": [wide], "dtype": "float32"}})]
    (folder / "my_model.json").write_text(json.dumps(arch))
    with zipfile.ZipFile(folder / "my_model.npz", "w", zipfile.ZIP_DEFLATED) as zf:
        for name, shape in (("0.weight", (784, wide)), ("0.bias", (wide,))):
            with zf.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": shape})
                zeros = bytes(16 * 1024 * 1024)
                left = int(np.prod(shape)) * 4
                while left > 0:
                    f.write(zeros[:min(left, len(zeros))])
                    left -= len(zeros)
    assert (folder / "my_model.npz").stat().st_size < 2 * 1024 * 1024
    result = capstone.grade_submission(folder, base_stem, heldout, reps=3, memory_mb=300, timeout=120)
    assert result["points"] == 0.0 and result["events"][0]["kind"] == "capstone_not_measured", result["events"]
    assert "limits" in result["events"][0]["detail"], result["events"][0]["detail"]


def test_a_measurement_over_its_time_limit_is_stopped(tmp_path, setting):
    base, base_stem, heldout = setting
    hand_in(tmp_path / "s", pruned(base), claims=fake_claims(None))
    result = capstone.grade_submission(tmp_path / "s", base_stem, heldout, reps=3, timeout=1)
    assert result["points"] == 0.0 and result["events"][0]["kind"] == "capstone_not_measured", result["events"]
    assert "more than 1 s" in result["events"][0]["detail"]


def test_heldout_files_round_trip(tmp_path):
    base = small_baseline()
    folder = write_heldout(tmp_path / "h", base, n=20)
    images, labels = capstone.read_heldout(folder)
    assert images.shape == (20, 784) and images.dtype == np.float32 and 0.0 <= images.min() <= images.max() <= 1.0
    assert labels.dtype == np.int64 and labels.shape == (20,)


# ---- the whole pipeline: a scratch course, autograde ------------------------------------------------------------

def test_autograde_scores_the_submitted_files(scratch_course, tmp_path):
    c = scratch_course(MODULE)
    c.overrides["ScoreCapstone.reps"] = 3
    from classroom.nbgrader_api import Course
    c = Course(c.root, {**c.overrides})
    base = small_baseline()
    for stale in (c.root / "source" / MODULE).glob("baseline_mlp.*"):
        stale.unlink()
    save_model(base, c.root / "source" / MODULE / "baseline_mlp")  # the grader's baseline: small, made here
    heldout = write_heldout(c.root / "gradebook" / "heldout", base)
    c.generate_assignment(MODULE)
    release = nbformat.read(str(c.release_path(MODULE)), as_version=4)
    solution = submissions.fill(release, nbformat.read(str(course.source_notebook(MODULE)), as_version=4))
    students = ["honest", "faker", "missing", "pickler"]
    for s in students:
        submissions.write(solution if s != "missing" else release, c.submission_path(MODULE, s))
    folder = lambda s: c.submission_path(MODULE, s).parent
    hand_in(folder("honest"), pruned(base), heldout=heldout, baseline=base)
    hand_in(folder("faker"), pruned(base), claims=fake_claims(None))
    marker = tmp_path / "payload-ran"
    hand_in(folder("pickler"), pruned(base), heldout=heldout, baseline=base)
    hostile_npz(folder("pickler") / "my_model", marker)
    # what a kernel writes while it is graded is never read: only submitted/ counts
    autograde_all([MODULE], c=c, workers=2, progress=False)

    record = lambda s: json.loads((c.root / "gradebook" / "capstone" / MODULE / f"{s}.json").read_text())
    cell = lambda s: c.cell_scores(MODULE, s)[CELL]
    for s in ("honest", "faker"):
        r = record(s)
        assert r["problem"] is None, r
        assert r["points"] == score(r["measured"], r["measured"]["baseline_accuracy"])["total"]
        assert cell(s)[:2] == (r["points"], 8.0), (s, cell(s), r)
        assert r["measured"]["n_images"] == 300
    assert [e for e in read_events(c.root, MODULE, "faker") if e["kind"] == "capstone_claim_far"]
    for s, why in (("missing", "no submission.json"), ("pickler", "allow_pickle")):
        assert cell(s)[0] == 0.0
        events = [e for e in read_events(c.root, MODULE, s) if e["kind"] == "capstone_invalid"]
        assert events and why in events[0]["detail"], read_events(c.root, MODULE, s)
    assert not marker.exists()
    # the other cells were graded as usual: the solution's in-kernel tests keep their points
    honest = c.cell_scores(MODULE, "honest")
    assert all(score_ == maximum for g, (score_, maximum, manual) in honest.items() if not manual and g != CELL), honest
    graded = nbformat.read(str(c.submission_path(MODULE, "faker", "autograded")), as_version=4)
    shown = next(x for x in graded.cells if x.metadata.get("nbgrader", {}).get("grade_id") == CELL)
    assert "Flagged for your TA" in "".join(o.get("text", "") for o in shown.outputs)
    # feedback shows the grader's numbers beside the claims
    from classroom.grading import feedback_all
    assert not feedback_all([MODULE], ["faker"], c=c)
    html = next((c.root / "feedback" / "faker" / MODULE).glob("*.html")).read_text()
    assert "measured by the grader" in html and "Flagged for your TA" in html
