#!/usr/bin/env bash
# The Python baseline of `commons-bench value`: installs networkx with scipy and numpy
# (pinned) into a virtual environment under target/ on first use, then times
# networkx.pagerank on the graph the benchmark wrote.
# Usage: scripts/bench-value-python.sh DIR REPEATS
set -euo pipefail
cd "$(dirname "$0")/.."
NETWORKX_VERSION="3.4.2"
SCIPY_VERSION="1.15.3"
NUMPY_VERSION="2.2.6"
venv="target/value-python/venv"
if ! "$venv/bin/python" -c "
import sys, networkx, scipy, numpy
sys.exit((networkx.__version__, scipy.__version__, numpy.__version__) != ('$NETWORKX_VERSION', '$SCIPY_VERSION', '$NUMPY_VERSION'))
" 2>/dev/null; then
  echo "installing networkx $NETWORKX_VERSION, scipy $SCIPY_VERSION, numpy $NUMPY_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "networkx==$NETWORKX_VERSION" "scipy==$SCIPY_VERSION" "numpy==$NUMPY_VERSION" >&2
fi
exec "$venv/bin/python" scripts/bench_value_networkx.py "$@"
