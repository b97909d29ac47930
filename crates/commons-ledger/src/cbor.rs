//! Deterministic CBOR (RFC 8949 §4.2.1 "core deterministic encoding") for headers and bodies.
//!
//! The ledger only ever stores and signs bytes in this encoding, so the decoder is strict:
//! it rejects floats, tags, undefined and simple values, indefinite lengths, duplicate map
//! keys and anything whose re-encoding differs from the input (non-shortest heads, unsorted
//! map keys). Parsing uses `minicbor`; encoding writes the few head forms by hand because
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
    pub fn decode(bytes: &[u8]) -> Result<Value, CborError> {
        let mut decoder = Decoder::new(bytes);
        let value = decode_item(&mut decoder, 0)?;
        if decoder.position() != bytes.len() {
            return Err(CborError::Malformed("trailing bytes after the item".into()));
        }
        if value.encode() != bytes {
            return Err(CborError::NonCanonical(
                "re-encoding differs (non-shortest form or unsorted map keys)",
            ));
        }
        Ok(value)
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

fn decode_item(d: &mut Decoder<'_>, depth: usize) -> Result<Value, CborError> {
    if depth > NESTING_DEPTH_MAX {
        return Err(CborError::Malformed(format!(
            "nesting deeper than {NESTING_DEPTH_MAX} levels"
        )));
    }
    let remaining = d.input().len().saturating_sub(d.position());
    match d.datatype().map_err(malformed)? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => {
            Ok(Value::Unsigned(d.u64().map_err(malformed)?))
        }
        Type::I8 | Type::I16 | Type::I32 | Type::I64 | Type::Int => {
            let n = i128::from(d.int().map_err(malformed)?);
            Value::integer(n).ok_or_else(|| CborError::Malformed("integer out of range".into()))
        }
        Type::Bytes => Ok(Value::Bytes(d.bytes().map_err(malformed)?.to_vec())),
        Type::String => Ok(Value::Text(d.str().map_err(malformed)?.to_owned())),
        Type::Array => {
            let n = d
                .array()
                .map_err(malformed)?
                .ok_or(CborError::NonCanonical("indefinite-length array"))?;
            // Every item takes at least one byte, so a count above the bytes left is a lie;
            // checking first keeps a hostile count from reserving memory.
            if n > remaining as u64 {
                return Err(CborError::Malformed("array longer than its input".into()));
            }
            let mut items = Vec::with_capacity(n as usize);
            for _ in 0..n {
                items.push(decode_item(d, depth + 1)?);
            }
            Ok(Value::Array(items))
        }
        Type::Map => {
            let n = d
                .map()
                .map_err(malformed)?
                .ok_or(CborError::NonCanonical("indefinite-length map"))?;
            if n.saturating_mul(2) > remaining as u64 {
                return Err(CborError::Malformed("map longer than its input".into()));
            }
            let mut entries = Vec::with_capacity(n as usize);
            let mut previous_key: Option<Vec<u8>> = None;
            for _ in 0..n {
                let key = decode_item(d, depth + 1)?;
                let encoded_key = key.encode();
                if let Some(previous) = &previous_key {
                    if *previous == encoded_key {
                        return Err(CborError::NonCanonical("duplicate map key"));
                    }
                    if *previous > encoded_key {
                        return Err(CborError::NonCanonical("map keys not in bytewise order"));
                    }
                }
                previous_key = Some(encoded_key);
                let value = decode_item(d, depth + 1)?;
                entries.push((key, value));
            }
            Ok(Value::Map(entries))
        }
        Type::Bool => Ok(Value::Bool(d.bool().map_err(malformed)?)),
        Type::Null => {
            d.null().map_err(malformed)?;
            Ok(Value::Null)
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
