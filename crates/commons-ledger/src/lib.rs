//! The commons ledger format, version 1 (`spec/ledger-v1.md`), as a pure library.
//!
//! Everything a program needs to write events a node accepts and to verify what a
//! node serves lives here: deterministic CBOR, author keys and signatures, the event
//! header and envelope, the RFC 6962 Merkle tree with RFC 9162 proofs, C2SP signed
//! notes and checkpoints, tlog-proof receipts and tlog-tiles. No IO, no clock, no
//! global randomness: callers pass in whatever the functions need.

pub mod blob;
pub mod cbor;
pub mod event;
pub mod hash;
pub mod keys;
pub mod merkle;
pub mod note;
pub mod receipt;
pub mod tiles;

pub use blob::{BlobAlg, BlobRef};
pub use event::{CommonsId, Envelope, Event, EventId, FormatError, Header, Kind};
pub use hash::Hash;
pub use keys::{AuthorKey, SecretKey, Signature};
