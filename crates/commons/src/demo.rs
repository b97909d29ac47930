//! The demo commons that `serve --demo` seeds: a small, realistic community so that a
//! newcomer sees a living ledger at once. Seeding is idempotent: every demo event is
//! deterministic (fixed keys, fixed times), so running it again submits the same events
//! and the node answers them as duplicates. Later capabilities add to this script.

use anyhow::{Result, bail};
use commons_core::agents::rotation_message;
use commons_core::value::money::Account;
use commons_core::value::{self, distribution};
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
    /// Ledger index of the last event sent (or of its earlier copy, on a re-run).
    last_index: u64,
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
                    self.last_index = index;
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
        last_index: 0,
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

    seed_production(&mut writer).await?;
    // The fork starts at the first checkpoint after the production story, with the same
    // genesis on every run, whatever the association adds after it (and the ticks that
    // close its polls), so seeding again adds no second fork.
    let fork_at = writer.last_index + 1;
    let clock_ms = writer.clock_ms;
    let assembly = seed_association(&mut writer, &commons).await?;
    let value = seed_value(&mut writer, &commons).await?;
    writer.clock_ms = clock_ms;
    let fork = seed_fork(&mut writer, &commons, fork_at).await?;

    let size = node.commons(&commons).map_or(0, |v| v.size);
    Ok(format!(
        "demo commons \"Brest audio trails\" {} ready: {size} events ({} new this run); its fork \"Hentoù son Brest\" {}; {assembly}; {value}",
        commons.to_hex(),
        writer.n_new,
        fork.to_hex()
    ))
}

/// Peer production in the demo commons: three areas with their own maintainers and
/// rules, tasks with signals, pledges and claims, accepted, rejected, pending and
/// withdrawn contributions (paid and volunteer), a nomination and discussions.
async fn seed_production(writer: &mut Writer<'_>) -> Result<()> {
    use commons_core::production::bodies::{self, NewArea, NewContribution, NewTask};
    use commons_core::production::{Rule, Subject};
    let maelle = demo_key("maelle");
    let yann = demo_key("yann");
    let awa = demo_key("awa-laptop-2026");
    let lena = demo_key("lena");
    let kofi = demo_key("kofi");
    let coop = demo_key("ti-ar-son");
    let city = demo_key("ville-de-brest");
    for (key, name) in [(&lena, "Léna Morvan"), (&kofi, "Kofi Mensah")] {
        writer
            .send(key, "agent.profile", profile(name, "person"), vec![])
            .await?;
    }

    let area = |slug: &str,
                name: &str,
                description: &str,
                maintainers: Vec<AuthorKey>,
                rule: Rule,
                chores: &[&str]| NewArea {
        slug: slug.into(),
        name: name.into(),
        description: Some(description.into()),
        maintainers,
        threshold: None,
        rule,
        chores: chores.iter().map(|c| (*c).to_owned()).collect(),
        self_approval: None,
        claim_ttl_ms: None,
    };
    let areas = [
        area(
            "recordings",
            "Field recordings",
            "The sound of each stop on the trails: recorded, edited, described.",
            vec![awa.author_key(), yann.author_key()],
            Rule::Maintainers { approvals: 1 },
            &["metadata", "loudness-checked"],
        ),
        area(
            "guides",
            "Trail guides",
            "Texts and maps people follow on the walks; accepted by lazy consensus.",
            vec![maelle.author_key(), yann.author_key()],
            Rule::Lazy {
                window_ms: 72 * 3_600_000,
            },
            &[],
        ),
        area(
            "outreach",
            "Outreach and care",
            "Listening walks, workshops, welcoming newcomers, moderation.",
            vec![maelle.author_key(), yann.author_key()],
            Rule::Maintainers { approvals: 1 },
            &[],
        ),
    ];
    for a in &areas {
        writer
            .send(&maelle, "area.create", a.body(), vec![])
            .await?;
    }

    let task =
        |area: &str, title: &str, description: &str, labels: &[&str], effort: u64, chore: bool| {
            NewTask {
                area: area.into(),
                title: title.into(),
                description: Some(description.into()),
                labels: labels.iter().map(|l| (*l).to_owned()).collect(),
                effort_hours: Some(effort),
                chore,
            }
        };
    let bridge = writer
        .send(
            &awa,
            "task.post",
            task(
                "recordings",
                "Record the Recouvrance bridge at high tide",
                "The bridge hums when the tide turns. We need 3 minutes, stereo, no traffic.",
                &["field", "stereo"],
                4,
                false,
            )
            .body(),
            vec![],
        )
        .await?;
    let loudness = writer
        .send(
            &yann,
            "task.post",
            task(
                "recordings",
                "Normalise the loudness of the 12 Siam stops",
                "Target -16 LUFS; the current files jump between stops.",
                &["editing"],
                6,
                true,
            )
            .body(),
            vec![],
        )
        .await?;
    let breton = writer
        .send(
            &maelle,
            "task.post",
            task(
                "guides",
                "Translate the Recouvrance guide into Breton",
                "Ti ar Son offered to proofread.",
                &["translation", "brezhoneg"],
                8,
                false,
            )
            .body(),
            vec![],
        )
        .await?;
    let walk = writer
        .send(
            &yann,
            "task.post",
            task(
                "outreach",
                "Run a listening walk for the Quatre-Moulins school",
                "Thursday afternoons work best for the teachers.",
                &["workshop"],
                3,
                false,
            )
            .body(),
            vec![],
        )
        .await?;
    let alt = writer
        .send(
            &lena,
            "task.post",
            task(
                "guides",
                "Add alt text to every trail map",
                "Screen-reader users cannot follow the maps today.",
                &["accessibility"],
                2,
                true,
            )
            .body(),
            vec![],
        )
        .await?;
    writer
        .send(
            &kofi,
            "task.post",
            task(
                "recordings",
                "Capture the dawn chorus in the Vallon du Stang",
                "Late April is best.",
                &["field", "nature"],
                5,
                false,
            )
            .body(),
            vec![],
        )
        .await?;

    // Traces on the tasks.
    writer
        .send(&lena, "task.signal", bodies::signal(&breton, true), vec![])
        .await?;
    writer
        .send(&kofi, "task.signal", bodies::signal(&breton, true), vec![])
        .await?;
    writer
        .send(&yann, "task.signal", bodies::signal(&alt, true), vec![])
        .await?;
    writer
        .send(&kofi, "task.signal", bodies::signal(&bridge, false), vec![])
        .await?;
    writer
        .send(
            &coop,
            "task.pledge",
            bodies::pledge(&breton, 15_000, "EUR", Some("for the proofreading")),
            vec![],
        )
        .await?;
    writer
        .send(
            &city,
            "task.pledge",
            bodies::pledge(&alt, 20_000, "EUR", None),
            vec![],
        )
        .await?;
    writer
        .send(&kofi, "task.claim", bodies::task_ref(&bridge), vec![])
        .await?;
    writer
        .send(&lena, "task.claim", bodies::task_ref(&walk), vec![])
        .await?;

    let work = |area: &str,
                kind: &str,
                title: &str,
                description: &str,
                tasks: Vec<EventId>,
                effort: u64,
                sponsor: Option<AuthorKey>,
                evidence: &[&str],
                checklist: &[&str]| NewContribution {
        area: area.into(),
        kind: kind.into(),
        title: title.into(),
        description: Some(description.into()),
        tasks,
        authors: vec![],
        effort_minutes: Some(effort),
        sponsor,
        revision: None,
        evidence: evidence.iter().map(|e| (*e).to_owned()).collect(),
        checklist: checklist.iter().map(|c| (*c).to_owned()).collect(),
    };
    // Kofi's paid recording, with its chores done, accepted by Awa.
    let recording = writer
        .send(
            &kofi,
            "contrib.submit",
            work(
                "recordings",
                "external",
                "Recouvrance bridge, high tide, 3'40\"",
                "Recorded at 06:10 with a pair of omni mics; edited out two cars.",
                vec![bridge],
                240,
                Some(coop.author_key()),
                &["https://archive.example.org/brest/recouvrance-high-tide.flac"],
                &["metadata", "loudness-checked"],
            )
            .body(),
            vec![],
        )
        .await?;
    writer
        .send(
            &awa,
            "contrib.review",
            bodies::review(&recording, "approve", Some("Beautiful hum at 1'20.")),
            vec![],
        )
        .await?;
    // Léna's volunteer walk, accepted by Yann.
    let walk_done = writer
        .send(
            &lena,
            "contrib.submit",
            work(
                "outreach",
                "care",
                "Listening walk with 24 pupils",
                "Two classes, one hour each; the kids recorded their own stop.",
                vec![walk],
                180,
                None,
                &[],
                &[],
            )
            .body(),
            vec![],
        )
        .await?;
    writer
        .send(
            &yann,
            "contrib.review",
            bodies::review(&walk_done, "approve", None),
            vec![],
        )
        .await?;
    // Léna's recording lacks the area's chores: it waits, with a change request.
    let siam = writer
        .send(
            &lena,
            "contrib.submit",
            work(
                "recordings",
                "external",
                "Rue de Siam market, Saturday",
                "Ten minutes of the market; needs trimming.",
                vec![],
                90,
                None,
                &["https://archive.example.org/brest/siam-market.flac"],
                &["metadata"],
            )
            .body(),
            vec![],
        )
        .await?;
    writer
        .send(
            &yann,
            "contrib.review",
            bodies::review(
                &siam,
                "changes",
                Some("Please check the loudness and tick it."),
            ),
            vec![],
        )
        .await?;
    // A duplicate, rejected with a reason.
    let duplicate = writer
        .send(
            &kofi,
            "contrib.submit",
            work(
                "outreach",
                "care",
                "Flyers for the listening walks",
                "Printed 200 flyers.",
                vec![],
                60,
                Some(city.author_key()),
                &[],
                &[],
            )
            .body(),
            vec![],
        )
        .await?;
    writer
        .send(
            &maelle,
            "contrib.reject",
            bodies::reject(
                &duplicate,
                "The city already printed these in May; thank you all the same.",
            ),
            vec![],
        )
        .await?;
    // Pending under lazy consensus, and one withdrawn.
    writer
        .send(
            &yann,
            "contrib.submit",
            work(
                "guides",
                "care",
                "Alt text for the Siam and Recouvrance maps",
                "Descriptions for 2 of the 5 maps.",
                vec![alt],
                75,
                None,
                &[],
                &[],
            )
            .body(),
            vec![],
        )
        .await?;
    let early = writer
        .send(
            &lena,
            "contrib.submit",
            work(
                "guides",
                "care",
                "Breton glossary draft",
                "First 40 terms.",
                vec![breton],
                120,
                None,
                &[],
                &[],
            )
            .body(),
            vec![],
        )
        .await?;
    writer
        .send(
            &lena,
            "contrib.withdraw",
            bodies::withdraw(&early, Some("Kofi found a better glossary")),
            vec![],
        )
        .await?;

    // Léna is nominated to help maintain the recordings.
    writer
        .send(
            &awa,
            "area.nominate",
            bodies::nominate(
                "recordings",
                &lena.author_key(),
                true,
                Some("Her walks brought in half of this spring's recordings."),
            ),
            vec![],
        )
        .await?;

    // Discussions.
    writer
        .send(
            &lena,
            "thread.post",
            bodies::post(
                &Subject::Task(breton),
                "I can do the first half; Kofi, could you take the rest?",
                None,
                &[kofi.author_key()],
            ),
            vec![],
        )
        .await?;
    writer
        .send(
            &kofi,
            "thread.post",
            bodies::post(
                &Subject::Task(breton),
                "Yes — I'll start after the dawn recordings.",
                None,
                &[],
            ),
            vec![],
        )
        .await?;
    writer
        .send(
            &awa,
            "thread.post",
            bodies::post(
                &Subject::Contribution(recording),
                "Could you add the GPS point in the metadata?",
                None,
                &[kofi.author_key()],
            ),
            vec![],
        )
        .await?;
    let spam = writer
        .send(
            &kofi,
            "thread.post",
            bodies::post(
                &Subject::Task(loudness),
                "(posted by mistake in the wrong thread)",
                None,
                &[],
            ),
            vec![],
        )
        .await?;
    writer
        .send(
            &yann,
            "thread.hide",
            bodies::hide_post(&spam, "posted in the wrong thread, at Kofi's request"),
            vec![],
        )
        .await?;

    // An artifact: the listening-walk kit, accepted, and a second revision under review.
    let kit_v1 = "# Listening walk kit\n\n- 6 pairs of closed headphones\n- 1 recorder per group\n- The trail map\n\nWalk slowly. Stop at each marker for two minutes of silence.\n";
    let kit_v2 = "# Listening walk kit\n\n- 6 pairs of closed headphones\n- 1 recorder per group\n- The trail map, with alt text\n- A whistle to gather the group\n\nWalk slowly. Stop at each marker for two minutes of silence, then share one sound each.\n";
    let v1 = put_text(writer.node, kit_v1).await?;
    let v2 = put_text(writer.node, kit_v2).await?;
    let revision = |artifact, blob| markdown_revision(artifact, "listening-walk-kit.md", blob);
    let mut kit = work(
        "outreach",
        "revision",
        "Listening walk kit",
        "What to bring and how to walk, from the school walks.",
        vec![],
        45,
        None,
        &[],
        &[],
    );
    kit.revision = Some(revision(None, v1));
    let kit_id = writer
        .send(&maelle, "contrib.submit", kit.body(), vec![])
        .await?;
    writer
        .send(
            &yann,
            "contrib.review",
            bodies::review(&kit_id, "approve", None),
            vec![],
        )
        .await?;
    let mut kit_next = work(
        "outreach",
        "revision",
        "Kit: alt text and a whistle",
        "After the second school walk.",
        vec![],
        20,
        None,
        &[],
        &[],
    );
    kit_next.revision = Some(revision(Some(kit_id), v2));
    writer
        .send(&lena, "contrib.submit", kit_next.body(), vec![])
        .await?;
    Ok(())
}

/// A Markdown revision: the first of a new document named `name` (no `artifact`), or the
/// next of `artifact`, built on it.
fn markdown_revision(
    artifact: Option<EventId>,
    name: &str,
    blob: commons_ledger::BlobRef,
) -> commons_core::production::bodies::RevisionSpec {
    commons_core::production::bodies::RevisionSpec {
        artifact,
        base: artifact,
        name: artifact.is_none().then(|| name.to_owned()),
        artifact_kind: artifact.is_none().then(|| "document".to_owned()),
        media_type: "text/markdown".to_owned(),
        blob,
    }
}

/// Stores a demo text as a blob on the node.
async fn put_text(node: &Node, text: &str) -> Result<commons_ledger::BlobRef> {
    Ok(node
        .put_blob(text.as_bytes().to_vec())
        .await
        .map_err(|e| anyhow::anyhow!("demo blob ({}): {e}", e.code()))?
        .blob)
}

/// The Breton-language collective forks the commons at the first checkpoint of size
/// `at_least` or more to run the trails their own way; the fork starts with the whole
/// history of the parent up to it.
async fn seed_fork(
    writer: &mut Writer<'_>,
    parent: &CommonsId,
    at_least: u64,
) -> Result<CommonsId> {
    use commons_store::Store;
    let collective = demo_key("hentou-son");
    let lena = demo_key("lena");
    let checkpoint = writer
        .node
        .store()
        .checkpoints(parent)
        .await?
        .into_iter()
        .filter(|c| c.size >= at_least)
        .min_by_key(|c| c.size)
        .ok_or_else(|| anyhow::anyhow!("the demo commons has no checkpoint to fork at"))?;
    let body = commons_core::fork::fork_genesis_body(
        "Hentoù son Brest",
        &[collective.author_key(), lena.author_key()],
        1,
        &writer.node.sequencer_key(),
        "CC-BY-SA-4.0",
        &commons_core::state::ForkParent {
            commons: *parent,
            size: checkpoint.size,
            root: checkpoint.root.0,
            checkpoint: checkpoint.note,
        },
    );
    let genesis = Event::sign(
        &collective,
        None,
        0,
        None,
        vec![],
        writer.clock_ms + 7 * MINUTE_MS,
        Kind::new(commons_core::network::GENESIS)?,
        Some(&body),
    );
    match writer.node.submit(&genesis.envelope().encode()).await {
        Ok(_) => Ok(CommonsId(genesis.id.0)),
        Err(SubmitError::Rejected(e)) => bail!("the demo fork was refused ({}): {e}", e.code()),
        Err(SubmitError::Fault(e)) => Err(e.into()),
    }
}

/// A budget item in the demo: label, amount in minor units, optional.
type BudgetItem<'a> = (&'a str, u64, bool);

/// How long the demo's general assembly stays open after the first start: its polls and
/// budgeting round close by themselves this long after seeding, while the node runs.
pub const ASSEMBLY_OPEN_MS: u64 = 120_000;

fn id_value(id: &EventId) -> Value {
    Value::bytes(id.0.to_vec())
}

fn ratio(num: u64, den: u64) -> commons_core::association::Ratio {
    commons_core::association::Ratio::new(num, den).expect("a demo fraction is valid")
}

/// The association of the demo commons: statutes with three chambers, members admitted
/// by the maintainers, and a general assembly whose polls close a couple of minutes after
/// the first start: a statutes amendment that passes, a board elected by Scottish STV, a
/// decision tallied by chamber, a consent decision blocked by an open objection, and a
/// budgeting round with funded and unfunded projects. The polls' closing times come from
/// the node's clock, so the assembly is seeded once: a commons that already has statutes
/// is left as it is.
async fn seed_association(writer: &mut Writer<'_>, commons: &CommonsId) -> Result<String> {
    use commons_core::association::{
        Admission, Chamber, ChamberBasis, ChamberRule, Combine, DecisionKind, DecisionRule,
        Electorate, Ratio, Statutes, budget, delegation, members, polls, statutes,
    };
    use commons_tally::budget::{Completion, Item, Model, Rule};
    let has_statutes = writer
        .node
        .inspect(commons, |s| s.association.statutes.is_some())
        .await?
        .unwrap_or(false);
    if has_statutes {
        return Ok("its association was seeded before".into());
    }
    let maelle = demo_key("maelle");
    let yann = demo_key("yann");
    let awa = demo_key("awa-laptop-2026");
    let lena = demo_key("lena");
    let kofi = demo_key("kofi");
    let gwen = demo_key("gwenola");
    let samir = demo_key("samir");
    let coop = demo_key("ti-ar-son");
    let city = demo_key("ville-de-brest");
    for (key, name) in [(&gwen, "Gwenola Caradec"), (&samir, "Samir Haddad")] {
        writer
            .send(key, "agent.profile", profile(name, "person"), vec![])
            .await?;
    }

    let rule = |method: &str, threshold: Ratio, quorum: Ratio| DecisionRule {
        method: method.into(),
        electorate: Electorate::Members,
        threshold,
        strict: false,
        quorum,
        chambers: None,
        progressive: None,
    };
    let rules = [
        (
            DecisionKind::AmendStatutes,
            rule("proposal", ratio(2, 3), ratio(1, 3)),
        ),
        (
            DecisionKind::AdmitMember,
            DecisionRule {
                chambers: Some(ChamberRule {
                    combine: Combine::Concurrent { required: 3 },
                    chamber_quorum: Ratio::ZERO,
                    veto: vec![],
                }),
                strict: true,
                ..rule("proposal", ratio(1, 2), Ratio::ZERO)
            },
        ),
        (
            DecisionKind::SuspendMember,
            rule("proposal", ratio(1, 2), ratio(1, 3)),
        ),
        (
            DecisionKind::ExpelMember,
            rule("proposal", ratio(2, 3), ratio(1, 2)),
        ),
        (
            DecisionKind::ElectBoard,
            rule("stv-scottish", Ratio::ZERO, ratio(1, 4)),
        ),
        (
            DecisionKind::General,
            DecisionRule {
                strict: true,
                ..rule("proposal", ratio(1, 2), ratio(1, 4))
            },
        ),
    ];
    let founding = Statutes {
        name: "Association des Sentiers sonores de Brest".into(),
        purpose: Some(
            "Keep the audio trails of Brest free to walk, to hear and to remix, look after the \
             shared recording kit, and share what the trails earn with the people who make \
             them."
                .into(),
        ),
        admission: Admission::Maintainers,
        chambers: vec![
            Chamber {
                slug: "contributors".into(),
                name: "Contributors (accepted work in the last 6 months)".into(),
                basis: ChamberBasis::Contributors,
            },
            Chamber {
                slug: "listeners".into(),
                name: "Listeners and walkers".into(),
                basis: ChamberBasis::Declared,
            },
            Chamber {
                slug: "partners".into(),
                name: "Partners: co-ops, businesses and public bodies".into(),
                basis: ChamberBasis::Declared,
            },
        ],
        contributor_window_months: 6,
        board_seats: 2,
        board_term_months: 12,
        // Maëlle and Yann keep the books; every distribution needs both.
        treasurers: vec![maelle.author_key(), yann.author_key()],
        treasurer_approvals: 2,
        rules: rules.into_iter().collect(),
    };
    writer
        .send(
            &maelle,
            statutes::ADOPT,
            Value::text_map([("statutes", statutes::value(&founding))]),
            vec![],
        )
        .await?;

    // People apply; the maintainers admit them (the founding statutes' admission rule).
    let applicants = [
        (
            &yann,
            &["listeners"][..],
            "I walk the trails with school groups.",
        ),
        (
            &awa,
            &[][..],
            "I record and edit most of the Recouvrance trail.",
        ),
        (
            &lena,
            &["listeners"][..],
            "I translate the trails into Breton.",
        ),
        (
            &kofi,
            &[][..],
            "I map the trails and keep the website running.",
        ),
        (
            &gwen,
            &["listeners"][..],
            "I bring my neighbours on the night walks.",
        ),
        (
            &samir,
            &["listeners"][..],
            "I love the harbour trail and want to help.",
        ),
        (
            &coop,
            &["partners"][..],
            "Ti ar Son hires out the trails for its workshops.",
        ),
        (
            &city,
            &["partners"][..],
            "The city lends recording equipment to the trails.",
        ),
    ];
    for (key, chambers, statement) in applicants {
        let application = writer
            .send(
                key,
                members::APPLY,
                Value::text_map([
                    ("statement", Value::text(statement)),
                    (
                        "chambers",
                        Value::Array(chambers.iter().map(|c| Value::text(*c)).collect()),
                    ),
                ]),
                vec![],
            )
            .await?;
        writer
            .send(
                &maelle,
                members::ADMIT,
                Value::text_map([("application", id_value(&application))]),
                vec![application],
            )
            .await?;
    }
    // Samir trusts Awa's ear on everything about recordings.
    writer
        .send(
            &samir,
            delegation::SET,
            Value::text_map([
                ("to", key_value(&awa.author_key())),
                ("topic", Value::text("recordings")),
            ]),
            vec![],
        )
        .await?;

    let closes_ms = writer.node.now_ms() + ASSEMBLY_OPEN_MS;
    let open = |title: &str, decision: &str, extra: Vec<(&'static str, Value)>| {
        let mut fields = vec![
            ("title", Value::text(title)),
            ("decision", Value::text(decision)),
            ("closes_ms", Value::Unsigned(closes_ms)),
        ];
        fields.extend(extra);
        Value::text_map(fields)
    };
    let everyone = [
        &maelle, &yann, &awa, &lena, &kofi, &gwen, &samir, &coop, &city,
    ];
    let vote = |poll: EventId, ballot: Value| {
        Value::text_map([("poll", id_value(&poll)), ("ballot", ballot)])
    };
    let stance = |s: &str| Value::text_map([("stance", Value::text(s))]);

    // 1. An amendment that passes: admission by a vote of the members from now on.
    let mut amended = founding.clone();
    amended.admission = Admission::Vote;
    let amendment = writer
        .send(
            &yann,
            polls::OPEN,
            open(
                "Admit new members by a vote of the members",
                "amend_statutes",
                vec![
                    (
                        "description",
                        Value::text(
                            "We are nine now; admissions should be everyone's decision, not \
                             the maintainers'.",
                        ),
                    ),
                    ("statutes", statutes::value(&amended)),
                ],
            ),
            vec![],
        )
        .await?;
    for (i, key) in everyone.iter().enumerate() {
        let s = if i == 7 {
            "no"
        } else if i == 8 {
            "abstain"
        } else {
            "yes"
        };
        writer
            .send(
                key,
                polls::VOTE,
                vote(amendment, stance(s)),
                vec![amendment],
            )
            .await?;
    }

    // 2. The board, elected by Scottish STV for two seats.
    let candidates = [&awa, &lena, &kofi, &yann];
    let election = writer
        .send(
            &maelle,
            polls::OPEN,
            open(
                "Board election 2027",
                "elect_board",
                vec![(
                    "candidates",
                    Value::Array(
                        candidates
                            .iter()
                            .map(|k| key_value(&k.author_key()))
                            .collect(),
                    ),
                )],
            ),
            vec![],
        )
        .await?;
    // Options: 0 Awa, 1 Léna, 2 Kofi, 3 Yann.
    let rankings: [&[u64]; 9] = [
        &[0, 1, 3],
        &[3, 0, 2],
        &[0, 2],
        &[1, 0],
        &[2, 0, 1],
        &[1, 3],
        &[0, 1],
        &[2, 1],
        &[1, 2, 0],
    ];
    for (key, ranking) in everyone.iter().zip(rankings) {
        let ballot = Value::text_map([(
            "ranking",
            Value::Array(
                ranking
                    .iter()
                    .map(|c| Value::Array(vec![Value::Unsigned(*c)]))
                    .collect(),
            ),
        )]);
        writer
            .send(key, polls::VOTE, vote(election, ballot), vec![election])
            .await?;
    }

    // 3. A decision tallied by chamber: it must pass among listeners and partners alike.
    let chambered = DecisionRule {
        chambers: Some(ChamberRule {
            combine: Combine::Concurrent { required: 2 },
            chamber_quorum: ratio(1, 3),
            veto: vec!["partners".into()],
        }),
        strict: true,
        ..rule("proposal", ratio(1, 2), ratio(1, 4))
    };
    let lending = writer
        .send(
            &kofi,
            polls::OPEN,
            open(
                "Sign the equipment lending agreement with the city",
                "general",
                vec![
                    ("rule", statutes::rule_value(&chambered)),
                    (
                        "description",
                        Value::text(
                            "The city lends two field recorders and a dummy head for a year; \
                             we credit the city on every trail recorded with them.",
                        ),
                    ),
                ],
            ),
            vec![],
        )
        .await?;
    for (i, key) in everyone.iter().enumerate() {
        let s = if i == 6 { "no" } else { "yes" };
        writer
            .send(key, polls::VOTE, vote(lending, stance(s)), vec![lending])
            .await?;
    }

    // 4. A consent decision blocked by an objection nobody has resolved yet.
    let consent_rule = rule("consent", Ratio::ZERO, Ratio::ZERO);
    let night = writer
        .send(
            &awa,
            polls::OPEN,
            open(
                "Record the harbour trail at night",
                "general",
                vec![
                    ("rule", statutes::rule_value(&consent_rule)),
                    ("topic", Value::text("recordings")),
                ],
            ),
            vec![],
        )
        .await?;
    for (i, key) in everyone.iter().enumerate().take(6) {
        let c = if i == 4 { "object" } else { "consent" };
        let reason = if i == 4 {
            "Not before we have a safety plan for the quays at night."
        } else {
            "Sounds good."
        };
        writer
            .send(
                key,
                polls::VOTE,
                Value::text_map([
                    ("poll", id_value(&night)),
                    ("ballot", Value::text_map([("consent", Value::text(c))])),
                    ("reason", Value::text(reason)),
                ]),
                vec![night],
            )
            .await?;
    }

    // 5. A budgeting round: approval ballots, the method of equal shares.
    let round = writer
        .send(
            &maelle,
            budget::OPEN,
            budget::NewRound {
                title: "Budget 2027, first half".to_owned(),
                description: None,
                guidelines: Some(
                    "Projects must keep the trails free to walk and to hear.".to_owned(),
                ),
                pool: 300_000,
                currency: "EUR".to_owned(),
                model: Model::Approval {
                    min: 0,
                    max: u32::MAX,
                },
                rule: Rule::EqualShares {
                    completion: Completion::Greedy,
                },
                proposals_close_ms: closes_ms - 60_000,
                closes_ms,
            }
            .body(),
            vec![],
        )
        .await?;
    let project = |name: &str, items: &[BudgetItem]| {
        let items: Vec<Item> = items
            .iter()
            .map(|(label, amount, optional)| Item {
                label: (*label).to_owned(),
                amount: *amount,
                optional: *optional,
            })
            .collect();
        budget::propose_body(&round, name, None, &items)
    };
    // (proposer, name, items as (label, amount in cents, optional)).
    let proposals: [(&SecretKey, &str, &[BudgetItem]); 4] = [
        (
            &awa,
            "Night-recording kit",
            &[
                ("Two hydrophones", 60_000, false),
                ("Windshields", 20_000, false),
                ("Spare batteries", 5_000, true),
            ],
        ),
        (
            &lena,
            "Trail signs in Breton and French",
            &[
                ("Design", 40_000, false),
                ("Enamelled plates", 55_000, false),
            ],
        ),
        (
            &gwen,
            "Listening workshop at the médiathèque",
            &[("Room and coffee", 30_000, false)],
        ),
        (
            &kofi,
            "A new website with offline maps",
            &[
                ("Development", 180_000, false),
                ("Hosting, two years", 20_000, false),
            ],
        ),
    ];
    let mut projects = Vec::with_capacity(proposals.len());
    for (key, name, items) in proposals {
        let id = writer
            .send(key, budget::PROPOSE, project(name, items), vec![round])
            .await?;
        projects.push(id);
    }
    let [kit, signs, workshop, website] = projects[..] else {
        bail!("the demo proposes four projects");
    };
    let approvals: [&[EventId]; 9] = [
        &[kit, signs],
        &[signs, workshop],
        &[kit],
        &[signs, workshop],
        &[website, kit],
        &[workshop],
        &[kit, workshop],
        &[website],
        &[signs],
    ];
    for (key, approved) in everyone.iter().zip(approvals) {
        writer
            .send(
                key,
                budget::VOTE,
                budget::vote_body(&round, &budget::Ballot::Approve(approved.to_vec())),
                vec![round],
            )
            .await?;
    }
    Ok(format!(
        "its general assembly (an amendment, a board election, a chamber vote, a consent \
         decision and a budgeting round) closes {} s after this first start",
        ASSEMBLY_OPEN_MS / 1000
    ))
}

/// A bucket of a demo distribution, in its body form.
fn bucket(name: &str, take: distribution::Take, target: distribution::Target) -> Value {
    distribution::bucket_value(&distribution::Bucket {
        name: name.into(),
        take,
        target,
    })
}

/// A demo distribution of `amount` EUR cents: proposed by `by`, pinned to the node's
/// latest signed checkpoint, approved by both treasurers and executed by the other one.
async fn distribute(
    writer: &mut Writer<'_>,
    commons: &CommonsId,
    by: &SecretKey,
    other: &SecretKey,
    title: &str,
    amount: u64,
    buckets: Vec<Value>,
) -> Result<EventId> {
    use commons_store::Store;
    let checkpoint = writer
        .node
        .store()
        .checkpoints(commons)
        .await?
        .into_iter()
        .max_by_key(|c| c.size)
        .ok_or_else(|| anyhow::anyhow!("the demo commons has no checkpoint to pin"))?;
    let proposal = Value::text_map([
        ("title", Value::text(title)),
        ("amount", Value::Unsigned(amount)),
        ("currency", Value::text("EUR")),
        ("min_payout", Value::Unsigned(1_000)),
        (
            "pin",
            Value::text_map([
                ("size", Value::Unsigned(checkpoint.size)),
                ("root", Value::bytes(checkpoint.root.0.to_vec())),
            ]),
        ),
        ("buckets", Value::Array(buckets)),
    ]);
    let id = writer
        .send(by, distribution::PROPOSE, proposal, vec![])
        .await?;
    let target = Value::text_map([("distribution", id_value(&id))]);
    for (key, kind) in [
        (by, distribution::APPROVE),
        (other, distribution::APPROVE),
        (other, distribution::EXECUTE),
    ] {
        writer.send(key, kind, target.clone(), vec![id]).await?;
    }
    Ok(id)
}

/// What the demo commons owes an account, in EUR cents.
async fn owed(writer: &Writer<'_>, commons: &CommonsId, account: Account) -> Result<u64> {
    Ok(writer
        .node
        .inspect(commons, move |s| s.economy.books.holds(&account, "EUR"))
        .await?
        .unwrap_or(0))
}

/// Value sharing in the demo commons: a value equation (effort counts, reviewers get a
/// tenth, Freesound and OpenStreetMap a twentieth each), Ti ar Son's monthly
/// benefit-sharing payments for the second half of 2026, a grant from the city, and two
/// distributions (15% kept for the association, 10% upstream, the rest to contributors;
/// the second gives 40% of the rest to work accepted since the first), each proposed by
/// one treasurer, approved by both, executed, and some payouts settled with their bank
/// references. Pins name the node's latest signed checkpoint, so this story, like the
/// assembly's, is seeded once: a commons whose books hold income is left as it is.
async fn seed_value(writer: &mut Writer<'_>, commons: &CommonsId) -> Result<String> {
    use commons_core::value::equation::{Equation, GraphTerms, Ratio};
    use distribution::{Policy, Take, Target};
    let maelle = demo_key("maelle");
    let yann = demo_key("yann");
    let awa = demo_key("awa-laptop-2026");
    let kofi = demo_key("kofi");
    let lena = demo_key("lena");
    let coop = demo_key("ti-ar-son");
    let city = demo_key("ville-de-brest");
    let treasurer = maelle.author_key();
    let (ready, chains) = writer
        .node
        .inspect(commons, move |s| {
            let treasurers = s
                .association
                .statutes
                .as_ref()
                .is_some_and(|st| st.treasurers.contains(&treasurer));
            let chains: Vec<(AuthorKey, (u64, EventId))> =
                s.chains.iter().map(|(k, h)| (*k, (h.seq, h.id))).collect();
            (treasurers && s.economy.incomes.is_empty(), chains)
        })
        .await?
        .unwrap_or((false, Vec::new()));
    if !ready {
        return Ok("its books were seeded before".into());
    }
    // Sign from the ledger's own chain heads, whatever ran before.
    writer.heads.extend(chains);

    let share = |num, den| Ratio { num, den };
    let equation = Equation {
        effort_per_hour: share(1, 2),
        reviewer_share: share(1, 10),
        upstream: vec![
            ("freesound".into(), share(1, 20)),
            ("openstreetmap".into(), share(1, 20)),
        ],
        // Credit flows along the contribution graph: a revision passes part of its credit
        // on to the draft it builds on, and so to that draft's authors.
        graph: Some(GraphTerms::DEFAULT),
        ..Equation::default()
    };
    writer
        .send(
            &maelle,
            value::EQUATION,
            Value::text_map([("equation", value::equation::value(&equation))]),
            vec![],
        )
        .await?;

    // Expenses on the general treasury: one of the two treasurers approves and the other
    // pays (the payer is never an approver of the expense); above 1,000.00 EUR a poll of
    // the association must agree as well.
    writer
        .send(
            &maelle,
            value::expense::POLICY,
            Value::text_map([
                (
                    "approvers",
                    Value::Array(vec![key_value(&treasurer), key_value(&yann.author_key())]),
                ),
                ("approvals", Value::Unsigned(1)),
                ("poll_above", Value::Unsigned(100_000)),
            ]),
            vec![],
        )
        .await?;

    let income =
        |kind: &str, amount: u64, source: &str, agent: &SecretKey, reference: &str, note: &str| {
            Value::text_map([
                ("kind", Value::text(kind)),
                ("amount", Value::Unsigned(amount)),
                ("currency", Value::text("EUR")),
                ("source", Value::text(source)),
                ("source_agent", key_value(&agent.author_key())),
                ("reference", Value::text(reference)),
                ("note", Value::text(note)),
            ])
        };
    // Ti ar Son shares 3% of its workshop takings on the trails, paid monthly.
    let months: [(&str, u64); 6] = [
        ("2026-07", 120_000),
        ("2026-08", 135_000),
        ("2026-09", 98_000),
        ("2026-10", 142_000),
        ("2026-11", 110_550),
        ("2026-12", 161_000),
    ];
    for (n, (month, amount)) in months.iter().enumerate() {
        let treasurer = if n % 2 == 0 { &maelle } else { &yann };
        writer
            .send(
                treasurer,
                value::INCOME,
                income(
                    "benefit_sharing",
                    *amount,
                    "Ti ar Son (sound co-op)",
                    &coop,
                    &format!("SEPA {month}-05 TIARSON-{}", month.replace('-', "")),
                    &format!("3% of the {month} workshop takings on the audio trails"),
                ),
                vec![],
            )
            .await?;
    }
    writer
        .send(
            &yann,
            value::INCOME,
            income(
                "grant",
                500_000,
                "Ville de Brest, direction de la culture",
                &city,
                "Arrêté 2026-0412",
                "Grant for recording the Recouvrance and Siam trails",
            ),
            vec![],
        )
        .await?;

    let kept = || bucket("association", Take::Straight(150_000), Target::Treasury);
    let upstream = || bucket("upstream", Take::Straight(100_000), Target::Upstream);
    let first = distribute(
        writer,
        commons,
        &maelle,
        &yann,
        "Second half of 2026",
        600_000,
        vec![
            kept(),
            upstream(),
            bucket(
                "contributors",
                Take::Rest,
                Target::Contributors(Policy::Lifetime),
            ),
        ],
    )
    .await?;
    let payout = |to: (&'static str, Value), amount: u64, reference: &str| {
        Value::text_map([
            to,
            ("amount", Value::Unsigned(amount)),
            ("currency", Value::text("EUR")),
            ("reference", Value::text(reference)),
        ])
    };
    for (person, reference) in [
        (&kofi, "SEPA out 2027-01-08 #0031"),
        (&lena, "SEPA out 2027-01-08 #0032"),
    ] {
        let amount = owed(writer, commons, Account::Owed(person.author_key())).await?;
        if amount > 0 {
            let to = ("to", key_value(&person.author_key()));
            writer
                .send(
                    &maelle,
                    value::PAYOUT,
                    payout(to, amount, reference),
                    vec![],
                )
                .await?;
        }
    }

    // New work after the first distribution: Kofi's dawn chorus, accepted by Awa.
    let dawn = writer
        .send(
            &kofi,
            "contrib.submit",
            commons_core::production::bodies::NewContribution {
                area: "recordings".into(),
                kind: "external".into(),
                title: "Dawn chorus, Vallon du Stang, 4'12\"".into(),
                description: Some("Blackbirds, a wren and the stream; recorded at 05:40.".into()),
                tasks: vec![],
                authors: vec![],
                effort_minutes: Some(300),
                sponsor: None,
                revision: None,
                evidence: vec!["https://archive.example.org/brest/stang-dawn.flac".into()],
                checklist: vec!["metadata".into(), "loudness-checked".into()],
            }
            .body(),
            vec![],
        )
        .await?;
    writer
        .send(
            &awa,
            "contrib.review",
            commons_core::production::bodies::review(
                &dawn,
                "approve",
                Some("Lovely wren at 2'05."),
            ),
            vec![],
        )
        .await?;

    // A script others build on: Léna drafts the Recouvrance trail's script, Kofi adds the
    // ferry-horn stop on top of it, and Yann accepts both. Under the graph terms Kofi's
    // revision passes a fifth of its credit on to Léna's draft, and so to her.
    let script = [
        (
            &lena,
            "Recouvrance trail script",
            "The narration for the six stops, from the bridge to the Tanguy tower.",
            90,
            "# Recouvrance trail\n\n1. Pont de Recouvrance: the bridge's lift, recorded at noon.\n2. Rue Saint-Malo: voices of the Vivre la Rue association.\n3. Tour Tanguy: the museum's bell.\n",
        ),
        (
            &kofi,
            "Script: the ferry-horn stop",
            "A seventh stop at the ferry slip, with the horn recorded from the quay.",
            30,
            "# Recouvrance trail\n\n1. Pont de Recouvrance: the bridge's lift, recorded at noon.\n2. Rue Saint-Malo: voices of the Vivre la Rue association.\n3. Tour Tanguy: the museum's bell.\n4. The ferry slip: the horn, recorded from the quay.\n",
        ),
    ];
    // The first revision starts the document; each later one builds on it.
    let mut draft: Option<EventId> = None;
    for (author, title, description, effort, text) in script {
        let blob = put_text(writer.node, text).await?;
        let artifact = draft;
        let id = writer
            .send(
                author,
                "contrib.submit",
                commons_core::production::bodies::NewContribution {
                    area: "outreach".into(),
                    kind: "revision".into(),
                    title: title.into(),
                    description: Some(description.into()),
                    tasks: vec![],
                    authors: vec![],
                    effort_minutes: Some(effort),
                    sponsor: None,
                    revision: Some(markdown_revision(
                        artifact,
                        "recouvrance-trail-script.md",
                        blob,
                    )),
                    evidence: vec![],
                    checklist: vec![],
                }
                .body(),
                vec![],
            )
            .await?;
        writer
            .send(
                &yann,
                "contrib.review",
                commons_core::production::bodies::review(&id, "approve", None),
                vec![],
            )
            .await?;
        draft.get_or_insert(id);
    }

    // A bounty: Ti ar Son's money for the loudness chore arrives into the task's escrow;
    // Kofi and Léna do it together (2:1), Awa accepts it, and the escrow is released to
    // them by their shares in the same step.
    let chore_title = "Normalise the loudness of the 12 Siam stops";
    let bridge = writer
        .node
        .inspect(commons, move |s| {
            s.production
                .tasks
                .iter()
                .find(|(_, t)| t.title == chore_title && t.is_open())
                .map(|(id, _)| *id)
        })
        .await?
        .flatten();
    if let Some(bridge) = bridge {
        writer
            .send(
                &maelle,
                value::bounty::FUND,
                Value::text_map([
                    ("task", Value::bytes(bridge.0.to_vec())),
                    ("amount", Value::Unsigned(15_000)),
                    ("currency", Value::text("EUR")),
                    ("source", Value::text("Ti ar Son (sound co-op)")),
                    ("pledger", key_value(&coop.author_key())),
                    ("reference", Value::text("SEPA 2026-12-18 TIARSON-BOUNTY-1")),
                    ("unresolved", Value::text("refund")),
                ]),
                vec![],
            )
            .await?;
        let recording = writer
            .send(
                &kofi,
                "contrib.submit",
                commons_core::production::bodies::NewContribution {
                    area: "recordings".into(),
                    kind: "external".into(),
                    title: "The 12 Siam stops at -16 LUFS".into(),
                    description: Some(
                        "Kofi measured and normalised; Léna listened through every stop.".into(),
                    ),
                    tasks: vec![bridge],
                    authors: vec![(kofi.author_key(), 2), (lena.author_key(), 1)],
                    effort_minutes: Some(240),
                    sponsor: None,
                    revision: None,
                    evidence: vec!["https://archive.example.org/brest/siam-normalised.zip".into()],
                    checklist: vec!["metadata".into(), "loudness-checked".into()],
                }
                .body(),
                vec![],
            )
            .await?;
        writer
            .send(
                &awa,
                "contrib.review",
                commons_core::production::bodies::review(
                    &recording,
                    "approve",
                    Some("No more jumps between stops."),
                ),
                vec![],
            )
            .await?;
    }

    let second = distribute(
        writer,
        commons,
        &yann,
        &maelle,
        "January 2027",
        250_000,
        vec![
            kept(),
            upstream(),
            bucket(
                "recent work",
                Take::Remaining(400_000),
                Target::Contributors(Policy::Immediate),
            ),
            bucket(
                "all contributors",
                Take::Rest,
                Target::Contributors(Policy::Lifetime),
            ),
        ],
    )
    .await?;
    let osm = owed(writer, commons, Account::Upstream("openstreetmap".into())).await?;
    if osm > 0 {
        let to = ("upstream", Value::text("openstreetmap"));
        let reference = "Donation to the OpenStreetMap Foundation, receipt 2027-118";
        writer
            .send(&yann, value::PAYOUT, payout(to, osm, reference), vec![])
            .await?;
    }
    Ok(format!(
        "its books: 7 incomes, a bounty released to its co-authors, and 2 distributions ({} and {}), approved 2 of 2, executed, payouts settled",
        &first.to_hex()[..8],
        &second.to_hex()[..8]
    ))
}
