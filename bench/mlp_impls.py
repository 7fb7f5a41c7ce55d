"""The three implementations `bench_mlp.py` races: tinytorch, hand-written NumPy and PyTorch CPU.

Every MLP implementation is built from the SAME float32 weights (a list of (W, b) with W of shape (in, out)),
trains with Adam(lr, betas=(0.9, 0.999), eps=1e-8) on mean cross-entropy, and exposes:

    forward(x, y) -> loss          (recording whatever backward needs)
    backward()                     (gradients of the last loss)
    update()                       (one Adam step)
    step(x, y)                     (zero_grad + forward + backward + update: what is timed)
    grads(), params()              (lists of float32 ndarrays in the (in, out) layout, for the sanity check)

x, y are given in the implementation's own types (see `inputs`), prepared once outside the timed region, as a
data loader would hand them over. step() keeps the last loss (and so tinytorch's graph) alive until the next
step, as `loss = ...` in a training loop does (tinytorch.training.Trainer.train_epoch): when a step's whole
graph is freed at once glibc tends to hand the heap back to the OS and the next step page-faults it in again.
"""

import numpy as np

LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8


def init_weights(sizes, seed=0):
    """Float32 (W, b) pairs with W ~ U(-1/sqrt(in), 1/sqrt(in)) of shape (in, out), as nn.Linear initialises."""
    rng = np.random.default_rng(seed)
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(n_in)
        weights.append((rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32),
                        rng.uniform(-bound, bound, n_out).astype(np.float32)))
    return weights


# --------------------------------------------------------------------------------------------- tinytorch
class TrainingStep:
    """One training step from the four phases every implementation defines (timed together and apart)."""

    def step(self, x, y):
        self.zero_grad()
        loss = self.forward(x, y)
        self.backward()
        self.update()
        return loss


class TinyTorchMLP(TrainingStep):
    name = "tinytorch"

    def __init__(self, weights):
        from tinytorch.activations import ReLU
        from tinytorch.layers import Linear, Sequential
        from tinytorch.losses import CrossEntropyLoss
        from tinytorch.optimizers import Adam

        layers = []
        for i, (w, b) in enumerate(weights):
            lin = Linear(*w.shape)
            lin.weight.data = w.copy()
            lin.bias.data = b.copy()
            layers.append(lin)
            if i < len(weights) - 1:
                layers.append(ReLU())
        self.model = Sequential(*layers)
        self.linears = layers[::2]
        self.criterion = CrossEntropyLoss()
        self.opt = Adam(self.model.parameters(), lr=LR, betas=BETAS, eps=EPS)
        self.loss = None

    @staticmethod
    def inputs(x, y):
        from tinytorch.tensor import Tensor
        return Tensor(x), y

    def forward(self, x, y):
        self.loss = self.criterion(self.model(x), y)
        return self.loss

    def backward(self):
        self.loss.backward()

    def update(self):
        self.opt.step()

    def zero_grad(self):
        self.opt.zero_grad()

    def loss_value(self):
        return float(self.loss.item())

    def grads(self):
        return [t for lin in self.linears for t in (lin.weight.grad, lin.bias.grad)]

    def params(self):
        return [t for lin in self.linears for t in (lin.weight.data, lin.bias.data)]


# ------------------------------------------------------------------------------------- hand-written NumPy
def adam_update(params, grads, ms, vs, t):
    """Adam step `t` (1-based) on float32 arrays in place, as torch.optim.Adam computes it (bias corrections
    folded into scalars); the hand-written NumPy contenders of every bench share it."""
    b1, b2 = BETAS
    step_size, sqrt_bc2 = LR / (1 - b1 ** t), np.sqrt(1 - b2 ** t)
    for p, g, m, v in zip(params, grads, ms, vs):
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        denom = np.sqrt(v)
        denom /= sqrt_bc2
        denom += EPS
        p -= step_size * m / denom


class NumpyMLP(TrainingStep):
    """What a competent NumPy programmer writes by hand: vectorized, float32 throughout, no tricks beyond
    in-place updates where they are natural (bias corrections folded into scalars, as torch.optim.Adam does)."""

    name = "numpy"

    def __init__(self, weights):
        self.W = [w.copy() for w, _ in weights]
        self.b = [b.copy() for _, b in weights]
        self.mW = [np.zeros_like(w) for w in self.W]
        self.vW = [np.zeros_like(w) for w in self.W]
        self.mb = [np.zeros_like(b) for b in self.b]
        self.vb = [np.zeros_like(b) for b in self.b]
        self.t = 0
        self.gW = self.gb = None

    @staticmethod
    def inputs(x, y):
        return x, y

    def forward(self, x, y):
        acts = [x]                       # inputs of each linear layer (post-ReLU)
        h = x
        last = len(self.W) - 1
        for i, (w, b) in enumerate(zip(self.W, self.b)):
            h = h @ w + b
            if i < last:
                h = np.maximum(h, 0)
                acts.append(h)
        logits = h
        n = logits.shape[0]
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = np.log(s[:, 0]).mean() - shifted[rows, y].mean()
        self._cache = (acts, e / s, rows, y, n)
        self._loss = loss
        return loss

    def backward(self):
        acts, probs, rows, y, n = self._cache
        g = probs                         # d loss / d logits = (softmax - onehot) / n
        g[rows, y] -= 1
        g *= 1.0 / n
        gW, gb = [None] * len(self.W), [None] * len(self.W)
        for i in range(len(self.W) - 1, -1, -1):
            a = acts[i]
            gW[i] = a.T @ g
            gb[i] = g.sum(axis=0)
            if i:
                g = g @ self.W[i].T
                g *= a > 0               # ReLU: a = relu(h) > 0 exactly where h > 0
        self.gW, self.gb = gW, gb

    def update(self):
        self.t += 1
        adam_update(self.W + self.b, self.gW + self.gb, self.mW + self.mb, self.vW + self.vb, self.t)

    def zero_grad(self):
        self.gW = self.gb = None

    def loss_value(self):
        return float(self._loss)

    def grads(self):
        return [t for pair in zip(self.gW, self.gb) for t in pair]

    def params(self):
        return [t for pair in zip(self.W, self.b) for t in pair]


# ------------------------------------------------------------------------------------------ PyTorch CPU
class TorchMLP(TrainingStep):
    name = "torch"

    def __init__(self, weights):
        import torch
        from torch import nn

        layers = []
        for i, (w, b) in enumerate(weights):
            lin = nn.Linear(*w.shape)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w.T.copy()))   # torch stores (out, in)
                lin.bias.copy_(torch.from_numpy(b))
            layers.append(lin)
            if i < len(weights) - 1:
                layers.append(nn.ReLU())
        self.model = nn.Sequential(*layers)
        self.linears = layers[::2]
        self.criterion = nn.CrossEntropyLoss()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR, betas=BETAS, eps=EPS)
        self.loss = None

    @staticmethod
    def inputs(x, y):
        import torch
        return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

    def forward(self, x, y):
        self.loss = self.criterion(self.model(x), y)
        return self.loss

    def backward(self):
        self.loss.backward()

    def update(self):
        self.opt.step()

    def zero_grad(self):
        self.opt.zero_grad(set_to_none=True)

    def loss_value(self):
        return float(self.loss.item())

    def grads(self):
        return [t.detach().numpy().copy() for lin in self.linears
                for t in (lin.weight.grad.T, lin.bias.grad)]

    def params(self):
        return [t.detach().numpy().copy() for lin in self.linears for t in (lin.weight.T, lin.bias)]


# ------------------------------------------------------------------------------------- 1024x1024 matmul
def matmul_cases(a, b, have_torch):
    """name -> zero-argument callable computing a @ b (operands converted once, outside the timed call)."""
    from tinytorch.tensor import Tensor

    ta, tb = Tensor(a), Tensor(b)
    cases = {"tinytorch": lambda: ta @ tb, "numpy": lambda: a @ b}
    if have_torch:
        import torch
        xa, xb = torch.from_numpy(a), torch.from_numpy(b)
        cases["torch"] = lambda: xa @ xb
    return cases


def as_numpy(result):
    """The ndarray behind a tinytorch Tensor, a torch tensor or an ndarray."""
    if hasattr(result, "detach"):          # torch.Tensor (tinytorch's detach returns a Tensor with .data)
        result = result.detach()
    if hasattr(result, "numpy"):
        result = result.numpy()
    return np.asarray(result)
