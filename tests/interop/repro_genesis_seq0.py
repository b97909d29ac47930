#!/usr/bin/env python3
"""Reproduce a node/spec disagreement found by the interop client (not run by run.sh).

Spec §5: "Two valid events with the same (commons, author, seq) and different ids
are an equivocation. The node MUST keep both headers as evidence, record an
`evidence.equivocation` event, and accept nothing further from that author in
that commons until the commons' governance acts."

The genesis author's next event in the new commons is accepted at seq 1 with
prev = genesis id, so the node counts the genesis as the author's seq 0 there.
Submitting a second seq-0 event by the same author in that commons should
therefore be refused as an equivocation (409 `equivocation`, evidence recorded,
author frozen) -- or, if the genesis is not in that chain, be sequenced. The node
does neither: it answers HTTP 500 {"code":"internal"}, records nothing and does
not freeze the author (the log says its own evidence.equivocation event was
refused because the genesis header's `commons` field is h'', not the commons id).

Usage: repro_genesis_seq0.py <node base URL>   (exit 0 = node behaves, 1 = bug)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spec_client as s  # noqa: E402


def main(base: str) -> int:
    n = s.Node(base)
    seqk = bytes.fromhex(n.get_json("/api/v1/node")["sequencer"])
    alice = s.Key()
    g = s.new_event(alice, commons=b"", seq=0, prev=None, deps=[], kind="commons.genesis",
                    body_obj={"name": "repro", "maintainers": [alice.author], "threshold": 1,
                              "sequencer": seqk, "licence": "MIT", "parent": None})
    print("genesis:", n.post_envelope(g.envelope()))
    e = s.new_event(alice, commons=g.id, seq=0, prev=None, deps=[], kind="agent.profile",
                    body_obj={"name": "A", "kind": "person"})
    print("second seq-0 envelope:", e.envelope().hex())
    status, ans = n.post_envelope(e.envelope())
    print("answer:", status, ans)
    if status >= 500:
        print("BUG: HTTP 5xx for a well-formed, validly signed event")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
