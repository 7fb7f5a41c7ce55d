# TinyTorch Classroom. `make demo` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SANDBOX := $(VENV)/.sandbox
MODULE ?=
STUDENT ?=
# Recipes read MODULE and STUDENT from the environment ("$$STUDENT"), so any student id (spaces, quotes)
# reaches the command as one argument.
export MODULE STUDENT RERELEASE NOTE DUE DAYS HOURS ZIP TIMES TO

.PHONY: heldout capstone-baseline postgres migrate-db collect-canvas collect-moodle collect-blackboard similarity exchange deadline extension student-dist soak bench-grading help venv sandbox lab student-package package release check test demo autograde feedback report data milestones bench clean

help:
	@echo "make demo        release all modules, grade a demo class, export the gradebook"
	@echo "make test        the test suite (drift, pipeline, red team, each module's solution and blank release)"
	@echo "make lab         JupyterLab on the course (students: release/; instructors and TAs: Formgrader)"
	@echo "make package     export tinytorch/ from the source notebooks"
	@echo "make release     regenerate release/ with nbgrader generate_assignment (RERELEASE=01_tensor NOTE='why' to"
	@echo "                 change tests of a module students already handed in; recorded in gradebook/release_history/)"
	@echo "make student-dist MODULE=03_layers  build/student-dist/03_layers.tar.gz: what students get for a module"
	@echo "                 (release notebook, tinytorch of the modules published before it, README)"
	@echo "make student-package  build/student: that tinytorch alone (MODULE= for one module's)"
	@echo "make check       authoring gate: solution full marks, blank release zero, every mutant caught (MODULE= for one)"
	@echo "make autograde   autograde submitted/ (MODULE=01_tensor STUDENT=alice to narrow)"
	@echo "make feedback    feedback/ for every graded submission (MODULE=, STUDENT= to narrow)"
	@echo "make exchange    create nbgrader's exchange (outside the course) and close the course folder to students"
	@echo "make deadline MODULE=01_tensor DUE='2026-12-04 23:59 Europe/Zurich'   a module's due date"
	@echo "make extension MODULE=01_tensor STUDENT=ada DAYS=2 NOTE='illness'   one student's extension"
	@echo "make collect-canvas MODULE=01_tensor ZIP=submissions.zip TIMES=times.csv   an LMS download -> submitted/"
	@echo "                 (collect-moodle: TIMES=grading worksheet; collect-blackboard: times are in the file names)"
	@echo "make report      TA reports: scores, LMS CSV, pass rates, flags, grading queue, report.html"
	@echo "make similarity  pairs of submissions whose own code looks alike, for a TA (MODULE= for one)"
	@echo "make data        fetch MNIST / Fashion-MNIST / Shakespeare into the data cache (CIFAR-10, online: python -m tinytorch.datasets fetch cifar10)"
	@echo "make milestones  train milestones 01-05 on real data, then 06 optimizes 03-05's models (slow; 04 ~25 min, 05 ~11, 06 ~10)"
	@echo "make bench       tinytorch vs NumPy vs PyTorch CPU, and int8 vs float32 models (installs the torch extra)"
	@echo "make soak        three batches of honest and hostile students graded at once score as one alone (slow)"
	@echo "make heldout     the capstone's held-out digits for the grader (gradebook/heldout/, IDX) from the data cache"
	@echo "make capstone-baseline  source/20_capstone/baseline_mlp.json/.npz from milestone 03's MLP (trained if missing)"
	@echo "make bench-grading  notebooks/minute: plain sequential nbgrader vs sandboxed parallel classroom"
	@echo "make migrate-db TO=postgresql+psycopg://user:pw@host/db   copy the gradebook into a new, empty database"
	@echo "make postgres    a throwaway PostgreSQL server on 127.0.0.1 (prints its URL; for trying the course on it)"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# Student kernels run under bubblewrap (see README, "Grading safely"); installed from Debian by name.
$(SANDBOX): $(STAMP)
	@command -v bwrap >/dev/null || (apt-get update -qq && apt-get install -y -qq bubblewrap) || \
	  { echo "bubblewrap is needed to sandbox student code: install it (apt-get install bubblewrap) as root"; exit 1; }
	@command -v setpriv >/dev/null && command -v prlimit >/dev/null || \
	  { echo "setpriv and prlimit (util-linux) are needed for the sandbox's limits"; exit 1; }
	touch $(SANDBOX)

sandbox: $(SANDBOX)

package: $(STAMP)
	$(PY) -m classroom.export

release: $(STAMP)
	$(PY) -m classroom.cli release $(if $(RERELEASE),--rerelease "$$RERELEASE" --note "$$NOTE")

check: $(SANDBOX)
	$(PY) -m classroom.cli check $(MODULE)

autograde: $(SANDBOX)
	$(PY) -m classroom.cli autograde $(if $(MODULE),--module "$$MODULE") $(if $(STUDENT),--student "$$STUDENT")

feedback: $(STAMP)
	$(PY) -m classroom.cli feedback $(if $(MODULE),--module "$$MODULE") $(if $(STUDENT),--student "$$STUDENT")

exchange: $(STAMP)
	$(PY) -m classroom.cli exchange

deadline: $(STAMP)
	$(PY) -m classroom.cli deadline "$$MODULE" "$$DUE"

extension: $(STAMP)
	$(PY) -m classroom.cli extension "$$MODULE" "$$STUDENT" --days "$${DAYS:-0}" --hours "$${HOURS:-0}" --note "$$NOTE"

# LMS downloads through nbgrader's zip_collect with a collector plugin per LMS (classroom/collectors.py)
collect-canvas collect-moodle collect-blackboard: $(STAMP)
	$(PY) -m classroom.cli collect $(@:collect-%=%) "$$MODULE" "$$ZIP" $(if $(TIMES),--times "$$TIMES")

report: $(STAMP)
	$(PY) -m classroom.cli report

similarity: $(STAMP)
	$(PY) -m classroom.cli similarity $(if $(MODULE),--module "$$MODULE")

demo: $(SANDBOX)
	$(PY) -m classroom.cli demo

test: $(SANDBOX)
	$(PY) -m pytest -n 2 -m "not slow" tests

soak: $(SANDBOX)
	$(PY) -m pytest -m slow tests/soak

data: $(STAMP)
	@# not `-m tinytorch.datasets`: the package imports that module first, and runpy warns about it
	$(PY) -c 'import sys; from tinytorch.datasets import _main; sys.exit(_main(["fetch"]))'

heldout: $(STAMP) data
	$(PY) -m classroom.capstone heldout

capstone-baseline: $(STAMP) data
	$(PY) -m classroom.capstone baseline

milestones: $(STAMP) data
	$(PY) milestones/01_perceptron.py
	$(PY) milestones/02_xor.py
	$(PY) milestones/03_mlp_digits.py --dataset mnist
	$(PY) milestones/03_mlp_digits.py --dataset fashion
	$(PY) milestones/04_cnn.py --dataset mnist
	$(PY) milestones/04_cnn.py --dataset fashion
	@if $(PY) -c "import tinytorch.datasets as d; d.load_cifar10('test')" 2>/dev/null; then \
	  $(PY) milestones/04_cnn.py --dataset cifar10; \
	else echo "04_cnn --dataset cifar10 skipped: CIFAR-10 is not in the data cache (see README, Milestones)"; fi
	$(PY) milestones/05_transformer.py
	$(PY) milestones/06_olympics.py

bench: $(STAMP) data
	$(PY) -m pip install -q -e ".[bench]"
	@mkdir -p bench/results && date +%s > bench/results/.started
	$(PY) bench/bench_mlp.py
	$(PY) bench/bench_conv.py
	$(PY) bench/bench_gpt.py
	$(PY) bench/bench_quantization.py
	$(PY) bench/bench_compression.py
	$(PY) bench/bench_kvcache.py
	$(PY) bench/bench_matmul.py
	$(PY) bench/summary.py --since "$$(cat bench/results/.started)"

student-package: $(STAMP)
	$(PY) -m classroom.student_package $(if $(MODULE),--module "$$MODULE")

student-dist: $(STAMP)
	$(PY) -m classroom.student_package --dist $(if $(MODULE),--module "$$MODULE")

lab: $(STAMP)
	$(PY) -m classroom.cli lab -- $(LAB_ARGS)

# The gradebook into another database (README, "Throughput"): then point the course at it with TINYTORCH_DB_URL.
migrate-db: $(STAMP)
	@test -n "$$TO" || { echo "make migrate-db TO=postgresql+psycopg://user:password@host/dbname (a new, empty database)"; exit 2; }
	$(PY) -m classroom.cli migrate-db --to "$$TO"

# A throwaway PostgreSQL cluster on loopback in a new temporary directory (installs Debian's postgresql if
# missing) that outlives make: it prints the URL and how to stop it. .ci/run starts one the same way for the tests.
postgres:
	python3 -m classroom.pgserver start

bench-grading: $(SANDBOX)
	$(PY) bench/bench_grading.py --students 15

clean:
	rm -rf $(VENV) submitted/*/ autograded/*/ feedback/*/ gradebook/*.db gradebook/exports
