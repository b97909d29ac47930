//! The value-sharing API end to end over the router: treasurers named by the statutes
//! record incomes (one reversed), set the first value equation, contributions are
//! accepted, a distribution pinned to the node's checkpoint is proposed, approved 2 of 2
//! and executed, one share is paid out, and everything is read back: the treasury (whose
//! balances sum to zero), incomes, the journal, the equation, the distribution's buckets
//! and shares (which sum to its amount exactly), and "why did I get this" down to the
//! contributions that earned the credit. A non-treasurer's attempts get `not_treasurer`.
#![allow(clippy::unwrap_used)]

mod common;

use common::{App, id_value, statutes};
use commons_core::production::bodies::{self, NewContribution};
use commons_ledger::EventId;
use commons_ledger::cbor::Value;
use commons_testkit::{T0_MS, key_value};
use serde_json::Value as Json;

/// Who signs: the harness's authors by number. Maya and Ana are the treasurers.
const MAYA: usize = 0;
const ANA: usize = 1;
const BEN: usize = 2;
const CHLOE: usize = 3;

fn income_body(kind: &str, amount: u64, currency: &str, source: &str) -> Value {
    Value::text_map([
        ("kind", Value::text(kind)),
        ("amount", Value::Unsigned(amount)),
        ("currency", Value::text(currency)),
        ("source", Value::text(source)),
        ("reference", Value::text("SEPA 2026-11-01 #4471")),
    ])
}

fn bucket(name: &str, take: &str, ppm: Option<u64>, to: &str) -> Value {
    let mut fields = vec![
        ("name", Value::text(name)),
        ("take", Value::text(take)),
        ("to", Value::text(to)),
    ];
    if let Some(p) = ppm {
        fields.push(("share_ppm", Value::Unsigned(p)));
    }
    Value::text_map(fields)
}

/// A `dist.propose` body of `amount` EUR pinned at `pin`.
fn proposal_body(title: &str, amount: u64, pin: Value, buckets: Vec<Value>) -> Value {
    Value::text_map([
        ("title", Value::text(title)),
        ("amount", Value::Unsigned(amount)),
        ("currency", Value::text("EUR")),
        ("pin", pin),
        ("buckets", Value::Array(buckets)),
    ])
}

fn target(id: &EventId) -> Value {
    Value::text_map([("distribution", id_value(id))])
}

impl App {
    /// Signs and submits one event by author `who`; returns its id.
    async fn send(&mut self, who: usize, kind: &str, body: Value) -> EventId {
        let event = self.author(who).sign(kind, &body, vec![], T0_MS);
        self.expect_ok(&event).await;
        event.id
    }

    /// Chloe's and Ben's revision, shared 3:1, accepted by Maya.
    async fn accept_shared_work(&mut self) -> EventId {
        let work = NewContribution {
            area: "maps".into(),
            kind: "external".into(),
            title: "Drew the orchard's footpaths".into(),
            description: None,
            tasks: vec![],
            authors: vec![(self.chloe.public(), 3), (self.ben.public(), 1)],
            effort_minutes: Some(0),
            sponsor: None,
            revision: None,
            evidence: vec!["https://example.org/paths".into()],
            checklist: vec![],
        };
        let id = self.send(CHLOE, "contrib.submit", work.body()).await;
        self.send(MAYA, "contrib.review", bodies::review(&id, "approve", None))
            .await;
        id
    }

    /// The node's latest signed checkpoint as a `pin`.
    async fn pin(&self) -> (u64, Value) {
        let checkpoint = self
            .test
            .node
            .latest_checkpoint(&self.commons)
            .await
            .unwrap()
            .unwrap();
        (
            checkpoint.size,
            Value::text_map([
                ("size", Value::Unsigned(checkpoint.size)),
                ("root", Value::bytes(checkpoint.root.0.to_vec())),
            ]),
        )
    }
}

/// The harness's commons with Maya and Ana as treasurers, 2 of 2.
async fn treasury_app() -> App {
    let mut st = statutes();
    st.treasurers = vec![
        commons_testkit::key(1).author_key().to_hex(),
        commons_testkit::key(2).author_key().to_hex(),
    ];
    st.treasurer_approvals = 2;
    App::start_with(st).await
}

fn minor(money: &Json) -> u64 {
    money["minor"].as_u64().unwrap()
}

/// A commons with incomes in EUR and JPY (one reversed), the first equation (reviewers
/// take a fifth), two accepted contributions and a distribution of 1,000.01 EUR, executed.
/// Credit: Ben 4/5 + 1/5 = 1, Chloe 3/5, Maya (the reviewer) 1/5 + 1/5 = 2/5.
struct Scenario {
    app: App,
    distribution: EventId,
    shared_work: EventId,
    pin_size: u64,
}

async fn scenario() -> Scenario {
    let mut app = treasury_app().await;
    let shared_work = app.accept_shared_work().await;
    let equation = Value::text_map([(
        "equation",
        Value::text_map([(
            "reviewer_share",
            Value::Array(vec![Value::Unsigned(1), Value::Unsigned(5)]),
        )]),
    )]);
    app.send(MAYA, "value.equation", equation).await;
    app.send(
        MAYA,
        "money.income",
        income_body("benefit_sharing", 100_001, "EUR", "Atelier Lumen SARL"),
    )
    .await;
    app.send(
        ANA,
        "money.income",
        income_body("donation", 25_000, "EUR", "A neighbour"),
    )
    .await;
    let twice = app
        .send(
            ANA,
            "money.income",
            income_body("donation", 9_999, "EUR", "Recorded twice"),
        )
        .await;
    app.send(
        ANA,
        "money.reverse",
        Value::text_map([
            ("entry", id_value(&twice)),
            ("reason", Value::text("recorded twice")),
        ]),
    )
    .await;
    app.send(
        MAYA,
        "money.income",
        income_body("grant", 5_000, "JPY", "Kyoto fund"),
    )
    .await;
    let (pin_size, pin) = app.pin().await;
    let proposal = proposal_body(
        "Autumn 2026",
        100_001,
        pin,
        vec![
            bucket("infrastructure", "straight", Some(150_000), "treasury"),
            bucket("contributors", "rest", None, "contributors"),
        ],
    );
    let distribution = app.send(MAYA, "dist.propose", proposal).await;
    app.send(MAYA, "dist.approve", target(&distribution)).await;
    app.send(ANA, "dist.approve", target(&distribution)).await;
    app.send(ANA, "dist.execute", target(&distribution)).await;
    Scenario {
        app,
        distribution,
        shared_work,
        pin_size,
    }
}

#[tokio::test]
async fn only_treasurers_move_money_and_the_refusal_carries_not_treasurer() {
    let mut app = treasury_app().await;
    let body = income_body("donation", 100, "EUR", "Ben himself");
    assert_eq!(
        app.refused(BEN, "money.income", &body).await,
        "not_treasurer"
    );
    app.send(MAYA, "money.income", body).await;
    let (_, pin) = app.pin().await;
    let proposal = Value::text_map([
        ("title", Value::text("Ben's own")),
        ("amount", Value::Unsigned(100)),
        ("currency", Value::text("EUR")),
        ("pin", pin),
        (
            "buckets",
            Value::Array(vec![bucket("all", "rest", None, "contributors")]),
        ),
    ]);
    assert_eq!(
        app.refused(BEN, "dist.propose", &proposal).await,
        "not_treasurer"
    );
    let d = app.send(ANA, "dist.propose", proposal).await;
    assert_eq!(
        app.refused(BEN, "dist.approve", &target(&d)).await,
        "not_treasurer"
    );
    assert_eq!(
        app.refused(MAYA, "dist.execute", &target(&d)).await,
        "distribution_state"
    );
    let payout = Value::text_map([
        ("to", key_value(&app.ben.public())),
        ("amount", Value::Unsigned(1)),
        ("currency", Value::text("EUR")),
        ("reference", Value::text("SEPA out 1")),
    ]);
    assert_eq!(
        app.refused(BEN, "money.payout", &payout).await,
        "not_treasurer"
    );
    // Nothing Ben tried left a trace in the books.
    let incomes = app.ok("/incomes").await;
    assert_eq!(incomes["matching"], 1);
    assert_eq!(incomes["incomes"][0]["by"]["name"], "Maya");
    let listed = app.ok("/distributions").await;
    assert_eq!(listed["matching"], 1);
    assert_eq!(listed["distributions"][0]["status"], "proposed");
    assert_eq!(listed["distributions"][0]["n_approvals"], 0);
    assert_eq!(listed["distributions"][0]["approvals_needed"], 2);
}

#[tokio::test]
async fn the_treasury_shows_every_balance_and_they_sum_to_zero_per_currency() {
    let s = scenario().await;
    let treasury = s.app.ok("/treasury").await;
    assert_eq!(treasury["treasurer_approvals"], 2);
    let names: Vec<&str> = treasury["treasurers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Maya", "Ana"]);
    let currencies = treasury["currencies"].as_array().unwrap();
    assert_eq!(currencies.len(), 2);
    let eur = &currencies[0];
    assert_eq!(eur["currency"], "EUR");
    assert_eq!(eur["decimals"], 2);
    // 1,000.01 + 250.00 (+ 99.99 reversed) came in; 850.01 went to contributors and the
    // infrastructure bucket's 150.00 stayed.
    assert_eq!(minor(&eur["income_total"]), 125_001);
    assert_eq!(eur["income_total"]["display"], "1,250.01 EUR");
    assert_eq!(minor(&eur["treasury"]), 40_000);
    assert_eq!(eur["treasury"]["display"], "400.00 EUR");
    assert_eq!(minor(&eur["reserved"]), 0);
    assert_eq!(minor(&eur["available"]), 40_000);
    assert_eq!(minor(&eur["owed"]), 85_001);
    assert_eq!(eur["n_owed"], 3);
    assert_eq!(minor(&eur["paid_out"]), 0);
    let by_kind: Vec<(String, u64, u64)> = eur["income_by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kind"].as_str().unwrap().to_owned(),
                minor(&k["amount"]),
                k["n_incomes"].as_u64().unwrap(),
            )
        })
        .filter(|(_, amount, _)| *amount > 0)
        .collect();
    assert_eq!(
        by_kind,
        [
            ("donation".to_owned(), 25_000, 1),
            ("benefit_sharing".to_owned(), 100_001, 1)
        ]
    );
    let jpy = &currencies[1];
    assert_eq!(jpy["decimals"], 0);
    assert_eq!(jpy["treasury"]["display"], "5,000 JPY");
    // Every account, inside and outside, in one page; each currency sums to zero.
    let accounts = treasury["accounts"].as_array().unwrap();
    assert_eq!(
        treasury["accounts_matching"].as_u64().unwrap() as usize,
        accounts.len()
    );
    for code in ["EUR", "JPY"] {
        let sum: i64 = accounts
            .iter()
            .filter(|a| a["currency"] == code)
            .map(|a| a["balance"]["minor"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 0, "{code}");
    }
    let owed_ben = accounts
        .iter()
        .find(|a| a["kind"] == "owed" && a["person"]["name"] == "Ben")
        .unwrap();
    assert_eq!(owed_ben["balance"]["minor"], 42_501);
    assert_eq!(owed_ben["internal"], true);
    let income = accounts
        .iter()
        .find(|a| a["account"] == "income:benefit_sharing")
        .unwrap();
    assert_eq!(income["balance"]["display"], "−1,000.01 EUR");
    assert_eq!(income["internal"], false);
    // A currency filter and a page of one.
    let only = s.app.ok("/treasury?currency=JPY&limit=1").await;
    assert_eq!(only["currencies"].as_array().unwrap().len(), 1);
    assert_eq!(only["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(only["accounts_matching"], 2);
}

#[tokio::test]
async fn incomes_and_the_journal_page_through_every_line_with_reversals_marked() {
    let s = scenario().await;
    let incomes = s.app.ok("/incomes?currency=EUR").await;
    assert_eq!(incomes["matching"], 3);
    assert_eq!(minor(&incomes["totals"]["EUR"]), 125_001);
    let list = incomes["incomes"].as_array().unwrap();
    assert_eq!(list[0]["source"], "Atelier Lumen SARL");
    assert_eq!(list[0]["amount"]["display"], "1,000.01 EUR");
    assert!(list[0]["reversed_by"].is_null());
    assert!(list[2]["reversed_by"].is_string());
    let newest = s.app.ok("/incomes?order=desc&limit=1").await;
    assert_eq!(newest["incomes"][0]["currency"], "JPY");
    let donations = s.app.ok("/incomes?kind=donation").await;
    assert_eq!(donations["matching"], 2);

    // Lines: 4 incomes, 1 reversal, 3 credits to people = 8, read two at a time.
    let mut lines: Vec<Json> = Vec::new();
    loop {
        let page = s
            .app
            .ok(&format!("/journal?limit=2&offset={}", lines.len()))
            .await;
        assert_eq!(page["matching"], 8);
        let got = page["lines"].as_array().unwrap().clone();
        if got.is_empty() {
            break;
        }
        lines.extend(got);
    }
    assert_eq!(lines.len(), 8);
    let ns: Vec<u64> = lines.iter().map(|l| l["n"].as_u64().unwrap()).collect();
    assert_eq!(ns, (0..8).collect::<Vec<_>>());
    let reversal = &lines[3];
    assert_eq!(reversal["memo"], "money.reverse");
    assert_eq!(reversal["from"], "treasury");
    assert_eq!(reversal["to"], "income:donation");
    assert_eq!(reversal["reverses"], lines[2]["event"]);
    let executed: Vec<&Json> = lines
        .iter()
        .filter(|l| l["memo"] == "dist.execute")
        .collect();
    assert_eq!(executed.len(), 3);
    assert_eq!(
        executed.iter().map(|l| minor(&l["amount"])).sum::<u64>(),
        85_001
    );
    let event = executed[0]["event"].as_str().unwrap();
    let of_event = s.app.ok(&format!("/journal?event={event}")).await;
    assert_eq!(of_event["matching"], 3);
    assert_eq!(of_event["lines"][0]["n"], executed[0]["n"]);
    let ben = format!("owed:{}", s.app.ben.public().to_hex());
    let bens = s.app.ok(&format!("/journal?account={ben}")).await;
    assert_eq!(bens["matching"], 1);
    assert_eq!(bens["lines"][0]["amount"]["minor"], 42_501);
}

#[tokio::test]
async fn the_equation_in_force_and_its_history_are_exact_fractions() {
    let s = scenario().await;
    let eq = s.app.ok("/equation").await;
    assert_eq!(eq["in_force_n"], 0);
    assert_eq!(eq["in_force"]["reviewer_share"], "1/5");
    assert_eq!(eq["in_force"]["base"], "1/1");
    let adopted = eq["equations"].as_array().unwrap();
    assert_eq!(adopted.len(), 1);
    assert_eq!(adopted[0]["effective_ms"], 0);
    assert!(adopted[0]["poll"].is_null());
    assert_eq!(adopted[0]["in_force"], true);
    assert_eq!(adopted[0]["equation"]["hash"].as_str().unwrap().len(), 64);
    // A second equation set directly is refused: it takes a poll.
    let mut app = s.app;
    let again = Value::text_map([("equation", Value::text_map([]))]);
    assert_eq!(
        app.refused(MAYA, "value.equation", &again).await,
        "equation_needs_poll"
    );
    // A commons without an equation shows the default in force.
    let fresh = treasury_app().await;
    let eq = fresh.ok("/equation").await;
    assert!(eq["in_force_n"].is_null());
    assert_eq!(eq["in_force"]["base"], "1/1");
    assert_eq!(eq["in_force"]["reviewer_share"], "0/1");
    assert!(eq["equations"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_distributions_buckets_and_shares_sum_exactly_to_its_amount() {
    let s = scenario().await;
    let listed = s.app.ok("/distributions").await;
    assert_eq!(listed["matching"], 1);
    let summary = &listed["distributions"][0];
    assert_eq!(summary["status"], "executed");
    assert_eq!(summary["n_approvals"], 2);
    assert_eq!(summary["n_recipients"], 3);
    assert!(summary["executed_index"].is_u64());
    assert_eq!(
        s.app.ok("/distributions?status=proposed").await["matching"],
        0
    );

    let d = s
        .app
        .ok(&format!("/distributions/{}", s.distribution.to_hex()))
        .await;
    assert_eq!(d["title"], "Autumn 2026");
    assert_eq!(d["amount"]["display"], "1,000.01 EUR");
    assert_eq!(d["pin"]["size"], s.pin_size);
    assert_eq!(d["pin"]["root"].as_str().unwrap().len(), 64);
    assert_eq!(d["config_hash"].as_str().unwrap().len(), 64);
    let approvers: Vec<&str> = d["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(approvers.len(), 2);
    assert!(approvers.contains(&"Maya") && approvers.contains(&"Ana"));
    let buckets = d["buckets"].as_array().unwrap();
    assert_eq!(
        buckets.iter().map(|b| minor(&b["amount"])).sum::<u64>(),
        100_001
    );
    assert_eq!(buckets[0]["to"], "treasury");
    assert_eq!(buckets[0]["share_ppm"], 150_000);
    assert_eq!(minor(&buckets[0]["amount"]), 15_000);
    let contributors = &buckets[1];
    assert_eq!(contributors["policy"], "lifetime");
    assert_eq!(minor(&contributors["amount"]), 85_001);
    assert_eq!(contributors["total_weight"], 2_000);
    // 85,001 by 400 : 1,000 : 600 is 17,000.2, 42,500.5 and 25,500.3: the one cent left
    // goes to the largest remainder, Ben's.
    let mut shares: Vec<(String, u64, u64)> = contributors["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["recipient"]["name"].as_str().unwrap().to_owned(),
                x["weight"].as_u64().unwrap(),
                minor(&x["amount"]),
            )
        })
        .collect();
    shares.sort();
    assert_eq!(
        shares,
        [
            ("Ben".to_owned(), 1_000, 42_501),
            ("Chloe".to_owned(), 600, 25_500),
            ("Maya".to_owned(), 400, 17_000)
        ]
    );
    assert_eq!(minor(&d["total_shared"]), 85_001);
    assert_eq!(minor(&d["total_credited"]), 85_001);
    assert_eq!(minor(&d["total_carried"]), 0);
    // Shares and totals page together.
    let paged = s
        .app
        .ok(&format!(
            "/distributions/{}?limit=1&offset=2",
            s.distribution.to_hex()
        ))
        .await;
    assert_eq!(paged["recipients_matching"], 3);
    assert_eq!(paged["totals"].as_array().unwrap().len(), 1);
    assert_eq!(paged["buckets"][1]["shares"].as_array().unwrap().len(), 1);
    assert_eq!(paged["buckets"][1]["n_shares"], 3);
}

#[tokio::test]
async fn why_did_i_get_this_names_the_incomes_the_weight_and_the_contributions() {
    let mut s = scenario().await;
    let ben = s.app.ben.public().to_hex();
    let path = format!(
        "/distributions/{}/explain?who={ben}",
        s.distribution.to_hex()
    );
    let why = s.app.ok(&path).await;
    assert_eq!(why["recipient"]["name"], "Ben");
    assert_eq!(minor(&why["total"]), 42_501);
    assert_eq!(minor(&why["credited"]), 42_501);
    assert_eq!(minor(&why["carried"]), 0);
    // Funded from the treasury, which EUR incomes recorded before the pin filled (the
    // reversed one listed, not counted); the JPY grant is not among them.
    let funding = &why["funding"];
    assert_eq!(funding["drawn_from"], "treasury");
    assert_eq!(funding["n_incomes"], 3);
    assert_eq!(minor(&funding["incomes_total"]), 125_001);
    assert!(
        funding["incomes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["currency"] == "EUR" && i["index"].as_u64().unwrap() < s.pin_size)
    );
    let buckets = why["buckets"].as_array().unwrap();
    assert_eq!(buckets[0]["to"], "treasury");
    assert_eq!(minor(&buckets[0]["amount"]), 0);
    let mine = &buckets[1];
    assert_eq!(mine["weight"], 1_000);
    assert_eq!(mine["total_weight"], 2_000);
    assert_eq!(mine["fraction"], "1000/2000");
    assert_eq!(minor(&mine["amount"]), 42_501);
    assert_eq!(mine["credit_from_index"], 0);
    assert_eq!(mine["credit_before_index"], s.pin_size);
    assert_eq!(
        buckets.iter().map(|b| minor(&b["amount"])).sum::<u64>(),
        minor(&why["total"])
    );
    // His care work (4/5 after Maya's fifth) and his quarter of the footpaths (1/5).
    let credits: Vec<(String, String, String, u64)> = mine["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["title"].as_str().unwrap().to_owned(),
                c["role"].as_str().unwrap().to_owned(),
                c["credit"].as_str().unwrap().to_owned(),
                c["milli_credits"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        credits,
        [
            (
                "Mapped the pear trees".to_owned(),
                "author".to_owned(),
                "4/5".to_owned(),
                800
            ),
            (
                "Drew the orchard's footpaths".to_owned(),
                "author".to_owned(),
                "1/5".to_owned(),
                200
            )
        ]
    );
    assert_eq!(
        mine["contributions"][1]["contribution"],
        s.shared_work.to_hex()
    );
    // Maya earned hers by reviewing.
    let maya = s.app.maya.public().to_hex();
    let why_maya = s
        .app
        .ok(&format!(
            "/distributions/{}/explain?who={maya}",
            s.distribution.to_hex()
        ))
        .await;
    let roles: Vec<&str> = why_maya["buckets"][1]["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["reviewer", "reviewer"]);
    assert_eq!(minor(&why_maya["total"]), 17_000);

    // The person's earnings: owed, then paid.
    let earnings = s.app.ok(&format!("/people/{ben}/earnings")).await;
    assert_eq!(earnings["matching"], 1);
    assert_eq!(earnings["books"][0]["owed"]["display"], "425.01 EUR");
    assert_eq!(
        earnings["distributions"][0]["buckets"][1]["amount"]["minor"],
        42_501
    );
    let payout = Value::text_map([
        ("to", key_value(&s.app.ben.public())),
        ("amount", Value::Unsigned(42_501)),
        ("currency", Value::text("EUR")),
        ("reference", Value::text("SEPA out 118")),
    ]);
    s.app.send(ANA, "money.payout", payout).await;
    let earnings = s.app.ok(&format!("/people/{ben}/earnings")).await;
    assert_eq!(minor(&earnings["books"][0]["owed"]), 0);
    assert_eq!(minor(&earnings["books"][0]["paid_out"]), 42_501);
    let treasury = s.app.ok("/treasury?currency=EUR").await;
    assert_eq!(minor(&treasury["currencies"][0]["paid_out"]), 42_501);
    assert_eq!(minor(&treasury["currencies"][0]["owed"]), 85_001 - 42_501);
    // Someone with no share gets zeros, not an error.
    let dan = s.app.dan.public().to_hex();
    let nothing = s
        .app
        .ok(&format!(
            "/distributions/{}/explain?who={dan}",
            s.distribution.to_hex()
        ))
        .await;
    assert_eq!(minor(&nothing["total"]), 0);
    assert_eq!(nothing["buckets"][1]["weight"], 0);
    assert_eq!(
        s.app.ok(&format!("/people/{dan}/earnings")).await["matching"],
        0
    );
}

#[tokio::test]
async fn bad_requests_get_stable_codes_in_the_one_error_shape() {
    let s = scenario().await;
    let d = s.distribution.to_hex();
    let cases = [
        (
            "/distributions/".to_owned() + &"ab".repeat(32),
            404,
            "unknown_distribution",
        ),
        (
            format!(
                "/distributions/{}/explain?who={}",
                "ab".repeat(32),
                s.app.ben.public().to_hex()
            ),
            404,
            "unknown_distribution",
        ),
        ("/distributions/xyz".to_owned(), 400, "invalid_id"),
        (
            format!("/distributions/{d}/explain?who=nobody"),
            400,
            "invalid_query",
        ),
        (format!("/distributions/{d}/explain"), 400, "invalid_query"),
        ("/journal?limit=1001".to_owned(), 400, "invalid_query"),
        ("/journal?limit=0".to_owned(), 400, "invalid_query"),
        ("/journal?order=sideways".to_owned(), 400, "invalid_query"),
        ("/journal?event=12".to_owned(), 400, "invalid_id"),
        ("/incomes?kind=loan".to_owned(), 400, "invalid_query"),
        ("/incomes?colour=red".to_owned(), 400, "invalid_query"),
        (
            "/distributions?status=lost".to_owned(),
            400,
            "invalid_query",
        ),
        ("/people/00/earnings".to_owned(), 400, "invalid_query"),
        (
            format!("/people/{}/earnings?limit=51", s.app.ben.public().to_hex()),
            400,
            "invalid_query",
        ),
    ];
    for (path, status, code) in cases {
        let (got, json) = s.app.get(&path).await;
        assert_eq!(got.as_u16(), status, "{path}: {json}");
        assert_eq!(json["code"], code, "{path}: {json}");
        assert!(json["message"].is_string(), "{path}");
    }
    let (status, json) = s
        .app
        .request(
            axum::http::Request::get(format!("/api/v1/commons/{}/treasury", "cd".repeat(32)))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status.as_u16(), 404);
    let json: Json = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["code"], "unknown_commons");
}

#[tokio::test]
async fn an_expense_shows_its_approvals_and_an_equation_poll_its_simulation() {
    let mut s = scenario().await;
    let expense = s
        .app
        .send(
            BEN,
            "expense.file",
            Value::text_map([
                ("title", Value::text("Ladders for the orchard")),
                ("amount", Value::Unsigned(10_000)),
                ("currency", Value::text("EUR")),
                ("reference", Value::text("Invoice 2026-77")),
            ]),
        )
        .await;
    let decide = |decision: &str| {
        Value::text_map([
            ("expense", id_value(&expense)),
            ("decision", Value::text(decision)),
        ])
    };
    s.app.send(MAYA, "expense.decide", decide("approve")).await;
    let spending = s.app.ok("/spending").await;
    let listed = &spending["expenses"][0];
    assert_eq!(listed["id"], expense.to_hex());
    assert_eq!(listed["state"], "submitted");
    assert_eq!(listed["approvals"].as_array().unwrap().len(), 1);
    assert_eq!(listed["approvals_needed"], 2);
    s.app.send(ANA, "expense.decide", decide("approve")).await;
    let spending = s.app.ok("/spending").await;
    assert_eq!(spending["expenses"][0]["state"], "approved");
    assert_eq!(spending["expenses_matching"], 1);
    let treasury = s.app.ok("/treasury").await;
    let eur = &treasury["currencies"][0];
    assert_eq!(minor(&eur["expenses"]), 10_000, "set aside on approval");
    assert_eq!(minor(&eur["treasury"]), 30_000);

    // Reviewers' share doubled, put to a poll; the simulation shows the effect first.
    let generous = commons_core::value::equation::Equation {
        reviewer_share: commons_core::value::equation::Ratio { num: 2, den: 5 },
        ..commons_core::value::equation::Equation::default()
    };
    let poll = s
        .app
        .send(
            BEN,
            "poll.open",
            Value::text_map([
                ("title", Value::text("Reviewers earn two fifths")),
                ("decision", Value::text("value_equation")),
                (
                    "closes_ms",
                    Value::Unsigned(s.app.test.node.now_ms() + 86_400_000),
                ),
                ("equation", commons_core::value::equation::value(&generous)),
                ("effective_ms", Value::Unsigned(0)),
            ]),
        )
        .await;
    let sim = s
        .app
        .ok(&format!("/polls/{}/simulation", poll.to_hex()))
        .await;
    assert_eq!(sim["poll"], poll.to_hex());
    let shares = sim["shares"].as_array().unwrap();
    let total = |field: &str| -> u64 {
        shares
            .iter()
            .map(|sh| sh[field]["minor"].as_u64().unwrap_or(0))
            .sum()
    };
    // The same split as the latest distribution, before and after: it adds up either way.
    assert_eq!(total("money_before"), total("money_after"));
    let maya = shares
        .iter()
        .find(|sh| sh["to"]["name"] == "Maya")
        .expect("the reviewer is in the simulation");
    assert!(
        maya["credit_after"].as_u64().unwrap() > maya["credit_before"].as_u64().unwrap(),
        "the reviewer gains credit: {maya}"
    );
    let general = s
        .app
        .send(
            BEN,
            "poll.open",
            Value::text_map([
                ("title", Value::text("Plant pears")),
                ("decision", Value::text("general")),
                (
                    "closes_ms",
                    Value::Unsigned(s.app.test.node.now_ms() + 86_400_000),
                ),
            ]),
        )
        .await;
    let (status, error) = s
        .app
        .get(&format!("/polls/{}/simulation", general.to_hex()))
        .await;
    assert_eq!(status.as_u16(), 400, "{error}");
    assert_eq!(error["code"], "not_an_equation_poll");
}

/// Under an equation with `graph` terms and no back-flow, the two contributions (each
/// worth 1 credit, a fifth to reviewer Maya) hold x = 1/3.7 of the score each and pass
/// 0.85 of it on: of the 2,000 milli-credits minted Ben holds 0.85 · x · 2,000 = 459.46,
/// Chloe 275.68, Maya 183.78, so the weights are 459, 276 and 184 (largest remainders),
/// and Ben's credit arrived as 367 from his care work and 92 from the footpaths.
#[tokio::test]
async fn under_a_graph_equation_why_did_i_get_this_lists_the_edges_credit_arrived_by() {
    let mut app = treasury_app().await;
    let shared_work = app.accept_shared_work().await;
    let pair = |n: u64, d: u64| Value::Array(vec![Value::Unsigned(n), Value::Unsigned(d)]);
    let equation = Value::text_map([(
        "equation",
        Value::text_map([
            ("reviewer_share", pair(1, 5)),
            ("graph", Value::text_map([("back_flow", pair(0, 1))])),
        ]),
    )]);
    app.send(MAYA, "value.equation", equation).await;
    let equations = app.ok("/equation").await;
    assert_eq!(
        equations["in_force"]["graph"],
        serde_json::json!({"damping": "17/20", "back_flow": "0/1", "builds_on": "1/5"})
    );
    app.send(
        MAYA,
        "money.income",
        income_body("benefit_sharing", 91_900, "EUR", "Atelier Lumen SARL"),
    )
    .await;
    let (_, pin) = app.pin().await;
    let proposal = proposal_body(
        "Through the graph",
        91_900,
        pin,
        vec![bucket("contributors", "rest", None, "contributors")],
    );
    let distribution = app.send(MAYA, "dist.propose", proposal).await;
    let explain = |who: &str| format!("/distributions/{}/explain?who={who}", distribution.to_hex());
    let ben = app.ben.public().to_hex();
    let why = app.ok(&explain(&ben)).await;
    let mine = &why["buckets"][0];
    assert_eq!(mine["weight"], 459);
    assert_eq!(mine["total_weight"], 459 + 276 + 184);
    assert_eq!(minor(&why["total"]), 45_900);
    let credits: Vec<(String, String, u64)> = mine["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["contribution"].as_str().unwrap().to_owned(),
                c["role"].as_str().unwrap().to_owned(),
                c["milli_credits"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(credits.len(), 2);
    assert_eq!(credits[0].1, "author");
    assert_eq!(credits[0].2, 367);
    assert_eq!(credits[1], (shared_work.to_hex(), "author".to_owned(), 92));
    let maya = app.maya.public().to_hex();
    let why_maya = app.ok(&explain(&maya)).await;
    assert_eq!(minor(&why_maya["total"]), 18_400);
    let roles: Vec<&str> = why_maya["buckets"][0]["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["reviewer", "reviewer"]);
}
