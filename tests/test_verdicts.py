"""Verdicts from values, outside the kernel: the record format, the grader's comparison, the oracle-free
test cells graded kernels run, and CompareChecks' hold on what nbgrader scores."""
import ast
import base64

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_output

from classroom.hidden_tests import VERDICT
from classroom.oracles import strip_oracles
from classroom.preprocessors.compare_checks import CompareChecks
from classroom.reference import pop_records, source_digest
from tinytorch import testing
from tinytorch.tensor import Tensor


@pytest.fixture
def recorded(monkeypatch):
    """Run checks in a mode, collecting their records instead of displaying them."""
    records = []
    monkeypatch.setattr(testing, "_display", lambda data, raw: records.append(data[testing.RECORD_MIME]))

    def run(mode, fn):
        monkeypatch.setattr(testing, "_mode", mode)
        records.clear()
        fn()
        return list(records)
    return run


def test_grade_mode_records_and_never_raises(recorded):
    records = recorded("grade", lambda: testing.assert_close(Tensor([1.0, 2.0]), [5.0, 6.0], "wrong on purpose"))
    assert [r["label"] for r in records] == ["wrong on purpose"]
    assert testing.decode_plain(records[0]["value"]).tolist() == [1.0, 2.0]
    with pytest.raises(AssertionError, match="wrong on purpose: values differ"):
        recorded("reference", lambda: testing.assert_close(Tensor([1.0, 2.0]), [5.0, 6.0], "wrong on purpose"))
    assert recorded("learn", lambda: testing.assert_close(1.0, 1.0, "fine")) == []


def test_values_not_comparisons_are_recorded(recorded):
    class AlwaysEqual(float):
        def __eq__(self, other):
            return True
        data = property(lambda self: self)

    records = recorded("grade", lambda: (testing.assert_equal(AlwaysEqual(1.0), "mul", "op"),
                                         testing.assert_close(AlwaysEqual(2.0), 2.0, "value"),
                                         testing.assert_true(np.bool_(True), "identity")))
    assert [r["value"]["type"] for r in records] == ["opaque", "opaque", "opaque"]


def _pair(recorded, make_reference, make_submission):
    reference = recorded("reference", make_reference)
    return reference, recorded("grade", make_submission)


def test_compare_uses_the_reference_tolerance_kind_and_label(recorded):
    ref, sub = _pair(recorded, lambda: testing.assert_close(np.float32([1, 2]), [1, 2], "x", rtol=1e-3),
                     lambda: testing.assert_close(np.float32([1, 2.001]), ..., "x", rtol=1e-9))
    assert testing.compare_record(ref[0], sub[0]) is None, "the reference's rtol applies, not the submission's"
    forged = dict(sub[0], value=testing._plain_data(np.float32([1, 3])), rtol=1e9, atol=1e9)
    assert testing.compare_record(ref[0], forged)[0] == "values differ"
    assert testing.compare_record(ref[0], dict(sub[0], label="other"))[0] == "not recorded"
    assert testing.compare_record(ref[0], None)[0] == "not recorded"
    assert testing.compare_record(ref[0], dict(sub[0], value={"type": "array", "dtype": "O", "shape": [],
                                                               "data": ""}))[0] == "malformed record"


def test_compare_each_kind(recorded):
    cases = [
        (lambda: testing.assert_equal((2, 3), (2, 3), "shape"), lambda: testing.assert_equal([2, 3], ..., "shape"), None),
        (lambda: testing.assert_equal((2, 3), (2, 3), "shape"), lambda: testing.assert_equal((3, 2), ..., "shape"),
         "wrong value"),
        (lambda: testing.assert_equal(np.dtype("float32"), np.float32, "dtype"),
         lambda: testing.assert_equal(np.dtype("float64"), ..., "dtype"), "wrong value"),
        (lambda: testing.assert_raises(ValueError, lambda: int("x"), "raises", match=["invalid"]),
         lambda: testing.assert_raises(ValueError, lambda: None, "raises", match=...), "wrong error"),
        # the match strings are the reference's: a graded kernel runs without them (match=...)
        (lambda: testing.assert_raises(ValueError, lambda: int("x"), "raises", match=["invalid"]),
         lambda: testing.assert_raises(ValueError, lambda: int("invalid"), "raises", match=...), None),
        (lambda: testing.assert_raises(ValueError, lambda: int("x"), "raises", match=["invalid"]),
         lambda: testing.assert_raises(ValueError, lambda: float("x"), "raises", match=...), "wrong message"),
        (lambda: testing.assert_statistic(np.r_[np.zeros(50), np.ones(50)], "fraction_nonzero", 0.5, "half", atol=0.05),
         lambda: testing.assert_statistic(np.r_[np.zeros(47), np.ones(53)], "fraction_nonzero", ..., "half", atol=0.05),
         None),
        (lambda: testing.assert_statistic(np.r_[np.zeros(50), np.ones(50)], "fraction_nonzero", 0.5, "half", atol=0.05),
         lambda: testing.assert_statistic(np.ones(100), "fraction_nonzero", ..., "half", atol=0.05),
         "fraction_nonzero out of range"),
        (lambda: testing.assert_same(np.ones(3), np.ones(3), "repeat"),
         lambda: testing.assert_same(np.ones(3), np.zeros(3), "repeat"), "values differ"),
    ]
    for make_reference, make_submission, expected in cases:
        ref, sub = _pair(recorded, make_reference, make_submission)
        failure = testing.compare_record(ref[0], sub[0])
        assert (failure and failure[0]) == expected, (ref, sub, failure)


def test_strip_oracles_removes_every_expected_value_and_keeps_lines():
    source = ("rng = np.random.default_rng(1)\n"
              "p, q = rng.standard_normal(3), rng.standard_normal(3)\n"
              "def reference(a, b):\n"
              "    return a + b\n"
              "want = reference(p,\n"
              "                 q)\n"
              "assert_close(Tensor(p) + Tensor(q), want, 'add')\n"
              "assert_close(Tensor(p) * 2, p * 2, 'double')\n"
              "assert_equal(Tensor(p).shape, (3,), 'shape')\n"
              "assert_statistic(Tensor(p), 'mean', expected=p.mean(), what='mean', atol=1)\n"
              "unused = Tensor(q) + 1\n")
    stripped = strip_oracles(source)
    assert len(stripped.splitlines()) == len(source.splitlines())
    for oracle in ["reference", "want", "p * 2", "(3,)", "p.mean()"]:
        assert oracle not in stripped, (oracle, stripped)
    tree = ast.parse(stripped)
    assert "unused = Tensor(q) + 1" in stripped, "an unused assignment may be a side effect: kept"
    assert "p, q = rng.standard_normal(3)" in stripped, "inputs stay"
    assert ast.dump(tree)


def _test_cell(source, outputs, grade_id="test_x", count=3):
    cell = new_code_cell(source, metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": grade_id,
                                                        "points": 2, "locked": True, "schema_version": 3}})
    cell.outputs, cell.execution_count = outputs, count
    return cell


def _record_output(record):
    return new_output("display_data", data={testing.RECORD_MIME: record})


def _checked(cell, reference_records):
    checker = CompareChecks()
    checker._reference = {"test_x": {"records": reference_records, "error": None, "source": source_digest(cell.source)}}
    return checker.preprocess_cell(cell, {}, 0)[0]


def test_compare_checks_scores_only_what_the_records_earn(recorded):
    from nbgrader.utils import determine_grade
    source = "assert_close(t, [1, 2], 'first')\n### BEGIN HIDDEN TESTS\n# hint: think\nassert_close(u, v, 'second')\n### END HIDDEN TESTS"
    reference = recorded("reference", lambda: (testing.assert_close(np.ones(2), np.ones(2), "first"),
                                               testing.assert_close(np.ones(2), np.ones(2), "second")))
    reference[1]["line"] = 4
    good = recorded("grade", lambda: (testing.assert_close(np.ones(2), ..., "first"),
                                      testing.assert_close(np.ones(2), ..., "second")))
    bad = [good[0], dict(good[1], value=testing._plain_data(np.zeros(2)))]

    cell = _checked(_test_cell(source, [_record_output(r) for r in good]), reference)
    assert determine_grade(cell) == (2, 2) and not pop_records(cell)

    # partial credit, a forged verdict and a stderr warning: none decides anything
    noise = [new_output("execute_result", data={"text/plain": "2.0"}, execution_count=3),
             new_output("error", ename=VERDICT, evalue="forged", traceback=[]),
             new_output("stream", name="stderr", text="RuntimeWarning\n")]
    cell = _checked(_test_cell(source, noise + [_record_output(r) for r in bad]), reference)
    assert determine_grade(cell) == (0, 2)
    verdicts = [o for o in cell.outputs if o.output_type == "error" and o.ename == VERDICT]
    assert len(verdicts) == 1 and verdicts[0].evalue == 'hidden check "second" failed: values differ — hint: think'
    assert "Cell In[3], line 4" in verdicts[0].traceback[0], "the verdict names the line, for the feedback"
    assert not any(o.output_type == "execute_result" for o in cell.outputs)

    cell = _checked(_test_cell(source, [_record_output(good[0])]), reference)
    assert determine_grade(cell) == (0, 2), "a missing check fails the cell"
    cell = _checked(_test_cell(source, [_record_output(r) for r in good + good]), reference)
    assert determine_grade(cell) == (0, 2), "extra records fail the cell"
    cell = _checked(_test_cell(source, [_record_output(r) for r in good] + [new_output("stream", name="stderr", text="w")]),
                    reference)
    assert determine_grade(cell) == (2, 2), "a warning on stderr is not a verdict"


def test_decoding_refuses_what_is_not_plain_data():
    for plain in [{"type": "array", "dtype": "O", "shape": [1], "data": ""},
                  {"type": "array", "dtype": "<f8", "shape": [2], "data": base64.b64encode(b"\0" * 8).decode()},
                  {"type": "pickle", "value": "x"}, ["not", "a", "dict"]]:
        with pytest.raises((ValueError, TypeError)):
            testing.decode_plain(plain)


def test_notebooks_check_only_through_the_helpers():
    """What `make check` enforces, on every source notebook at once (cheap)."""
    from classroom import course
    from classroom.check import in_kernel_verdicts
    found = {m: in_kernel_verdicts(nbformat.read(str(course.source_notebook(m)), as_version=4))
             for m in course.modules()}
    assert not {m: f for m, f in found.items() if f}


def test_forgeable_checks_are_the_ones_known_in_advance(recorded):
    """assert_true, assert_same and a raise check without match strings have a right record that needs no
    computation; the gate refuses a mutant only they catch (tests/test_gate_mutants.py)."""
    def raises(match):
        return recorded("reference", lambda: testing.assert_raises(ValueError, lambda: int("x"), "r", match=match))[0]
    assert testing.forgeable(recorded("reference", lambda: testing.assert_true(True, "t"))[0])
    assert testing.forgeable(recorded("reference", lambda: testing.assert_same([1.0], [1.0], "s"))[0])
    assert testing.forgeable(raises(()))
    assert not testing.forgeable(raises(["invalid"]))
    assert not testing.forgeable(recorded("reference", lambda: testing.assert_close(1.0, 1.0, "c"))[0])
    error = recorded("grade", lambda: testing.assert_raises(ValueError, lambda: {}["k"], "r", match=...))[0]
    assert testing.decode_plain(error["value"])[0] == "KeyError", "anything else raised records its built-in class"


def test_outcomes_record_what_each_input_does(recorded):
    """A mix of inputs that must work and inputs that must fail: the grader compares each outcome; a mix has
    no record known in advance, a list that must all fail has (forgeable)."""
    def check(inputs, expected):
        return lambda: testing.assert_outcomes(lambda x: 10.0 / int(x), inputs, expected, "divide")
    ref = recorded("reference", check(["2", "0", "x"], [5.0, ZeroDivisionError, ValueError]))[0]
    assert not testing.forgeable(ref)
    assert testing.compare_record(ref, recorded("grade", check(["2", "0", "x"], ...))[0]) is None
    wrong = recorded("grade", lambda: testing.assert_outcomes(lambda x: 10.0 / max(int(x), 1), ["2", "0", "x"], ...,
                                                              "divide"))[0]
    assert testing.compare_record(ref, wrong)[0] == "wrong outcome", "returning where the reference raised"
    off = recorded("grade", lambda: testing.assert_outcomes(lambda x: 1 / int(x), ["2", "0", "x"], ..., "divide"))[0]
    assert testing.compare_record(ref, off)[0] == "values differ"
    assert testing.forgeable(recorded("reference", check(["0", "x"], [ZeroDivisionError, ValueError]))[0])
    with pytest.raises(AssertionError, match="input 1 should raise ZeroDivisionError"):
        recorded("learn", lambda: testing.assert_outcomes(lambda x: 1.0, ["2", "0"], [1.0, ZeroDivisionError], "d"))
