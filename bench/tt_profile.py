"""Where tinytorch's MLP step spends the time hand-written NumPy does not (run by bench_mlp.py).

Everything here observes or temporarily monkeypatches tinytorch INSIDE this process; nothing in tinytorch/ is
edited. The "what-if" variants are candidate changes for the source notebooks, measured against the same
hand-written NumPy step, so the lead can see what each one is worth before touching a notebook.
"""

import contextlib
import cProfile
import os
import pstats
import time

import numpy as np

from mlp_impls import NumpyMLP, TinyTorchMLP
from timing import race


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


# ------------------------------------------------------------------------------------------- what-ifs
def grad_matmul_skip_unneeded(out, g):
    """tinytorch's grad_matmul, computing each operand's gradient only if that operand requires grad.

    backward() already skips parents with requires_grad=False, so returning None for them is safe.
    """
    a, b = out._inputs
    A, B = a.data, b.data
    A2 = A[None, :] if A.ndim == 1 else A
    B2 = B[:, None] if B.ndim == 1 else B
    G = g
    if A.ndim == 1:
        G = np.expand_dims(G, -2)
    if B.ndim == 1:
        G = np.expand_dims(G, -1)
    grad_a = grad_b = None
    if a.requires_grad:
        grad_a = G @ np.swapaxes(B2, -1, -2)
        if A.ndim == 1:
            grad_a = grad_a.squeeze(-2)
    if b.requires_grad:
        grad_b = np.swapaxes(A2, -1, -2) @ G
        if B.ndim == 1:
            grad_b = grad_b.squeeze(-1)
    return grad_a, grad_b


def adam_update_lean(self, p, g, state):
    """tinytorch's Adam.update with the same formula and fewer full-size temporaries (at most two alive):
    bias corrections folded into scalars, m_hat / v_hat never materialised, in-place where natural."""
    beta1, beta2 = self.betas
    state["step"] += 1
    t = state["step"]
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * (g * g)
    denom = np.sqrt(v / (1 - beta2 ** t))
    denom += self.eps
    p.data -= (self.lr / (1 - beta1 ** t)) * m / denom


@contextlib.contextmanager
def patched(matmul=False, adam=False):
    import tinytorch.autograd as ag
    import tinytorch.optimizers as opt

    old_rule, old_update = ag.GRAD_RULES["matmul"], opt.Adam.update
    try:
        if matmul:
            ag.GRAD_RULES["matmul"] = grad_matmul_skip_unneeded
        if adam:
            opt.Adam.update = adam_update_lean
        yield
    finally:
        ag.GRAD_RULES["matmul"] = old_rule
        opt.Adam.update = old_update


def what_ifs(weights, x, y, reps):
    """Race tinytorch as is and with each candidate change against the hand-written NumPy step."""
    variants = [("as is", {}), ("grad_matmul skips unneeded input grads", {"matmul": True}),
                ("lean Adam.update", {"adam": True}), ("both", {"matmul": True, "adam": True})]
    ref = NumpyMLP(weights)
    fns = {"numpy": lambda: ref.step(x, y)}
    xi, yi = TinyTorchMLP.inputs(x, y)
    for label, kw in variants:
        with patched(**kw):
            model = TinyTorchMLP(weights)

        def run(model=model, kw=kw):
            with patched(**kw):
                model.step(xi, yi)
        fns[label] = run
    stats = race(fns, warmup=10, reps=reps, rounds=5)
    out = {name: {"median_ms": s["median_ms"], "iqr_ms": s["iqr_ms"],
                  "vs_numpy": s["median_ms"] / stats["numpy"]["median_ms"],
                  "cpu_median_ms": s["cpu_median_ms"],
                  "cpu_vs_numpy": s["cpu_median_ms"] / stats["numpy"]["cpu_median_ms"],
                  "faults_per_step": s["faults_per_call"]}
           for name, s in stats.items()}

    # the patched variants must train exactly like tinytorch as is: updated weights after one step
    base = TinyTorchMLP(weights)
    base.step(xi, yi)
    check = {}
    for label, kw in variants[1:]:
        with patched(**kw):
            m = TinyTorchMLP(weights)
            m.step(xi, yi)
        check[label] = max(float(np.abs(p - q).max()) for p, q in zip(m.params(), base.params()))
    return out, check


def print_what_ifs(wi, check, title):
    print(title)
    for name, r in wi.items():
        print(f"  {name:<40} wall {r['median_ms']:7.3f} ms (IQR {r['iqr_ms']:.3f}) {r['vs_numpy']:5.2f}x numpy;"
              f"  CPU {r['cpu_median_ms']:7.3f} ms {r['cpu_vs_numpy']:5.2f}x numpy;"
              f"  {r['faults_per_step']:4.0f} faults/step")
    print("  updated-weight max abs diff vs as-is after one step: "
          + ", ".join(f"{k} {v:.1e}" for k, v in check.items()))


# --------------------------------------------------------------------------------------------- report
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

    wi, check = what_ifs(weights, x, y, reps)
    print_what_ifs(wi, check, "what-if, default malloc (tinytorch monkeypatched in this process only; "
                              "candidate notebook changes):")
    return {"dtypes": dtypes, "backward": bw, "cprofile_top": top,
            "what_if_default_malloc": wi, "what_if_param_diff": check}


SUGGESTIONS = [
    ("grad_matmul skips unneeded input grads",
     "source/05_autograd (grad_matmul, solution cell): compute grad_a only if a.requires_grad and grad_b only if "
     "b.requires_grad (return None otherwise; backward() already skips such parents). The first layer's input "
     "gradient, (128, 256) @ (256, 784), is ~40% of the step's backward FLOPs and is thrown away."),
    ("lean Adam.update",
     "source/06_optimizers (Adam.update, solution cell): fold the bias corrections into scalars and do not "
     "materialise m_hat / v_hat: `denom = np.sqrt(v / (1 - b2**t)); denom += eps; "
     "p.data -= (lr / (1 - b1**t)) * m / denom`, and `v += (1 - b2) * (g * g)`. Two weight-sized temporaries "
     "alive instead of four. Page faults: every step the current update grows glibc's heap by ~3 MB and the "
     "end of the step hands it back to the OS (~750 faults/step when run in a fresh process); with both "
     "changes the step's transient memory stays under glibc's trim threshold (0 faults in a fresh process; "
     "allocator-dependent, hence the heap-kept row)."),
]


def print_suggestions(profile):
    """The candidate notebook changes, each with what it saved in this run's what-if races."""
    runs = [(k, profile.get(k)) for k in ("what_if_default_malloc", "what_if_heap_kept") if profile.get(k)]
    print("suggested changes for the source notebooks (measured above by monkeypatching; tinytorch/ untouched):")
    for label, text in SUGGESTIONS:
        gains = ", ".join(f"{kind.replace('what_if_', '').replace('_', ' ')}: saves "
                          f"{wi['as is']['median_ms'] - wi[label]['median_ms']:.2f} ms wall / "
                          f"{wi['as is']['cpu_median_ms'] - wi[label]['cpu_median_ms']:.2f} ms CPU"
                          for kind, wi in runs)
        print(f"  - {text} [{gains}]")
    for kind, wi in runs:
        print(f"  both together ({kind.replace('what_if_', '').replace('_', ' ')}): "
              f"{wi['as is']['vs_numpy']:.2f}x -> {wi['both']['vs_numpy']:.2f}x numpy wall, "
              f"{wi['as is']['cpu_vs_numpy']:.2f}x -> {wi['both']['cpu_vs_numpy']:.2f}x CPU")
