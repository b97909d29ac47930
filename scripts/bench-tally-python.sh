#!/usr/bin/env bash
# The Python baseline of `commons-bench tally`: installs the pref_voting package (pinned)
# into a virtual environment under target/ on first use, then times it on the BLT files
# the benchmark wrote. Usage: scripts/bench-tally-python.sh DIR REPEATS
set -euo pipefail
cd "$(dirname "$0")/.."
PREF_VOTING_VERSION="1.18.2"
venv="target/tally-python/venv"
if ! "$venv/bin/python" -c "import pref_voting, sys; sys.exit(pref_voting.__version__ != '$PREF_VOTING_VERSION')" 2>/dev/null; then
  echo "installing pref_voting $PREF_VOTING_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "pref_voting==$PREF_VOTING_VERSION" >&2
fi
exec "$venv/bin/python" scripts/bench_tally_pref_voting.py "$@"
