//! Spam resistance: per-key hourly limits on tasks, contributions and posts, raised for
//! keys with accepted work.
#![allow(clippy::unwrap_used)]

use commons_core::production::Rule;
use commons_core::production::bodies::{NewArea, NewContribution, NewTask, review};
use commons_ledger::EventId;
use commons_node::posting::PostingLimits;
use commons_node::{IngestError, SubmitError};
use commons_testkit::{Author, T0_MS, TestNode, key};

fn task(n: usize) -> NewTask {
    NewTask {
        area: "docs".into(),
        title: format!("Task {n}"),
        ..NewTask::default()
    }
}

async fn submit(
    test: &TestNode,
    author: &mut Author,
    kind: &str,
    body: &commons_ledger::cbor::Value,
) -> Result<EventId, SubmitError> {
    let event = author.sign(kind, body, vec![], T0_MS);
    match test.node.submit(&event.envelope().encode()).await {
        Ok(_) => Ok(event.id),
        Err(e) => {
            // The chain did not advance.
            author.next_seq -= 1;
            author.prev = event.header.prev;
            Err(e)
        }
    }
}

#[tokio::test]
async fn a_key_posting_too_much_is_refused_until_the_hour_passes_or_its_work_is_accepted() {
    let test = TestNode::start().await;
    let limits = PostingLimits::default();
    let maintainer_key = key(1);
    let commons = test.create_commons(&maintainer_key, "Wiki").await;
    let mut maintainer = Author {
        key: maintainer_key,
        commons: Some(commons),
        next_seq: 1,
        prev: Some(EventId(commons.0)),
    };
    let area = NewArea {
        slug: "docs".into(),
        name: "Docs".into(),
        description: None,
        maintainers: vec![maintainer.public()],
        threshold: None,
        rule: Rule::Maintainers { approvals: 1 },
        chores: vec![],
        self_approval: None,
        claim_ttl_ms: None,
    };
    submit(&test, &mut maintainer, "area.create", &area.body())
        .await
        .unwrap();
    let mut spammer = Author::new(key(2), commons);
    for n in 0..limits.tasks_per_hour as usize {
        submit(&test, &mut spammer, "task.post", &task(n).body())
            .await
            .unwrap();
    }
    let refused = submit(&test, &mut spammer, "task.post", &task(99).body()).await;
    match refused {
        Err(SubmitError::Rejected(e @ IngestError::PostingLimit { .. })) => {
            assert_eq!(e.code(), "posting_limit");
        }
        other => panic!("expected posting_limit, got {other:?}"),
    }
    // Another key is not affected.
    let mut other = Author::new(key(3), commons);
    submit(&test, &mut other, "task.post", &task(0).body())
        .await
        .unwrap();

    // An hour later the window has moved on.
    test.clock.advance(3_600_000);
    submit(&test, &mut spammer, "task.post", &task(100).body())
        .await
        .unwrap();

    // Accepted work raises the limit by the node's factor.
    let work = NewContribution {
        area: "docs".into(),
        kind: "care".into(),
        title: "Moderation".into(),
        description: None,
        tasks: vec![],
        authors: vec![],
        effort_minutes: None,
        sponsor: None,
        revision: None,
        evidence: vec![],
        checklist: vec![],
    };
    let work = submit(&test, &mut other, "contrib.submit", &work.body())
        .await
        .unwrap();
    submit(
        &test,
        &mut maintainer,
        "contrib.review",
        &review(&work, "approve", None),
    )
    .await
    .unwrap();
    for n in 1..limits.tasks_per_hour as usize * 2 {
        submit(&test, &mut other, "task.post", &task(n).body())
            .await
            .unwrap();
    }
}
