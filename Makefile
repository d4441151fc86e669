# `make run`: set up .venv and run the main job on the bundled samples.
# `make test`: set up .venv and run the test suite (and name its 20 slowest tests).
# The set-up installs the exact versions (and sha256 of every file) in requirements.lock, then Studio
# itself without dependencies; it is redone when the lock or pyproject.toml changes. The locked setuptools
# goes first (hash-checked: the lock is a constraint there), so that what is built from source (feedgen's
# sdist, Studio) is built with it rather than with an unchecked one fetched for the build. `pip check` then
# fails the set-up when pyproject.toml asks for something the lock lacks (run `make lock`).
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
LOCK := requirements.lock
BENCH_LOCK := requirements-bench.lock

.PHONY: run test setup clean bench lock

setup: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet --require-hashes --no-deps -c $(LOCK) setuptools
	$(VENV)/bin/pip install --quiet --require-hashes --no-build-isolation -r $(LOCK)
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	$(VENV)/bin/pip check
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/studio run

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q --durations=20

# The benchmarks of docs/performance.md (slow: about an hour in all; bench-e2e runs a 60-minute session).
bench: $(STAMP)
	$(VENV)/bin/pip install --quiet --require-hashes --no-deps -c $(BENCH_LOCK) cython
	$(VENV)/bin/pip install --quiet --require-hashes --no-build-isolation -r $(BENCH_LOCK)
	$(VENV)/bin/python scripts/bench-transcribe
	$(VENV)/bin/python scripts/bench-wer
	$(VENV)/bin/python scripts/bench-text
	$(VENV)/bin/python scripts/bench-loudness
	$(VENV)/bin/python scripts/bench-sound
	$(VENV)/bin/python scripts/bench-feed
	$(VENV)/bin/python scripts/bench-clips
	$(VENV)/bin/python scripts/bench-e2e
	$(VENV)/bin/python scripts/bench-site
	$(VENV)/bin/python scripts/bench-chapters
	$(VENV)/bin/python scripts/bench-web
	$(VENV)/bin/python scripts/bench-push
	$(VENV)/bin/python scripts/bench-stats-web
	command -v redis-server >/dev/null && $(VENV)/bin/python scripts/bench-workers || echo 'bench-workers skipped: no redis-server (apt-get install redis-server)'
	[ -x /usr/bin/icecast2 ] && $(VENV)/bin/python scripts/bench-record || echo 'bench-record skipped: no icecast2 (apt-get install icecast2)'

# `make lock`: re-resolve the locks from pyproject.toml with pip-tools (in a throwaway venv, not a project
# dependency): requirements.lock for the dependencies and the test extra, requirements-bench.lock for those
# and the bench extra, with the same pins. Both are for this Python (3.11) on this platform (Linux x86_64),
# carry the sha256 of every PyPI file of each pin, include setuptools (Studio's build backend) and leave
# Studio itself out (the bench lock's "# studio" warning is expected). Only PyPI is asked: the local pip
# configuration (mirrors, find-links) is ignored. Pins already in the locks are kept where they still fit;
# `make lock LOCK_UPGRADE=--upgrade` takes the newest releases instead. Run `make test` before committing.
PIP_TOOLS := pip-tools==7.7.0
LOCK_UPGRADE ?=
PIP_COMPILE_ENV := env -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_FIND_LINKS -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null
PIP_COMPILE_FLAGS := --quiet --generate-hashes --strip-extras --all-build-deps --unsafe-package studio \
	--index-url https://pypi.org/simple --no-emit-index-url --no-emit-find-links $(LOCK_UPGRADE)
lock:
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/pip" install --quiet $(PIP_TOOLS) && \
	$(PIP_COMPILE_ENV) "$$tmp/venv/bin/pip-compile" $(PIP_COMPILE_FLAGS) --extra test \
		--output-file $(LOCK) pyproject.toml && \
	$(PIP_COMPILE_ENV) "$$tmp/venv/bin/pip-compile" $(PIP_COMPILE_FLAGS) --extra test --extra bench \
		--constraint $(LOCK) --output-file $(BENCH_LOCK) pyproject.toml

clean:
	rm -rf $(VENV) public
