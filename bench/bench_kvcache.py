"""`make bench`, KV-cache part: text generation with and without a KV cache, tinytorch and hand-written NumPy.

Models (float32, batch 1, the weights of a tinytorch.transformers.GPT made after np.random.seed(0): speed does not
depend on what a model learned): milestone 05's shape, vocabulary 88, width 128, 4 layers, 4 heads, with
  long     max_seq_len 320: 256 tokens after a 16-token prompt, all inside the context (272 <= 320)
  m05      max_seq_len 64 (milestone 05's GPT): 48 tokens after a 16-token prompt, inside the context
  m05-256  max_seq_len 64: 256 tokens after a 16-token prompt; past the context both versions re-encode the last
           64 tokens at every step (learned absolute positions: see tinytorch.memoization.generate)
Contenders, each generating with seed 0 (module 13's sampling, temperature 1):
  tinytorch cached    tinytorch.memoization.generate (use_cache=True)
  tinytorch uncached  tinytorch.transformers.generate (module 13)
  numpy cached / numpy uncached  the same GPT written out in NumPy on the same arrays (gpt_impls' LayerNorm and
                      GELU), with a preallocated cache, drawing with the same sample_next_token
The tokens of tinytorch cached and uncached must be identical (the script exits 1 otherwise); NumPy's are
compared and printed. Timings: time.perf_counter, interleaved round-robin (timing.race), median and IQR of --reps
calls per contender, after one short warm-up generation each. Prints one table and the speed-ups in thread CPU time; results go to
bench/results/bench_kvcache-<timestamp>.json and latest_bench_kvcache.json.

Usage: python bench/bench_kvcache.py [--threads N] [--reps N] [--quick]
"""

import argparse
import math
import os
import sys
import time

_parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
_parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "1")),
                     help="threads for every BLAS / OpenMP pool (default 1, or $BENCH_THREADS)")
_parser.add_argument("--reps", type=int, default=3, help="timed generations per contender and case (default 3)")
_parser.add_argument("--quick", action="store_true", help="one repetition, fewer tokens (smoke test)")
_parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
ARGS = _parser.parse_args()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from threads import THREAD_VARS, pin_threads  # noqa: E402

pin_threads(ARGS.threads)

import numpy as np  # noqa: E402

from gpt_impls import np_gelu, np_layernorm  # noqa: E402
from timing import race  # noqa: E402
from record import save as record_save  # noqa: E402

from tinytorch.memoization import generate as generate_cached  # noqa: E402
from tinytorch.transformers import GPT, generate as generate_uncached, sample_next_token  # noqa: E402

VOCAB, WIDTH, LAYERS, HEADS = 88, 128, 4, 4
CASES = [("long", 320, 16, 256), ("m05", 64, 16, 48), ("m05-256", 64, 16, 256)]  # name, max_seq_len, prompt, new


class NumpyGPT:
    """Module 13's GPT forward in NumPy (float32) on a tinytorch GPT's arrays; forward(ids, cache=None) returns
    the logits of the new positions, appending their keys and values to `cache` (per-layer preallocated arrays)
    when one is given."""

    def __init__(self, gpt):
        self.max_seq_len, self.heads = gpt.max_seq_len, gpt.num_heads
        self.tok, self.pos = gpt.tok_emb.weight.data, gpt.pos_emb.weight.data
        self.blocks = []
        for b in gpt.blocks:
            a = b.attn
            self.blocks.append(dict(
                ln1=(b.ln1.weight.data, b.ln1.bias.data), ln2=(b.ln2.weight.data, b.ln2.bias.data),
                qkv_w=np.concatenate([a.q_proj.weight.data, a.k_proj.weight.data, a.v_proj.weight.data], axis=1),
                qkv_b=np.concatenate([a.q_proj.bias.data, a.k_proj.bias.data, a.v_proj.bias.data]),
                out=(a.out_proj.weight.data, a.out_proj.bias.data),
                fc1=(b.mlp.fc1.weight.data, b.mlp.fc1.bias.data), fc2=(b.mlp.fc2.weight.data, b.mlp.fc2.bias.data)))
        self.ln_f = (gpt.ln_f.weight.data, gpt.ln_f.bias.data)
        self.head = gpt.tok_emb.weight.data.T if gpt.tie_weights else gpt.lm_head.weight.data

    def new_cache(self, batch):
        D = self.tok.shape[1] // self.heads
        shape = (batch, self.heads, self.max_seq_len, D)
        return {"k": [np.zeros(shape, np.float32) for _ in self.blocks],
                "v": [np.zeros(shape, np.float32) for _ in self.blocks], "len": 0}

    def forward(self, ids, cache=None):
        B, T = ids.shape
        P = 0 if cache is None else cache["len"]
        E, H = self.tok.shape[1], self.heads
        D = E // H
        x = self.tok[ids] + self.pos[P:P + T]
        for layer, blk in enumerate(self.blocks):
            h, _ = np_layernorm(x, *blk["ln1"])
            qkv = (h @ blk["qkv_w"] + blk["qkv_b"]).reshape(B, T, 3, H, D).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            if cache is not None:
                cache["k"][layer][:, :, P:P + T] = k
                cache["v"][layer][:, :, P:P + T] = v
                k, v = cache["k"][layer][:, :, :P + T], cache["v"][layer][:, :, :P + T]
            s = (q @ k.swapaxes(-1, -2)) * (1.0 / math.sqrt(D))
            if T > 1:                                          # bottom-right causal mask: query i sees keys 0 .. P + i
                s[..., ~np.tril(np.ones((T, P + T), dtype=bool), k=P)] = -np.inf
            s -= s.max(axis=-1, keepdims=True)
            p = np.exp(s)
            p /= p.sum(axis=-1, keepdims=True)
            o = (p @ v).transpose(0, 2, 1, 3).reshape(B, T, E)
            x = x + o @ blk["out"][0] + blk["out"][1]
            h, _ = np_layernorm(x, *blk["ln2"])
            g, _ = np_gelu(h @ blk["fc1"][0] + blk["fc1"][1])
            x = x + g @ blk["fc2"][0] + blk["fc2"][1]
        x, _ = np_layernorm(x, *self.ln_f)
        if cache is not None:
            cache["len"] = P + T
        return x @ self.head

    def generate(self, idx, n, seed, use_cache):
        """The same policy and draws as tinytorch.memoization.generate / tinytorch.transformers.generate."""
        rng = np.random.default_rng(seed)
        idx = np.array(idx, dtype=np.int64)
        cache = self.new_cache(idx.shape[0]) if use_cache else None
        new = idx[:, -self.max_seq_len:]
        for _ in range(n):
            if use_cache:
                if cache["len"] + new.shape[1] > self.max_seq_len:
                    cache["len"], new = 0, idx[:, -self.max_seq_len:]
                logits = self.forward(new, cache)[:, -1]
            else:
                logits = self.forward(idx[:, -self.max_seq_len:])[:, -1]
            nxt = sample_next_token(logits, rng)
            idx = np.concatenate([idx, nxt[:, None]], axis=1)
            new = nxt[:, None]
        return idx


def main():
    reps = 1 if ARGS.quick else ARGS.reps
    print(f"bench_kvcache: numpy {np.__version__}, threads {ARGS.threads} ({', '.join(THREAD_VARS[:3])}={ARGS.threads}); "
          f"GPT vocab {VOCAB}, width {WIDTH}, {LAYERS} layers, {HEADS} heads, batch 1, float32; "
          f"{reps} timed generations per contender (median, IQR)")
    rows, ok, results = [], True, {}
    for name, ctx, prompt_len, new in CASES:
        if ARGS.quick:
            new = min(new, 24)
        np.random.seed(0)
        gpt = GPT(VOCAB, WIDTH, LAYERS, HEADS, ctx)
        gpt.eval()
        ref = NumpyGPT(gpt)
        prompt = np.random.default_rng(1).integers(0, VOCAB, (1, prompt_len))
        fns = {
            "tinytorch cached": lambda: generate_cached(gpt, prompt, new, seed=0),
            "tinytorch uncached": lambda: generate_uncached(gpt, prompt, new, seed=0),
            "numpy cached": lambda: ref.generate(prompt, new, 0, True),
            "numpy uncached": lambda: ref.generate(prompt, new, 0, False),
        }
        tokens = {k: fn() for k, fn in fns.items()}
        same = bool(np.array_equal(tokens["tinytorch cached"], tokens["tinytorch uncached"]))
        np_same = bool(np.array_equal(tokens["numpy cached"], tokens["numpy uncached"]))
        np_tt = bool(np.array_equal(tokens["numpy cached"], tokens["tinytorch cached"]))
        ok &= same
        t0 = time.perf_counter()
        timing = race(fns, warmup=0, reps=reps, rounds=reps)
        med = {k: v["median_ms"] for k, v in timing.items()}
        results[name] = dict(max_seq_len=ctx, prompt=prompt_len, new_tokens=new, timing=timing,
                             tokens_equal=same, numpy_tokens_equal=np_same, numpy_equals_tinytorch=np_tt)
        rows.append((name, ctx, prompt_len, new, med, timing, same, np_same, np_tt, time.perf_counter() - t0))

    print(f"\n{'case':8s} {'ctx':>4s} {'prompt+new':>10s} | {'tinytorch cached':>17s} {'uncached':>17s} {'speed-up':>8s} | "
          f"{'numpy cached':>15s} {'uncached':>15s} {'speed-up':>8s} | tokens equal (tt, np, np=tt)")
    for name, ctx, p, n, med, timing, same, np_same, np_tt, _ in rows:
        def cell(k):
            return f"{med[k] / 1e3:7.3f} s ±{timing[k]['iqr_ms'] / 1e3:5.3f}"
        print(f"{name:8s} {ctx:4d} {f'{p}+{n}':>10s} | {cell('tinytorch cached'):>17s} {cell('tinytorch uncached'):>17s} "
              f"{med['tinytorch uncached'] / med['tinytorch cached']:7.1f}x | {cell('numpy cached'):>15s} "
              f"{cell('numpy uncached'):>15s} {med['numpy uncached'] / med['numpy cached']:7.1f}x | {same}, {np_same}, {np_tt}")
    print("\nms per generated token (median): " + "; ".join(
        f"{name}: tinytorch {med['tinytorch cached'] / n:.2f} cached / {med['tinytorch uncached'] / n:.2f} uncached, "
        f"numpy {med['numpy cached'] / n:.2f} / {med['numpy uncached'] / n:.2f}" for name, _, _, n, med, *_ in rows))
    print("thread CPU time speed-up (uncached / cached, medians; on a busy machine closer to an idle one's than wall): " + "; ".join(
        f"{name}: tinytorch {timing['tinytorch uncached']['cpu_median_ms'] / timing['tinytorch cached']['cpu_median_ms']:.1f}x, "
        f"numpy {timing['numpy uncached']['cpu_median_ms'] / timing['numpy cached']['cpu_median_ms']:.1f}x"
        for name, _, _, _, _, timing, *_ in rows) + f"; load average {os.getloadavg()[0]:.1f}")
    record_save("bench_kvcache", dict(threads=ARGS.threads, reps=reps, cases=results), ARGS.out)
    if not ok:
        print("FAILED: tinytorch's cached and uncached generation gave different tokens")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
