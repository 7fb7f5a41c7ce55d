"""Time `make similarity`'s comparison on a synthetic class (default 500 students x one module) on this machine.

A real class is mostly independent work and a few copies. Independent code cannot be generated, so each
synthetic student hands in `--functions` functions drawn at random from the reference solutions of all modules
(about as many characters of own code as a module's), with every name changed, in another order, and a line of
their own after every other line; random draws overlap, as honest students' idioms do. `--copies` students then
hand in another student's code, disguised by renaming and reordering only. Every one of the n(n-1)/2 pairs is
scored; the pairs at or above the threshold are then compared again by copydetect for their matching regions.

    .venv/bin/python bench/bench_similarity.py [--students 500] [--functions 40] [--copies 10]
"""
import argparse
import os
import resource
import io
import random
import re
import textwrap
import time
import tokenize

import nbformat
import nbformat.v4

from classroom import course, submissions
from classroom.nbgrader_api import load_config
from classroom.similarity import Similarity, compare_students


def disguise(code, rng):
    """`code` with each identifier that is not a keyword or builtin renamed, and its functions shuffled."""
    names = {}
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.NAME and not re.fullmatch(r"def|class|return|for|in|if|else|elif|import|from|as|"
                                                          r"with|yield|not|and|or|is|None|True|False|self|np|"
                                                          r"lambda|while|try|except|raise|pass|break|continue|"
                                                          r"assert|global|del|finally", tok.string):
            names.setdefault(tok.string, f"n{rng.randrange(10**6)}")
            out.append((tok.type, names[tok.string]))
        else:
            out.append((tok.type, tok.string))
    renamed = tokenize.untokenize(out)
    parts = re.split(r"\n(?=def |class )", renamed)
    rng.shuffle(parts)
    return "\n".join(parts)


def own_lines(code, rng):
    """`code` with a statement of the student's own after every other line of a function body (never inside a
    bracket, a continued line or a docstring)."""
    out, open_brackets, in_string = [], 0, False
    for i, line in enumerate(code.splitlines()):
        out.append(line)
        in_string ^= (line.count('"""') % 2 == 1)
        open_brackets += sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")
        body = line.startswith("    ") and line.strip() and not line.rstrip().endswith((":", "\\", ","))
        if i % 2 and body and not in_string and open_brackets == 0:
            indent = line[:len(line) - len(line.lstrip())]
            out.append(f"{indent}step{rng.randrange(99)} = {rng.randrange(10**4)}")
    return "\n".join(out)


def solution_functions():
    """Every function and method of every module's reference solution cells (methods dedented)."""
    found = []
    for module_id in course.modules():
        source = nbformat.read(str(course.source_notebook(module_id)), as_version=4)
        for cell in source.cells:
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
                code = submissions.strip_markers(cell.source)
                parts = [textwrap.dedent(p) for p in re.split(r"\n(?=def |class |    def )", code)]
                found += [p for p in parts if p.startswith("def ")]
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--functions", type=int, default=40)
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    pool, rng = solution_functions(), random.Random(0)
    codes = {f"student{i:04d}": own_lines(disguise("\n\n".join(rng.sample(pool, args.functions)), rng), rng)
             for i in range(args.students - args.copies)}
    originals = sorted(codes)
    for i in range(args.copies):
        codes[f"copier{i:02d}"] = disguise(codes[rng.choice(originals)], rng)
    release = nbformat.v4.new_notebook()  # no skeleton: every character is the student's own
    settings = Similarity(config=load_config())
    chars = sum(map(len, codes.values())) / len(codes)
    started, cpu = time.perf_counter(), time.process_time()
    pairs = compare_students(codes, release, settings, minimum=settings.threshold)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the tokenizing pool, once it has exited
    n = len(codes)
    copies = sum(1 for p in pairs if p[4].startswith("copier") or p[5].startswith("copier"))
    print(f"{n} submissions of {chars:,.0f} characters of own code on average: {n * (n - 1) // 2:,} pairs scored, "
          f"{len(pairs)} at or above {settings.threshold:g} ({copies} involving a planted copy), in {took:.1f} s "
          f"(CPU: {cpu:.1f} s here, {workers.ru_utime + workers.ru_stime:.1f} s in the tokenizing workers; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
