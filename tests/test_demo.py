"""`make demo` end to end on a scratch course: real nbgrader, real gradebook, run twice."""
import pandas as pd
from nbgrader.api import Gradebook

from classroom import exports
from classroom.demo import run_demo

MODULES = ["01_tensor", "02_activations"]


def test_demo_grades_the_class_and_is_idempotent(scratch_course):
    c = scratch_course(*MODULES)
    assert run_demo(c, MODULES) == 0
    first, max_scores = exports.score_table(c.db_url)

    auto_max = {}
    with Gradebook(c.db_url) as gb:
        for m in MODULES:
            nb = gb.find_submission_notebook(m, m, "ada")
            auto_max[m] = sum(g.max_score for g in nb.grades if not g.needs_manual_grade)
            # A TA grades ada's written answer; re-running the demo must not lose it.
            written = next(g for g in nb.grades if g.needs_manual_grade)
            written.manual_score = 1.5
        gb.db.commit()

    for m in MODULES:
        assert first.loc["ada", m] == auto_max[m], f"the solution must earn every autograded point in {m}"
        assert first.loc["ben", m] == 0, f"the blank release must earn nothing in {m}"
        assert 0 < first.loc["cam", m] < auto_max[m], f"the buggy submission must lose some points in {m}"
        for student in ["ada", "ben", "cam"]:
            assert (c.root / "feedback" / student / m / f"{m}.html").is_file(), (student, m)

    assert run_demo(c, MODULES) == 0
    second, _ = exports.score_table(c.db_url)
    expected = first.copy()
    expected.loc["ada"] += 1.5
    pd.testing.assert_frame_equal(second, expected)
    csv = pd.read_csv(c.root / "gradebook" / "exports" / "scores.csv", index_col="student")
    assert list(csv.index) == ["ada", "ben", "cam", "max_score"]
    similar = pd.read_csv(c.root / "gradebook" / "exports" / "similarity.csv", dtype=str)
    # ada (the solution) and cam (the solution with one bug) look alike; ben handed in the blank release
    assert sorted(similar["module"]) == MODULES and set(similar["student_a"] + similar["student_b"]) == {"adacam"}
