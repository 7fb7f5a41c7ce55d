"""What a test cell runs when a submission is graded: the cell without its oracles.

A test cell checks the student's result against an expected value it computes itself (a literal, a NumPy
expression, a reference function defined in the cell). In the student's own notebook that teaches. In
grading it would hand the answer to the kernel: a student's wrapper of `assert_close` could record
`expected` instead of `actual`. The grader never needs those values (it compares with the reference
solution's records), so before a test cell runs in a graded kernel:

- the expected argument of every check call (`assert_close`, `assert_equal`, `assert_statistic`,
  `assert_outcomes`) and the `match` strings of `assert_raises` are replaced by `...`;
- then every assignment, function/class definition or import whose names are read, but only by those
  removed arguments (or by other statements removed this way), is replaced by `pass`, repeatedly.

Line numbers are kept (tracebacks and the hidden/visible split stay right). `make check` grades the
solution through this transform, so a transform that changed what a test does would fail the gate.
"""
import ast
import functools

# check -> (position, keyword) of its oracle argument: the expected value, or the strings an error must mention
EXPECTED = {"assert_close": (1, "expected"), "assert_equal": (1, "expected"), "assert_statistic": (2, "expected"),
            "assert_raises": (3, "match"), "assert_outcomes": (2, "expected")}


def _expected_args(tree):
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in EXPECTED:
            position, keyword = EXPECTED[node.func.id]
            if len(node.args) > position and not isinstance(node.args[position], ast.Starred):
                found.append(node.args[position])
            found += [k.value for k in node.keywords if k.arg == keyword]
    return found


def _bound_names(stmt):
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    names = set()
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, (ast.Attribute, ast.Subscript)):
                return None  # assigns into an attribute or item: a side effect, keep it
    return names


REMOVABLE = (ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def _statements(tree):
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            for stmt in block if isinstance(block, list) else []:
                if isinstance(stmt, ast.stmt):
                    yield stmt


def _has_check(stmt):
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id.startswith(("assert_", "check_"))
               for n in ast.walk(stmt))


def _loads(tree, skip):
    """Names read anywhere in `tree` except inside the nodes in `skip`."""
    names, stack = set(), [tree]
    while stack:
        node = stack.pop()
        if id(node) in skip:
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names.add(node.id)
        stack.extend(ast.iter_child_nodes(node))
    return names


@functools.lru_cache(maxsize=1024)  # a test cell's source is the same in every submission of its module
def strip_oracles(source):
    """The source with its expected values and oracle-only statements removed (see the module docstring)."""
    tree = ast.parse(source)
    expected = _expected_args(tree)
    removed = {id(n) for n in expected}
    candidates = [s for s in _statements(tree) if isinstance(s, REMOVABLE) and not _has_check(s)]
    dropped, read = [], _loads(tree, set())
    while True:
        needed = _loads(tree, removed)
        # only what is read, and read only where it was removed: an unused assignment may be a side effect
        newly = [s for s in candidates if id(s) not in removed
                 and (names := _bound_names(s)) is not None and names and names <= read and not names & needed]
        if not newly:
            break
        for s in newly:
            removed.add(id(s))
            dropped.append(s)
    # innermost removals are inside outer ones only if an outer one was removed too: keep the outermost
    spans = [(n, "...") for n in expected] + [(s, "pass") for s in dropped]
    spans = [(n, text) for n, text in spans if not any(
        o is not n and _inside(n, o) for o, _ in spans)]
    lines = source.splitlines(keepends=True)
    encoded = [line.encode() for line in lines]
    for node, text in sorted(spans, key=lambda p: (p[0].lineno, p[0].col_offset), reverse=True):
        first, last = node.lineno - 1, node.end_lineno - 1
        head, tail = encoded[first][:node.col_offset], encoded[last][node.end_col_offset:]
        replacement = head + text.encode() + b"\n" * (last - first) + tail
        encoded[first:last + 1] = replacement.splitlines(keepends=True) or [b""]
    result = b"".join(encoded).decode()
    ast.parse(result)  # a transform that breaks the cell is a bug here, not the student's problem
    return result


def _inside(inner, outer):
    return (outer.lineno, outer.col_offset) <= (inner.lineno, inner.col_offset) and \
        (inner.end_lineno, inner.end_col_offset) <= (outer.end_lineno, outer.end_col_offset)
