"""`make bench`: tinytorch vs hand-written NumPy vs PyTorch CPU, in one process with one thread setting.

Cases
  mlp_step      one training step of a 784-256-128-10 ReLU MLP at batch 128, float32:
                zero_grad, forward, mean cross-entropy, backward, Adam update; the loss is kept until the next
                step, as a training loop's `loss = ...` keeps it
  mlp_step, malloc heap kept
                the same race after glibc mallopt() stops returning freed heap to the OS, for all three: the
                step without page-fault costs (compute + Python overhead only). Last, as it cannot be undone.
  matmul_1024   a (1024, 1024) @ (1024, 1024) float32 matmul

Prints: a sanity check that the MLPs agree on loss, gradients and updated weights after one step from the
same weights; per-phase times and page faults; and, when tinytorch's step is above the goal (1.3x
hand-written NumPy) or with --profile, where tinytorch's extra time goes and what candidate notebook changes
would save (measured by monkeypatching in this process; tinytorch/ is never edited). Ends with the table
(median ms per call; IQR and page faults in the detail lines). Timings are interleaved in round-robin blocks,
so a shared machine slows all contenders alike. Results go to bench/results/bench_mlp-<timestamp>.json and
bench/results/latest_bench_mlp.json.

Usage: python bench/bench_mlp.py [--threads N] [--reps N] [--quick] [--profile] [--no-profile]
"""

import argparse
import os
import sys

# ---- thread settings: BEFORE numpy/torch are imported, so their BLAS / OpenMP pools start with them ------
_parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
_parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "1")),
                     help="threads for every BLAS / OpenMP pool and torch (default 1, or $BENCH_THREADS)")
_parser.add_argument("--reps", type=int, default=300, help="timed MLP steps per implementation (default 300)")
_parser.add_argument("--matmul-reps", type=int, default=30, help="timed 1024 matmuls per implementation")
_parser.add_argument("--quick", action="store_true", help="few repetitions (smoke test)")
_parser.add_argument("--profile", action="store_true", help="profile tinytorch even if within the goal")
_parser.add_argument("--no-profile", action="store_true", help="never profile")
_parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
ARGS = _parser.parse_args()
if ARGS.quick:
    ARGS.reps, ARGS.matmul_reps = 30, 5

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from threads import THREAD_VARS, pin_threads  # noqa: E402

pin_threads(ARGS.threads)  # before numpy / torch start their pools

import platform                 # noqa: E402
import time                     # noqa: E402

import numpy as np              # noqa: E402

from mlp_impls import LR, NumpyMLP, TinyTorchMLP, TorchMLP, as_numpy, init_weights, matmul_cases  # noqa: E402
from timing import malloc_keep_heap, minor_faults, race  # noqa: E402
from record import save as record_save  # noqa: E402

try:
    import torch
    HAVE_TORCH, TORCH_ERROR = True, None
except Exception as exc:  # ImportError, or a broken install (missing shared library, ...)
    torch, HAVE_TORCH, TORCH_ERROR = None, False, f"{type(exc).__name__}: {exc}"

try:
    import threadpoolctl
except ImportError:
    threadpoolctl = None

GOAL = 1.3                      # the target: tinytorch MLP step within 1.3x of hand-written NumPy
SIZES = (784, 256, 128, 10)
BATCH = 128
IMPLS = [TinyTorchMLP, NumpyMLP] + ([TorchMLP] if HAVE_TORCH else [])


# ----------------------------------------------------------------------------------------------- threads
def apply_thread_settings(n):
    """Pin every pool to n threads and report what each library actually runs with."""
    info = {"requested": n, "env": {v: os.environ.get(v) for v in THREAD_VARS}}
    if threadpoolctl is not None:
        threadpoolctl.threadpool_limits(n)
        info["threadpoolctl"] = [
            {k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version", "filepath")}
            for p in threadpoolctl.threadpool_info()]
    else:
        info["threadpoolctl"] = "not installed (thread counts set through the environment variables above)"
    info["numpy_openblas"] = openblas_runtime()
    if HAVE_TORCH:
        torch.set_num_threads(n)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        info["torch_num_threads"] = torch.get_num_threads()
        info["torch_interop_threads"] = torch.get_num_interop_threads()
    return info


def openblas_runtime():
    """Thread count and kernel ("core") NumPy's bundled OpenBLAS actually uses, asked through ctypes (works
    without threadpoolctl); None where NumPy is not linked against a bundled OpenBLAS."""
    import ctypes
    import glob
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*.so*"))
    if not libs:
        return None
    try:
        lib = ctypes.CDLL(libs[0])
    except OSError:
        return None
    out = {"library": os.path.basename(libs[0])}
    for key, names, restype in (
            ("num_threads", ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                             "openblas_get_num_threads"), ctypes.c_int),
            ("corename", ("scipy_openblas_get_corename64_", "openblas_get_corename64_", "openblas_get_corename"),
             ctypes.c_char_p)):
        for name in names:
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = restype
                value = fn()
                out[key] = value.decode() if isinstance(value, bytes) else value
                break
    return out


def blas_env():
    """BLAS-related environment variables that change kernels for all three alike (reported, never changed)."""
    keys = sorted(k for k in os.environ if k.startswith(("OPENBLAS", "MKL", "GOTO", "NVPL", "KMP", "DNNL",
                                                         "ONEDNN", "ATEN", "TORCH")))
    out = {k: os.environ[k] for k in keys if k not in THREAD_VARS}
    out.setdefault("OPENBLAS_CORETYPE", os.environ.get("OPENBLAS_CORETYPE"))
    return out


def numpy_blas():
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{cfg.get('name')} {cfg.get('version')} ({cfg.get('openblas configuration', '').split()[0:2]})"
    except Exception:  # older numpy
        return "unknown"


# -------------------------------------------------------------------------------------------------- data
def make_batch(seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    return x, y


# ------------------------------------------------------------------------------------------------ sanity
def sanity_check(weights, x, y):
    """One step of each implementation from the same weights: loss, gradients and updated weights agree."""
    results, ref = {}, None
    for impl in IMPLS:
        m = impl(weights)
        xi, yi = impl.inputs(x, y)
        m.zero_grad()
        m.forward(xi, yi)
        m.backward()
        loss, grads = m.loss_value(), [as_numpy(g).copy() for g in m.grads()]
        m.update()
        params = [as_numpy(p).copy() for p in m.params()]
        dtypes = sorted({str(a.dtype) for a in grads + params})
        row = {"loss": loss, "dtypes": dtypes}
        if ref is None:
            ref = (loss, grads, params)
        else:
            row["loss_abs_diff_vs_tinytorch"] = abs(loss - ref[0])
            row["grad_max_rel_diff_vs_tinytorch"] = max(
                float(np.abs(g - r).max() / (np.abs(r).max() + 1e-30)) for g, r in zip(grads, ref[1]))
            row["param_max_abs_diff_vs_tinytorch"] = max(
                float(np.abs(p - r).max()) for p, r in zip(params, ref[2]))
        results[impl.name] = row
    # Adam's first step moves every weight by ~lr * g/(|g| + eps): float32 rounding of gradients near eps can
    # change that by a visible fraction of lr, so updated weights are compared against lr, not exactly.
    ok = all(r.get("loss_abs_diff_vs_tinytorch", 0) < 1e-5 and r.get("grad_max_rel_diff_vs_tinytorch", 0) < 1e-4
             and r.get("param_max_abs_diff_vs_tinytorch", 0) < 0.05 * LR for r in results.values())
    return results, ok


# ----------------------------------------------------------------------------------------------- timings
def time_mlp_steps(weights, x, y):
    """Race the training steps; returns (stats, contenders) with contenders = name -> (model, x, y)."""
    contenders, fns = {}, {}
    for impl in IMPLS:
        m = impl(weights)
        xi, yi = impl.inputs(x, y)
        contenders[impl.name] = (m, xi, yi)
        fns[impl.name] = (lambda m=m, xi=xi, yi=yi: m.step(xi, yi))
    return race(fns, warmup=min(30, ARGS.reps), reps=ARGS.reps, rounds=max(3, ARGS.reps // 20)), contenders


def time_phases(contenders, reps):
    """Median ms and mean minor page faults of zero_grad, forward (incl. loss), backward and update.

    Runs on the models just raced, right after the race, so the allocator is in the state the race left.
    """
    out = {}
    clock = time.perf_counter
    for name, (m, xi, yi) in contenders.items():
        names = ("zero_grad", "forward", "backward", "update")
        ms = {k: [] for k in names}
        faults = dict.fromkeys(names, 0)
        for _ in range(reps):
            t, f = [clock()], [minor_faults()]
            for fn in (m.zero_grad, lambda: m.forward(xi, yi), m.backward, m.update):
                fn()
                t.append(clock())
                f.append(minor_faults())
            for i, k in enumerate(names):
                ms[k].append(t[i + 1] - t[i])
                faults[k] += f[i + 1] - f[i]
        out[name] = {"median_ms": {k: float(np.median(v) * 1e3) for k, v in ms.items()},
                     "faults_per_step": {k: v / reps for k, v in faults.items()}}
    return out


def time_matmul():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((1024, 1024)).astype(np.float32)
    b = rng.standard_normal((1024, 1024)).astype(np.float32)
    cases = matmul_cases(a, b, HAVE_TORCH)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    check = {name: float(np.abs(as_numpy(fn()) - ref).max() / np.abs(ref).max()) for name, fn in cases.items()}
    dtypes = {name: str(as_numpy(fn()).dtype) for name, fn in cases.items()}
    stats = race(cases, warmup=3, reps=ARGS.matmul_reps, rounds=3)
    for s in stats.values():
        s["gflops"] = 2 * 1024 ** 3 / (s["median_ms"] * 1e-3) / 1e9
    return stats, {"max_rel_err_vs_float64": check, "result_dtype": dtypes}


# ------------------------------------------------------------------------------------------------ output
def fmt_ms(stats, name, key="median_ms"):
    return f"{stats[name][key]:.3f}" if name in stats else "n/a"


def fmt_ratio(stats, a, b, key="median_ms"):
    if a in stats and b in stats:
        return f"{stats[a][key] / stats[b][key]:.2f}x"
    return "n/a"


def print_table(rows, key="median_ms"):
    head = ("case", "tinytorch ms", "numpy ms", "torch ms", "tinytorch/numpy", "tinytorch/torch")
    body = [(case, fmt_ms(s, "tinytorch", key), fmt_ms(s, "numpy", key), fmt_ms(s, "torch", key),
             fmt_ratio(s, "tinytorch", "numpy", key), fmt_ratio(s, "tinytorch", "torch", key)) for case, s in rows]
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    line = "  ".join("{:<%d}" % widths[0] if i == 0 else "{:>%d}" % w for i, w in enumerate(widths))
    print(line.format(*head))
    print(line.format(*("-" * w for w in widths)))
    for r in body:
        print(line.format(*r))


def load_note():
    load = os.getloadavg()[0]
    busy = load > 0.75 * (os.cpu_count() or 1)
    return load, (f"load average {load:.2f} on {os.cpu_count()} cores"
                  + (": the machine is busy, timings are noisy (compare ratios, rerun when idle)" if busy else ""))


def main():
    load_start = load_note()
    threads = apply_thread_settings(ARGS.threads)
    env = blas_env()
    weights = init_weights(SIZES, seed=0)
    x, y = make_batch()

    print(f"bench_mlp: python {platform.python_version()}, numpy {np.__version__} [{numpy_blas()}], "
          f"torch {torch.__version__ if HAVE_TORCH else 'n/a (' + TORCH_ERROR + ')'}")
    ob = threads["numpy_openblas"] or {}
    print(f"threads: {ARGS.threads} for all three (set: {', '.join(THREAD_VARS[:3])}={ARGS.threads}, "
          + (f"torch.set_num_threads({ARGS.threads}); " if HAVE_TORCH else "")
          + "running with: "
          + (f"numpy OpenBLAS {ob.get('num_threads')} [kernel {ob.get('corename')}]" if ob else "numpy BLAS ?")
          + (f", torch {threads['torch_num_threads']} (interop {threads['torch_interop_threads']})"
             if HAVE_TORCH else "")
          + ("; threadpoolctl: " + ", ".join(f"{p['internal_api']}={p['num_threads']}"
                                             for p in threads["threadpoolctl"])
             if isinstance(threads["threadpoolctl"], list) else "; threadpoolctl not installed") + ")")
    print("BLAS env (left as found, applies to all three): "
          + ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in env.items()))
    print(f"at start: {load_start[1]}")
    print(f"cpu: {os.cpu_count()} logical cores visible; MLP {'-'.join(map(str, SIZES))} batch {BATCH} float32, "
          f"Adam; {ARGS.reps} timed steps, {ARGS.matmul_reps} timed matmuls per implementation")

    sanity, sane = sanity_check(weights, x, y)
    print("\nsanity (one step from the same weights):")
    for name, r in sanity.items():
        extra = "" if name == "tinytorch" else (
            f"  |dloss|={r['loss_abs_diff_vs_tinytorch']:.1e}  grad max rel diff={r['grad_max_rel_diff_vs_tinytorch']:.1e}"
            f"  updated-weight max abs diff={r['param_max_abs_diff_vs_tinytorch']:.1e}")
        print(f"  {name:<10} loss={r['loss']:.6f}  dtypes={'/'.join(r['dtypes'])}{extra}")
    print(f"  -> {'OK: ' + ', '.join(sanity) + ' agree' if sane else 'MISMATCH: the implementations disagree (timings not comparable)'}")

    # 1. default allocator: what a training script gets
    mlp, contenders = time_mlp_steps(weights, x, y)
    phases = time_phases(contenders, reps=max(20, ARGS.reps // 3))
    del contenders
    mm, mm_check = time_matmul()
    ratio = mlp["tinytorch"]["median_ms"] / mlp["numpy"]["median_ms"]
    want_profile = ARGS.profile or (ratio > GOAL and not ARGS.no_profile)
    profile = None
    if want_profile:
        from tt_profile import profile_tinytorch
        profile = profile_tinytorch(weights, x, y, reps=max(30, ARGS.reps // 3))

    # 2. the same MLP race with glibc's heap kept (no page faults from re-allocated temporaries), for all three
    mlp_keep, keep_ok = None, malloc_keep_heap()
    if keep_ok:
        mlp_keep, _ = time_mlp_steps(weights, x, y)

    rows = [("mlp_step (784-256-128-10, b=128)", mlp)]
    if mlp_keep:
        rows.append(("mlp_step, malloc heap kept [1]", mlp_keep))
    rows.append(("matmul 1024x1024 f32", mm))

    print("\nphase breakdown of one MLP step, default malloc, on the raced models: median ms [minor page faults]")
    print("  {:<10} {:>16} {:>16} {:>16} {:>16}".format("", *next(iter(phases.values()))["median_ms"].keys()))
    for name, ph in phases.items():
        print("  {:<10} ".format(name) + " ".join(
            "{:>16}".format(f"{ph['median_ms'][k]:.3f} [{ph['faults_per_step'][k]:.0f}]") for k in ph["median_ms"]))
    print()
    for case, stats in rows:
        print(f"{case}: " + "; ".join(
            f"{n} median {s['median_ms']:.3f} ms IQR {s['iqr_ms']:.3f} ms (CPU {s['cpu_median_ms']:.3f}, "
            f"IQR {s['cpu_iqr_ms']:.3f}; n={s['n']})"
            + (f", {s['gflops']:.0f} GFLOP/s" if "gflops" in s else "")
            + f", {s['faults_per_call']:.0f} page faults/call" for n, s in stats.items()))
    print("matmul max rel err vs float64: " + ", ".join(
        f"{n} {e:.1e} ({mm_check['result_dtype'][n]})" for n, e in mm_check["max_rel_err_vs_float64"].items()))

    print()
    if ARGS.threads == 1:
        print("thread CPU time (time.thread_time; with 1 thread the whole cost of a call, minus the time the "
              "machine made it wait), median ms:")
        print_table(rows, key="cpu_median_ms")
        print()
    print("wall time (time.perf_counter), median ms:")
    print_table(rows)
    if mlp_keep:
        print("[1] glibc mallopt: no heap trimming / no mmap below 32 MiB, for all three (isolates compute and "
              "Python overhead from page faults)")
    load_end = load_note()
    print(f"at end: {load_end[1]}")
    cpu_ratio = mlp["tinytorch"]["cpu_median_ms"] / mlp["numpy"]["cpu_median_ms"]
    verdict = "MEETS" if ratio <= GOAL else "MISSES"
    print(f"goal: tinytorch MLP step within {GOAL}x of hand-written NumPy -> {ratio:.2f}x wall"
          + (f", {cpu_ratio:.2f}x CPU" if ARGS.threads == 1 else "")
          + (f" ({mlp_keep['tinytorch']['median_ms'] / mlp_keep['numpy']['median_ms']:.2f}x wall with the heap kept)"
             if mlp_keep else "") + f": {verdict} the goal")

    record = {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "python": platform.python_version(), "numpy": np.__version__, "numpy_blas": numpy_blas(),
        "torch": torch.__version__ if HAVE_TORCH else None, "torch_error": TORCH_ERROR,
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpu_count": os.cpu_count()},
        "threads": threads, "blas_env": env, "load_average": {"start": load_start[0], "end": load_end[0]},
        "config": {"sizes": SIZES, "batch": BATCH, "reps": ARGS.reps, "matmul_reps": ARGS.matmul_reps},
        "sanity": {"ok": sane, "per_impl": sanity},
        "results": {"mlp_step": mlp, "mlp_step_heap_kept": mlp_keep, "matmul_1024": mm},
        "matmul_check": mm_check,
        "ratios": {case: {"tinytorch/numpy": s["tinytorch"]["median_ms"] / s["numpy"]["median_ms"],
                          "tinytorch/torch": (s["tinytorch"]["median_ms"] / s["torch"]["median_ms"]
                                              if "torch" in s else None),
                          "cpu tinytorch/numpy": s["tinytorch"]["cpu_median_ms"] / s["numpy"]["cpu_median_ms"],
                          "cpu tinytorch/torch": (s["tinytorch"]["cpu_median_ms"] / s["torch"]["cpu_median_ms"]
                                                  if "torch" in s else None)}
                   for case, s in (("mlp_step", mlp), ("mlp_step_heap_kept", mlp_keep), ("matmul_1024", mm))
                   if s},
        "phases_ms": phases,
        "goal": {"tinytorch/numpy_max": GOAL, "ratio": ratio, "cpu_ratio": cpu_ratio, "met": ratio <= GOAL},
        "profile": profile,
    }
    path = record_save("bench_mlp", record, ARGS.out)
    print(f"\nresults saved to {os.path.relpath(path)}")
    return 0 if sane else 1


if __name__ == "__main__":
    sys.exit(main())
