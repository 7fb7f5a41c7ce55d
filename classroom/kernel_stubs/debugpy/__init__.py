"""Not the debugger: a grading kernel runs without one.

ipykernel imports debugpy (and pydevd under it) at start-up whenever it can, for a frontend's debugger that
graded notebooks never use: ~0.06 s of CPU of each sandboxed kernel's ~0.4 s start (measured here). The sandbox
puts this folder on the kernel's path (classroom/sandbox.py), so that import fails and ipykernel starts without.
"""
raise ImportError("no debugger in a grading kernel")
