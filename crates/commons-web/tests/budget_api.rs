//! The participatory budgeting API end to end over the router: `budget.*` events
//! submitted to `POST /api/v1/events`, ledger time moved by the node's manual clock
//! through a round's phases, and everything read back: rounds, projects with their flags
//! and status, ballots, the frozen electorate, the count sheet (which recounts exactly
//! from the published ballots and seed) and the spending-authorisation ledger.
#![allow(clippy::unwrap_used)]

mod common;

use common::{App, DAY_MS, id_value};
use commons_core::association::budget::{self, Ballot as BudgetVote};
use commons_ledger::EventId;
use commons_ledger::cbor::Value;
use commons_testkit::T0_MS;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

const PROPOSALS_CLOSE_MS: u64 = T0_MS + 2 * DAY_MS;
const CLOSES_MS: u64 = T0_MS + 9 * DAY_MS;

/// Who signs: the harness's authors by number.
const MAYA: usize = 0;
const ANA: usize = 1;
const BEN: usize = 2;
const DAN: usize = 4;

fn round_body(title: &str, model: &str, rule: &str, pool: u64, closes_ms: u64) -> Value {
    Value::text_map([
        ("title", Value::text(title)),
        (
            "description",
            Value::text("What the orchard needs this spring"),
        ),
        (
            "guidelines",
            Value::text("Projects must serve the whole orchard"),
        ),
        ("pool", Value::Unsigned(pool)),
        ("currency", Value::text("EUR")),
        ("model", Value::text(model)),
        ("rule", Value::text(rule)),
        ("proposals_close_ms", Value::Unsigned(PROPOSALS_CLOSE_MS)),
        ("closes_ms", Value::Unsigned(closes_ms)),
    ])
}

/// A project with required items and optional ones, `(label, amount, optional)`.
fn project_body(round: &EventId, name: &str, items: &[(&str, u64, bool)]) -> Value {
    Value::text_map([
        ("round", id_value(round)),
        ("name", Value::text(name)),
        (
            "items",
            Value::Array(
                items
                    .iter()
                    .map(|(label, amount, optional)| {
                        Value::text_map([
                            ("label", Value::text(*label)),
                            ("amount", Value::Unsigned(*amount)),
                            ("optional", Value::Bool(*optional)),
                        ])
                    })
                    .collect(),
            ),
        ),
    ])
}

fn project_ref(project: &EventId, reason: &str, decision: Option<&str>) -> Value {
    let mut fields = vec![
        ("project", id_value(project)),
        ("reason", Value::text(reason)),
    ];
    if let Some(decision) = decision {
        fields.push(("decision", Value::text(decision)));
    }
    Value::text_map(fields)
}

fn vote_body(round: &EventId, ballot: &BudgetVote) -> Value {
    Value::text_map([
        ("round", id_value(round)),
        ("ballot", budget::ballot_value(ballot)),
    ])
}

impl App {
    /// Signs and submits one budgeting event by author `who`; returns its id.
    async fn budget(&mut self, who: usize, kind: &str, body: Value) -> EventId {
        let event = self.author(who).sign(kind, &body, vec![], T0_MS);
        self.expect_ok(&event).await;
        event.id
    }

    async fn budget_vote(&mut self, who: usize, round: &EventId, ballot: BudgetVote) {
        self.budget(who, budget::VOTE, vote_body(round, &ballot))
            .await;
    }

    /// Every page of a listing, `limit` at a time.
    async fn all_pages(&self, path: &str, field: &str, limit: usize) -> Vec<Json> {
        let mut items = Vec::new();
        loop {
            let separator = if path.contains('?') { '&' } else { '?' };
            let page = self
                .ok(&format!(
                    "{path}{separator}limit={limit}&offset={}",
                    items.len()
                ))
                .await;
            let got = page[field].as_array().unwrap().clone();
            if got.is_empty() {
                return items;
            }
            items.extend(got);
        }
    }
}

fn names(list: &Json, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].as_str().unwrap().to_owned())
        .collect()
}

/// Recounts a closed round from what the API publishes (`commons_web::budget::recount`,
/// which `commons budget recount` runs too).
async fn recount(app: &App, round: &EventId) -> Json {
    let path = format!("/budgets/{}", round.to_hex());
    let shown = app.ok(&path).await;
    let published = app
        .all_pages(&format!("{path}/ballots"), "ballots", 2)
        .await;
    serde_json::to_value(commons_web::budget::recount(&shown, &published).unwrap()).unwrap()
}

#[tokio::test]
async fn an_approval_round_moves_through_its_phases_and_its_published_ballots_recount_to_its_sheet()
{
    let mut app = App::start().await;
    app.admit_dan().await;
    let round = app
        .budget(
            MAYA,
            budget::OPEN,
            round_body(
                "Spring 2026",
                "approval",
                "equal_shares",
                100_000,
                CLOSES_MS,
            ),
        )
        .await;
    let path = format!("/budgets/{}", round.to_hex());
    let garden = app
        .budget(
            ANA,
            budget::PROPOSE,
            project_body(&round, "Garden", &[("Soil and seeds", 60_000, false)]),
        )
        .await;
    let server = app
        .budget(
            BEN,
            budget::PROPOSE,
            project_body(
                &round,
                "Server",
                &[("Machine", 50_000, false), ("Spare disk", 10_000, true)],
            ),
        )
        .await;
    let cameras = app
        .budget(
            DAN,
            budget::PROPOSE,
            project_body(&round, "Cameras", &[("Two trail cameras", 30_000, false)]),
        )
        .await;
    let ads = app
        .budget(
            BEN,
            budget::PROPOSE,
            project_body(&round, "Ads for my shop", &[("Posters", 20_000, false)]),
        )
        .await;

    // The listing: one round, taking proposals, with its pool, rule and electorate.
    let listed = app.ok("/budgets").await;
    assert_eq!(listed["matching"], 1);
    let summary = &listed["rounds"][0];
    assert_eq!(summary["id"], round.to_hex());
    assert_eq!(summary["phase"], "proposals");
    assert_eq!(summary["pool"], 100_000);
    assert_eq!(summary["currency"], "EUR");
    assert_eq!(summary["currency_decimals"], 2);
    assert_eq!(
        summary["model"],
        json!({"name": "approval", "min_spend": null, "min": 0, "max": null})
    );
    assert_eq!(
        summary["rule"],
        json!({"name": "equal_shares", "completion": "greedy"})
    );
    assert_eq!(summary["author"]["name"], "Maya");
    assert_eq!(summary["electorate_size"], 4);
    assert_eq!(summary["n_projects"], 4);
    assert_eq!(summary["n_voters"], 0);
    assert_eq!(summary["spent"], Json::Null);
    assert_eq!(summary["proposals_close_ms"], PROPOSALS_CLOSE_MS);
    assert_eq!(summary["closes_ms"], CLOSES_MS);

    // Dan backs the shop's ads before anyone objects; his ballot will keep that entry.
    app.budget_vote(DAN, &round, BudgetVote::Approve(vec![server, ads]))
        .await;

    // Flags with their reasons; a review keeps one project (clearing its flag) and
    // excludes another, with who and why.
    app.budget(
        ANA,
        budget::FLAG,
        project_ref(&ads, "serves one business", None),
    )
    .await;
    app.budget(
        BEN,
        budget::FLAG,
        project_ref(&cameras, "filming people is not wanted", None),
    )
    .await;
    let flagged = app.ok(&path).await;
    let ads_shown = &flagged["projects"][3];
    assert_eq!(
        ads_shown["flags"],
        json!([{"by": {"key": app.ana.public().to_hex(), "name": "Ana"}, "reason": "serves one business"}])
    );
    assert_eq!(
        flagged["guidelines"],
        "Projects must serve the whole orchard"
    );
    assert_eq!(flagged["description"], "What the orchard needs this spring");
    app.budget(
        MAYA,
        budget::REVIEW,
        project_ref(&ads, "breaks the guidelines", Some("exclude")),
    )
    .await;
    app.budget(
        MAYA,
        budget::REVIEW,
        project_ref(&cameras, "they film wildlife only", Some("keep")),
    )
    .await;
    let reviewed = app.ok(&path).await;
    assert_eq!(
        names(&reviewed["projects"], "name"),
        ["Garden", "Server", "Cameras", "Ads for my shop"],
        "in the order proposed"
    );
    let ads_shown = &reviewed["projects"][3];
    assert_eq!(ads_shown["status"], "excluded");
    assert_eq!(ads_shown["status_by"]["name"], "Maya");
    assert_eq!(ads_shown["status_reason"], "breaks the guidelines");
    let cameras_shown = &reviewed["projects"][2];
    assert_eq!(cameras_shown["flags"], json!([]));
    assert_eq!(cameras_shown["status"], "proposed");
    let server_shown = &reviewed["projects"][1];
    assert_eq!(server_shown["min_cost"], 50_000);
    assert_eq!(server_shown["max_cost"], 60_000);
    assert_eq!(
        server_shown["items"][1],
        json!({"label": "Spare disk", "amount": 10_000, "optional": true})
    );
    assert_eq!(server_shown["author"]["name"], "Ben");

    // Ballots may come while proposals are open; the last one counts.
    app.budget_vote(ANA, &round, BudgetVote::Approve(vec![server]))
        .await;
    app.move_time_to(T0_MS + 3 * DAY_MS).await;
    assert_eq!(app.ok(&path).await["phase"], "voting");
    let late = project_body(&round, "Late idea", &[("Paint", 1_000, false)]);
    assert_eq!(
        app.refused(DAN, budget::PROPOSE, &late).await,
        "budget_phase"
    );
    let excluded = vote_body(&round, &BudgetVote::Approve(vec![ads]));
    assert_eq!(
        app.refused(DAN, budget::VOTE, &excluded).await,
        "budget_project_unknown"
    );
    app.budget_vote(MAYA, &round, BudgetVote::Approve(vec![garden, cameras]))
        .await;
    app.budget_vote(ANA, &round, BudgetVote::Approve(vec![garden, cameras]))
        .await;
    app.budget_vote(BEN, &round, BudgetVote::Approve(vec![garden, server]))
        .await;

    // Live backing per project, and the ballots in the order the count reads them.
    let live = app.ok(&path).await;
    assert_eq!(live["n_voters"], 4);
    let backers: Vec<u64> = live["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["n_backers"].as_u64().unwrap())
        .collect();
    assert_eq!(backers, [3, 2, 2, 1]);
    assert_eq!(live["projects"][0]["pledged"], Json::Null);
    let ballots = app.ok(&format!("{path}/ballots")).await;
    assert_eq!(ballots["n_voters"], 4);
    assert_eq!(ballots["electorate_size"], 4);
    assert_eq!(ballots["model"], "approval");
    let keys: Vec<&str> = ballots["ballots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["voter"]["key"].as_str().unwrap())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted, "ballots in ascending order of voter key");
    let anas = app
        .ok(&format!(
            "{path}/ballots?voter={}",
            app.ana.public().to_hex()
        ))
        .await;
    assert_eq!(anas["matching"], 1);
    let anas = &anas["ballots"][0];
    assert_eq!(anas["kind"], "approve");
    assert_eq!(anas["text"], "Garden, Cameras");
    assert_eq!(anas["n_cast"], 2, "Ana changed her ballot once");
    assert_eq!(
        anas["entries"][0],
        json!({"project": garden.to_hex(), "name": "Garden", "amount": null, "counted": true})
    );
    let dans = app
        .ok(&format!(
            "{path}/ballots?voter={}",
            app.dan.public().to_hex()
        ))
        .await;
    let counted: Vec<(&str, bool)> = dans["ballots"][0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["counted"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        counted,
        [("Server", true), ("Ads for my shop", false)],
        "an entry for a project excluded since is not counted"
    );
    let second = app.ok(&format!("{path}/ballots?limit=1&offset=1")).await;
    assert_eq!(second["matching"], 4);
    assert_eq!(second["ballots"].as_array().unwrap().len(), 1);

    // The tick that passes the close counts the round.
    app.move_time_to(T0_MS + 10 * DAY_MS).await;
    let closed = app.ok(&path).await;
    assert_eq!(closed["phase"], "closed");
    let result = &closed["result"];
    assert_eq!(result["error"], Json::Null);
    assert_eq!(
        result["counted"],
        json!([garden.to_hex(), server.to_hex(), cameras.to_hex()]),
        "the excluded project is not counted"
    );
    let outcome = &result["outcome"];
    // Equal shares of 25,000 each: Cameras costs its two backers 15,000 each, the
    // lowest price; then Server costs Ben and Dan 25,000 each; Garden's backers have
    // 45,000 left of its 60,000, and the greedy completion cannot fit it in 20,000.
    assert_eq!(names(&outcome["funded"], "name"), ["Cameras", "Server"]);
    assert_eq!(outcome["total_spent"], 80_000);
    assert_eq!(outcome["leftover"], 20_000);
    assert_eq!(outcome["n_voters"], 4);
    assert_eq!(outcome["equal_shares"]["voter_share"], "25000/1");
    let first_step = &outcome["steps"][0];
    assert_eq!(first_step["kind"], "equal_shares");
    assert_eq!(first_step["rho"], "15000/1");
    assert_eq!(first_step["project"], 2, "an index into `counted`");
    assert_eq!(
        outcome["seed"].as_str().unwrap().len(),
        64,
        "the seed in hex"
    );
    assert!(
        result["seed_recipe"]
            .as_str()
            .unwrap()
            .contains("commons/budget-seed/v1")
    );
    let statuses: Vec<(String, Json, Json)> = closed["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["status"].as_str().unwrap().to_owned(),
                p["granted"].clone(),
                p["count_index"].clone(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("unfunded".to_owned(), Json::Null, json!(0)),
            ("funded".to_owned(), json!(50_000), json!(1)),
            ("funded".to_owned(), json!(30_000), json!(2)),
            ("excluded".to_owned(), Json::Null, Json::Null),
        ]
    );
    assert_eq!(closed["projects"][1]["authorised"], 50_000);
    let summary = &app.ok("/budgets?status=closed").await["rounds"][0];
    assert_eq!(
        (
            &summary["spent"],
            &summary["leftover"],
            &summary["n_funded"]
        ),
        (&json!(80_000), &json!(20_000), &json!(2))
    );
    assert_eq!(app.ok("/budgets?status=open").await["matching"], 0);
    let late_vote = vote_body(&round, &BudgetVote::Approve(vec![garden]));
    assert_eq!(
        app.refused(DAN, budget::VOTE, &late_vote).await,
        "poll_closed"
    );

    // The law: the published ballots, counted with the published seed, give the
    // published outcome exactly.
    assert_eq!(recount(&app, &round).await, *outcome);
}

#[tokio::test]
async fn a_co_funding_round_recounts_with_non_voters_and_a_cancelled_project_leaves_a_reversing_entry()
 {
    let mut app = App::start().await;
    app.admit_dan().await;
    // Four members and a pool of 1,000.00 EUR: 250.00 each.
    let round = app
        .budget(
            MAYA,
            budget::OPEN,
            round_body("Orchard fund", "co_funding", "greedy", 100_000, CLOSES_MS),
        )
        .await;
    let path = format!("/budgets/{}", round.to_hex());
    let garden = app
        .budget(
            ANA,
            budget::PROPOSE,
            project_body(
                &round,
                "Garden",
                &[("Soil", 40_000, false), ("Bench", 10_000, true)],
            ),
        )
        .await;
    let mural = app
        .budget(
            BEN,
            budget::PROPOSE,
            project_body(&round, "Mural", &[("Paint", 30_000, false)]),
        )
        .await;
    app.move_time_to(T0_MS + 3 * DAY_MS).await;
    let too_much = vote_body(&round, &BudgetVote::CoFund(vec![(garden, 30_000)]));
    assert_eq!(
        app.refused(MAYA, budget::VOTE, &too_much).await,
        "budget_ballot_invalid"
    );
    app.budget_vote(MAYA, &round, BudgetVote::CoFund(vec![(garden, 25_000)]))
        .await;
    app.budget_vote(
        ANA,
        &round,
        BudgetVote::CoFund(vec![(garden, 20_000), (mural, 5_000)]),
    )
    .await;
    app.budget_vote(BEN, &round, BudgetVote::CoFund(vec![(mural, 10_000)]))
        .await;
    // Dan does not vote; he still holds an allocation, which stays in the pool.
    let live = app.ok(&path).await;
    assert_eq!(live["projects"][0]["pledged"], 45_000);
    assert_eq!(live["projects"][1]["pledged"], 15_000);
    let anas = app
        .ok(&format!(
            "{path}/ballots?voter={}",
            app.ana.public().to_hex()
        ))
        .await;
    assert_eq!(anas["ballots"][0]["kind"], "co_fund");
    assert_eq!(anas["ballots"][0]["text"], "Garden=200.00, Mural=50.00");
    assert_eq!(anas["ballots"][0]["entries"][1]["amount"], 5_000);

    app.move_time_to(T0_MS + 10 * DAY_MS).await;
    let closed = app.ok(&path).await;
    let outcome = &closed["result"]["outcome"];
    assert_eq!(outcome["n_voters"], 4, "every member holds an allocation");
    assert_eq!(
        outcome["funded"],
        json!([{"project": 0, "name": "Garden", "amount": 45_000, "stage": "co_funding"}])
    );
    assert_eq!(
        outcome["co_funding"],
        json!({
            "allocation_per_voter": 25_000,
            "allocation_remainder": 0,
            "unpledged": 40_000,
            "returned": [{"project": 1, "amount": 15_000, "reason": "unfunded"}],
            "returned_total": 15_000
        })
    );
    assert_eq!(outcome["equal_shares"], Json::Null);
    assert_eq!(recount(&app, &round).await, *outcome);

    // The grant is in the authorisation ledger.
    let granted = app.ok("/authorisations").await;
    assert_eq!(granted["matching"], 1);
    assert_eq!(
        granted["entries"][0],
        json!({
            "kind": "grant", "round": round.to_hex(), "round_title": "Orchard fund",
            "project": garden.to_hex(), "project_name": "Garden", "amount": 45_000,
            "currency": "EUR", "index": granted["entries"][0]["index"], "reason": null,
            "balance_after": 45_000, "balance": 45_000
        })
    );

    // Only a steward cancels; the cancellation releases the grant by a reversing entry.
    let cancel = project_ref(&garden, "the plot was sold", None);
    assert_eq!(
        app.refused(ANA, budget::CANCEL, &cancel).await,
        "not_authorised"
    );
    app.budget(MAYA, budget::CANCEL, cancel).await;
    let ledger = app
        .ok(&format!("/authorisations?round={}", round.to_hex()))
        .await;
    assert_eq!(ledger["matching"], 2);
    let kinds: Vec<(&str, u64, u64, u64)> = ledger["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["amount"].as_u64().unwrap(),
                e["balance_after"].as_u64().unwrap(),
                e["balance"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [("grant", 45_000, 45_000, 0), ("release", 45_000, 0, 0)]
    );
    assert_eq!(ledger["entries"][1]["reason"], "the plot was sold");
    assert_eq!(
        ledger["totals"],
        json!({"EUR": {"granted": 45_000, "released": 45_000, "balance": 0}})
    );
    let by_project = app
        .ok(&format!("/authorisations?project={}", garden.to_hex()))
        .await;
    assert_eq!(by_project["matching"], 2);
    let none = app
        .ok(&format!("/authorisations?project={}", mural.to_hex()))
        .await;
    assert_eq!(none["matching"], 0);
    let page = app.ok("/authorisations?offset=1&limit=1").await;
    assert_eq!(page["entries"][0]["kind"], "release");
    let cancelled = &app.ok(&path).await["projects"][0];
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["status_by"]["name"], "Maya");
    assert_eq!(cancelled["status_reason"], "the plot was sold");
    assert_eq!(cancelled["granted"], 45_000, "the grant stays on record");
    assert_eq!(cancelled["authorised"], 0);
}

#[tokio::test]
async fn a_rounds_frozen_electorate_recomputes_to_its_published_hash() {
    let mut app = App::start().await;
    let round = app
        .budget(
            MAYA,
            budget::OPEN,
            round_body("Spring 2026", "knapsack", "greedy", 100_000, CLOSES_MS),
        )
        .await;
    // Dan joins after the round opened: he is not in its electorate.
    app.admit_dan().await;
    let path = format!("/budgets/{}/electorate", round.to_hex());
    let voters = app.all_pages(&path, "voters", 2).await;
    let page = app.ok(&path).await;
    assert_eq!(page["size"], 3);
    assert_eq!(names(&Json::Array(voters.clone()), "name").len(), 3);
    let list = Value::Array(
        voters
            .iter()
            .map(|v| Value::bytes(hex::decode(v["key"].as_str().unwrap()).unwrap()))
            .collect(),
    );
    assert_eq!(
        hex::encode(Sha256::digest(list.encode())),
        page["hash"].as_str().unwrap()
    );
    assert_eq!(
        app.ok(&format!("/budgets/{}", round.to_hex())).await["electorate_hash"],
        page["hash"]
    );
    let dan_votes = vote_body(&round, &BudgetVote::Basket(vec![]));
    assert_eq!(
        app.refused(DAN, budget::VOTE, &dan_votes).await,
        "not_eligible"
    );
}

#[tokio::test]
async fn open_rounds_are_listed_first_closing_soonest_first_and_pages_hold_their_limit() {
    let mut app = App::start().await;
    let later = app
        .budget(
            MAYA,
            budget::OPEN,
            round_body("Autumn", "approval", "greedy", 50_000, T0_MS + 30 * DAY_MS),
        )
        .await;
    let sooner = app
        .budget(
            MAYA,
            budget::OPEN,
            round_body("Spring", "approval", "greedy", 50_000, CLOSES_MS),
        )
        .await;
    let earliest = app
        .budget(
            MAYA,
            budget::OPEN,
            round_body("Winter", "approval", "greedy", 50_000, T0_MS + 5 * DAY_MS),
        )
        .await;
    // Winter closes (with nothing to count); the others stay open.
    app.move_time_to(T0_MS + 6 * DAY_MS).await;
    let all = app.ok("/budgets").await;
    assert_eq!(
        names(&all["rounds"], "title"),
        ["Spring", "Autumn", "Winter"]
    );
    assert_eq!(
        names(&all["rounds"], "phase"),
        ["voting", "voting", "closed"]
    );
    let winter = &all["rounds"][2];
    assert_eq!(winter["id"], earliest.to_hex());
    assert_eq!(
        (&winter["spent"], &winter["leftover"]),
        (&json!(0), &json!(50_000))
    );
    let winter_shown = app.ok(&format!("/budgets/{}", earliest.to_hex())).await;
    assert_eq!(winter_shown["result"]["outcome"], Json::Null);
    assert_eq!(winter_shown["result"]["error"], "no projects or no ballots");
    let page = app.ok("/budgets?offset=1&limit=1").await;
    assert_eq!(page["matching"], 3);
    assert_eq!(page["rounds"].as_array().unwrap().len(), 1);
    assert_eq!(page["rounds"][0]["id"], later.to_hex());
    let open = app.ok("/budgets?status=open&limit=1000").await;
    assert_eq!(open["matching"], 2);
    assert_eq!(open["rounds"][0]["id"], sooner.to_hex());
}

#[tokio::test]
async fn unknown_rounds_and_projects_bad_queries_and_page_limits_get_stable_codes() {
    let mut app = App::start().await;
    let round = app
        .budget(
            MAYA,
            budget::OPEN,
            round_body("Spring", "approval", "greedy", 50_000, CLOSES_MS),
        )
        .await;
    let known = round.to_hex();
    let unknown = EventId([9; 32]).to_hex();
    for (path, status, code) in [
        (format!("/budgets/{unknown}"), 404, "unknown_round"),
        (format!("/budgets/{unknown}/ballots"), 404, "unknown_round"),
        (
            format!("/budgets/{unknown}/electorate"),
            404,
            "unknown_round",
        ),
        (
            format!("/authorisations?round={unknown}"),
            404,
            "unknown_round",
        ),
        (
            format!("/authorisations?project={unknown}"),
            404,
            "unknown_project",
        ),
        (
            format!("/authorisations?project={known}"),
            404,
            "unknown_project",
        ),
        ("/budgets/NOTHEX".to_owned(), 400, "invalid_id"),
        ("/authorisations?round=zz".to_owned(), 400, "invalid_id"),
        (
            format!("/budgets/{known}/ballots?voter=zz"),
            400,
            "invalid_query",
        ),
        ("/budgets?limit=0".to_owned(), 400, "invalid_query"),
        ("/budgets?limit=1001".to_owned(), 400, "invalid_query"),
        (
            format!("/budgets/{known}/ballots?limit=1001"),
            400,
            "invalid_query",
        ),
        (
            format!("/budgets/{known}/electorate?limit=0"),
            400,
            "invalid_query",
        ),
        (
            "/authorisations?limit=1001".to_owned(),
            400,
            "invalid_query",
        ),
        ("/budgets?status=ajar".to_owned(), 400, "invalid_query"),
        ("/budgets?colour=red".to_owned(), 400, "invalid_query"),
    ] {
        let (got, json) = app.get(&path).await;
        assert_eq!(
            (got.as_u16(), json["code"].as_str()),
            (status, Some(code)),
            "{path}: {json}"
        );
    }
    assert_eq!(app.ok("/budgets?limit=1000").await["matching"], 1);
    assert_eq!(
        app.ok(&format!("/budgets/{known}/ballots?limit=1000"))
            .await["matching"],
        0
    );
    assert_eq!(app.ok("/authorisations").await["entries"], json!([]));
    // A non-member cannot propose; a member cannot open a round.
    let project = project_body(&round, "Pond", &[("Liner", 5_000, false)]);
    assert_eq!(
        app.refused(3, budget::PROPOSE, &project).await,
        "not_member"
    );
    let body = round_body("Mine", "approval", "greedy", 50_000, CLOSES_MS);
    assert_eq!(
        app.refused(ANA, budget::OPEN, &body).await,
        "not_authorised"
    );
}
