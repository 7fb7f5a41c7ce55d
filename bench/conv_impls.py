"""The implementations `bench_conv.py` races: tinytorch, hand-written NumPy and PyTorch CPU.

conv case: Conv2d forward + backward, x (64, 16, 32, 32) float32, weight (32, 16, 3, 3), bias (32,), stride 1,
    padding 1; the backward pass is seeded with the same fixed upstream gradient G (64, 32, 32, 32) and yields
    grad_input, grad_weight, grad_bias. Each contender exposes run() -> (out, gx, gw, gb) as ndarrays/tensors.
cnn case: one training step of milestone 04's CNN (mnist/fashion configuration) at batch 64:
    [conv 3×3 pad 1 -> BatchNorm2d (batch statistics) -> ReLU -> max-pool 2] × 2 (1 -> 16 -> 32 channels),
    flatten, Linear(1568, 128) -> ReLU -> Linear(128, 10), mean cross-entropy, Adam(lr 1e-3). Every contender
    starts from the SAME float32 weights and exposes step(), loss_value(), grads() and params() (same order,
    torch's layouts: conv (out, in, kH, kW), linear (out, in)).
Inputs are converted once, outside the timed call, as a data loader would hand them over.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from mlp_impls import BETAS, EPS, LR, adam_update, as_numpy  # noqa: F401  (as_numpy: bench_conv reads it here)

BN_EPS = 1e-5
CONV = dict(batch=64, c_in=16, c_out=32, size=32)
CNN = dict(batch=64, channels=(1, 16, 32), size=28, hidden=128, classes=10)


def conv_data(seed=3):
    """x, weight, bias, G for the conv case, float32."""
    rng = np.random.default_rng(seed)
    n, ci, co, s = CONV["batch"], CONV["c_in"], CONV["c_out"], CONV["size"]
    bound = 1 / np.sqrt(ci * 9)
    return (rng.standard_normal((n, ci, s, s)).astype(np.float32),
            rng.uniform(-bound, bound, (co, ci, 3, 3)).astype(np.float32),
            rng.uniform(-bound, bound, co).astype(np.float32),
            rng.standard_normal((n, co, s, s)).astype(np.float32))


def cnn_weights(seed=0):
    """[(conv_w, conv_b), (conv_w, conv_b), (lin_w (out, in), lin_b), (lin_w, lin_b)] float32, torch's default
    init bounds (U(-1/sqrt(fan_in), 1/sqrt(fan_in)))."""
    rng = np.random.default_rng(seed)
    u = lambda bound, shape: rng.uniform(-bound, bound, shape).astype(np.float32)
    out, ch = [], CNN["channels"]
    for ci, co in zip(ch[:-1], ch[1:]):
        out.append((u(1 / np.sqrt(ci * 9), (co, ci, 3, 3)), u(1 / np.sqrt(ci * 9), co)))
    features = ch[-1] * (CNN["size"] // 4) ** 2
    for fi, fo in ((features, CNN["hidden"]), (CNN["hidden"], CNN["classes"])):
        out.append((u(1 / np.sqrt(fi), (fo, fi)), u(1 / np.sqrt(fi), fo)))
    return out


def cnn_batch(seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((CNN["batch"], 1, CNN["size"], CNN["size"])).astype(np.float32)
    return x, rng.integers(0, CNN["classes"], CNN["batch"])


# ------------------------------------------------------------------------------- hand-written NumPy conv
# Stride 1 only (all the bench needs), square kernel k, padding pad. The same four ideas as tinytorch's
# stride-1 kernel: unfold ~1 MB of images at a time (the block stays in cache for its matmul), unfold on the
# padded width so each row of the unfolded block is one contiguous run, unfold again in the backward
# instead of keeping the forward's unfolded batch (9x the input for k = 3), and let the bias ride along the
# product (a column of the weights times a row of ones) in the forward and in the weight gradient.
BLOCK_BYTES = 1 << 20


def _blocks(n, per_image_bytes):
    nb = max(1, min(n, BLOCK_BYTES // per_image_bytes))
    return [(i, min(i + nb, n)) for i in range(0, n, nb)]


def _unfold(xb, k, pad, buf, rows, cols):
    """The unfolded block written into the first ci*k*k rows of cols (ci*k*k + 1, nb*rows*wp), whose last row is
    the caller's row of ones (the bias rides along the product); rows = ho, or hp for whole padded planes; buf:
    zeros (ci, nb*hp*wp + (k-1)*(wp+1)), only its interior is written."""
    nb, ci, h, wd = xb.shape
    hp, wp = h + 2 * pad, wd + 2 * pad
    buf[:, :nb * hp * wp].reshape(ci, nb, hp, wp)[:, :, pad:pad + h, pad:pad + wd] = xb.transpose(1, 0, 2, 3)
    s0, s = buf.strides
    cols[:-1].reshape(ci, k, k, nb, rows * wp)[...] = as_strided(buf, (ci, k, k, nb, rows * wp),
                                                                 (s0, wp * s, s, hp * wp * s, s))
    return cols


def np_conv_forward(x, w, b, pad=1):
    """out (n, co, ho, wo) = w (*) x + b, block by block (nothing saved for the backward but x itself)."""
    n, ci, h, wd = x.shape
    co, _, k, _ = w.shape
    hp, wp = h + 2 * pad, wd + 2 * pad
    ho, wo = hp - k + 1, wp - k + 1
    w2 = np.concatenate([w.reshape(co, -1), b[:, None]], axis=1)     # the bias: one more column, times ones
    out = np.empty((n, co, ho, wo), dtype=x.dtype)
    buf = None
    for i0, i1 in _blocks(n, (w2.shape[1] - 1) * ho * wp * x.itemsize):
        if buf is None or buf.shape[1] != (i1 - i0) * hp * wp + (k - 1) * (wp + 1):
            buf = np.zeros((ci, (i1 - i0) * hp * wp + (k - 1) * (wp + 1)), dtype=x.dtype)
            cols = np.empty((w2.shape[1], (i1 - i0) * ho * wp), dtype=x.dtype)
            cols[-1] = 1
        ob = w2 @ _unfold(x[i0:i1], k, pad, buf, ho, cols)
        out[i0:i1] = ob.reshape(co, i1 - i0, ho, wp)[:, :, :, :wo].transpose(1, 0, 2, 3)
    return out


def np_conv_backward(g, x, w, pad=1, need_x=True):
    """(gx or None, gw, gb) for out = np_conv_forward(x, w, b, pad) and upstream gradient g.

    Each image's gradient sits on its whole padded plane (zero outside the outputs, after a zero margin), so the
    input gradient needs no col2im: one matmul per kernel offset with the planes shifted by that offset (a view),
    added up (see tinytorch.spatial._conv2d_stride1_grad).
    """
    n, ci, h, wd = x.shape
    co, _, k, _ = w.shape
    hp, wp = h + 2 * pad, wd + 2 * pad
    ho, wo = hp - k + 1, wp - k + 1
    P, reach = hp * wp, (k - 1) * (wp + 1)
    w2 = w.reshape(co, -1)
    K = w2.shape[1]
    gwT = np.zeros((K + 1, co), dtype=g.dtype)                    # the last row: the bias gradient
    gx = np.empty(x.shape, dtype=g.dtype) if need_x else None
    w_off = [np.ascontiguousarray(w[:, :, p, q].T) for p in range(k) for q in range(k)]   # (ci, co) each
    m = None
    for i0, i1 in _blocks(n, K * P * x.itemsize):
        if i1 - i0 != m:
            m = i1 - i0
            gm = np.zeros((co, reach + m * P), dtype=g.dtype)      # zero outside the outputs, and a margin
            gp4 = gm[:, reach:].reshape(co, m, hp, wp)
            buf = np.zeros((ci, m * P + reach), dtype=x.dtype)
            cols = np.empty((K + 1, m * P), dtype=x.dtype)
            cols[-1] = 1
        gp4[:, :, :ho, :wo] = g[i0:i1].transpose(1, 0, 2, 3)
        gp = gm[:, reach:]
        gwT += _unfold(x[i0:i1], k, pad, buf, hp, cols) @ gp.T
        if need_x:
            L = m * P
            planes = w_off[0] @ gp
            for j in range(1, k * k):
                sh = (j // k) * wp + j % k
                planes += w_off[j] @ gm[:, reach - sh:reach - sh + L]
            planes = planes.reshape(ci, m, hp, wp)
            gx[i0:i1] = planes[:, :, pad:pad + h, pad:pad + wd].transpose(1, 0, 2, 3)
    return gx, gwT[:K].T.reshape(w.shape), gwT[K].copy()


def np_max_pool2(a):
    """2x2 max pool, stride 2 (even sizes): (pooled, arg), arg (uint8) the first maximum of each window in
    row-major order, found with boolean passes while a is still in the cache."""
    views = [a[:, :, p::2, q::2] for p in range(2) for q in range(2)]
    pooled = np.maximum(views[0], views[1])
    np.maximum(pooled, views[2], out=pooled)
    np.maximum(pooled, views[3], out=pooled)
    arg = np.zeros(pooled.shape, dtype=np.uint8)
    found = views[0] == pooled
    for j in (1, 2, 3):
        arg += ~found                                            # no earlier offset held the maximum
        if j < 3:
            found |= views[j] == pooled
    return pooled, arg


def np_max_pool2_backward(d, arg, shape):
    """The gradient d of each window to its first maximum, written once into each offset's slots."""
    ga = np.empty(shape, dtype=d.dtype)
    for j in range(4):
        np.multiply(d, arg == j, out=ga[:, :, j // 2::2, j % 2::2])
    return ga


class NumpyConv:
    name = "numpy"

    def __init__(self, x, w, b, g):
        self.x, self.w, self.b, self.g = x, w, b, g

    def run(self):
        out = np_conv_forward(self.x, self.w, self.b)
        return (out,) + np_conv_backward(self.g, self.x, self.w)


class TinyTorchConv:
    name = "tinytorch"

    def __init__(self, x, w, b, g):
        from tinytorch.tensor import Tensor
        self.x, self.w, self.b = (Tensor(a, requires_grad=True) for a in (x, w, b))
        self.g = g

    def run(self):
        from tinytorch.spatial import conv2d
        for t in (self.x, self.w, self.b):
            t.grad = None
        out = conv2d(self.x, self.w, self.b, padding=1)
        out.backward(self.g)
        return out.data, self.x.grad, self.w.grad, self.b.grad


class TorchConv:
    name = "torch"

    def __init__(self, x, w, b, g):
        import torch
        self.x, self.w, self.b = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, w, b))
        self.g = torch.from_numpy(g)

    def run(self):
        import torch.nn.functional as F
        for t in (self.x, self.w, self.b):
            t.grad = None
        out = F.conv2d(self.x, self.w, self.b, padding=1)
        out.backward(self.g)
        return out.detach(), self.x.grad, self.w.grad, self.b.grad


# --------------------------------------------------------------------------------- the milestone's CNN
class NumpyCNN:
    """The CNN step by hand: what a competent NumPy programmer writes (float32, one GEMM per conv)."""

    name = "numpy"

    def __init__(self, weights, x, y):
        self.params_ = [a.copy() for pair in weights for a in pair]
        self.bn = [(np.ones(c, np.float32), np.zeros(c, np.float32)) for c in CNN["channels"][1:]]
        self.m = [np.zeros_like(p) for p in self.all_params()]
        self.v = [np.zeros_like(p) for p in self.all_params()]
        self.t, self.x, self.y, self.loss = 0, x, y, None

    def all_params(self):
        (w1, b1, w2, b2, l1, c1, l2, c2), (g1, be1), (g2, be2) = self.params_, *self.bn
        return [w1, b1, g1, be1, w2, b2, g2, be2, l1, c1, l2, c2]

    def forward_backward(self):
        w1, b1, w2, b2, l1, c1, l2, c2 = self.params_
        h, caches = self.x, []
        for (w, b), (gamma, beta) in zip(((w1, b1), (w2, b2)), self.bn):
            z = np_conv_forward(h, w, b)
            z3 = z.reshape(z.shape[0], z.shape[1], -1)              # (N, C, H*W)
            n = z3.shape[0] * z3.shape[2]
            xh = z3 - (np.einsum("ncl->c", z3) / n)[:, None]     # einsum: sums without temporaries
            inv = 1 / np.sqrt(np.einsum("ncl,ncl->c", xh, xh) / n + BN_EPS)
            xh *= inv[:, None]
            a = xh * gamma[:, None]
            a += beta[:, None]
            a = np.maximum(a, 0).reshape(z.shape)                  # ReLU: a new array, as tinytorch's op
            pooled, arg = np_max_pool2(a)
            caches.append((h, w, xh, inv, gamma, a, arg))
            h = pooled
        flat = h.reshape(len(h), -1)
        z1 = flat @ l1.T + c1
        r1 = np.maximum(z1, 0)
        logits = r1 @ l2.T + c2
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        rows, n = np.arange(len(self.y)), len(self.y)
        self.loss = float(np.log(s[:, 0]).mean() - shifted[rows, self.y].mean())
        d = e / s
        d[rows, self.y] -= 1
        d *= 1.0 / n
        gl2, gc2 = d.T @ r1, d.sum(axis=0)
        d = (d @ l2) * (z1 > 0)
        gl1, gc1 = d.T @ flat, d.sum(axis=0)
        d = (d @ l1).reshape(h.shape)
        conv_grads, bn_grads = [None, None], [None, None]
        for i in (1, 0):
            h_in, w, xh, inv, gamma, a, arg = caches[i]
            ga = np_max_pool2_backward(d, arg, a.shape)
            ga *= a > 0
            g3 = ga.reshape(xh.shape)
            n = g3.shape[0] * g3.shape[2]
            gbeta, ggamma = np.einsum("ncl->c", g3), np.einsum("ncl,ncl->c", g3, xh)
            scale = gamma * inv                                    # batch norm's rule, per channel
            gz = g3 * scale[:, None]
            gz -= xh * (scale * ggamma / n)[:, None]
            gz -= (scale * gbeta / n)[:, None]
            gx, gw, gb = np_conv_backward(gz.reshape(a.shape), h_in, w, need_x=i > 0)
            conv_grads[i], bn_grads[i], d = (gw, gb), (ggamma, gbeta), gx
        (gw1, gb1), (gw2, gb2) = conv_grads
        self.grads_ = [gw1, gb1, *bn_grads[0], gw2, gb2, *bn_grads[1], gl1, gc1, gl2, gc2]

    def update(self):
        self.t += 1
        adam_update(self.all_params(), self.grads_, self.m, self.v, self.t)

    def step(self):
        self.forward_backward()
        self.update()

    def loss_value(self):
        return self.loss

    def grads(self):
        return self.grads_

    def params(self):
        return self.all_params()


class TinyTorchCNN:
    name = "tinytorch"

    def __init__(self, weights, x, y):
        from tinytorch.activations import ReLU
        from tinytorch.layers import Linear, Sequential
        from tinytorch.losses import CrossEntropyLoss
        from tinytorch.optimizers import Adam
        from tinytorch.spatial import BatchNorm2d, Conv2d, Flatten, MaxPool2d
        from tinytorch.tensor import Tensor
        ch = CNN["channels"]
        layers = []
        for (w, b), ci, co in zip(weights[:2], ch[:-1], ch[1:]):
            conv = Conv2d(ci, co, 3, padding=1)
            conv.weight.data, conv.bias.data = w.copy(), b.copy()
            layers += [conv, BatchNorm2d(co), ReLU(), MaxPool2d(2)]
        lins = []
        for w, b in weights[2:]:
            lin = Linear(w.shape[1], w.shape[0])
            lin.weight.data, lin.bias.data = w.T.copy(), b.copy()      # tinytorch's Linear stores (in, out)
            lins.append(lin)
        self.model = Sequential(*layers, Flatten(), lins[0], ReLU(), lins[1])
        self.convs, self.bns, self.lins = layers[0::4], layers[1::4], lins
        self.criterion, self.opt = CrossEntropyLoss(), Adam(self.model.parameters(), lr=LR, betas=BETAS, eps=EPS)
        self.x, self.y, self.loss = Tensor(x), y, None

    def step(self):
        self.opt.zero_grad()
        self.loss = self.criterion(self.model(self.x), self.y)
        self.loss.backward()
        self.opt.step()

    def loss_value(self):
        return float(self.loss.item())

    def _order(self, get):
        c1, c2 = self.convs
        n1, n2 = self.bns
        l1, l2 = self.lins
        lin = lambda t: get(t).T                                         # report (out, in) as torch does
        return [get(c1.weight), get(c1.bias), get(n1.weight), get(n1.bias), get(c2.weight), get(c2.bias),
                get(n2.weight), get(n2.bias), lin(l1.weight), get(l1.bias), lin(l2.weight), get(l2.bias)]

    def grads(self):
        return self._order(lambda t: t.grad)

    def params(self):
        return self._order(lambda t: t.data)


class TorchCNN:
    name = "torch"

    def __init__(self, weights, x, y):
        import torch
        from torch import nn
        ch = CNN["channels"]
        layers = []
        for (w, b), ci, co in zip(weights[:2], ch[:-1], ch[1:]):
            conv = nn.Conv2d(ci, co, 3, padding=1)
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(w))
                conv.bias.copy_(torch.from_numpy(b))
            layers += [conv, nn.BatchNorm2d(co), nn.ReLU(), nn.MaxPool2d(2)]
        lins = []
        for w, b in weights[2:]:
            lin = nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(b))
            lins.append(lin)
        self.model = nn.Sequential(*layers, nn.Flatten(), lins[0], nn.ReLU(), lins[1])
        self.ordered = [p for p in self.model.parameters()]                # conv, bn, conv, bn, lin, lin
        self.criterion = nn.CrossEntropyLoss()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR, betas=BETAS, eps=EPS)
        self.x, self.y, self.loss = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64)), None

    def step(self):
        self.opt.zero_grad(set_to_none=True)
        self.loss = self.criterion(self.model(self.x), self.y)
        self.loss.backward()
        self.opt.step()

    def loss_value(self):
        return float(self.loss.item())

    def grads(self):
        return [p.grad.detach().numpy().copy() for p in self.ordered]

    def params(self):
        return [p.detach().numpy().copy() for p in self.ordered]

