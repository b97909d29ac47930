#!/usr/bin/env bash
# Interoperability test: an independent Python client, written from
# spec/ledger-v1.md alone, drives a freshly started `commons serve` node.
#
#   tests/interop/run.sh            # release build (default)
#   PROFILE=debug tests/interop/run.sh
#
# Creates a venv in target/interop-venv, builds the `commons` binary, starts a
# node on a free local port with a temporary data directory, runs
# spec_client.py against it, stops the node and exits with the client's status.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILE="${PROFILE:-release}"
VENV="$TARGET_DIR/interop-venv"
PYTHON="${PYTHON:-python3}"

log() { printf '[interop] %s\n' "$*" >&2; }

NODE_PID=""
DATA_DIR=""
cleanup() {
    local status=$?
    if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
        kill "$NODE_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$NODE_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$NODE_PID" 2>/dev/null; then
            log "node did not stop on SIGTERM; sending SIGKILL"
            kill -9 "$NODE_PID" 2>/dev/null || true
        fi
        wait "$NODE_PID" 2>/dev/null || true
    fi
    if [[ -n "$DATA_DIR" && -d "$DATA_DIR" ]]; then
        if [[ $status -ne 0 && -f "$DATA_DIR/node.log" ]]; then
            log "last lines of the node's log:"
            tail -n 40 "$DATA_DIR/node.log" >&2 || true
        fi
        rm -rf "$DATA_DIR"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. Python environment
if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating venv $VENV"
    "$PYTHON" -m venv "$VENV"
fi
if ! cmp -s "$HERE/requirements.txt" "$VENV/.interop-requirements" 2>/dev/null; then
    log "installing $HERE/requirements.txt"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    cp "$HERE/requirements.txt" "$VENV/.interop-requirements"
fi

# 2. The node binary
if [[ "$PROFILE" == "release" ]]; then
    log "cargo build --release -p commons"
    (cd "$ROOT" && cargo build --release -p commons)
else
    log "cargo build -p commons"
    (cd "$ROOT" && cargo build -p commons)
fi
BIN="$TARGET_DIR/$PROFILE/commons"
[[ -x "$BIN" ]] || { log "no binary at $BIN"; exit 1; }

# 3. Start a node on a free port with an empty data directory
DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/commons-interop.XXXXXX")"
start_node() {
    PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    URL="http://127.0.0.1:$PORT"
    log "starting $BIN serve --data $DATA_DIR/data --listen 127.0.0.1:$PORT"
    "$BIN" serve --data "$DATA_DIR/data" --listen "127.0.0.1:$PORT" >>"$DATA_DIR/node.log" 2>&1 &
    NODE_PID=$!
    for _ in $(seq 1 300); do
        if ! kill -0 "$NODE_PID" 2>/dev/null; then
            wait "$NODE_PID" 2>/dev/null || true
            NODE_PID=""
            return 1
        fi
        if "$VENV/bin/python" - "$URL/healthz" <<'PY' 2>/dev/null; then
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=1) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
            return 0
        fi
        sleep 0.1
    done
    log "node did not answer /healthz within 30 s"
    exit 1
}
# A port taken between probing and binding makes the node exit: retry a few times.
started=""
for attempt in 1 2 3; do
    if start_node; then started=1; break; fi
    log "node exited during start-up (attempt $attempt)"
done
[[ -n "$started" ]] || { log "could not start the node"; exit 1; }
log "node is up at $URL (pid $NODE_PID)"

# 4. The independent client
set +e
"$VENV/bin/python" "$HERE/spec_client.py" "$URL"
status=$?
if [[ $status -eq 0 ]]; then
    # Regression: a second seq-0 event of the genesis author is an equivocation, not a 500.
    "$VENV/bin/python" "$HERE/repro_genesis_seq0.py" "$URL"
    status=$?
fi
set -e
if [[ $status -eq 0 ]]; then log "PASS"; else log "FAIL (client exit status $status)"; fi
exit "$status"
