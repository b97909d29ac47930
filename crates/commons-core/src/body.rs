//! Reading event bodies against their schema: typed fields, length limits, and a refusal of
//! fields the schema does not name, so that every accepted body means exactly one thing.

use crate::rejection::{Rejection, RejectionCode, reject};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, EventId};
use std::collections::BTreeSet;

/// A body map being read field by field. `finish` refuses any field nobody asked for.
pub struct BodyReader<'a> {
    kind: &'a str,
    entries: &'a [(Value, Value)],
    read: BTreeSet<&'a str>,
    allow_unknown: bool,
}

fn invalid<T>(kind: &str, message: String) -> Result<T, Rejection> {
    reject(RejectionCode::BodyInvalid, format!("{kind}: {message}"))
}

impl<'a> BodyReader<'a> {
    pub fn new(kind: &'a str, body: &'a Value) -> Result<BodyReader<'a>, Rejection> {
        match body {
            Value::Map(entries) if entries.iter().all(|(k, _)| k.as_text().is_some()) => {
                Ok(BodyReader {
                    kind,
                    entries,
                    read: BTreeSet::new(),
                    allow_unknown: false,
                })
            }
            _ => invalid(kind, "the body must be a map with text keys".into()),
        }
    }

    /// Lets fields beyond the schema through (the spec says a genesis has "at least" its
    /// fields, so other programs may add their own).
    pub fn allow_unknown_fields(mut self) -> Self {
        self.allow_unknown = true;
        self
    }

    fn field(&mut self, name: &'a str) -> Option<&'a Value> {
        self.read.insert(name);
        self.entries
            .iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .map(|(_, v)| v)
    }

    /// Refuses a body without the field; null is a value here (spec §9 lists `parent`
    /// among the keys a genesis has, with null for "no parent").
    pub fn require_key(&mut self, name: &'a str) -> Result<(), Rejection> {
        match self.field(name) {
            Some(_) => Ok(()),
            None => invalid(
                self.kind,
                format!("field `{name}` is required (null if empty)"),
            ),
        }
    }

    /// A field that may be absent or null.
    pub fn optional(&mut self, name: &'a str) -> Option<&'a Value> {
        self.field(name).filter(|v| !v.is_null())
    }

    pub fn required(&mut self, name: &'a str) -> Result<&'a Value, Rejection> {
        match self.optional(name) {
            Some(v) => Ok(v),
            None => invalid(self.kind, format!("field `{name}` is required")),
        }
    }

    pub fn text(
        &mut self,
        name: &'a str,
        len_min: usize,
        len_max: usize,
    ) -> Result<String, Rejection> {
        let value = self.required(name)?;
        self.check_text(name, value, len_min, len_max)
    }

    pub fn optional_text(
        &mut self,
        name: &'a str,
        len_min: usize,
        len_max: usize,
    ) -> Result<Option<String>, Rejection> {
        match self.optional(name) {
            Some(value) => self.check_text(name, value, len_min, len_max).map(Some),
            None => Ok(None),
        }
    }

    fn check_text(
        &self,
        name: &str,
        value: &Value,
        len_min: usize,
        len_max: usize,
    ) -> Result<String, Rejection> {
        match value.as_text() {
            Some(s) if s.len() >= len_min && s.len() <= len_max => Ok(s.to_owned()),
            Some(_) => invalid(
                self.kind,
                format!("field `{name}` must be {len_min} to {len_max} bytes"),
            ),
            None => invalid(self.kind, format!("field `{name}` must be text")),
        }
    }

    pub fn uint(&mut self, name: &'a str) -> Result<u64, Rejection> {
        let value = self.required(name)?;
        self.check_uint(name, value)
    }

    pub fn optional_uint(&mut self, name: &'a str) -> Result<Option<u64>, Rejection> {
        match self.optional(name) {
            Some(value) => self.check_uint(name, value).map(Some),
            None => Ok(None),
        }
    }

    fn check_uint(&self, name: &str, value: &Value) -> Result<u64, Rejection> {
        match value.as_u64() {
            Some(n) => Ok(n),
            None => invalid(
                self.kind,
                format!("field `{name}` must be an unsigned integer"),
            ),
        }
    }

    pub fn key(&mut self, name: &'a str) -> Result<AuthorKey, Rejection> {
        let value = self.required(name)?;
        self.check_key(name, value)
    }

    pub fn optional_key(&mut self, name: &'a str) -> Result<Option<AuthorKey>, Rejection> {
        match self.optional(name) {
            Some(value) => self.check_key(name, value).map(Some),
            None => Ok(None),
        }
    }

    fn check_key(&self, name: &str, value: &Value) -> Result<AuthorKey, Rejection> {
        match value.as_bytes().map(AuthorKey::from_bytes) {
            Some(Ok(key)) => Ok(key),
            _ => invalid(
                self.kind,
                format!("field `{name}` must be a 33-byte author key (0x01 || ed25519 key)"),
            ),
        }
    }

    /// A list of keys, at most `count_max`, without duplicates.
    pub fn optional_keys(
        &mut self,
        name: &'a str,
        count_max: usize,
    ) -> Result<Option<Vec<AuthorKey>>, Rejection> {
        let Some(value) = self.optional(name) else {
            return Ok(None);
        };
        let Some(items) = value.as_array() else {
            return invalid(
                self.kind,
                format!("field `{name}` must be an array of keys"),
            );
        };
        if items.len() > count_max {
            return invalid(
                self.kind,
                format!("field `{name}` holds more than {count_max} keys"),
            );
        }
        let mut keys = Vec::with_capacity(items.len());
        for item in items {
            let key = self.check_key(name, item)?;
            if keys.contains(&key) {
                return invalid(self.kind, format!("field `{name}` lists a key twice"));
            }
            keys.push(key);
        }
        Ok(Some(keys))
    }

    pub fn event_id(&mut self, name: &'a str) -> Result<EventId, Rejection> {
        let value = self.required(name)?;
        match value.as_bytes().and_then(EventId::from_slice) {
            Some(id) => Ok(id),
            None => invalid(
                self.kind,
                format!("field `{name}` must be a 32-byte event id"),
            ),
        }
    }

    /// Ends reading; refuses fields the schema does not know.
    pub fn finish(self) -> Result<(), Rejection> {
        if self.allow_unknown {
            return Ok(());
        }
        for (key, _) in self.entries {
            if let Some(name) = key.as_text()
                && !self.read.contains(name)
            {
                return invalid(self.kind, format!("unknown field `{name}`"));
            }
        }
        Ok(())
    }
}

/// The 64-byte value of a bytes field, e.g. a signature.
pub fn signature_field(kind: &str, name: &str, value: &Value) -> Result<[u8; 64], Rejection> {
    match value.as_bytes().map(<[u8; 64]>::try_from) {
        Some(Ok(bytes)) => Ok(bytes),
        _ => invalid(kind, format!("field `{name}` must be 64 bytes")),
    }
}
