"""Milestone 01 · The perceptron (Rosenblatt, 1957).

What it trains: a single `Linear(2, 1)` unit followed by a step function, sign(x·w + b), the Mark I
perceptron's decision rule.
How: Rosenblatt's learning rule, one example at a time: on a mistake, w += lr·y·x and b += lr·y. Here that
rule *is* SGD on the perceptron criterion L = max(0, -y·(x·w + b)) (a `ReLU` of the negated margin): its
gradient is -y·x on a mistake and 0 otherwise. So the update runs through tinytorch's autograd and `SGD`.
On what data: 2-D points in [-1, 1]², generated with a fixed seed and labelled ±1 by a random line; points
closer than a margin of 0.05 to the line are dropped, so the classes are linearly separable with a margin.
Target: 100% test accuracy. Novikoff's convergence theorem (1962) bounds the number of mistakes by (R/γ)²
(R: largest |x|, γ: margin), so training stops after an epoch without a mistake.
History: Frank Rosenblatt's perceptron (1957/58), built in hardware as the Mark I at Cornell, was the first
machine that learned its weights from examples. Its limits are the subject of milestone 02.

Output: a progress bar, milestones/results/01_perceptron.png (data, learned line, mistakes during training), and a
final JSON line {"milestone", "dataset", "n_train", "n_test", "test_accuracy", "seconds"}.
"""
import json
import time
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

from tinytorch.activations import ReLU
from tinytorch.autograd import no_grad
from tinytorch.layers import Linear
from tinytorch.optimizers import SGD
from tinytorch.tensor import Tensor

SEED, MARGIN, N_TRAIN, N_TEST, MAX_EPOCHS = 1957, 0.05, 500, 500, 100
RESULTS = Path(__file__).resolve().parent / "results"


def separable_data(rng, n, w_true, b_true):
    """n points in [-1, 1]² with labels sign(x·w_true + b_true), none within MARGIN of the line."""
    points = np.empty((0, 2))
    while len(points) < n:
        x = rng.uniform(-1, 1, size=(2 * n, 2))
        points = np.concatenate([points, x[np.abs(x @ w_true + b_true) >= MARGIN]])
    x = points[:n].astype(np.float32)
    return x, np.where(x @ w_true + b_true > 0, 1.0, -1.0).astype(np.float32)


def accuracy(model, x, y):
    with no_grad():
        scores = model(Tensor(x)).data[:, 0]
    return float(np.mean(np.where(scores > 0, 1.0, -1.0) == y))


def main():
    start = time.perf_counter()
    rng = np.random.default_rng(SEED)
    np.random.seed(SEED)  # Linear's initial weights
    angle = rng.uniform(0, 2 * np.pi)
    w_true, b_true = np.array([np.cos(angle), np.sin(angle)]), rng.uniform(-0.3, 0.3)
    x_train, y_train = separable_data(rng, N_TRAIN, w_true, b_true)
    x_test, y_test = separable_data(rng, N_TEST, w_true, b_true)

    perceptron = Linear(2, 1)
    criterion = ReLU()
    optimizer = SGD(perceptron.parameters(), lr=1.0)
    mistakes_per_epoch, cumulative = [], [0]
    bar = tqdm(range(MAX_EPOCHS), desc="perceptron", unit="epoch")
    for _ in bar:
        mistakes = 0
        for i in rng.permutation(N_TRAIN):
            score = perceptron(Tensor(x_train[i:i + 1]))           # (1, 1)
            loss = criterion(-(score * float(y_train[i]))).sum()   # max(0, -y·score)
            if loss.item() > 0 or score.item() == 0:
                mistakes += 1
            cumulative.append(cumulative[-1] + (loss.item() > 0 or score.item() == 0))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        mistakes_per_epoch.append(mistakes)
        bar.set_postfix(mistakes=mistakes)
        if mistakes == 0:
            break
    bar.close()
    train_acc, test_acc = accuracy(perceptron, x_train, y_train), accuracy(perceptron, x_test, y_test)
    seconds = time.perf_counter() - start
    print(f"converged after {len(mistakes_per_epoch)} epochs ({sum(mistakes_per_epoch)} updates); "
          f"train accuracy {train_acc:.4f}, test accuracy {test_acc:.4f}")

    RESULTS.mkdir(exist_ok=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for label, colour in ((1, "tab:blue"), (-1, "tab:orange")):
        pick = y_test == label
        left.scatter(*x_test[pick].T, s=12, c=colour, label=f"test, y = {label:+d}")
    w, b = perceptron.weight.data[:, 0], float(perceptron.bias.data[0])
    xs = np.linspace(-1, 1, 2)
    left.plot(xs, -(w[0] * xs + b) / w[1], "k-", label="learned: x·w + b = 0")
    left.plot(xs, -(w_true[0] * xs + b_true) / w_true[1], "k:", label="true line")
    left.set(xlim=(-1, 1), ylim=(-1, 1), title=f"Perceptron: test accuracy {test_acc:.0%}", aspect="equal")
    left.legend(fontsize=7, loc="lower left")
    right.step(range(len(cumulative)), cumulative, where="post")
    right.set(xlabel="training examples seen", ylabel="mistakes so far (= weight updates)",
              title=f"Rosenblatt's rule: no mistake after update {cumulative[-1]}")
    fig.tight_layout()
    fig.savefig(RESULTS / "01_perceptron.png", dpi=110)

    print(json.dumps({"milestone": "01_perceptron",
                      "dataset": f"synthetic linearly separable 2-D points (margin {MARGIN}, seed {SEED})",
                      "n_train": N_TRAIN, "n_test": N_TEST, "test_accuracy": round(test_acc, 4),
                      "seconds": round(time.perf_counter() - start, 2)}))
    return 0 if test_acc == 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
