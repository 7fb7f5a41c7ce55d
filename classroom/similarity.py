"""`make similarity`: which submissions look copied, for a TA to weigh. Evidence, never a verdict: nothing here
changes a grade.

What is compared: per module, each student's own code, the code cells the release left for students to write
(nbgrader solution cells) of submitted/<student>/<module>/<module>.ipynb. Locked cells are not the student's;
the release's text of the solution cells (signatures, docstrings, `# YOUR CODE HERE`) is boilerplate, and its
fingerprints are discarded, so two students who leave the skeleton alone do not look alike.

How: copydetect (PyPI), which fingerprints code by winnowing as MOSS does (Schleimer, Wilkerson & Aiken,
"Winnowing: local algorithms for document fingerprinting", SIGMOD 2003). Its tokenizer first replaces every
name by a placeholder and drops comments and whitespace, and a fingerprint set ignores order, so renamed
variables, edited comments and reordered functions do not hide a copy. A pair's score is the larger of the two
shares of a student's fingerprinted code found in the other's (0-1): a short answer copied into a long one
still scores high.

Files written to gradebook/exports/:
  similarity.csv               module, student_a, student_b, score, share_a, share_b, matched_tokens: every
                               pair scoring at least c.Similarity.threshold, highest first per module
  similarity/<module>.html     those pairs side by side, matching regions highlighted (top c.Similarity.top)
`make report` shows the top pairs per module from similarity.csv and says when it is older than a submission.
"""
import datetime
import html
import io
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import filter_code, highlight_overlap
from traitlets import Float, Integer
from traitlets.config import Configurable

from classroom import course
from classroom.grading import submissions

COLUMNS = ["module", "student_a", "student_b", "score", "share_a", "share_b", "matched_tokens"]
NOTE = ("Similarity is evidence for a person to weigh, never a verdict: short or dictated code (a formula the "
        "notebook spells out) can match between honest students. Read both notebooks, and talk to the students, "
        "before concluding anything. Nothing here changes a grade.")


class Similarity(Configurable):
    threshold = Float(0.5, help="Pairs whose score (the larger share of one student's code found in the other's, "
                                "0-1) is at least this are listed for review.").tag(config=True)
    noise_threshold = Integer(25, help="Shortest run of matching tokenized characters that counts (copydetect's "
                                       "k; names are one character after tokenizing).").tag(config=True)
    guarantee_threshold = Integer(30, help="A matching run at least this long is always found (winnowing window "
                                           "= guarantee - noise + 1).").tag(config=True)
    top = Integer(20, help="Pairs per module shown side by side and in report.html.").tag(config=True)


def _is_solution(cell):
    return cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution", False)


def own_code(nb):
    """The code of a notebook's solution cells (what a student writes), joined in notebook order."""
    return "\n\n".join(cell.source for cell in nb.cells if _is_solution(cell))


def _filter(code):
    """copydetect's tokenizing filter (names -> placeholders, comments and whitespace dropped): (text, offsets)."""
    return filter_code(code, "code.py", "python")


def fingerprints(codes, settings, boilerplate=(), workers=None):
    """{student: copydetect CodeFingerprint} of {student: code}, without the hashes in `boilerplate`.

    Tokenizing (pygments) is most of the time and runs on every core; hashing runs here, because copydetect's
    fingerprints use Python's per-process string hash: all that are compared must come from one process."""
    items = sorted(codes.items())
    if len(items) >= 64 and workers != 1:
        with ProcessPoolExecutor(workers or os.cpu_count(), mp_context=multiprocessing.get_context("spawn")) as pool:
            filtered = list(pool.map(_filter, [code for _, code in items], chunksize=16))
    else:
        filtered = [_filter(code) for _, code in items]
    window = settings.guarantee_threshold - settings.noise_threshold + 1
    boilerplate = np.asarray(sorted(boilerplate), dtype=np.int64)
    prints = {}
    for (student, code), (text, offsets) in zip(items, filtered):
        fp = CodeFingerprint(f"{student}.py", settings.noise_threshold, window, boilerplate=boilerplate,
                             filter=False, fp=io.StringIO(text))
        fp.raw_code, fp.offsets = code, offsets  # what CodeFingerprint(filter=True) would hold, tokenized here
        prints[student] = fp
    return prints


def boilerplate_hashes(release_nb, settings):
    """Every k-gram hash of the release's solution cells (window 1, as copydetect does for boilerplate)."""
    code = own_code(release_nb)
    if not code.strip():
        return set()
    return CodeFingerprint("release.py", settings.noise_threshold, 1, language="python", fp=io.StringIO(code)).hashes


def share_matrix(prints):
    """S (n, n), S[i, j] = the share of student i's fingerprinted code found in student j's (0-1), for the
    fingerprints `prints` in order: copydetect's compare_files measure (tokens of i covered by k-grams whose hash
    j also has, over i's token coverage), for all pairs at once. compare_files costs ~1 ms a pair, too slow for
    the 124,750 pairs of a class of 500; tests/test_similarity.py checks the two agree."""
    n = len(prints)
    shares = np.zeros((n, n))
    if n < 2:
        return shares
    k = prints[0].k
    per = []  # (positions sorted, the hash at each) of each student
    for fp in prints:
        found = sorted((i, h) for h, where in fp.hash_idx.items() for i in where)
        per.append((np.array([i for i, _ in found], dtype=np.int64), np.array([h for _, h in found], dtype=np.int64)))
    vocabulary = np.unique(np.concatenate([hashes for _, hashes in per]))
    ids = [np.searchsorted(vocabulary, hashes) for _, hashes in per]
    # who holds each hash: students listed per hash id (compressed rows)
    held = [(np.unique(i), np.full(len(np.unique(i)), s)) for s, i in enumerate(ids)]
    hash_of, holder = np.concatenate([h for h, _ in held]), np.concatenate([s for _, s in held])
    order = np.argsort(hash_of, kind="stable")
    holder = holder[order]
    start = np.searchsorted(hash_of[order], np.arange(len(vocabulary) + 1))
    for s, ((pos, _), own) in enumerate(zip(per, ids)):
        fp = prints[s]
        if not len(pos) or not fp.token_coverage or not len(fp.filtered_code):
            continue
        counts = start[own + 1] - start[own]
        rows = np.repeat(np.arange(len(pos)), counts)
        first = np.repeat(start[own] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        hit = np.zeros((len(pos), n), dtype=bool)  # hit[r, j]: student j holds the hash at position pos[r]
        hit[rows, holder[first + np.arange(len(rows))]] = True
        # covered tokens = union of [p, p + k) over hit positions p = sum of min(gap to the next hit, k)
        at = np.where(hit, pos[:, None], np.iinfo(np.int64).max)
        following = np.minimum.accumulate(at[::-1], axis=0)[::-1]
        after = np.vstack([following[1:], np.full((1, n), np.iinfo(np.int64).max)])
        gaps = np.minimum(after - pos[:, None], k)
        shares[s] = np.where(hit, gaps, 0).sum(axis=0) / fp.token_coverage
    np.fill_diagonal(shares, 0.0)
    return shares


def compare_students(codes, release_nb, settings, minimum=0.0, workers=None):
    """[(score, share_a, share_b, matched_tokens, a, b, slices_a, slices_b)] for every pair of {student: code}
    whose score (the larger share) is above zero and at least `minimum`, highest first; the numbers and the
    matching regions (slices of each student's code) are copydetect's compare_files."""
    prints = fingerprints(codes, settings, boilerplate_hashes(release_nb, settings), workers)
    students = sorted(prints)
    shares = share_matrix([prints[s] for s in students])
    score = np.maximum(shares, shares.T)
    results = []
    for i, j in zip(*np.nonzero(np.triu((score > 0) & (score >= minimum), 1))):
        a, b = students[i], students[j]
        tokens, (share_a, share_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        results.append((max(share_a, share_b), share_a, share_b, int(tokens), a, b, slices_a, slices_b))
    results.sort(key=lambda r: (-r[0], r[4], r[5]))
    return results


def module_codes(c, module_id):
    """({student: own code}, [(student, why unreadable)]) of a module's submissions."""
    codes, unreadable = {}, []
    for student in c.submitted_students(module_id):
        path = c.submission_path(module_id, student)
        try:
            codes[student] = own_code(nbformat.read(str(path), as_version=4))
        except Exception as err:  # any unreadable file is reported, never a reason to stop the class
            unreadable.append((student, f"{type(err).__name__}: {str(err)[:200]}"))
    return codes, unreadable


def _side(code, slices):
    marked, _ = highlight_overlap(code, slices, "<mark>", "</mark>", escape_html=True) if len(slices[0]) else \
        (html.escape(code), 0)
    return f"<pre>{marked}</pre>"


PAGE_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; } h2 { font-size: 1.15em; margin-top: 2em; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; } pre { font-size: 0.8em; background: #f8f8f8;
padding: 0.6em; overflow-x: auto; white-space: pre-wrap; } mark { background: #ffd27a; } p.note { color: #555; }
"""


def module_page(module_id, pairs, codes, unreadable, settings):
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>Similarity: {e(module_id)}</title><style>{PAGE_CSS}</style></head><body>",
             f"<h1>Similarity of students' own code: {e(module_id)}</h1>", f'<p class="note">{e(NOTE)}</p>',
             f'<p class="note">{len(codes)} submissions; pairs scoring at least {settings.threshold:.2f} are listed '
             f"(top {settings.top} shown here, all in similarity.csv). Highlighted: the matching regions.</p>"]
    if unreadable:
        parts.append("<p>Not compared (unreadable): " + ", ".join(f"{e(s)} ({e(why)})" for s, why in unreadable)
                     + "</p>")
    if not pairs:
        parts.append("<p><em>No pair reaches the threshold.</em></p>")
    for i, (score, share_a, share_b, tokens, a, b, slices_a, slices_b) in enumerate(pairs[:settings.top], 1):
        parts += [f'<h2 id="pair-{i}">{i}. {e(a)} and {e(b)}: {score:.0%}</h2>',
                  f'<p class="note">{share_a:.0%} of {e(a)}\'s code is found in {e(b)}\'s, {share_b:.0%} of {e(b)}\'s '
                  f"in {e(a)}'s ({tokens} matching tokens).</p>",
                  '<div class="pair">', _side(codes[a], slices_a), _side(codes[b], slices_b), "</div>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def similarity_report(c, modules=None, directory=None):
    """Compare the submissions of each module; write similarity.csv and similarity/<module>.html under
    `directory` (default gradebook/exports/); return the table of listed pairs."""
    settings = Similarity(config=c.config)
    directory = Path(directory or c.root / "gradebook" / "exports")
    (directory / "similarity").mkdir(parents=True, exist_ok=True)
    rows = []
    for module_id in modules or course.modules():
        release = c.release_path(module_id)
        codes, unreadable = module_codes(c, module_id)
        if not codes or not release.is_file():
            continue
        release_nb = nbformat.read(str(release), as_version=4)
        pairs = compare_students(codes, release_nb, settings, minimum=settings.threshold)
        rows += [(module_id, a, b, round(score, 3), round(sa, 3), round(sb, 3), tokens)
                 for score, sa, sb, tokens, a, b, _, _ in pairs]
        page = module_page(module_id, pairs, codes, unreadable, settings)
        (directory / "similarity" / f"{module_id}.html").write_text(page, encoding="utf-8")
    table = pd.DataFrame(rows, columns=COLUMNS)
    table.to_csv(directory / "similarity.csv", index=False)
    return table


def stale_submissions(c, csv_path):
    """Submissions handed in after similarity.csv was written (they are not in it)."""
    written = csv_path.stat().st_mtime
    return [(m, s) for m, s in submissions(c)
            if c.submission_path(m, s).is_file() and c.submission_path(m, s).stat().st_mtime > written]


def report_section(c, directory, top):
    """HTML for report.html: the top pairs per module from similarity.csv, or why there are none."""
    e = html.escape
    csv_path = Path(directory) / "similarity.csv"
    head = ["<h2>Similar submissions</h2>", f'<p class="note">{e(NOTE)}</p>']
    if not csv_path.is_file():
        return "\n".join(head + ["<p><em>Not computed yet: run <code>make similarity</code>.</em></p>"])
    table = pd.read_csv(csv_path, dtype={"student_a": str, "student_b": str})
    written = datetime.datetime.fromtimestamp(csv_path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    head.append(f'<p class="note">From <code>similarity.csv</code> ({written}); side by side in '
                "<code>similarity/&lt;module&gt;.html</code>.</p>")
    stale = stale_submissions(c, csv_path)
    if stale:
        head.append(f"<p><strong>Out of date:</strong> {len(stale)} submission(s) arrived after it was computed "
                    "(e.g. " + ", ".join(f"{e(s)}/{e(m)}" for m, s in stale[:5]) + "): run <code>make similarity</code>."
                    "</p>")
    if table.empty:
        return "\n".join(head + ["<p><em>No pair reaches the threshold.</em></p>"])
    for module_id, group in table.groupby("module", sort=False):
        shown = group.head(top).copy()
        shown.insert(0, "pair", [f'<a href="similarity/{e(module_id)}.html#pair-{i}">{i}</a>'
                                 for i in range(1, len(shown) + 1)])
        for col in ("student_a", "student_b"):
            shown[col] = shown[col].map(lambda v: e(str(v)))
        for col in ("score", "share_a", "share_b"):
            shown[col] = shown[col].map(lambda v: f"{v:.0%}")
        head += [f"<h3>{e(module_id)}</h3>", shown.drop(columns=["module"]).to_html(index=False, escape=False, border=0)]
    return "\n".join(head)
