"""Static integrity checks on the code a student wrote, run before grading.

Flags code that tries to influence grading rather than solve the exercise: changing modules the tests rely
on (numpy, builtins, tinytorch.testing, sys.modules), tracing or introspecting the grader, or importing the
reference solution of the module being graded (or a later one).

Extending tinytorch is not tampering when it goes through its sanctioned API: a later module's student code
that registers a gradient rule with `tinytorch.autograd.register_op(name, rule)` (a call or a decorator) or
observes ops with `tinytorch.tensor.add_op_hook(fn)` is not flagged. Patching tinytorch objects is: assigning
or deleting attributes of `Tensor` (or any tinytorch object), and writing into tinytorch's tables directly
(`GRAD_RULES["op"] = rule`, `del GRAD_RULES["op"]`, `GRAD_RULES.update(...)`, `.pop`, `.clear`, ...), also
through a local alias (`rules = GRAD_RULES`). A flag is for a TA (who tried what); it
changes no score, because no verdict is computed in the kernel (classroom/preprocessors/compare_checks.py):
a flagged submission keeps exactly the points its values earned.
"""
import ast

from classroom import course
from classroom.release_history import digest

# tracemalloc: modules measure memory with it (14, 18); patching it would fake a measurement
WATCHED_MODULES = {"numpy", "builtins", "tinytorch", "sys", "math", "importlib", "inspect", "gc", "ctypes",
                   "tracemalloc", "time"}
FORBIDDEN_IMPORTS = {"ctypes", "gc", "builtins"}
# methods that change a dict or list in place: called on a tinytorch object (GRAD_RULES, a hook list), a patch
MUTATING_METHODS = {"update", "pop", "popitem", "clear", "setdefault", "__setitem__", "__delitem__", "append",
                    "extend", "insert", "remove", "__setattr__", "__delattr__"}
# The checks of tinytorch.testing: a student cell that rebinds or redefines one is trying to change a verdict.
CHECKERS = {"assert_close", "assert_equal", "assert_true", "assert_raises", "assert_same", "assert_statistic",
            "check_gradients", "numerical_gradient", "set_check_mode"}
FORBIDDEN_CALLS = {("sys", "settrace"), ("sys", "setprofile"), ("sys", "_getframe"), ("inspect", "currentframe"),
                   ("inspect", "stack"), ("importlib", "reload"), ("importlib", "import_module")}


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _Scanner(ast.NodeVisitor):
    def __init__(self, forbidden_packages):
        self.aliases = {"np": "numpy", "numpy": "numpy", "__builtins__": "builtins", "sys": "sys"}
        self.forbidden_packages = forbidden_packages
        self.findings = []

    def _module_of(self, node):
        name = _root_name(node)
        return self.aliases.get(name) if name else None

    def _imported(self, module, line):
        top = module.split(".")[0]
        if top in FORBIDDEN_IMPORTS:
            self.findings.append((line, f"imports {module}"))
        parts = module.split(".")
        if parts[0] == "tinytorch" and len(parts) > 1 and parts[1] in self.forbidden_packages:
            self.findings.append((line, f"imports the reference solution {module}"))

    def visit_Import(self, node):
        for alias in node.names:
            self._imported(alias.name, node.lineno)
            top = alias.name.split(".")[0]
            if top in WATCHED_MODULES:
                self.aliases[alias.asname or top] = alias.name if alias.asname else top
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self._imported(module, node.lineno)
        for alias in node.names:
            full = f"{module}.{alias.name}"
            self._imported(full, node.lineno)
            if full.split(".")[0] in ("tinytorch", "numpy"):
                self.aliases[alias.asname or alias.name] = full
        self.generic_visit(node)

    def _check_target(self, target, line):
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            module = self._module_of(target)
            if module and module.split(".")[0] in WATCHED_MODULES:
                self.findings.append((line, f"modifies {module} ({ast.unparse(target)})"))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self._check_target(t, line)

    def _rebinds_checker(self, name, line):
        if name in CHECKERS:
            self.findings.append((line, f"rebinds the checker {name}"))

    def visit_FunctionDef(self, node):
        self._rebinds_checker(node.name, node.lineno)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node):
        for t in node.targets:
            self._check_target(t, node.lineno)
            for name in ast.walk(t):
                if isinstance(name, ast.Name):
                    self._rebinds_checker(name.id, node.lineno)
        # `rules = GRAD_RULES`, `T = tinytorch.Tensor`: the name now stands for the watched object
        source = self._module_of(node.value) if isinstance(node.value, (ast.Name, ast.Attribute)) else None
        for t in node.targets:
            if isinstance(t, ast.Name):
                if source and source.split(".")[0] in WATCHED_MODULES:
                    self.aliases[t.id] = source
                else:
                    self.aliases.pop(t.id, None)  # rebound to something else
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._check_target(node.target, node.lineno)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for t in node.targets:
            self._check_target(t, node.lineno)
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"setattr", "delattr"} and node.args:
            module = self._module_of(node.args[0])
            if module and module.split(".")[0] in WATCHED_MODULES:
                self.findings.append((node.lineno, f"{func.id} on {module}"))
        if isinstance(func, ast.Name) and func.id in {"__import__", "exec", "eval", "compile"}:
            self.findings.append((node.lineno, f"calls {func.id}()"))
        if isinstance(func, ast.Name) and func.id == "vars" and node.args:
            module = self._module_of(node.args[0])
            if module and module.split(".")[0] in WATCHED_MODULES:
                self.findings.append((node.lineno, f"vars() of {module}"))
        if (isinstance(func, ast.Name) and func.id == "set_check_mode") or (
                isinstance(func, ast.Attribute) and func.attr == "set_check_mode"):
            self.findings.append((node.lineno, "switches the checks' mode"))
        if isinstance(func, ast.Attribute):
            module = self._module_of(func.value)
            if module and (module.split(".")[0], func.attr) in FORBIDDEN_CALLS:
                self.findings.append((node.lineno, f"calls {module}.{func.attr}()"))
            if module and module.split(".")[0] == "tinytorch" and func.attr in MUTATING_METHODS:
                self.findings.append((node.lineno, f"modifies {module} ({ast.unparse(func)}())"))
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in {"__builtins__", "__loader__", "__spec__"}:
            self.findings.append((node.lineno, f"uses {node.id}"))

    def visit_Attribute(self, node):
        # a module's __dict__ and sys.modules are ways around the attribute checks above; an object's own
        # `self.__dict__` is ordinary Python
        watched = self._module_of(node.value)
        if node.attr in {"__globals__", "__code__", "__closure__"} or (
                node.attr == "__dict__" and watched and watched.split(".")[0] in WATCHED_MODULES) or (
                node.attr == "modules" and watched == "sys"):
            self.findings.append((node.lineno, f"uses {ast.unparse(node)}"))
        self.generic_visit(node)


def _defined_names(source):
    """Names a cell's top level binds with def or class (functions and classes it gives)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _top_level_bindings(tree):
    """(line, name) for every name a cell's top level binds (def, class, assignment, import, for, with)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.lineno, node.name
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                yield node.lineno, (alias.asname or alias.name).split(".")[0]
        else:
            targets = (node.targets if isinstance(node, ast.Assign) else [node.target]
                       if isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)) else
                       [item.optional_vars for item in node.items if item.optional_vars]
                       if isinstance(node, (ast.With, ast.AsyncWith)) else [])
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        yield node.lineno, name.id


def forbidden_packages(module_id):
    """tinytorch files a submission of `module_id` must not import: its own and every later module's."""
    order = course.modules()
    later = order[order.index(module_id):] if module_id in order else order
    return {course.package_name(m) for m in later}


def scan_notebook(nb, module_id, release_nb):
    """Integrity events for the code a student could write: every code cell but the locked ones (nbgrader
    restores those), skipping lines the release itself gave in that cell."""
    events = []
    forbidden = forbidden_packages(module_id)
    locked, given = set(), {}
    # functions and classes the locked cells give (measuring helpers, test helpers): the tests call them, so a
    # student cell that rebinds one changes what a test measures, e.g. a `temporary_bytes` that returns 0
    locked_defs = set()
    for cell in release_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("locked") and not meta.get("solution"):
            locked.add(meta.get("grade_id"))
            if cell.cell_type == "code":
                locked_defs |= _defined_names(cell.source)
        given[meta.get("grade_id")] = {line.strip() for line in cell.source.splitlines()}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("grade_id") in locked:
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # it will fail when run; nothing to exploit
        scanner = _Scanner(forbidden)
        scanner.visit(tree)
        scanner.findings += [(line, f"redefines {name}, which a locked cell gives (the tests use it)")
                             for line, name in _top_level_bindings(tree) if name in locked_defs]
        lines = source.splitlines()
        for line, what in scanner.findings:
            if lines[line - 1].strip() in given.get(meta.get("grade_id"), ()):
                continue
            events.append({"kind": "integrity", "cell": meta.get("grade_id"), "detail": f"line {line}: {what}"})
    return events



def tamper_events(nb, release_nb, history=()):
    """Changes to what the student was given to leave alone: locked cells edited, deleted, moved or
    duplicated, grading metadata (grade ids, points, locks) changed. nbgrader restores locked cells from the
    gradebook, so none of this can earn a point; it is flagged so a TA sees who tried.

    history: the locked cells of every version the course released, [{grade_id: digest}]
    (classroom.release_history.locked_versions); a copy of any released version is not an edit, and a
    locked cell that some release did not have is not missing."""
    def meta(cell):
        return cell.get("metadata", {}).get("nbgrader", {})
    given = [c for c in release_nb.cells if meta(c).get("grade_id")]
    locked = [meta(c)["grade_id"] for c in given if meta(c).get("locked") and not meta(c).get("solution")]
    by_id = {meta(c)["grade_id"]: c for c in given}
    events, seen = [], []
    for cell in nb.cells:
        grade_id = meta(cell).get("grade_id")
        if grade_id is None:
            continue
        if grade_id in seen:
            if grade_id in locked:  # a copied answer cell is an accident; a copied test cell is not
                events.append(("duplicated", grade_id, "a locked cell appears more than once"))
            continue
        seen.append(grade_id)
        original = by_id.get(grade_id)
        if original is None:
            events.append(("unknown_cell", grade_id, "a cell carries a grade id the release does not have"))
            continue
        if cell.cell_type != original.cell_type:
            events.append(("cell_type", grade_id, f"the cell type changed from {original.cell_type} to "
                                                  f"{cell.cell_type} (graded as {original.cell_type})"))
        for key in ("grade", "solution", "locked", "points"):
            if meta(cell).get(key) != meta(original).get(key):
                events.append(("metadata", grade_id, f"nbgrader '{key}' changed from {meta(original).get(key)!r} "
                                                     f"to {meta(cell).get(key)!r}"))
        if (grade_id in locked and cell.source.strip() != original.source.strip()
                and digest(cell.source) not in {version.get(grade_id) for version in history}):
            events.append(("edited", grade_id, "a locked cell was edited"))
    for grade_id in locked:
        if grade_id not in seen and all(grade_id in version for version in history):
            events.append(("deleted", grade_id, "a locked cell was deleted"))
    kept = [g for g in seen if g in locked]
    if kept != [g for g in locked if g in kept]:
        events.append(("moved", None, "locked cells were reordered"))
    return [{"kind": "tampering", "cell": cell, "detail": f"{what}: {detail}"} for what, cell, detail in events]
