#!/usr/bin/env bash
# Runs every test of systole, after installing what the tests need when it is missing.
#
#   scripts/test.sh            # from anywhere in a clone; CI runs exactly this (.ci/run)
#
# What it installs when absent:
#   - NumPy (PyPI, for python3): tests/numpy_crosscheck.rs checks `systole gemm` against numpy.matmul.
# Tests that need a tool fail with a message naming it when it is missing; none passes silently.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n== %s\n' "$*"; }

PYTHON="${PYTHON:-python3}"
export PYTHON
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        say "installing python3 (Debian)"
        apt-get update -qq && apt-get install -y -qq python3 python3-pip
    else
        echo "error: $PYTHON not found and no apt-get to install it" >&2
        exit 1
    fi
fi
if ! "$PYTHON" -c 'import numpy' >/dev/null 2>&1; then
    say "installing numpy (PyPI)"
    "$PYTHON" -m pip install --quiet numpy \
        || "$PYTHON" -m pip install --quiet --break-system-packages numpy
fi
"$PYTHON" -c 'import numpy; print("numpy", numpy.__version__)'

say "formatting (cargo fmt --check)"
cargo fmt --all -- --check

say "lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

say "docs (cargo doc, warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

say "tests (cargo test --workspace)"
cargo test --workspace --quiet

say "all tests passed"
