//! Time-bound rules settle on a quiet commons: once a poll's closing time has come, the
//! node's housekeeping ticks the commons, and the poll closes with no other submission.
#![allow(clippy::unwrap_used)]

use commons_core::association::{polls, statutes};
use commons_ledger::EventId;
use commons_ledger::cbor::Value;
use commons_testkit::{Author, T0_MS, TestNode, key};
use std::time::Duration;

fn statutes_body() -> Value {
    use commons_core::association::{
        Admission, DecisionKind, DecisionRule, Electorate, Ratio, Statutes,
    };
    let rule = |method: &str| DecisionRule {
        method: method.into(),
        electorate: Electorate::Members,
        threshold: Ratio::new(1, 2).unwrap(),
        strict: false,
        quorum: Ratio::ZERO,
        chambers: None,
        progressive: None,
    };
    let rules = DecisionKind::ALL
        .into_iter()
        .map(|k| {
            let method = if k.is_election() {
                "stv-meek"
            } else {
                "proposal"
            };
            (k, rule(method))
        })
        .collect();
    let statutes = Statutes {
        name: "Friends".into(),
        purpose: None,
        admission: Admission::Open,
        chambers: vec![],
        contributor_window_months: 6,
        board_seats: 1,
        board_term_months: 12,
        treasurers: Vec::new(),
        treasurer_approvals: 1,
        rules,
    };
    Value::text_map([("statutes", statutes::value(&statutes))])
}

#[tokio::test]
async fn a_poll_closes_on_a_quiet_commons_once_its_time_has_come() {
    let test = TestNode::start().await;
    let maintainer_key = key(1);
    let commons = test.create_commons(&maintainer_key, "Quiet").await;
    let mut maintainer = Author {
        key: maintainer_key,
        commons: Some(commons),
        next_seq: 1,
        prev: Some(EventId(commons.0)),
    };
    let mut send = async |kind: &str, body: Value| {
        let event = maintainer.sign(kind, &body, vec![], T0_MS);
        test.node.submit(&event.envelope().encode()).await.unwrap();
        event.id
    };
    send(statutes::ADOPT, statutes_body()).await;
    let closes_ms = test.node.now_ms() + 120_000;
    let poll = send(
        polls::OPEN,
        Value::text_map([
            ("title", Value::text("Quiet decision")),
            ("decision", Value::text("general")),
            ("closes_ms", Value::Unsigned(closes_ms)),
        ]),
    )
    .await;
    send(
        polls::VOTE,
        Value::text_map([
            ("poll", Value::bytes(poll.0.to_vec())),
            ("ballot", Value::text_map([("stance", Value::text("yes"))])),
        ]),
    )
    .await;
    let closed = |test: &TestNode| {
        let node = test.node.clone();
        async move {
            node.inspect(&commons, move |s| {
                s.association.polls[&poll].result.as_ref().map(|r| r.passed)
            })
            .await
            .unwrap()
            .unwrap()
        }
    };
    assert_eq!(closed(&test).await, None);
    // Time passes and nobody submits anything.
    test.clock.advance(121_000);
    let mut passed = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        passed = closed(&test).await;
        if passed.is_some() {
            break;
        }
    }
    assert_eq!(passed, Some(true), "the housekeeping tick closed the poll");
}
