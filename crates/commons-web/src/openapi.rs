//! The OpenAPI 3.1 description of every route, built in code so that it lives next to the
//! handlers it describes; a test checks that it names every route of the router and
//! nothing else.

use crate::api::{BATCH_BODY_BYTES_MAX, BATCH_ENVELOPES_MAX};
use crate::{
    ENTRIES_RANGE_MAX, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, REQUEST_BODY_BYTES_MAX,
    REQUESTS_PER_MINUTE_PER_CLIENT,
};
use commons_store::BLOB_BYTES_MAX;
use serde_json::{Value, json};

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn response_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn hex_string(bytes: usize, description: &str) -> Value {
    json!({
        "type": "string",
        "pattern": format!("^[0-9a-f]{{{}}}$", 2 * bytes),
        "description": description,
    })
}

fn path_param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": schema })
}

fn query_param(name: &str, required: bool, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": required, "description": description, "schema": schema })
}

fn uint() -> Value {
    json!({ "type": "integer", "minimum": 0 })
}

fn commons_param() -> Value {
    json!({ "$ref": "#/components/parameters/CommonsId" })
}

fn event_param() -> Value {
    json!({ "$ref": "#/components/parameters/EventId" })
}

fn blob_param() -> Value {
    path_param(
        "name",
        "the blob's name `alg:hex`",
        json!({ "type": "string", "pattern": "^(sha256|blake3):[0-9a-f]{64}$" }),
    )
}

/// The responses a blob read can give besides its success: the usual ones, with 404 as
/// `blob_unknown`.
fn blob_errors(responses: serde_json::Map<String, Value>) -> Value {
    let mut responses = commons_errors(responses);
    responses["404"] =
        json!({ "description": "blob_unknown", "content": json_content(schema_ref("Error")) });
    responses
}

/// The responses every commons route can give besides its success.
fn commons_errors(mut responses: serde_json::Map<String, Value>) -> Value {
    responses.insert("400".into(), response_ref("BadRequest"));
    responses.insert("404".into(), response_ref("NotFound"));
    responses.insert("429".into(), response_ref("RateLimited"));
    responses.insert("500".into(), response_ref("Internal"));
    Value::Object(responses)
}

/// A JSON object described in words (the listings' shapes are documented by example).
fn object(description: &str) -> Value {
    json_content(json!({ "type": "object", "description": description }))
}

/// The `limit` of a listing whose pages hold 1 to `max` items, `default` when not given.
fn limit_param(max: usize, default: usize) -> Value {
    query_param(
        "limit",
        false,
        &format!("items per page, 1 to {max} (default {default}); otherwise invalid_query"),
        uint(),
    )
}

fn ok(description: &str, content: Value) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert(
        "200".into(),
        json!({ "description": description, "content": content }),
    );
    map
}

fn schemas() -> Value {
    let event_id = hex_string(32, "event id: SHA-256 of the signing bytes");
    let author = hex_string(33, "author key: 01 followed by the Ed25519 public key");
    json!({
        "Error": {
            "type": "object",
            "description": "every error answer; `code` is stable and machine-readable",
            "required": ["code", "message"],
            "properties": {
                "code": { "type": "string", "pattern": "^[a-z0-9_]+$", "examples": ["bad_signature", "unknown_commons", "rate_limited"] },
                "message": { "type": "string", "description": "for people; may change" }
            }
        },
        "NodeInfo": {
            "type": "object",
            "required": ["sequencer", "accepts_new_commons", "version"],
            "properties": {
                "sequencer": author,
                "accepts_new_commons": { "type": "boolean", "description": "whether anyone may create a commons here" },
                "version": { "type": "string" }
            }
        },
        "CommonsSummary": {
            "type": "object",
            "required": ["id", "name", "size", "licence", "maintainers", "threshold"],
            "properties": {
                "id": hex_string(32, "commons id: the id of its genesis event"),
                "name": { "type": "string" },
                "size": { "type": "integer", "minimum": 0, "description": "number of ledger entries" },
                "licence": { "type": "string", "description": "SPDX expression" },
                "maintainers": { "type": "array", "items": author },
                "threshold": uint()
            }
        },
        "CommonsOverview": {
            "type": "object",
            "required": ["id", "name", "size", "licence", "maintainers", "threshold", "sequencer", "governance_version",
                         "ledger_time_ms", "sequenced_here", "checkpoint", "n_authors", "n_agents"],
            "properties": {
                "id": hex_string(32, "commons id"),
                "name": { "type": "string" },
                "size": uint(),
                "licence": { "type": "string" },
                "maintainers": { "type": "array", "items": author },
                "threshold": uint(),
                "sequencer": author,
                "governance_version": uint(),
                "ledger_time_ms": { "type": "integer", "minimum": 0, "description": "time of the latest ledger.tick" },
                "sequenced_here": { "type": "boolean" },
                "checkpoint": { "type": ["string", "null"], "description": "latest signed checkpoint note" },
                "n_authors": uint(),
                "n_agents": uint()
            }
        },
        "SubmitAnswer": {
            "type": "object",
            "required": ["id", "status", "index"],
            "properties": {
                "id": event_id,
                "status": { "enum": ["sequenced", "pending"] },
                "index": { "type": ["integer", "null"], "minimum": 0 }
            }
        },
        "BatchAnswer": {
            "type": "array",
            "description": "one answer per envelope of the batch, in order: what POST /api/v1/events would have answered it alone",
            "items": { "oneOf": [schema_ref("SubmitAnswer"), schema_ref("Error")] }
        },
        "Event": {
            "type": "object",
            "required": ["index", "id", "commons", "author", "seq", "prev", "deps", "time", "kind", "body_len",
                         "body_hash", "body", "body_withheld", "signature"],
            "properties": {
                "index": uint(),
                "id": event_id,
                "commons": hex_string(32, "commons id"),
                "author": author,
                "seq": uint(),
                "prev": { "type": ["string", "null"], "pattern": "^[0-9a-f]{64}$" },
                "deps": { "type": "array", "items": event_id, "maxItems": 32 },
                "time": { "type": "integer", "minimum": 0, "description": "milliseconds, as the author claims" },
                "kind": { "type": "string", "pattern": "^[a-z0-9._-]{1,64}$" },
                "body_len": uint(),
                "body_hash": hex_string(32, "SHA-256 of the body bytes"),
                "body": { "description": "the CBOR body as JSON: byte strings as {\"$hex\": …}, maps with non-text keys as {\"$map\": [[k, v], …]}" },
                "body_withheld": { "type": "boolean" },
                "signature": hex_string(64, "Ed25519 signature")
            }
        },
        "EventPage": {
            "type": "object",
            "required": ["events", "next"],
            "properties": {
                "events": { "type": "array", "items": schema_ref("Event") },
                "next": { "type": ["string", "null"], "description": "path and query of the next page" }
            }
        },
        "EventStatus": {
            "type": "object",
            "required": ["id", "status", "index", "reason", "event"],
            "properties": {
                "id": event_id,
                "status": { "enum": ["sequenced", "pending", "evicted"] },
                "index": { "type": ["integer", "null"], "minimum": 0 },
                "reason": { "type": ["string", "null"], "enum": ["evicted_pool_full", "evicted_expired", null] },
                "event": { "oneOf": [schema_ref("Event"), { "type": "null" }] }
            }
        },
        "Blob": {
            "type": "object",
            "required": ["ref", "alg", "hash", "size"],
            "properties": {
                "ref": { "type": "string", "pattern": "^(sha256|blake3):[0-9a-f]{64}$", "description": "the blob's name `alg:hex`, as in URLs" },
                "alg": { "enum": ["sha256", "blake3"] },
                "hash": hex_string(32, "the digest of the bytes under alg"),
                "size": uint()
            }
        },
        "InclusionProof": {
            "type": "object",
            "required": ["index", "size", "hashes"],
            "properties": {
                "index": uint(),
                "size": uint(),
                "hashes": { "type": "array", "items": hex_string(32, "RFC 9162 proof hash") }
            }
        },
        "ForkParent": {
            "type": "object",
            "description": "the parent checkpoint a fork starts from, as its genesis names it (spec §9)",
            "required": ["commons", "size", "root", "checkpoint"],
            "properties": {
                "commons": hex_string(32, "the parent commons id"),
                "size": { "type": "integer", "minimum": 1, "description": "the parent's ledger size at the fork, and the index of the fork's genesis" },
                "root": hex_string(32, "the parent's root at that size"),
                "checkpoint": { "type": "string", "description": "the parent's signed checkpoint note, verbatim" }
            }
        },
        "Lineage": {
            "type": "object",
            "required": ["parent", "fork_checkpoint", "consistency_proof"],
            "properties": {
                "parent": schema_ref("ForkParent"),
                "fork_checkpoint": { "type": "string", "description": "the fork's latest signed checkpoint note" },
                "consistency_proof": { "type": "array", "items": hex_string(32, "RFC 9162 proof hash"),
                    "description": "consistency proof from the parent checkpoint's size to the fork checkpoint's" }
            }
        },
        "ForkSummary": {
            "type": "object",
            "required": ["id", "name", "fork_size"],
            "properties": {
                "id": hex_string(32, "the fork's commons id"),
                "name": { "type": "string" },
                "fork_size": { "type": "integer", "minimum": 1, "description": "the parent's size at which the fork starts" }
            }
        },
        "ConsistencyProof": {
            "type": "object",
            "required": ["from", "to", "hashes"],
            "properties": {
                "from": uint(),
                "to": uint(),
                "hashes": { "type": "array", "items": hex_string(32, "RFC 9162 proof hash") }
            }
        }
    })
}

fn responses() -> Value {
    let error = json_content(schema_ref("Error"));
    json!({
        "BadRequest": { "description": "a parameter, range or id is invalid", "content": error },
        "NotFound": { "description": "no such commons, event, tile or route", "content": error },
        "RateLimited": {
            "description": "this client sent too many requests; code `rate_limited`",
            "headers": { "Retry-After": { "description": "seconds to wait", "schema": uint() } },
            "content": error
        },
        "Internal": { "description": "the node failed; code `internal`", "content": error },
        "Rejected": { "description": "the event was refused and nothing was stored; `code` names the rule, e.g. governance_invalid, licence_incompatible, or for a fork checkpoint_unknown", "content": error }
    })
}

fn paths() -> Value {
    let text = |description: &str| json!({ "text/plain": { "schema": { "type": "string", "description": description } } });
    let octets = json!({ "application/octet-stream": { "schema": { "type": "string", "contentEncoding": "binary" } } });
    let cbor = json!({ "application/cbor": { "schema": { "type": "string", "contentEncoding": "binary",
        "description": "CBOR array of envelopes [header_bytes, signature, body or null] (spec §4)" } } });
    let rejected = response_ref("Rejected");
    json!({
        "/healthz": { "get": {
            "operationId": "healthz", "summary": "liveness probe",
            "responses": { "200": { "description": "the node answers", "content": text("ok") } }
        }},
        "/metrics": { "get": {
            "operationId": "metrics", "summary": "Prometheus / OpenMetrics text of the node and of HTTP requests",
            "responses": { "200": { "description": "metrics", "content": { "application/openmetrics-text": { "schema": { "type": "string" } } } } }
        }},
        "/api/v1/openapi.json": { "get": {
            "operationId": "openapi", "summary": "this document",
            "responses": commons_errors(ok("the OpenAPI 3.1 document", json_content(json!({ "type": "object" }))))
        }},
        "/api/v1/node": { "get": {
            "operationId": "getNode", "summary": "the node's sequencer key and whether it accepts new commons",
            "responses": commons_errors(ok("node", json_content(schema_ref("NodeInfo"))))
        }},
        "/api/v1/commons": { "get": {
            "operationId": "listCommons", "summary": "every commons the node hosts",
            "responses": commons_errors(ok("commons", json_content(json!({ "type": "array", "items": schema_ref("CommonsSummary") }))))
        }},
        "/api/v1/commons/{id}": { "get": {
            "operationId": "getCommons", "summary": "overview of one commons",
            "parameters": [commons_param()],
            "responses": commons_errors(ok("overview", json_content(schema_ref("CommonsOverview"))))
        }},
        "/api/v1/events": { "post": {
            "operationId": "submitEvent",
            "summary": "submit one envelope",
            "description": format!("The body is one envelope (spec §4), at most {REQUEST_BODY_BYTES_MAX} bytes. A genesis is accepted only if it names this node's sequencer key. A fork is created by submitting its genesis (whose `parent` names a checkpoint of a commons this node hosts) like any other. Resubmitting the same event gives the same answer."),
            "requestBody": { "required": true, "content": { "application/cbor": { "schema": { "type": "string", "contentEncoding": "binary" } } } },
            "responses": {
                "200": { "description": "sequenced", "content": json_content(schema_ref("SubmitAnswer")) },
                "202": { "description": "pending: waiting for its prev or deps", "content": json_content(schema_ref("SubmitAnswer")) },
                "400": { "description": "malformed: malformed_cbor, non_canonical, unsupported_version, header_invalid, kind_invalid, body_mismatch, too_many_deps, deps_unsorted, chain_invalid, genesis_invalid, bad_signature, small_order_key, key_invalid, time_in_future, unknown_kind, body_invalid, body_missing", "content": json_content(schema_ref("Error")) },
                "403": { "description": "not_authorised, author_frozen, key_revoked, sequencer_mismatch, new_commons_refused, not_sequencer", "content": json_content(schema_ref("Error")) },
                "404": { "description": "unknown_commons, parent_unknown (a fork of a commons this node does not host)", "content": json_content(schema_ref("Error")) },
                "409": { "description": "seq_gap, prev_mismatch, equivocation (recorded as evidence; the author is frozen), chain_broken", "content": json_content(schema_ref("Error")) },
                "413": { "description": "request_too_large, body_too_large, envelope_too_large", "content": json_content(schema_ref("Error")) },
                "415": { "description": "unsupported_media_type: the body must be application/cbor", "content": json_content(schema_ref("Error")) },
                "422": rejected,
                "429": response_ref("RateLimited"),
                "500": response_ref("Internal"),
                "503": { "description": "overloaded (with Retry-After), timeout or shutting_down", "content": json_content(schema_ref("Error")) }
            }
        }},
        "/api/v1/events/batch": { "post": {
            "operationId": "submitEventsBatch",
            "summary": "submit many envelopes at once",
            "description": format!("The body is a CBOR sequence (RFC 8742) of at most {BATCH_ENVELOPES_MAX} envelopes, at most {BATCH_BODY_BYTES_MAX} bytes in all. Their signatures are checked in one batch and they usually share one group commit. The answer is an array with each envelope's answer in order, sent once every sequenced envelope of the batch is durable; a refused envelope refuses nothing else."),
            "requestBody": { "required": true, "content": { "application/cbor-seq": { "schema": { "type": "string", "contentEncoding": "binary" } } } },
            "responses": {
                "200": { "description": "each envelope's answer", "content": json_content(schema_ref("BatchAnswer")) },
                "400": { "description": "batch_malformed (an item is not one definite-length CBOR item), batch_too_large (more envelopes than the limit)", "content": json_content(schema_ref("Error")) },
                "413": { "description": "request_too_large", "content": json_content(schema_ref("Error")) },
                "415": { "description": "unsupported_media_type: the body must be application/cbor-seq", "content": json_content(schema_ref("Error")) },
                "429": response_ref("RateLimited"),
                "500": response_ref("Internal"),
                "503": { "description": "timeout or shutting_down", "content": json_content(schema_ref("Error")) }
            }
        }},
        "/api/v1/blobs": { "post": {
            "operationId": "putBlob",
            "summary": "store a content-addressed blob (an artifact's bytes, kept outside the ledger)",
            "description": format!("The body is the blob's raw bytes, at most {BLOB_BYTES_MAX} bytes (a larger declared or sent body is refused before it is buffered). It is named by its SHA-256, or by its BLAKE3 above 1 MiB, unless `alg` says which. Putting a blob the node holds already answers 200 with the same reference."),
            "parameters": [query_param("alg", false, "the digest algorithm", json!({ "enum": ["sha256", "blake3"] }))],
            "requestBody": { "required": true, "content": octets.clone() },
            "responses": {
                "200": { "description": "the node held this blob already", "content": json_content(schema_ref("Blob")) },
                "201": { "description": "stored", "headers": { "Location": { "description": "the blob's URL", "schema": { "type": "string" } } }, "content": json_content(schema_ref("Blob")) },
                "400": { "description": "invalid_query (alg is neither sha256 nor blake3)", "content": json_content(schema_ref("Error")) },
                "413": { "description": "blob_too_large", "content": json_content(schema_ref("Error")) },
                "415": { "description": "unsupported_media_type: the body must be application/octet-stream", "content": json_content(schema_ref("Error")) },
                "429": response_ref("RateLimited"),
                "500": response_ref("Internal"),
                "503": { "description": "timeout or shutting_down", "content": json_content(schema_ref("Error")) },
                "507": { "description": "blob_store_full: the node's cap on blob bytes is reached", "content": json_content(schema_ref("Error")) }
            }
        }},
        "/api/v1/blobs/{name}": {
            "get": {
                "operationId": "getBlob", "summary": "a blob's bytes, immutable under its name",
                "description": "Served as application/octet-stream with `ETag: \"<name>\"` and `Cache-Control: public, max-age=31536000, immutable`; the node checks the bytes against the name before it sends them.",
                "parameters": [blob_param()],
                "responses": blob_errors(ok("the bytes", octets.clone()))
            },
            "head": {
                "operationId": "headBlob", "summary": "a blob's headers (size in Content-Length) without its bytes",
                "parameters": [blob_param()],
                "responses": blob_errors(ok("the blob is here", json!({})))
            }
        },
        "/api/v1/commons/{id}/events": { "get": {
            "operationId": "listEvents",
            "summary": "a page of events, as JSON for people or as a CBOR array of envelopes",
            "description": "JSON unless `format=cbor` or `Accept: application/cbor`. The next page's path is in `next` and in a `Link: <…>; rel=\"next\"` header.",
            "parameters": [
                commons_param(),
                query_param("from", false, "only events at this ledger index or later", uint()),
                query_param("before", false, "only events before this ledger index", uint()),
                query_param("limit", false, &format!("page size, default {PAGE_SIZE_DEFAULT}; above {PAGE_SIZE_MAX} is refused with page_too_large"),
                    json!({ "type": "integer", "minimum": 1, "maximum": PAGE_SIZE_MAX })),
                query_param("kind", false, "only events of this kind", json!({ "type": "string", "pattern": "^[a-z0-9._-]{1,64}$" })),
                query_param("author", false, "only events by this author key", hex_string(33, "author key")),
                query_param("order", false, "ledger order or newest first", json!({ "enum": ["asc", "desc"], "default": "asc" })),
                query_param("format", false, "json or cbor", json!({ "enum": ["json", "cbor"] }))
            ],
            "responses": commons_errors({
                let mut map = ok("a page", json_content(schema_ref("EventPage")));
                if let Some(Value::Object(content)) = map.get_mut("200").and_then(|r| r.get_mut("content")) {
                    content.extend(cbor.as_object().cloned().unwrap_or_default());
                }
                map
            })
        }},
        "/api/v1/commons/{id}/events/{event_id}": { "get": {
            "operationId": "getEvent", "summary": "one event and where it stands (sequenced, pending or evicted)",
            "parameters": [commons_param(), event_param()],
            "responses": commons_errors(ok("status", json_content(schema_ref("EventStatus"))))
        }},
        "/api/v1/commons/{id}/entries": { "get": {
            "operationId": "getEntries", "summary": "the envelopes at ledger indexes from <= i < to, as one CBOR array",
            "parameters": [
                commons_param(),
                query_param("from", true, "first index", uint()),
                query_param("to", true, &format!("end index (exclusive); at most {ENTRIES_RANGE_MAX} entries per request (range_too_large)"), uint())
            ],
            "responses": commons_errors(ok("entries", cbor.clone()))
        }},
        "/api/v1/commons/{id}/checkpoint": { "get": {
            "operationId": "getCheckpoint", "summary": "the latest checkpoint, a C2SP signed note",
            "parameters": [commons_param()],
            "responses": commons_errors(ok("checkpoint", text("signed note")))
        }},
        "/api/v1/commons/{id}/checkpoints/{size}": { "get": {
            "operationId": "getCheckpointAt", "summary": "the signed checkpoint stored at exactly this ledger size (404 no_checkpoint otherwise), e.g. to fork there",
            "parameters": [commons_param(), path_param("size", "ledger size", uint())],
            "responses": commons_errors(ok("checkpoint", text("signed note")))
        }},
        "/api/v1/commons/{id}/proof/inclusion": { "get": {
            "operationId": "getInclusionProof", "summary": "RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves",
            "parameters": [commons_param(), query_param("index", true, "leaf index", uint()), query_param("size", true, "tree size", uint())],
            "responses": commons_errors(ok("proof", json_content(schema_ref("InclusionProof"))))
        }},
        "/api/v1/commons/{id}/proof/consistency": { "get": {
            "operationId": "getConsistencyProof", "summary": "RFC 9162 consistency proof between two tree sizes",
            "parameters": [commons_param(), query_param("from", true, "old size", uint()), query_param("to", true, "new size", uint())],
            "responses": commons_errors(ok("proof", json_content(schema_ref("ConsistencyProof"))))
        }},
        "/api/v1/commons/{id}/authorize": { "get": {
            "operationId": "authorize",
            "summary": "may this key submit this kind of event in this commons?",
            "description": "The answer ingest would give on the current durable state (core's single authorization rule): a kind's role (anyone, maintainer, sequencer, founder), a frozen author, a rotated key. Body-specific rules are checked only at submission.",
            "parameters": [
                commons_param(),
                query_param("author", true, "the author key", hex_string(33, "author key")),
                query_param("kind", true, "the event kind", json!({ "type": "string", "pattern": "^[a-z0-9._-]{1,64}$" }))
            ],
            "responses": commons_errors(ok("the answer", json_content(json!({
                "type": "object",
                "required": ["allowed", "role", "code", "message"],
                "properties": {
                    "allowed": { "type": "boolean" },
                    "role": { "type": ["string", "null"], "enum": ["anyone", "maintainer", "sequencer", "founder", null] },
                    "code": { "type": ["string", "null"], "description": "the stable refusal code, e.g. not_authorised, author_frozen, key_revoked, unknown_kind" },
                    "message": { "type": ["string", "null"] }
                }
            }))))
        }},
        "/api/v1/commons/{id}/receipt/{event_id}": { "get": {
            "operationId": "getReceipt", "summary": "c2sp.org/tlog-proof receipt of one event against the latest checkpoint",
            "parameters": [commons_param(), event_param()],
            "responses": commons_errors(ok("receipt", text("c2sp.org/tlog-proof@v1 receipt")))
        }},
        "/api/v1/commons/{id}/lineage": { "get": {
            "operationId": "getLineage",
            "summary": "a fork's lineage: its parent checkpoint, its latest checkpoint and the consistency proof joining them",
            "description": "Verify the parent checkpoint with the parent's sequencer key, the fork checkpoint with the fork's, and the proof (RFC 9162) from the parent's root to the fork's. A commons that is not a fork answers 404 not_a_fork.",
            "parameters": [commons_param()],
            "responses": commons_errors(ok("lineage", json_content(schema_ref("Lineage"))))
        }},
        "/api/v1/commons/{id}/forks": { "get": {
            "operationId": "listForks", "summary": "the commons on this node that fork this one",
            "parameters": [commons_param()],
            "responses": commons_errors(ok("forks", json_content(json!({ "type": "array", "items": schema_ref("ForkSummary") }))))
        }},
        "/api/v1/commons/{id}/tlog/checkpoint": { "get": {
            "operationId": "getTlogCheckpoint", "summary": "tlog-tiles checkpoint",
            "parameters": [commons_param()],
            "responses": commons_errors(ok("checkpoint", text("signed note")))
        }},
        "/api/v1/commons/{id}/tlog/tile/{path}": { "get": {
            "operationId": "getTile",
            "summary": "tlog-tiles hash tile `<L>/<N>[.p/<W>]` or entry bundle `entries/<N>[.p/<W>]`",
            "description": "`path` spans several segments, e.g. `0/x001/234.p/7` or `entries/000`. Full tiles are served as immutable.",
            "parameters": [commons_param(), path_param("path", "tile path below tile/", json!({ "type": "string" }))],
            "responses": commons_errors(ok("tile or bundle", octets))
        }}
    })
}

/// Adds the peer-production (`production_paths`), association (`association_paths`),
/// budgeting (`budget_paths`) and value-sharing (`value_paths`) routes to the other paths.
fn with_areas(mut paths: Value) -> Value {
    for more in [
        production_paths(),
        association_paths(),
        budget_paths(),
        value_paths(),
        private_paths(),
    ] {
        if let (Value::Object(all), Value::Object(more)) = (&mut paths, more) {
            all.extend(more);
        }
    }
    paths
}

/// The peer-production reads; writes are events submitted to `/api/v1/events`.
fn production_paths() -> Value {
    use crate::production::{PRODUCTION_PAGE_DEFAULT, PRODUCTION_PAGE_MAX};
    let limit = limit_param(PRODUCTION_PAGE_MAX, PRODUCTION_PAGE_DEFAULT);
    let offset = query_param("offset", false, "items to skip", uint());
    let area = query_param("area", false, "an area slug", json!({ "type": "string" }));
    let key = path_param("key", "author key", hex_string(33, "author key"));
    let item = |name: &str| path_param(name, "event id of the item", hex_string(32, "event id"));
    json!({
        "/api/v1/commons/{id}/areas": { "get": {
            "operationId": "listAreas", "summary": "the areas (subprojects) of a commons with their maintainers, rule and chores",
            "parameters": [commons_param()],
            "responses": commons_errors(ok("areas", json_content(json!({ "type": "array", "items": { "type": "object" } }))))
        }},
        "/api/v1/commons/{id}/tasks": { "get": {
            "operationId": "taskBoard", "summary": "the task board: open tasks ranked by the traces left on them, with the ranking explained",
            "parameters": [commons_param(), area.clone(),
                query_param("label", false, "only tasks with this label", json!({ "type": "string" })),
                query_param("chores", false, "only chores", json!({ "type": "boolean" })),
                query_param("claimed", false, "include tasks with a live claim", json!({ "type": "boolean" })),
                offset.clone(), limit.clone()],
            "responses": commons_errors(ok("board", object("{ranking, matching, offset, tasks: [{id, area, title, labels, chore, status, claimed_by, score: {needs, interested, pledges, age_days, chore, total}, …}]}")))
        }},
        "/api/v1/commons/{id}/tasks/{task}": { "get": {
            "operationId": "getTask", "summary": "one task with its description, pledges, contributions and status",
            "parameters": [commons_param(), item("task")],
            "responses": commons_errors(ok("task", object("task")))
        }},
        "/api/v1/commons/{id}/contributions": { "get": {
            "operationId": "listContributions", "summary": "contributions, newest first",
            "parameters": [commons_param(), area.clone(),
                query_param("status", false, "pending, accepted, rejected or withdrawn", json!({ "type": "string", "enum": ["pending", "accepted", "rejected", "withdrawn"] })),
                query_param("author", false, "only this author's (or co-author's)", hex_string(33, "author key")),
                offset.clone(), limit.clone()],
            "responses": commons_errors(ok("page", object("{matching, offset, contributions: [...]}")))
        }},
        "/api/v1/commons/{id}/contributions/{contribution}": { "get": {
            "operationId": "getContribution", "summary": "one contribution with its authors, reviews (and which count), checklist and decision",
            "parameters": [commons_param(), item("contribution")],
            "responses": commons_errors(ok("contribution", object("contribution")))
        }},
        "/api/v1/commons/{id}/artifacts": { "get": {
            "operationId": "listArtifacts", "summary": "artifacts with their current revision",
            "parameters": [commons_param(), offset.clone(), limit.clone()],
            "responses": commons_errors(ok("artifacts", json_content(json!({ "type": "array", "items": { "type": "object" } }))))
        }},
        "/api/v1/commons/{id}/artifacts/{artifact}": { "get": {
            "operationId": "getArtifact", "summary": "one artifact with every accepted revision, each attributed",
            "parameters": [commons_param(), item("artifact")],
            "responses": commons_errors(ok("artifact", object("artifact")))
        }},
        "/api/v1/commons/{id}/threads/{kind}/{subject}": { "get": {
            "operationId": "getThread", "summary": "the discussion on an area, task, contribution or artifact, oldest first; hidden posts show who hid them and why",
            "parameters": [commons_param(),
                path_param("kind", "area, task, contribution or artifact", json!({ "type": "string", "enum": ["area", "task", "contribution", "artifact"] })),
                item("subject"), offset.clone(), limit.clone()],
            "responses": commons_errors(ok("thread", object("{subject_kind, subject, posts_total, offset, posts: [...]}")))
        }},
        "/api/v1/commons/{id}/people/{key}": { "get": {
            "operationId": "personRecord", "summary": "a person's contribution record: accepted and pending work, reviews given, tasks and chores done, effort, paid vs volunteer",
            "parameters": [commons_param(), key, offset, limit.clone()],
            "responses": commons_errors(ok("record", object("record")))
        }},
        "/api/v1/commons/{id}/feed": { "get": {
            "operationId": "activityFeed", "summary": "the latest events of the commons or of one area, newest first",
            "parameters": [commons_param(), area, limit],
            "responses": commons_errors(ok("feed", object("{area, events: [Event]}")))
        }},
        "/api/v1/commons/{id}/statistics": { "get": {
            "operationId": "statistics", "summary": "contributors per month, median time to decision, review load per maintainer, paid share by organisation, chores done",
            "parameters": [commons_param()],
            "responses": commons_errors(ok("statistics", object("statistics")))
        }}
    })
}

/// The association's reads; writes are events submitted to `/api/v1/events`. Everything
/// here is public by design: members, ballots, delegations and count sheets.
fn association_paths() -> Value {
    use crate::association::{
        ASSOCIATION_PAGE_DEFAULT, ASSOCIATION_PAGE_MAX, ELECTORATE_HASH_RECIPE,
    };
    let limit = limit_param(ASSOCIATION_PAGE_MAX, ASSOCIATION_PAGE_DEFAULT);
    let offset = query_param("offset", false, "items to skip", uint());
    let poll = path_param(
        "poll",
        "the poll: the id of its poll.open event",
        hex_string(32, "event id"),
    );
    let decisions = json!({ "type": "string", "enum": ["general", "amend_statutes", "admit_member", "suspend_member", "expel_member", "elect_board"] });
    let with_404 = |responses: Value, codes: &str| {
        let mut responses = responses;
        responses["404"] =
            json!({ "description": codes, "content": json_content(schema_ref("Error")) });
        responses
    };
    let poll_errors = |content| with_404(commons_errors(content), "unknown_commons, unknown_poll");
    json!({
        "/api/v1/commons/{id}/association": { "get": {
            "operationId": "getAssociation",
            "summary": "the association: its statutes (every rule with its method, electorate, exact threshold and quorum `n/d`, strict, chambers rule, progressive threshold), their history, the board and its term, member counts by status and by chamber",
            "description": "The `statutes` object is the JSON form `commons assoc adopt --file` reads, so it can be edited into an amendment.",
            "parameters": [commons_param()],
            "responses": with_404(commons_errors(ok("association", object("{statutes, history: [{index, poll}], board: [{key, name}], board_until_ms, members: {total, active, suspended, left, expelled, by_chamber, applications_pending}, polls_open, polls_total, ledger_time_ms}"))), "unknown_commons, no_statutes")
        }},
        "/api/v1/commons/{id}/members": { "get": {
            "operationId": "listMembers", "summary": "members in order of admission, with display name, chambers (derived ones included), roles (member, maintainer, board, contributor) and status with its reason",
            "parameters": [commons_param(),
                query_param("status", false, "only members with this status", json!({ "enum": ["active", "suspended", "left", "expelled"] })),
                query_param("chamber", false, "only members sitting in this chamber now (404 unknown_chamber)", json!({ "type": "string" })),
                offset.clone(), limit.clone()],
            "responses": with_404(commons_errors(ok("page", object("{matching, offset, members: [{key, name, since_ms, admitted_index, chambers, roles, status, reason, poll, suspended_until_ms, left_index}]}"))), "unknown_commons, unknown_chamber")
        }},
        "/api/v1/commons/{id}/applications": { "get": {
            "operationId": "listApplications", "summary": "applications: pending ones first (oldest first), then decided ones (newest first)",
            "parameters": [commons_param(),
                query_param("status", false, "only applications with this status", json!({ "enum": ["pending", "admitted", "refused", "withdrawn"] })),
                offset.clone(), limit.clone()],
            "responses": commons_errors(ok("page", object("{matching, offset, applications: [{id, applicant, index, time_ms, chambers, statement, status, decided_index, refuse_reason}]}")))
        }},
        "/api/v1/commons/{id}/polls": { "get": {
            "operationId": "listPolls", "summary": "polls: open ones first (closing soonest first) with their live turnout, then closed ones (last closed first)",
            "parameters": [commons_param(),
                query_param("status", false, "open or closed", json!({ "enum": ["open", "closed"] })),
                query_param("decision", false, "only polls deciding this", decisions.clone()),
                offset.clone(), limit.clone()],
            "responses": commons_errors(ok("page", object("{matching, offset, polls: [{id, title, author, decision, method, index, opened_ms, closes_ms, status, electorate_size, turnout: {weight, electorate_weight, share, voters}, n_ballots, passed, winners}]}")))
        }},
        "/api/v1/commons/{id}/polls/preview": { "get": {
            "operationId": "previewPoll", "summary": "the rule the statutes give a kind of decision, and the electorate (size, weight, hash) a poll opened now would freeze",
            "parameters": [commons_param(),
                query_param("decision", true, "the kind of decision", decisions),
                query_param("electorate", false, "general polls only: an electorate of their own, e.g. chamber:users or area:docs", json!({ "type": "string" }))],
            "responses": with_404(commons_errors(ok("preview", object("{decision, rule, electorate, seats, size, weight, hash, refusal: {code, message} | null, ledger_time_ms, closes_ms_min, closes_ms_max}"))), "unknown_commons, no_statutes")
        }},
        "/api/v1/commons/{id}/polls/{poll}": { "get": {
            "operationId": "getPoll",
            "summary": "one poll: its rules (method and parameters, options, seats, electorate, threshold, quorum, chambers, progressive threshold, closing time), its decision and target, its frozen electorate (size, weight, hash), live turnout, statements, and once closed its whole result",
            "description": "The result gives passed, quorum_met, the support required and reached (exact `n/d`), counts, winners by name (and before any tie-break), the lot's seed (hex), `sheet` (the `commons_tally::Outcome`: every round, every tie-break with its rule, totals), each chamber's result, the delegations followed, the decision's effect and any counting error.",
            "parameters": [commons_param(), poll.clone()],
            "responses": poll_errors(ok("poll", object("poll")))
        }},
        "/api/v1/commons/{id}/polls/{poll}/electorate": { "get": {
            "operationId": "getPollElectorate", "summary": "the electorate frozen when the poll opened, in ascending order of key: each voter's key, weight and chambers",
            "description": format!("Fetch every page to recompute `hash`: {ELECTORATE_HASH_RECIPE}."),
            "parameters": [commons_param(), poll.clone(), offset.clone(), limit.clone()],
            "responses": poll_errors(ok("page", object("{size, weight, hash, hash_recipe, offset, voters: [{key, name, weight, chambers}]}")))
        }},
        "/api/v1/commons/{id}/polls/{poll}/ballots": { "get": {
            "operationId": "listPollBallots", "summary": "every ballot cast, in order, changed ones included, each marked by whether it counts; ballots are public by design",
            "parameters": [commons_param(), poll.clone(),
                query_param("voter", false, "only this voter's ballots", hex_string(33, "author key")),
                offset, limit],
            "responses": poll_errors(ok("page", object("{n_ballots, matching, offset, ballots: [{event, voter, chamber, ballot, text, reason, index, time_ms, counts}]}")))
        }},
        "/api/v1/commons/{id}/polls/{poll}/ballots.blt": { "get": {
            "operationId": "getPollBallotsBlt", "summary": "the counted ballots of a ranked poll (borda, irv, schulze, ranked pairs, STV) in BLT, identical ballots grouped with their weights",
            "description": "A line `candidates seats`; one line `weight p1 p2 … 0` per distinct ballot (candidates from 1, equal ranks joined by `=`); `0`; the candidates' names and the poll's title in double quotes. These are the ballots the close counted, with delegations followed: counting them by the poll's method with the result's seed gives the published result. Other methods answer 404 not_ranked; their ballots are in ballots.json.",
            "parameters": [commons_param(), poll.clone()],
            "responses": with_404(commons_errors(ok("BLT", json!({ "text/plain": { "schema": { "type": "string" } } }))), "unknown_commons, unknown_poll, not_ranked")
        }},
        "/api/v1/commons/{id}/polls/{poll}/ballots.json": { "get": {
            "operationId": "getPollCountInput", "summary": "what a recount needs, for any method: method, parameters, seed and the counted ballots as a commons_tally Profile",
            "description": "`candidates`, `seats` and `ballots` (each `{weight, ballot}` in commons-tally's serde form, e.g. `{\"ranking\": [[0], [2]]}`, `{\"proposal\": \"yes\"}`, `{\"consent\": {\"object\": {\"resolved\": false}}}`) deserialize as a `commons_tally::Profile`; `commons_tally::count` of it by the method with the seed gives the published `sheet`. For an open poll: the ballots as they would count now, and no seed.",
            "parameters": [commons_param(), poll],
            "responses": poll_errors(ok("count input", object("{poll, method, parameters: {min, max, budget}, seed, closed, candidates, seats, ballots: [{weight, ballot}]}")))
        }},
        "/api/v1/commons/{id}/delegations": { "get": {
            "operationId": "listDelegations", "summary": "every delegation, by topic (an area's slug, or * for every poll) then delegator; public by design",
            "parameters": [commons_param(),
                query_param("topic", false, "only this topic", json!({ "type": "string" })),
                query_param("offset", false, "items to skip", uint()),
                query_param("limit", false, &format!("items per page, 1 to {ASSOCIATION_PAGE_MAX}"), uint())],
            "responses": commons_errors(ok("page", object("{by_topic: {topic: n}, matching, offset, delegations: [{from, to, topic}]}")))
        }},
        "/api/v1/commons/{id}/people/{key}/delegations": { "get": {
            "operationId": "personDelegations", "summary": "whom a person delegates to and who delegates to them, per topic",
            "parameters": [commons_param(), path_param("key", "author key", hex_string(33, "author key"))],
            "responses": commons_errors(ok("delegations", object("{person, member, delegates_to: [{topic, key, name}], delegated_by: [{topic, key, name}]}")))
        }}
    })
}

/// Participatory budgeting's reads; writes are events submitted to `/api/v1/events`.
/// Ballots and count sheets are public by design, like the rest of the association.
fn budget_paths() -> Value {
    use crate::budget::{
        BUDGET_ELECTORATE_HASH_RECIPE, BUDGET_PAGE_DEFAULT, BUDGET_PAGE_MAX, BUDGET_SEED_RECIPE,
    };
    let limit = limit_param(BUDGET_PAGE_MAX, BUDGET_PAGE_DEFAULT);
    let offset = query_param("offset", false, "items to skip", uint());
    let round = path_param(
        "round",
        "the round: the id of its budget.open event",
        hex_string(32, "event id"),
    );
    let with_404 = |responses: Value, codes: &str| {
        let mut responses = responses;
        responses["404"] =
            json!({ "description": codes, "content": json_content(schema_ref("Error")) });
        responses
    };
    let round_errors =
        |content| with_404(commons_errors(content), "unknown_commons, unknown_round");
    json!({
        "/api/v1/commons/{id}/budgets": { "get": {
            "operationId": "listBudgetRounds",
            "summary": "participatory budgeting rounds: open ones first (closing soonest first), then closed ones (last closed first), each with its phase now, pool, model and rule, dates, electorate size and hash, projects and voters, and once closed what it spent and left",
            "description": "Money is in the round's minor units (exact integers); `currency_decimals` says how to show them in major units.",
            "parameters": [commons_param(),
                query_param("status", false, "open or closed", json!({ "enum": ["open", "closed"] })),
                offset.clone(), limit.clone()],
            "responses": commons_errors(ok("page", object("{matching, offset, ledger_time_ms, rounds: [{id, title, author, index, phase, pool, currency, currency_decimals, model: {name, min_spend, min, max}, rule: {name, completion}, opened_ms, proposals_close_ms, closes_ms, electorate_size, electorate_hash, n_projects, n_voters, spent, leftover, n_funded}]}")))
        }},
        "/api/v1/commons/{id}/budgets/{round}": { "get": {
            "operationId": "getBudgetRound",
            "summary": "one round with its description and guidelines, every project (items, minimum and maximum cost, open flags with their reasons, status, who excluded or cancelled it and why, granted, authorised, live backers and pledges), and once closed the whole count",
            "description": format!("`result.outcome` is the `commons_tally::budget::BudgetOutcome` of the close: `funded` (grants in funding order), `total_spent`, `leftover`, `steps` (the sheet), `tie_breaks` (with each lot), `seed` (hex), `co_funding` (allocation per voter, remainder, unpledged, returns per project with their reason) or `equal_shares` (voter share, paid per voter, add1 increments). Prices `rho`, caps and payments are exact fractions `\"n/d\"`. Project indexes refer to `result.counted`. Seed: {BUDGET_SEED_RECIPE}."),
            "parameters": [commons_param(), round.clone()],
            "responses": round_errors(ok("round", object("{…summary, description, guidelines, ledger_time_ms, projects: [{id, author, index, name, description, items: [{label, amount, optional}], min_cost, max_cost, flags: [{by, reason}], status, status_by, status_reason, granted, authorised, count_index, n_backers, pledged}], result: {index, time_ms, counted, outcome, error, seed_recipe} | null}")))
        }},
        "/api/v1/commons/{id}/budgets/{round}/electorate": { "get": {
            "operationId": "getBudgetElectorate", "summary": "the active members frozen into the round when it opened, in ascending order of key",
            "description": format!("Fetch every page to recompute `hash`: {BUDGET_ELECTORATE_HASH_RECIPE}."),
            "parameters": [commons_param(), round.clone(), offset.clone(), limit.clone()],
            "responses": round_errors(ok("page", object("{size, hash, hash_recipe, offset, voters: [{key, name}]}")))
        }},
        "/api/v1/commons/{id}/budgets/{round}/ballots": { "get": {
            "operationId": "listBudgetBallots", "summary": "every voter's ballot that counts (the last one cast), with how many they cast; ballots are public by design",
            "description": "In ascending order of voter key, the order the count reads them: an equal-shares payment's `ballot_index` is a position in this list. A co-funding count also gives every member of the electorate who did not vote an empty ballot. Counting these ballots (entries with `counted`) with `commons_tally::budget::allocate` and the outcome's seed gives the published outcome.",
            "parameters": [commons_param(), round,
                query_param("voter", false, "only this voter's ballot", hex_string(33, "author key")),
                offset.clone(), limit.clone()],
            "responses": round_errors(ok("page", object("{model, electorate_size, n_voters, matching, offset, ballots: [{voter, kind, entries: [{project, name, amount, counted}], text, n_cast}]}")))
        }},
        "/api/v1/commons/{id}/authorisations": { "get": {
            "operationId": "listAuthorisations", "summary": "the spending-authorisation ledger: a grant for every project a round funded, a release (reversing entry) for every cancelled one, oldest first, with each project's balance",
            "parameters": [commons_param(),
                query_param("round", false, "only this round's entries (404 unknown_round)", hex_string(32, "event id")),
                query_param("project", false, "only this project's entries (404 unknown_project)", hex_string(32, "event id")),
                offset, limit],
            "responses": with_404(commons_errors(ok("page", object("{matching, offset, totals: {currency: {granted, released, balance}}, entries: [{kind, round, round_title, project, project_name, amount, currency, index, reason, balance_after, balance}]}"))), "unknown_commons, unknown_round, unknown_project")
        }}
    })
}

/// Value sharing's reads; writes (`money.*`, `value.equation`, `dist.*`) are events
/// submitted to `/api/v1/events`. The books are public by design.
fn value_paths() -> Value {
    use crate::value::{
        CIRCLES_PAGE_MAX, CREDIT_RECIPE, CREDITED_CONTRIBUTIONS_MAX, EARNINGS_PAGE_DEFAULT,
        EARNINGS_PAGE_MAX, FUNDING_INCOMES_MAX, SPENDING_LATEST_MAX, VALUE_PAGE_DEFAULT,
        VALUE_PAGE_MAX,
    };
    let limit = limit_param(VALUE_PAGE_MAX, VALUE_PAGE_DEFAULT);
    let offset = query_param("offset", false, "items to skip", uint());
    let order = query_param(
        "order",
        false,
        "asc (oldest first, the default) or desc",
        json!({ "enum": ["asc", "desc"] }),
    );
    let currency = query_param(
        "currency",
        false,
        "only this currency",
        json!({ "type": "string", "pattern": "^[A-Z0-9]{1,12}$" }),
    );
    let dist = path_param(
        "dist",
        "the distribution: the id of its dist.propose event",
        hex_string(32, "event id"),
    );
    let person = path_param("key", "author key", hex_string(33, "author key"));
    let dist_errors = |content| {
        let mut responses = commons_errors(content);
        responses["404"] = json!({ "description": "unknown_commons, unknown_distribution", "content": json_content(schema_ref("Error")) });
        responses
    };
    let money = "money is {minor, display}: exact minor units and the amount in major units with the currency (ISO 4217 decimals, 2 for a code it does not list)";
    json!({
        "/api/v1/commons/{id}/treasury": { "get": {
            "operationId": "getTreasury",
            "summary": "the books: per currency the treasury, what proposed distributions reserve, what is available, owed to people, carried, owed upstream, in pools, paid out, and income by kind; then every account's signed balance (outside accounts run negative; a currency's balances sum to zero), one page",
            "description": money,
            "parameters": [commons_param(), currency.clone(), offset.clone(), limit.clone()],
            "responses": commons_errors(ok("treasury", object("{ledger_time_ms, size, treasurers: [{key, name}], treasurer_approvals, currencies: [{currency, decimals, treasury, reserved, available, owed, n_owed, carried, n_carried, upstream, pools, expenses, escrow, awards, paid_out, income_total, income_by_kind: [{kind, amount, n_incomes}]}], accounts_matching, offset, accounts: [{account, kind, internal, person, currency, balance: {minor, display}}]}")))
        }},
        "/api/v1/commons/{id}/incomes": { "get": {
            "operationId": "listIncomes",
            "summary": "incomes recorded by treasurers, in ledger order, with their reversal if one corrected them",
            "parameters": [commons_param(), currency.clone(),
                query_param("kind", false, "only this kind", json!({ "enum": ["donation", "benefit_sharing", "grant", "prize", "bounty", "sale"] })),
                order.clone(), offset.clone(), limit.clone()],
            "responses": commons_errors(ok("page", object("{matching, offset, totals: {currency: money}, incomes: [{id, kind, amount, currency, source, source_agent, reference, note, earmark: {kind, id}, by, index, time_ms, reversed_by}]}")))
        }},
        "/api/v1/commons/{id}/journal": { "get": {
            "operationId": "getJournal",
            "summary": "the double-entry journal: every line moving money from one account to another, with the event that wrote it",
            "parameters": [commons_param(), currency,
                query_param("account", false, "only lines from or to this account, e.g. treasury or owed:<key>", json!({ "type": "string" })),
                query_param("event", false, "only the lines of this event", hex_string(32, "event id")),
                order, offset.clone(), limit.clone()],
            "responses": commons_errors(ok("page", object("{matching, offset, lines: [{n, from, to, amount, currency, event, index, time_ms, memo, reverses}]}")))
        }},
        "/api/v1/commons/{id}/equation": { "get": {
            "operationId": "getEquation",
            "summary": "the value equation in force now and every adopted equation with its effective time and the poll that decided it; weights are exact fractions \"n/d\"; `graph` (null when credit stays where it is minted) holds the damping and back-flow with which credit flows along the contribution graph (CredRank)",
            "description": CREDIT_RECIPE,
            "parameters": [commons_param()],
            "responses": commons_errors(ok("equations", object("{ledger_time_ms, in_force: equation, in_force_n, formula, equations: [{n, index, effective_ms, poll, in_force, equation: {base, effort_per_hour, kinds, areas, labels, chore_multiplier, reviewer_share, upstream: [{name, share}], graph: {damping, back_flow, builds_on} | null, hash}}]}")))
        }},
        "/api/v1/commons/{id}/distributions": { "get": {
            "operationId": "listDistributions",
            "summary": "distributions, newest first, with status and treasurer approvals",
            "parameters": [commons_param(),
                query_param("status", false, "proposed, executed or cancelled", json!({ "enum": ["proposed", "executed", "cancelled"] })),
                offset.clone(), limit.clone()],
            "responses": commons_errors(ok("page", object("{matching, offset, distributions: [{id, title, by, index, time_ms, amount, currency, status, n_approvals, approvals_needed, executed_index, executed_ms, pin_size, n_recipients}]}")))
        }},
        "/api/v1/commons/{id}/distributions/{dist}": { "get": {
            "operationId": "getDistribution",
            "summary": "one distribution: pin, configuration hash, approvals, every bucket with its amount and shares (recipient, weight in milli-credits, amount), each recipient's total, what execution credits and carries",
            "description": format!("`offset` and `limit` page each bucket's shares and the totals, credited and carried lists alike (`recipients_matching`, `n_shares`). {money}."),
            "parameters": [commons_param(), dist.clone(), offset.clone(), limit],
            "responses": dist_errors(ok("distribution", object("{…summary, pin: {size, root}, config_hash, min_payout, approvals, buckets: [{name, take, share_ppm, to, policy, discount_ppm, memo, rates, cap_ppm, min_pledge, circle, amount, total_weight, n_shares, shares: [{recipient: {kind, key, name}, weight, amount}], claims: [{claim, holder, kind, paid, owed_before, owed_after, share_ppm, received_before, received_after, settles, summary}]}], recipients_matching, offset, totals, credited, carried, total_shared, total_credited, total_carried}")))
        }},
        "/api/v1/commons/{id}/distributions/{dist}/explain": { "get": {
            "operationId": "explainShare",
            "summary": "why one person got what they got: the incomes that funded the treasury before the pin, each bucket with their weight against its total and their amount, and the accepted contributions that earned the credit (exact fractions and milli-credits), or for a time-weighted bucket the effort they declared (`efforts`: minutes times their kind's rate)",
            "description": format!("`weight_unit` says what the weights count (milli-credits, weighted minutes, GIVE, millionths, match weight, claim weight). Lists at most {FUNDING_INCOMES_MAX} incomes (the latest) and {CREDITED_CONTRIBUTIONS_MAX} contributions or efforts per bucket (largest first); the counts cover all. A key with no share gets zero amounts and the contributions, if any, that earned too little. {CREDIT_RECIPE}"),
            "parameters": [commons_param(), dist,
                query_param("who", true, "the person's key", hex_string(33, "author key"))],
            "responses": dist_errors(ok("explanation", object("{distribution, recipient, funding: {drawn_from, n_incomes, incomes_total, incomes}, buckets: [{name, to, policy, bucket_amount, credit_from_index, credit_before_index, weight, total_weight, weight_unit, fraction, amount, n_contributions, contributions: [{contribution, title, area, role, credit, milli_credits, accepted_index, accepted_ms}], efforts: [{contribution, title, kind, minutes, weight_per_minute, weight, accepted_index, accepted_ms}], claims, circle: {circle, title, received, total_received}}], total, credited, carried, recipe}")))
        }},
        "/api/v1/commons/{id}/polls/{poll}/simulation": { "get": {
            "operationId": "simulateEquation",
            "summary": "what an open or closed `value_equation` poll's equation would change: each person's lifetime credit (milli-credits) and share of a distribution before and after, computed by the same code as a real distribution (the latest distribution's amount and buckets, or before any the whole treasury to contributors by lifetime credit)",
            "description": money,
            "parameters": [commons_param(), path_param("poll", "the poll's id", hex_string(32, "event id"))],
            "responses": commons_errors(ok("simulation", object("{poll, effective_ms, equation, amount, currency, shares: [{to: {kind, key, name}, credit_before, credit_after, money_before, money_after}]}")))
        }},
        "/api/v1/commons/{id}/spending": { "get": {
            "operationId": "listSpending",
            "summary": "expenses, newest first and paged, each with its budget line, state (draft, submitted, incomplete, approved, scheduled, paid, rejected, cancelled, reversed), approvals against those needed, whether a poll must pass, and its history; the latest bounties (escrowed, released with each co-author's part, refunded or returned to the treasury) and awards (nominees, winners' prizes)",
            "description": format!("At most {SPENDING_LATEST_MAX} bounties and awards, the latest; `bounties_matching` and `awards_matching` count them all. `policies` says how expenses are approved: the general treasury's policy first (`line` null), then each budget line's own, at most {SPENDING_LATEST_MAX} of `policies_matching`; `poll_above` is in minor units of the expense's currency. {money}."),
            "parameters": [commons_param(),
                query_param("offset", false, "expenses to skip", uint()),
                limit_param(VALUE_PAGE_MAX, VALUE_PAGE_DEFAULT)],
            "responses": commons_errors(ok("spending", object("{expenses_matching, offset, expenses: [{id, author, payee, title, description, amount, line, reference, state, approvals, approvals_needed, approvers, poll_above, needs_poll, poll, history: [{by, index, time_ms, what, note}]}], bounties_matching, bounties: [{id, task, pledger, source, amount, unresolved, state, shares}], awards_matching, awards: [{id, title, description, amount, winners, nominations_close_ms, nominees: [{nominee, by, reason}], state, poll, prizes}], policies_matching, policies: [{line, approvers, approvals, poll_above, set, payable}]}")))
        }},
        "/api/v1/commons/{id}/claims": { "get": {
            "operationId": "listClaims",
            "summary": "claims on future distributions, newest first and paged: debts (`owed`, paid until repaid), one-time claims (paid by the next distribution with a claims bucket) and equity shares (a share of what each such distribution has left after the debts, up to an optional cap); each with its holder, terms, reason, approvals against the treasurer approvals needed, state (proposed, active, settled, waived) and what distributions paid it",
            "description": format!("`paid_by_currency` sums what every matching claim was paid. {money}."),
            "parameters": [commons_param(),
                query_param("state", false, "only claims in this state", json!({ "enum": ["proposed", "active", "settled", "waived"] })),
                offset.clone(), limit_param(VALUE_PAGE_MAX, VALUE_PAGE_DEFAULT)],
            "responses": commons_errors(ok("page", object("{claims_matching, offset, claims: [claim], paid_by_currency: [[currency, money]]}")))
        }},
        "/api/v1/commons/{id}/claims/{claim}": { "get": {
            "operationId": "getClaim",
            "summary": "one claim on future distributions",
            "description": money,
            "parameters": [commons_param(), path_param("claim", "the claim's id (its claim.propose event)", hex_string(32, "event id"))],
            "responses": commons_errors(ok("claim", object("{id, holder, proposed_by, currency, kind, seniority, amount, share_ppm, cap, paid, outstanding, reason, state, approvals, approvals_needed, proposed_index, state_index, settled_by}")))
        }},
        "/api/v1/commons/{id}/circles": { "get": {
            "operationId": "listCircles",
            "summary": "GIVE circles (peer allocation as Coordinape runs it), newest first: each with its GIVE per member, when its epoch closes in ledger time, whether it is open or closed, and how many members allocated",
            "parameters": [commons_param(),
                query_param("offset", false, "circles to skip", uint()),
                limit_param(CIRCLES_PAGE_MAX, CIRCLES_PAGE_MAX)],
            "responses": commons_errors(ok("page", object("{matching, offset, circles: [{id, title, by, index, give_per_member, closes_ms, state, n_members, n_allocated}]}")))
        }},
        "/api/v1/commons/{id}/circles/{circle}": { "get": {
            "operationId": "getCircle",
            "summary": "one GIVE circle: every member's current allocation (gifts, GIVE given and left, revisions, opted out) and, once closed, the GIVE each received that counts, with the distributions that pay it",
            "description": "GIVE given to a member who opted out counts for nobody; a `circle` bucket of a distribution splits its amount in proportion to `received`.",
            "parameters": [commons_param(), path_param("circle", "the circle's id (its `circle.open` event)", hex_string(32, "event id"))],
            "responses": commons_errors(ok("circle", object("{…summary, members: [{member, gifts: [{to, give}], given, left, revisions, opted_out, received}], total_received, distributions}")))
        }},
        "/api/v1/commons/{id}/people/{key}/earnings": { "get": {
            "operationId": "personEarnings",
            "summary": "a person's earnings: what they are owed, carried and were paid per currency, and each distribution that gave them a share, newest first, explained as by …/explain",
            "parameters": [commons_param(), person, offset,
                limit_param(EARNINGS_PAGE_MAX, EARNINGS_PAGE_DEFAULT)],
            "responses": commons_errors(ok("earnings", object("{person, books: [{currency, owed, carried, paid_out}], matching, offset, distributions: [explanation]}")))
        }}
    })
}

/// The node-local private details of value sharing: payment details and expense
/// attachments, for their owner and the commons' treasurers only.
fn private_paths() -> Value {
    use crate::private::{PAYMENT_DETAILS_BODY_BYTES_MAX, PRIVATE_CACHE_CONTROL};
    use commons_store::{
        ATTACHMENT_BYTES_MAX, ATTACHMENTS_PER_EXPENSE_MAX, FILE_NAME_BYTES_MAX,
        HOLDER_NAME_BYTES_MAX, PAYMENT_NOTE_BYTES_MAX,
    };
    let key = path_param(
        "key",
        "the person's author key",
        hex_string(33, "author key"),
    );
    let expense = path_param(
        "expense",
        "the expense, by the id of its `expense.file` event",
        hex_string(32, "event id"),
    );
    let who = "Node-local: never in the ledger, a bundle or a mirror. The caller is the logged-in web session (the `commons_session` cookie). Readable by the owner (the account holding the key, or the expense's author) and by the treasurers the commons' statutes name; anyone else gets 403 `private_forbidden`, a caller without a session 401 `login_required`.";
    let cache = format!("Answered with `Cache-Control: {PRIVATE_CACHE_CONTROL}`.");
    let private_errors = |mut responses: serde_json::Map<String, Value>| {
        responses.insert("401".into(), json!({ "description": "login_required", "content": json_content(schema_ref("Error")) }));
        responses.insert("403".into(), json!({ "description": "private_forbidden", "content": json_content(schema_ref("Error")) }));
        commons_errors(responses)
    };
    let details = object(
        "{person, holder_name, iban (electronic form), iban_display (groups of four), bic, note, created_ms, updated_ms, access: owner|treasurer}",
    );
    let attachment = object("{n, file_name, media_type, size, uploader, uploaded_ms, href}");
    json!({
        "/api/v1/commons/{id}/private/payment-details/{key}": {
            "get": {
                "operationId": "getPaymentDetails",
                "summary": "a person's payment details in this commons (owner or treasurer)",
                "description": format!("{who} {cache} 404 payment_details_unknown when none were given."),
                "parameters": [commons_param(), key.clone()],
                "responses": private_errors(ok("the payment details", details.clone()))
            },
            "put": {
                "operationId": "putPaymentDetails",
                "summary": "set one's own payment details, replacing any (owner only)",
                "description": format!("{who} Only the owner writes; a treasurer gets 403 too. The body is JSON `{{holder_name, iban, bic?, note?}}`, at most {PAYMENT_DETAILS_BODY_BYTES_MAX} bytes: the holder 1 to {HOLDER_NAME_BYTES_MAX} bytes, the IBAN checked by its country's length and ISO 13616 mod-97 check digits (spaces and case ignored; 400 iban_invalid), the BIC 8 or 11 characters (400 bic_invalid), the note up to {PAYMENT_NOTE_BYTES_MAX} bytes (400 private_text_invalid). The record keeps `created_ms` and takes a new `updated_ms`. {cache}"),
                "parameters": [commons_param(), key],
                "requestBody": { "required": true, "content": json_content(json!({ "type": "object", "required": ["holder_name", "iban"], "properties": {
                    "holder_name": { "type": "string" }, "iban": { "type": "string" },
                    "bic": { "type": ["string", "null"] }, "note": { "type": ["string", "null"] } } })) },
                "responses": private_errors({
                    let mut map = ok("stored", details);
                    map.insert("415".into(), json!({ "description": "unsupported_media_type: the body is application/json", "content": json_content(schema_ref("Error")) }));
                    map
                })
            }
        },
        "/api/v1/commons/{id}/private/expenses/{expense}/attachments": {
            "get": {
                "operationId": "listAttachments",
                "summary": "an expense's private attachments (invoices, receipts), without their bytes",
                "description": format!("{who} {cache} 404 unknown_expense when the commons has no such expense."),
                "parameters": [commons_param(), expense.clone()],
                "responses": private_errors(ok("the attachments", object("{expense, author, access, attachments: [attachment], attachments_max, attachment_bytes_max}")))
            },
            "post": {
                "operationId": "postAttachment",
                "summary": "attach an invoice or receipt to an expense (its author or a treasurer)",
                "description": format!("{who} The body is the file's bytes with its `Content-Type`: application/pdf, image/png or image/jpeg, and the bytes must be of that type (415 attachment_type_unsupported). At most {ATTACHMENT_BYTES_MAX} bytes (413 attachment_too_large) and {ATTACHMENTS_PER_EXPENSE_MAX} attachments per expense (409 attachments_full). {cache}"),
                "parameters": [commons_param(), expense.clone(),
                    query_param("file_name", true, &format!("the file's name, 1 to {FILE_NAME_BYTES_MAX} bytes; directories are dropped"), json!({ "type": "string" }))],
                "requestBody": { "required": true, "content": {
                    "application/pdf": { "schema": { "type": "string", "contentEncoding": "binary" } },
                    "image/png": { "schema": { "type": "string", "contentEncoding": "binary" } },
                    "image/jpeg": { "schema": { "type": "string", "contentEncoding": "binary" } } } },
                "responses": private_errors({
                    let mut map = serde_json::Map::new();
                    map.insert("201".into(), json!({ "description": "attached", "headers": { "Location": { "description": "the attachment's URL", "schema": { "type": "string" } } }, "content": attachment }));
                    map.insert("409".into(), json!({ "description": "attachments_full", "content": json_content(schema_ref("Error")) }));
                    map.insert("413".into(), json!({ "description": "attachment_too_large", "content": json_content(schema_ref("Error")) }));
                    map.insert("415".into(), json!({ "description": "attachment_type_unsupported", "content": json_content(schema_ref("Error")) }));
                    map
                })
            }
        },
        "/api/v1/commons/{id}/private/expenses/{expense}/attachments/{n}": { "get": {
            "operationId": "getAttachment",
            "summary": "one attachment's bytes, as a download",
            "description": format!("{who} Served with its media type, `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff` and `Cache-Control: {PRIVATE_CACHE_CONTROL}`. 404 attachment_unknown."),
            "parameters": [commons_param(), expense, path_param("n", "the attachment's number, from 1", json!({ "type": "integer", "minimum": 1 }))],
            "responses": private_errors(ok("the bytes", json!({
                "application/pdf": { "schema": { "type": "string", "contentEncoding": "binary" } },
                "image/png": { "schema": { "type": "string", "contentEncoding": "binary" } },
                "image/jpeg": { "schema": { "type": "string", "contentEncoding": "binary" } } })))
        }}
    })
}

pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "commons node API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("The HTTP interface of a commons node (spec/ledger-v1.md §12). Ids, keys and hashes are lowercase hex. Every error is `{{\"code\", \"message\"}}` with a stable code. Each client may send {REQUESTS_PER_MINUTE_PER_CLIENT} requests per minute by default (429 rate_limited with Retry-After beyond)."),
            "license": { "name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later" }
        },
        "paths": with_areas(paths()),
        "components": {
            "schemas": schemas(),
            "responses": responses(),
            "parameters": {
                "CommonsId": path_param("id", "commons id", hex_string(32, "commons id")),
                "EventId": path_param("event_id", "event id", hex_string(32, "event id"))
            }
        }
    })
}
