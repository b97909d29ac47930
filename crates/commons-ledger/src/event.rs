//! Event headers, envelopes, ids and signatures (spec §2 to §4).
//!
//! [`Event::decode`] is the single entry point for bytes from outside: it checks the
//! envelope, the header's canonical encoding and every field rule, and the body against
//! `body_len`/`body_hash`. Signature checking is separate ([`Event::verify_signature`])
//! so that a node can verify many events in one batch.

use crate::cbor::{self, CborError, Value};
use crate::hash::Hash;
use crate::keys::{AuthorKey, KeyError, SecretKey, Signature};

/// The only header version this library reads and writes.
pub const VERSION: u64 = 1;
/// Largest body, in bytes (spec §11).
pub const BODY_LEN_MAX: usize = 65_536;
/// Most causal references an event may carry (spec §11).
pub const DEPS_MAX: usize = 32;
/// Longest kind, in bytes (spec §11).
pub const KIND_LEN_MAX: usize = 64;
/// Largest envelope: a full header with 32 deps and a full body, with room for heads.
pub const ENVELOPE_LEN_MAX: usize = BODY_LEN_MAX + 2048;
/// Domain separation prefix of the signed bytes (spec §3).
pub const SIGNING_CONTEXT: &[u8] = b"commons/event/v1\n";
/// The kind of a genesis event (spec §9).
pub const GENESIS_KIND: &str = "commons.genesis";

/// The id of an event: SHA-256 of its signing bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub [u8; 32]);

/// The id of a commons: the id of its genesis event.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommonsId(pub [u8; 32]);

macro_rules! hex_id {
    ($name:ident) => {
        impl $name {
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            pub fn from_hex(text: &str) -> Option<$name> {
                let mut out = [0u8; 32];
                hex::decode_to_slice(text.trim(), &mut out).ok()?;
                Some($name(out))
            }

            pub fn from_slice(bytes: &[u8]) -> Option<$name> {
                <[u8; 32]>::try_from(bytes).ok().map($name)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
    };
}
hex_id!(EventId);
hex_id!(CommonsId);

impl From<EventId> for CommonsId {
    fn from(id: EventId) -> CommonsId {
        CommonsId(id.0)
    }
}

/// An event kind: 1 to 64 bytes of `[a-z0-9._-]`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Kind(String);

impl Kind {
    pub fn new(kind: &str) -> Result<Kind, FormatError> {
        let valid_bytes = kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if kind.is_empty() || kind.len() > KIND_LEN_MAX || !valid_bytes {
            return Err(FormatError::KindInvalid);
        }
        Ok(Kind(kind.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why bytes are not a well-formed event. Each variant has a stable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("malformed cbor: {0}")]
    MalformedCbor(String),
    #[error("not in canonical cbor encoding: {0}")]
    NonCanonical(String),
    #[error("unsupported header version {0}, expected 1")]
    UnsupportedVersion(u64),
    #[error("header field {0} is invalid")]
    HeaderInvalid(&'static str),
    #[error("kind must be 1 to 64 bytes of [a-z0-9._-]")]
    KindInvalid,
    #[error("body is larger than 65536 bytes")]
    BodyTooLarge,
    #[error("body does not match body_len and body_hash in the header")]
    BodyMismatch,
    #[error("more than 32 deps")]
    TooManyDeps,
    #[error("deps are not strictly ascending")]
    DepsUnsorted,
    #[error("prev must be null exactly when seq is 0")]
    ChainInvalid,
    #[error("only a commons.genesis event has an empty commons id, and it must")]
    GenesisInvalid,
    #[error("author key: {0}")]
    Key(KeyError),
    #[error("envelope is larger than {ENVELOPE_LEN_MAX} bytes")]
    EnvelopeTooLarge,
}

impl FormatError {
    /// The stable, machine-readable code of this rejection.
    pub fn code(&self) -> &'static str {
        match self {
            FormatError::MalformedCbor(_) => "malformed_cbor",
            FormatError::NonCanonical(_) => "non_canonical",
            FormatError::UnsupportedVersion(_) => "unsupported_version",
            FormatError::HeaderInvalid(_) => "header_invalid",
            FormatError::KindInvalid => "kind_invalid",
            FormatError::BodyTooLarge => "body_too_large",
            FormatError::BodyMismatch => "body_mismatch",
            FormatError::TooManyDeps => "too_many_deps",
            FormatError::DepsUnsorted => "deps_unsorted",
            FormatError::ChainInvalid => "chain_invalid",
            FormatError::GenesisInvalid => "genesis_invalid",
            FormatError::Key(KeyError::SmallOrder) => "small_order_key",
            FormatError::Key(KeyError::BadSignature) => "bad_signature",
            FormatError::Key(KeyError::Encoding) => "key_invalid",
            FormatError::Key(KeyError::InvalidPoint) => "key_invalid",
            FormatError::EnvelopeTooLarge => "envelope_too_large",
        }
    }
}

impl From<CborError> for FormatError {
    fn from(e: CborError) -> FormatError {
        match e {
            CborError::Malformed(m) => FormatError::MalformedCbor(m),
            CborError::NonCanonical(m) => FormatError::NonCanonical(m.to_owned()),
        }
    }
}

/// An event header (spec §2). The version is always 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// `None` only in a genesis event.
    pub commons: Option<CommonsId>,
    pub author: AuthorKey,
    pub seq: u64,
    pub prev: Option<EventId>,
    pub deps: Vec<EventId>,
    pub time_ms: u64,
    pub kind: Kind,
    pub body_len: u64,
    pub body_hash: Hash,
}

impl Header {
    /// The canonical header bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + 33 * self.deps.len());
        cbor::write_head(&mut out, 4, 10);
        cbor::write_head(&mut out, 0, VERSION);
        match &self.commons {
            Some(c) => cbor::write_bytes(&mut out, &c.0),
            None => cbor::write_bytes(&mut out, &[]),
        }
        cbor::write_bytes(&mut out, &self.author.to_bytes());
        cbor::write_head(&mut out, 0, self.seq);
        match &self.prev {
            Some(p) => cbor::write_bytes(&mut out, &p.0),
            None => out.push(0xf6),
        }
        cbor::write_head(&mut out, 4, self.deps.len() as u64);
        for dep in &self.deps {
            cbor::write_bytes(&mut out, &dep.0);
        }
        cbor::write_head(&mut out, 0, self.time_ms);
        cbor::write_text(&mut out, self.kind.as_str());
        cbor::write_head(&mut out, 0, self.body_len);
        cbor::write_bytes(&mut out, &self.body_hash.0);
        out
    }

    /// Decodes and checks header bytes: canonical form, version and every field rule.
    pub fn decode(bytes: &[u8]) -> Result<Header, FormatError> {
        let value = Value::decode(bytes)?;
        let items = match value {
            Value::Array(items) if items.len() == 10 => items,
            _ => return Err(FormatError::HeaderInvalid("shape (an array of 10 items)")),
        };
        let version = items[0]
            .as_u64()
            .ok_or(FormatError::HeaderInvalid("version"))?;
        if version != VERSION {
            return Err(FormatError::UnsupportedVersion(version));
        }
        let commons = match items[1].as_bytes() {
            Some([]) => None,
            Some(b) => Some(CommonsId::from_slice(b).ok_or(FormatError::HeaderInvalid("commons"))?),
            None => return Err(FormatError::HeaderInvalid("commons")),
        };
        let author = items[2]
            .as_bytes()
            .ok_or(FormatError::HeaderInvalid("author"))
            .and_then(|b| AuthorKey::from_bytes(b).map_err(FormatError::Key))?;
        let seq = items[3].as_u64().ok_or(FormatError::HeaderInvalid("seq"))?;
        let prev = match &items[4] {
            Value::Null => None,
            Value::Bytes(b) => {
                Some(EventId::from_slice(b).ok_or(FormatError::HeaderInvalid("prev"))?)
            }
            _ => return Err(FormatError::HeaderInvalid("prev")),
        };
        let dep_values = items[5]
            .as_array()
            .ok_or(FormatError::HeaderInvalid("deps"))?;
        if dep_values.len() > DEPS_MAX {
            return Err(FormatError::TooManyDeps);
        }
        let mut deps = Vec::with_capacity(dep_values.len());
        for dep in dep_values {
            let id = dep
                .as_bytes()
                .and_then(EventId::from_slice)
                .ok_or(FormatError::HeaderInvalid("deps"))?;
            if deps.last().is_some_and(|last: &EventId| last.0 >= id.0) {
                return Err(FormatError::DepsUnsorted);
            }
            deps.push(id);
        }
        let time_ms = items[6]
            .as_u64()
            .ok_or(FormatError::HeaderInvalid("time"))?;
        let kind = Kind::new(items[7].as_text().ok_or(FormatError::KindInvalid)?)?;
        let body_len = items[8]
            .as_u64()
            .ok_or(FormatError::HeaderInvalid("body_len"))?;
        if body_len > BODY_LEN_MAX as u64 {
            return Err(FormatError::BodyTooLarge);
        }
        let body_hash = items[9]
            .as_bytes()
            .and_then(Hash::from_slice)
            .ok_or(FormatError::HeaderInvalid("body_hash"))?;
        if (seq == 0) != prev.is_none() {
            return Err(FormatError::ChainInvalid);
        }
        if commons.is_none() != (kind.as_str() == GENESIS_KIND) {
            return Err(FormatError::GenesisInvalid);
        }
        if commons.is_none() && seq != 0 {
            return Err(FormatError::GenesisInvalid);
        }
        Ok(Header {
            commons,
            author,
            seq,
            prev,
            deps,
            time_ms,
            kind,
            body_len,
            body_hash,
        })
    }
}

/// The wire form of an event (spec §4): `[header_bytes, signature, body or null]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub header_bytes: Vec<u8>,
    pub signature: Signature,
    pub body: Option<Vec<u8>>,
}

impl Envelope {
    pub fn encode(&self) -> Vec<u8> {
        let body_len = self.body.as_ref().map_or(0, Vec::len);
        let mut out = Vec::with_capacity(self.header_bytes.len() + body_len + 80);
        cbor::write_head(&mut out, 4, 3);
        cbor::write_bytes(&mut out, &self.header_bytes);
        cbor::write_bytes(&mut out, &self.signature.0);
        match &self.body {
            Some(body) => cbor::write_bytes(&mut out, body),
            None => out.push(0xf6),
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Envelope, FormatError> {
        if bytes.len() > ENVELOPE_LEN_MAX {
            return Err(FormatError::EnvelopeTooLarge);
        }
        let value = Value::decode(bytes)?;
        Envelope::from_value(value)
    }

    pub fn from_value(value: Value) -> Result<Envelope, FormatError> {
        let mut items = match value {
            Value::Array(items) if items.len() == 3 => items,
            _ => {
                return Err(FormatError::MalformedCbor(
                    "an envelope is an array of 3 items".into(),
                ));
            }
        };
        let body = match items.pop() {
            Some(Value::Bytes(b)) => Some(b),
            Some(Value::Null) => None,
            _ => {
                return Err(FormatError::MalformedCbor(
                    "envelope body must be bytes or null".into(),
                ));
            }
        };
        let signature = match items.pop() {
            Some(Value::Bytes(b)) => Signature::from_slice(&b)
                .ok_or_else(|| FormatError::MalformedCbor("signature must be 64 bytes".into()))?,
            _ => return Err(FormatError::MalformedCbor("signature must be bytes".into())),
        };
        let header_bytes = match items.pop() {
            Some(Value::Bytes(b)) => b,
            _ => return Err(FormatError::MalformedCbor("header must be bytes".into())),
        };
        Ok(Envelope {
            header_bytes,
            signature,
            body,
        })
    }
}

/// `"commons/event/v1\n" || header_bytes`.
pub fn signing_bytes(header_bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(SIGNING_CONTEXT.len() + header_bytes.len());
    out.extend_from_slice(SIGNING_CONTEXT);
    out.extend_from_slice(header_bytes);
    out
}

/// The id of the event whose header encodes to `header_bytes`.
pub fn event_id(header_bytes: &[u8]) -> EventId {
    EventId(Hash::of(&[SIGNING_CONTEXT, header_bytes]).0)
}

/// The Merkle leaf data of an event: the CBOR array `[header_bytes, signature]`.
pub fn leaf_data(header_bytes: &[u8], signature: &Signature) -> Vec<u8> {
    let mut out = Vec::with_capacity(header_bytes.len() + 72);
    cbor::write_head(&mut out, 4, 2);
    cbor::write_bytes(&mut out, header_bytes);
    cbor::write_bytes(&mut out, &signature.0);
    out
}

/// A decoded event whose format, header rules and body binding have been checked.
/// Its signature is checked separately.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    pub header: Header,
    pub header_bytes: Vec<u8>,
    pub signature: Signature,
    /// `None` when the body was withheld or redacted.
    pub body: Option<Vec<u8>>,
}

impl Event {
    /// Decodes an envelope and checks everything but the signature.
    pub fn decode(bytes: &[u8]) -> Result<Event, FormatError> {
        Event::from_envelope(Envelope::decode(bytes)?)
    }

    pub fn from_envelope(envelope: Envelope) -> Result<Event, FormatError> {
        let header = Header::decode(&envelope.header_bytes)?;
        if let Some(body) = &envelope.body {
            if body.len() > BODY_LEN_MAX {
                return Err(FormatError::BodyTooLarge);
            }
            if body.len() as u64 != header.body_len || Hash::of(&[body]) != header.body_hash {
                return Err(FormatError::BodyMismatch);
            }
            if !body.is_empty() {
                Value::check(body)?;
            }
        }
        Ok(Event {
            id: event_id(&envelope.header_bytes),
            header,
            header_bytes: envelope.header_bytes,
            signature: envelope.signature,
            body: envelope.body,
        })
    }

    /// Checks the signature under ZIP-215 rules and that the author key may be registered.
    pub fn verify_signature(&self) -> Result<(), FormatError> {
        self.header
            .author
            .check_registrable()
            .map_err(FormatError::Key)?;
        self.header
            .author
            .verify(&signing_bytes(&self.header_bytes), &self.signature)
            .map_err(FormatError::Key)
    }

    /// Builds and signs an event. `body` is the deterministic CBOR body, or `None` for an
    /// empty body.
    // Each argument is one header field the author chooses; a builder would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        key: &SecretKey,
        commons: Option<CommonsId>,
        seq: u64,
        prev: Option<EventId>,
        mut deps: Vec<EventId>,
        time_ms: u64,
        kind: Kind,
        body: Option<&Value>,
    ) -> Event {
        deps.sort();
        deps.dedup();
        let body_bytes = body.map(Value::encode).unwrap_or_default();
        let header = Header {
            commons,
            author: key.author_key(),
            seq,
            prev,
            deps,
            time_ms,
            kind,
            body_len: body_bytes.len() as u64,
            body_hash: Hash::of(&[&body_bytes]),
        };
        let header_bytes = header.encode();
        let signature = key.sign(&signing_bytes(&header_bytes));
        Event {
            id: event_id(&header_bytes),
            header,
            header_bytes,
            signature,
            body: Some(body_bytes),
        }
    }

    /// The decoded body, `None` if withheld. An empty body decodes as `Null`.
    pub fn body_value(&self) -> Option<Value> {
        let body = self.body.as_ref()?;
        if body.is_empty() {
            return Some(Value::Null);
        }
        // `from_envelope` and `sign` only let deterministic bodies in, so this decodes.
        Value::decode(body).ok()
    }

    pub fn envelope(&self) -> Envelope {
        Envelope {
            header_bytes: self.header_bytes.clone(),
            signature: self.signature,
            body: self.body.clone(),
        }
    }

    pub fn leaf_data(&self) -> Vec<u8> {
        leaf_data(&self.header_bytes, &self.signature)
    }

    pub fn leaf_hash(&self) -> Hash {
        crate::merkle::leaf_hash(&self.leaf_data())
    }

    /// The commons this event belongs to: its header's, or its own id for a genesis.
    pub fn commons_id(&self) -> CommonsId {
        self.header.commons.unwrap_or(CommonsId(self.id.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(key: &SecretKey) -> Event {
        let body = Value::text_map([
            ("name", Value::text("Alice")),
            ("kind", Value::text("person")),
        ]);
        Event::sign(
            key,
            Some(CommonsId([9; 32])),
            0,
            None,
            vec![],
            1_700_000_000_000,
            Kind::new("agent.profile").unwrap(),
            Some(&body),
        )
    }

    #[test]
    fn a_signed_event_round_trips_through_its_envelope() {
        let key = SecretKey::from_seed([1; 32]);
        let event = sample(&key);
        let decoded = Event::decode(&event.envelope().encode()).unwrap();
        assert_eq!(decoded, event);
        decoded.verify_signature().unwrap();
        assert_eq!(
            Header::decode(&event.header_bytes).unwrap().encode(),
            event.header_bytes
        );
    }

    #[test]
    fn the_signature_does_not_change_the_id() {
        let key = SecretKey::from_seed([1; 32]);
        let event = sample(&key);
        assert_eq!(event.id, event_id(&event.header_bytes));
        let mut other = event.envelope();
        other.signature.0[0] ^= 1;
        let decoded = Event::from_envelope(other).unwrap();
        assert_eq!(decoded.id, event.id);
        assert_eq!(
            decoded.verify_signature().unwrap_err().code(),
            "bad_signature"
        );
    }

    #[test]
    fn header_rules_are_enforced() {
        let key = SecretKey::from_seed([1; 32]);
        let event = sample(&key);
        let mut header = event.header.clone();
        header.seq = 1;
        assert_eq!(
            Header::decode(&header.encode()),
            Err(FormatError::ChainInvalid)
        );
        let mut header = event.header.clone();
        header.deps = vec![EventId([2; 32]), EventId([1; 32])];
        assert_eq!(
            Header::decode(&header.encode()),
            Err(FormatError::DepsUnsorted)
        );
        header.deps = (0..=32u8).map(|i| EventId([i; 32])).collect();
        assert_eq!(
            Header::decode(&header.encode()),
            Err(FormatError::TooManyDeps)
        );
        let mut header = event.header.clone();
        header.commons = None;
        assert_eq!(
            Header::decode(&header.encode()),
            Err(FormatError::GenesisInvalid)
        );
        let mut header = event.header.clone();
        header.body_len = BODY_LEN_MAX as u64 + 1;
        assert_eq!(
            Header::decode(&header.encode()),
            Err(FormatError::BodyTooLarge)
        );
    }

    #[test]
    fn a_wrong_version_is_named() {
        let key = SecretKey::from_seed([1; 32]);
        let mut bytes = sample(&key).header_bytes;
        assert_eq!(bytes[1], 0x01);
        bytes[1] = 0x02;
        assert_eq!(
            Header::decode(&bytes),
            Err(FormatError::UnsupportedVersion(2))
        );
    }
}
