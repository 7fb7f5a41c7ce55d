"""`make bench`, convolution part: tinytorch vs hand-written NumPy vs PyTorch CPU, one process, one thread setting.

Cases (float32; details and shapes in conv_impls.py)
  conv2d_fwd_bwd  Conv2d forward + backward: batch 64, 16 -> 32 channels, 32×32, kernel 3, padding 1; the
                  backward pass gets one fixed upstream gradient and returns grad input, weight and bias
  cnn_step        one training step of milestone 04's CNN (mnist/fashion configuration, batch 64): forward,
                  cross-entropy, backward, Adam

Prints a sanity check (the three compute the same outputs and gradients, and the same loss, gradients and
updated weights after one CNN step from the same weights), then the table: median ms per call, ratios
tinytorch/numpy and tinytorch/torch. Timings are interleaved in round-robin blocks (timing.race), so a shared
machine slows all contenders alike; the CPU-time ratios (thread CPU time, which leaves out time the thread sat
preempted) are printed too. Results go to bench/results/bench_conv-<timestamp>.json and latest_bench_conv.json.

Usage: python bench/bench_conv.py [--threads N] [--reps N] [--quick]
"""

import argparse
import os
import sys

_parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
_parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "1")),
                     help="threads for every BLAS / OpenMP pool and torch (default 1, or $BENCH_THREADS)")
_parser.add_argument("--reps", type=int, default=40, help="timed calls per implementation and case (default 40)")
_parser.add_argument("--quick", action="store_true", help="few repetitions (smoke test)")
_parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
ARGS = _parser.parse_args()
if ARGS.quick:
    ARGS.reps = 6

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from threads import environment_line, load_torch, pin_threads  # noqa: E402

pin_threads(ARGS.threads)  # before numpy / torch start their pools

import platform                 # noqa: E402
import time                     # noqa: E402

import numpy as np              # noqa: E402

import conv_impls as ci         # noqa: E402
from timing import race         # noqa: E402
from record import save as record_save  # noqa: E402

torch, TORCH_ERROR = load_torch(ARGS.threads)
HAVE_TORCH = torch is not None

CONV_IMPLS = [ci.TinyTorchConv, ci.NumpyConv] + ([ci.TorchConv] if HAVE_TORCH else [])
CNN_IMPLS = [ci.TinyTorchCNN, ci.NumpyCNN] + ([ci.TorchCNN] if HAVE_TORCH else [])


def rel(a, b):
    a, b = ci.as_numpy(a).astype(np.float64), ci.as_numpy(b).astype(np.float64)
    return float(np.abs(a - b).max() / (np.abs(b).max() + 1e-30))


def sanity_conv(data):
    """Max relative difference to tinytorch of out, grad_x, grad_w, grad_b, per implementation."""
    results = {impl.name: impl(*data).run() for impl in CONV_IMPLS}
    ref = results["tinytorch"]
    return {name: [rel(a, b) for a, b in zip(r, ref)] for name, r in results.items() if name != "tinytorch"}


def sanity_cnn(weights, x, y):
    """One step of each from the same weights: |dloss|, max grad diff (relative to the model's largest gradient),
    max abs updated-weight diff."""
    out, ref = {}, None
    for impl in CNN_IMPLS:
        m = impl(weights, x, y)
        m.step()
        row = (m.loss_value(), [ci.as_numpy(g).copy() for g in m.grads()], [ci.as_numpy(p).copy() for p in m.params()])
        if ref is None:
            ref = row
            continue
        # A conv bias followed by batch norm has gradient 0 in exact arithmetic (the norm subtracts the mean):
        # its computed gradient is float32 noise (~1e-8), so gradients are compared relative to the largest
        # gradient of the model, and Adam's update (which scales any nonzero noise up to ~lr) is compared only
        # for parameters whose gradient is above noise.
        scale = max(float(np.abs(r).max()) for r in ref[1])
        signal = [float(np.abs(r).max()) > 1e-4 * scale for r in ref[1]]
        out[impl.name] = {"loss": row[0], "loss_abs_diff": abs(row[0] - ref[0]),
                          "grad_max_rel_diff": max(float(np.abs(g - r).max()) / scale for g, r in zip(row[1], ref[1])),
                          "param_max_abs_diff": max(float(np.abs(p - r).max())
                                                    for p, r, keep in zip(row[2], ref[2], signal) if keep)}
    out["tinytorch"] = {"loss": ref[0]}
    return out


def print_table(rows):
    head = ("case", "tinytorch ms", "numpy ms", "torch ms", "tinytorch/numpy", "tinytorch/torch",
            "cpu tt/numpy", "cpu tt/torch")
    fmt = lambda s, n: f"{s[n]['median_ms']:.2f}" if n in s else "n/a"
    ratio = lambda s, a, b, k="median_ms": f"{s[a][k] / s[b][k]:.2f}x" if a in s and b in s else "n/a"
    body = [(case, fmt(s, "tinytorch"), fmt(s, "numpy"), fmt(s, "torch"), ratio(s, "tinytorch", "numpy"),
             ratio(s, "tinytorch", "torch"), ratio(s, "tinytorch", "numpy", "cpu_median_ms"),
             ratio(s, "tinytorch", "torch", "cpu_median_ms")) for case, s in rows]
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    line = "  ".join("{:<%d}" % widths[0] if i == 0 else "{:>%d}" % w for i, w in enumerate(widths))
    print(line.format(*head))
    print(line.format(*("-" * w for w in widths)))
    for r in body:
        print(line.format(*r))


def main():
    load_start = os.getloadavg()[0]
    print(environment_line("bench_conv", ARGS.threads, torch, TORCH_ERROR))
    print(f"load average at start {load_start:.2f} on {os.cpu_count()} cores; {ARGS.reps} timed calls per "
          "implementation and case")

    data = ci.conv_data()
    conv_check = sanity_conv(data)
    weights, (x, y) = ci.cnn_weights(), ci.cnn_batch()
    cnn_check = sanity_cnn(weights, x, y)
    conv_ok = all(max(v) < 1e-4 for v in conv_check.values())
    cnn_ok = all(r.get("loss_abs_diff", 0) < 1e-4 and r.get("grad_max_rel_diff", 0) < 1e-4
                 and r.get("param_max_abs_diff", 0) < 0.05 * ci.LR for r in cnn_check.values())
    print("\nsanity:")
    for name, diffs in conv_check.items():
        print(f"  conv2d {name:<6} vs tinytorch: max rel diff out/grad_x/grad_w/grad_b = "
              + "/".join(f"{d:.1e}" for d in diffs))
    for name, r in cnn_check.items():
        if name != "tinytorch":
            print(f"  cnn    {name:<6} vs tinytorch: |dloss|={r['loss_abs_diff']:.1e}  grad max rel diff="
                  f"{r['grad_max_rel_diff']:.1e}  updated-weight max abs diff={r['param_max_abs_diff']:.1e}")
    print(f"  -> {'OK' if conv_ok and cnn_ok else 'MISMATCH: the implementations disagree (timings not comparable)'}")

    conv_fns = {impl.name: impl(*data).run for impl in CONV_IMPLS}
    conv = race(conv_fns, warmup=3, reps=ARGS.reps, rounds=max(2, ARGS.reps // 10))
    cnn_models = {impl.name: impl(weights, x, y) for impl in CNN_IMPLS}
    cnn = race({n: m.step for n, m in cnn_models.items()}, warmup=3, reps=ARGS.reps,
               rounds=max(2, ARGS.reps // 10))
    load_end = os.getloadavg()[0]
    print(f"\nload average at end {load_end:.2f}" + (" (busy machine: compare ratios, rerun when idle)"
                                                    if max(load_start, load_end) > 0.75 * (os.cpu_count() or 1) else ""))
    for case, stats in (("conv2d_fwd_bwd", conv), ("cnn_step", cnn)):
        print(f"  {case}: " + ", ".join(f"{n} {s['median_ms']:.2f} ms (IQR {s['iqr_ms']:.2f}, cpu {s['cpu_median_ms']:.2f})"
                                       for n, s in stats.items()))
    print()
    print_table([("conv2d_fwd_bwd", conv), ("cnn_step", cnn)])

    record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version(),
              "numpy": np.__version__, "torch": torch.__version__ if HAVE_TORCH else None, "threads": ARGS.threads,
              "load_average": {"start": load_start, "end": load_end}, "config": {"conv": ci.CONV, "cnn": ci.CNN},
              "sanity": {"ok": conv_ok and cnn_ok, "conv": conv_check, "cnn": cnn_check},
              "results": {"conv2d_fwd_bwd": conv, "cnn_step": cnn},
              "ratios": {case: {f"{k}tinytorch/{other}": s["tinytorch"][key] / s[other][key]
                                for other in ("numpy", "torch") if other in s
                                for k, key in (("", "median_ms"), ("cpu ", "cpu_median_ms"))}
                         for case, s in (("conv2d_fwd_bwd", conv), ("cnn_step", cnn))}}
    path = record_save("bench_conv", record, ARGS.out)
    print(f"\nresults saved to {os.path.relpath(path)}")
    return 0 if conv_ok and cnn_ok else 1


if __name__ == "__main__":
    sys.exit(main())
