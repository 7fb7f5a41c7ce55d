"""`make similarity`: honest pairs score low, a disguised copy scores high, the blank release scores nothing,
and the report says when it is out of date (classroom/similarity.py)."""
import os
import re
from pathlib import Path

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from classroom.nbgrader_api import Course
from copydetect import compare_files

from classroom.similarity import (Similarity, boilerplate_hashes, compare_students, fingerprints, report_section,
                                  share_matrix, similarity_report)

FIXTURES = Path(__file__).parent / "fixtures" / "similarity"
MODULE = "04_losses"  # any module id: the notebooks below are made up


def _functions(code):
    """{name: text} of the top-level functions in `code`."""
    parts = re.split(r"\n(?=def )", code.strip())
    return {re.match(r"def (\w+)", p).group(1): p.strip() for p in parts}


def _with_docstrings(code):
    """The student's functions keeping the skeleton's docstrings, as students who write inside it do."""
    docs = {name: re.search(r'(    """.*?""")', text, re.S).group(1)
            for name, text in _functions((FIXTURES / "skeleton.py").read_text()).items()}
    out = []
    for name, text in _functions(code).items():
        head, _, body = text.partition("\n")
        out.append(f"{head}\n{docs[name]}\n{body}")
    return "\n\n\n".join(out)


def _read(name):
    return _with_docstrings((FIXTURES / name).read_text())


def _notebook(code):
    """A notebook whose solution cells hold `code`'s functions (one per cell) between locked cells."""
    cells = [new_markdown_cell("# Losses", metadata={"nbgrader": {"grade_id": "intro", "locked": True,
                                                                  "solution": False, "grade": False}})]
    for name, text in _functions(code).items():
        cells.append(new_code_cell(text, metadata={"nbgrader": {"grade_id": name, "solution": True, "grade": False,
                                                                "locked": False, "schema_version": 3}}))
        cells.append(new_code_cell(f"assert_close({name}(x), expected['{name}'], '{name}')",
                                   metadata={"nbgrader": {"grade_id": f"test_{name}", "solution": False,
                                                          "grade": True, "points": 1, "locked": True}}))
    return new_notebook(cells=cells)


SETTINGS = Similarity()
RELEASE = _notebook((FIXTURES / "skeleton.py").read_text())


def test_two_independent_honest_solutions_score_low():
    pairs = compare_students({"ada": _read("honest_a.py"), "bo": _read("honest_b.py")}, RELEASE, SETTINGS)
    score = pairs[0][0] if pairs else 0.0
    assert score < 0.25, f"honest pair scored {score:.2f}"


def test_a_copy_with_renamed_variables_reordered_functions_new_comments_and_spacing_scores_high():
    pairs = compare_students({"ada": _read("honest_a.py"), "cy": _read("disguised_copy_of_a.py")}, RELEASE, SETTINGS)
    assert pairs and pairs[0][0] >= 0.8, pairs[:1]


def test_the_blank_release_and_an_empty_notebook_score_nothing():
    skeleton = (FIXTURES / "skeleton.py").read_text()
    assert compare_students({"x": skeleton, "y": skeleton, "z": ""}, RELEASE, SETTINGS) == []
    assert compare_students({"x": skeleton, "z": "", "ada": _read("honest_a.py")}, RELEASE, SETTINGS) == []


def test_the_class_report_lists_the_copy_side_by_side_and_says_when_it_is_stale(tmp_path):
    c = Course(tmp_path)
    release = c.release_path(MODULE)
    release.parent.mkdir(parents=True)
    nbformat.write(RELEASE, str(release))
    students = {"ada": _read("honest_a.py"), "bo": _read("honest_b.py"), "<cy>": _read("disguised_copy_of_a.py"),
                "dee": (FIXTURES / "skeleton.py").read_text()}
    for student, code in students.items():
        path = c.submission_path(MODULE, student)
        path.parent.mkdir(parents=True)
        nbformat.write(_notebook(code), str(path))
    broken = c.submission_path(MODULE, "eve")
    broken.parent.mkdir(parents=True)
    broken.write_text("{ not a notebook")

    out = tmp_path / "exports"
    table = similarity_report(c, [MODULE], out)
    assert [(r.student_a, r.student_b) for r in table.itertuples()] == [("<cy>", "ada")]
    assert pd.read_csv(out / "similarity.csv", dtype=str)[["student_a", "student_b"]].values.tolist() == [["<cy>", "ada"]]
    page = (out / "similarity" / f"{MODULE}.html").read_text()
    assert "&lt;cy&gt; and ada" in page and "<cy>" not in page and page.count("<mark>") >= 2
    assert "Not compared (unreadable): eve" in page and "never a verdict" in page

    section = report_section(c, out, top=20)
    assert f'href="similarity/{MODULE}.html#pair-1"' in section and "Out of date" not in section
    later = os.stat(out / "similarity.csv").st_mtime + 10
    os.utime(c.submission_path(MODULE, "bo"), (later, later))
    assert "Out of date:</strong> 1 submission(s)" in report_section(c, out, top=20)
    assert "Not computed yet" in report_section(c, tmp_path / "nowhere", top=20)


def test_the_class_wide_share_matrix_is_copydetects_own_measure():
    codes = {"ada": _read("honest_a.py"), "bo": _read("honest_b.py"), "cy": _read("disguised_copy_of_a.py"),
             "dee": (FIXTURES / "skeleton.py").read_text(), "eve": _read("honest_a.py")[:700]}
    prints = fingerprints(codes, SETTINGS, boilerplate_hashes(RELEASE, SETTINGS), workers=1)
    students = sorted(prints)
    shares = share_matrix([prints[s] for s in students])
    for i, a in enumerate(students):
        for j, b in enumerate(students):
            if i != j:
                _, (share_a, share_b), _ = compare_files(prints[a], prints[b])
                assert abs(shares[i, j] - share_a) < 1e-12 and abs(shares[j, i] - share_b) < 1e-12, (a, b)
    assert shares.max() > 0.8 and (shares[students.index("dee")] == 0).all()
