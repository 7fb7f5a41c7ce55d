"""`make bench`, acceleration part: one matrix product four ways (module 18), timed side by side and checked equal,
and placed on this machine's measured roofline.

Contenders, all on the same float32 inputs (standard normal, np.random.default_rng(0)), from tinytorch.acceleration:
  loops          matmul_loops (three Python loops): at 64 x 64 only (a 512 x 512 product would take minutes)
  rows           matmul_rows (one output row at a time, broadcasting; no BLAS)
  tiled T rows   matmul_tiled(tile_size=T, block_matmul=matmul_rows): cache blocking with no BLAS anywhere
  tiled T BLAS   matmul_tiled(tile_size=T) (np.matmul on T x T blocks), T = 16, 32, 64, 128, 256
  BLAS           a @ b (NumPy's BLAS)
at 64 and at the sizes 512 and 1024 (--sizes). Every result is compared with a @ b (the largest |difference| is
printed; the script exits 1 when one exceeds 1e-3 of the largest |entry|). This machine's roofs: peak FLOP/s from a
2048 x 2048 float32 BLAS product (measure_peak_flops), bandwidth from a 256 MiB copy (measure_bandwidth; a copy reads
and writes: 2 x 256 MiB moved), each the best of three medians (a shared machine only ever slows a measurement
down). Each product's FLOPs (2·n³) over its median time, against the roof min(P, I·β) at its minimum-traffic
intensity I (matmul_bytes). Timings: time.perf_counter; the slow contenders (1-2 calls) alone, the others interleaved
round-robin (timing.race); median and IQR; one untimed call each first (the one checked). Prints one table; results go
to bench/results/bench_matmul-<timestamp>.json and latest_bench_matmul.json.

Usage: python bench/bench_matmul.py [--threads N] [--reps N] [--sizes 512,1024] [--quick]
"""

import argparse
import os
import sys

_parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
_parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "1")),
                     help="threads for every BLAS / OpenMP pool (default 1, or $BENCH_THREADS)")
_parser.add_argument("--reps", type=int, default=5, help="timed calls per fast contender (default 5)")
_parser.add_argument("--sizes", default="512,1024", help="square matrix sizes (default 512,1024)")
_parser.add_argument("--quick", action="store_true", help="sizes 128 and 256, two calls each (smoke test)")
_parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
ARGS = _parser.parse_args()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from threads import THREAD_VARS, pin_threads  # noqa: E402

pin_threads(ARGS.threads)

import numpy as np  # noqa: E402

from record import save as record_save  # noqa: E402
from timing import race  # noqa: E402

from tinytorch.acceleration import (matmul_bytes, matmul_flops, matmul_loops, matmul_rows, matmul_tiled,  # noqa: E402
                                    measure_bandwidth, measure_peak_flops, roofline)

TILES = (16, 32, 64, 128, 256)


def contenders(n, reps):
    """name -> (fn(a, b), timed calls): the slow ones get fewer calls so one run stays a few minutes."""
    slow = max(1, reps // 3) if n <= 512 else 1
    out = {}
    if n <= 64:
        out["loops"] = (matmul_loops, 1)
    out["rows"] = (matmul_rows, slow)
    for t in (32, 128):
        if t < n:
            out[f"tiled {t} rows"] = (lambda a, b, t=t: matmul_tiled(a, b, t, matmul_rows), 1)
    for t in TILES:
        if t <= n:
            out[f"tiled {t} BLAS"] = (lambda a, b, t=t: matmul_tiled(a, b, t), slow if t == 16 else reps)
    out["BLAS"] = (np.matmul, reps * 4)
    return out


def main():
    sizes = [128, 256] if ARGS.quick else [int(s) for s in ARGS.sizes.split(",")]
    reps = 2 if ARGS.quick else ARGS.reps
    print(f"bench_matmul: numpy {np.__version__}; threads {ARGS.threads} ({', '.join(THREAD_VARS[:3])}={ARGS.threads}); "
          f"float32; sizes {sizes}")
    # the best of 3 medians: a roof is what the machine CAN do, and a shared machine only ever slows a run down
    peak = max((measure_peak_flops(n=512 if ARGS.quick else 2048, repeats=max(reps, 3)) for _ in range(3)),
               key=lambda m: m["flops_per_second"])
    copy = max((measure_bandwidth(nbytes=(64 if ARGS.quick else 256) * 2**20, repeats=max(reps, 3)) for _ in range(3)),
               key=lambda m: m["bytes_per_second"])
    P, beta = peak["flops_per_second"], copy["bytes_per_second"]
    ridge = roofline(1.0, 1.0, P, beta)["ridge_point"]
    print(f"roofs: peak {P / 1e9:.1f} GFLOP/s (BLAS product, median {peak['seconds'] * 1e3:.1f} ms), bandwidth "
          f"{beta / 1e9:.1f} GB/s (copy, {copy['bytes'] / 2**20:.0f} MiB moved in {copy['seconds'] * 1e3:.1f} ms), "
          f"ridge point {ridge:.1f} FLOP/byte")
    rng = np.random.default_rng(0)
    header = (f"{'n':>5} {'version':16s} {'calls':>5} {'median ms':>11} {'IQR ms':>9} {'GFLOP/s':>8} {'FLOP/B':>7} "
              f"{'roof GFLOP/s':>12} {'of roof':>8} {'vs BLAS':>8} {'max|diff|':>9}")
    rows, results, ok = [header], {}, True
    for n in ([64] if not ARGS.quick else []) + sizes:
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        reference = a @ b
        scale = float(np.abs(reference).max())
        table = contenders(n, reps)
        diffs = {}
        for name, (fn, _) in table.items():
            diffs[name] = float(np.abs(fn(a, b) - reference).max())        # also the warm-up call
            ok &= diffs[name] <= 1e-3 * scale
        timed = {}
        for name, (fn, calls) in table.items():                            # slow ones alone, the rest interleaved
            if calls <= 2:
                timed[name] = race({name: lambda fn=fn: fn(a, b)}, warmup=0, reps=calls, rounds=1)[name]
        timed.update(race({name: (lambda fn=fn: fn(a, b)) for name, (fn, calls) in table.items() if calls > 2},
                          warmup=0, reps=reps * 4, rounds=reps))
        r = roofline(matmul_flops(n, n, n), matmul_bytes(n, n, n, 4), P, beta)
        blas = timed["BLAS"]["median_ms"]
        for name in table:
            t = timed[name]
            rate = matmul_flops(n, n, n) / (t["median_ms"] / 1e3)
            rows.append(f"{n:>5} {name:16s} {t['n']:>5} {t['median_ms']:11.3f} {t['iqr_ms']:9.3f} {rate / 1e9:8.2f} "
                        f"{r['intensity']:7.1f} {r['attainable'] / 1e9:12.1f} {rate / r['attainable']:8.1%} "
                        f"{t['median_ms'] / blas:7.1f}x {diffs[name]:9.1e}")
            results[f"{n} {name}"] = dict(n=n, version=name, timing=t, gflops=rate / 1e9, max_abs_diff=diffs[name],
                                          intensity=r["intensity"], roof_gflops=r["attainable"] / 1e9)
    print("\n".join(rows))
    print("all versions agree with a @ b" if ok else "SOME VERSION DISAGREES WITH a @ b (see max|diff|)")
    record_save("bench_matmul", dict(threads=ARGS.threads, reps=reps, peak_flops=P, bandwidth=beta, ridge_point=ridge,
                                     cases=results), ARGS.out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
