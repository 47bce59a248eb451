#!/usr/bin/env bash
# Install everything the tests need (Python packages, and Debian's chromium for the browser
# tests), then run the whole suite. CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
# Debian packages: chromium for the browser tests, haproxy for the scale-out test, and the
# fonts that draw the pages' other scripts (Arabic, Devanagari: fonts-noto-core; Chinese:
# fonts-noto-cjk; the feedback buttons' emoji) for the language tests and the screenshots.
FONTS=(fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji)
if ! command -v chromium >/dev/null 2>&1 || ! command -v haproxy >/dev/null 2>&1 \
  || ! dpkg -s "${FONTS[@]}" >/dev/null 2>&1; then
  echo "== installing chromium, haproxy and fonts (Debian packages) for the browser tests"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    chromium haproxy "${FONTS[@]}" >/dev/null
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# torch first and pinned: a bare requirement would pull a multi-GB CUDA build. Then every other
# package at the version and hash the lock names (scripts/lock.py makes it; tests/test_lock.py
# fails when pyproject.toml moves on without it), and the project itself without resolving.
PIP=(.venv/bin/pip install -q --disable-pip-version-check)
"${PIP[@]}" torch==2.13.0
"${PIP[@]}" --require-hashes -r requirements/test.txt
"${PIP[@]}" --no-deps -e .

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$status"
