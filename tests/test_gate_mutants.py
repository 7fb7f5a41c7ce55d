"""The half of the authoring gate that grades mutants (`make check`; `.ci/run` runs it over every module after
`make test`), shown here on one module with hand-picked mutant lists: it names a mutant no test catches, a test
cell whose visible part catches nothing (so `nbgrader validate` would pass every mistake), and one whose hidden
part adds nothing, and a mutant only checks whose right record is known in advance catch (forgeable in the kernel)."""
from classroom.check import check_module

ABS = dict(name="relu_uses_abs", cell="relu", find="np.maximum(x.data, 0)", replace="np.abs(x.data)",
           caught_by=["test_relu"])  # the visible test sees negative inputs
FLOAT32 = dict(name="relu_casts_to_float32", cell="relu", find="np.maximum(x.data, 0)",
               replace="np.maximum(x.data, 0).astype(np.float32)", caught_by=["test_relu"])  # only the hidden float64 check
SAME = dict(name="relu_arguments_swapped", cell="relu", find="np.maximum(x.data, 0)",
            replace="np.maximum(0, x.data)", caught_by=["test_relu"])  # the same function: nothing can catch it


def _about_relu(problems):
    return sorted(p for p in problems if "test_relu" in p and "no mutant shows" not in p)


def test_a_mutant_nothing_catches_and_a_visible_part_that_catches_nothing_are_reported(tmp_path):
    problems = check_module("02_activations", tmp_path, workers=1, listed=[FLOAT32, SAME])
    assert _about_relu(problems) == [
        "02_activations: mutant relu_arguments_swapped is not caught by test_relu (scored 1.0)",
        "02_activations: the visible part of test_relu catches none of its mutants, so `nbgrader validate` passes "
        "them: make a visible check catch the most common mistake"], problems


def test_a_hidden_part_that_adds_nothing_is_reported(tmp_path):
    problems = check_module("02_activations", tmp_path, workers=1, listed=[ABS])
    assert _about_relu(problems) == [
        "02_activations: the hidden part of test_relu catches no mutant its visible part misses: add a mutant to "
        "tests/mutants/02_activations.py that only the hidden checks catch"], problems


def test_a_mutant_that_does_not_apply_is_reported_without_grading(tmp_path):
    stale = dict(ABS, name="stale", find="np.maximum(x.data, 1)")
    problems = check_module("02_activations", tmp_path, workers=1, grade_mutants=False, listed=[stale])
    assert "02_activations: mutant 'stale': its text must occur exactly once in answer cell 'relu'" in problems


def test_a_mutant_only_forgeable_checks_catch_is_reported(tmp_path):
    """Recording a copy of its input fails only `assert_true(y._inputs[0] is x)`: code in the kernel could forge
    that record (True), so the gate asks for a check of a value the mutant computes wrong."""
    copy = dict(name="relu_records_a_copy", cell="relu", find='"relu", x)',
                replace='"relu", Tensor(x.data, requires_grad=x.requires_grad))', caught_by=["test_activation_graph"])
    problems = check_module("02_activations", tmp_path, workers=1, listed=[copy])
    assert ("02_activations: mutant relu_records_a_copy is caught in test_activation_graph only by checks whose right "
            "record is known in advance (assert_true, assert_same, assert_raises without match strings, assert_outcomes "
            "whose inputs all raise), which code in a kernel can forge: add a check of a value it computes wrong"
            ) in problems, problems
