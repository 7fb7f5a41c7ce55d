"""Evaluation and training curves shared by the milestones (03 and 04's classifiers, 05's language model): their
reporting, not course material (the model is any tinytorch Module mapping a batch to logits)."""
import pickle

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tinytorch.autograd import no_grad  # noqa: E402
from tinytorch.tensor import Tensor  # noqa: E402


def accuracy(model, x, y, batch):
    """Fraction of the rows of `x` whose argmax logit is the label in `y`, in eval mode, `batch` rows at a time."""
    model.eval()
    with no_grad():
        hits = sum(int((model(Tensor(x[i:i + batch])).data.argmax(axis=1) == y[i:i + batch]).sum())
                   for i in range(0, len(y), batch))
    model.train()
    return hits / len(y)


def save_model(path, model, **info):
    """Pickle the trained `model` with `info` (how its inputs were prepared, its test accuracy) to `path`, so a later
    milestone (06) starts from it. A pickle runs code when loaded: load only files these scripts wrote."""
    with open(path, "wb") as f:
        pickle.dump({"model": model, **info}, f)


def load_model(path):
    """The dict save_model wrote: "model" and the info saved with it."""
    with open(path, "rb") as f:
        return pickle.load(f)


def save_training_curves(path, history, target_label, target, loss_label, title):
    """Write the per-epoch training loss and test accuracy (history["loss"], history["test_accuracy"]) side by
    side, the accuracy target as a dotted line, to the PNG at `path`."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = range(1, len(history["loss"]) + 1)
    left.plot(epochs, history["loss"], "o-")
    left.set(xlabel="epoch", ylabel=loss_label, title="training loss")
    right.plot(epochs, history["test_accuracy"], "o-")
    right.axhline(target, color="k", ls=":", label=target_label)
    right.set(xlabel="epoch", ylabel="test accuracy", title=title)
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save_loss_curves(path, history, target, target_label, title):
    """Write training loss (history["train_time"], history["train_loss"]) and validation loss
    (history["val_time"], history["val_loss"]) against training time in minutes, the loss target as a dotted
    line, to the PNG at `path` (the language-model milestone, 05)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot([t / 60 for t in history["train_time"]], history["train_loss"], "-", alpha=0.7,
            label="training (mean of 50 steps)")
    ax.plot([t / 60 for t in history["val_time"]], history["val_loss"], "o-", label="validation")
    ax.axhline(target, color="k", ls=":", label=target_label)
    ax.set(xlabel="training time (minutes)", ylabel="cross-entropy (nats per character)", title=title)
    ax.set_ylim(bottom=min(1.0, min(history["val_loss"] + history["train_loss"]) - 0.1),
                top=min(4.6, max(history["val_loss"] + history["train_loss"]) + 0.1))
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
