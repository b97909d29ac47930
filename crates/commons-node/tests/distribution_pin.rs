//! A distribution is pinned to a checkpoint this node signed: the node refuses a pin whose
//! root is not the stored checkpoint's root at that size, or a size it signed no
//! checkpoint at, and accepts the real one.
#![allow(clippy::unwrap_used)]

use commons_core::association::{
    Admission, DecisionKind, DecisionRule, Electorate, Ratio, Statutes, statutes,
};
use commons_core::value::{INCOME, distribution};
use commons_ledger::EventId;
use commons_ledger::cbor::Value;
use commons_node::SubmitError;
use commons_testkit::{Author, T0_MS, TestNode, key};

fn statutes_body(treasurer: &commons_ledger::AuthorKey) -> Value {
    let rules = DecisionKind::REQUIRED
        .into_iter()
        .map(|k| {
            let method = if k.is_election() {
                "stv-meek"
            } else {
                "proposal"
            };
            let rule = DecisionRule {
                method: method.into(),
                electorate: Electorate::Members,
                threshold: Ratio::new(1, 2).unwrap(),
                strict: false,
                quorum: Ratio::ZERO,
                chambers: None,
                progressive: None,
            };
            (k, rule)
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
        treasurers: vec![*treasurer],
        treasurer_approvals: 1,
        rules,
    };
    Value::text_map([("statutes", statutes::value(&statutes))])
}

fn propose(size: u64, root: &[u8]) -> Value {
    Value::text_map([
        ("title", Value::text("November")),
        ("amount", Value::Unsigned(1_000)),
        ("currency", Value::text("EUR")),
        (
            "buckets",
            Value::Array(vec![Value::text_map([
                ("name", Value::text("contributors")),
                ("take", Value::text("rest")),
                ("to", Value::text("contributors")),
            ])]),
        ),
        (
            "pin",
            Value::text_map([
                ("size", Value::Unsigned(size)),
                ("root", Value::bytes(root.to_vec())),
            ]),
        ),
    ])
}

#[tokio::test]
async fn a_distribution_pin_must_be_a_checkpoint_this_node_signed() {
    let test = TestNode::start().await;
    let treasurer_key = key(1);
    let commons = test.create_commons(&treasurer_key, "Pinned").await;
    let mut treasurer = Author {
        key: treasurer_key.clone(),
        commons: Some(commons),
        next_seq: 1,
        prev: Some(EventId(commons.0)),
    };
    let mut send = async |kind: &str, body: Value| {
        let event = treasurer.sign(kind, &body, vec![], T0_MS);
        let outcome = test.node.submit(&event.envelope().encode()).await;
        if outcome.is_err() {
            // A refused event does not advance the author's chain.
            treasurer.next_seq -= 1;
            treasurer.prev = event.header.prev;
        }
        outcome
    };
    send(statutes::ADOPT, statutes_body(&treasurer_key.author_key()))
        .await
        .unwrap();
    send(
        INCOME,
        Value::text_map([
            ("kind", Value::text("donation")),
            ("amount", Value::Unsigned(5_000)),
            ("currency", Value::text("EUR")),
            ("source", Value::text("A friend")),
            ("reference", Value::text("SEPA 1")),
        ]),
    )
    .await
    .unwrap();
    let mut checkpoint = None;
    for _ in 0..50 {
        checkpoint = test.node.latest_checkpoint(&commons).await.unwrap();
        if checkpoint.as_ref().is_some_and(|c| c.size >= 3) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let checkpoint = checkpoint.expect("the node signs a checkpoint after each commit");
    let code = |r: Result<commons_node::SubmitOutcome, SubmitError>| match r {
        Err(SubmitError::Rejected(e)) => e.code(),
        other => panic!("expected a rejection, got {other:?}"),
    };
    let mut forged = checkpoint.root.0;
    forged[0] ^= 1;
    assert_eq!(
        code(send(distribution::PROPOSE, propose(checkpoint.size, &forged)).await),
        "checkpoint_unknown"
    );
    assert_eq!(
        code(
            send(
                distribution::PROPOSE,
                propose(checkpoint.size - 1, &checkpoint.root.0)
            )
            .await
        ),
        "checkpoint_unknown"
    );
    send(
        distribution::PROPOSE,
        propose(checkpoint.size, &checkpoint.root.0),
    )
    .await
    .unwrap();
}
