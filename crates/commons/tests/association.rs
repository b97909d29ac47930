//! Association CLI transcripts: the real `commons` binary, verb by verb, against a real
//! node on a free port. The node runs in this process on a fresh store with a manual
//! clock set to the wall clock, so that the test can move ledger time past a poll's close
//! (as the CLI signs events at the wall clock's time, the node's clock never lags it).
// A panic is the failure report in a test.
#![allow(clippy::unwrap_used)]

mod common;

use common::{HOUR_MS, User, local, start_node};

/// `poll vote POLL FLAG BALLOT --commons C --key KEY`.
fn vote_args<'a>(
    c: &'a str,
    poll: &'a str,
    flag: &'a str,
    ballot: &'a str,
    key: &'a str,
) -> Vec<&'a str> {
    vec![
        "poll",
        "vote",
        poll,
        flag,
        ballot,
        "--commons",
        c,
        "--key",
        key,
    ]
}

#[test]
fn every_association_verb_has_help_with_an_example() {
    let dir = tempfile::tempdir().unwrap();
    for (group, verbs) in [
        ("assoc", &["show", "adopt", "example"][..]),
        ("member", &["apply", "admit", "refuse", "leave", "list"]),
        (
            "poll",
            &[
                "open",
                "vote",
                "show",
                "list",
                "export",
                "recount",
                "statement",
                "preview",
            ],
        ),
        ("delegate", &["set", "revoke", "list"]),
    ] {
        for verb in verbs {
            let help = local(&[group, verb, "--help"], dir.path());
            assert!(
                help.contains("Example"),
                "`commons {group} {verb} --help` shows no example:\n{help}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statutes_adopted_members_admitted_polls_voted_closed_shown_exported_and_recounted() {
    let node = start_node().await;
    let dir = tempfile::tempdir().unwrap();
    let user = User {
        data: dir.path().join("user"),
        url: node.url.clone(),
    };
    let mut keys = Vec::new();
    for name in ["maya", "ann", "ben", "chloe", "eve"] {
        keys.push(local(&["key", "new", name], &user.data).trim().to_owned());
    }
    let (ann, ben) = (keys[1].clone(), keys[2].clone());
    let commons = user.ok(&["init", "Orchard", "--key", "maya"]).await;
    let c = commons.trim();
    let as_ = |key: &'static str| ["--commons", c, "--key", key];

    // Statutes from the example, adopted by the maintainer, who becomes the first member.
    let statutes = dir.path().join("statutes.json");
    std::fs::write(&statutes, local(&["assoc", "example"], &user.data)).unwrap();
    let statutes = statutes.to_str().unwrap();
    user.ok(&[&["assoc", "adopt", "--file", statutes][..], &as_("maya")].concat())
        .await;
    let again = user
        .refused(&[&["assoc", "adopt", "--file", statutes][..], &as_("maya")].concat())
        .await;
    assert!(again.contains("amendment_rule_required"), "{again}");
    let shown = user.ok(&["assoc", "show", "--commons", c]).await;
    assert!(
        shown.contains("Friends of the tool library")
            && shown.contains("elect_board     stv-scottish by members, quorum 0/1")
            && shown.contains("amend_statutes  proposal by members, support >= 2/3, quorum 1/3"),
        "{shown}"
    );

    // Applications under maintainer admission: two admitted, one refused.
    let apply = |key: &'static str| {
        [
            &[
                "member",
                "apply",
                "--chamber",
                "users",
                "--statement",
                "I borrow the ladder",
            ][..],
            &as_(key),
        ]
        .concat()
    };
    let ann_application = user.id(&apply("ann")).await;
    let ben_application = user.id(&apply("ben")).await;
    let chloe_application = user.id(&apply("chloe")).await;
    for application in [&ann_application, &ben_application] {
        user.ok(&[&["member", "admit", application.as_str()][..], &as_("maya")].concat())
            .await;
    }
    user.ok(&[
        &[
            "member",
            "refuse",
            &chloe_application,
            "--reason",
            "not a borrower yet",
        ][..],
        &as_("maya"),
    ]
    .concat())
        .await;
    let members = user.ok(&["member", "list", "--commons", c]).await;
    assert!(members.contains("3 member(s)"), "{members}");
    assert!(members.contains("member,maintainer"), "{members}");
    let refused = user
        .ok(&[
            "member",
            "list",
            "--applications",
            "--status",
            "refused",
            "--commons",
            c,
        ])
        .await;
    assert!(refused.contains("(not a borrower yet)"), "{refused}");

    // Ben delegates to Ann; a direct ballot of his still overrides it.
    user.ok(&[&["delegate", "set", "--to", ann.as_str()][..], &as_("ben")].concat())
        .await;

    // A ranked poll with its own rule, and a proposal under the statutes' general rule.
    let logo = user
        .id(&[
            &[
                "poll",
                "open",
                "--title",
                "Logo",
                "--method",
                "irv",
                "--option",
                "Fox",
                "--option",
                "Owl",
                "--option",
                "Bee",
                "--closes-in",
                "2m",
            ][..],
            &as_("ann"),
        ]
        .concat())
        .await;
    let pears = user
        .id(&[
            &[
                "poll",
                "open",
                "--title",
                "Plant pears",
                "--closes-in",
                "2m",
            ][..],
            &as_("maya"),
        ]
        .concat())
        .await;
    let preview = user
        .ok(&[
            "poll",
            "preview",
            "--decision",
            "elect_board",
            "--commons",
            c,
        ])
        .await;
    assert!(
        preview.contains("electorate members: 3 voter(s)"),
        "{preview}"
    );
    user.ok(&vote_args(c, &logo, "--rank", "Fox>Owl", "maya"))
        .await;
    user.ok(&vote_args(c, &logo, "--rank", "Owl>Fox", "ann"))
        .await;
    // By index and case-insensitive name: Owl > Bee.
    user.ok(&vote_args(c, &logo, "--rank", "1>bee", "ben"))
        .await;
    let unknown = user
        .refused(&vote_args(c, &logo, "--rank", "Cat", "ben"))
        .await;
    assert!(unknown.contains("no option `Cat`"), "{unknown}");
    let wrong_kind = user
        .refused(&vote_args(c, &pears, "--rank", "Fox", "ann"))
        .await;
    assert!(wrong_kind.contains("no option"), "{wrong_kind}");
    user.ok(&vote_args(c, &pears, "--stance", "yes", "maya"))
        .await;
    user.ok(&vote_args(c, &pears, "--stance", "no", "ann"))
        .await;
    // Ann changes her mind: the last ballot counts.
    user.ok(&vote_args(c, &pears, "--stance", "yes", "ann"))
        .await;
    let open = user.ok(&["poll", "list", "--commons", c]).await;
    assert!(
        open.contains("2 poll(s)") && open.contains("open"),
        "{open}"
    );
    let live = user.ok(&["poll", "show", &logo, "--commons", c]).await;
    assert!(live.contains("turnout: 3/3"), "{live}");
    let early = user
        .refused(&["poll", "recount", &logo, "--commons", c])
        .await;
    assert!(early.contains("still open"), "{early}");

    // An hour of ledger time passes; the next event brings the tick that closes both.
    node.test.clock.advance(HOUR_MS);
    user.ok(&[&["member", "apply"][..], &as_("eve")].concat())
        .await;

    let logo_shown = user.ok(&["poll", "show", &logo, "--commons", c]).await;
    assert!(
        logo_shown.contains("result: passed; elected Owl")
            && logo_shown.contains("rule: general         irv by members, quorum 0/1")
            && logo_shown.contains("round 1: Fox 1, Owl 2, Bee 0; elected Owl")
            && logo_shown.contains("seed "),
        "{logo_shown}"
    );
    let pears_shown = user.ok(&["poll", "show", &pears, "--commons", c]).await;
    assert!(
        pears_shown.contains("result: passed")
            && pears_shown.contains("support 1 (needed 1/2)")
            && pears_shown.contains("counts: abstain 0, block 0, no 0, yes 3")
            && !pears_shown.contains("round 1")
            && pears_shown.contains(&format!(
                "{} counted with {}'s ballot",
                &ben[..12],
                &ann[..12]
            )),
        "{pears_shown}"
    );

    // Export: BLT for the ranked poll, JSON for any; both recount to the result.
    let blt = dir.path().join("logo.blt");
    user.ok(&[
        "poll",
        "export",
        &logo,
        "--commons",
        c,
        "-o",
        blt.to_str().unwrap(),
    ])
    .await;
    assert_eq!(
        std::fs::read_to_string(&blt).unwrap(),
        "3 1\n1 1 2 0\n1 2 1 0\n1 2 3 0\n0\n\"Fox\"\n\"Owl\"\n\"Bee\"\n\"Logo\"\n"
    );
    let not_ranked = user
        .refused(&["poll", "export", &pears, "--commons", c])
        .await;
    assert!(not_ranked.contains("not_ranked"), "{not_ranked}");
    let json = user
        .ok(&["poll", "export", &pears, "--format", "json", "--commons", c])
        .await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["method"], "proposal");
    assert_eq!(json["ballots"][0]["weight"], 1);
    let recount = user.ok(&["poll", "recount", &logo, "--commons", c]).await;
    assert!(
        recount.contains("recount matches the published result") && recount.contains("elected Owl"),
        "{recount}"
    );
    let recount = user.ok(&["poll", "recount", &pears, "--commons", c]).await;
    assert!(recount.contains("recount matches"), "{recount}");

    // The outcome is stated; votes after the close are refused.
    user.ok(&[
        &[
            "poll",
            "statement",
            &pears,
            "--text",
            "Ben buys the trees",
            "--review-in",
            "90d",
        ][..],
        &as_("maya"),
    ]
    .concat())
        .await;
    let stated = user.ok(&["poll", "show", &pears, "--commons", c]).await;
    assert!(stated.contains("statement by"), "{stated}");
    assert!(stated.contains("Ben buys the trees"), "{stated}");
    let late = user
        .refused(&vote_args(c, &pears, "--stance", "no", "ben"))
        .await;
    assert!(late.contains("poll_closed"), "{late}");

    // Delegations, listed and revoked.
    let delegations = user.ok(&["delegate", "list", "--commons", c]).await;
    assert!(delegations.contains("1 delegation(s)"), "{delegations}");
    let ann_side = user
        .ok(&["delegate", "list", "--person", &ann, "--commons", c])
        .await;
    assert!(ann_side.contains("trusted on * by"), "{ann_side}");
    user.ok(&[&["delegate", "revoke"][..], &as_("ben")].concat())
        .await;
    let none = user.ok(&["delegate", "list", "--commons", c]).await;
    assert!(none.contains("0 delegation(s)"), "{none}");
    let pending = user
        .ok(&[
            "member",
            "list",
            "--applications",
            "--status",
            "pending",
            "--commons",
            c,
        ])
        .await;
    assert!(pending.contains("1 application(s)"), "{pending}");
}
