//! Deterministic CBOR (RFC 8949 §4.2.1 "core deterministic encoding") for headers and bodies.
//!
//! The ledger only ever stores and signs bytes in this encoding, so the decoder is strict:
//! it rejects floats, tags, undefined and simple values, indefinite lengths, duplicate map
//! keys and anything whose re-encoding would differ from the input (non-shortest heads,
//! unsorted map keys), checked as it reads. Parsing uses `minicbor`; encoding writes the few head forms by hand because
//! the deterministic form of a head is a single line of arithmetic.

use minicbor::data::Type;
use minicbor::decode::Decoder;

/// Deepest nesting of arrays and maps a decoded value may have.
pub const NESTING_DEPTH_MAX: usize = 32;

/// A CBOR data item in the subset the ledger allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Unsigned(u64),
    /// The integer `-1 - n`.
    Negative(u64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Value>),
    /// Entries in canonical order (sorted by the bytewise order of the encoded keys) once
    /// built through [`Value::map`] or decoded.
    Map(Vec<(Value, Value)>),
    Bool(bool),
    Null,
}

/// Why bytes are not an acceptable deterministic CBOR item.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    #[error("malformed cbor: {0}")]
    Malformed(String),
    #[error("cbor is not in core deterministic encoding: {0}")]
    NonCanonical(&'static str),
}

impl Value {
    /// A map whose entries are put in canonical order. Duplicate keys keep the last value.
    pub fn map(entries: impl IntoIterator<Item = (Value, Value)>) -> Value {
        let mut keyed: Vec<(Vec<u8>, Value, Value)> = entries
            .into_iter()
            .map(|(key, value)| (key.encode(), key, value))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Value, Value)> = Vec::with_capacity(keyed.len());
        let mut last_key: Option<Vec<u8>> = None;
        for (encoded, key, value) in keyed {
            if last_key.as_ref() == Some(&encoded) {
                out.pop();
            }
            out.push((key, value));
            last_key = Some(encoded);
        }
        Value::Map(out)
    }

    /// A map with text keys, the usual shape of an event body.
    pub fn text_map<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::Text(k.to_owned()), v)),
        )
    }

    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    pub fn bytes(b: impl Into<Vec<u8>>) -> Value {
        Value::Bytes(b.into())
    }

    /// The integer as i128, if this is an integer.
    pub fn as_integer(&self) -> Option<i128> {
        match self {
            Value::Unsigned(n) => Some(i128::from(*n)),
            Value::Negative(n) => Some(-1 - i128::from(*n)),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Unsigned(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value under a text key, if this is a map that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_text() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The integer `value` as a CBOR integer.
    pub fn integer(value: i128) -> Option<Value> {
        if value >= 0 {
            u64::try_from(value).ok().map(Value::Unsigned)
        } else {
            u64::try_from(-1 - value).ok().map(Value::Negative)
        }
    }

    /// The deterministic encoding of this value.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    pub fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Value::Unsigned(n) => write_head(out, 0, *n),
            Value::Negative(n) => write_head(out, 1, *n),
            Value::Bytes(b) => write_bytes(out, b),
            Value::Text(s) => write_text(out, s),
            Value::Array(items) => {
                write_head(out, 4, items.len() as u64);
                for item in items {
                    item.encode_into(out);
                }
            }
            Value::Map(entries) => {
                // Entries are normally already sorted; sorting the encoded pairs here keeps
                // the output canonical even for a hand-built `Value::Map`.
                let mut encoded: Vec<(Vec<u8>, Vec<u8>)> = entries
                    .iter()
                    .map(|(k, v)| (k.encode(), v.encode()))
                    .collect();
                encoded.sort_by(|a, b| a.0.cmp(&b.0));
                write_head(out, 5, encoded.len() as u64);
                for (k, v) in encoded {
                    out.extend_from_slice(&k);
                    out.extend_from_slice(&v);
                }
            }
            Value::Bool(false) => out.push(0xf4),
            Value::Bool(true) => out.push(0xf5),
            Value::Null => out.push(0xf6),
        }
    }

    /// Decodes exactly one deterministic item from `bytes`, rejecting trailing bytes and
    /// anything that would not re-encode to the same bytes.
    ///
    /// One pass: every head must be in its shortest form and every map's keys in strictly
    /// increasing bytewise order of their (themselves deterministic) encodings, which is
    /// exactly "re-encoding gives the input back" without re-encoding.
    pub fn decode(bytes: &[u8]) -> Result<Value, CborError> {
        let value = walk_all::<true>(bytes)?.expect("a building walk returns the value");
        debug_assert_eq!(
            value.encode(),
            bytes,
            "an accepted item re-encodes to itself"
        );
        Ok(value)
    }

    /// Whether `bytes` are exactly one deterministic item, as [`Value::decode`] would
    /// accept them, checked without building the value (no allocation).
    pub fn check(bytes: &[u8]) -> Result<(), CborError> {
        walk_all::<false>(bytes).map(|_| ())
    }
}

/// Writes a CBOR head in its shortest form.
pub fn write_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let major = major << 5;
    // Each arm checks the range, so the narrowing casts below cannot truncate.
    if n < 24 {
        out.push(major | n as u8);
    } else if n <= u64::from(u8::MAX) {
        out.push(major | 24);
        out.push(n as u8);
    } else if n <= u64::from(u16::MAX) {
        out.push(major | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= u64::from(u32::MAX) {
        out.push(major | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(major | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

pub fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_head(out, 2, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

pub fn write_text(out: &mut Vec<u8>, text: &str) {
    write_head(out, 3, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

fn malformed(e: minicbor::decode::Error) -> CborError {
    CborError::Malformed(e.to_string())
}

/// Bytes of the shortest head for the argument `n`.
fn head_len(n: u64) -> usize {
    if n < 24 {
        1
    } else if n <= u64::from(u8::MAX) {
        2
    } else if n <= u64::from(u16::MAX) {
        3
    } else if n <= u64::from(u32::MAX) {
        5
    } else {
        9
    }
}

/// Fails unless the head just read (from `start` to the decoder's position, less
/// `payload` bytes of content) is the shortest head for `n`.
fn shortest(d: &Decoder<'_>, start: usize, n: u64, payload: usize) -> Result<(), CborError> {
    if d.position() - start - payload == head_len(n) {
        Ok(())
    } else {
        Err(CborError::NonCanonical(
            "a head is not in its shortest form",
        ))
    }
}

/// Walks exactly one item over the whole of `bytes`; see [`walk`].
fn walk_all<const BUILD: bool>(bytes: &[u8]) -> Result<Option<Value>, CborError> {
    let mut decoder = Decoder::new(bytes);
    let value = walk::<BUILD>(&mut decoder, 0)?;
    if decoder.position() != bytes.len() {
        return Err(CborError::Malformed("trailing bytes after the item".into()));
    }
    Ok(value)
}

/// Reads one item, checking everything [`Value::decode`] promises; builds the value when
/// `BUILD` (and returns `None` otherwise, having allocated nothing).
fn walk<const BUILD: bool>(d: &mut Decoder<'_>, depth: usize) -> Result<Option<Value>, CborError> {
    if depth > NESTING_DEPTH_MAX {
        return Err(CborError::Malformed(format!(
            "nesting deeper than {NESTING_DEPTH_MAX} levels"
        )));
    }
    let start = d.position();
    let remaining = d.input().len().saturating_sub(start);
    match d.datatype().map_err(malformed)? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => {
            let n = d.u64().map_err(malformed)?;
            shortest(d, start, n, 0)?;
            Ok(BUILD.then_some(Value::Unsigned(n)))
        }
        Type::I8 | Type::I16 | Type::I32 | Type::I64 | Type::Int => {
            let n = i128::from(d.int().map_err(malformed)?);
            let value = Value::integer(n)
                .ok_or_else(|| CborError::Malformed("integer out of range".into()))?;
            let (Value::Unsigned(argument) | Value::Negative(argument)) = value else {
                unreachable!("Value::integer makes an integer")
            };
            shortest(d, start, argument, 0)?;
            Ok(BUILD.then_some(value))
        }
        Type::Bytes => {
            let bytes = d.bytes().map_err(malformed)?;
            shortest(d, start, bytes.len() as u64, bytes.len())?;
            Ok(BUILD.then(|| Value::Bytes(bytes.to_vec())))
        }
        Type::String => {
            let text = d.str().map_err(malformed)?;
            shortest(d, start, text.len() as u64, text.len())?;
            Ok(BUILD.then(|| Value::Text(text.to_owned())))
        }
        Type::Array => {
            let n = d
                .array()
                .map_err(malformed)?
                .ok_or(CborError::NonCanonical("indefinite-length array"))?;
            shortest(d, start, n, 0)?;
            // Every item takes at least one byte, so a count above the bytes left is a lie;
            // checking first keeps a hostile count from reserving memory.
            if n > remaining as u64 {
                return Err(CborError::Malformed("array longer than its input".into()));
            }
            let mut items = Vec::with_capacity(if BUILD { n as usize } else { 0 });
            for _ in 0..n {
                items.extend(walk::<BUILD>(d, depth + 1)?);
            }
            Ok(BUILD.then_some(Value::Array(items)))
        }
        Type::Map => {
            let n = d
                .map()
                .map_err(malformed)?
                .ok_or(CborError::NonCanonical("indefinite-length map"))?;
            shortest(d, start, n, 0)?;
            if n.saturating_mul(2) > remaining as u64 {
                return Err(CborError::Malformed("map longer than its input".into()));
            }
            let mut entries = Vec::with_capacity(if BUILD { n as usize } else { 0 });
            // A key accepted here is deterministic, so its input bytes are its encoding.
            let mut previous_key: Option<(usize, usize)> = None;
            for _ in 0..n {
                let key_start = d.position();
                let key = walk::<BUILD>(d, depth + 1)?;
                let key_end = d.position();
                if let Some((from, to)) = previous_key {
                    let input = d.input();
                    match input[from..to].cmp(&input[key_start..key_end]) {
                        std::cmp::Ordering::Less => {}
                        std::cmp::Ordering::Equal => {
                            return Err(CborError::NonCanonical("duplicate map key"));
                        }
                        std::cmp::Ordering::Greater => {
                            return Err(CborError::NonCanonical("map keys not in bytewise order"));
                        }
                    }
                }
                previous_key = Some((key_start, key_end));
                let value = walk::<BUILD>(d, depth + 1)?;
                entries.extend(key.zip(value));
            }
            Ok(BUILD.then_some(Value::Map(entries)))
        }
        Type::Bool => {
            let b = d.bool().map_err(malformed)?;
            shortest(d, start, 0, 0)?;
            Ok(BUILD.then_some(Value::Bool(b)))
        }
        Type::Null => {
            d.null().map_err(malformed)?;
            shortest(d, start, 0, 0)?;
            Ok(BUILD.then_some(Value::Null))
        }
        Type::BytesIndef | Type::StringIndef | Type::ArrayIndef | Type::MapIndef => {
            Err(CborError::NonCanonical("indefinite-length item"))
        }
        Type::F16 | Type::F32 | Type::F64 => {
            Err(CborError::Malformed("floats are not allowed".into()))
        }
        Type::Tag => Err(CborError::Malformed("tags are not allowed".into())),
        Type::Undefined | Type::Simple => {
            Err(CborError::Malformed("simple values are not allowed".into()))
        }
        Type::Break | Type::Unknown(_) => Err(CborError::Malformed("unexpected item".into())),
    }
}

/// The JSON rendering of values, for humans and for `submit --body-json`.
///
/// Text-keyed maps become objects, integers numbers, text strings. Byte strings become
/// `{"$hex": "…"}`; maps with non-text keys become `{"$map": [[key, value], …]}`. The
/// mapping is a bijection on the values the ledger allows, so JSON round-trips.
pub mod json {
    use super::Value;
    use serde_json::{Map, Number, Value as Json};

    pub fn to_json(value: &Value) -> Json {
        match value {
            Value::Unsigned(n) => Json::Number(Number::from(*n)),
            Value::Negative(n) => match i64::try_from(-1 - i128::from(*n)) {
                Ok(v) => Json::Number(Number::from(v)),
                // Beyond i64 a JSON number would lose precision in most readers.
                Err(_) => Json::String(format!("{}", -1 - i128::from(*n))),
            },
            Value::Bytes(b) => {
                let mut object = Map::new();
                object.insert("$hex".into(), Json::String(hex::encode(b)));
                Json::Object(object)
            }
            Value::Text(s) => Json::String(s.clone()),
            Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
            Value::Map(entries) => {
                if entries.iter().all(|(k, _)| matches!(k, Value::Text(_))) {
                    let mut object = Map::new();
                    for (k, v) in entries {
                        if let Value::Text(key) = k {
                            object.insert(key.clone(), to_json(v));
                        }
                    }
                    Json::Object(object)
                } else {
                    let pairs = entries
                        .iter()
                        .map(|(k, v)| Json::Array(vec![to_json(k), to_json(v)]))
                        .collect();
                    let mut object = Map::new();
                    object.insert("$map".into(), Json::Array(pairs));
                    Json::Object(object)
                }
            }
            Value::Bool(b) => Json::Bool(*b),
            Value::Null => Json::Null,
        }
    }

    pub fn from_json(json: &Json) -> Result<Value, String> {
        Ok(match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => {
                if let Some(u) = n.as_u64() {
                    Value::Unsigned(u)
                } else if let Some(i) = n.as_i64() {
                    Value::integer(i128::from(i)).ok_or("integer out of range")?
                } else {
                    return Err(format!("{n} is not an integer: the ledger has no floats"));
                }
            }
            Json::String(s) => Value::Text(s.clone()),
            Json::Array(items) => {
                Value::Array(items.iter().map(from_json).collect::<Result<_, _>>()?)
            }
            Json::Object(object) => {
                if object.len() == 1 {
                    if let Some(Json::String(h)) = object.get("$hex") {
                        return hex::decode(h)
                            .map(Value::Bytes)
                            .map_err(|e| format!("bad $hex value: {e}"));
                    }
                    if let Some(Json::Array(pairs)) = object.get("$map") {
                        let mut entries = Vec::with_capacity(pairs.len());
                        for pair in pairs {
                            match pair.as_array().map(Vec::as_slice) {
                                Some([k, v]) => entries.push((from_json(k)?, from_json(v)?)),
                                _ => return Err("$map entries must be [key, value] pairs".into()),
                            }
                        }
                        return Ok(Value::map(entries));
                    }
                }
                let mut entries = Vec::with_capacity(object.len());
                for (k, v) in object {
                    entries.push((Value::Text(k.clone()), from_json(v)?));
                }
                Value::map(entries)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_rejects(hex_input: &str) {
        let bytes = hex::decode(hex_input).unwrap();
        assert!(Value::decode(&bytes).is_err(), "{hex_input} was accepted");
        assert!(
            Value::check(&bytes).is_err(),
            "{hex_input} passed the check"
        );
    }

    #[test]
    fn shortest_heads_follow_rfc_8949_examples() {
        for (value, expected) in [
            (Value::Unsigned(0), "00"),
            (Value::Unsigned(23), "17"),
            (Value::Unsigned(24), "1818"),
            (Value::Unsigned(1000), "1903e8"),
            (Value::Unsigned(1_000_000), "1a000f4240"),
            (Value::Unsigned(1_000_000_000_000), "1b000000e8d4a51000"),
            (Value::Negative(0), "20"),
            (Value::Negative(999), "3903e7"),
            (Value::text("IETF"), "6449455446"),
            (Value::bytes(vec![1, 2, 3, 4]), "4401020304"),
        ] {
            assert_eq!(hex::encode(value.encode()), expected);
            assert_eq!(
                Value::decode(&hex::decode(expected).unwrap()).unwrap(),
                value
            );
        }
    }

    #[test]
    fn map_keys_sort_by_encoded_bytes() {
        // Shorter text sorts first because its head byte is smaller.
        let value = Value::text_map([("bb", Value::Unsigned(1)), ("a", Value::Unsigned(2))]);
        assert_eq!(hex::encode(value.encode()), "a261610262626201");
    }

    #[test]
    fn non_canonical_inputs_are_rejected() {
        check_rejects("1817"); // 23 in a one-byte head
        check_rejects("190001"); // 1 in a two-byte head
        check_rejects("a2616201616101"); // keys out of order
        check_rejects("a2616101616101"); // duplicate key
        check_rejects("9f01ff"); // indefinite array
        check_rejects("f93c00"); // a half float
        check_rejects("c11a514b67b0"); // a tag
        check_rejects("f7"); // undefined
        check_rejects("0101"); // trailing bytes
        check_rejects("9b7fffffffffffffff"); // absurd array length
        check_rejects("3817"); // -24 in a one-byte head
        check_rejects("3a000000ff"); // -256 in a four-byte head
        check_rejects("580101"); // a one-byte string with its length in a one-byte head
        check_rejects("780161"); // the same, text
        check_rejects("98020000"); // a two-item array with its count in a one-byte head
        check_rejects("b8010000"); // a one-entry map with its count in a one-byte head
        check_rejects("a1190001f6"); // a map key that is itself not shortest
        check_rejects("f814"); // false as a two-byte simple value
    }

    /// Encodes `value` with each head one of the forms `widths` picks (the shortest one or
    /// longer) and each map's entries in the order `shuffle` gives: a deterministic
    /// encoding exactly when every pick was the shortest and every map stayed sorted.
    fn encode_loosely(value: &Value, picks: &mut impl Iterator<Item = u8>, out: &mut Vec<u8>) {
        fn head(out: &mut Vec<u8>, major: u8, n: u64, pick: u8) {
            let shortest = match head_len(n) {
                1 => 0,
                2 => 1,
                3 => 2,
                5 => 3,
                _ => 4,
            };
            // Widths: 0 = in the initial byte, then 1, 2, 4 or 8 following bytes.
            let width = (shortest + pick % 3).min(4);
            let major = major << 5;
            match width {
                0 => out.push(major | n as u8),
                1 => out.extend_from_slice(&[major | 24, n as u8]),
                2 => {
                    out.push(major | 25);
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                }
                3 => {
                    out.push(major | 26);
                    out.extend_from_slice(&(n as u32).to_be_bytes());
                }
                _ => {
                    out.push(major | 27);
                    out.extend_from_slice(&n.to_be_bytes());
                }
            }
        }
        let mut pick = || picks.next().unwrap_or(0);
        match value {
            Value::Unsigned(n) => head(out, 0, *n, pick()),
            Value::Negative(n) => head(out, 1, *n, pick()),
            Value::Bytes(b) => {
                head(out, 2, b.len() as u64, pick());
                out.extend_from_slice(b);
            }
            Value::Text(t) => {
                head(out, 3, t.len() as u64, pick());
                out.extend_from_slice(t.as_bytes());
            }
            Value::Array(items) => {
                head(out, 4, items.len() as u64, pick());
                for item in items {
                    encode_loosely(item, picks, out);
                }
            }
            Value::Map(entries) => {
                head(out, 5, entries.len() as u64, pick());
                let mut order: Vec<usize> = (0..entries.len()).collect();
                if entries.len() > 1 && pick() % 4 == 0 {
                    order.swap(0, 1);
                }
                for i in order {
                    encode_loosely(&entries[i].0, picks, out);
                    encode_loosely(&entries[i].1, picks, out);
                }
            }
            Value::Bool(_) | Value::Null => value.encode_into(out),
        }
    }

    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            any::<u64>().prop_map(Value::Unsigned),
            (0u64..300).prop_map(Value::Unsigned),
            any::<u64>().prop_map(Value::Negative),
            proptest::collection::vec(any::<u8>(), 0..30).prop_map(Value::Bytes),
            "[a-z]{0,30}".prop_map(Value::Text),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(3, 40, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((inner.clone(), inner), 0..6).prop_map(Value::map),
            ]
        })
    }

    proptest::proptest! {
        /// The one-pass checks accept an encoding exactly when it is the deterministic
        /// one, and then give the value back.
        #[test]
        fn decode_accepts_exactly_the_deterministic_encoding(
            value in any_value(),
            picks in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            let mut loose = Vec::new();
            encode_loosely(&value, &mut picks.into_iter().map(|p| if p < 128 { 0 } else { p }), &mut loose);
            let deterministic = value.encode();
            proptest::prop_assert_eq!(Value::check(&loose).is_ok(), Value::decode(&loose).is_ok());
            match Value::decode(&loose) {
                Ok(decoded) => {
                    proptest::prop_assert_eq!(&loose, &deterministic);
                    proptest::prop_assert_eq!(decoded, value);
                }
                Err(_) => proptest::prop_assert_ne!(&loose, &deterministic),
            }
        }
    }

    #[test]
    fn nesting_is_limited() {
        let deep = "81".repeat(NESTING_DEPTH_MAX + 2) + "00";
        check_rejects(&deep);
    }

    #[test]
    fn json_round_trips_bytes_and_non_text_maps() {
        let value = Value::map([
            (Value::text("k"), Value::bytes(vec![0xab, 0xcd])),
            (Value::text("n"), Value::Negative(4)),
            (
                Value::text("m"),
                Value::map([(Value::Unsigned(1), Value::Null)]),
            ),
        ]);
        let json = json::to_json(&value);
        assert_eq!(json::from_json(&json).unwrap(), value);
    }
}
