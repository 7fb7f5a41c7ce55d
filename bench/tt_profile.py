"""Where tinytorch's MLP step spends the time hand-written NumPy does not (run by bench_mlp.py).

Everything here only observes tinytorch inside this process: cProfile, and tinytorch's own op hook
(`tinytorch.tensor.add_op_hook`), which reports each gradient rule's time and result during backward (per-rule
time, dtype changes, discarded gradients). Nothing in tinytorch is patched or replaced.
"""

import contextlib
import cProfile
import os
import pstats
import time

import numpy as np

from mlp_impls import NumpyMLP, TinyTorchMLP


# ------------------------------------------------------------------------------------------- cProfile
def cprofile_top(model, xi, yi, reps, top=14):
    prof = cProfile.Profile()
    for _ in range(10):
        model.step(xi, yi)
    prof.enable()
    for _ in range(reps):
        model.step(xi, yi)
    prof.disable()
    stats = pstats.Stats(prof)
    rows = []
    for (path, line, func), (cc, nc, tt, ct, _) in stats.stats.items():
        short = f"{os.path.basename(os.path.dirname(path))}/{os.path.basename(path)}:{line}({func})" \
            if path != "~" else func
        rows.append({"function": short, "calls_per_step": nc / reps, "tottime_ms_per_step": tt / reps * 1e3,
                     "cumtime_ms_per_step": ct / reps * 1e3})
    rows.sort(key=lambda r: -r["tottime_ms_per_step"])
    return rows[:top]


# ------------------------------------------------------------------------------ backward, rule by rule
@contextlib.contextmanager
def instrumented_backward(acc):
    """Per backward: the time of every gradient rule, the time unbroadcast takes on each rule's result, dtype
    changes, and gradients computed for inputs that need none. All through one op hook; nothing is patched.

    The hook sees each rule's time and result (OpEvent.seconds, .grads). The engine's unbroadcast of those
    results is not reported by the hook, so the hook replays it on the same arrays (a pure function, same
    inputs, same work) and times the replay; the hook's own time is counted apart so that the engine's
    remaining time can be computed from the total.
    """
    from tinytorch.autograd import unbroadcast
    from tinytorch.tensor import add_op_hook

    clock = time.perf_counter

    def observe(event):
        if event.phase != "backward":
            return
        t_hook = clock()
        name = event.op
        acc["rules"][name] = acc["rules"].get(name, 0.0) + event.seconds
        for parent, pg in zip(event.output._inputs, event.grads):
            if pg is None:
                continue
            if pg.dtype.kind == "f" and pg.dtype != parent.dtype:
                acc["dtype_changes"].add(f"{name}: {parent.dtype} input got a {pg.dtype} gradient")
            if not parent.requires_grad:
                key = f"{name} -> input of shape {parent.shape}"
                acc["discarded"][key] = acc["discarded"].get(key, 0) + pg.nbytes
                continue
            t0 = clock()
            unbroadcast(pg, parent.shape)  # what the engine does next with this gradient
            acc["unbroadcast"] += clock() - t0
        acc["hook"] += clock() - t_hook

    with add_op_hook(observe):
        yield


def backward_breakdown(model, xi, yi, reps):
    acc = {"rules": {}, "unbroadcast": 0.0, "hook": 0.0, "discarded": {}, "dtype_changes": set()}
    total = 0.0
    with instrumented_backward(acc):
        for i in range(reps + 5):
            if i == 5:  # warm-up done: reset counters
                acc.update(rules={}, unbroadcast=0.0, hook=0.0, discarded={})
                total = 0.0
            model.zero_grad()
            model.forward(xi, yi)
            t0 = time.perf_counter()
            model.backward()
            total += time.perf_counter() - t0
            model.update()
    rules = {k: v / reps * 1e3 for k, v in sorted(acc["rules"].items(), key=lambda kv: -kv[1])}
    # the hook's own time (its unbroadcast replay included) is not the engine's: take it out of the total
    backward_ms = (total - acc["hook"]) / reps * 1e3
    engine = backward_ms - sum(rules.values()) - acc["unbroadcast"] / reps * 1e3
    return {"backward_ms": backward_ms, "rules_ms": rules, "unbroadcast_ms": acc["unbroadcast"] / reps * 1e3,
            "engine_rest_ms": engine,
            "discarded_grad_bytes_per_step": {k: v // reps for k, v in acc["discarded"].items()},
            "dtype_changes": sorted(acc["dtype_changes"])}


def graph_dtypes(model, xi, yi):
    """dtypes of every tensor in one recorded graph and of the parameter gradients."""
    from tinytorch.autograd import topological_order
    model.zero_grad()
    loss = model.forward(xi, yi)
    nodes = topological_order(loss)
    model.backward()
    found = {}
    for n in nodes:
        found.setdefault(str(n.dtype), []).append(n._op or "leaf")
    grads = sorted({str(g.dtype) for g in model.grads()})
    return {"graph_nodes_by_dtype": {k: len(v) for k, v in found.items()}, "grad_dtypes": grads,
            "n_nodes": len(nodes)}


def profile_tinytorch(weights, x, y, reps):
    print("\n=== where tinytorch's MLP step spends its time (default malloc) ===")
    xi, yi = TinyTorchMLP.inputs(x, y)

    dtypes = graph_dtypes(TinyTorchMLP(weights), xi, yi)
    print(f"dtypes in the recorded graph ({dtypes['n_nodes']} nodes): {dtypes['graph_nodes_by_dtype']}; "
          f"parameter grads: {dtypes['grad_dtypes']}")

    bw = backward_breakdown(TinyTorchMLP(weights), xi, yi, reps)
    print(f"backward {bw['backward_ms']:.3f} ms/step: rules " + ", ".join(
        f"{k} {v:.3f}" for k, v in bw["rules_ms"].items() if v >= 0.005)
        + f"; unbroadcast {bw['unbroadcast_ms']:.3f}; engine rest (topo sort, dict, leaf copies) "
        f"{bw['engine_rest_ms']:.3f}")
    for k, v in bw["discarded_grad_bytes_per_step"].items():
        print(f"  computed then thrown away (input needs no grad): {k}, {v / 1024:.0f} KiB per step")
    for k in bw["dtype_changes"]:
        print(f"  dtype change: {k}")

    top = cprofile_top(TinyTorchMLP(weights), xi, yi, reps)
    print("cProfile, top functions by own time (ms per step; includes the NumPy/BLAS call they make):")
    for r in top[:10]:
        print(f"  {r['tottime_ms_per_step']:7.3f}  x{r['calls_per_step']:<5.0f} {r['function']}")

    return {"dtypes": dtypes, "backward": bw, "cprofile_top": top}
