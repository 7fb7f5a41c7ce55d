"""Milestone 02 · XOR: why one layer is not enough (Minsky & Papert, 1969).

What it trains: twice, on the same data, with full-batch Adam and cross-entropy:
  1. a single layer, `Linear(2, 2)`: its decision boundary is a straight line, so it cannot separate XOR;
     the best any line can do is 3 of the 4 clusters (75%);
  2. a network with one hidden layer, `Linear(2, 8) -> Tanh -> Linear(8, 2)`, which bends the boundary and
     reaches 100%.
On what data: noisy XOR, 4 Gaussian clusters (std 0.15) around (±1, ±1), generated with a fixed seed;
class = 1 where exactly one coordinate is positive. 400 training and 400 test points.
Target: the single layer stays at or below 75% test accuracy; the hidden layer reaches 100%. The script
exits non-zero otherwise.
History: Minsky and Papert's book "Perceptrons" (1969) proved that a single-layer perceptron cannot compute
XOR (or parity, or connectedness). Multi-layer networks could, but nobody knew how to train their hidden
layers; funding and interest dried up in the first "AI winter" until backpropagation (milestone 03).

Output: a progress bar, milestones/results/02_xor.png (both decision regions and both loss curves), and a
final JSON line {"milestone", "dataset", "n_train", "n_test", "test_accuracy", "seconds"} for the hidden-layer
network.
"""
import json
import time
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

from tinytorch.activations import Tanh
from tinytorch.autograd import no_grad
from tinytorch.layers import Linear, Sequential
from tinytorch.losses import CrossEntropyLoss
from tinytorch.optimizers import Adam
from tinytorch.tensor import Tensor

SEED, NOISE, N_TRAIN, N_TEST, STEPS = 1969, 0.15, 400, 400, 300
RESULTS = Path(__file__).resolve().parent / "results"


def xor_data(rng, n):
    corners = rng.choice([-1.0, 1.0], size=(n, 2))
    x = (corners + rng.normal(0, NOISE, size=(n, 2))).astype(np.float32)
    return x, ((corners[:, 0] > 0) != (corners[:, 1] > 0)).astype(np.int64)


def predict(model, x):
    with no_grad():
        return model(Tensor(x)).data.argmax(axis=1)


def train(model, x, y, bar):
    optimizer, loss_fn, losses = Adam(model.parameters(), lr=0.05), CrossEntropyLoss(), []
    for _ in range(STEPS):
        loss = loss_fn(model(Tensor(x)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
    return losses


def main():
    start = time.perf_counter()
    rng = np.random.default_rng(SEED)
    np.random.seed(SEED)  # Linear's initial weights
    x_train, y_train = xor_data(rng, N_TRAIN)
    x_test, y_test = xor_data(rng, N_TEST)
    models = {"single layer": Linear(2, 2),
              "hidden layer (8 tanh units)": Sequential(Linear(2, 8), Tanh(), Linear(8, 2))}
    curves, accuracies = {}, {}
    with tqdm(total=STEPS * len(models), desc="xor", unit="step") as bar:
        for name, model in models.items():
            bar.set_description(name)
            curves[name] = train(model, x_train, y_train, bar)
            accuracies[name] = float(np.mean(predict(model, x_test) == y_test))
    single, deep = accuracies.values()
    print(f"single layer: test accuracy {single:.4f} (a line separates at most 3 of the 4 XOR clusters)")
    print(f"one hidden layer: test accuracy {deep:.4f}")

    RESULTS.mkdir(exist_ok=True)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-2, 2, 200)), axis=-1).reshape(-1, 2)
    for ax, (name, model) in zip(axes, models.items()):
        ax.contourf(grid[:, 0].reshape(200, 200), grid[:, 1].reshape(200, 200),
                    predict(model, grid.astype(np.float32)).reshape(200, 200), levels=[-0.5, 0.5, 1.5],
                    colors=["#c6dbef", "#fdd0a2"])
        ax.scatter(*x_test.T, c=np.where(y_test == 1, "tab:orange", "tab:blue"), s=6)
        ax.set(title=f"{name}: test accuracy {accuracies[name]:.0%}", aspect="equal")
    for name, losses in curves.items():
        axes[2].plot(losses, label=name)
    axes[2].set(xlabel="full-batch Adam step", ylabel="cross-entropy (train)", title="training loss")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "02_xor.png", dpi=110)

    print(json.dumps({"milestone": "02_xor",
                      "dataset": f"synthetic noisy XOR: 4 Gaussian clusters (std {NOISE}, seed {SEED})",
                      "n_train": N_TRAIN, "n_test": N_TEST, "test_accuracy": round(deep, 4),
                      "seconds": round(time.perf_counter() - start, 2)}))
    return 0 if deep == 1.0 and single <= 0.75 else 1


if __name__ == "__main__":
    raise SystemExit(main())
