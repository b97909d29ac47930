//! The association API end to end over the router: association events submitted to
//! `POST /api/v1/events`, ledger time moved by the node's manual clock so that polls
//! close, and everything read back: statutes, members, applications, polls with their
//! results, frozen electorates, ballots, delegations, the preview, and the exports that
//! recount to the published result.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{App, DAY_MS, id_value, statutes};
use commons_ledger::EventId;
use commons_ledger::cbor::Value;
use commons_tally::{Method, MethodParameters, Profile};
use commons_testkit::{T0_MS, key, key_value};
use commons_web::association::StatutesJson;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

fn ranking(ranks: &[usize]) -> Value {
    Value::text_map([(
        "ranking",
        Value::Array(
            ranks
                .iter()
                .map(|c| Value::Array(vec![Value::Unsigned(*c as u64)]))
                .collect(),
        ),
    )])
}

fn stance(text: &str) -> Value {
    Value::text_map([("stance", Value::text(text))])
}

/// Reads a BLT file back into a profile, as `commons tally --format blt` does.
fn read_blt(text: &str) -> Profile {
    commons_tally::io::blt::parse_blt(text).unwrap().profile
}

fn seed_of(result: &Json) -> [u8; 32] {
    hex::decode(result["seed"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn the_association_shows_its_statutes_members_and_applications() {
    let app = App::start().await;
    let association = app.ok("/association").await;
    let shown: StatutesJson = serde_json::from_value(association["statutes"].clone()).unwrap();
    assert_eq!(
        shown,
        statutes(),
        "the JSON form adopted is the JSON form shown"
    );
    assert_eq!(
        association["statutes"]["rules"]["amend_statutes"]["threshold"],
        "2/3"
    );
    assert_eq!(
        association["statutes"]["rules"]["expel_member"]["progressive"]["max_threshold"],
        "3/4"
    );
    assert_eq!(
        association["statutes"]["rules"]["general"]["chambers"]["combine"],
        "concurrent"
    );
    assert_eq!(association["history"].as_array().unwrap().len(), 1);
    assert_eq!(association["history"][0]["poll"], Json::Null);
    assert_eq!(association["board"], json!([]));
    assert_eq!(association["board_until_ms"], Json::Null);
    assert_eq!(
        association["members"],
        json!({"total": 3, "active": 3, "suspended": 0, "left": 0, "expelled": 0,
               "by_chamber": {"contributors": 1, "users": 2}, "applications_pending": 1})
    );

    // Members in order of admission, with their chambers (derived ones too) and roles.
    let members = app.ok("/members").await;
    assert_eq!(members["matching"], 3);
    let names: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Maya", "Ana", "Ben"]);
    let maya = &members["members"][0];
    assert_eq!(maya["roles"], json!(["member", "maintainer"]));
    assert_eq!(maya["status"], "active");
    let ben = &members["members"][2];
    assert_eq!(ben["key"], app.ben.public().to_hex());
    assert_eq!(ben["chambers"], json!(["contributors", "users"]));
    assert_eq!(ben["roles"], json!(["member", "contributor"]));
    let contributors = app.ok("/members?chamber=contributors").await;
    assert_eq!(contributors["matching"], 1);
    assert_eq!(contributors["members"][0]["name"], "Ben");
    let second = app.ok("/members?offset=1&limit=1").await;
    assert_eq!(second["matching"], 3);
    assert_eq!(second["members"].as_array().unwrap().len(), 1);
    assert_eq!(second["members"][0]["name"], "Ana");
    assert_eq!(app.ok("/members?status=expelled").await["matching"], 0);

    // Applications: the pending one first, then decided ones, newest first.
    let applications = app.ok("/applications").await;
    let order: Vec<(&str, &str)> = applications["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["applicant"]["name"].as_str().unwrap(),
                a["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("Dan", "pending"),
            ("Chloe", "refused"),
            ("Ben", "admitted"),
            ("Ana", "admitted")
        ]
    );
    assert_eq!(
        applications["applications"][0]["id"],
        app.dan_application.to_hex()
    );
    let refused = app.ok("/applications?status=refused").await;
    assert_eq!(refused["matching"], 1);
    assert_eq!(
        refused["applications"][0]["refuse_reason"],
        "not a user of the orchard"
    );
    assert_eq!(
        refused["applications"][0]["statement"],
        "I walk the orchard every week"
    );
}

#[tokio::test]
async fn a_board_election_closes_with_its_sheet_and_its_blt_ballots_recount_to_it_exactly() {
    let mut app = App::start().await;
    app.admit_dan().await;
    let candidates = [app.ana.public(), app.ben.public(), app.dan.public()];
    let poll = app
        .open_poll(vec![
            ("title", Value::text("Board 2026")),
            ("decision", Value::text("elect_board")),
            (
                "candidates",
                Value::Array(candidates.iter().map(key_value).collect()),
            ),
        ])
        .await;
    let path = format!("/polls/{}", poll.to_hex());
    let open = app.ok(&path).await;
    assert_eq!(open["status"], "open");
    assert_eq!(open["method"], "stv-scottish");
    assert_eq!(open["rules"]["seats"], 2);
    assert_eq!(open["rules"]["electorate"], "members");
    assert_eq!(
        open["rules"]["options"],
        json!([{"index": 0, "name": "Ana"}, {"index": 1, "name": "Ben"}, {"index": 2, "name": "Dan"}])
    );
    assert_eq!(open["decision_detail"]["candidates"][2]["name"], "Dan");
    assert_eq!(open["electorate"]["size"], 4);
    assert_eq!(open["description"], "Details on the forum");

    app.vote(0, &poll, ranking(&[0, 2])).await;
    app.vote(1, &poll, ranking(&[1, 0])).await;
    // Ana changes her mind: the last ballot counts, the first stays in the history.
    app.vote(1, &poll, ranking(&[0, 1])).await;
    app.vote(2, &poll, ranking(&[1, 2, 0])).await;
    // Dan does not vote but delegates to Ana, whose ballot then counts for both.
    app.delegate(4, app.ana.public()).await;
    let live = app.ok(&path).await;
    assert_eq!(live["turnout"]["share"], "3/4");
    assert_eq!(live["n_ballots"], 4);
    let listed = app.ok("/polls?status=open").await;
    assert_eq!(listed["polls"][0]["id"], poll.to_hex());
    assert_eq!(listed["polls"][0]["turnout"]["voters"], 3);

    app.close_polls().await;
    let closed = app.ok(&path).await;
    assert_eq!(closed["status"], "closed");
    let result = &closed["result"];
    assert_eq!(result["passed"], true, "{result}");
    assert_eq!(result["turnout_weight"], 4);
    assert_eq!(
        result["delegated"],
        json!([{"from": {"key": app.dan.public().to_hex(), "name": "Dan"},
                "to": {"key": app.ana.public().to_hex(), "name": "Ana"}}])
    );
    let winners: Vec<&str> = result["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(winners, ["Ana", "Ben"]);
    assert!(!result["sheet"]["rounds"].as_array().unwrap().is_empty());
    assert_eq!(result["effect"], "the board is elected for 12 months");
    let association = app.ok("/association").await;
    let board: Vec<&str> = association["board"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(board, ["Ana", "Ben"]);
    assert_eq!(
        association["board_until_ms"],
        T0_MS + 8 * DAY_MS + 12 * commons_core::association::polls::MONTH_MS
    );
    let members = app.ok("/members").await;
    assert_eq!(members["members"][1]["roles"], json!(["member", "board"]));

    // The ballot history marks which ballots count.
    let ballots = app.ok(&format!("{path}/ballots")).await;
    let history: Vec<(&str, &str, bool)> = ballots["ballots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["voter"]["name"].as_str().unwrap(),
                b["text"].as_str().unwrap(),
                b["counts"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            ("Maya", "Ana > Dan", true),
            ("Ana", "Ben > Ana", false),
            ("Ana", "Ana > Ben", true),
            ("Ben", "Ben > Dan > Ana", true)
        ]
    );
    assert_eq!(
        ballots["ballots"][0]["ballot"],
        json!({"ranking": [[0], [2]]})
    );
    let anas = app
        .ok(&format!(
            "{path}/ballots?voter={}",
            app.ana.public().to_hex()
        ))
        .await;
    assert_eq!(anas["matching"], 2);

    // The law: the exported BLT, counted by the poll's method with the result's seed,
    // gives the published winners and sheet exactly.
    let (status, blt) = app.get_raw(&format!("{path}/ballots.blt")).await;
    assert_eq!(status, StatusCode::OK);
    let blt = String::from_utf8(blt).unwrap();
    assert_eq!(
        blt, "3 2\n1 1 3 0\n2 1 2 0\n1 2 3 1 0\n0\n\"Ana\"\n\"Ben\"\n\"Dan\"\n\"Board 2026\"\n",
        "Ana's ballot carries Dan's delegated weight"
    );
    let profile = read_blt(&blt);
    let method = Method::from_name("stv-scottish", MethodParameters::default()).unwrap();
    let recount = commons_tally::count(&method, &profile, seed_of(result)).unwrap();
    assert_eq!(serde_json::to_value(&recount).unwrap(), result["sheet"]);
    let indexes: Vec<u64> = result["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["index"].as_u64().unwrap())
        .collect();
    assert_eq!(
        recount
            .winners
            .iter()
            .map(|w| *w as u64)
            .collect::<Vec<_>>(),
        indexes
    );
}

#[tokio::test]
async fn a_proposal_poll_shows_its_counts_chambers_and_statements_and_its_json_ballots_recount_to_it()
 {
    let mut app = App::start().await;
    let poll = app
        .open_poll(vec![
            ("title", Value::text("Plant ten more pear trees")),
            ("decision", Value::text("general")),
        ])
        .await;
    let path = format!("/polls/{}", poll.to_hex());
    app.vote(0, &poll, stance("yes")).await;
    app.vote(1, &poll, stance("no")).await;
    app.vote(2, &poll, stance("yes")).await;
    let (status, refused) = app.get(&format!("{path}/ballots.blt")).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_ranked"))
    );
    let open_input = app.ok(&format!("{path}/ballots.json")).await;
    assert_eq!(open_input["closed"], false);
    assert_eq!(open_input["seed"], Json::Null);

    app.close_polls().await;
    let closed = app.ok(&path).await;
    let result = &closed["result"];
    assert_eq!(
        result["counts"],
        json!({"yes": 2, "no": 1, "abstain": 0, "block": 0})
    );
    assert_eq!(result["support"], "2/3");
    assert_eq!(result["required"], "1/2");
    assert_eq!(result["quorum_met"], true);
    assert_eq!(result["passed"], true);
    assert_eq!(result["effect"], "decided");
    let chambers: Vec<(&str, bool)> = result["chambers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["slug"].as_str().unwrap(), c["passed"].as_bool().unwrap()))
        .collect();
    assert_eq!(chambers, [("contributors", true), ("users", false)]);
    assert_eq!(result["chambers"][1]["support"], "1/2");
    assert_eq!(result["chambers"][1]["name"], "Users");

    // The count input recounts to the sheet.
    let input = app.ok(&format!("{path}/ballots.json")).await;
    assert_eq!(input["method"], "proposal");
    assert_eq!(input["seed"], result["seed"]);
    let profile: Profile = serde_json::from_value(input.clone()).unwrap();
    let method = Method::from_name("proposal", MethodParameters::default()).unwrap();
    let recount = commons_tally::count(&method, &profile, seed_of(result)).unwrap();
    assert_eq!(serde_json::to_value(&recount).unwrap(), result["sheet"]);

    // The outcome statement follows the close.
    let statement = Value::text_map([
        ("poll", id_value(&poll)),
        ("statement", Value::text("Ana orders the trees in March")),
        ("review_ms", Value::Unsigned(T0_MS + 90 * DAY_MS)),
    ]);
    let event = app.maya.sign("poll.statement", &statement, vec![], T0_MS);
    app.expect_ok(&event).await;
    let stated = app.ok(&path).await;
    assert_eq!(
        stated["statements"][0]["text"],
        "Ana orders the trees in March"
    );
    assert_eq!(stated["statements"][0]["by"]["name"], "Maya");
    let listed = app.ok("/polls?status=closed&decision=general").await;
    assert_eq!(listed["matching"], 1);
    assert_eq!(listed["polls"][0]["passed"], true);
    assert_eq!(app.ok("/polls?decision=elect_board").await["matching"], 0);
}

#[tokio::test]
async fn the_frozen_electorate_recomputes_to_its_published_hash_which_the_preview_foretold() {
    let mut app = App::start().await;
    let preview = app.ok("/polls/preview?decision=elect_board").await;
    assert_eq!(preview["rule"]["method"], "stv-scottish");
    assert_eq!(preview["seats"], 2);
    assert_eq!(preview["size"], 3);
    assert_eq!(preview["refusal"], Json::Null);
    assert_eq!(preview["closes_ms_min"], T0_MS + 60_000);
    let users = app
        .ok("/polls/preview?decision=general&electorate=chamber:users")
        .await;
    assert_eq!(users["size"], 2);
    let nobody = app
        .ok("/polls/preview?decision=general&electorate=area:nowhere")
        .await;
    assert_eq!(nobody["refusal"]["code"], "area_unknown");

    let poll = app
        .open_poll(vec![
            ("title", Value::text("Board 2026")),
            ("decision", Value::text("elect_board")),
            (
                "candidates",
                Value::Array(vec![
                    key_value(&app.ana.public()),
                    key_value(&app.ben.public()),
                ]),
            ),
        ])
        .await;
    let path = format!("/polls/{}/electorate", poll.to_hex());
    let mut voters = Vec::new();
    let mut offset = 0;
    loop {
        let page = app.ok(&format!("{path}?limit=2&offset={offset}")).await;
        assert_eq!(page["hash"], preview["hash"], "the preview froze the same");
        let got = page["voters"].as_array().unwrap().clone();
        if got.is_empty() {
            break;
        }
        offset += got.len();
        voters.extend(got);
    }
    assert_eq!(voters.len(), 3);
    // The published recipe, followed by hand.
    let list = Value::Array(
        voters
            .iter()
            .map(|v| {
                Value::Array(vec![
                    Value::bytes(hex::decode(v["key"].as_str().unwrap()).unwrap()),
                    Value::Unsigned(v["weight"].as_u64().unwrap()),
                    Value::Array(
                        v["chambers"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|c| Value::text(c.as_str().unwrap()))
                            .collect(),
                    ),
                ])
            })
            .collect(),
    );
    assert_eq!(
        hex::encode(Sha256::digest(list.encode())),
        preview["hash"].as_str().unwrap()
    );
    assert_eq!(
        app.ok(&format!("/polls/{}", poll.to_hex())).await["electorate"]["hash"],
        preview["hash"]
    );
}

#[tokio::test]
async fn delegations_are_public_by_topic_and_per_person() {
    let mut app = App::start().await;
    app.delegate(1, app.maya.public()).await;
    app.delegate(2, app.maya.public()).await;
    let body = Value::text_map([
        ("to", key_value(&app.ana.public())),
        ("topic", Value::text("maps")),
    ]);
    let event = app.ben.sign("delegate.set", &body, vec![], T0_MS);
    app.expect_ok(&event).await;
    let all = app.ok("/delegations").await;
    assert_eq!(all["by_topic"], json!({"*": 2, "maps": 1}));
    assert_eq!(all["matching"], 3);
    let maps = app.ok("/delegations?topic=maps").await;
    assert_eq!(maps["delegations"][0]["from"]["name"], "Ben");
    assert_eq!(maps["delegations"][0]["to"]["name"], "Ana");
    let page = app.ok("/delegations?limit=1&offset=2").await;
    assert_eq!(page["delegations"].as_array().unwrap().len(), 1);
    let maya = app
        .ok(&format!(
            "/people/{}/delegations",
            app.maya.public().to_hex()
        ))
        .await;
    assert_eq!(maya["member"], true);
    assert_eq!(maya["delegates_to"], json!([]));
    let from: Vec<&str> = maya["delegated_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(from.len(), 2);
    assert!(from.contains(&"Ana") && from.contains(&"Ben"));
    let ben = app
        .ok(&format!(
            "/people/{}/delegations",
            app.ben.public().to_hex()
        ))
        .await;
    assert_eq!(
        ben["delegates_to"],
        json!([{"topic": "*", "key": app.maya.public().to_hex(), "name": "Maya"},
               {"topic": "maps", "key": app.ana.public().to_hex(), "name": "Ana"}])
    );
}

#[tokio::test]
async fn unknown_polls_bad_queries_and_page_limits_get_stable_codes() {
    let app = App::start().await;
    let unknown = EventId([9; 32]).to_hex();
    for (path, status, code) in [
        (
            format!("/polls/{unknown}"),
            StatusCode::NOT_FOUND,
            "unknown_poll",
        ),
        (
            format!("/polls/{unknown}/electorate"),
            StatusCode::NOT_FOUND,
            "unknown_poll",
        ),
        (
            format!("/polls/{unknown}/ballots"),
            StatusCode::NOT_FOUND,
            "unknown_poll",
        ),
        (
            format!("/polls/{unknown}/ballots.blt"),
            StatusCode::NOT_FOUND,
            "unknown_poll",
        ),
        (
            format!("/polls/{unknown}/ballots.json"),
            StatusCode::NOT_FOUND,
            "unknown_poll",
        ),
        (
            "/polls/NOTHEX".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_id",
        ),
        (
            "/members?chamber=funders".to_owned(),
            StatusCode::NOT_FOUND,
            "unknown_chamber",
        ),
        (
            "/members?status=asleep".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/members?limit=0".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/members?limit=1001".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/polls?limit=1001".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/delegations?limit=1001".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/applications?status=maybe".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/polls?status=ajar".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/polls?decision=coup".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/polls?colour=red".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/polls/preview".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/polls/preview?decision=coup".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/polls/preview?decision=elect_board&electorate=members".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/people/zz/delegations".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
    ] {
        let (got, json) = app.get(&path).await;
        assert_eq!(
            (got, json["code"].as_str()),
            (status, Some(code)),
            "{path}: {json}"
        );
    }
    assert_eq!(
        app.ok("/members?limit=1000").await["members"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // A commons without statutes has no association to show, and nobody in it.
    let other = app.test.create_commons(&key(7), "Empty").await;
    let uri = |path: &str| format!("/api/v1/commons/{}{path}", other.to_hex());
    let (status, body) = app
        .request(
            Request::get(uri("/association"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let json: Json = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, json["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_statutes"))
    );
    let (status, body) = app
        .request(Request::get(uri("/members")).body(Body::empty()).unwrap())
        .await;
    let json: Json = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, &json["matching"]), (StatusCode::OK, &json!(0)));
    let (status, body) = app
        .request(
            Request::get(format!(
                "/api/v1/commons/{}/polls",
                EventId([1; 32]).to_hex()
            ))
            .body(Body::empty())
            .unwrap(),
        )
        .await;
    let json: Json = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, json["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_commons"))
    );
}

#[tokio::test]
async fn a_reader_with_no_account_sees_everything_and_answers_carry_only_ledger_data() {
    let mut app = App::start().await;
    let poll = app
        .open_poll(vec![
            ("title", Value::text("Plant ten more pear trees")),
            ("decision", Value::text("general")),
        ])
        .await;
    app.vote(1, &poll, stance("yes")).await;
    // No cookie, no session: ballots, members and applications are public by design.
    let ballots = app.ok(&format!("/polls/{}/ballots", poll.to_hex())).await;
    assert_eq!(ballots["ballots"][0]["voter"]["name"], "Ana");
    let fields = |json: &Json| -> Vec<String> {
        let mut keys: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let members = app.ok("/members").await;
    assert_eq!(
        fields(&members["members"][0]),
        [
            "admitted_index",
            "chambers",
            "key",
            "left_index",
            "name",
            "poll",
            "reason",
            "roles",
            "since_ms",
            "status",
            "suspended_until_ms"
        ]
    );
    assert_eq!(
        fields(&members["members"][0]).len(),
        11,
        "no e-mail, account or session field"
    );
    let applications = app.ok("/applications").await;
    assert_eq!(
        fields(&applications["applications"][0]["applicant"]),
        ["key", "name"]
    );
}
