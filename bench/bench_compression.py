"""`make bench`: accuracy against sparsity for the milestone 03 MLP, pruned by magnitude (and by neurons).

What it measures, all in one run: the MLP 784-512-256-10 (ReLU, float32, 535,818 parameters; milestones/03_mlp_digits.py)
trained briefly on MNIST from the data cache (`tinytorch.datasets.load_mnist`: the official 60,000 / 10,000 split when
cached, else the 10,000 offline digits split 8,000 / 2,000), with Adam, batch 128, no augmentation; then, for global
magnitude pruning (`tinytorch.compression.magnitude_prune`) at 0, 50, 70, 80, 90, 95 and 98% of the weights (biases
excluded), the test accuracy right after pruning and after a short fine-tune (Adam, lr 3e-4, masks re-applied after
every step with `apply_masks`), each from a copy of the same trained model. Then the same for structured pruning
(`prune_neurons` on both hidden layers), with the parameter count and the forward latency (batch 256, median of 30
after 3 warm-ups, the models timed in turns by bench/timing.race) of each model, so accuracy, size and speed sit
side by side.

Accuracy is measured on the test split only; nothing is selected on it. Sparsity is counted from the arrays.
Ends with one JSON line of every number. Needs the data cache (`make data`); exits with code 2 without it.

Usage: python bench/bench_compression.py [--epochs 10] [--finetune-epochs 2] [--threads 1] [--seed 1986]
"""
import argparse
import os
import sys

_parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
_parser.add_argument("--epochs", type=int, default=10, help="training epochs of the dense model (default 10)")
_parser.add_argument("--finetune-epochs", type=int, default=2, help="fine-tuning epochs after pruning (0: none)")
_parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "1")))
_parser.add_argument("--seed", type=int, default=1986)
_parser.add_argument("--cache-dir", default=None)
ARGS = _parser.parse_args()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from threads import pin_threads  # noqa: E402
from record import save as record_save  # noqa: E402
from timing import race  # noqa: E402

pin_threads(ARGS.threads)

import copy  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from tinytorch.activations import ReLU  # noqa: E402
from tinytorch.compression import apply_masks, magnitude_prune, prune_neurons, sparsity  # noqa: E402
from tinytorch.datasets import load_mnist  # noqa: E402
from tinytorch.layers import Linear, Sequential  # noqa: E402
from tinytorch.losses import CrossEntropyLoss  # noqa: E402
from tinytorch.optimizers import Adam  # noqa: E402
from tinytorch.tensor import Tensor  # noqa: E402

SPARSITIES = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98)
NEURON_FRACTIONS = (0.0, 0.5, 0.75, 0.9)
BATCH = 128


def train(model, x, y, epochs, lr, rng, masked=False):
    optimizer, loss_fn = Adam(model.parameters(), lr=lr), CrossEntropyLoss()
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), BATCH):
            batch = order[start:start + BATCH]
            optimizer.zero_grad()
            loss_fn(model(Tensor(x[batch])), y[batch]).backward()
            optimizer.step()
            if masked:
                apply_masks(model)  # pruned weights stay zero
    return model


def accuracy(model, x, y):
    correct = 0
    for start in range(0, len(y), 1000):
        correct += int((model(Tensor(x[start:start + 1000])).data.argmax(1) == y[start:start + 1000]).sum())
    return correct / len(y)


def main():
    try:
        x_train, y_train, info = load_mnist("mnist", "train", cache_dir=ARGS.cache_dir, return_info=True)
        x_test, y_test, test_info = load_mnist("mnist", "test", cache_dir=ARGS.cache_dir, return_info=True)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    print(f"bench_compression: MNIST train = {info['subset']}, test = {test_info['subset']} (source: {info['source']}); "
          f"threads {ARGS.threads}; numpy {np.__version__}")
    rng = np.random.default_rng(ARGS.seed)
    np.random.seed(ARGS.seed)
    start = time.perf_counter()
    dense = train(Sequential(Linear(784, 512), ReLU(), Linear(512, 256), ReLU(), Linear(256, 10)), x_train, y_train,
                  ARGS.epochs, 1e-3, rng)
    train_s = time.perf_counter() - start
    dense_acc = accuracy(dense, x_test, y_test)
    print(f"dense MLP 784-512-256-10: {dense.num_parameters():,} parameters, {ARGS.epochs} epochs of Adam (lr 1e-3, "
          f"batch {BATCH}) in {train_s:.0f} s, test accuracy {dense_acc:.2%}")

    probe = Tensor(np.asarray(x_test[:256]))
    results = {"unstructured": [], "structured": []}
    print(f"\nglobal magnitude pruning (biases excluded), fine-tune: {ARGS.finetune_epochs} epoch(s) of Adam lr 3e-4 "
          "with apply_masks after every step")
    print(f"{'target':>7s} {'sparsity':>9s} {'nonzero weights':>16s} {'accuracy, pruned':>17s} {'after fine-tune':>16s}")
    for amount in SPARSITIES:
        model = magnitude_prune(copy.deepcopy(dense), amount, scope="global")
        nonzero = sum(int(np.count_nonzero(m.weight.data)) for m in (model[0], model[2], model[4]))
        pruned_acc, measured = accuracy(model, x_test, y_test), sparsity(model)
        tuned_acc = None
        if ARGS.finetune_epochs:
            train(model, x_train, y_train, ARGS.finetune_epochs, 3e-4, rng, masked=True)
            tuned_acc = accuracy(model, x_test, y_test)
            if abs(sparsity(model) - measured) > 1e-12:
                raise SystemExit(f"sparsity changed during fine-tuning: {measured} -> {sparsity(model)}")
        results["unstructured"].append(dict(amount=amount, sparsity=measured, nonzero_weights=nonzero,
                                            accuracy=pruned_acc, accuracy_finetuned=tuned_acc))
        tuned = f"{tuned_acc:.2%}" if tuned_acc is not None else "-"
        print(f"{amount:7.0%} {measured:9.2%} {nonzero:16,d} {pruned_acc:17.2%} {tuned:>16s}")

    print("\nstructured pruning (prune_neurons on both hidden layers), forward latency at batch 256 (median ± IQR of 30, "
          "all models timed in turns)")
    print(f"{'neurons removed':>15s} {'shape':>16s} {'parameters':>11s} {'latency ms':>15s} {'accuracy, pruned':>17s} "
          f"{'after fine-tune':>16s}")
    shrunk = {}
    for amount in NEURON_FRACTIONS:
        a, b = prune_neurons(dense[0], dense[2], amount)
        b, c = prune_neurons(b, dense[4], amount)
        shrunk[amount] = Sequential(a, ReLU(), b, ReLU(), c)
    sparse90 = magnitude_prune(copy.deepcopy(dense), 0.9)
    contenders = {"dense": dense, "sparse90": sparse90, **shrunk}
    timed = {name: (t["median_ms"], t["iqr_ms"])  # before any fine-tuning
             for name, t in race({name: (lambda m=m: m(probe)) for name, m in contenders.items()},
                                 warmup=3, reps=30, rounds=3).items()}
    for amount, model in shrunk.items():
        a, b = model[0], model[2]
        median, iqr = timed[amount]
        pruned_acc = accuracy(model, x_test, y_test)
        tuned_acc = None
        if ARGS.finetune_epochs:
            tuned_acc = accuracy(train(model, x_train, y_train, ARGS.finetune_epochs, 3e-4, rng), x_test, y_test)
        shape = f"784-{a.out_features}-{b.out_features}-10"
        results["structured"].append(dict(amount=amount, shape=shape, parameters=model.num_parameters(),
                                          latency_ms=median, latency_iqr_ms=iqr, accuracy=pruned_acc,
                                          accuracy_finetuned=tuned_acc))
        tuned = f"{tuned_acc:.2%}" if tuned_acc is not None else "-"
        print(f"{amount:15.0%} {shape:>16s} {model.num_parameters():11,d} {median:8.2f} ± {iqr:4.2f} {pruned_acc:17.2%} "
              f"{tuned:>16s}")
    (d_med, d_iqr), (s_med, s_iqr) = timed["dense"], timed["sparse90"]
    print(f"for comparison, same batch: dense {d_med:.2f} ± {d_iqr:.2f} ms, 90% unstructured (dense arrays) "
          f"{s_med:.2f} ± {s_iqr:.2f} ms")
    record = {"bench": "compression", "train_subset": info["subset"], "test_subset": test_info["subset"],
              "epochs": ARGS.epochs, "finetune_epochs": ARGS.finetune_epochs, "dense_accuracy": dense_acc,
              "train_seconds": round(train_s, 1), "dense_latency_ms": d_med, "sparse90_latency_ms": s_med,
              **results, "seconds": round(time.perf_counter() - start, 1)}
    record_save("bench_compression", record)
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
