#!/usr/bin/env bash
# Proves the architecture invariant that the pure crates stay pure: commons-ledger and
# commons-core must not depend, even transitively, on tokio, sqlx or axum.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for crate in commons-ledger commons-core commons-tally; do
  tree=$(cargo tree -p "$crate" --edges normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
  for forbidden in tokio sqlx axum; do
    if grep -qx "$forbidden" <<<"$tree" || grep -q "^$forbidden-" <<<"$tree"; then
      echo "boundary violated: $crate depends on $forbidden" >&2
      cargo tree -p "$crate" -i "$forbidden" --edges normal >&2 || true
      status=1
    fi
  done
done
[[ $status -eq 0 ]] && echo "ok: commons-ledger, commons-core and commons-tally depend on no tokio, sqlx or axum"
exit $status
