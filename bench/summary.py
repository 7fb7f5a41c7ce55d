"""`make bench`'s last step: one table of every measurement the bench scripts of this run saved.

Reads bench/results/latest_<script>.json (bench/record.py) and prints, per case, the median wall time of tinytorch,
the hand-written NumPy and PyTorch CPU implementations and their ratios, then the KV cache's speed-up, int8 against
float32 inference, structured pruning's latency and module 18's four matrix products, each as its script measured it
in one process. A file written before --since (the start of this `make bench`, seconds since the epoch) is reported
as missing from this run rather than mixed into it. Exits 1 if a script of this run left no results.

Usage: python bench/summary.py [--since EPOCH_SECONDS]
"""
import argparse
import json
import os
import sys

from record import RESULTS

SPEED_CASES = (("bench_mlp", "mlp_step", "MLP 784-256-128-10 training step, batch 128"),
               ("bench_mlp", "matmul_1024", "matmul 1024 x 1024"),
               ("bench_conv", "conv2d_fwd_bwd", "Conv2d forward + backward, batch 64"),
               ("bench_conv", "cnn_step", "milestone 04 CNN training step, batch 64"),
               ("bench_gpt", "gpt_step", "milestone 05 GPT training step, batch 32"))


def load(name, since):
    path = os.path.join(RESULTS, f"latest_{name}.json")
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        record = json.load(f)
    return record if record.get("written", 0) >= since else None


def speed_rows(records):
    """(label, {impl: median ms}) for the tinytorch / NumPy / PyTorch cases, attention lengths in order."""
    rows = []
    for name, case, label in SPEED_CASES:
        if records.get(name):
            rows.append((label, records[name]["results"].get(case)))
        if name == "bench_gpt" and records.get(name):
            lengths = sorted(int(k.split("_")[1]) for k in records[name]["results"] if k.startswith("attention_"))
            rows += [(f"causal attention forward + backward, T = {t}", records[name]["results"][f"attention_{t}"])
                     for t in lengths]
    return [(label, cells) for label, cells in rows if cells]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--since", type=float, default=0.0)
    args = parser.parse_args()
    names = ("bench_mlp", "bench_conv", "bench_gpt", "bench_kvcache", "bench_quantization", "bench_compression",
             "bench_matmul")
    records = {name: load(name, args.since) for name in names}
    missing = [name for name, record in records.items() if record is None]

    print("\n== make bench: every measurement of this run (median wall ms; ratios measured in the same process) ==")
    print(f"{'case':52s} {'tinytorch':>10s} {'NumPy':>9s} {'PyTorch':>9s} {'tt/NumPy':>9s} {'tt/PyTorch':>10s}")
    for label, cells in speed_rows(records):
        ms = {impl: cells[impl]["median_ms"] for impl in ("tinytorch", "numpy", "torch") if impl in cells}
        ratio = lambda other: f"{ms['tinytorch'] / ms[other]:.2f}x" if other in ms else "-"
        cell = lambda impl: f"{ms[impl]:.2f}" if impl in ms else "-"
        print(f"{label:52s} {cell('tinytorch'):>10s} {cell('numpy'):>9s} {cell('torch'):>9s} {ratio('numpy'):>9s} "
              f"{ratio('torch'):>10s}")

    kv = records["bench_kvcache"]
    if kv:
        print(f"\n{'KV cache: text generation':52s} {'cached ms':>10s} {'uncached':>9s} {'speed-up':>9s} "
              f"{'NumPy speed-up':>15s} tokens equal")
        for case, r in kv["cases"].items():
            t = {k: v["median_ms"] for k, v in r["timing"].items()}
            label = f"{case}: {r['new_tokens']} tokens after {r['prompt']}, context {r['max_seq_len']}"
            print(f"{label:52s} {t['tinytorch cached']:10.1f} {t['tinytorch uncached']:9.1f} "
                  f"{t['tinytorch uncached'] / t['tinytorch cached']:8.1f}x "
                  f"{t['numpy uncached'] / t['numpy cached']:14.1f}x {r['tokens_equal']}")

    quant = records["bench_quantization"]
    if quant:
        print(f"\n{'int8 inference (quantize_model), batch 256':52s} {'float ms':>10s} {'int8 ms':>9s} {'bytes':>9s} "
              f"{'float acc':>10s} {'int8 acc':>9s}")
        for r in quant["rows"]:
            print(f"{r['model'] + ' on MNIST':52s} {r['float_ms']:10.2f} {r['int8_ms']:9.2f} {r['bytes_ratio']:9.1%} "
                  f"{r['float_accuracy']:10.2%} {r['int8_accuracy']:9.2%}")

    comp = records["bench_compression"]
    if comp:
        print(f"\n{'structured pruning (prune_neurons), batch 256':52s} {'ms':>10s} {'params':>9s} {'accuracy':>9s}")
        for r in comp["structured"]:
            acc = r["accuracy_finetuned"] if r["accuracy_finetuned"] is not None else r["accuracy"]
            print(f"{'MLP ' + r['shape']:52s} {r['latency_ms']:10.2f} {r['parameters']:9,d} {acc:9.2%}")

    mm = records["bench_matmul"]
    if mm:
        print(f"\n{'matmul four ways (18), float32':52s} {'ms':>10s} {'GFLOP/s':>9s} {'of roof':>9s} "
              f"(peak {mm['peak_flops'] / 1e9:.1f} GFLOP/s, bandwidth {mm['bandwidth'] / 1e9:.1f} GB/s)")
        for case in mm["cases"].values():
            print(f"{'n = %d, %s' % (case['n'], case['version']):52s} {case['timing']['median_ms']:10.3f} "
                  f"{case['gflops']:9.2f} {case['gflops'] / case['roof_gflops']:9.1%}")

    if missing:
        print(f"\nno results from this run: {', '.join(missing)} (see its output above)")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
