//! A commons under test, shared by the spec tests of every area: keys, a ledger, the
//! state folded one event at a time, and the laws checked after each event (rows
//! maintained from `touched` equal a full rendering; a rejection changes nothing) and on
//! demand (replay equals incremental apply).

use crate::rejection::Rejection;
use crate::state::State;
use crate::{Applied, apply, genesis, replay};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, CommonsId, Event, EventId, Kind, SecretKey};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) fn secret(i: u8) -> SecretKey {
    SecretKey::from_seed([i + 1; 32])
}

/// A commons under test: keys 0..10 (the first `n_maintainers` maintain the commons),
/// its ledger, the state folded one event at a time and the projection rows maintained
/// from `touched` the way the node maintains them. Every accepted event is followed by a
/// check that the maintained rows equal a full rendering.
pub(crate) struct World {
    pub(crate) keys: Vec<SecretKey>,
    pub(crate) sequencer: SecretKey,
    pub(crate) ledger: Vec<Event>,
    pub(crate) state: State,
    pub(crate) rows: BTreeMap<(&'static str, Vec<u8>), Vec<u8>>,
    pub(crate) heads: BTreeMap<AuthorKey, (u64, EventId)>,
}

impl World {
    /// Key `i` rotates to the key of `seed` with a valid proof; `keys[i]` is the new key.
    pub(crate) fn rotate(&mut self, i: usize, seed: [u8; 32]) {
        let old = self.keys[i].author_key();
        let new = SecretKey::from_seed(seed);
        let message = crate::agents::rotation_message(&self.commons(), &old, &new.author_key());
        self.ok(
            i,
            crate::agents::ROTATE,
            Value::text_map([
                ("new", Value::bytes(new.author_key().to_bytes().to_vec())),
                ("proof", Value::bytes(new.sign(&message).0.to_vec())),
            ]),
        );
        self.keys[i] = new;
    }

    pub(crate) fn new(n_maintainers: usize, threshold: u64) -> World {
        let keys: Vec<SecretKey> = (0..10).map(secret).collect();
        let sequencer = secret(100);
        let key_value = |k: &SecretKey| Value::bytes(k.author_key().to_bytes().to_vec());
        let body = Value::text_map([
            ("name", Value::text("Field guide")),
            (
                "maintainers",
                Value::Array(keys[..n_maintainers].iter().map(key_value).collect()),
            ),
            ("threshold", Value::Unsigned(threshold)),
            ("sequencer", key_value(&sequencer)),
            ("licence", Value::text("CC-BY-SA-4.0")),
            ("parent", Value::Null),
        ]);
        let genesis_event = Event::sign(
            &sequencer,
            None,
            0,
            None,
            vec![],
            1_000,
            Kind::new("commons.genesis").unwrap(),
            Some(&body),
        );
        let (state, applied) = genesis(&genesis_event, 0).unwrap();
        let mut world = World {
            keys,
            sequencer: sequencer.clone(),
            ledger: vec![genesis_event.clone()],
            state,
            rows: BTreeMap::new(),
            heads: BTreeMap::from([(sequencer.author_key(), (0, genesis_event.id))]),
        };
        world.write_rows(&applied);
        world
    }

    pub(crate) fn commons(&self) -> CommonsId {
        self.state.commons
    }

    pub(crate) fn key(&self, i: usize) -> AuthorKey {
        self.keys[i].author_key()
    }

    pub(crate) fn write_rows(&mut self, applied: &Applied) {
        for key in &applied.touched {
            let row = self.state.row(key);
            match row.value {
                Some(v) => self.rows.insert((row.table, row.key), v),
                None => self.rows.remove(&(row.table, row.key)),
            };
        }
    }

    pub(crate) fn rendered_rows(&self) -> BTreeMap<(&'static str, Vec<u8>), Vec<u8>> {
        self.state
            .rows()
            .into_iter()
            .map(|r| ((r.table, r.key), r.value.unwrap()))
            .collect()
    }

    pub(crate) fn submit(&mut self, event: Event) -> Result<EventId, Rejection> {
        let before = self.state.clone();
        let index = self.ledger.len() as u64;
        match apply(&mut self.state, &event, index) {
            Ok(applied) => {
                self.write_rows(&applied);
                self.heads
                    .insert(event.header.author, (event.header.seq, event.id));
                let kind = event.header.kind.as_str().to_owned();
                self.ledger.push(event.clone());
                let rendered = self.rendered_rows();
                if self.rows != rendered {
                    let stale: BTreeSet<&str> = rendered
                        .iter()
                        .filter(|(k, v)| self.rows.get(*k) != Some(*v))
                        .map(|((table, _), _)| *table)
                        .chain(
                            self.rows
                                .keys()
                                .filter(|k| !rendered.contains_key(*k))
                                .map(|(table, _)| *table),
                        )
                        .collect();
                    panic!(
                        "rows maintained from `touched` differ from State::rows() after \
                         {kind}, in tables {stale:?}"
                    );
                }
                Ok(event.id)
            }
            Err(rejection) => {
                assert_eq!(
                    self.state, before,
                    "a rejection must leave the state unchanged"
                );
                Err(rejection)
            }
        }
    }

    pub(crate) fn sign(&self, author: &SecretKey, kind: &str, body: &Value) -> Event {
        let (seq, prev) = match self.heads.get(&author.author_key()) {
            Some((seq, id)) => (seq + 1, Some(*id)),
            None => (0, None),
        };
        Event::sign(
            author,
            Some(self.commons()),
            seq,
            prev,
            vec![],
            2_000,
            Kind::new(kind).unwrap(),
            Some(body),
        )
    }

    pub(crate) fn send(
        &mut self,
        author: usize,
        kind: &str,
        body: Value,
    ) -> Result<EventId, Rejection> {
        let event = self.sign(&self.keys[author].clone(), kind, &body);
        self.submit(event)
    }

    /// Sends an event that must be accepted.
    pub(crate) fn ok(&mut self, author: usize, kind: &str, body: Value) -> EventId {
        match self.send(author, kind, body) {
            Ok(id) => id,
            Err(r) => panic!(
                "{kind} by key {author} was refused: {} ({r})",
                r.code.as_str()
            ),
        }
    }

    /// A `ledger.tick` by the sequencer, moving ledger time to `time_ms`.
    pub(crate) fn tick(&mut self, time_ms: u64) {
        let sequencer = self.sequencer.clone();
        let body = Value::text_map([("time", Value::Unsigned(time_ms))]);
        let event = self.sign(&sequencer, "ledger.tick", &body);
        self.submit(event).unwrap();
    }

    /// The laws: replay equals incremental state, and maintained rows equal a full render.
    pub(crate) fn check_laws(&self) {
        let replayed = replay(self.ledger.iter()).unwrap();
        assert_eq!(
            replayed, self.state,
            "replay differs from incremental apply"
        );
        assert_eq!(self.rendered_rows(), self.rows);
        // The board index holds exactly the open tasks, each as its task reads now.
        let production = &self.state.production;
        let mut index = std::collections::BTreeMap::new();
        for (id, task) in production.tasks.iter().filter(|(_, t)| t.is_open()) {
            index
                .entry(task.area)
                .or_insert_with(std::collections::BTreeMap::new)
                .insert(*id, crate::production::BoardItem::of(task));
        }
        assert_eq!(production.open_tasks, index, "board index out of step");
    }
}
