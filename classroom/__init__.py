"""Course tooling for TinyTorch Classroom: a thin layer over nbgrader's Python API."""
