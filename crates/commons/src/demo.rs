//! The demo commons that `serve --demo` seeds: a small, realistic community so that a
//! newcomer sees a living ledger at once. Seeding is idempotent: every demo event is
//! deterministic (fixed keys, fixed times), so running it again submits the same events
//! and the node answers them as duplicates. Later capabilities add to this script.

use anyhow::{Result, bail};
use commons_core::agents::rotation_message;
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, CommonsId, Event, EventId, Hash, Kind, SecretKey};
use commons_node::{Node, SubmitError, SubmitStatus};

/// 2026-06-01T09:00:00Z, when the demo story starts.
const DEMO_START_MS: u64 = 1_780_304_400_000;
const MINUTE_MS: u64 = 60_000;

/// A demo participant's key, derived from their handle so it is the same on every run.
pub fn demo_key(handle: &str) -> SecretKey {
    SecretKey::from_seed(Hash::of(&[b"commons-demo/v1/", handle.as_bytes()]).0)
}

fn key_value(key: &AuthorKey) -> Value {
    Value::bytes(key.to_bytes().to_vec())
}

struct Writer<'a> {
    node: &'a Node,
    commons: Option<CommonsId>,
    heads: std::collections::BTreeMap<AuthorKey, (u64, EventId)>,
    clock_ms: u64,
    n_new: usize,
}

impl Writer<'_> {
    async fn send(
        &mut self,
        key: &SecretKey,
        kind: &str,
        body: Value,
        deps: Vec<EventId>,
    ) -> Result<EventId> {
        self.clock_ms += 7 * MINUTE_MS;
        let head = self.heads.get(&key.author_key()).copied();
        let event = Event::sign(
            key,
            self.commons,
            head.map_or(0, |(seq, _)| seq + 1),
            head.map(|(_, id)| id),
            deps,
            self.clock_ms,
            Kind::new(kind)?,
            Some(&body),
        );
        match self.node.submit(&event.envelope().encode()).await {
            Ok(outcome) => {
                if let SubmitStatus::Sequenced { index } = outcome.status {
                    // A fresh event lands at the end of the ledger; a duplicate keeps its old index.
                    let size = self
                        .commons
                        .and_then(|c| self.node.commons(&c))
                        .map_or(1, |v| v.size);
                    if index + 1 >= size {
                        self.n_new += 1;
                    }
                }
            }
            Err(SubmitError::Rejected(e)) => {
                bail!("demo event {kind} was refused ({}): {e}", e.code())
            }
            Err(SubmitError::Fault(e)) => return Err(e.into()),
        }
        self.heads
            .insert(key.author_key(), (event.header.seq, event.id));
        Ok(event.id)
    }
}

fn profile(name: &str, kind: &str) -> Value {
    let kind = commons_core::state::AgentKind::parse(kind).expect("person or organisation");
    commons_core::agents::profile_body(name, kind)
}

/// The password of every demo account; the README lists it.
pub const DEMO_PASSWORD: &str = "commons-demo";

/// The demo accounts: (display name, e-mail, the demo key their account holds). They
/// hold the keys the demo commons' people sign with, so logging in as Maëlle acts as
/// that commons' maintainer.
pub const DEMO_ACCOUNTS: &[(&str, &str, &str)] = &[
    ("Maëlle Le Goff", "maelle@demo.commons.example", "maelle"),
    ("Yann Kerjean", "yann@demo.commons.example", "yann"),
    ("Awa Diop", "awa@demo.commons.example", "awa-laptop-2026"),
];

/// Creates the demo accounts that do not exist yet; returns a one-line summary.
pub async fn seed_accounts(node: &Node, ui: &commons_web::ui::Ui) -> Result<String> {
    use commons_store::AccountStore;
    let mut created = 0;
    for (name, email, handle) in DEMO_ACCOUNTS {
        if node.store().account_by_email(email).await?.is_some() {
            continue;
        }
        commons_web::ui::accounts::create_account(
            node,
            ui,
            name,
            email,
            DEMO_PASSWORD.to_owned(),
            Some(demo_key(handle)),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .map_err(|message| anyhow::anyhow!("demo account {email}: {message}"))?;
        created += 1;
    }
    Ok(format!(
        "demo accounts ready ({created} new): {} with password {DEMO_PASSWORD}",
        DEMO_ACCOUNTS
            .iter()
            .map(|(_, email, _)| *email)
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Seeds the demo commons; returns a one-line summary.
pub async fn seed(node: &Node) -> Result<String> {
    let maelle = demo_key("maelle");
    let yann = demo_key("yann");
    let awa = demo_key("awa");
    let city = demo_key("ville-de-brest");
    let coop = demo_key("ti-ar-son");
    let awa_new = demo_key("awa-laptop-2026");

    let mut writer = Writer {
        node,
        commons: None,
        heads: Default::default(),
        clock_ms: DEMO_START_MS,
        n_new: 0,
    };
    let genesis_body = Value::text_map([
        ("name", Value::text("Brest audio trails")),
        (
            "maintainers",
            Value::Array(vec![
                key_value(&maelle.author_key()),
                key_value(&yann.author_key()),
            ]),
        ),
        ("threshold", Value::Unsigned(1)),
        ("sequencer", key_value(&node.sequencer_key())),
        ("licence", Value::text("CC-BY-SA-4.0")),
        ("parent", Value::Null),
    ]);
    let genesis = writer
        .send(&maelle, "commons.genesis", genesis_body, vec![])
        .await?;
    let commons = CommonsId(genesis.0);
    writer.commons = Some(commons);
    // The genesis author's chain in the commons continues from its genesis.
    writer
        .send(
            &maelle,
            "agent.profile",
            profile("Maëlle Le Goff", "person"),
            vec![],
        )
        .await?;
    writer
        .send(
            &yann,
            "agent.profile",
            profile("Yann Kerjean", "person"),
            vec![],
        )
        .await?;
    writer
        .send(&awa, "agent.profile", profile("Awa Diop", "person"), vec![])
        .await?;
    writer
        .send(
            &city,
            "agent.profile",
            profile("Ville de Brest — prêt de matériel", "organisation"),
            vec![],
        )
        .await?;
    writer
        .send(
            &coop,
            "agent.profile",
            profile("Ti ar Son (sound co-op)", "organisation"),
            vec![],
        )
        .await?;

    // The maintainers bring Awa in and ask for two approvals from now on.
    let maintainers = Value::Array(vec![
        key_value(&maelle.author_key()),
        key_value(&yann.author_key()),
        key_value(&awa.author_key()),
    ]);
    let update_body = Value::text_map([
        ("maintainers", maintainers),
        ("threshold", Value::Unsigned(2)),
        (
            "reason",
            Value::text("Awa recorded and edited most of the Recouvrance trail"),
        ),
    ]);
    writer
        .send(&maelle, "gov.update", update_body, vec![])
        .await?;

    // Awa moves to a new laptop and rotates her key; her maintainer role follows her.
    let rotation = Value::text_map([
        ("new", key_value(&awa_new.author_key())),
        (
            "proof",
            Value::bytes(
                awa_new
                    .sign(&rotation_message(
                        &commons,
                        &awa.author_key(),
                        &awa_new.author_key(),
                    ))
                    .0
                    .to_vec(),
            ),
        ),
    ]);
    writer.send(&awa, "agent.rotate", rotation, vec![]).await?;

    // A licence change needs two maintainers: Yann proposes, Awa (new key) approves.
    let licence_body = Value::text_map([
        (
            "licence",
            Value::text("CC-BY-SA-4.0 OR LicenseRef-Peer-Production-License"),
        ),
        (
            "reason",
            Value::text("let co-ops use the trails commercially under the PPL"),
        ),
    ]);
    let update = writer
        .send(&yann, "gov.update", licence_body, vec![])
        .await?;
    let approve = Value::text_map([("update", Value::bytes(update.0.to_vec()))]);
    writer
        .send(&awa_new, "gov.approve", approve, vec![update])
        .await?;

    let size = node.commons(&commons).map_or(0, |v| v.size);
    Ok(format!(
        "demo commons \"Brest audio trails\" {} ready: {size} events ({} new this run)",
        commons.to_hex(),
        writer.n_new
    ))
}
