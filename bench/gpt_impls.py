"""The implementations `bench_gpt.py` races: tinytorch, hand-written NumPy and PyTorch CPU.

gpt case: one training step of milestone 05's GPT (tinytorch.transformers.GPT: 4 pre-norm blocks, width 128,
    4 heads, context 64, GELU (tanh) MLP of width 512, learned positions, untied lm_head without bias, vocabulary
    88) at batch 32: forward, mean next-token cross-entropy over all 32·64 positions, backward, Adam(lr 1e-3).
    Every contender starts from the SAME float32 weights (those of a tinytorch GPT made after np.random.seed(0)),
    in the order of `weight_names`, tinytorch's layouts (Linear weight (in, out)), and exposes step(),
    loss_value(), grads() and params() in that order and layout.
attention case: causal scaled dot-product attention forward + backward, q, k, v (8, 4, T, 32) float32 (batch 8,
    4 heads, head dim 32), the backward pass seeded with one fixed upstream gradient G (8, 4, T, 32); run() ->
    (out, grad_q, grad_k, grad_v).
Inputs are converted once, outside the timed call, as a data loader would hand them over.
"""

import math

import numpy as np

from mlp_impls import BETAS, EPS, LR, adam_update, as_numpy  # noqa: F401  (as_numpy: bench_gpt reads it here)

GPT_CFG = dict(vocab=88, width=128, layers=4, heads=4, context=64, batch=32)
ATTN = dict(batch=8, heads=4, head_dim=32)
LN_EPS = 1e-5
GELU_C = math.sqrt(2 / math.pi)
BLOCK = ("ln1.weight", "ln1.bias", "attn.q_proj.weight", "attn.q_proj.bias", "attn.k_proj.weight",
         "attn.k_proj.bias", "attn.v_proj.weight", "attn.v_proj.bias", "attn.out_proj.weight", "attn.out_proj.bias",
         "ln2.weight", "ln2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias")


def weight_names(layers=GPT_CFG["layers"]):
    return (["tok_emb.weight", "pos_emb.weight"] + [f"blocks.{i}.{n}" for i in range(layers) for n in BLOCK]
            + ["ln_f.weight", "ln_f.bias", "lm_head.weight"])


def _get(module, dotted):
    """module.blocks.0.ln1.weight -> the Tensor (Sequential elements by index)."""
    obj = module
    for part in dotted.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def _tinytorch_gpt():
    from tinytorch.transformers import GPT
    c = GPT_CFG
    return GPT(c["vocab"], c["width"], c["layers"], c["heads"], c["context"])


def gpt_weights(seed=0):
    """{name: float32 array} of a tinytorch GPT made after np.random.seed(seed) (PyTorch's default inits)."""
    np.random.seed(seed)
    model = _tinytorch_gpt()
    names = weight_names()
    assert len(names) == len(model.parameters()), "weight_names does not cover the model"
    return {n: _get(model, n).data.copy() for n in names}


def gpt_batch(seed=1):
    rng = np.random.default_rng(seed)
    c = GPT_CFG
    ids = rng.integers(0, c["vocab"], (c["batch"], c["context"] + 1))
    return ids[:, :-1].copy(), ids[:, 1:].copy()


# --------------------------------------------------------------------------------------------- tinytorch
class TinyTorchGPT:
    name = "tinytorch"

    def __init__(self, weights, x, y):
        from tinytorch.losses import CrossEntropyLoss
        from tinytorch.optimizers import Adam
        self.model = _tinytorch_gpt()
        self.names = list(weights)
        for n, w in weights.items():
            _get(self.model, n).data = w.copy()
        self.criterion = CrossEntropyLoss()
        self.opt = Adam(self.model.parameters(), lr=LR, betas=BETAS, eps=EPS)
        self.x, self.y, self.loss = x, y.reshape(-1), None

    def step(self):
        self.opt.zero_grad()
        logits = self.model(self.x)
        self.loss = self.criterion(logits.reshape(-1, logits.shape[-1]), self.y)
        self.loss.backward()
        self.opt.step()

    def loss_value(self):
        return float(self.loss.item())

    def grads(self):
        return [_get(self.model, n).grad for n in self.names]

    def params(self):
        return [_get(self.model, n).data for n in self.names]


# ---------------------------------------------------------------------------------- hand-written NumPy
def np_layernorm(x, w, b):
    """LayerNorm over the last axis, in place where the arrays are ours; returns (out, (x_hat, rstd))."""
    xc = x - x.mean(axis=-1, keepdims=True)
    rstd = 1.0 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + LN_EPS)
    xh = xc
    xh *= rstd
    out = xh * w
    out += b
    return out, (xh, rstd)


def np_layernorm_backward(g, cache, w):
    xh, rstd = cache
    t = g * xh
    gw, gb = t.sum(axis=0), g.sum(axis=0)
    t *= w                                  # gxh·xh
    gxh = g * w
    gx = gxh - gxh.mean(axis=-1, keepdims=True)
    gx -= np.multiply(xh, t.mean(axis=-1, keepdims=True), out=t)
    gx *= rstd
    return gx, gw, gb


def np_attention(q, k, v, scale):
    """Causal softmax(q k^T * scale) v on (..., T, D); returns (out, p)."""
    T = q.shape[-2]
    s = q @ k.swapaxes(-1, -2)
    s *= scale
    s[..., np.triu(np.ones((T, T), dtype=bool), 1)] = -np.inf
    s -= s.max(axis=-1, keepdims=True)
    p = np.exp(s, out=s)
    p /= p.sum(axis=-1, keepdims=True)
    return p @ v, p


def np_attention_backward(g, q, k, v, p, scale):
    gv = p.swapaxes(-1, -2) @ g
    gp = g @ v.swapaxes(-1, -2)
    gs = p * (gp - (gp * p).sum(axis=-1, keepdims=True))
    gs *= scale
    return gs @ k, gs.swapaxes(-1, -2) @ q, gv


def np_linear(x, w, b):
    """x @ w + b on (rows, in) rows, the bias added in place (no second output-sized temporary)."""
    y = x @ w
    y += b
    return y


def np_gelu(x):
    """GELU = x·s, s = 0.5·(1 + tanh(u)) = σ(2u), computed in place in one buffer; returns (out, s): s is saved."""
    s = x * x
    s *= 0.044715 * GELU_C
    s += GELU_C
    s *= x                               # u
    np.tanh(s, out=s)
    s += 1
    s *= 0.5                             # s = σ(2u)
    return x * s, s


GELU_BLOCK = 1 << 16


def np_gelu_backward(g, x, s):
    """g·GELU'(x), GELU'(x) = s + 2·x·s·(1 − s)·u', u' = c·(1 + 3·0.044715·x²), from the saved s, in place and
    block by block (each block stays in L2 across the passes)."""
    shape = x.shape
    x, s, g = x.reshape(-1), s.reshape(-1), g.reshape(-1)
    d = np.empty_like(x)
    e = np.empty(min(x.size, GELU_BLOCK), x.dtype)
    for i in range(0, x.size, GELU_BLOCK):
        xb, sb, db = x[i:i + GELU_BLOCK], s[i:i + GELU_BLOCK], d[i:i + GELU_BLOCK]
        eb = e[:len(xb)]
        np.multiply(xb, xb, out=db)
        db *= 6 * 0.044715 * GELU_C
        db += 2 * GELU_C
        db *= xb
        db *= sb
        np.subtract(1, sb, out=eb)
        db *= eb
        db += sb
        db *= g[i:i + GELU_BLOCK]
    return d.reshape(shape)


class NumpyGPT:
    """The same GPT written out by hand: activations on (B·T, E) rows, heads as (B, H, T, D) views."""
    name = "numpy"

    def __init__(self, weights, x, y):
        self.names = list(weights)
        self.w = {n: a.copy() for n, a in weights.items()}
        self.g = {n: np.zeros_like(a) for n, a in weights.items()}
        self.m = [np.zeros_like(a) for a in weights.values()]
        self.v = [np.zeros_like(a) for a in weights.values()]
        self.t = 0
        self.x, self.y, self.loss = x, y.reshape(-1), None

    def forward(self):
        w, c = self.w, GPT_CFG
        B, T = self.x.shape
        E, H = c["width"], c["heads"]
        D = E // H
        h = (w["tok_emb.weight"][self.x] + w["pos_emb.weight"][:T]).reshape(B * T, E)
        caches = []
        for i in range(c["layers"]):
            p = f"blocks.{i}."
            a, ln1 = np_layernorm(h, w[p + "ln1.weight"], w[p + "ln1.bias"])
            heads = [np_linear(a, w[p + f"attn.{n}_proj.weight"], w[p + f"attn.{n}_proj.bias"]).reshape(B, T, H, D)
                     .transpose(0, 2, 1, 3) for n in "qkv"]
            o, probs = np_attention(*heads, 1.0 / math.sqrt(D))
            o = o.transpose(0, 2, 1, 3).reshape(B * T, E)
            h = h + np_linear(o, w[p + "attn.out_proj.weight"], w[p + "attn.out_proj.bias"])
            m, ln2 = np_layernorm(h, w[p + "ln2.weight"], w[p + "ln2.bias"])
            f = np_linear(m, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"])
            act, s = np_gelu(f)
            h = h + np_linear(act, w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])
            caches.append((a, ln1, heads, probs, o, m, ln2, f, act, s))
        z, lnf = np_layernorm(h, w["ln_f.weight"], w["ln_f.bias"])
        logits = z @ w["lm_head.weight"]
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        total = e.sum(axis=1, keepdims=True)
        rows = np.arange(len(self.y))
        self.loss = float(np.mean(np.log(total[:, 0]) - logits[rows, self.y]))
        probs_out = e / total
        self.cache = (caches, z, lnf, probs_out, rows)

    def backward(self):
        w, g, c = self.w, self.g, GPT_CFG
        B, T = self.x.shape
        E, H = c["width"], c["heads"]
        D = E // H
        caches, z, lnf, dlogits, rows = self.cache
        dlogits[rows, self.y] -= 1
        dlogits /= len(self.y)
        g["lm_head.weight"][...] = z.T @ dlogits
        dh, g["ln_f.weight"][...], g["ln_f.bias"][...] = np_layernorm_backward(
            dlogits @ w["lm_head.weight"].T, lnf, w["ln_f.weight"])
        for i in reversed(range(c["layers"])):
            p = f"blocks.{i}."
            a, ln1, (q, k, v), probs, o, m, ln2, f, act, s = caches[i]
            g[p + "mlp.fc2.weight"][...] = act.T @ dh
            g[p + "mlp.fc2.bias"][...] = dh.sum(axis=0)
            df = np_gelu_backward(dh @ w[p + "mlp.fc2.weight"].T, f, s)
            g[p + "mlp.fc1.weight"][...] = m.T @ df
            g[p + "mlp.fc1.bias"][...] = df.sum(axis=0)
            dm, g[p + "ln2.weight"][...], g[p + "ln2.bias"][...] = np_layernorm_backward(
                df @ w[p + "mlp.fc1.weight"].T, ln2, w[p + "ln2.weight"])
            dh = dh + dm
            g[p + "attn.out_proj.weight"][...] = o.T @ dh
            g[p + "attn.out_proj.bias"][...] = dh.sum(axis=0)
            do = (dh @ w[p + "attn.out_proj.weight"].T).reshape(B, T, H, D).transpose(0, 2, 1, 3)
            dqkv = np_attention_backward(do, q, k, v, probs, 1.0 / math.sqrt(D))
            da = 0
            for n, d in zip("qkv", dqkv):
                d = d.transpose(0, 2, 1, 3).reshape(B * T, E)
                g[p + f"attn.{n}_proj.weight"][...] = a.T @ d
                g[p + f"attn.{n}_proj.bias"][...] = d.sum(axis=0)
                da = da + d @ w[p + f"attn.{n}_proj.weight"].T
            dx, g[p + "ln1.weight"][...], g[p + "ln1.bias"][...] = np_layernorm_backward(da, ln1, w[p + "ln1.weight"])
            dh = dh + dx
        dh = dh.reshape(B, T, E)
        g["pos_emb.weight"][...] = 0
        g["pos_emb.weight"][:T] = dh.sum(axis=0)
        g["tok_emb.weight"][...] = 0
        np.add.at(g["tok_emb.weight"], self.x.reshape(-1), dh.reshape(B * T, E))

    def step(self):
        self.forward()
        self.backward()
        self.t += 1
        adam_update(list(self.w.values()), list(self.g.values()), self.m, self.v, self.t)

    def loss_value(self):
        return self.loss

    def grads(self):
        return [self.g[n] for n in self.names]

    def params(self):
        return [self.w[n] for n in self.names]


# ------------------------------------------------------------------------------------------ PyTorch CPU
def _torch_gpt(weights):
    import torch
    import torch.nn.functional as F
    from torch import nn
    c = GPT_CFG
    E, H = c["width"], c["heads"]

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(E), nn.LayerNorm(E)
            self.q, self.k, self.v, self.out = (nn.Linear(E, E) for _ in range(4))
            self.fc1, self.fc2 = nn.Linear(E, 4 * E), nn.Linear(4 * E, E)

        def forward(self, x):
            B, T, _ = x.shape
            a = self.ln1(x)
            q, k, v = (lin(a).view(B, T, H, E // H).transpose(1, 2) for lin in (self.q, self.k, self.v))
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, E)
            x = x + self.out(o)
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))

    class TorchGPTModule(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(c["vocab"], E)
            self.pos = nn.Parameter(torch.zeros(c["context"], E))
            self.blocks = nn.Sequential(*[Block() for _ in range(c["layers"])])
            self.ln_f = nn.LayerNorm(E)
            self.head = nn.Linear(E, c["vocab"], bias=False)

        def forward(self, idx):
            x = self.tok(idx) + self.pos[:idx.shape[1]]
            return self.head(self.ln_f(self.blocks(x)))

    model = TorchGPTModule()
    torch_name = {"tok_emb.weight": "tok.weight", "pos_emb.weight": "pos", "ln_f.weight": "ln_f.weight",
                  "ln_f.bias": "ln_f.bias", "lm_head.weight": "head.weight"}
    for n in weights:
        if n.startswith("blocks."):
            part = (n.replace("attn.", "").replace("_proj", "").replace("mlp.", ""))
            torch_name[n] = part
    named = dict(model.named_parameters())
    ordered = []
    with torch.no_grad():
        for n, w in weights.items():
            p = named[torch_name[n]]
            linear = n.endswith("weight") and w.ndim == 2 and n not in ("tok_emb.weight", "pos_emb.weight")
            p.copy_(torch.from_numpy(w.T.copy() if linear else w))        # nn.Linear stores (out, in)
            ordered.append((p, linear))
    return model, ordered


class TorchGPT:
    name = "torch"

    def __init__(self, weights, x, y):
        import torch
        self.model, self.ordered = _torch_gpt(weights)
        self.criterion = torch.nn.CrossEntropyLoss()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR, betas=BETAS, eps=EPS)
        self.x, self.y = torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y.reshape(-1).astype(np.int64))
        self.loss = None

    def step(self):
        self.opt.zero_grad(set_to_none=True)
        logits = self.model(self.x)
        self.loss = self.criterion(logits.reshape(-1, logits.shape[-1]), self.y)
        self.loss.backward()
        self.opt.step()

    def loss_value(self):
        return float(self.loss.item())

    def grads(self):
        return [(p.grad.T if lin else p.grad).detach().numpy().copy() for p, lin in self.ordered]

    def params(self):
        return [(p.T if lin else p).detach().numpy().copy() for p, lin in self.ordered]


# --------------------------------------------------------------------------------------------- attention
def attention_data(T, seed=5):
    rng = np.random.default_rng(seed)
    shape = (ATTN["batch"], ATTN["heads"], T, ATTN["head_dim"])
    return tuple(rng.standard_normal(shape).astype(np.float32) for _ in range(4))


class TinyTorchAttention:
    name = "tinytorch"

    def __init__(self, q, k, v, g):
        from tinytorch.tensor import Tensor
        self.q, self.k, self.v = (Tensor(a, requires_grad=True) for a in (q, k, v))
        self.g = g

    def run(self):
        from tinytorch.attention import scaled_dot_product_attention
        for t in (self.q, self.k, self.v):
            t.grad = None
        out, _ = scaled_dot_product_attention(self.q, self.k, self.v, is_causal=True)
        out.backward(self.g)
        return out.data, self.q.grad, self.k.grad, self.v.grad


class NumpyAttention:
    name = "numpy"

    def __init__(self, q, k, v, g):
        self.q, self.k, self.v, self.g = q, k, v, g

    def run(self):
        scale = 1.0 / math.sqrt(self.q.shape[-1])
        out, p = np_attention(self.q, self.k, self.v, scale)
        return (out, *np_attention_backward(self.g, self.q, self.k, self.v, p, scale))


class TorchAttention:
    name = "torch"

    def __init__(self, q, k, v, g):
        import torch
        self.q, self.k, self.v = (torch.from_numpy(a.copy()).requires_grad_() for a in (q, k, v))
        self.g = torch.from_numpy(g)

    def run(self):
        import torch.nn.functional as F
        for t in (self.q, self.k, self.v):
            t.grad = None
        out = F.scaled_dot_product_attention(self.q, self.k, self.v, is_causal=True)
        out.backward(self.g)
        return out.detach(), self.q.grad, self.k.grad, self.v.grad
