"""Timing helpers: round-robin sampling with time.perf_counter, summarised as median and IQR in ms."""

import ctypes
import ctypes.util
import resource
import time

import numpy as np


def minor_faults():
    """Minor page faults of this process so far (first touches of memory the allocator got from the OS)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def summarize(seconds, cpu_seconds=None):
    """Median, IQR (p75 - p25), p25, p75, min of wall time in ms and the number of samples; with cpu_seconds
    also the median and IQR of this thread's CPU time (cpu_median_ms, cpu_iqr_ms)."""
    ms = np.asarray(seconds, dtype=np.float64) * 1e3
    p25, med, p75 = np.percentile(ms, [25, 50, 75])
    out = {"median_ms": float(med), "iqr_ms": float(p75 - p25), "p25_ms": float(p25), "p75_ms": float(p75),
           "min_ms": float(ms.min()), "n": int(ms.size)}
    if cpu_seconds is not None:
        c25, cmed, c75 = np.percentile(np.asarray(cpu_seconds, dtype=np.float64) * 1e3, [25, 50, 75])
        out.update(cpu_median_ms=float(cmed), cpu_iqr_ms=float(c75 - c25))
    return out


def sample(fn, n):
    """n (wall, thread-CPU) times in seconds of fn(), each call measured on its own.

    Wall time is time.perf_counter. Thread CPU time (user + system, page faults included) leaves out the time
    the thread sat preempted, so on a busy machine it stays close to what an idle one would show; it is the
    whole cost of a call only when the call runs on this one thread (the bench's default of 1 thread).
    """
    clock, cpu = time.perf_counter, time.thread_time
    wall, cpus = [], []
    for _ in range(n):
        c0, t0 = cpu(), clock()
        fn()
        t1, c1 = clock(), cpu()
        wall.append(t1 - t0)
        cpus.append(c1 - c0)
    return wall, cpus


def race(fns, warmup, reps, rounds):
    """Time every callable in `fns` (name -> fn) reps times, interleaved in `rounds` round-robin blocks.

    Interleaving spreads any slow-down of a shared machine over all contenders instead of one of them.
    Returns name -> summarize(...) dict, plus "faults_per_call": minor page faults per timed call.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    per_round = max(1, -(-reps // rounds))
    wall = {name: [] for name in fns}
    cpus = {name: [] for name in fns}
    faults = dict.fromkeys(fns, 0)
    for _ in range(rounds):
        for name, fn in fns.items():
            f0 = minor_faults()
            w, c = sample(fn, per_round)
            faults[name] += minor_faults() - f0
            wall[name] += w
            cpus[name] += c
    out = {name: summarize(wall[name], cpus[name]) for name in fns}
    for name in fns:
        out[name]["faults_per_call"] = faults[name] / len(wall[name])
    return out


def malloc_keep_heap():
    """glibc only, and for the rest of the process: never hand freed heap back to the OS and never mmap blocks
    below 32 MiB, so re-allocating the same temporaries every step costs no page faults. Applies to every
    implementation in the process alike. Returns False where this is not glibc (nothing changed)."""
    path = ctypes.util.find_library("c")
    if not path:
        return False
    try:
        libc = ctypes.CDLL(path)
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        return bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)) and bool(libc.mallopt(M_MMAP_THRESHOLD, 1 << 25))
    except (OSError, AttributeError):
        return False
