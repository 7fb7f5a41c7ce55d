"""Every registered op, forward and backward, against oracles: ONE table, many cases.

Each row of OPS names a registered op (a key of tinytorch.autograd.GRAD_RULES, the name Tensor.from_op records),
a tinytorch call, its NumPy oracle, the inputs (shapes, or fixed arrays for ties and such), and the same call in
PyTorch. For every row and input case:
- forward: the result matches NumPy in shape, dtype and value, for float64 and float32 inputs (NumPy's type
  promotion, NEP 50: a Python number is weak), and for integer inputs where the row says they make sense
  (where NumPy raises, tinytorch raises the same error);
- backward: gradients match central finite differences (float64, several seeds) and keep each input's shape
  and dtype (float32 too);
- PyTorch, when `import torch` works, is a second oracle for values and gradients (skipped otherwise).
A test asserts that the table covers every registered op, so a new op without a row fails. The registry, the
rule contract and the op hooks have their own tests at the end.
"""
import math
from dataclasses import dataclass, field

import numpy as np
import pytest

import tinytorch  # noqa: F401  (every module registers its ops on import)
from tinytorch import autograd
from tinytorch.activations import GELU, ReLU, Sigmoid, Tanh
from tinytorch.layers import linear
from tinytorch.spatial import avg_pool2d, batch_norm, conv2d, max_pool2d
from tinytorch.attention import softmax
from tinytorch.transformers import layer_norm
from tinytorch.autograd import GRAD_RULES, backward, register_op, topological_order
from tinytorch.tensor import OpEvent, Tensor, add_op_hook, broadcast_to, cat, maximum, minimum, pad, stack, where
from tinytorch.testing import numerical_gradient

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the optional second oracle
    torch = F = None

SEEDS = (0, 1, 2)
GELU_C = math.sqrt(2.0 / math.pi)  # a Python float: weak, so float32 stays float32


@dataclass
class Row:
    op: str                      # the registered op this row exercises (must appear in the recorded graph)
    label: str
    call: object                 # tinytorch: Tensors -> Tensor
    oracle: object               # NumPy: arrays -> array
    cases: list                  # each case: a tuple with one shape (or fixed ndarray) per input
    torch: object = None         # PyTorch: tensors -> tensor (None: no PyTorch comparison)
    positive: bool = False       # inputs drawn from [0.5, 2] instead of N(0, 1)
    ints: bool = False           # integer inputs are meaningful for the forward
    grad: bool = True            # check gradients (a row whose op is not differentiable there says False)
    extra: dict = field(default_factory=dict)


def _mask(shape):
    """A fixed boolean condition of `shape`: roughly one entry in three is True."""
    return (np.arange(int(np.prod(shape))).reshape(shape) % 3 == 0) if shape else np.array(True)


def _torch_pad(x, pairs):
    flat = [n for pair in reversed(pairs) for n in pair]
    return F.pad(x, flat)


def _np_conv2d(x, w, b=None, stride=1, padding=0):
    """Cross-correlation as a sum over kernel offsets (NCHW; no flip): the oracle of the conv2d rows."""
    (sh, sw), (ph, pw) = [(v, v) if isinstance(v, int) else v for v in (stride, padding)]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kH, kW = w.shape[2:]
    H_out, W_out = (xp.shape[2] - kH) // sh + 1, (xp.shape[3] - kW) // sw + 1
    out = sum(np.einsum("nchw,oc->nohw", xp[:, :, p:p + sh * H_out:sh, q:q + sw * W_out:sw], w[:, :, p, q])
              for p in range(kH) for q in range(kW))
    return out if b is None else out + b[None, :, None, None]


def _np_layer_norm(x, dims, w=None, b=None, eps=1e-5):
    """LayerNorm over the last `dims` axes in NumPy, in x's dtype (the oracle of the layer_norm rows)."""
    axes = tuple(range(-dims, 0))
    centered = x - x.mean(axis=axes, keepdims=True)
    y = centered / np.sqrt((centered * centered).mean(axis=axes, keepdims=True) + eps)
    y = y if w is None else y * w
    return y if b is None else y + b



def _np_batch_norm(x, w=None, b=None, mean=None, var=None, eps=1e-5):
    """Batch norm per channel (axis 1) in NumPy, in x's dtype: the batch's mean and biased variance over every other
    axis, or the given running statistics (the oracle of the batch_norm rows)."""
    axes, shape = (0,) + tuple(range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)
    if mean is None:
        mean = x.mean(axis=axes)
        var = ((x - mean.reshape(shape)) ** 2).mean(axis=axes)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    y = y if w is None else y * w.reshape(shape)
    return y if b is None else y + b.reshape(shape)


# Running statistics of 3 channels for the eval-mode rows (float64: torch compares at 1e-10).
_BN_MEAN, _BN_VAR = np.array([0.5, -1.0, 0.0]), np.array([2.0, 0.25, 1.0])

# A boolean mask (True = may attend) with a fully masked row; it broadcasts over (..., 3, 4).
_SOFTMAX_MASK = np.array([[True, False, True, True], [False, False, False, False], [True, True, False, True]])


def _np_softmax(x, dim, mask=None):
    """Softmax along `dim` in NumPy, in x's dtype: blocked entries 0, a fully masked slice all 0 (the oracle of the
    softmax rows)."""
    s = x if mask is None else np.where(mask, x, -np.inf)
    top = s.max(axis=dim, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(top), top, 0.0))
    total = e.sum(axis=dim, keepdims=True)
    return e / np.where(total > 0, total, 1.0)


def _np_pool(x, kernel, stride, reduce):
    """Max or mean over each window, by explicit window slicing: the oracle of the pooling rows."""
    (kH, kW), (sh, sw) = [(v, v) if isinstance(v, int) else v for v in (kernel, stride or kernel)]
    H_out, W_out = (x.shape[2] - kH) // sh + 1, (x.shape[3] - kW) // sw + 1
    out = np.empty(x.shape[:2] + (H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = reduce(x[:, :, i * sh:i * sh + kH, j * sw:j * sw + kW], axis=(2, 3))
    return out


TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])
TIED_WITH = np.array([[1.0, 0.0, 3.0], [5.0, 2.0, -2.0]])  # equal to TIES at three places
IDX = np.array([0, 2, 2, -1])

OPS = [
    # ---- elementwise arithmetic (module 01) and what is built from it
    Row("add", "a + b", lambda a, b: a + b, lambda a, b: a + b,
        [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1), (1, 5)), ((), (3,)), ((0, 3), (3,)), ((1,), ())],
        torch=lambda a, b: a + b, ints=True),
    Row("add", "a + 2.5 (a Python float is weak)", lambda a: a + 2.5, lambda a: a + 2.5, [((2, 3),), ((),)],
        torch=lambda a: a + 2.5, ints=True),
    Row("add", "a - b (add, neg)", lambda a, b: a - b, lambda a, b: a - b, [((2, 3), (3,)), ((), ())],
        torch=lambda a, b: a - b, ints=True),
    Row("add", "3 - a", lambda a: 3 - a, lambda a: 3 - a, [((4,),), ((),)], torch=lambda a: 3 - a, ints=True),
    Row("mul", "a * b", lambda a, b: a * b, lambda a, b: a * b,
        [((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1), (1, 2)), ((), ()), ((0,), (1,))],
        torch=lambda a, b: a * b, ints=True),
    Row("mul", "a * 0.5", lambda a: a * 0.5, lambda a: a * 0.5, [((2, 3),), ((),)], torch=lambda a: a * 0.5, ints=True),
    Row("mul", "a / b (mul, pow)", lambda a, b: a / b, lambda a, b: a / b, [((2, 3), (3,)), ((), (2,))],
        torch=lambda a, b: a / b, positive=True, ints=True),
    Row("mul", "a / 2", lambda a: a / 2, lambda a: a / 2, [((2, 3),), ((),)], torch=lambda a: a / 2, ints=True),
    Row("mul", "2 / a", lambda a: 2 / a, lambda a: 2 / a, [((3,),)], torch=lambda a: 2 / a, positive=True, ints=True),
    Row("neg", "-a", lambda a: -a, lambda a: -a, [((2, 3),), ((),), ((0, 2),)], torch=lambda a: -a, ints=True),
    Row("pow", "a ** 3", lambda a: a ** 3, lambda a: a ** 3, [((2, 3),), ((),), ((0,),)], torch=lambda a: a ** 3, ints=True),
    Row("pow", "a ** -0.5", lambda a: a ** -0.5, lambda a: a ** -0.5, [((2, 3),), ((),)], torch=lambda a: a ** -0.5,
        positive=True),
    Row("pow", "a ** -1 (ints raise, as in NumPy)", lambda a: a ** -1, lambda a: a ** -1, [((4,),)],
        torch=lambda a: a ** -1, positive=True, ints=True),
    Row("exp", "exp", lambda a: a.exp(), np.exp, [((2, 3),), ((),), ((0,),)], torch=lambda a: a.exp(), ints=True),
    Row("log", "log", lambda a: a.log(), np.log, [((2, 3),), ((),), ((0,),)], torch=lambda a: a.log(),
        positive=True, ints=True),
    # ---- matmul
    Row("matmul", "a @ b", lambda a, b: a @ b, lambda a, b: a @ b,
        [((2, 3), (3, 4)), ((5, 2, 3), (3,)), ((3,), (3,)), ((3,), (3, 2)), ((2, 1, 2, 3), (4, 3, 2)),
         ((0, 3), (3, 2)), ((1, 1), (1, 1))],
        torch=lambda a, b: a @ b, ints=True),
    # ---- linear (module 03's fused x @ W + b; W is (in, out), so PyTorch's F.linear gets W.T)
    Row("linear", "linear(x, w, b)", lambda x, w, b: linear(x, w, b), lambda x, w, b: x @ w + b,
        [((2, 3), (3, 4), (4,)), ((2, 3, 4), (4, 5), (5,)), ((3,), (3, 2), (2,)), ((0, 3), (3, 2), (2,)),
         ((1, 1), (1, 1), (1,)), ((0, 2, 3), (3, 2), (2,))],
        torch=lambda x, w, b: F.linear(x, w.T, b)),
    Row("linear", "linear(x, w) without a bias", lambda x, w: linear(x, w), lambda x, w: x @ w,
        [((2, 3), (3, 4)), ((2, 1, 3, 4), (4, 2))], torch=lambda x, w: F.linear(x, w.T)),
    # ---- reductions (mean is sum * 1/count)
    *[Row("sum", f"sum(axis={axis}, keepdims={keep})", lambda a, axis=axis, keep=keep: a.sum(axis=axis, keepdims=keep),
          lambda a, axis=axis, keep=keep: a.sum(axis=axis, keepdims=keep), cases,
          torch=lambda a, axis=axis, keep=keep: a.sum() if axis is None and not keep else a.sum(
              dim=tuple(range(a.ndim)) if axis is None else axis, keepdim=keep), ints=True)
      for axis, keep, cases in [(None, False, [((2, 3),), ((),), ((0, 3),)]), (None, True, [((2, 3),), ((),)]),
                                (0, False, [((2, 3),), ((0, 3),), ((1,),)]), (-1, True, [((2, 3, 4),), ((3, 0),)]),
                                ((0, -1), False, [((2, 3, 4),), ((1, 1),)])]],
    *[Row("sum", f"mean(axis={axis}, keepdims={keep})", lambda a, axis=axis, keep=keep: a.mean(axis=axis, keepdims=keep),
          lambda a, axis=axis, keep=keep: np.mean(a, axis=axis, keepdims=keep), cases,
          torch=lambda a, axis=axis, keep=keep: a.mean() if axis is None and not keep else a.mean(
              dim=tuple(range(a.ndim)) if axis is None else axis, keepdim=keep), ints=True)
      for axis, keep, cases in [(None, False, [((2, 3),), ((),)]), (1, True, [((2, 3),), ((2, 1),)]),
                                ((0, 2), False, [((2, 3, 4),)]), (-1, False, [((4,),), ((3, 5),)])]],
    *[Row("max", f"max(axis={axis}, keepdims={keep})", lambda a, axis=axis, keep=keep: a.max(axis=axis, keepdims=keep),
          lambda a, axis=axis, keep=keep: a.max(axis=axis, keepdims=keep), cases,
          torch=lambda a, axis=axis, keep=keep: a.amax(dim=tuple(range(a.ndim)) if axis is None else axis, keepdim=keep),
          ints=True)
      for axis, keep, cases in [(None, False, [((2, 3),), ((),), (TIES,)]), (0, True, [((3, 2),), (TIES,)]),
                                (-1, False, [((2, 3, 4),), ((4, 1),), (TIES,)]), ((0, 1), True, [((2, 3, 2),)])]],
    # ---- shapes and indexing
    Row("reshape", "reshape(-1)", lambda a: a.reshape(-1), lambda a: a.reshape(-1), [((2, 3),), ((),), ((0, 4),)],
        torch=lambda a: a.reshape(-1), ints=True),
    Row("reshape", "reshape(reversed shape)", lambda a: a.reshape(a.shape[::-1]), lambda a: a.reshape(a.shape[::-1]),
        [((2, 3, 4),), ((1, 5),)], torch=lambda a: a.reshape(a.shape[::-1]), ints=True),
    Row("transpose", "transpose()", lambda a: a.transpose(), lambda a: np.swapaxes(a, -1, -2) if a.ndim > 1 else a,
        [((2, 3),), ((2, 3, 4),), ((3,),), ((),)], torch=lambda a: a.transpose(-1, -2) if a.ndim > 1 else a, ints=True),
    Row("transpose", "transpose(2, 0, 1)", lambda a: a.transpose(2, 0, 1), lambda a: a.transpose(2, 0, 1),
        [((2, 3, 4),), ((1, 0, 2),)], torch=lambda a: a.permute(2, 0, 1), ints=True),
    Row("getitem", "a[1:, ::-1]", lambda a: a[1:, ::-1], lambda a: a[1:, ::-1], [((3, 4),), ((1, 2),)],
        torch=lambda a: a[1:].flip(1), ints=True),
    Row("getitem", "a[[0, 2, 2, -1]]: repeated indices accumulate", lambda a: a[IDX], lambda a: a[IDX],
        [((4,),), ((5, 3),)], torch=lambda a: a[torch.from_numpy(IDX)], ints=True),
    Row("getitem", "a[:, [0, 2, 2, -1]]", lambda a: a[:, IDX], lambda a: a[:, IDX], [((2, 4),)],
        torch=lambda a: a[:, torch.from_numpy(IDX)], ints=True),
    Row("getitem", "a[mask]", lambda a: a[_mask(a.shape)], lambda a: a[_mask(a.shape)], [((2, 3),), ((4,),)],
        torch=lambda a: a[torch.from_numpy(_mask(tuple(a.shape)))], ints=True),
    Row("getitem", "a[..., -1]", lambda a: a[..., -1], lambda a: a[..., -1], [((2, 3),), ((3,),)],
        torch=lambda a: a[..., -1], ints=True),
    # ---- activations (module 02's forwards, module 05's rules)
    Row("relu", "ReLU", lambda a: ReLU()(a), lambda a: np.maximum(a, 0), [((2, 3),), ((),), ((0,),)],
        torch=lambda a: torch.relu(a)),
    Row("sigmoid", "Sigmoid", lambda a: Sigmoid()(a), lambda a: 1 / (1 + np.exp(-a)), [((2, 3),), ((),)],
        torch=lambda a: torch.sigmoid(a)),
    Row("tanh", "Tanh", lambda a: Tanh()(a), np.tanh, [((2, 3),), ((),)], torch=lambda a: torch.tanh(a)),
    Row("gelu", "GELU (tanh approximation)", lambda a: GELU()(a),
        lambda a: 0.5 * a * (1 + np.tanh(GELU_C * (a + 0.044715 * a ** 3))), [((2, 3),), ((),), ((0,),), ((2, 3, 4),)],
        torch=lambda a: F.gelu(a, approximate="tanh")),
    # ---- movement and selection primitives (module 01 given, rules in module 05)
    Row("pad", "pad(a, 1)", lambda a: pad(a, 1), lambda a: np.pad(a, 1), [((2, 3),), ((3,),), ((0, 2),), ((),)],
        torch=lambda a: _torch_pad(a, [(1, 1)] * a.ndim), ints=True),
    Row("pad", "pad(a, ((0, 0), (2, 1)), value=-1.5)", lambda a: pad(a, ((0, 0), (2, 1)), value=-1.5),
        lambda a: np.pad(a, ((0, 0), (2, 1)), constant_values=-1.5), [((2, 3),), ((1, 1),)],
        torch=lambda a: F.pad(a, (2, 1, 0, 0), value=-1.5), ints=True),
    Row("pad", "pad(a, (1, 0))", lambda a: pad(a, (1, 0)), lambda a: np.pad(a, (1, 0)), [((2, 2, 2),)],
        torch=lambda a: _torch_pad(a, [(1, 0)] * 3), ints=True),
    Row("cat", "cat([a, b], dim=0)", lambda a, b: cat([a, b]), lambda a, b: np.concatenate([a, b]),
        [((2, 3), (1, 3)), ((3,), (0,)), ((0, 2), (2, 2))], torch=lambda a, b: torch.cat([a, b]), ints=True),
    Row("cat", "cat((a, b, c), dim=-1)", lambda a, b, c: cat((a, b, c), dim=-1),
        lambda a, b, c: np.concatenate([a, b, c], axis=-1), [((2, 3), (2, 1), (2, 2)), ((1, 2, 1), (1, 2, 3), (1, 2, 0))],
        torch=lambda a, b, c: torch.cat([a, b, c], dim=-1), ints=True),
    Row("cat", "cat([a]) of one tensor", lambda a: cat([a]), lambda a: np.concatenate([a]), [((2, 3),)],
        torch=lambda a: torch.cat([a]), ints=True),
    Row("stack", "stack([a, b, c], dim=0)", lambda a, b, c: stack([a, b, c]), lambda a, b, c: np.stack([a, b, c]),
        [((2, 3),) * 3, ((),) * 3, ((0,),) * 3], torch=lambda a, b, c: torch.stack([a, b, c]), ints=True),
    Row("stack", "stack([a, b], dim=-1)", lambda a, b: stack([a, b], dim=-1), lambda a, b: np.stack([a, b], axis=-1),
        [((2, 3), (2, 3)), ((4,), (4,))], torch=lambda a, b: torch.stack([a, b], dim=-1), ints=True),
    Row("where", "where(mask, a, b)", lambda a, b: where(_mask(np.broadcast_shapes(a.shape, b.shape)), a, b),
        lambda a, b: np.where(_mask(np.broadcast_shapes(a.shape, b.shape)), a, b),
        [((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1), (1, 4)), ((), ())],
        torch=lambda a, b: torch.where(torch.from_numpy(_mask(tuple(torch.broadcast_shapes(a.shape, b.shape)))), a, b),
        ints=True),
    Row("where", "where(mask, a, 0.0)", lambda a: where(_mask(a.shape), a, 0.0),
        lambda a: np.where(_mask(a.shape), a, 0.0), [((2, 3),), ((0,),)],
        torch=lambda a: torch.where(torch.from_numpy(_mask(tuple(a.shape))), a, 0.0), ints=True),
    Row("where", "where(row mask, -1.0, a)", lambda a: where(_mask(a.shape[-1:]), -1.0, a),
        lambda a: np.where(_mask(a.shape[-1:]), -1.0, a), [((2, 3),)],
        torch=lambda a: torch.where(torch.from_numpy(_mask(tuple(a.shape[-1:]))), -1.0, a), ints=True),
    Row("maximum", "maximum(a, b)", lambda a, b: maximum(a, b), np.maximum,
        [((2, 3), (2, 3)), ((2, 3), (3,)), ((), (4,)), (TIES, TIED_WITH)],
        torch=lambda a, b: torch.maximum(a, b), ints=True),
    Row("maximum", "maximum(a, 0.0)", lambda a: maximum(a, 0.0), lambda a: np.maximum(a, 0.0), [((2, 3),)],
        torch=lambda a: torch.clamp_min(a, 0.0), ints=True),
    Row("minimum", "minimum(a, b)", lambda a, b: minimum(a, b), np.minimum,
        [((2, 3), (2, 3)), ((3, 1), (1, 2)), (TIES, TIES[:, ::-1].copy())],
        torch=lambda a, b: torch.minimum(a, b), ints=True),
    Row("expand", "broadcast_to(a, (2,) + shape)", lambda a: broadcast_to(a, (2,) + a.shape),
        lambda a: np.broadcast_to(a, (2,) + a.shape), [((3,),), ((),), ((2, 1),), ((0,),)],
        torch=lambda a: torch.broadcast_to(a, (2,) + tuple(a.shape)), ints=True),
    Row("expand", "a.expand(4, -1, 3) of a (2, 1)", lambda a: a.expand(4, -1, 3),
        lambda a: np.broadcast_to(a, (4,) + a.shape[:1] + (3,)), [((2, 1),), ((1, 1),)],
        torch=lambda a: a.expand(4, -1, 3), ints=True),
    # ---- spatial ops (module 08): registered ops with their own rules
    Row("conv2d", "conv2d(x, w, b)", lambda x, w, b: conv2d(x, w, b), lambda x, w, b: _np_conv2d(x, w, b),
        [((2, 3, 5, 5), (4, 3, 3, 3), (4,)), ((1, 1, 4, 6), (2, 1, 2, 3), (2,)), ((1, 2, 3, 3), (1, 2, 3, 3), (1,))],
        torch=lambda x, w, b: F.conv2d(x, w, b)),
    Row("conv2d", "conv2d(x, w, b, padding=(2, 1)): stride 1, the blocked padded-width kernel",
        lambda x, w, b: conv2d(x, w, b, padding=(2, 1)), lambda x, w, b: _np_conv2d(x, w, b, 1, (2, 1)),
        [((3, 2, 4, 5), (3, 2, 3, 2), (3,)), ((1, 1, 2, 2), (2, 1, 5, 3), (2,))],
        torch=lambda x, w, b: F.conv2d(x, w, b, padding=(2, 1))),
    Row("conv2d", "conv2d(x, w, stride=(2, 1), padding=(1, 2)) without bias",
        lambda x, w: conv2d(x, w, stride=(2, 1), padding=(1, 2)), lambda x, w: _np_conv2d(x, w, None, (2, 1), (1, 2)),
        [((2, 2, 6, 5), (3, 2, 3, 2)), ((1, 3, 4, 4), (2, 3, 1, 1))],
        torch=lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 2))),
    Row("conv2d", "conv2d(x, w, b, stride=2, padding=1)", lambda x, w, b: conv2d(x, w, b, 2, 1),
        lambda x, w, b: _np_conv2d(x, w, b, 2, 1), [((2, 2, 7, 7), (3, 2, 3, 3), (3,)), ((1, 1, 2, 2), (1, 1, 4, 4), (1,))],
        torch=lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1)),
    Row("max_pool2d", "max_pool2d(x, 2)", lambda x: max_pool2d(x, 2), lambda x: _np_pool(x, 2, None, np.max),
        [((2, 3, 4, 6),), ((1, 1, 5, 5),)], torch=lambda x: F.max_pool2d(x, 2)),
    Row("max_pool2d", "max_pool2d(x, (3, 2), stride=(1, 2)): overlapping windows",
        lambda x: max_pool2d(x, (3, 2), (1, 2)), lambda x: _np_pool(x, (3, 2), (1, 2), np.max),
        [((2, 2, 5, 7),)], torch=lambda x: F.max_pool2d(x, (3, 2), (1, 2))),
    Row("avg_pool2d", "avg_pool2d(x, 2)", lambda x: avg_pool2d(x, 2), lambda x: _np_pool(x, 2, None, np.mean),
        [((2, 3, 4, 6),), ((1, 1, 5, 5),)], torch=lambda x: F.avg_pool2d(x, 2)),
    Row("avg_pool2d", "avg_pool2d(x, 3, stride=1): overlapping windows", lambda x: avg_pool2d(x, 3, 1),
        lambda x: _np_pool(x, 3, 1, np.mean), [((2, 2, 5, 4),)], torch=lambda x: F.avg_pool2d(x, 3, 1)),
    # ---- fused softmax (module 12): one op with its own rule; boolean mask, True = may attend
    Row("softmax", "softmax(x, dim=-1)", lambda x: softmax(x), lambda x: _np_softmax(x, -1),
        [((2, 3, 5),), ((4, 6),), ((1, 1),)], torch=lambda x: F.softmax(x, dim=-1)),
    Row("softmax", "softmax(x, dim=0)", lambda x: softmax(x, dim=0), lambda x: _np_softmax(x, 0),
        [((3, 4),), ((2, 3, 2),)], torch=lambda x: F.softmax(x, dim=0)),
    Row("softmax", "softmax(x, mask=m) with a fully masked row", lambda x: softmax(x, mask=_SOFTMAX_MASK),
        lambda x: _np_softmax(x, -1, _SOFTMAX_MASK), [((3, 4),), ((2, 3, 4),)]),
    Row("softmax", "softmax(x, dim=-2, mask=m)", lambda x: softmax(x, dim=-2, mask=_SOFTMAX_MASK),
        lambda x: _np_softmax(x, -2, _SOFTMAX_MASK), [((3, 4),)]),
    # ---- fused LayerNorm (module 13): one op with its own rule
    Row("layer_norm", "layer_norm(x, w.shape, w, b)", lambda x, w, b: layer_norm(x, w.shape, w, b),
        lambda x, w, b: _np_layer_norm(x, w.ndim, w, b), [((2, 3, 5), (5,), (5,)), ((4, 6), (6,), (6,)), ((2, 3, 4), (3, 4), (3, 4))],
        torch=lambda x, w, b: F.layer_norm(x, tuple(w.shape), w, b)),
    Row("layer_norm", "layer_norm(x, x.shape[-1]) without weight and bias", lambda x: layer_norm(x, x.shape[-1]),
        lambda x: _np_layer_norm(x, 1), [((3, 5),), ((1, 1, 7),)], torch=lambda x: F.layer_norm(x, x.shape[-1:])),
    Row("layer_norm", "layer_norm(x, w.shape, w, eps=0.1) without bias", lambda x, w: layer_norm(x, w.shape, w, eps=0.1),
        lambda x, w: _np_layer_norm(x, w.ndim, w, eps=0.1), [((3, 4), (4,))],
        torch=lambda x, w: F.layer_norm(x, tuple(w.shape), w, eps=0.1)),
    # ---- fused batch norm (module 08): one op with its own rule; running statistics are not graph inputs
    Row("batch_norm", "batch_norm(x, None, None, w, b, training=True)",
        lambda x, w, b: batch_norm(x, None, None, w, b, training=True), lambda x, w, b: _np_batch_norm(x, w, b),
        [((4, 3, 2, 5), (3,), (3,)), ((6, 2), (2,), (2,)), ((1, 2, 3, 4), (2,), (2,))],
        torch=lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)),
    Row("batch_norm", "batch_norm(x, None, None, training=True, eps=0.1) without weight and bias",
        lambda x: batch_norm(x, None, None, training=True, eps=0.1), lambda x: _np_batch_norm(x, eps=0.1),
        [((3, 2, 4, 3),)], torch=lambda x: F.batch_norm(x, None, None, training=True, eps=0.1)),
    Row("batch_norm", "batch_norm(x, running_mean, running_var, w, b): eval, the running statistics",
        lambda x, w, b: batch_norm(x, _BN_MEAN, _BN_VAR, w, b),
        lambda x, w, b: _np_batch_norm(x, w, b, _BN_MEAN, _BN_VAR),
        [((2, 3, 4, 2), (3,), (3,)), ((5, 3), (3,), (3,))],
        torch=lambda x, w, b: F.batch_norm(x, torch.from_numpy(_BN_MEAN.copy()), torch.from_numpy(_BN_VAR.copy()), w, b)),
]


def _case_id(case):
    return ",".join(f"fixed{a.shape}" if isinstance(a, np.ndarray) else str(a) for a in case)


CASES = [pytest.param(row, case, id=f"{row.op}[{row.label}]-{_case_id(case)}") for row in OPS for case in row.cases]


def _inputs(row, case, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in case:
        if isinstance(spec, np.ndarray):
            arrays.append(spec.astype(dtype))
        elif np.dtype(dtype).kind in "iu":
            arrays.append(rng.integers(1 if row.positive else -4, 6, spec).astype(dtype))
        else:
            draw = rng.uniform(0.5, 2.0, spec) if row.positive else rng.standard_normal(spec)
            arrays.append(np.asarray(draw, dtype=dtype))
    return arrays


# ------------------------------------------------------------------------------------------- the table
def test_the_table_covers_every_registered_op():
    covered = {row.op for row in OPS}
    missing = sorted(set(GRAD_RULES) - covered)
    assert not missing, f"registered ops without a row in tests/test_ops.py OPS: {missing}"
    unknown = sorted(covered - set(GRAD_RULES))
    assert not unknown, f"rows name ops that are not registered: {unknown}"


@pytest.mark.parametrize("row", [pytest.param(r, id=f"{r.op}[{r.label}]") for r in OPS])
def test_each_row_records_its_op(row):
    tensors = [Tensor(a, requires_grad=True) for a in _inputs(row, row.cases[0], 0)]
    ops = {node._op for node in topological_order(row.call(*tensors))}
    assert row.op in ops, f"{row.label} records {sorted(o for o in ops if o)}, not {row.op!r}"


# ------------------------------------------------------------------------------------------- forward
@pytest.mark.parametrize("row, case", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_matches_numpy(row, case, dtype):
    for seed in SEEDS[:2]:
        arrays = _inputs(row, case, seed, dtype)
        expected = np.asarray(row.oracle(*[a.copy() for a in arrays]))
        got = row.call(*[Tensor(a) for a in arrays])
        assert isinstance(got, Tensor)
        assert got.shape == expected.shape, f"{row.label}: shape {got.shape}, NumPy {expected.shape}"
        assert got.dtype == expected.dtype, f"{row.label}: dtype {got.dtype}, NumPy {expected.dtype}"
        tol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got.data, expected, rtol=tol, atol=tol, err_msg=row.label)


INT_CASES = [p for p in CASES if p.values[0].ints]


@pytest.mark.parametrize("row, case", INT_CASES)
@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_forward_on_integers_matches_numpy(row, case, dtype):
    arrays = _inputs(row, case, 0, dtype)
    try:
        with np.errstate(all="ignore"):
            expected = np.asarray(row.oracle(*[a.copy() for a in arrays]))
    except Exception as err:  # NumPy refuses (int ** -1): tinytorch refuses the same way
        with pytest.raises(type(err)):
            row.call(*[Tensor(a) for a in arrays])
        return
    with np.errstate(all="ignore"):
        got = row.call(*[Tensor(a) for a in arrays])
    assert got.shape == expected.shape and got.dtype == expected.dtype, \
        f"{row.label}: {got.dtype}{got.shape}, NumPy {expected.dtype}{expected.shape}"
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, err_msg=row.label)


# ------------------------------------------------------------------------------------------- backward
def _gradients(row, arrays, weights_seed=7):
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = row.call(*tensors)
    weights = np.random.default_rng(weights_seed).standard_normal(out.shape).astype(out.dtype)
    if out.requires_grad:
        backward(out, weights)
    return out, weights, [t.grad for t in tensors]


@pytest.mark.parametrize("row, case", CASES)
def test_backward_matches_finite_differences(row, case):
    for seed in SEEDS:
        arrays = _inputs(row, case, seed)
        out, weights, grads = _gradients(row, arrays)

        def scalar(xs):
            return float((row.call(*[Tensor(x) for x in xs]).data * weights).sum())
        for k, (a, g) in enumerate(zip(arrays, grads)):
            expected = numerical_gradient(scalar, [x.copy() for x in arrays], k)
            if a.size == 0 or out.size == 0:
                assert g is None or (g.shape == a.shape and g.size == 0 or not g.any()), row.label
                continue
            assert g is not None, f"{row.label}: input {k} got no gradient"
            assert g.shape == a.shape and g.dtype == a.dtype, f"{row.label}: grad {g.dtype}{g.shape} for {a.dtype}{a.shape}"
            np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-7, err_msg=f"{row.label}, input {k}, seed {seed}")


@pytest.mark.parametrize("row, case", CASES)
def test_float32_inputs_get_float32_gradients(row, case):
    arrays = _inputs(row, case, 0, np.float32)
    _, _, grads = _gradients(row, arrays)
    for a, g in zip(arrays, grads):
        if a.size:
            assert g is not None and g.dtype == np.float32 and g.shape == a.shape, f"{row.label}: {g!r}"


# ------------------------------------------------------------------------------------------- PyTorch
@pytest.mark.skipif(torch is None, reason="PyTorch is not installed (optional second oracle)")
@pytest.mark.parametrize("row, case", [p for p in CASES if p.values[0].torch is not None])
def test_matches_pytorch(row, case):
    arrays = _inputs(row, case, 3)
    out, weights, grads = _gradients(row, arrays)
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    ref = row.torch(*xs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=row.label)
    if ref.requires_grad:
        ref.backward(torch.from_numpy(weights))
    for k, (x, g) in enumerate(zip(xs, grads)):
        want = x.grad.numpy() if x.grad is not None else np.zeros(x.shape)
        np.testing.assert_allclose(g if g is not None else np.zeros(x.shape), want, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{row.label}, input {k}")


# ------------------------------------------------------------------------------------------- semantics by hand
def test_the_new_users_examples_follow_numpy():
    n = Tensor(np.array([1, 2, 3]))
    for got, want in [(n * 0.5, np.array([1, 2, 3]) * 0.5), (n + 0.5, np.array([1, 2, 3]) + 0.5),
                      (n.mean(), np.array([1, 2, 3]).mean()), (n / 2, np.array([1, 2, 3]) / 2),
                      (n + 1, np.array([1, 2, 3]) + 1)]:
        assert got.dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(got.data, want)
    f32 = Tensor(np.ones(3, dtype=np.float32))
    assert (f32 * 0.5).dtype == np.float32 and (f32 / 3).dtype == np.float32 and f32.mean().dtype == np.float32
    assert (f32 * np.float64(0.5)).dtype == np.float64  # a NumPy scalar is strong


def test_degenerate_reductions_follow_numpy():
    with np.errstate(all="ignore"):
        assert np.isnan(Tensor(np.zeros((0, 3))).mean(axis=0).data).all()
        assert np.isnan(Tensor(np.zeros(0)).mean().data)
    assert Tensor(np.array(4.0)).mean(axis=0).data == 4.0  # NumPy accepts axis 0 of a 0-d array
    with pytest.raises(ValueError):
        Tensor(np.zeros(0)).max()


def test_only_floating_point_tensors_join_the_graph():
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(np.array([1, 2]), requires_grad=True)
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    index = Tensor.from_op(np.argmax(x.data), "argmax", x)  # an integer result: no gradient, no edge
    assert not index.requires_grad and index._op is None


def test_max_pool_sends_a_tied_gradient_to_the_first_maximum():
    """PyTorch's convention (finite differences cannot see it): ONE element per window, the first maximum in
    row-major window order, also where overlapping windows share it."""
    x = Tensor(np.array([[[[1.0, 1.0, 2.0], [1.0, 1.0, 2.0]]]]), requires_grad=True)
    backward(max_pool2d(x, 2, 1).sum())
    np.testing.assert_array_equal(x.grad, [[[[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]]])


def test_where_refuses_a_float_mask():
    x = Tensor(np.ones(3))
    with pytest.raises(TypeError, match="boolean"):
        where(np.array([0.0, -np.inf, 0.0]), x, 0.0)
    with pytest.raises(TypeError, match="sequence"):
        cat(x)


def test_tensor_expand_semantics():
    x = Tensor(np.arange(2.0).reshape(2, 1))
    assert x.expand(3, -1, 4).shape == (3, 2, 4) and x.expand((2, 5)).shape == (2, 5)
    for bad in [(-1, 2, 1), (5,), (2, 3, 1)]:
        with pytest.raises(ValueError):
            x.expand(*bad)


# ------------------------------------------------------------------------------------------- registry, contract, hooks
@pytest.fixture
def registry():
    """GRAD_RULES as it was before the test: tests may register throwaway ops."""
    saved = dict(GRAD_RULES)
    yield GRAD_RULES
    GRAD_RULES.clear()
    GRAD_RULES.update(saved)


def _op(name, *inputs, data=None):
    return Tensor.from_op(np.ones(inputs[0].shape) if data is None else data, name, *inputs)


def test_register_op_as_call_and_decorator(registry):
    def grad_twice(out, g):
        return (2 * g,)
    assert register_op("test_twice", grad_twice) is grad_twice

    @register_op("test_square")
    def grad_square(out, g):
        (a,) = out._inputs
        return (2 * g * a.data,)
    assert registry["test_twice"] is grad_twice and registry["test_square"] is grad_square
    x = Tensor(np.array([1.0, 3.0]), requires_grad=True)
    backward(_op("test_square", x, data=x.data ** 2).sum())
    np.testing.assert_array_equal(x.grad, [2.0, 6.0])


def test_register_op_refuses_to_overwrite(registry):
    def grad_other(out, g):
        return g, g
    with pytest.raises(ValueError, match=r"'add'.*tinytorch\.autograd\.grad_add"):
        register_op("add", grad_other)
    assert registry["add"] is autograd.grad_add
    register_op("add", grad_other, replace=True)
    assert registry["add"] is grad_other
    register_op("add", grad_other)  # the same rule again: no conflict
    register_op("test_lambda", lambda out, g: (g,))
    with pytest.raises(ValueError, match="test_lambda"):
        register_op("test_lambda", lambda out, g: (g,))
    with pytest.raises(TypeError):
        register_op("test_bad", "not a function")


def test_a_redefined_rule_replaces_itself(registry):
    """Re-running the cell that defines and registers a rule (same module, same qualified name) is no conflict."""
    for scale in (2.0, 3.0):
        @register_op("test_rerun")
        def grad_rerun(out, g, scale=scale):
            return (scale * g,)
    assert registry["test_rerun"] is grad_rerun


def test_an_op_without_a_rule_says_how_to_register_one():
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"'test_unknown'.*tinytorch\.autograd\.register_op"):
        backward(_op("test_unknown", x).sum())


@pytest.mark.parametrize("result, words", [
    (lambda out, g: g, ["'test_broken'", "ndarray", "tuple"]),                    # a bare array
    (lambda out, g: [g], ["'test_broken'", "list", "tuple"]),
    (lambda out, g: (g, g), ["'test_broken'", "2 gradient(s)", "one gradient per input (1 here"]),
    (lambda out, g: (Tensor(g),), ["'test_broken'", "Tensor", "input 0"]),
    (lambda out, g: (np.ones(5),), ["'test_broken'", "shape (5,)", "(2,)"]),
])
def test_a_rule_that_breaks_the_contract_raises_type_error(registry, result, words):
    register_op("test_broken", result)
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError) as err:
        backward(_op("test_broken", x).sum())
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_rules_may_return_none_and_broadcast_compatible_shapes(registry):
    register_op("test_scalar_grad", lambda out, g: (g.sum(), None))   # a 0-d gradient for a (2,) input
    x, c = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    backward(_op("test_scalar_grad", x, c), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert c.grad is None


def test_op_hooks_see_forward_and_backward(registry):
    events = []
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    with add_op_hook(events.append) as handle:
        loss = (x * 3.0).sum()
        backward(loss)
    assert [(e.phase, e.op) for e in events] == [("forward", "mul"), ("forward", "sum"),
                                                 ("backward", "sum"), ("backward", "mul")]
    assert all(isinstance(e, OpEvent) for e in events)
    assert events[1].output is loss and events[0].seconds is None and events[0].grads is None
    assert events[3].seconds >= 0 and len(events[3].grads) == 2 and events[3].grads[0].dtype == np.float32
    handle.remove()  # already removed by the with block: harmless
    (x * 2.0).sum()
    assert len(events) == 4
    handle = add_op_hook(events.append)
    -x
    handle.remove()
    -x
    assert [e.op for e in events[4:]] == ["neg"]
    with pytest.raises(TypeError):
        add_op_hook("not callable")


def test_no_hook_means_no_event_and_no_cost():
    from tinytorch import tensor
    assert tensor._OP_HOOKS == []  # nothing left registered by other tests
