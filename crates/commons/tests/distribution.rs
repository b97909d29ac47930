//! Value-sharing audit transcripts: a commons with treasurers, accepted work, a value
//! equation citing an upstream commons, incomes (one reversed), one distribution proposed,
//! approved by two treasurers, executed and partly paid out, all on a real node; then the
//! real `commons` binary explains the distribution, lists its payouts and exports the
//! value flows, from the node and from an exported ledger, with exact figures, and refuses
//! bad input with stable codes.
// A panic is the failure report in a test.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Node, User, local, start_node};
use commons_core::production::Rule;
use commons_core::production::bodies::{NewArea, NewContribution, review};
use commons_core::value::distribution::{self, Policy, Take, Target};
use commons_core::value::equation::{self, Equation, Ratio};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, CommonsId, EventId};
use commons_testkit::{Author, key, key_value};

fn id_value(id: &EventId) -> Value {
    Value::bytes(id.0.to_vec())
}

fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

async fn send(node: &Node, author: &mut Author, kind: &str, body: Value) -> EventId {
    let event = author.sign(kind, &body, vec![], wall_ms());
    node.test
        .node
        .submit(&event.envelope().encode())
        .await
        .unwrap_or_else(|e| panic!("{kind} was refused: {e:?}"));
    event.id
}

fn income(kind: &str, amount: u64, source: &str, reference: &str) -> Value {
    Value::text_map([
        ("kind", Value::text(kind)),
        ("amount", Value::Unsigned(amount)),
        ("currency", Value::text("EUR")),
        ("source", Value::text(source)),
        ("reference", Value::text(reference)),
    ])
}

/// The commons of the transcript and the ids the checks need.
struct Story {
    commons: CommonsId,
    distribution: EventId,
    ann: AuthorKey,
    ben: AuthorKey,
}

/// Maya (maintainer, treasurer) and Tom (treasurer; 2 of 2 approve); Ann's care work
/// (accepted) and Ben's and Ann's external work shared 3:1 (accepted); an equation that
/// sends a tenth of every value to the upstream commons `osm`; 1,200.00 EUR of benefit
/// sharing and a 500.01 EUR grant, and a 9.99 EUR donation recorded then reversed; a
/// distribution of 1,000.00 EUR (15% treasury, 10% upstream, the rest to contributors),
/// approved, executed, and Ann's share paid out.
async fn story(node: &Node, user: &User) -> Story {
    let maya_key = commons_testkit::key(1);
    let commons = node.test.create_commons(&maya_key, "Field guide").await;
    let mut maya = Author::new(maya_key, commons);
    // The genesis is seq 0 of Maya's chain.
    maya.next_seq = 1;
    maya.prev = Some(EventId(commons.0));
    let mut tom = Author::new(key(2), commons);
    let mut ann = Author::new(key(3), commons);
    let mut ben = Author::new(key(4), commons);
    send(
        node,
        &mut ann,
        "agent.profile",
        commons_testkit::profile_body("Ann Example", "person"),
    )
    .await;

    // Statutes from the CLI's example, naming Maya and Tom treasurers, 2 of 2.
    let mut statutes: serde_json::Value =
        serde_json::from_str(&local(&["assoc", "example"], &user.data)).unwrap();
    statutes["treasurers"] = serde_json::json!([maya.public().to_hex(), tom.public().to_hex()]);
    statutes["treasurer_approvals"] = serde_json::json!(2);
    let statutes: commons_web::association::StatutesJson =
        serde_json::from_value(statutes).unwrap();
    send(
        node,
        &mut maya,
        commons_core::association::statutes::ADOPT,
        Value::text_map([("statutes", statutes.to_value().unwrap())]),
    )
    .await;

    let area = NewArea {
        slug: "guide".into(),
        name: "The guide".into(),
        description: None,
        maintainers: vec![maya.public()],
        threshold: None,
        rule: Rule::Maintainers { approvals: 1 },
        chores: vec![],
        self_approval: None,
        claim_ttl_ms: None,
    };
    send(node, &mut maya, "area.create", area.body()).await;
    let work = |kind: &str, title: &str, authors: Vec<(AuthorKey, u64)>, minutes| NewContribution {
        area: "guide".into(),
        kind: kind.into(),
        title: title.into(),
        description: None,
        tasks: vec![],
        authors,
        effort_minutes: Some(minutes),
        sponsor: None,
        revision: None,
        evidence: vec!["https://example.org/evidence".into()],
        checklist: vec![],
    };
    let care = send(
        node,
        &mut ann,
        "contrib.submit",
        work("care", "Welcomed the new walkers", vec![], 60).body(),
    )
    .await;
    send(
        node,
        &mut maya,
        "contrib.review",
        review(&care, "approve", None),
    )
    .await;
    let (ann_key, ben_key) = (ann.public(), ben.public());
    let map = send(
        node,
        &mut ben,
        "contrib.submit",
        work(
            "external",
            "Mapped the harbour",
            vec![(ben_key, 3), (ann_key, 1)],
            45,
        )
        .body(),
    )
    .await;
    send(
        node,
        &mut maya,
        "contrib.review",
        review(&map, "approve", None),
    )
    .await;
    let equation = Equation {
        upstream: vec![("osm".into(), Ratio { num: 1, den: 10 })],
        ..Equation::default()
    };
    let equation = Value::text_map([("equation", equation::value(&equation))]);
    send(node, &mut maya, "value.equation", equation).await;

    send(
        node,
        &mut maya,
        "money.income",
        income(
            "benefit_sharing",
            120_000,
            "Atelier Lumen SARL",
            "SEPA 2026-11-01 #4471",
        ),
    )
    .await;
    send(
        node,
        &mut tom,
        "money.income",
        income("grant", 50_001, "City of Brest", "Grant 2026-17"),
    )
    .await;
    let twice = send(
        node,
        &mut tom,
        "money.income",
        income("donation", 999, "Anonymous", "recorded twice"),
    )
    .await;
    send(
        node,
        &mut maya,
        "money.reverse",
        Value::text_map([
            ("entry", id_value(&twice)),
            ("reason", Value::text("recorded twice")),
        ]),
    )
    .await;

    use commons_store::Store;
    let checkpoint = node
        .test
        .node
        .store()
        .checkpoints(&commons)
        .await
        .unwrap()
        .into_iter()
        .max_by_key(|c| c.size)
        .unwrap();
    let bucket = |name: &str, take, target| {
        distribution::bucket_value(&distribution::Bucket {
            name: name.into(),
            take,
            target,
        })
    };
    let proposal = Value::text_map([
        ("title", Value::text("November")),
        ("amount", Value::Unsigned(100_000)),
        ("currency", Value::text("EUR")),
        (
            "pin",
            Value::text_map([
                ("size", Value::Unsigned(checkpoint.size)),
                ("root", Value::bytes(checkpoint.root.0.to_vec())),
            ]),
        ),
        (
            "buckets",
            Value::Array(vec![
                bucket("infrastructure", Take::Straight(150_000), Target::Treasury),
                bucket("upstream", Take::Straight(100_000), Target::Upstream),
                bucket(
                    "contributors",
                    Take::Rest,
                    Target::Contributors(Policy::Lifetime),
                ),
            ]),
        ),
    ]);
    let distribution = send(node, &mut maya, "dist.propose", proposal).await;
    let target = || Value::text_map([("distribution", id_value(&distribution))]);
    send(node, &mut maya, "dist.approve", target()).await;
    send(node, &mut tom, "dist.approve", target()).await;
    send(node, &mut tom, "dist.execute", target()).await;
    send(
        node,
        &mut maya,
        "money.payout",
        Value::text_map([
            ("to", key_value(&ann_key)),
            ("amount", Value::Unsigned(46_875)),
            ("currency", Value::text("EUR")),
            ("reference", Value::text("SEPA out 118")),
        ]),
    )
    .await;
    Story {
        commons,
        distribution,
        ann: ann_key,
        ben: ben_key,
    }
}

/// A node on a free port with the story's commons, and a CLI user of it.
async fn story_on_a_node() -> (Node, tempfile::TempDir, User, Story) {
    let node = start_node().await;
    let dir = tempfile::tempdir().unwrap();
    let user = User {
        data: dir.path().join("user"),
        url: node.url.clone(),
    };
    let story = story(&node, &user).await;
    (node, dir, user, story)
}

#[test]
fn every_value_verb_has_help_with_an_example() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["distribution", "explain", "--help"][..],
        &["distribution", "payouts", "--help"],
        &["export", "valueflows", "--help"],
    ] {
        let help = local(args, dir.path());
        assert!(
            help.contains("Example"),
            "`commons {}` shows no example:\n{help}",
            args.join(" ")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_distribution_is_explained_paid_and_exported_with_exact_figures_from_node_and_ledger() {
    let (node, dir, user, story) = story_on_a_node().await;
    let _serving = node;
    let c = story.commons.to_hex();
    let d = story.distribution.to_hex();
    let prefix = &d[..8];

    // Explained from the node: buckets and every recipient, to the cent.
    let text = user
        .ok(&["distribution", "explain", prefix, "--commons", &c])
        .await;
    for expected in [
        "1,000.00 EUR from the treasury, executed",
        "approved by 2 of the 2 treasurer approvals needed",
        "the ledger's own root there",
        "150.00 EUR  kept in the treasury",
        "100.00 EUR  1 upstream commons by credit",
        "750.00 EUR  2 contributors by lifetime credit",
        "Ann Example (",
        "): 468.75 EUR",
        "contributors: weight 1.125 of 1.800 credit, 468.75 EUR",
        "contributors: weight 0.675 of 1.800 credit, 281.25 EUR",
        "upstream commons osm: 100.00 EUR",
        "330.88 EUR  of 1,200.00 EUR benefit_sharing from Atelier Lumen SARL (SEPA 2026-11-01 #4471",
        "137.87 EUR  of 500.01 EUR grant from City of Brest (Grant 2026-17",
        "9/10 author",
        "9/40 author",
        "27/40 author",
        "\"Mapped the harbour\"",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        !text.contains("Anonymous"),
        "a reversed income funds nothing:\n{text}"
    );

    // The same from an exported ledger, byte for byte.
    let exported = user.output(&["export", &c]).await;
    assert!(exported.status.success());
    let ledger = dir.path().join("guide.bundle");
    std::fs::write(&ledger, &exported.stdout).unwrap();
    let ledger = ledger.to_str().unwrap();
    let offline = user
        .ok(&["distribution", "explain", &d, "--ledger", ledger])
        .await;
    assert_eq!(offline, text);

    // JSON, for one recipient named by display name.
    let json: serde_json::Value = serde_json::from_str(
        &user
            .ok(&[
                "distribution",
                "explain",
                prefix,
                "--ledger",
                ledger,
                "--who",
                "Ann Example",
                "--json",
            ])
            .await,
    )
    .unwrap();
    assert_eq!(json["pin"]["matches_ledger"], true);
    assert_eq!(json["amount"], 100_000);
    assert_eq!(json["status"], "executed");
    let recipients = json["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 1);
    let ann = &recipients[0];
    assert_eq!(ann["recipient"], story.ann.to_hex());
    assert_eq!(ann["total"], 46_875);
    assert_eq!(ann["total_text"], "468.75");
    let funded: Vec<u64> = ann["funded_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["amount"].as_u64().unwrap())
        .collect();
    assert_eq!(funded, vec![33_088, 13_787]);
    let credit: Vec<&str> = ann["credit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["credit"].as_str().unwrap())
        .collect();
    assert_eq!(credit, vec!["9/10", "9/40"]);

    // Payouts as CSV: persons in key order, then upstream commons.
    let csv = user
        .ok(&["distribution", "payouts", prefix, "--commons", &c, "--csv"])
        .await;
    let mut people = [
        (story.ann.to_hex(), "Ann Example", 46_875, "468.75"),
        (story.ben.to_hex(), "", 28_125, "281.25"),
    ];
    people.sort();
    let mut expected = String::from("recipient,name,amount_minor,amount,currency\n");
    for (key, name, minor, decimal) in people {
        expected.push_str(&format!("{key},{name},{minor},{decimal},EUR\n"));
    }
    expected.push_str("upstream:osm,osm,10000,100.00,EUR\n");
    assert_eq!(csv, expected);

    // ValueFlows: deterministic, exact, every kind of flow.
    let flows_path = dir.path().join("flows.jsonld");
    let flows_arg = flows_path.to_str().unwrap();
    user.ok(&["export", "valueflows", "--ledger", ledger, "-o", flows_arg])
        .await;
    let from_node = user.ok(&["export", "valueflows", "--commons", &c]).await;
    let written = std::fs::read_to_string(&flows_path).unwrap();
    assert_eq!(written, from_node, "the same ledger gives the same bytes");
    let flows: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(
        flows["@context"]["vf"],
        "https://w3id.org/valueflows/ont/vf#"
    );
    let events: Vec<&serde_json::Value> = flows["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["@type"] == "vf:EconomicEvent")
        .collect();
    let of = |action: &str, class: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["action"] == action && e["resourceClassifiedAs"] == class)
            .map(|e| {
                e["resourceQuantity"]["hasNumericalValue"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(
        of("vf:work", "urn:commons:role:author"),
        vec!["0.900", "0.675", "0.225"]
    );
    assert_eq!(
        of("vf:cite", "urn:commons:role:upstream"),
        vec!["0.100", "0.100"]
    );
    assert_eq!(
        of("vf:transfer", "urn:commons:money:income"),
        vec!["1200.00", "500.01", "9.99", "9.99"]
    );
    let mut credited = of("vf:transfer", "urn:commons:money:credited");
    credited.sort();
    assert_eq!(credited, vec!["100.00", "281.25", "468.75"]);
    assert_eq!(
        of("vf:transfer", "urn:commons:money:payout"),
        vec!["468.75"]
    );
    let reversal = events.iter().find(|e| e.get("corrects").is_some()).unwrap();
    assert_eq!(reversal["provider"], format!("urn:commons:commons:{c}"));
    assert_eq!(reversal["note"], "recorded twice");
    let payout = events
        .iter()
        .find(|e| e["resourceClassifiedAs"] == "urn:commons:money:payout")
        .unwrap();
    assert_eq!(payout["note"], "SEPA out 118");
    assert_eq!(
        payout["receiver"],
        format!("urn:commons:agent:{}", story.ann.to_hex())
    );
    let ben_work = events
        .iter()
        .find(|e| {
            e["action"] == "vf:work"
                && e["provider"] == format!("urn:commons:agent:{}", story.ben.to_hex())
        })
        .unwrap();
    assert_eq!(ben_work["effortQuantity"]["hasNumericalValue"], "34");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_a_stable_code() {
    let (node, dir, user, story) = story_on_a_node().await;
    let _serving = node;
    let c = story.commons.to_hex();
    let d = story.distribution.to_hex();
    for (args, code) in [
        (vec!["distribution", "explain", &d], "commons_required"),
        (
            vec!["distribution", "explain", "zz12", "--commons", &c],
            "id_invalid",
        ),
        (
            vec!["distribution", "explain", "abc", "--commons", &c],
            "id_invalid",
        ),
        (
            vec!["distribution", "explain", "0000000000", "--commons", &c],
            "distribution_unknown",
        ),
        (
            vec![
                "distribution",
                "explain",
                &d,
                "--commons",
                &c,
                "--who",
                "Nobody",
            ],
            "recipient_unknown",
        ),
        (
            vec![
                "distribution",
                "payouts",
                &d,
                "--ledger",
                "/nonexistent/guide.bundle",
            ],
            "ledger_unreadable",
        ),
        (
            vec!["export", "valueflows", "--commons", &c[..10]],
            "not a commons id",
        ),
    ] {
        let refused = user.refused(&args).await;
        assert!(
            refused.contains(&format!("error: {code}")) || refused.contains(code),
            "{args:?} should be refused with {code}:\n{refused}"
        );
    }
    // A ledger that is not a bundle, and one whose bytes were tampered with.
    let junk = dir.path().join("junk.bundle");
    std::fs::write(&junk, b"not a bundle").unwrap();
    let refused = user
        .refused(&[
            "distribution",
            "payouts",
            &d,
            "--ledger",
            junk.to_str().unwrap(),
        ])
        .await;
    assert!(refused.contains("error: ledger_unreadable"), "{refused}");
    let exported = user.output(&["export", &c]).await;
    let mut bytes = exported.stdout;
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    let tampered = dir.path().join("tampered.bundle");
    std::fs::write(&tampered, &bytes).unwrap();
    let refused = user
        .refused(&[
            "distribution",
            "explain",
            &d,
            "--ledger",
            tampered.to_str().unwrap(),
        ])
        .await;
    assert!(
        refused.contains("does not verify") || refused.contains("error: ledger_unreadable"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_commons_shares_value_that_an_auditor_can_explain_and_seeding_again_adds_nothing()
{
    let node = start_node().await;
    let dir = tempfile::tempdir().unwrap();
    let user = User {
        data: dir.path().join("user"),
        url: node.url.clone(),
    };
    let summary = commons::demo::seed(&node.test.node).await.unwrap();
    assert!(
        summary.contains(
            "its books: 7 incomes, a bounty released to its co-authors, and 2 distributions"
        ),
        "{summary}"
    );
    let again = commons::demo::seed(&node.test.node).await.unwrap();
    let size = |summary: &str| {
        summary
            .split(" events")
            .next()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(size(&again), size(&summary), "{again}");
    assert!(again.contains("its books were seeded before"), "{again}");
    // "demo commons \"Brest audio trails\" ID ready: …"
    let commons =
        commons_ledger::CommonsId::from_hex(summary.split_whitespace().nth(5).unwrap()).unwrap();
    let distributions = node
        .test
        .node
        .inspect(&commons, |s| s.economy.distribution_order.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(distributions.len(), 2);
    // The loudness bounty (150.00 EUR) went to Kofi and Léna 2:1, to the cent.
    let bounty = node
        .test
        .node
        .inspect(&commons, |s| {
            s.economy
                .bounties
                .bounties
                .values()
                .map(|b| match &b.state {
                    commons_core::value::bounty::BountyState::Released { shares, .. } => {
                        let mut parts: Vec<u64> = shares.iter().map(|(_, a)| *a).collect();
                        parts.sort_unstable();
                        parts
                    }
                    other => panic!("the demo bounty is {}", other.as_str()),
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bounty, vec![vec![5_000, 10_000]]);
    let c = commons.to_hex();
    let first = distributions[0].to_hex();
    let text = user
        .ok(&["distribution", "explain", &first, "--commons", &c])
        .await;
    for expected in [
        "\"Second half of 2026\"",
        "6,000.00 EUR from the treasury, executed",
        "approved by 2 of the 2 treasurer approvals needed: ",
        "the ledger's own root there",
        "900.00 EUR  kept in the treasury",
        "600.00 EUR  2 upstream commons by credit",
        "Kofi Mensah (",
        "Léna Morvan (",
        "benefit_sharing from Ti ar Son (sound co-op) (SEPA 2026-07-05 TIARSON-202607",
        "grant from Ville de Brest, direction de la culture (Arrêté 2026-0412",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // The upstream bucket goes to the two cited commons by their graph credit, to the cent.
    let upstream: Vec<u64> = ["freesound", "openstreetmap"]
        .iter()
        .map(|name| {
            let line = format!("upstream commons {name}: ");
            let at = text
                .find(&line)
                .unwrap_or_else(|| panic!("no {line:?} in:\n{text}"));
            let amount = text[at + line.len()..].split(" EUR").next().unwrap();
            amount.replace(['.', ','], "").parse::<u64>().unwrap()
        })
        .collect();
    assert_eq!(upstream.iter().sum::<u64>(), 60_000, "{upstream:?}");
    assert!(upstream.iter().all(|cents| *cents > 25_000), "{upstream:?}");
    let second = user
        .ok(&[
            "distribution",
            "explain",
            &distributions[1].to_hex(),
            "--commons",
            &c,
            "--json",
        ])
        .await;
    let second: serde_json::Value = serde_json::from_str(&second).unwrap();
    assert_eq!(second["amount_text"], "2500.00");
    assert_eq!(second["buckets"][2]["policy"], "immediate");

    // An auditor takes the graph the second distribution ranked and ranks it with the
    // PageRank command: one window per interval between executed distributions.
    let audit = dir.path().join("audit");
    let out = audit.to_str().unwrap();
    let told = user
        .ok(&[
            "distribution",
            "graph",
            &distributions[1].to_hex(),
            "--commons",
            &c,
            "--out",
            out,
        ])
        .await;
    assert!(told.starts_with("window 0: entries 0.."), "{told}");
    assert!(told.contains("window 1: entries "), "{told}");
    let last = std::fs::read_to_string(audit.join("window-1.graph.csv")).unwrap();
    // Kofi's ferry-horn revision passes credit on to Léna's draft: a contribution-to-
    // contribution edge (and its back-flow).
    let builds_on = last
        .lines()
        .filter(|row| {
            let mut fields = row.split(',');
            let (source, target) = (fields.next().unwrap(), fields.next().unwrap_or(""));
            source.starts_with('c') && target.starts_with('c')
        })
        .count();
    assert_eq!(builds_on, 2, "{last}");
    for command in told
        .lines()
        .filter(|l| l.trim_start().starts_with("commons cred"))
    {
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let ranked: serde_json::Value = serde_json::from_str(&local(&args, &user.data)).unwrap();
        let scores = ranked["scores"].as_object().unwrap();
        let sum: f64 = scores.values().map(|s| s.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-9, "{sum}");
        assert!(
            scores.keys().any(|node| node.starts_with('p'))
                && scores.keys().any(|n| n.starts_with('u')),
            "{ranked}"
        );
    }
    let unknown = user
        .refused(&[
            "distribution",
            "graph",
            "ffff",
            "--commons",
            &c,
            "--out",
            out,
        ])
        .await;
    assert!(unknown.contains("ffff"), "{unknown}");
    let flows = user.ok(&["export", "valueflows", "--commons", &c]).await;
    for reference in [
        "SEPA out 2027-01-08 #0031",
        "SEPA out 2027-01-08 #0032",
        "Donation to the OpenStreetMap Foundation, receipt 2027-118",
    ] {
        assert!(
            flows.contains(reference),
            "no payout {reference} in the flows"
        );
    }
}
