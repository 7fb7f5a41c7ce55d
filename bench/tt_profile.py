"""Where tinytorch's MLP step spends the time hand-written NumPy does not (run by bench_mlp.py).

Everything here only observes tinytorch inside this process (cProfile, per-rule backward timing, dtype and
discarded-work checks); nothing in tinytorch/ is changed.
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
    """Time every gradient rule and unbroadcast; count gradients computed for inputs that need none."""
    import tinytorch.autograd as ag

    original_rules, original_unbroadcast = dict(ag.GRAD_RULES), ag.unbroadcast
    clock = time.perf_counter

    def wrap(name, rule):
        def timed(out, g):
            t0 = clock()
            result = rule(out, g)
            acc["rules"][name] = acc["rules"].get(name, 0.0) + clock() - t0
            for parent, pg in zip(out._inputs, result):
                if pg is None:
                    continue
                pg = np.asarray(pg)
                if pg.dtype.kind == "f" and pg.dtype != parent.dtype:
                    acc["dtype_changes"].add(f"{name}: {parent.dtype} input got a {pg.dtype} gradient")
                if not parent.requires_grad:
                    key = f"{name} -> input of shape {parent.shape}"
                    acc["discarded"][key] = acc["discarded"].get(key, 0) + pg.nbytes
            return result
        return timed

    def timed_unbroadcast(grad, shape):
        t0 = clock()
        out = original_unbroadcast(grad, shape)
        acc["unbroadcast"] += clock() - t0
        return out

    try:
        for name, rule in original_rules.items():
            ag.GRAD_RULES[name] = wrap(name, rule)
        ag.unbroadcast = timed_unbroadcast
        yield
    finally:
        ag.GRAD_RULES.clear()
        ag.GRAD_RULES.update(original_rules)
        ag.unbroadcast = original_unbroadcast


def backward_breakdown(model, xi, yi, reps):
    acc = {"rules": {}, "unbroadcast": 0.0, "discarded": {}, "dtype_changes": set()}
    total = 0.0
    with instrumented_backward(acc):
        for i in range(reps + 5):
            if i == 5:  # warm-up done: reset counters
                acc.update(rules={}, unbroadcast=0.0, discarded={})
                total = 0.0
            model.zero_grad()
            model.forward(xi, yi)
            t0 = time.perf_counter()
            model.backward()
            total += time.perf_counter() - t0
            model.update()
    rules = {k: v / reps * 1e3 for k, v in sorted(acc["rules"].items(), key=lambda kv: -kv[1])}
    engine = total / reps * 1e3 - sum(rules.values()) - acc["unbroadcast"] / reps * 1e3
    return {"backward_ms": total / reps * 1e3, "rules_ms": rules, "unbroadcast_ms": acc["unbroadcast"] / reps * 1e3,
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
