# TinyTorch Classroom. `make demo` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
MODULE ?=
STUDENT ?=

.PHONY: help venv package release check test demo autograde feedback report data milestones bench clean

help:
	@echo "make demo        release all modules, grade a demo class, export the gradebook"
	@echo "make test        the full test suite (drift, pipeline, make check, loaders)"
	@echo "make package     export tinytorch/ from the source notebooks"
	@echo "make release     regenerate release/ with nbgrader generate_assignment"
	@echo "make check       authoring gate: solution full marks, blank release zero, mutants caught"
	@echo "make autograde   autograde submitted/ (MODULE=01_tensor STUDENT=alice to narrow)"
	@echo "make report      gradebook exports (CSV score table and summary)"
	@echo "make data        fetch MNIST / Fashion-MNIST into the data cache"
	@echo "make milestones  train milestones 01-03 on real data (slow)"
	@echo "make bench       tinytorch vs NumPy vs PyTorch CPU (installs the torch extra)"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

package: $(STAMP)
	$(PY) -m classroom.export

release: $(STAMP)
	$(PY) -m classroom.cli release

check: $(STAMP)
	$(PY) -m classroom.cli check $(MODULE)

autograde: $(STAMP)
	$(PY) -m classroom.cli autograde $(if $(MODULE),--module $(MODULE)) $(if $(STUDENT),--student $(STUDENT))

feedback: $(STAMP)
	$(PY) -m classroom.cli feedback

report: $(STAMP)
	$(PY) -m classroom.cli report

demo: $(STAMP)
	$(PY) -m classroom.cli demo

test: $(STAMP)
	$(PY) -m pytest -n 2 tests

data: $(STAMP)
	$(PY) -m tinytorch.datasets fetch

milestones: $(STAMP) data
	$(PY) milestones/01_perceptron.py
	$(PY) milestones/02_xor.py
	$(PY) milestones/03_mlp_digits.py --dataset mnist
	$(PY) milestones/03_mlp_digits.py --dataset fashion

bench: $(STAMP)
	$(PY) -m pip install -q ".[bench]"
	$(PY) -m pip install -q --no-deps -e .
	$(PY) bench/bench_mlp.py

clean:
	rm -rf $(VENV) submitted/*/ autograded/*/ feedback/*/ gradebook/*.db gradebook/exports
