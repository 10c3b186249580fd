# Setup is owned here: a virtualenv, the project installed editable, and the Debian packages it
# needs (chromium for rendering, a CJK font for its screenshots, antiword for .doc, redis-server for the distributed mode,
# libgl1 for OpenCV, which the OCR's wheel links against: chromium alone does not pull it in).
# Idempotent: a stamp file records what was installed; a second run takes seconds.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_PACKAGES := chromium antiword redis-server fonts-wqy-microhei libgl1

.PHONY: setup demo test quick lint bench screenshots clean apt

setup: apt $(STAMP)

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

demo: setup
	$(BIN)/nianbao demo

test: setup
	$(BIN)/python -m pytest -q

# The quick loop while editing: no farm-wide crawls, no browser.
quick: setup
	$(BIN)/python -m pytest -q -m "not slow and not browser"

lint: setup
	$(BIN)/ruff check .

screenshots: setup
	$(BIN)/python bench/screenshots.py --db data/demo.db --out screenshots/

bench: setup
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf data/demo.db data/warc .pytest_cache
