# Every target runs from the repository root. `make help` lists them.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
QA := $(VENV)/bin/qa

.DEFAULT_GOAL := help
.PHONY: help install install-test index run serve test test-fast lint eval eval-bench bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

install: $(PY)  ## install the service into .venv/ (bundled model included, no download at run time)
	$(PIP) install --quiet -e .

install-test: $(PY)  ## install the service and what the tests need (CPU torch, Chromium via apt)
	$(PIP) install --quiet -e '.[test]'
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

index: install  ## build or update the index from corpus/
	$(QA) index

run: index  ## install, index and serve on http://127.0.0.1:8000
	$(QA) serve

serve:  ## serve the existing index
	$(QA) serve

test: install-test  ## run the whole test suite (and ruff)
	$(VENV)/bin/ruff check qa embeddings api tests bench
	$(PY) -m pytest -q

test-fast:  ## unit tests only (no real model, no browser)
	$(PY) -m pytest -q -m "not model and not browser"

lint:  ## ruff
	$(VENV)/bin/ruff check qa embeddings api tests bench

eval: index  ## retrieval quality on corpus/questions*.yaml, hybrid vs its parts
	@for f in corpus/questions.yaml corpus/questions-extra.yaml; do \
	  for r in hybrid bm25 dense; do echo "== $$f $$r"; $(QA) eval $$f --retriever $$r; done; done

eval-bench: install  ## retrieval on the public CMRC 2018 and DRCD sets (slow the first time: embeds ~1,300 passages)
	@for f in ../shared/bench/cmrc2018_trial.json ../shared/bench/drcd_dev.json; do \
	  for r in hybrid bm25 dense; do echo "== $$f $$r"; $(QA) eval --squad $$f --retriever $$r; done; done

clean:  ## remove the index and the embedding cache
	rm -rf var/

bench: index  ## load benchmark of `qa serve` with wrk (c=1, 8, 32; repeated questions) against the targets
	$(PY) -m bench.load
