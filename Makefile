# `make run`: set up .venv and run the main job on the bundled samples.
# `make test`: set up .venv and run the test suite (and name its 20 slowest tests).
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test setup clean bench

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/studio run

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q --durations=20

# The benchmarks of the README's performance section (slow: about an hour in all; bench-e2e runs a 60-minute session).
bench: $(STAMP)
	$(VENV)/bin/pip install --quiet -e '.[bench]'
	$(VENV)/bin/python scripts/bench-transcribe
	$(VENV)/bin/python scripts/bench-wer
	$(VENV)/bin/python scripts/bench-loudness
	$(VENV)/bin/python scripts/bench-feed
	$(VENV)/bin/python scripts/bench-clips
	$(VENV)/bin/python scripts/bench-e2e
	$(VENV)/bin/python scripts/bench-site
	$(VENV)/bin/python scripts/bench-chapters
	$(VENV)/bin/python scripts/bench-web
	command -v redis-server >/dev/null && $(VENV)/bin/python scripts/bench-workers || echo 'bench-workers skipped: no redis-server (apt-get install redis-server)'

clean:
	rm -rf $(VENV) public
