//! Spec tests for peer production: each rule and rejection of areas, tasks,
//! contributions and threads, the views, the named limits, and the laws that replay
//! equals incremental application and that projection rows maintained from `touched`
//! equal a full rendering after every event.

use super::bodies::{self, ContributionUpdate, NewArea, NewContribution, NewTask, RevisionSpec};
use super::views::{self, BoardQuery};
use super::*;
use crate::agents::profile_body;
use crate::state::AgentKind;
use crate::test_world::World;
use commons_ledger::SecretKey;
use commons_ledger::blob::{BLOB_BYTES_MAX, BlobAlg};
use proptest::prelude::*;

/// Ledger time of the first tick in most tests: 2023-11-14T22:13:20Z.
const T0: u64 = 1_700_000_000_000;
const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;

impl World {
    fn create_area(&mut self, author: usize, area: &NewArea) -> Result<EventId, Rejection> {
        self.send(author, areas::CREATE, area.body())
    }

    fn area_id(&self, slug: &str) -> EventId {
        *self.state.production.area_by_slug(slug).unwrap().0
    }

    fn area(&self, slug: &str) -> &Area {
        self.state.production.area_by_slug(slug).unwrap().1
    }

    fn task(&mut self, author: usize, area: &str, title: &str) -> EventId {
        let body = NewTask {
            area: area.into(),
            title: title.into(),
            ..NewTask::default()
        }
        .body();
        self.ok(author, tasks::POST, body)
    }

    fn contribute(
        &mut self,
        author: usize,
        contribution: &NewContribution,
    ) -> Result<EventId, Rejection> {
        self.send(author, contributions::SUBMIT, contribution.body())
    }

    fn review(&mut self, author: usize, id: &EventId, verdict: &str) -> Result<EventId, Rejection> {
        let text = matches!(verdict, "object" | "changes").then_some("not yet: see my notes");
        self.send(
            author,
            contributions::REVIEW,
            bodies::review(id, verdict, text),
        )
    }

    fn contribution(&self, id: &EventId) -> &Contribution {
        &self.state.production.contributions[id]
    }

    fn status(&self, id: &EventId) -> &'static str {
        self.contribution(id).status.as_str()
    }

    fn record(&self, i: usize) -> Record {
        self.state
            .production
            .records
            .get(&self.key(i))
            .cloned()
            .unwrap_or_default()
    }
}

fn code(result: Result<EventId, Rejection>) -> &'static str {
    match result {
        Ok(_) => panic!("the event was accepted but a rejection was expected"),
        Err(r) => r.code.as_str(),
    }
}

fn new_area(slug: &str, maintainers: Vec<AuthorKey>, rule: Rule) -> NewArea {
    NewArea {
        slug: slug.into(),
        name: format!("Area {slug}"),
        description: Some("What this area is for".into()),
        maintainers,
        threshold: None,
        rule,
        chores: vec![],
        self_approval: None,
        claim_ttl_ms: None,
    }
}

fn care(area: &str) -> NewContribution {
    NewContribution {
        area: area.into(),
        kind: "care".into(),
        title: "Answered newcomers' questions".into(),
        description: None,
        tasks: vec![],
        authors: vec![],
        effort_minutes: Some(60),
        sponsor: None,
        revision: None,
        evidence: vec![],
        checklist: vec![],
    }
}

fn new_document(area: &str, name: &str, content: &[u8]) -> NewContribution {
    NewContribution {
        kind: "revision".into(),
        title: format!("First draft of {name}"),
        revision: Some(RevisionSpec {
            artifact: None,
            base: None,
            name: Some(name.into()),
            artifact_kind: Some("document".into()),
            media_type: "text/markdown".into(),
            blob: BlobRef::of_bytes(content),
        }),
        ..care(area)
    }
}

fn revision_of(
    area: &str,
    artifact: EventId,
    base: Option<EventId>,
    blob: BlobRef,
) -> NewContribution {
    NewContribution {
        kind: "revision".into(),
        title: "Second draft".into(),
        revision: Some(RevisionSpec {
            artifact: Some(artifact),
            base,
            name: None,
            artifact_kind: None,
            media_type: "text/markdown".into(),
            blob,
        }),
        ..care(area)
    }
}

fn approvals(n: u64) -> Rule {
    Rule::Maintainers { approvals: n }
}

/// A world with commons maintainer 0 (threshold 1) and an area `docs` maintained by keys
/// 2 and 3 that accepts on one maintainer approval.
fn docs_world() -> World {
    let mut world = World::new(1, 1);
    let area = new_area("docs", vec![world.key(2), world.key(3)], approvals(1));
    world.create_area(0, &area).unwrap();
    world.tick(T0);
    world
}

fn area_update(slug: &str, fields: Vec<(&str, Value)>) -> Value {
    let mut all = vec![("area", Value::text(slug))];
    all.extend(fields);
    Value::text_map(all)
}

// ---------------------------------------------------------------------------------------
// Areas

#[test]
fn a_commons_maintainer_creates_an_area_and_nobody_else_may() {
    let mut world = World::new(1, 1);
    let area = new_area("docs", vec![world.key(2)], approvals(1));
    let id = world.create_area(0, &area).unwrap();
    let created = world.area("docs");
    assert_eq!(world.area_id("docs"), id);
    assert_eq!(created.name, "Area docs");
    assert_eq!(created.maintainers, BTreeSet::from([world.key(2)]));
    assert_eq!(created.rule, approvals(1));
    assert_eq!(created.threshold, 1);
    assert_eq!(created.claim_ttl_ms, CLAIM_TTL_DEFAULT_MS);
    assert!(!created.self_approval);

    let other = new_area("code", vec![world.key(3)], approvals(1));
    assert_eq!(code(world.create_area(3, &other)), "not_authorised");
    assert_eq!(code(world.create_area(2, &other)), "not_authorised");
    let again = new_area("docs", vec![world.key(3)], approvals(1));
    assert_eq!(code(world.create_area(0, &again)), "area_exists");
    let body = NewTask {
        area: "nowhere".into(),
        title: "Lost".into(),
        ..NewTask::default()
    }
    .body();
    assert_eq!(code(world.send(4, tasks::POST, body)), "area_unknown");
    world.check_laws();
}

#[test]
fn a_nomination_shows_the_nominees_record_and_takes_effect_at_the_area_threshold() {
    let mut world = World::new(1, 1);
    let mut area = new_area("docs", vec![world.key(2), world.key(3)], approvals(1));
    area.threshold = Some(2);
    world.create_area(0, &area).unwrap();
    for _ in 0..2 {
        let c = world.contribute(5, &care("docs")).unwrap();
        world.review(2, &c, "approve").unwrap();
        assert_eq!(world.status(&c), "accepted");
    }

    let body = bodies::nominate("docs", &world.key(5), true, Some("does great work"));
    let nomination = world.ok(4, areas::NOMINATE, body);
    let n = &world.state.production.nominations[&nomination];
    assert_eq!(
        n.record_accepted, 2,
        "the nominee's accepted work in the area"
    );
    assert_eq!(n.nominator, world.key(4));
    assert!(
        n.approvals.is_empty(),
        "an outsider's nomination is no approval"
    );
    assert_eq!(n.status, NominationStatus::Open);

    let approve = bodies::approve_nomination(&nomination);
    assert_eq!(
        code(world.send(6, areas::APPROVE, approve.clone())),
        "not_area_maintainer"
    );
    world.ok(2, areas::APPROVE, approve.clone());
    assert_eq!(
        world.state.production.nominations[&nomination].status,
        NominationStatus::Open,
        "one of two required approvals"
    );
    assert_eq!(
        code(world.send(2, areas::APPROVE, approve.clone())),
        "already_approved"
    );
    let last = world.ok(3, areas::APPROVE, approve.clone());
    let applied_at = world.ledger.iter().position(|e| e.id == last).unwrap() as u64;
    assert_eq!(
        world.state.production.nominations[&nomination].status,
        NominationStatus::Applied(applied_at)
    );
    assert!(world.area("docs").maintainers.contains(&world.key(5)));
    assert_eq!(
        code(world.send(0, areas::APPROVE, approve)),
        "nomination_closed"
    );
    let unknown = bodies::approve_nomination(&EventId([7; 32]));
    assert_eq!(
        code(world.send(2, areas::APPROVE, unknown)),
        "nomination_unknown"
    );
    world.check_laws();
}

#[test]
fn commons_maintainers_carry_a_nomination_at_the_commons_threshold() {
    let mut world = World::new(2, 2);
    let mut area = new_area("docs", vec![world.key(2), world.key(3)], approvals(1));
    area.threshold = Some(2);
    world.create_area(0, &area).unwrap();
    let body = bodies::nominate("docs", &world.key(5), true, None);
    let nomination = world.ok(0, areas::NOMINATE, body);
    assert_eq!(
        world.state.production.nominations[&nomination].approvals,
        BTreeSet::from([world.key(0)]),
        "a commons maintainer's nomination counts as their approval"
    );
    assert!(!world.area("docs").maintainers.contains(&world.key(5)));
    world.ok(1, areas::APPROVE, bodies::approve_nomination(&nomination));
    assert!(world.area("docs").maintainers.contains(&world.key(5)));
    assert!(matches!(
        world.state.production.nominations[&nomination].status,
        NominationStatus::Applied(_)
    ));
    world.check_laws();
}

#[test]
fn stepping_down_always_works_even_for_the_last_maintainer() {
    let mut world = World::new(1, 1);
    world
        .create_area(0, &new_area("docs", vec![world.key(2)], approvals(1)))
        .unwrap();
    let removal = world.ok(
        4,
        areas::NOMINATE,
        bodies::nominate("docs", &world.key(2), false, Some("inactive")),
    );
    assert_eq!(
        code(world.send(3, areas::STEP_DOWN, bodies::step_down("docs"))),
        "not_area_maintainer"
    );
    world.ok(2, areas::STEP_DOWN, bodies::step_down("docs"));
    assert!(world.area("docs").maintainers.is_empty());
    assert_eq!(
        world.state.production.nominations[&removal].status,
        NominationStatus::Moot,
        "a pending removal of someone who stepped down is moot"
    );
    let rename = area_update("docs", vec![("name", Value::text("Docs"))]);
    assert_eq!(
        code(world.send(2, areas::UPDATE, rename)),
        "not_area_maintainer"
    );
    // The commons' maintainers can still staff the orphaned area.
    world.ok(
        0,
        areas::NOMINATE,
        bodies::nominate("docs", &world.key(4), true, None),
    );
    assert_eq!(
        world.area("docs").maintainers,
        BTreeSet::from([world.key(4)])
    );
    world.check_laws();
}

#[test]
fn only_area_maintainers_update_an_area() {
    let mut world = docs_world();
    let rename = area_update("docs", vec![("name", Value::text("Documentation"))]);
    assert_eq!(
        code(world.send(0, areas::UPDATE, rename.clone())),
        "not_area_maintainer",
        "a commons maintainer is not an area maintainer"
    );
    assert_eq!(
        code(world.send(5, areas::UPDATE, rename.clone())),
        "not_area_maintainer"
    );
    world.ok(2, areas::UPDATE, rename);
    assert_eq!(world.area("docs").name, "Documentation");
    let unknown = area_update("nowhere", vec![("name", Value::text("x"))]);
    assert_eq!(code(world.send(2, areas::UPDATE, unknown)), "area_unknown");
    world.check_laws();
}

// ---------------------------------------------------------------------------------------
// Tasks

#[test]
fn a_task_is_posted_with_labels_effort_and_the_chore_flag() {
    let mut world = docs_world();
    let body = NewTask {
        area: "docs".into(),
        title: "Proofread chapter 2".into(),
        description: Some("Typos and dead links".into()),
        labels: vec!["proofreading".into(), "good-first-task".into()],
        effort_hours: Some(3),
        chore: true,
    }
    .body();
    let id = world.ok(4, tasks::POST, body);
    let task = &world.state.production.tasks[&id];
    assert_eq!(task.title, "Proofread chapter 2");
    assert_eq!(task.labels, ["proofreading", "good-first-task"]);
    assert_eq!(task.effort_hours, Some(3));
    assert!(task.chore);
    assert_eq!(task.author, world.key(4));
    assert_eq!(task.time_ms, T0);
    assert!(task.is_open());
    assert_eq!(world.area("docs").n_tasks, 1);

    let too_long = NewTask {
        area: "docs".into(),
        title: "Rewrite everything".into(),
        effort_hours: Some(tasks::EFFORT_HOURS_MAX + 1),
        ..NewTask::default()
    };
    assert_eq!(
        code(world.send(4, tasks::POST, too_long.body())),
        "body_invalid"
    );
    world.check_laws();
}

#[test]
fn each_person_signals_a_need_or_an_interest_once() {
    let mut world = docs_world();
    let task = world.task(4, "docs", "Add a glossary");
    world.ok(5, tasks::SIGNAL, bodies::signal(&task, true));
    assert_eq!(
        code(world.send(5, tasks::SIGNAL, bodies::signal(&task, true))),
        "already_signalled"
    );
    world.ok(5, tasks::SIGNAL, bodies::signal(&task, false));
    world.ok(6, tasks::SIGNAL, bodies::signal(&task, true));
    let t = &world.state.production.tasks[&task];
    assert_eq!(t.needs, BTreeSet::from([world.key(5), world.key(6)]));
    assert_eq!(t.interested, BTreeSet::from([world.key(5)]));
    assert_eq!(
        code(world.send(5, tasks::SIGNAL, bodies::signal(&EventId([4; 32]), true))),
        "task_unknown"
    );
    world.check_laws();
}

#[test]
fn a_pledge_is_a_positive_amount_in_an_upper_case_currency() {
    let mut world = docs_world();
    let task = world.task(4, "docs", "Translate the guide");
    for (amount, currency) in [(0, "EUR"), (500, "eur"), (500, "EURO-DOLLARS"), (500, "")] {
        assert_eq!(
            code(world.send(
                5,
                tasks::PLEDGE,
                bodies::pledge(&task, amount, currency, None)
            )),
            "body_invalid",
            "{amount} {currency}"
        );
    }
    world.ok(
        5,
        tasks::PLEDGE,
        bodies::pledge(&task, 5_000, "EUR", Some("for the Breton version")),
    );
    let pledges = &world.state.production.tasks[&task].pledges;
    assert_eq!(pledges.len(), 1);
    assert_eq!(pledges[0].by, world.key(5));
    assert_eq!(pledges[0].amount, 5_000);
    assert_eq!(pledges[0].currency, "EUR");
    world.check_laws();
}

fn short_claims_world() -> World {
    let mut world = World::new(1, 1);
    let mut area = new_area("docs", vec![world.key(2)], approvals(1));
    area.claim_ttl_ms = Some(CLAIM_TTL_MIN_MS);
    world.create_area(0, &area).unwrap();
    world.tick(T0);
    world
}

fn claimant(world: &World, task: &EventId) -> Option<AuthorKey> {
    views::claimed_by(&world.state, &world.state.production.tasks[task])
}

#[test]
fn a_claim_blocks_others_until_it_lapses_after_the_areas_ttl() {
    let mut world = short_claims_world();
    let task = world.task(4, "docs", "Draw the map");
    world.ok(5, tasks::CLAIM, bodies::task_ref(&task));
    assert_eq!(claimant(&world, &task), Some(world.key(5)));
    assert_eq!(
        code(world.send(6, tasks::CLAIM, bodies::task_ref(&task))),
        "task_claimed"
    );
    world.tick(T0 + CLAIM_TTL_MIN_MS);
    assert_eq!(
        code(world.send(6, tasks::CLAIM, bodies::task_ref(&task))),
        "task_claimed",
        "a claim lasts its full ttl"
    );
    world.tick(T0 + CLAIM_TTL_MIN_MS + 1);
    assert_eq!(claimant(&world, &task), None, "the claim lapsed");
    world.ok(6, tasks::CLAIM, bodies::task_ref(&task));
    assert_eq!(claimant(&world, &task), Some(world.key(6)));
    assert!(
        !world
            .state
            .production
            .claims_by_key
            .get(&world.key(5))
            .is_some_and(|s| s.contains(&task))
    );
    world.check_laws();
}

#[test]
fn the_claimants_posts_contributions_and_renewals_keep_a_claim_alive() {
    let mut world = short_claims_world();
    let task = world.task(4, "docs", "Draw the map");
    world.ok(5, tasks::CLAIM, bodies::task_ref(&task));

    // A post in the task's thread by the claimant renews the claim; one by others does not.
    world.tick(T0 + 50 * 60_000);
    world.ok(
        5,
        threads::POST,
        bodies::post(&Subject::Task(task), "Half done", None, &[]),
    );
    world.tick(T0 + 55 * 60_000);
    world.ok(
        6,
        threads::POST,
        bodies::post(&Subject::Task(task), "Can I help?", None, &[]),
    );
    let claim = world.state.production.tasks[&task].claim.unwrap();
    assert_eq!(claim.last_activity_ms, T0 + 50 * 60_000);
    assert_eq!(claim.since_ms, T0);
    world.tick(T0 + 100 * 60_000);
    assert_eq!(
        code(world.send(6, tasks::CLAIM, bodies::task_ref(&task))),
        "task_claimed"
    );

    // A contribution naming the task renews it.
    let mut work = care("docs");
    work.tasks = vec![task];
    world.contribute(5, &work).unwrap();
    world.tick(T0 + 100 * 60_000 + CLAIM_TTL_MIN_MS);
    assert_eq!(
        code(world.send(6, tasks::CLAIM, bodies::task_ref(&task))),
        "task_claimed"
    );

    // Claiming again renews it too.
    world.ok(5, tasks::CLAIM, bodies::task_ref(&task));
    let renewed = T0 + 100 * 60_000 + CLAIM_TTL_MIN_MS;
    assert_eq!(
        world.state.production.tasks[&task]
            .claim
            .unwrap()
            .last_activity_ms,
        renewed
    );
    world.tick(renewed + CLAIM_TTL_MIN_MS + 1);
    world.ok(6, tasks::CLAIM, bodies::task_ref(&task));
    world.check_laws();
}

#[test]
fn only_the_claimant_releases_a_claim() {
    let mut world = docs_world();
    let task = world.task(4, "docs", "Index the photos");
    world.ok(5, tasks::CLAIM, bodies::task_ref(&task));
    assert_eq!(
        code(world.send(6, tasks::RELEASE, bodies::task_ref(&task))),
        "not_claimant"
    );
    assert_eq!(
        code(world.send(2, tasks::RELEASE, bodies::task_ref(&task))),
        "not_claimant",
        "not even an area maintainer"
    );
    world.ok(5, tasks::RELEASE, bodies::task_ref(&task));
    assert_eq!(world.state.production.tasks[&task].claim, None);
    assert_eq!(
        code(world.send(5, tasks::RELEASE, bodies::task_ref(&task))),
        "not_claimant"
    );
    world.ok(6, tasks::CLAIM, bodies::task_ref(&task));
    world.check_laws();
}

#[test]
fn a_key_holds_at_most_claims_per_key_max_live_claims() {
    let mut world = short_claims_world();
    let tasks: Vec<EventId> = (0..=CLAIMS_PER_KEY_MAX)
        .map(|i| world.task(4, "docs", &format!("Task {i}")))
        .collect();
    for task in &tasks[..CLAIMS_PER_KEY_MAX] {
        world.ok(5, tasks::CLAIM, bodies::task_ref(task));
    }
    let last = tasks[CLAIMS_PER_KEY_MAX];
    assert_eq!(
        code(world.send(5, tasks::CLAIM, bodies::task_ref(&last))),
        "claims_full"
    );
    world.ok(5, tasks::RELEASE, bodies::task_ref(&tasks[0]));
    world.ok(5, tasks::CLAIM, bodies::task_ref(&last));
    // Lapsed claims no longer count.
    world.tick(T0 + CLAIM_TTL_MIN_MS + 1);
    world.ok(5, tasks::CLAIM, bodies::task_ref(&tasks[0]));
    world.check_laws();
}

#[test]
fn an_area_maintainer_closes_a_task_with_a_reason_and_it_stays_closed() {
    let mut world = docs_world();
    let task = world.task(4, "docs", "Port the guide to LaTeX");
    world.ok(5, tasks::CLAIM, bodies::task_ref(&task));
    let close = bodies::close_task(&task, "we publish on the web only");
    assert_eq!(
        code(world.send(4, tasks::CLOSE, close.clone())),
        "not_area_maintainer",
        "not even the task's author"
    );
    assert_eq!(
        code(world.send(0, tasks::CLOSE, close.clone())),
        "not_area_maintainer"
    );
    let closing = world.ok(2, tasks::CLOSE, close.clone());
    let index = world.ledger.iter().position(|e| e.id == closing).unwrap() as u64;
    let t = &world.state.production.tasks[&task];
    assert_eq!(
        t.status,
        TaskStatus::Closed {
            by: world.key(2),
            reason: "we publish on the web only".into(),
            index,
            time_ms: T0,
        }
    );
    assert_eq!(t.claim, None, "closing ends the claim");
    assert!(
        !world
            .state
            .production
            .claims_by_key
            .contains_key(&world.key(5))
    );
    assert_eq!(code(world.send(3, tasks::CLOSE, close)), "task_closed");
    assert_eq!(
        code(world.send(6, tasks::SIGNAL, bodies::signal(&task, true))),
        "task_closed"
    );
    assert_eq!(
        code(world.send(6, tasks::CLAIM, bodies::task_ref(&task))),
        "task_closed"
    );
    assert_eq!(
        code(world.send(6, tasks::PLEDGE, bodies::pledge(&task, 10, "EUR", None))),
        "task_closed"
    );
    let board = views::task_board(&world.state, &board_query(10));
    assert_eq!(board.matching, 0);
    world.check_laws();
}

// ---------------------------------------------------------------------------------------
// Contributions

#[test]
fn a_revision_creates_an_artifact_and_a_later_one_revises_it_from_a_base() {
    let mut world = docs_world();
    let first = world
        .contribute(4, &new_document("docs", "Guide", b"v1"))
        .unwrap();
    assert!(
        world.state.production.artifacts.is_empty(),
        "not yet accepted"
    );
    world.review(2, &first, "approve").unwrap();
    let artifact = &world.state.production.artifacts[&first];
    assert_eq!(artifact.name, "Guide");
    assert_eq!(artifact.kind, "document");
    assert_eq!(artifact.revisions.len(), 1);
    assert_eq!(artifact.revisions[0].blob, BlobRef::of_bytes(b"v1"));
    assert_eq!(artifact.revisions[0].authors, [world.key(4)]);

    let second = world
        .contribute(
            5,
            &revision_of("docs", first, Some(first), BlobRef::of_bytes(b"v2")),
        )
        .unwrap();
    world.review(3, &second, "approve").unwrap();
    let artifact = &world.state.production.artifacts[&first];
    assert_eq!(artifact.revisions.len(), 2);
    let current = artifact.revisions.last().unwrap();
    assert_eq!(current.contribution, second);
    assert_eq!(current.base, Some(first));
    assert_eq!(current.blob, BlobRef::of_bytes(b"v2"));
    assert_eq!(current.authors, [world.key(5)]);
    assert_eq!(world.state.production.artifacts.len(), 1);

    let mut no_revision = new_document("docs", "Guide", b"v1");
    no_revision.revision = None;
    assert_eq!(code(world.contribute(4, &no_revision)), "body_invalid");
    world.check_laws();
}

#[test]
fn external_work_needs_evidence_and_care_work_needs_no_artifact() {
    let mut world = docs_world();
    let mut external = care("docs");
    external.kind = "external".into();
    external.title = "Fixed the upstream renderer".into();
    assert_eq!(code(world.contribute(4, &external)), "body_invalid");
    external.evidence = vec!["https://example.org/renderer/pull/12".into()];
    let e = world.contribute(4, &external).unwrap();
    let c = world.contribute(5, &care("docs")).unwrap();
    world.review(2, &e, "approve").unwrap();
    world.review(2, &c, "approve").unwrap();
    assert_eq!(world.status(&e), "accepted");
    assert_eq!(world.status(&c), "accepted");
    assert_eq!(world.contribution(&e).kind, ContributionKind::External);
    assert_eq!(world.contribution(&e).evidence, external.evidence);
    assert_eq!(world.contribution(&c).kind, ContributionKind::Care);
    assert!(world.state.production.artifacts.is_empty());
    let mut care_with_blob = new_document("docs", "x", b"x");
    care_with_blob.kind = "care".into();
    assert_eq!(code(world.contribute(5, &care_with_blob)), "body_invalid");
    world.check_laws();
}

#[test]
fn revisions_must_name_a_known_artifact_a_base_of_it_and_a_blob_within_bounds() {
    let mut world = docs_world();
    let guide = world
        .contribute(4, &new_document("docs", "Guide", b"g"))
        .unwrap();
    let atlas = world
        .contribute(4, &new_document("docs", "Atlas", b"a"))
        .unwrap();
    world.review(2, &guide, "approve").unwrap();
    world.review(2, &atlas, "approve").unwrap();
    let blob = BlobRef::of_bytes(b"next");

    let unknown = revision_of("docs", EventId([9; 32]), None, blob);
    assert_eq!(code(world.contribute(5, &unknown)), "artifact_unknown");
    let foreign_base = revision_of("docs", guide, Some(atlas), blob);
    assert_eq!(code(world.contribute(5, &foreign_base)), "revision_unknown");
    let no_such_base = revision_of("docs", guide, Some(EventId([8; 32])), blob);
    assert_eq!(code(world.contribute(5, &no_such_base)), "revision_unknown");
    let mut new_with_base = new_document("docs", "Map", b"m");
    if let Some(r) = new_with_base.revision.as_mut() {
        r.base = Some(guide);
    }
    assert_eq!(
        code(world.contribute(5, &new_with_base)),
        "revision_unknown"
    );

    let huge = BlobRef {
        alg: BlobAlg::Blake3,
        hash: [7; 32],
        size: BLOB_BYTES_MAX + 1,
    };
    assert_eq!(
        code(world.contribute(5, &revision_of("docs", guide, Some(guide), huge))),
        "blob_too_large"
    );
    let largest = BlobRef {
        size: BLOB_BYTES_MAX,
        ..huge
    };
    let ok = world
        .contribute(5, &revision_of("docs", guide, Some(guide), largest))
        .unwrap();
    let update = ContributionUpdate {
        blob: Some((None, huge)),
        ..ContributionUpdate::default()
    };
    assert_eq!(
        code(world.send(5, contributions::REVISE, update.body(&ok))),
        "blob_too_large"
    );
    world.check_laws();
}

#[test]
fn paid_work_names_a_sponsor_with_an_organisation_profile() {
    let mut world = docs_world();
    let mut paid = care("docs");
    paid.sponsor = Some(world.key(7));
    assert_eq!(
        code(world.contribute(4, &paid)),
        "sponsor_unknown",
        "no profile"
    );
    world.ok(
        7,
        crate::agents::PROFILE,
        profile_body("Ann", AgentKind::Person),
    );
    assert_eq!(
        code(world.contribute(4, &paid)),
        "sponsor_unknown",
        "a person's profile"
    );
    world.ok(
        8,
        crate::agents::PROFILE,
        profile_body("Coop Kerne", AgentKind::Organisation),
    );
    paid.sponsor = Some(world.key(8));
    let c = world.contribute(4, &paid).unwrap();
    assert_eq!(world.contribution(&c).sponsor, Some(world.key(8)));
    assert!(world.contribution(&c).is_paid());
    world.review(2, &c, "approve").unwrap();
    let record = world.record(4);
    assert_eq!((record.accepted_paid, record.accepted_volunteer), (1, 0));
    world.check_laws();
}

#[test]
fn co_authors_share_the_declared_effort_exactly() {
    let mut world = docs_world();
    let (a, b, c) = (world.key(4), world.key(5), world.key(6));
    let mut work = care("docs");
    work.authors = vec![(a, 1), (b, 1), (c, 1)];
    work.effort_minutes = Some(100);
    let first = world.contribute(4, &work).unwrap();
    // The submitter always comes first, whatever order the body lists.
    work.authors = vec![(b, 2), (a, 1)];
    work.effort_minutes = Some(10);
    let second = world.contribute(4, &work).unwrap();
    assert_eq!(world.contribution(&second).authors, [(a, 1), (b, 2)]);
    world.review(2, &first, "approve").unwrap();
    world.review(2, &second, "approve").unwrap();
    // 100 by thirds: 33 each and the remainder to the submitter; 10 by 1:2 gives 3 and 6,
    // and the remainder again to the submitter.
    assert_eq!(world.record(4).effort_minutes, 34 + 4);
    assert_eq!(world.record(5).effort_minutes, 33 + 6);
    assert_eq!(world.record(6).effort_minutes, 33);
    let credited: u64 = (4..=6).map(|i| world.record(i).effort_minutes).sum();
    assert_eq!(credited, 110, "credited effort sums to the declared effort");
    for i in [4, 5] {
        assert_eq!(world.record(i).accepted, 2);
    }
    assert_eq!(world.record(6).accepted, 1);

    work.authors = vec![(b, 1), (c, 1)];
    assert_eq!(
        code(world.contribute(4, &work)),
        "body_invalid",
        "the submitter must be an author"
    );
    work.authors = vec![(a, 1), (b, 0)];
    assert_eq!(code(world.contribute(4, &work)), "body_invalid");
    world.check_laws();
}

fn three_maintainers_world(rule: Rule) -> World {
    let mut world = World::new(1, 1);
    let area = new_area("docs", vec![world.key(2), world.key(3), world.key(4)], rule);
    world.create_area(0, &area).unwrap();
    world.tick(T0);
    world
}

#[test]
fn approvals_of_the_current_version_by_enough_area_maintainers_accept_a_contribution() {
    let mut world = three_maintainers_world(approvals(2));
    let c = world.contribute(5, &care("docs")).unwrap();
    world.review(6, &c, "approve").unwrap();
    world.review(2, &c, "approve").unwrap();
    assert_eq!(
        world.status(&c),
        "pending",
        "an outsider's approval does not count"
    );
    let update = ContributionUpdate {
        title: Some("Answered questions, with a FAQ".into()),
        ..ContributionUpdate::default()
    };
    let v2 = world.ok(5, contributions::REVISE, update.body(&c));
    assert_eq!(world.contribution(&c).version, 2);
    assert_eq!(world.contribution(&c).version_id, v2);
    world.review(3, &c, "approve").unwrap();
    assert_eq!(
        world.status(&c),
        "pending",
        "an approval of the previous version no longer counts"
    );
    world.review(2, &c, "approve").unwrap();
    assert_eq!(world.status(&c), "accepted");
    assert_eq!(
        code(world.review(4, &c, "approve")),
        "contribution_closed",
        "deciding twice"
    );
    world.check_laws();
}

#[test]
fn an_open_maintainer_objection_blocks_until_the_objector_resolves_it() {
    let mut world = three_maintainers_world(approvals(1));
    let c = world.contribute(5, &care("docs")).unwrap();
    assert_eq!(
        code(world.send(3, contributions::REVIEW, bodies::review(&c, "object", None))),
        "body_invalid",
        "an objection gives its reason"
    );
    let objection = world.review(3, &c, "object").unwrap();
    world.review(2, &c, "approve").unwrap();
    assert_eq!(world.status(&c), "pending");
    assert_eq!(
        code(world.send(2, contributions::RESOLVE, bodies::resolve(&c, &objection))),
        "not_author",
        "only the objector resolves"
    );
    let approval = world.contribution(&c).reviews[1].id;
    assert_eq!(
        code(world.send(2, contributions::RESOLVE, bodies::resolve(&c, &approval))),
        "review_unknown"
    );
    world.ok(3, contributions::RESOLVE, bodies::resolve(&c, &objection));
    assert_eq!(world.status(&c), "accepted");

    // The objector's own approval settles their objection.
    let d = world.contribute(5, &care("docs")).unwrap();
    world.review(3, &d, "object").unwrap();
    world.review(2, &d, "approve").unwrap();
    assert_eq!(world.status(&d), "pending");
    world.review(3, &d, "approve").unwrap();
    assert_eq!(world.status(&d), "accepted");
    assert!(world.contribution(&d).reviews[0].resolved.is_some());
    world.check_laws();
}

#[test]
fn authors_cannot_approve_their_own_work_unless_the_area_allows_it() {
    let mut world = World::new(1, 1);
    world
        .create_area(
            0,
            &new_area("docs", vec![world.key(2), world.key(3)], approvals(1)),
        )
        .unwrap();
    let mut open = new_area("lab", vec![world.key(2)], approvals(1));
    open.self_approval = Some(true);
    world.create_area(0, &open).unwrap();

    let own = world.contribute(2, &care("docs")).unwrap();
    assert_eq!(
        code(world.review(2, &own, "approve")),
        "self_approval_forbidden"
    );
    let mut shared = care("docs");
    shared.authors = vec![(world.key(5), 1), (world.key(3), 1)];
    let co = world.contribute(5, &shared).unwrap();
    assert_eq!(
        code(world.review(3, &co, "approve")),
        "self_approval_forbidden",
        "a co-author is an author too"
    );
    world.review(3, &own, "approve").unwrap();
    assert_eq!(world.status(&own), "accepted");

    let allowed = world.contribute(2, &care("lab")).unwrap();
    world.review(2, &allowed, "approve").unwrap();
    assert_eq!(world.status(&allowed), "accepted");
    world.check_laws();
}

#[test]
fn an_area_with_chores_accepts_only_work_that_ticked_them_all() {
    let mut world = World::new(1, 1);
    let mut area = new_area("code", vec![world.key(2)], approvals(1));
    area.chores = vec!["tests".into(), "changelog".into()];
    world.create_area(0, &area).unwrap();
    let mut work = care("code");
    work.checklist = vec!["tests".into()];
    let c = world.contribute(5, &work).unwrap();
    assert_eq!(code(world.review(2, &c, "approve")), "checklist_incomplete");
    let update = ContributionUpdate {
        checklist: Some(vec!["tests".into(), "changelog".into()]),
        ..ContributionUpdate::default()
    };
    world.ok(5, contributions::REVISE, update.body(&c));
    world.review(2, &c, "approve").unwrap();
    assert_eq!(world.status(&c), "accepted");
    world.check_laws();
}

const WINDOW_MS: u64 = 10 * 60_000;

fn lazy_world() -> World {
    three_maintainers_world(Rule::Lazy {
        window_ms: WINDOW_MS,
    })
}

#[test]
fn lazy_consensus_accepts_at_the_first_tick_past_the_window() {
    let mut world = lazy_world();
    let c = world.contribute(5, &care("docs")).unwrap();
    world.tick(T0 + WINDOW_MS - 1);
    assert_eq!(world.status(&c), "pending");
    world.tick(T0 + WINDOW_MS + 5);
    assert_eq!(world.status(&c), "accepted");
    assert!(matches!(
        world.contribution(&c).status,
        ContributionStatus::Accepted { time_ms, .. } if time_ms == T0 + WINDOW_MS + 5
    ));
    assert!(world.state.production.lazy_queue.is_empty());
    let notice = world.state.production.notices[&world.key(5)]
        .back()
        .copied()
        .unwrap();
    assert_eq!(notice.kind, NoticeKind::Decision);
    assert_eq!(notice.by, world.sequencer.author_key());
    world.check_laws();
}

#[test]
fn under_lazy_consensus_only_an_area_maintainers_objection_blocks() {
    let mut world = lazy_world();
    let outsider_objects = world.contribute(5, &care("docs")).unwrap();
    let maintainer_objects = world.contribute(5, &care("docs")).unwrap();
    let resolved_late = world.contribute(6, &care("docs")).unwrap();
    world.review(7, &outsider_objects, "object").unwrap();
    let objection = world.review(2, &maintainer_objects, "object").unwrap();
    let late = world.review(3, &resolved_late, "object").unwrap();
    world.tick(T0 + WINDOW_MS);
    assert_eq!(world.status(&outsider_objects), "accepted");
    assert_eq!(world.status(&maintainer_objects), "pending");
    assert_eq!(world.status(&resolved_late), "pending");
    world.tick(T0 + 3 * WINDOW_MS);
    assert_eq!(world.status(&maintainer_objects), "pending");
    // Resolved after the window: accepted at once.
    world.ok(
        3,
        contributions::RESOLVE,
        bodies::resolve(&resolved_late, &late),
    );
    assert_eq!(world.status(&resolved_late), "accepted");
    // Approving settles the objection just the same.
    world.review(2, &maintainer_objects, "approve").unwrap();
    assert_eq!(world.status(&maintainer_objects), "accepted");
    let _ = objection;
    world.check_laws();
}

#[test]
fn a_revision_restarts_the_lazy_window() {
    let mut world = lazy_world();
    let c = world.contribute(5, &care("docs")).unwrap();
    world.tick(T0 + WINDOW_MS / 2);
    let update = ContributionUpdate {
        effort_minutes: Some(90),
        ..ContributionUpdate::default()
    };
    world.ok(5, contributions::REVISE, update.body(&c));
    world.tick(T0 + WINDOW_MS);
    assert_eq!(world.status(&c), "pending");
    world.tick(T0 + WINDOW_MS / 2 + WINDOW_MS);
    assert_eq!(world.status(&c), "accepted");
    assert_eq!(world.record(5).effort_minutes, 90);
    world.check_laws();
}

#[test]
fn a_lengthened_lazy_window_still_accepts_pending_work_when_it_passes() {
    let mut world = lazy_world();
    let c = world.contribute(5, &care("docs")).unwrap();
    let longer = areas::rule_value(&Rule::Lazy {
        window_ms: 2 * WINDOW_MS,
    });
    world.ok(
        2,
        areas::UPDATE,
        area_update("docs", vec![("rule", longer)]),
    );
    world.tick(T0 + WINDOW_MS);
    assert_eq!(world.status(&c), "pending", "the new window has not passed");
    world.tick(T0 + 2 * WINDOW_MS);
    assert_eq!(world.status(&c), "accepted");
    world.check_laws();
}

#[test]
fn an_area_switched_to_lazy_consensus_accepts_its_pending_work_when_the_window_passes() {
    let mut world = three_maintainers_world(approvals(2));
    let c = world.contribute(5, &care("docs")).unwrap();
    let lazy = areas::rule_value(&Rule::Lazy {
        window_ms: WINDOW_MS,
    });
    world.ok(2, areas::UPDATE, area_update("docs", vec![("rule", lazy)]));
    world.tick(T0 + WINDOW_MS);
    assert_eq!(world.status(&c), "accepted");
    world.check_laws();
}

#[test]
fn work_waiting_only_for_a_chore_the_area_drops_is_accepted_at_the_next_tick() {
    let mut world = lazy_world();
    world.ok(
        2,
        areas::UPDATE,
        area_update(
            "docs",
            vec![("chores", Value::Array(vec![Value::text("tests")]))],
        ),
    );
    let c = world.contribute(5, &care("docs")).unwrap();
    world.tick(T0 + 2 * WINDOW_MS);
    assert_eq!(world.status(&c), "pending", "the chore is not ticked");
    world.ok(
        2,
        areas::UPDATE,
        area_update("docs", vec![("chores", Value::Array(vec![]))]),
    );
    world.tick(T0 + 2 * WINDOW_MS);
    assert_eq!(world.status(&c), "accepted");
    world.check_laws();
}

#[test]
fn a_withdrawn_or_decided_contribution_cannot_be_decided_again() {
    let mut world = docs_world();
    let c = world.contribute(5, &care("docs")).unwrap();
    let update = ContributionUpdate {
        title: Some("Hijacked".into()),
        ..ContributionUpdate::default()
    };
    assert_eq!(
        code(world.send(6, contributions::REVISE, update.body(&c))),
        "not_author"
    );
    assert_eq!(
        code(world.send(6, contributions::WITHDRAW, bodies::withdraw(&c, None))),
        "not_author"
    );
    world.ok(
        5,
        contributions::WITHDRAW,
        bodies::withdraw(&c, Some("duplicate")),
    );
    assert_eq!(world.status(&c), "withdrawn");
    assert_eq!(
        code(world.review(2, &c, "approve")),
        "contribution_withdrawn"
    );
    assert_eq!(
        code(world.send(2, contributions::REJECT, bodies::reject(&c, "no"))),
        "contribution_withdrawn"
    );
    assert_eq!(world.record(5).withdrawn, 1);

    let d = world.contribute(5, &care("docs")).unwrap();
    assert_eq!(
        code(world.send(6, contributions::REJECT, bodies::reject(&d, "no"))),
        "not_area_maintainer"
    );
    world.ok(2, contributions::REJECT, bodies::reject(&d, "out of scope"));
    assert!(matches!(
        &world.contribution(&d).status,
        ContributionStatus::Rejected { by, reason, .. } if *by == world.key(2) && reason == "out of scope"
    ));
    assert_eq!(
        code(world.send(3, contributions::REJECT, bodies::reject(&d, "no"))),
        "contribution_closed"
    );
    assert_eq!(code(world.review(3, &d, "approve")), "contribution_closed");
    assert_eq!(
        code(world.send(5, contributions::REVISE, update.body(&d))),
        "contribution_closed"
    );
    // Comments stay open after a decision.
    world.review(6, &d, "comment").unwrap();
    let record = world.record(5);
    assert_eq!(
        (record.rejected, record.withdrawn, record.pending()),
        (1, 1, 0)
    );
    let notice = world.state.production.notices[&world.key(5)]
        .back()
        .copied()
        .unwrap();
    assert_eq!(
        notice.kind,
        NoticeKind::Review,
        "the comment notified the author"
    );
    world.check_laws();
}

#[test]
fn competing_contributions_to_one_task_are_both_accepted_and_the_first_resolves_it() {
    let mut world = docs_world();
    let body = NewTask {
        area: "docs".into(),
        title: "Fix broken links".into(),
        chore: true,
        ..NewTask::default()
    }
    .body();
    let task = world.ok(4, tasks::POST, body);
    world.ok(5, tasks::CLAIM, bodies::task_ref(&task));
    let mut work = care("docs");
    work.tasks = vec![task];
    let slow = world.contribute(5, &work).unwrap();
    let fast = world.contribute(6, &work).unwrap();
    assert_eq!(
        world.state.production.tasks[&task].contributions,
        [slow, fast]
    );
    let accepting = world.review(2, &fast, "approve").unwrap();
    let index = world.ledger.iter().position(|e| e.id == accepting).unwrap() as u64;
    let t = &world.state.production.tasks[&task];
    assert_eq!(
        t.status,
        TaskStatus::Resolved {
            contribution: fast,
            index,
            time_ms: T0
        }
    );
    assert_eq!(t.claim, None, "resolution ends the claim");
    world.review(2, &slow, "approve").unwrap();
    assert_eq!(world.status(&slow), "accepted");
    assert!(matches!(
        world.state.production.tasks[&task].status,
        TaskStatus::Resolved { contribution, .. } if contribution == fast
    ));
    let (winner, other) = (world.record(6), world.record(5));
    assert_eq!((winner.tasks_done, winner.chores_done), (1, 1));
    assert_eq!((other.tasks_done, other.chores_done), (0, 0));
    assert_eq!(other.accepted, 1);
    let stats = views::statistics(&world.state);
    assert_eq!(stats.chores_done, 1);
    assert_eq!(stats.chores_by_author, [(world.key(6), 1)]);
    world.check_laws();
}

#[test]
fn acceptance_credits_records_tallies_and_notifications() {
    let mut world = docs_world();
    world.ok(
        8,
        crate::agents::PROFILE,
        profile_body("Coop Kerne", AgentKind::Organisation),
    );
    let volunteer = world.contribute(4, &care("docs")).unwrap();
    world.tick(T0 + 1_000);
    world.review(2, &volunteer, "approve").unwrap();

    world.tick(T0 + 30 * DAY_MS);
    let mut paid = care("docs");
    paid.sponsor = Some(world.key(8));
    paid.authors = vec![(world.key(5), 1), (world.key(4), 1)];
    let paid_id = world.contribute(5, &paid).unwrap();
    world.tick(T0 + 30 * DAY_MS + 5_000);
    world.review(3, &paid_id, "approve").unwrap();

    let four = world.record(4);
    assert_eq!(four.accepted, 2);
    assert_eq!((four.accepted_paid, four.accepted_volunteer), (1, 1));
    assert_eq!(four.accepted_by_area[&world.area_id("docs")], 2);
    assert_eq!(four.contributions, [volunteer, paid_id]);
    assert_eq!(world.record(2).reviews_given, 1);
    assert_eq!(world.record(2).reviews_as_maintainer, 1);

    let stats = views::statistics(&world.state);
    assert_eq!(
        stats.contributors_by_month,
        [("2023-11".to_owned(), 1), ("2023-12".to_owned(), 2)]
    );
    assert_eq!(stats.decisions, 2);
    assert_eq!(stats.median_decision_ms, Some(1_000));
    assert_eq!(stats.accepted, 2);
    let mut by_sponsor = stats.accepted_by_sponsor.clone();
    by_sponsor.sort();
    assert_eq!(by_sponsor, [(None, 1), (Some(world.key(8)), 1)]);
    assert_eq!(stats.review_load.len(), 2);

    // The submitter hears of the review and of the decision; a co-author of the decision.
    let kinds = |i: usize| -> Vec<(NoticeKind, EventId)> {
        world.state.production.notices[&world.key(i)]
            .iter()
            .map(|n| (n.kind, n.subject.id()))
            .collect()
    };
    assert_eq!(
        kinds(4),
        [
            (NoticeKind::Review, volunteer),
            (NoticeKind::Decision, volunteer),
            (NoticeKind::Decision, paid_id),
        ]
    );
    assert_eq!(
        kinds(5),
        [
            (NoticeKind::Review, paid_id),
            (NoticeKind::Decision, paid_id)
        ]
    );
    world.check_laws();
}

// ---------------------------------------------------------------------------------------
// Threads

#[test]
fn every_kind_of_subject_has_a_thread_and_unknown_subjects_do_not() {
    let mut world = docs_world();
    let area = world.area_id("docs");
    let task = world.task(4, "docs", "Write a tutorial");
    let doc = world
        .contribute(4, &new_document("docs", "Tutorial", b"t"))
        .unwrap();
    world.review(2, &doc, "approve").unwrap();
    let subjects = [
        Subject::Area(area),
        Subject::Task(task),
        Subject::Contribution(doc),
        Subject::Artifact(doc),
    ];
    for subject in subjects {
        let id = world.ok(5, threads::POST, bodies::post(&subject, "Hello", None, &[]));
        let post = &world.state.production.posts[&id];
        assert_eq!(post.subject, subject);
        assert_eq!(post.version, 1);
        assert_eq!(world.state.production.threads[&subject], [id]);
    }
    for unknown in [
        Subject::Area(task),
        Subject::Task(EventId([3; 32])),
        Subject::Contribution(task),
        Subject::Artifact(task),
    ] {
        assert_eq!(
            code(world.send(5, threads::POST, bodies::post(&unknown, "?", None, &[]))),
            "object_unknown"
        );
    }
    world.check_laws();
}

#[test]
fn a_reply_names_a_post_of_the_same_thread() {
    let mut world = docs_world();
    let a = world.task(4, "docs", "A");
    let b = world.task(4, "docs", "B");
    let on_a = world.ok(
        5,
        threads::POST,
        bodies::post(&Subject::Task(a), "first", None, &[]),
    );
    assert_eq!(
        code(world.send(
            6,
            threads::POST,
            bodies::post(&Subject::Task(b), "reply", Some(&on_a), &[])
        )),
        "post_unknown"
    );
    let reply = world.ok(
        6,
        threads::POST,
        bodies::post(&Subject::Task(a), "reply", Some(&on_a), &[]),
    );
    assert_eq!(world.state.production.posts[&reply].reply_to, Some(on_a));
    world.check_laws();
}

#[test]
fn only_the_author_edits_a_post_and_each_edit_is_a_new_version() {
    let mut world = docs_world();
    let subject = Subject::Area(world.area_id("docs"));
    let post = world.ok(5, threads::POST, bodies::post(&subject, "draft", None, &[]));
    assert_eq!(
        code(world.send(6, threads::EDIT, bodies::edit_post(&post, "mine now", &[]))),
        "not_author"
    );
    assert_eq!(
        code(world.send(2, threads::EDIT, bodies::edit_post(&post, "moderated", &[]))),
        "not_author",
        "maintainers hide, they do not edit"
    );
    world.ok(5, threads::EDIT, bodies::edit_post(&post, "second", &[]));
    let third = world.ok(5, threads::EDIT, bodies::edit_post(&post, "third", &[]));
    let p = &world.state.production.posts[&post];
    assert_eq!(p.version, 3);
    assert_eq!(p.latest, third);
    assert_eq!(
        code(world.send(
            5,
            threads::EDIT,
            bodies::edit_post(&EventId([1; 32]), "x", &[])
        )),
        "post_unknown"
    );
    world.check_laws();
}

#[test]
fn an_area_maintainer_hides_a_post_with_a_reason_and_the_post_stays() {
    let mut world = docs_world();
    let task = world.task(4, "docs", "Write a tutorial");
    let subject = Subject::Task(task);
    let post = world.ok(5, threads::POST, bodies::post(&subject, "spam", None, &[]));
    assert_eq!(
        code(world.send(6, threads::HIDE, bodies::hide_post(&post, "spam"))),
        "not_area_maintainer"
    );
    assert_eq!(
        code(world.send(5, threads::HIDE, bodies::hide_post(&post, "oops"))),
        "not_area_maintainer",
        "authors edit, they do not hide"
    );
    let hiding = world.ok(2, threads::HIDE, bodies::hide_post(&post, "advertising"));
    let index = world.ledger.iter().position(|e| e.id == hiding).unwrap() as u64;
    let p = &world.state.production.posts[&post];
    assert_eq!(
        p.hidden,
        Some(Hidden {
            by: world.key(2),
            reason: "advertising".into(),
            index,
        })
    );
    assert_eq!(
        world.state.production.threads[&subject],
        [post],
        "the post stays"
    );
    assert_eq!(
        code(world.send(3, threads::HIDE, bodies::hide_post(&post, "again"))),
        "body_invalid"
    );
    world.check_laws();
}

#[test]
fn mentions_notify_the_people_named_and_only_the_latest_notices_are_kept() {
    let mut world = docs_world();
    let subject = Subject::Area(world.area_id("docs"));
    let (five, six) = (world.key(5), world.key(6));
    let first = world.ok(
        4,
        threads::POST,
        bodies::post(&subject, "@5 @6", None, &[five, six]),
    );
    for who in [five, six] {
        let notices = &world.state.production.notices[&who];
        assert_eq!(notices.len(), 1);
        let n = notices[0];
        assert_eq!(
            (n.kind, n.event, n.subject, n.by),
            (NoticeKind::Mention, first, subject, world.key(4))
        );
    }
    world.ok(
        5,
        threads::POST,
        bodies::post(&subject, "note to self", None, &[five]),
    );
    assert_eq!(
        world.state.production.notices[&five].len(),
        1,
        "mentioning oneself notifies nobody"
    );
    let edit = world.ok(
        4,
        threads::EDIT,
        bodies::edit_post(&first, "@5 again", &[five]),
    );
    assert_eq!(world.state.production.notices[&five][1].event, edit);

    let mut ids = vec![first, edit];
    for i in 0..NOTIFICATIONS_KEPT {
        ids.push(world.ok(
            4,
            threads::POST,
            bodies::post(&subject, &format!("ping {i}"), None, &[five]),
        ));
    }
    let notices = &world.state.production.notices[&five];
    assert_eq!(notices.len(), NOTIFICATIONS_KEPT);
    let kept: Vec<EventId> = notices.iter().map(|n| n.event).collect();
    assert_eq!(kept, ids[2..], "the oldest notices go first");
    world.check_laws();
}

// ---------------------------------------------------------------------------------------
// Views

fn board_query(limit: usize) -> BoardQuery {
    BoardQuery {
        limit,
        ..BoardQuery::default()
    }
}

fn board_ids(world: &World, query: &BoardQuery) -> Vec<EventId> {
    views::task_board(&world.state, query)
        .entries
        .iter()
        .map(|e| e.id)
        .collect()
}

#[test]
fn the_published_ranking_explanation_states_the_points_used() {
    for phrase in [
        format!("adds {} points", views::POINTS_PER_NEED),
        format!("each interested person {}", views::POINTS_PER_INTEREST),
        format!("each bounty pledge {}", views::POINTS_PER_PLEDGE),
        format!(
            "open {} (up to {})",
            views::POINTS_PER_DAY,
            views::AGE_DAYS_COUNTED_MAX
        ),
        format!("chores get {} more", views::POINTS_FOR_CHORE),
        "Ties go to the older task".to_owned(),
    ] {
        assert!(
            views::RANKING_EXPLAINED.contains(&phrase),
            "the explanation says `{phrase}`"
        );
    }
}

#[test]
fn the_task_board_ranks_by_the_published_points_and_ties_go_to_the_older_task() {
    let mut world = docs_world();
    let aged = world.task(4, "docs", "aged two days");
    world.tick(T0 + 2 * DAY_MS);
    let needed = world.task(4, "docs", "one need");
    let wanted = world.task(4, "docs", "one interest");
    let chore = world.ok(
        4,
        tasks::POST,
        NewTask {
            area: "docs".into(),
            title: "a chore".into(),
            chore: true,
            ..NewTask::default()
        }
        .body(),
    );
    let funded = world.task(4, "docs", "one pledge");
    let plain = world.task(4, "docs", "nothing yet");
    world.ok(5, tasks::SIGNAL, bodies::signal(&needed, true));
    world.ok(5, tasks::SIGNAL, bodies::signal(&wanted, false));
    world.ok(5, tasks::PLEDGE, bodies::pledge(&funded, 100, "EUR", None));

    let board = views::task_board(&world.state, &board_query(10));
    let totals: Vec<(EventId, u64)> = board
        .entries
        .iter()
        .map(|e| (e.id, e.score.total))
        .collect();
    // 5 (chore), 5 (pledge, younger), 3 (need), 2 (age, older), 2 (interest), 0.
    assert_eq!(
        totals,
        [
            (chore, 5),
            (funded, 5),
            (needed, 3),
            (aged, 2),
            (wanted, 2),
            (plain, 0)
        ]
    );
    assert_eq!(board.matching, 6);
    let needed_score = board.entries[2].score;
    assert_eq!(
        (
            needed_score.needs,
            needed_score.interested,
            needed_score.pledges,
            needed_score.age_days
        ),
        (1, 0, 0, 0)
    );

    // Paging.
    let page = BoardQuery {
        offset: 2,
        limit: 2,
        ..BoardQuery::default()
    };
    assert_eq!(board_ids(&world, &page), [needed, aged]);

    // A live claim takes a task off the board unless asked for.
    world.ok(6, tasks::CLAIM, bodies::task_ref(&needed));
    let board = views::task_board(&world.state, &board_query(10));
    assert_eq!(board.matching, 5);
    assert!(!board.entries.iter().any(|e| e.id == needed));
    let with_claimed = BoardQuery {
        include_claimed: true,
        ..board_query(10)
    };
    let board = views::task_board(&world.state, &with_claimed);
    assert_eq!(board.matching, 6);
    assert_eq!(board.entries[2].id, needed);
    assert_eq!(board.entries[2].claimed_by, Some(world.key(6)));

    // Age counts a point a day, up to the cap.
    world.tick(T0 + 40 * DAY_MS);
    let aged_score = views::score(&world.state.production.tasks[&aged], world.state.time_ms);
    assert_eq!(aged_score.age_days, views::AGE_DAYS_COUNTED_MAX);
    assert_eq!(
        aged_score.total,
        views::AGE_DAYS_COUNTED_MAX * views::POINTS_PER_DAY
    );
    let chores_only = BoardQuery {
        chores_only: true,
        ..board_query(10)
    };
    assert_eq!(board_ids(&world, &chores_only), [chore]);
    world.check_laws();
}

#[test]
fn a_persons_record_pages_their_contributions_newest_first_and_lists_live_claims() {
    let mut world = docs_world();
    let task = world.task(4, "docs", "Scan the old maps");
    world.ok(5, tasks::CLAIM, bodies::task_ref(&task));
    let ids: Vec<EventId> = (0..3)
        .map(|_| world.contribute(5, &care("docs")).unwrap())
        .collect();
    world.review(2, &ids[0], "approve").unwrap();
    let record = views::person_record(&world.state, &world.key(5), 0, 2);
    assert_eq!(record.page, [ids[2], ids[1]]);
    assert_eq!(record.n_contributions, 3);
    assert_eq!(record.pending, 2);
    assert_eq!(record.record.accepted, 1);
    assert!(record.record.contributions.is_empty());
    assert_eq!(record.claims, [task]);
    let rest = views::person_record(&world.state, &world.key(5), 2, 2);
    assert_eq!(rest.page, [ids[0]]);
    let nobody = views::person_record(&world.state, &world.key(9), 0, 10);
    assert_eq!((nobody.n_contributions, nobody.page.len()), (0, 0));
    world.check_laws();
}

#[test]
fn the_median_decision_time_is_the_lower_median() {
    let mut world = docs_world();
    let ids: Vec<EventId> = (0..4)
        .map(|_| world.contribute(5, &care("docs")).unwrap())
        .collect();
    assert_eq!(views::statistics(&world.state).median_decision_ms, None);
    for (id, after_ms) in ids.iter().zip([1_000u64, 3_000, 7_000, 10_000]) {
        world.tick(T0 + after_ms);
        world.ok(2, contributions::REJECT, bodies::reject(id, "not now"));
    }
    // Replay the tallies step by step: 1 decision, 2 (even), 3 (odd), 4 (even).
    let mut tallies = Tallies::default();
    let mut medians = Vec::new();
    for after_ms in [1_000u64, 3_000, 7_000, 10_000] {
        *tallies.decision_ms.entry(after_ms).or_default() += 1;
        let mut state = world.state.clone();
        state.production.tallies = tallies.clone();
        medians.push(views::statistics(&state).median_decision_ms);
    }
    assert_eq!(
        medians,
        [Some(1_000), Some(1_000), Some(3_000), Some(3_000)]
    );
    let stats = views::statistics(&world.state);
    assert_eq!(stats.decisions, 4);
    assert_eq!(stats.median_decision_ms, Some(3_000));
    world.check_laws();
}

// ---------------------------------------------------------------------------------------
// Limits

#[test]
fn pledges_on_one_task_are_limited() {
    let mut world = docs_world();
    let task = world.task(4, "docs", "Print the guide");
    for _ in 0..PLEDGES_PER_TASK_MAX {
        world.ok(5, tasks::PLEDGE, bodies::pledge(&task, 1, "EUR", None));
    }
    assert_eq!(
        code(world.send(6, tasks::PLEDGE, bodies::pledge(&task, 1, "EUR", None))),
        "limit_reached"
    );
    assert_eq!(
        world.state.production.tasks[&task].pledges.len(),
        PLEDGES_PER_TASK_MAX
    );
}

#[test]
fn an_area_has_at_most_area_maintainers_max_maintainers() {
    let mut world = World::new(1, 1);
    let many: Vec<AuthorKey> = (0..AREA_MAINTAINERS_MAX)
        .map(|i| SecretKey::from_seed([150 + i as u8; 32]).author_key())
        .collect();
    world
        .create_area(0, &new_area("docs", many, approvals(1)))
        .unwrap();
    assert_eq!(
        code(world.send(
            0,
            areas::NOMINATE,
            bodies::nominate("docs", &world.key(5), true, None)
        )),
        "limit_reached"
    );
}

// ---------------------------------------------------------------------------------------
// Laws

/// One step of a random script: who acts and what they try. Many steps are refused; the
/// laws must hold whatever was accepted.
#[derive(Clone, Debug)]
enum Step {
    Tick(u64),
    Profile(usize, bool),
    Nominate(usize, usize, usize, bool),
    ApproveNomination(usize, usize),
    Resign(usize, usize),
    UpdateArea(usize, usize, u8),
    PostTask(usize, usize, bool),
    Signal(usize, usize, bool),
    Pledge(usize, usize),
    Claim(usize, usize),
    Release(usize, usize),
    CloseTask(usize, usize),
    Submit(usize, usize, u8, Option<usize>),
    Revise(usize, usize),
    Withdraw(usize, usize),
    Review(usize, usize, u8),
    Resolve(usize, usize),
    Reject(usize, usize),
    Post(usize, u8, usize, Option<usize>),
    Edit(usize, usize, usize),
    Hide(usize, usize),
    ClaimantPosts(usize),
}

const SLUGS: [&str; 2] = ["docs", "code"];

fn step() -> impl Strategy<Value = Step> {
    let who = 0..6usize;
    prop_oneof![
        3 => (0..3 * HOUR_MS).prop_map(Step::Tick),
        1 => (who.clone(), any::<bool>()).prop_map(|(a, o)| Step::Profile(a, o)),
        1 => (who.clone(), 0..2usize, 0..6usize, any::<bool>())
            .prop_map(|(a, s, n, add)| Step::Nominate(a, s, n, add)),
        1 => (who.clone(), 0..4usize).prop_map(|(a, n)| Step::ApproveNomination(a, n)),
        1 => (who.clone(), 0..2usize).prop_map(|(a, s)| Step::Resign(a, s)),
        1 => (who.clone(), 0..2usize, any::<u8>()).prop_map(|(a, s, n)| Step::UpdateArea(a, s, n)),
        3 => (who.clone(), 0..2usize, any::<bool>()).prop_map(|(a, s, c)| Step::PostTask(a, s, c)),
        1 => (who.clone(), 0..6usize, any::<bool>()).prop_map(|(a, t, n)| Step::Signal(a, t, n)),
        1 => (who.clone(), 0..6usize).prop_map(|(a, t)| Step::Pledge(a, t)),
        2 => (who.clone(), 0..6usize).prop_map(|(a, t)| Step::Claim(a, t)),
        1 => (who.clone(), 0..6usize).prop_map(|(a, t)| Step::Release(a, t)),
        1 => (who.clone(), 0..6usize).prop_map(|(a, t)| Step::CloseTask(a, t)),
        4 => (who.clone(), 0..2usize, any::<u8>(), proptest::option::of(0..6usize))
            .prop_map(|(a, s, k, t)| Step::Submit(a, s, k, t)),
        1 => (who.clone(), 0..6usize).prop_map(|(a, c)| Step::Revise(a, c)),
        1 => (who.clone(), 0..6usize).prop_map(|(a, c)| Step::Withdraw(a, c)),
        4 => (who.clone(), 0..6usize, any::<u8>()).prop_map(|(a, c, v)| Step::Review(a, c, v)),
        1 => (who.clone(), 0..6usize).prop_map(|(a, c)| Step::Resolve(a, c)),
        1 => (who.clone(), 0..6usize).prop_map(|(a, c)| Step::Reject(a, c)),
        2 => (who.clone(), any::<u8>(), 0..6usize, proptest::option::of(0..6usize))
            .prop_map(|(a, k, o, r)| Step::Post(a, k, o, r)),
        1 => (who.clone(), 0..8usize, 0..6usize).prop_map(|(a, p, m)| Step::Edit(a, p, m)),
        1 => (who, 0..8usize).prop_map(|(a, p)| Step::Hide(a, p)),
        2 => (0..6usize).prop_map(Step::ClaimantPosts),
    ]
}

fn nth<T: Copy>(items: impl Iterator<Item = T>, n: usize) -> Option<T> {
    let all: Vec<T> = items.collect();
    (!all.is_empty()).then(|| all[n % all.len()])
}

/// A world with two areas: `docs` (maintainers 1 and 2, one approval, short claims) and
/// `code` (maintainer 3, lazy consensus, a `tests` chore).
fn law_world() -> World {
    let mut world = World::new(1, 1);
    let mut docs = new_area("docs", vec![world.key(1), world.key(2)], approvals(1));
    docs.claim_ttl_ms = Some(CLAIM_TTL_MIN_MS);
    world.create_area(0, &docs).unwrap();
    let mut code = new_area(
        "code",
        vec![world.key(3)],
        Rule::Lazy { window_ms: HOUR_MS },
    );
    code.chores = vec!["tests".into()];
    world.create_area(0, &code).unwrap();
    world.tick(T0);
    world
}

fn run(world: &mut World, step: Step) {
    let p = &world.state.production;
    let task = |n: usize| nth(p.tasks.keys().copied(), n);
    let contribution = |n: usize| nth(p.contributions.keys().copied(), n);
    let _ = match step {
        Step::Tick(delta) => {
            world.tick(world.state.time_ms + delta);
            return;
        }
        Step::Profile(a, organisation) => {
            let kind = if organisation {
                AgentKind::Organisation
            } else {
                AgentKind::Person
            };
            world.send(a, crate::agents::PROFILE, profile_body("Someone", kind))
        }
        Step::Nominate(a, s, n, add) => {
            let body = bodies::nominate(SLUGS[s], &world.key(n), add, None);
            world.send(a, areas::NOMINATE, body)
        }
        Step::ApproveNomination(a, n) => match nth(p.nominations.keys().copied(), n) {
            Some(id) => world.send(a, areas::APPROVE, bodies::approve_nomination(&id)),
            None => return,
        },
        Step::Resign(a, s) => world.send(a, areas::STEP_DOWN, bodies::step_down(SLUGS[s])),
        Step::UpdateArea(a, s, n) => {
            let field = match n % 4 {
                0 => ("name", Value::text(format!("Area {n}"))),
                1 => (
                    "claim_ttl_ms",
                    Value::Unsigned(CLAIM_TTL_MIN_MS * u64::from(n % 3 + 1)),
                ),
                2 => (
                    "rule",
                    areas::rule_value(&Rule::Lazy {
                        window_ms: WINDOW_MIN_MS * u64::from(n % 5 + 1),
                    }),
                ),
                _ => ("rule", areas::rule_value(&approvals(1))),
            };
            world.send(a, areas::UPDATE, area_update(SLUGS[s], vec![field]))
        }
        Step::PostTask(a, s, chore) => {
            let body = NewTask {
                area: SLUGS[s].into(),
                title: "Something to do".into(),
                chore,
                ..NewTask::default()
            }
            .body();
            world.send(a, tasks::POST, body)
        }
        Step::Signal(a, t, need) => match task(t) {
            Some(id) => world.send(a, tasks::SIGNAL, bodies::signal(&id, need)),
            None => return,
        },
        Step::Pledge(a, t) => match task(t) {
            Some(id) => world.send(a, tasks::PLEDGE, bodies::pledge(&id, 100, "EUR", None)),
            None => return,
        },
        Step::Claim(a, t) => match task(t) {
            Some(id) => world.send(a, tasks::CLAIM, bodies::task_ref(&id)),
            None => return,
        },
        Step::Release(a, t) => match task(t) {
            Some(id) => world.send(a, tasks::RELEASE, bodies::task_ref(&id)),
            None => return,
        },
        Step::CloseTask(a, t) => match task(t) {
            Some(id) => world.send(a, tasks::CLOSE, bodies::close_task(&id, "done elsewhere")),
            None => return,
        },
        Step::Submit(a, s, k, t) => {
            let slug = SLUGS[s];
            let mut work = match k % 4 {
                0 => care(slug),
                1 => new_document(slug, "Doc", &[k]),
                2 => match nth(
                    p.artifacts
                        .iter()
                        .filter(|(_, art)| p.areas.get(&art.area).is_some_and(|x| x.slug == slug))
                        .map(|(id, _)| *id),
                    usize::from(k),
                ) {
                    Some(artifact) => revision_of(slug, artifact, None, BlobRef::of_bytes(&[k])),
                    None => care(slug),
                },
                _ => NewContribution {
                    kind: "external".into(),
                    evidence: vec!["https://example.org/x".into()],
                    authors: vec![(world.key(a), 2), (world.key((a + 1) % 6), 1)],
                    effort_minutes: Some(u64::from(k)),
                    ..care(slug)
                },
            };
            if k % 3 == 0 {
                work.checklist = vec!["tests".into()];
            }
            if let Some(t) = t.and_then(task) {
                work.tasks = vec![t];
            }
            world.contribute(a, &work)
        }
        Step::Revise(a, c) => match contribution(c) {
            Some(id) => {
                let update = ContributionUpdate {
                    checklist: Some(vec!["tests".into()]),
                    ..ContributionUpdate::default()
                };
                world.send(a, contributions::REVISE, update.body(&id))
            }
            None => return,
        },
        Step::Withdraw(a, c) => match contribution(c) {
            Some(id) => world.send(a, contributions::WITHDRAW, bodies::withdraw(&id, None)),
            None => return,
        },
        Step::Review(a, c, v) => match contribution(c) {
            Some(id) => {
                let verdict =
                    ["approve", "approve", "object", "changes", "comment"][usize::from(v) % 5];
                world.review(a, &id, verdict)
            }
            None => return,
        },
        Step::Resolve(a, c) => {
            let Some(id) = contribution(c) else { return };
            let key = world.key(a);
            let open = p.contributions[&id]
                .reviews
                .iter()
                .find(|r| r.reviewer == key && r.verdict == Verdict::Object && r.resolved.is_none())
                .map(|r| r.id);
            match open {
                Some(review) => {
                    world.send(a, contributions::RESOLVE, bodies::resolve(&id, &review))
                }
                None => return,
            }
        }
        Step::Reject(a, c) => match contribution(c) {
            Some(id) => world.send(a, contributions::REJECT, bodies::reject(&id, "no")),
            None => return,
        },
        Step::Post(a, k, o, r) => {
            let subject = match k % 4 {
                0 => nth(p.areas.keys().copied(), o).map(Subject::Area),
                1 => task(o).map(Subject::Task),
                2 => contribution(o).map(Subject::Contribution),
                _ => nth(p.artifacts.keys().copied(), o).map(Subject::Artifact),
            };
            let Some(subject) = subject else { return };
            let reply = r.and_then(|r| nth(p.posts.keys().copied(), r));
            let mentions = [world.key(usize::from(k) % 6)];
            world.send(
                a,
                threads::POST,
                bodies::post(&subject, "hi", reply.as_ref(), &mentions),
            )
        }
        Step::Edit(a, post, m) => match nth(p.posts.keys().copied(), post) {
            Some(id) => world.send(
                a,
                threads::EDIT,
                bodies::edit_post(&id, "edited", &[world.key(m)]),
            ),
            None => return,
        },
        Step::ClaimantPosts(t) => {
            let Some(id) = task(t) else { return };
            let Some(claim) = p.tasks[&id].claim else {
                return;
            };
            let Some(a) = world.keys.iter().position(|k| k.author_key() == claim.by) else {
                return;
            };
            world.send(
                a,
                threads::POST,
                bodies::post(&Subject::Task(id), "progress", None, &[]),
            )
        }
        Step::Hide(a, post) => match nth(p.posts.keys().copied(), post) {
            Some(id) => world.send(a, threads::HIDE, bodies::hide_post(&id, "off topic")),
            None => return,
        },
    };
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Replaying the ledger gives the state that applying peer-production events one by
    /// one gave, and after every event the rows maintained from touched keys equal a full
    /// rendering of the state (checked inside `World::submit`).
    #[test]
    fn peer_production_replay_equals_incremental_apply(steps in proptest::collection::vec(step(), 1..80)) {
        let mut world = law_world();
        for s in steps {
            run(&mut world, s);
        }
        world.check_laws();
    }
}
