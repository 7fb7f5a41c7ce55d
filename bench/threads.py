"""One thread count for every pool a benchmark touches (BLAS, OpenMP, PyTorch), set before NumPy or PyTorch
start theirs: import this, call pin_threads, then import numpy."""
import os
import platform

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def pin_threads(threads):
    for var in THREAD_VARS:
        os.environ[var] = str(threads)


def load_torch(threads):
    """(torch, None) with `threads` compute threads and one inter-op thread, or (None, why it is missing)."""
    try:
        import torch
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # already set in this process
            pass
        return torch, None
    except Exception as exc:  # ImportError, or a broken install
        return None, f"{type(exc).__name__}: {exc}"


def environment_line(name, threads, torch, torch_error):
    """What a comparison ran on: versions and the thread settings all three implementations share."""
    import numpy as np
    return (f"{name}: python {platform.python_version()}, numpy {np.__version__}, "
            f"torch {torch.__version__ if torch else 'n/a (' + torch_error + ')'}; threads {threads} for all "
            f"three ({', '.join(THREAD_VARS[:3])}={threads}" + (f", torch.set_num_threads({threads})"
                                                               if torch else "") + ")")
