#!/usr/bin/env bash
# The benchmark, in one command, from a clean clone:  bash benchmarks/run.sh [--quick]
#
# Uses $PYTHON if set (an environment with the tap, the emulator and matplotlib);
# otherwise makes benchmarks/.venv with the tap, the emulator and the `bench`
# dependency group. Writes benchmarks/RESULTS.md, benchmarks/throughput.png and
# benchmarks/output/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${PYTHON:-}" ]]; then
    venv=benchmarks/.venv
    if [[ ! -x $venv/bin/python ]]; then
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade "pip>=25.1"
    fi
    # The emulator first: the bench group names it, and it is not on a package index.
    "$venv/bin/python" -m pip install --quiet -e ./emulator -e .
    "$venv/bin/python" -m pip install --quiet --group bench
    PYTHON=$venv/bin/python
fi

exec "$PYTHON" -m benchmarks "$@"
