//! Budgeting CLI transcripts: the real `commons` binary, verb by verb, against a real node
//! on a free port, through a round's whole life: opened, projects proposed, flagged and
//! reviewed, ballots cast, the round closed by moving the node's manual clock, the
//! outcome shown, a funded project cancelled and the authorisation ledger read back.
// A panic is the failure report in a test.
#![allow(clippy::unwrap_used)]

mod common;

use common::{User, local, start_node};

const MINUTE_MS: u64 = 60_000;

/// `ARGS --commons C --key KEY`: a verb signed by a local key.
fn signed<'a>(args: &[&'a str], commons: &'a str, key: &'a str) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--commons", commons, "--key", key]);
    all
}

#[test]
fn every_budget_verb_has_help_with_an_example() {
    let dir = tempfile::tempdir().unwrap();
    for verb in [
        "open",
        "propose",
        "flag",
        "review",
        "vote",
        "cancel",
        "show",
        "recount",
        "list",
        "authorisations",
    ] {
        let help = local(&["budget", verb, "--help"], dir.path());
        assert!(
            help.contains("Example"),
            "`commons budget {verb} --help` shows no example:\n{help}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_is_opened_proposed_flagged_reviewed_voted_closed_shown_and_a_cancellation_reverses_its_grant()
 {
    let node = start_node().await;
    let dir = tempfile::tempdir().unwrap();
    let user = User {
        data: dir.path().join("user"),
        url: node.url.clone(),
    };
    for name in ["maya", "ann", "ben", "chloe"] {
        local(&["key", "new", name], &user.data);
    }
    let commons = user.ok(&["init", "Orchard", "--key", "maya"]).await;
    let c = commons.trim();
    let run = |args: &[&'static str], key: &'static str| signed(args, c, key);

    // The association: statutes from the example, Ann and Ben admitted by Maya.
    let statutes = dir.path().join("statutes.json");
    std::fs::write(&statutes, local(&["assoc", "example"], &user.data)).unwrap();
    let statutes = statutes.to_str().unwrap();
    user.ok(&signed(&["assoc", "adopt", "--file", statutes], c, "maya"))
        .await;
    for key in ["ann", "ben"] {
        let application = user.id(&run(&["member", "apply"], key)).await;
        user.ok(&signed(&["member", "admit", &application], c, "maya"))
            .await;
    }

    // Two rounds: approval counted by equal shares, and co-funding.
    let open_args = |title: &'static str, pool: &'static str, model: &'static str| {
        vec![
            "budget",
            "open",
            "--title",
            title,
            "--pool",
            pool,
            "--model",
            model,
            "--proposals-close-in",
            "2m",
            "--closes-in",
            "5m",
        ]
    };
    let mut spring = open_args("Spring", "1,000.00 EUR", "approval");
    spring.extend([
        "--rule",
        "equal_shares",
        "--guidelines",
        "Projects must serve the whole orchard",
    ]);
    let not_steward = user.refused(&run(&spring, "ann")).await;
    assert!(not_steward.contains("not_authorised"), "{not_steward}");
    user.ok(&run(&spring, "maya")).await;
    user.ok(&run(
        &open_args("Tool fund", "EUR 900", "co_funding"),
        "maya",
    ))
    .await;
    let listed = user.ok(&["budget", "list", "--commons", c]).await;
    assert!(
        listed.contains("2 round(s).")
            && listed.contains("proposals")
            && listed.contains("1,000.00 EUR")
            && listed.contains("approval/equal_shares")
            && listed.contains("0/3 voted  Spring"),
        "{listed}"
    );

    // Projects, with amounts in major units read exactly.
    let propose = |round: &'static str, name: &'static str, items: &[&'static str]| {
        let mut args = vec!["budget", "propose", round, "--name", name];
        args.extend_from_slice(items);
        args
    };
    for (key, args) in [
        (
            "ann",
            propose("Spring", "Garden", &["--item", "Soil and seeds=600.00"]),
        ),
        (
            "ben",
            propose(
                "Spring",
                "Server",
                &[
                    "--item",
                    "Machine=500",
                    "--optional-item",
                    "Spare disk=100.00",
                ],
            ),
        ),
        (
            "ann",
            propose("Spring", "Cameras", &["--item", "Two cameras=300"]),
        ),
        ("ben", propose("Spring", "Ads", &["--item", "Posters=200"])),
        (
            "ben",
            propose("Tool fund", "Ladder", &["--item", "Ladder=250"]),
        ),
        (
            "ann",
            propose(
                "tool fund",
                "Drill",
                &["--item", "Drill=400.00", "--optional-item", "Bits=50"],
            ),
        ),
    ] {
        user.ok(&run(&args, key)).await;
    }
    let comma = user
        .refused(&run(
            &propose("Spring", "Paint", &["--item", "Paint=12,50"]),
            "ann",
        ))
        .await;
    assert!(comma.contains("is not an amount"), "{comma}");

    // A flag, a review that excludes, a review that keeps (the project named by id
    // prefix).
    user.ok(&run(
        &[
            "budget",
            "flag",
            "Ads",
            "--round",
            "Spring",
            "--reason",
            "serves one business",
        ],
        "ann",
    ))
    .await;
    let flagged = user.ok(&["budget", "show", "Spring", "--commons", c]).await;
    assert!(flagged.contains("flagged by "), "{flagged}");
    assert!(flagged.contains(": serves one business"), "{flagged}");
    assert!(
        flagged.contains("guidelines: Projects must serve the whole orchard"),
        "{flagged}"
    );
    assert!(
        flagged.contains("Server  500.00 to 600.00 EUR"),
        "{flagged}"
    );
    user.ok(&run(
        &[
            "budget",
            "review",
            "ads",
            "--round",
            "Spring",
            "--exclude",
            "--reason",
            "breaks the guidelines",
        ],
        "maya",
    ))
    .await;
    let json = user
        .ok(&["budget", "show", "Spring", "--json", "--commons", c])
        .await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cameras_id = json["projects"][2]["id"].as_str().unwrap().to_owned();
    assert_eq!(json["projects"][3]["status"], "excluded");
    user.ok(&signed(
        &[
            "budget",
            "flag",
            &cameras_id[..10],
            "--round",
            "Spring",
            "--reason",
            "filming people",
        ],
        c,
        "ben",
    ))
    .await;
    user.ok(&run(
        &[
            "budget",
            "review",
            "Cameras",
            "--round",
            "Spring",
            "--keep",
            "--reason",
            "they film wildlife only",
        ],
        "maya",
    ))
    .await;

    // Ballots may come during proposals; the last one counts.
    user.ok(&run(
        &["budget", "vote", "Spring", "--approve", "Server"],
        "ann",
    ))
    .await;
    node.test.clock.advance(3 * MINUTE_MS);
    user.ok(&run(&["member", "apply"], "chloe")).await;
    let voting = user.ok(&["budget", "list", "--commons", c]).await;
    assert!(voting.contains("voting"), "{voting}");
    let late = user
        .refused(&run(
            &propose("Spring", "Late", &["--item", "Paint=10"]),
            "ben",
        ))
        .await;
    assert!(late.contains("budget_phase"), "{late}");
    for (key, projects) in [
        ("maya", "Garden,Cameras"),
        ("ann", "garden,cameras"),
        ("ben", "Garden,Server"),
    ] {
        user.ok(&run(
            &["budget", "vote", "Spring", "--approve", projects],
            key,
        ))
        .await;
    }
    let excluded = user
        .refused(&run(
            &["budget", "vote", "Spring", "--approve", "Ads"],
            "ben",
        ))
        .await;
    assert!(excluded.contains("budget_project_unknown"), "{excluded}");
    let wrong_form = user
        .refused(&run(
            &["budget", "vote", "Spring", "--basket", "Garden"],
            "ben",
        ))
        .await;
    assert!(wrong_form.contains("vote with --approve"), "{wrong_form}");
    // 300.00 EUR each in the co-funding round.
    for (key, pledges) in [
        ("maya", "Drill=300"),
        ("ann", "Drill=150.00,Ladder=100"),
        ("ben", "Ladder=200.00"),
    ] {
        user.ok(&run(
            &["budget", "vote", "Tool fund", "--fund", pledges],
            key,
        ))
        .await;
    }
    let over = user
        .refused(&run(
            &["budget", "vote", "Tool fund", "--fund", "Ladder=1,000"],
            "ben",
        ))
        .await;
    // 1,000 EUR is read as exactly 100000 cents, above the ladder's maximum.
    assert!(
        over.contains("pledges 100000") && over.contains("project_over_max"),
        "{over}"
    );

    // Past the close, the next event brings the tick that counts both rounds.
    node.test.clock.advance(3 * MINUTE_MS);
    user.ok(&run(&["member", "leave"], "chloe")).await;
    let shown = user.ok(&["budget", "show", "Spring", "--commons", c]).await;
    // Equal shares of 333.33⅓ EUR: Cameras costs Maya and Ann 150.00 each, then Garden
    // costs the three 600.00 at the lowest price; Server no longer fits.
    assert!(
        shown.contains("Spring — closed")
            && shown.contains(
                "outcome: funded Cameras 300.00 EUR, Garden 600.00 EUR; spent 900.00 EUR, left 100.00 EUR (3 voter(s))"
            )
            && shown.contains("at rho 15000/1")
            && shown.contains("equal shares: 100000/3 minor units per voter")
            && shown.contains("seed ")
            && shown.contains("(excluded by ")
            && shown.contains(": breaks the guidelines)"),
        "{shown}"
    );
    // Anyone recounts both rounds from the published ballots and seeds, exactly.
    for (round, summary) in [
        ("Spring", "3 ballot(s)"),
        (
            "Tool fund",
            "project(s) funded, 700.00 EUR spent, 200.00 EUR left",
        ),
    ] {
        let recounted = user.ok(&["budget", "recount", round, "--commons", c]).await;
        assert!(
            recounted.contains("matches the recorded outcome") && recounted.contains(summary),
            "{recounted}"
        );
    }
    let tools = user
        .ok(&["budget", "show", "Tool fund", "--commons", c])
        .await;
    assert!(
        tools.contains(
            "outcome: funded Drill 450.00 EUR, Ladder 250.00 EUR; spent 700.00 EUR, left 200.00 EUR"
        ) && tools.contains("returned 0.00 EUR (unfunded) + 50.00 EUR (above max)")
            && tools.contains("co-funding: 300.00 EUR per voter"),
        "{tools}"
    );
    let late_vote = user
        .refused(&run(
            &["budget", "vote", "Spring", "--approve", "Garden"],
            "ann",
        ))
        .await;
    assert!(late_vote.contains("poll_closed"), "{late_vote}");

    // Cancelling a funded project leaves a reversing entry in the authorisations.
    let cancel = [
        "budget",
        "cancel",
        "Garden",
        "--round",
        "Spring",
        "--reason",
        "the plot was sold",
    ];
    let refused = user.refused(&run(&cancel, "ann")).await;
    assert!(refused.contains("not_authorised"), "{refused}");
    user.ok(&run(&cancel, "maya")).await;
    let ledger = user.ok(&["budget", "authorisations", "--commons", c]).await;
    assert!(
        ledger.contains("5 entr(y/ies).")
            && ledger.contains("release ")
            && ledger
                .contains("600.00 EUR  Garden (Spring)  balance 0.00 EUR  (the plot was sold)")
            && ledger.contains(
                "EUR: granted 1,600.00 EUR, released 600.00 EUR, authorised 1,000.00 EUR"
            ),
        "{ledger}"
    );
    let garden = user
        .ok(&[
            "budget",
            "authorisations",
            "--round",
            "Spring",
            "--project",
            "Garden",
            "--commons",
            c,
        ])
        .await;
    assert!(
        garden.contains("2 entr(y/ies).")
            && garden.contains("600.00 EUR  Garden (Spring)  balance 600.00 EUR"),
        "{garden}"
    );
    let after = user.ok(&["budget", "show", "Spring", "--commons", c]).await;
    assert!(
        after.contains("cancelled Garden")
            && after.contains("granted 600.00 EUR, authorised 0.00 EUR")
            && after.contains(": the plot was sold)"),
        "{after}"
    );
}
