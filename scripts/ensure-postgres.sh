#!/usr/bin/env bash
# Makes sure the local PostgreSQL server the tests use is up (127.0.0.1:5432, trust
# auth). Starts the packaged cluster if it is installed but stopped; fails loudly if
# there is no server, because the PostgreSQL conformance suite must never be skipped.
set -euo pipefail
ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if ready; then echo "postgres is ready"; exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
  version=$(ls /etc/postgresql | head -n1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi
for _ in $(seq 1 30); do ready && { echo "postgres is ready"; exit 0; }; sleep 1; done
echo "error: no PostgreSQL server on 127.0.0.1:5432; install postgresql and start it (tests need it)" >&2
exit 1
