"""One sandboxed kernel started ahead in each grading process, so a notebook's kernel start-up (bubblewrap, the
interpreter, ipykernel, numpy, tinytorch.testing) happens while the notebook before it runs.

A spare is a fresh kernel: a new process in a new sandbox with its own uid (claimed when it is launched), an
empty working directory, and nothing run in it but the grader's own exec_lines. It is handed to at most one
notebook, and only to one whose kernel would be launched with exactly the same parameters (the `key`: the
published package, the check mode, the sandbox limits, the kernel's arguments); any other spare is shut down
and the notebook gets a kernel started for it. Kernels are never reused: nbclient shuts a notebook's kernel
down when the notebook is done, as for any kernel. The spare left at the end is shut down by `discard()`
(autograde_all calls it; the process's exit does too).
"""
import atexit
import logging
import shutil

from jupyter_core.utils import run_sync

log = logging.getLogger(__name__)

_spare = None  # (key, kernel manager) or None


def _alive(km):
    process = getattr(getattr(km, "provisioner", None), "process", None)
    return process is not None and process.poll() is None


async def _shutdown(km):
    try:
        await km.shutdown_kernel(now=True)
    except Exception as err:  # already gone: what is left of it is removed below
        log.warning("shutting down a spare kernel: %s", err)
        try:
            await km.cleanup_resources()
        except Exception:
            pass


def take(key):
    """The spare kernel manager if it was launched with `key` and is alive (it is then no longer the spare);
    else None, after shutting down a spare of other parameters."""
    global _spare
    spare, _spare = _spare, None
    if spare is None:
        return None
    spare_key, km = spare
    if spare_key == key and _alive(km):
        return km
    run_sync(_shutdown)(km)
    return None


async def start_spare(key, make_manager, arguments):
    """Launch a new kernel (`make_manager()`, started with `arguments`) as the spare; a failure to launch only
    means the next notebook starts its own kernel."""
    global _spare
    if _spare is not None:
        await _shutdown(_spare[1])
        _spare = None
    km = make_manager()
    try:
        await km.start_kernel(extra_arguments=list(arguments))
    except Exception as err:
        log.warning("could not start a spare kernel: %s", err)
        await _shutdown(km)
        return
    _spare = (key, km)


def discard():
    """Shut down the spare kernel, if any (nothing of it is left: process, sandbox, uid, directories)."""
    global _spare
    spare, _spare = _spare, None
    if spare is not None:
        try:
            run_sync(_shutdown)(spare[1])
        except Exception:  # no event loop to run it on (e.g. closed already): stop it directly
            stop_now(spare[1])


def stop_now(km):
    """Kill the kernel's process and remove its folders and uid claim, without jupyter_client's event loop."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is not None and process.poll() is None:
        process.kill()  # bwrap: its PID namespace, and so the whole kernel, goes with it
        process.wait(timeout=10)
    for folder in (getattr(km, "_ipc_dir", None), getattr(km, "_work_dir", None)):
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    if getattr(km, "_uid_lock", None):
        km._uid_lock.close()
        km._uid_lock = None


def _discard_at_exit():
    # at interpreter exit other atexit hooks may have closed the event loop jupyter_client needs: stop it directly
    global _spare
    spare, _spare = _spare, None
    if spare is not None:
        stop_now(spare[1])


def spare_key():
    """The key of the current spare (None without one); for tests."""
    return _spare[0] if _spare else None


atexit.register(_discard_at_exit)
