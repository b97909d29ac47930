//! Spec tests for the association: statutes and their amendment rule, admission under
//! each rule, polls (eligibility, ballot changes, close, thresholds, quorum, progressive
//! thresholds), chambers, delegation, elections, sanctions, and the law that replay equals
//! incremental apply.

use super::polls::{self, Decision, ballot_value};
use super::statutes::{self, ratio_value};
use super::*;
use crate::agents::profile_body;
use crate::rejection::Rejection;
use crate::state::AgentKind;
use crate::test_world::World;
use commons_ledger::cbor::Value;
use commons_tally::{Ballot, ConsentStance, Stance};
use proptest::prelude::*;

pub(crate) const T0: u64 = 1_700_000_000_000;
pub(crate) const DAY_MS: u64 = 86_400_000;

fn ratio(num: u64, den: u64) -> Ratio {
    Ratio::new(num, den).unwrap()
}

fn rule(method: &str, electorate: Electorate, threshold: Ratio, quorum: Ratio) -> DecisionRule {
    DecisionRule {
        method: method.into(),
        electorate,
        threshold,
        strict: false,
        quorum,
        chambers: None,
        progressive: None,
    }
}

/// Statutes with three chambers and the rules of the examples: amending takes 2/3 of
/// members with a 1/3 quorum; the board is elected by Scottish STV; general decisions
/// are a simple majority of members.
pub(crate) fn sample_statutes(admission: Admission) -> Statutes {
    let majority = ratio(1, 2);
    let mut rules = BTreeMap::new();
    rules.insert(
        DecisionKind::AmendStatutes,
        rule("proposal", Electorate::Members, ratio(2, 3), ratio(1, 3)),
    );
    rules.insert(
        DecisionKind::AdmitMember,
        DecisionRule {
            strict: true,
            ..rule("proposal", Electorate::Members, majority, Ratio::ZERO)
        },
    );
    rules.insert(
        DecisionKind::SuspendMember,
        rule("proposal", Electorate::Members, majority, ratio(1, 4)),
    );
    rules.insert(
        DecisionKind::ExpelMember,
        rule("proposal", Electorate::Members, ratio(2, 3), ratio(1, 2)),
    );
    rules.insert(
        DecisionKind::ElectBoard,
        rule(
            "stv-scottish",
            Electorate::Members,
            Ratio::ZERO,
            Ratio::ZERO,
        ),
    );
    rules.insert(
        DecisionKind::General,
        DecisionRule {
            strict: true,
            ..rule("proposal", Electorate::Members, majority, Ratio::ZERO)
        },
    );
    Statutes {
        name: "Friends of the field guide".into(),
        purpose: Some("Keep the guide free and its servers running".into()),
        admission,
        chambers: vec![
            Chamber {
                slug: "contributors".into(),
                name: "Contributors".into(),
                basis: ChamberBasis::Contributors,
            },
            Chamber {
                slug: "users".into(),
                name: "Users".into(),
                basis: ChamberBasis::Declared,
            },
            Chamber {
                slug: "businesses".into(),
                name: "Businesses".into(),
                basis: ChamberBasis::Declared,
            },
        ],
        contributor_window_months: 6,
        board_seats: 2,
        board_term_months: 12,
        treasurers: Vec::new(),
        treasurer_approvals: 1,
        rules,
    }
}

pub(crate) fn adopt_body(statutes: &Statutes) -> Value {
    Value::text_map([("statutes", statutes::value(statutes))])
}

fn apply_body(chambers: &[&str]) -> Value {
    Value::text_map([
        ("statement", Value::text("I use the guide every week")),
        (
            "chambers",
            Value::Array(chambers.iter().map(|c| Value::text(*c)).collect()),
        ),
    ])
}

fn vote_body(poll: &EventId, ballot: &Ballot, chamber: Option<&str>) -> Value {
    let mut fields = vec![
        ("poll", Value::bytes(poll.0.to_vec())),
        ("ballot", ballot_value(ballot)),
    ];
    if let Some(c) = chamber {
        fields.push(("chamber", Value::text(c)));
    }
    Value::text_map(fields)
}

fn code(result: Result<EventId, Rejection>) -> &'static str {
    match result {
        Ok(_) => panic!("the event was accepted but a rejection was expected"),
        Err(r) => r.code.as_str(),
    }
}

/// A world whose key 0 maintains the commons and adopted `statutes`; keys 1..=members
/// applied (and, under open admission, were admitted), users in the `users` chamber.
pub(crate) fn association(admission: Admission, members: usize) -> World {
    association_with(sample_statutes(admission), members)
}

pub(crate) fn association_with(statutes: Statutes, members: usize) -> World {
    let mut world = World::new(1, 1);
    world.tick(T0);
    world.ok(0, statutes::ADOPT, adopt_body(&statutes));
    for i in 1..=members {
        world.ok(i, members::APPLY, apply_body(&["users"]));
    }
    world
}

struct PollSpec {
    decision: &'static str,
    extra: Vec<(&'static str, Value)>,
}

impl PollSpec {
    fn general() -> PollSpec {
        PollSpec {
            decision: "general",
            extra: vec![],
        }
    }

    fn body(&self, closes_ms: u64) -> Value {
        let mut fields = vec![
            ("title", Value::text("Move the wiki to our own server")),
            ("decision", Value::text(self.decision)),
            ("closes_ms", Value::Unsigned(closes_ms)),
        ];
        fields.extend(self.extra.iter().cloned());
        Value::text_map(fields)
    }
}

impl World {
    fn open_poll(&mut self, author: usize, spec: &PollSpec) -> Result<EventId, Rejection> {
        let closes = self.state.time_ms + 7 * DAY_MS;
        self.send(author, polls::OPEN, spec.body(closes))
    }

    fn vote(&mut self, voter: usize, poll: &EventId, ballot: Ballot) -> Result<EventId, Rejection> {
        self.send(voter, polls::VOTE, vote_body(poll, &ballot, None))
    }

    pub(crate) fn stance(&mut self, voter: usize, poll: &EventId, stance: Stance) {
        let id = self.vote(voter, poll, Ballot::Proposal(stance));
        assert!(id.is_ok(), "vote by {voter} refused: {id:?}");
    }

    pub(crate) fn close_polls(&mut self) {
        self.tick(self.state.time_ms + 8 * DAY_MS);
    }

    fn poll(&self, id: &EventId) -> &polls::Poll {
        &self.state.association.polls[id]
    }

    fn result(&self, id: &EventId) -> &polls::PollResult {
        self.poll(id).result.as_ref().expect("the poll is closed")
    }
}

fn rule_value_with(base: DecisionRule, f: impl FnOnce(&mut DecisionRule)) -> Value {
    let mut r = base;
    f(&mut r);
    statutes::rule_value(&r)
}

#[test]
fn a_maintainer_adopts_the_first_statutes_and_becomes_the_first_member() {
    let world = association(Admission::Open, 0);
    let association = &world.state.association;
    assert_eq!(association.statutes, Some(sample_statutes(Admission::Open)));
    assert!(association.is_active_member(&world.key(0)));
    world.check_laws();
}

#[test]
fn statutes_are_adopted_only_by_a_maintainer_and_only_once() {
    let mut world = World::new(1, 1);
    world.tick(T0);
    let body = adopt_body(&sample_statutes(Admission::Open));
    assert_eq!(
        code(world.send(3, statutes::ADOPT, body.clone())),
        "not_authorised"
    );
    world.ok(0, statutes::ADOPT, body.clone());
    assert_eq!(
        code(world.send(0, statutes::ADOPT, body)),
        "amendment_rule_required"
    );
}

#[test]
fn statutes_must_give_a_rule_for_every_kind_of_decision() {
    let mut world = World::new(1, 1);
    let mut statutes = sample_statutes(Admission::Open);
    statutes.rules.remove(&DecisionKind::ExpelMember);
    assert_eq!(
        code(world.send(0, statutes::ADOPT, adopt_body(&statutes))),
        "body_invalid"
    );
    let mut statutes = sample_statutes(Admission::Open);
    statutes
        .rules
        .get_mut(&DecisionKind::ElectBoard)
        .unwrap()
        .method = "proposal".into();
    assert_eq!(
        code(world.send(0, statutes::ADOPT, adopt_body(&statutes))),
        "body_invalid"
    );
}

#[test]
fn statutes_round_trip_through_their_body_form() {
    let statutes = sample_statutes(Admission::Vote);
    let read = statutes::read(statutes::ADOPT, &statutes::value(&statutes)).unwrap();
    assert_eq!(read, statutes);
}

#[test]
fn under_open_admission_applying_admits() {
    let world = association(Admission::Open, 2);
    let member = &world.state.association.members[&world.key(1)];
    assert_eq!(member.status, MemberStatus::Active);
    assert_eq!(member.chambers, BTreeSet::from(["users".to_owned()]));
    world.check_laws();
}

#[test]
fn under_maintainer_admission_only_a_maintainer_admits() {
    let mut world = association(Admission::Maintainers, 0);
    let application = world.ok(1, members::APPLY, apply_body(&["users"]));
    assert!(!world.state.association.is_active_member(&world.key(1)));
    assert_eq!(
        code(world.send(1, members::APPLY, apply_body(&[]))),
        "application_pending"
    );
    let admit = Value::text_map([("application", Value::bytes(application.0.to_vec()))]);
    assert_eq!(
        code(world.send(2, members::ADMIT, admit.clone())),
        "admission_rule"
    );
    world.ok(0, members::ADMIT, admit.clone());
    assert!(world.state.association.is_active_member(&world.key(1)));
    assert_eq!(
        code(world.send(0, members::ADMIT, admit)),
        "application_closed"
    );
    assert_eq!(
        code(world.send(1, members::APPLY, apply_body(&[]))),
        "already_member"
    );
    world.check_laws();
}

#[test]
fn under_vote_admission_only_a_poll_admits() {
    let mut world = association(Admission::Vote, 0);
    let application = world.ok(1, members::APPLY, apply_body(&["businesses"]));
    let admit = Value::text_map([("application", Value::bytes(application.0.to_vec()))]);
    assert_eq!(code(world.send(0, members::ADMIT, admit)), "admission_rule");
    let poll = world
        .open_poll(
            0,
            &PollSpec {
                decision: "admit_member",
                extra: vec![("application", Value::bytes(application.0.to_vec()))],
            },
        )
        .unwrap();
    world.stance(0, &poll, Stance::Yes);
    world.close_polls();
    assert!(world.result(&poll).passed);
    let member = &world.state.association.members[&world.key(1)];
    assert_eq!(member.chambers, BTreeSet::from(["businesses".to_owned()]));
    world.check_laws();
}

#[test]
fn a_member_leaves_and_a_pending_applicant_withdraws() {
    let mut world = association(Admission::Open, 1);
    world.ok(1, members::LEAVE, Value::text_map([]));
    assert!(matches!(
        world.state.association.members[&world.key(1)].status,
        MemberStatus::Left { .. }
    ));
    assert_eq!(
        code(world.send(1, members::LEAVE, Value::text_map([]))),
        "not_member"
    );
    // Having left, one may apply again.
    world.ok(1, members::APPLY, apply_body(&[]));
    assert!(world.state.association.is_active_member(&world.key(1)));
    world.check_laws();
}

#[test]
fn a_proposal_passes_at_its_threshold_and_the_last_ballot_counts() {
    let mut world = association(Admission::Open, 3);
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    world.stance(0, &poll, Stance::Yes);
    world.stance(1, &poll, Stance::No);
    world.stance(2, &poll, Stance::Yes);
    // Key 1 changes their mind: the last ballot counts, the history stays.
    world.stance(1, &poll, Stance::Yes);
    world.stance(3, &poll, Stance::Abstain);
    assert_eq!(world.poll(&poll).ballots.len(), 5);
    assert_eq!(world.poll(&poll).n_voters(), 4);
    world.close_polls();
    let result = world.result(&poll);
    assert_eq!(result.counts, [3, 0, 1, 0]);
    assert_eq!(result.support.as_deref(), Some("1"));
    assert!(result.passed);
    assert_eq!(result.turnout_weight, 4);
    world.check_laws();
}

#[test]
fn a_strict_majority_is_not_met_by_a_tie() {
    let mut world = association(Admission::Open, 3);
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    world.stance(0, &poll, Stance::Yes);
    world.stance(1, &poll, Stance::No);
    world.close_polls();
    let result = world.result(&poll);
    assert_eq!(result.support.as_deref(), Some("1/2"));
    assert_eq!(result.required, "1/2");
    assert!(
        !result.passed,
        "1/2 does not exceed the strict threshold 1/2"
    );
}

#[test]
fn one_block_fails_a_proposal() {
    let mut world = association(Admission::Open, 3);
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    for i in 0..3 {
        world.stance(i, &poll, Stance::Yes);
    }
    world.stance(3, &poll, Stance::Block);
    world.close_polls();
    assert!(!world.result(&poll).passed);
}

#[test]
fn a_vote_outside_the_frozen_electorate_is_refused() {
    let mut world = association(Admission::Open, 2);
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    // Key 5 joins after the poll opened: the electorate was frozen without them.
    world.ok(5, members::APPLY, apply_body(&[]));
    assert_eq!(
        code(world.vote(5, &poll, Ballot::Proposal(Stance::Yes))),
        "not_eligible"
    );
    assert_eq!(world.poll(&poll).electorate.len(), 3);
    assert_eq!(
        world.poll(&poll).electorate_hash,
        polls::electorate_hash(&world.poll(&poll).electorate)
    );
}

#[test]
fn a_vote_after_close_is_refused() {
    let mut world = association(Admission::Open, 2);
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    world.stance(0, &poll, Stance::Yes);
    world.close_polls();
    assert_eq!(
        code(world.vote(1, &poll, Ballot::Proposal(Stance::Yes))),
        "poll_closed"
    );
}

#[test]
fn in_a_poll_with_final_ballots_a_second_ballot_is_refused_so_nobody_counts_twice() {
    let mut world = association(Admission::Open, 2);
    let mut spec = PollSpec::general();
    spec.extra.push(("final_ballots", Value::Bool(true)));
    let poll = world.open_poll(1, &spec).unwrap();
    world.stance(1, &poll, Stance::Yes);
    assert_eq!(
        code(world.vote(1, &poll, Ballot::Proposal(Stance::Yes))),
        "already_voted"
    );
    world.close_polls();
    assert_eq!(world.result(&poll).turnout_weight, 1);
}

fn general_with(rule: Value, options: &[&str], parameters: Option<Value>) -> PollSpec {
    let mut extra = vec![
        ("rule", rule),
        (
            "options",
            Value::Array(options.iter().map(|o| Value::text(*o)).collect()),
        ),
    ];
    if let Some(p) = parameters {
        extra.push(("parameters", p));
    }
    PollSpec {
        decision: "general",
        extra,
    }
}

#[test]
fn bad_ballots_get_their_own_codes() {
    let mut world = association(Admission::Open, 2);
    let members_rule = |m: &str| rule(m, Electorate::Members, Ratio::ZERO, Ratio::ZERO);
    let score = world
        .open_poll(
            1,
            &general_with(
                statutes::rule_value(&members_rule("score")),
                &["a", "b"],
                Some(Value::text_map([("max", Value::Unsigned(5))])),
            ),
        )
        .unwrap();
    assert_eq!(
        code(world.vote(1, &score, Ballot::Scores(vec![(0, 9)]))),
        "score_out_of_range"
    );
    let dots = world
        .open_poll(
            1,
            &general_with(
                statutes::rule_value(&members_rule("dot")),
                &["a", "b"],
                Some(Value::text_map([("budget", Value::Unsigned(3))])),
            ),
        )
        .unwrap();
    assert_eq!(
        code(world.vote(1, &dots, Ballot::Scores(vec![(0, 2), (1, 2)]))),
        "too_many_dots"
    );
    let ranked = world
        .open_poll(
            1,
            &general_with(
                statutes::rule_value(&members_rule("schulze")),
                &["a", "b", "c"],
                None,
            ),
        )
        .unwrap();
    assert_eq!(
        code(world.vote(1, &ranked, Ballot::Ranking(vec![vec![0], vec![1], vec![0]]))),
        "ranking_duplicate"
    );
    assert_eq!(
        code(world.vote(1, &ranked, Ballot::Proposal(Stance::Yes))),
        "ballot_invalid"
    );
    world
        .vote(1, &ranked, Ballot::Ranking(vec![vec![2], vec![0]]))
        .unwrap();
    world.check_laws();
}

#[test]
fn the_statutes_change_only_through_their_amendment_rule() {
    let mut world = association(Admission::Open, 5);
    let mut amended = sample_statutes(Admission::Maintainers);
    amended.name = "Friends of the field guide, amended".into();
    let spec = PollSpec {
        decision: "amend_statutes",
        extra: vec![("statutes", statutes::value(&amended))],
    };
    // A poll under another rule cannot amend: the statutes' rule is imposed.
    let mut with_rule = PollSpec {
        decision: "amend_statutes",
        extra: spec.extra.clone(),
    };
    with_rule.extra.push((
        "rule",
        statutes::rule_value(&rule(
            "proposal",
            Electorate::Members,
            Ratio::ZERO,
            Ratio::ZERO,
        )),
    ));
    assert_eq!(code(world.open_poll(1, &with_rule)), "body_invalid");
    // 3 yes, 2 no of 6 members: 3/5 is below 2/3, so nothing changes.
    let failing = world.open_poll(1, &spec).unwrap();
    for i in 0..3 {
        world.stance(i, &failing, Stance::Yes);
    }
    world.stance(3, &failing, Stance::No);
    world.stance(4, &failing, Stance::No);
    world.close_polls();
    assert!(!world.result(&failing).passed);
    assert_eq!(
        world.state.association.statutes.as_ref().unwrap().name,
        "Friends of the field guide"
    );
    // 4 yes, 2 no: 2/3 reaches the threshold.
    let passing = world.open_poll(1, &spec).unwrap();
    for i in 0..4 {
        world.stance(i, &passing, Stance::Yes);
    }
    world.stance(4, &passing, Stance::No);
    world.stance(5, &passing, Stance::No);
    world.close_polls();
    assert!(world.result(&passing).passed);
    assert_eq!(world.state.association.statutes.as_ref(), Some(&amended));
    assert_eq!(world.state.association.statutes_history.len(), 2);
    world.check_laws();
}

#[test]
fn below_quorum_nothing_passes() {
    let mut world = association(Admission::Open, 5);
    let mut amended = sample_statutes(Admission::Open);
    amended.board_seats = 3;
    let poll = world
        .open_poll(
            1,
            &PollSpec {
                decision: "amend_statutes",
                extra: vec![("statutes", statutes::value(&amended))],
            },
        )
        .unwrap();
    // One of six votes: turnout 1/6 is below the quorum of 1/3.
    world.stance(0, &poll, Stance::Yes);
    world.close_polls();
    let result = world.result(&poll);
    assert!(!result.quorum_met);
    assert!(!result.passed);
}

#[test]
fn a_progressive_threshold_rises_as_turnout_falls() {
    let mut world = association(Admission::Open, 9);
    let progressive = rule_value_with(
        rule("proposal", Electorate::Members, ratio(1, 2), ratio(1, 5)),
        |r| {
            r.progressive = Some(Progressive {
                full_turnout: ratio(4, 5),
                max_threshold: ratio(4, 5),
            })
        },
    );
    let poll = world
        .open_poll(
            1,
            &PollSpec {
                decision: "general",
                extra: vec![("rule", progressive)],
            },
        )
        .unwrap();
    // 5 of 10 vote: turnout 1/2, halfway from the quorum (1/5) to full (4/5), so the
    // required support is 1/2 + (4/5 - 1/2) * (4/5 - 1/2) / (4/5 - 1/5) = 13/20.
    for i in 0..3 {
        world.stance(i, &poll, Stance::Yes);
    }
    world.stance(3, &poll, Stance::No);
    world.stance(4, &poll, Stance::No);
    world.close_polls();
    let result = world.result(&poll);
    assert_eq!(result.required, "13/20");
    assert_eq!(result.support.as_deref(), Some("3/5"));
    assert!(!result.passed, "3/5 is below 13/20");
}

#[test]
fn consent_is_blocked_by_an_open_objection_until_it_is_resolved() {
    let mut world = association(Admission::Open, 3);
    let consent = statutes::rule_value(&rule(
        "consent",
        Electorate::Members,
        Ratio::ZERO,
        Ratio::ZERO,
    ));
    let spec = PollSpec {
        decision: "general",
        extra: vec![("rule", consent)],
    };
    let blocked = world.open_poll(1, &spec).unwrap();
    let resolved = world.open_poll(1, &spec).unwrap();
    for poll in [&blocked, &resolved] {
        world
            .vote(0, poll, Ballot::Consent(ConsentStance::Consent))
            .unwrap();
        world
            .vote(
                2,
                poll,
                Ballot::Consent(ConsentStance::Object { resolved: false }),
            )
            .unwrap();
    }
    world
        .vote(
            2,
            &resolved,
            Ballot::Consent(ConsentStance::Object { resolved: true }),
        )
        .unwrap();
    world.close_polls();
    assert!(!world.result(&blocked).passed);
    assert_eq!(world.result(&blocked).counts[1], 1, "one open objection");
    assert!(world.result(&resolved).passed);
}

/// Statutes whose general rule is tallied by chamber.
fn chamber_world(chambers: ChamberRule) -> World {
    let mut statutes = sample_statutes(Admission::Open);
    statutes.rules.insert(
        DecisionKind::General,
        DecisionRule {
            chambers: Some(chambers),
            ..rule("proposal", Electorate::Members, ratio(1, 2), Ratio::ZERO)
        },
    );
    let mut world = association_with(statutes, 0);
    // Keys 1..=3 users, 4..=5 businesses.
    for i in 1..=3 {
        world.ok(i, members::APPLY, apply_body(&["users"]));
    }
    for i in 4..=5 {
        world.ok(i, members::APPLY, apply_body(&["businesses"]));
    }
    world
}

#[test]
fn a_concurrent_majority_must_pass_in_every_chamber() {
    let mut world = chamber_world(ChamberRule {
        combine: Combine::Concurrent { required: 2 },
        chamber_quorum: Ratio::ZERO,
        veto: vec![],
    });
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    for i in 1..=3 {
        world.stance(i, &poll, Stance::Yes);
    }
    world.stance(4, &poll, Stance::No);
    world.stance(5, &poll, Stance::No);
    world.close_polls();
    let result = world.result(&poll);
    // Overall 3 yes of 5, but the businesses said no.
    assert_eq!(result.support.as_deref(), Some("3/5"));
    let by_chamber: Vec<(&str, bool)> = result
        .chambers
        .iter()
        .map(|c| (c.slug.as_str(), c.passed))
        .collect();
    assert_eq!(
        by_chamber,
        [
            ("contributors", false),
            ("users", true),
            ("businesses", false)
        ]
    );
    assert!(!result.passed);
}

#[test]
fn weighted_chambers_combine_support_by_their_weights() {
    let weights = BTreeMap::from([
        ("users".to_owned(), ratio(1, 4)),
        ("businesses".to_owned(), ratio(3, 4)),
        ("contributors".to_owned(), ratio(0, 1)),
    ]);
    let mut world = chamber_world(ChamberRule {
        combine: Combine::Weighted { weights },
        chamber_quorum: Ratio::ZERO,
        veto: vec![],
    });
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    for i in 1..=3 {
        world.stance(i, &poll, Stance::No);
    }
    world.stance(4, &poll, Stance::Yes);
    world.stance(5, &poll, Stance::Yes);
    world.close_polls();
    let result = world.result(&poll);
    // users 0 * 1/4 + businesses 1 * 3/4 = 3/4 > 1/2 (the contributors chamber is empty
    // and weighs nothing).
    assert_eq!(result.support.as_deref(), Some("3/4"));
    assert!(result.passed);
}

#[test]
fn a_chamber_veto_fails_the_poll_whatever_the_others_say() {
    let mut world = chamber_world(ChamberRule {
        combine: Combine::Concurrent { required: 1 },
        chamber_quorum: Ratio::ZERO,
        veto: vec!["businesses".into()],
    });
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    for i in 1..=3 {
        world.stance(i, &poll, Stance::Yes);
    }
    world.stance(4, &poll, Stance::No);
    world.stance(5, &poll, Stance::No);
    world.close_polls();
    assert!(!world.result(&poll).passed);
}

#[test]
fn a_person_in_two_chambers_votes_once_in_each() {
    let mut world = chamber_world(ChamberRule {
        combine: Combine::Concurrent { required: 2 },
        chamber_quorum: Ratio::ZERO,
        veto: vec![],
    });
    // Key 6 sits in users and businesses.
    world.ok(6, members::APPLY, apply_body(&["users", "businesses"]));
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    let yes = Ballot::Proposal(Stance::Yes);
    let no = Ballot::Proposal(Stance::No);
    world
        .send(6, polls::VOTE, vote_body(&poll, &yes, Some("users")))
        .unwrap();
    world
        .send(6, polls::VOTE, vote_body(&poll, &no, Some("businesses")))
        .unwrap();
    assert_eq!(
        code(world.send(6, polls::VOTE, vote_body(&poll, &no, Some("contributors")))),
        "not_in_chamber"
    );
    world.close_polls();
    let result = world.result(&poll);
    let counts: Vec<(&str, u64)> = result
        .chambers
        .iter()
        .map(|c| (c.slug.as_str(), c.turnout_weight))
        .collect();
    assert_eq!(
        counts,
        [("contributors", 0), ("users", 1), ("businesses", 1)]
    );
    // Overall, key 6 counts once.
    assert_eq!(result.turnout_weight, 1);
}

#[test]
fn a_delegated_vote_counts_unless_the_delegator_votes_directly() {
    let mut world = association(Admission::Open, 4);
    let to = |k: AuthorKey| Value::text_map([("to", Value::bytes(k.to_bytes().to_vec()))]);
    world.ok(2, delegation::SET, to(world.key(1)));
    world.ok(3, delegation::SET, to(world.key(2)));
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    world.stance(1, &poll, Stance::Yes);
    world.stance(4, &poll, Stance::No);
    world.stance(0, &poll, Stance::No);
    // Key 3 votes directly, overriding its delegation; key 2 does not and is counted
    // with key 1's ballot.
    world.stance(3, &poll, Stance::No);
    world.close_polls();
    let result = world.result(&poll);
    assert_eq!(result.counts, [2, 3, 0, 0]);
    assert_eq!(result.delegated, vec![(world.key(2), world.key(1))]);
    world.check_laws();
}

#[test]
fn a_delegation_cycle_is_refused() {
    let mut world = association(Admission::Open, 3);
    let to = |k: AuthorKey| Value::text_map([("to", Value::bytes(k.to_bytes().to_vec()))]);
    world.ok(1, delegation::SET, to(world.key(2)));
    world.ok(2, delegation::SET, to(world.key(3)));
    assert_eq!(
        code(world.send(3, delegation::SET, to(world.key(1)))),
        "delegation_cycle"
    );
    assert_eq!(
        code(world.send(3, delegation::SET, to(world.key(3)))),
        "delegation_cycle"
    );
    world.ok(2, delegation::REVOKE, Value::text_map([]));
    world.ok(3, delegation::SET, to(world.key(1)));
    world.check_laws();
}

#[test]
fn the_board_is_elected_by_stv_for_its_term() {
    let mut world = association(Admission::Open, 5);
    for i in 0..6 {
        world.ok(
            i,
            crate::agents::PROFILE,
            profile_body(&format!("Person {i}"), AgentKind::Person),
        );
    }
    let candidates = [1usize, 2, 3];
    let poll = world
        .open_poll(
            0,
            &PollSpec {
                decision: "elect_board",
                extra: vec![(
                    "candidates",
                    Value::Array(
                        candidates
                            .iter()
                            .map(|i| Value::bytes(world.key(*i).to_bytes().to_vec()))
                            .collect(),
                    ),
                )],
            },
        )
        .unwrap();
    assert_eq!(world.poll(&poll).options[0], "Person 1");
    // 3 rank Person 1 first, 2 rank Person 3 first, 1 ranks Person 2 first.
    for i in 0..3 {
        world
            .vote(i, &poll, Ballot::Ranking(vec![vec![0], vec![1], vec![2]]))
            .unwrap();
    }
    for i in 3..5 {
        world
            .vote(i, &poll, Ballot::Ranking(vec![vec![2], vec![0]]))
            .unwrap();
    }
    world
        .vote(5, &poll, Ballot::Ranking(vec![vec![1]]))
        .unwrap();
    world.close_polls();
    assert!(world.result(&poll).passed);
    assert_eq!(
        world.state.association.board,
        vec![world.key(1), world.key(3)]
    );
    // The term ends after 12 months of ledger time.
    world.tick(world.state.time_ms + 13 * 31 * DAY_MS);
    assert!(world.state.association.board.is_empty());
    world.check_laws();
}

#[test]
fn a_suspension_by_poll_ends_by_itself_and_an_expulsion_stays() {
    let mut world = association(Admission::Open, 4);
    let sanction = |decision: &'static str, member: AuthorKey| PollSpec {
        decision,
        extra: vec![
            ("member", Value::bytes(member.to_bytes().to_vec())),
            ("reason", Value::text("harassed other members")),
            ("days", Value::Unsigned(10)),
        ],
    };
    let suspend = world
        .open_poll(0, &sanction("suspend_member", world.key(4)))
        .unwrap();
    for i in 0..3 {
        world.stance(i, &suspend, Stance::Yes);
    }
    world.close_polls();
    assert!(matches!(
        world.state.association.members[&world.key(4)].status,
        MemberStatus::Suspended { .. }
    ));
    assert_eq!(code(world.open_poll(4, &PollSpec::general())), "not_member");
    world.tick(world.state.time_ms + 11 * DAY_MS);
    assert!(world.state.association.is_active_member(&world.key(4)));
    let mut expel = sanction("expel_member", world.key(4));
    expel.extra.pop();
    let expel = world.open_poll(0, &expel).unwrap();
    for i in 0..4 {
        world.stance(i, &expel, Stance::Yes);
    }
    world.close_polls();
    assert!(matches!(
        world.state.association.members[&world.key(4)].status,
        MemberStatus::Expelled { .. }
    ));
    assert_eq!(
        code(world.send(4, members::APPLY, apply_body(&[]))),
        "member_expelled"
    );
    world.check_laws();
}

#[test]
fn an_outcome_statement_follows_the_close_with_a_review_date() {
    let mut world = association(Admission::Open, 1);
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    let statement = |review: u64| {
        Value::text_map([
            ("poll", Value::bytes(poll.0.to_vec())),
            ("statement", Value::text("We move in March; Ana leads it")),
            ("review_ms", Value::Unsigned(review)),
        ])
    };
    let review = world.state.time_ms + 90 * DAY_MS;
    assert_eq!(
        code(world.send(1, polls::STATEMENT, statement(review))),
        "poll_open"
    );
    world.stance(1, &poll, Stance::Yes);
    world.close_polls();
    world.ok(1, polls::STATEMENT, statement(review));
    assert_eq!(world.poll(&poll).statements.len(), 1);
    world.check_laws();
}

#[test]
fn a_closed_polls_counted_profile_recounts_to_its_outcome_whatever_delegations_do_later() {
    let mut world = association(Admission::Open, 4);
    let to = |k: AuthorKey| Value::text_map([("to", Value::bytes(k.to_bytes().to_vec()))]);
    world.ok(2, delegation::SET, to(world.key(1)));
    let irv = statutes::rule_value(&rule("irv", Electorate::Members, Ratio::ZERO, Ratio::ZERO));
    let poll = world
        .open_poll(1, &general_with(irv, &["a", "b", "c"], None))
        .unwrap();
    let rank = |r: &[usize]| Ballot::Ranking(r.iter().map(|c| vec![*c]).collect());
    world.vote(0, &poll, rank(&[0, 1])).unwrap();
    world.vote(1, &poll, rank(&[1, 0])).unwrap();
    world.vote(3, &poll, rank(&[2, 1])).unwrap();
    world.vote(4, &poll, rank(&[0])).unwrap();
    world.close_polls();
    // Key 2's delegation changes after the close: the counted ballots do not.
    world.ok(2, delegation::REVOKE, Value::text_map([]));
    world.ok(2, delegation::SET, to(world.key(3)));
    let closed = world.poll(&poll);
    let result = world.result(&poll);
    assert_eq!(result.delegated, vec![(world.key(2), world.key(1))]);
    let profile = polls::counted_profile(&world.state, closed);
    assert_eq!(profile.ballots.iter().map(|b| b.weight).sum::<u64>(), 5);
    let recount = commons_tally::count(&closed.method, &profile, result.seed).unwrap();
    assert_eq!(Some(recount), result.outcome);
}

#[test]
fn ballots_round_trip_through_their_body_form() {
    let ballots = [
        Ballot::Choice(2),
        Ballot::Approval(vec![0, 3]),
        Ballot::Scores(vec![(0, 5), (1, 0)]),
        Ballot::Ranking(vec![vec![1], vec![0, 2]]),
        Ballot::Proposal(Stance::Block),
        Ballot::Consent(ConsentStance::Object { resolved: true }),
        Ballot::Availability(vec![(0, commons_tally::Availability::IfNeedBe)]),
    ];
    for ballot in ballots {
        assert_eq!(polls::read_ballot(&ballot_value(&ballot)).unwrap(), ballot);
    }
    // Keep the ratio body form honest too.
    assert_eq!(
        ratio_value(&ratio(2, 3)),
        Value::Array(vec![Value::Unsigned(2), Value::Unsigned(3)])
    );
    let _ = Decision::General;
}

#[derive(Clone, Debug)]
enum Step {
    Tick(u64),
    Apply(usize, u8),
    Leave(usize),
    Open(usize, u8),
    Vote(usize, usize, u8),
    Delegate(usize, usize),
    Revoke(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let who = 0..8usize;
    prop_oneof![
        2 => (0..4 * DAY_MS).prop_map(Step::Tick),
        2 => (who.clone(), any::<u8>()).prop_map(|(a, c)| Step::Apply(a, c)),
        1 => who.clone().prop_map(Step::Leave),
        2 => (who.clone(), any::<u8>()).prop_map(|(a, k)| Step::Open(a, k)),
        6 => (who.clone(), 0..4usize, any::<u8>()).prop_map(|(a, p, b)| Step::Vote(a, p, b)),
        1 => (who.clone(), who.clone()).prop_map(|(a, b)| Step::Delegate(a, b)),
        1 => who.prop_map(Step::Revoke),
    ]
}

fn run(world: &mut World, step: Step) {
    let polls: Vec<EventId> = world.state.association.polls.keys().copied().collect();
    let _ = match step {
        Step::Tick(delta) => {
            world.tick(world.state.time_ms + delta);
            return;
        }
        Step::Apply(a, c) => {
            let chambers: &[&str] = match c % 3 {
                0 => &[],
                1 => &["users"],
                _ => &["users", "businesses"],
            };
            world.send(a, members::APPLY, apply_body(chambers))
        }
        Step::Leave(a) => world.send(a, members::LEAVE, Value::text_map([])),
        Step::Open(a, k) => {
            let spec = match k % 3 {
                0 => PollSpec::general(),
                1 => general_with(
                    statutes::rule_value(&rule(
                        "irv",
                        Electorate::Members,
                        Ratio::ZERO,
                        Ratio::ZERO,
                    )),
                    &["a", "b", "c"],
                    None,
                ),
                _ => general_with(
                    statutes::rule_value(&rule(
                        "consent",
                        Electorate::Members,
                        Ratio::ZERO,
                        Ratio::ZERO,
                    )),
                    &[],
                    None,
                ),
            };
            world.open_poll(a, &spec)
        }
        Step::Vote(a, p, b) => {
            let Some(poll) = polls.get(p % polls.len().max(1)) else {
                return;
            };
            let ballot = match world.poll(poll).method {
                commons_tally::Method::Irv => {
                    let first = usize::from(b % 3);
                    Ballot::Ranking(vec![vec![first], vec![(first + 1) % 3]])
                }
                commons_tally::Method::Consent => Ballot::Consent(match b % 3 {
                    0 => ConsentStance::Consent,
                    1 => ConsentStance::Object { resolved: false },
                    _ => ConsentStance::Object { resolved: true },
                }),
                _ => Ballot::Proposal(match b % 4 {
                    0 => Stance::Yes,
                    1 => Stance::No,
                    2 => Stance::Abstain,
                    _ => Stance::Block,
                }),
            };
            world.vote(a, poll, ballot)
        }
        Step::Delegate(a, b) => {
            let to = world.key(b);
            world.send(
                a,
                delegation::SET,
                Value::text_map([("to", Value::bytes(to.to_bytes().to_vec()))]),
            )
        }
        Step::Revoke(a) => world.send(a, delegation::REVOKE, Value::text_map([])),
    };
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Replaying the ledger gives the state applying association events one by one gave,
    /// and after every event the maintained rows equal a full rendering.
    #[test]
    fn association_replay_equals_incremental_apply(steps in proptest::collection::vec(step(), 1..60)) {
        let mut world = association(Admission::Open, 0);
        for s in steps {
            run(&mut world, s);
        }
        world.close_polls();
        world.check_laws();
    }
}

pub(crate) mod budgeting {
    use super::super::budget::{self, Ballot as BudgetVote, ProjectStatus};
    use super::*;

    pub(crate) fn round_body(model: &str, rule: &str, pool: u64, now: u64) -> Value {
        Value::text_map([
            ("title", Value::text("Spring round")),
            (
                "guidelines",
                Value::text("Projects must serve the whole community"),
            ),
            ("pool", Value::Unsigned(pool)),
            ("currency", Value::text("EUR")),
            ("model", Value::text(model)),
            ("rule", Value::text(rule)),
            ("proposals_close_ms", Value::Unsigned(now + 2 * DAY_MS)),
            ("closes_ms", Value::Unsigned(now + 9 * DAY_MS)),
        ])
    }

    pub(crate) fn project_body(round: &EventId, name: &str, required: u64, optional: u64) -> Value {
        let mut items = vec![Value::text_map([
            ("label", Value::text("work")),
            ("amount", Value::Unsigned(required)),
        ])];
        if optional > 0 {
            items.push(Value::text_map([
                ("label", Value::text("extras")),
                ("amount", Value::Unsigned(optional)),
                ("optional", Value::Bool(true)),
            ]));
        }
        Value::text_map([
            ("round", Value::bytes(round.0.to_vec())),
            ("name", Value::text(name)),
            ("items", Value::Array(items)),
        ])
    }

    pub(crate) fn vote(
        world: &mut World,
        voter: usize,
        round: &EventId,
        ballot: &BudgetVote,
    ) -> Result<EventId, Rejection> {
        world.send(
            voter,
            budget::VOTE,
            Value::text_map([
                ("round", Value::bytes(round.0.to_vec())),
                ("ballot", budget::ballot_value(ballot)),
            ]),
        )
    }

    fn project_ref(project: &EventId, reason: &str, decision: Option<&str>) -> Value {
        let mut fields = vec![
            ("project", Value::bytes(project.0.to_vec())),
            ("reason", Value::text(reason)),
        ];
        if let Some(d) = decision {
            fields.push(("decision", Value::text(d)));
        }
        Value::text_map(fields)
    }

    fn status(world: &World, project: &EventId) -> ProjectStatus {
        world.state.association.budgets.projects[project]
            .status
            .clone()
    }

    #[test]
    fn an_approval_round_funds_winners_and_grants_spending_authorisations() {
        let mut world = association(Admission::Open, 4);
        let now = world.state.time_ms;
        assert_eq!(
            code(world.send(
                1,
                budget::OPEN,
                round_body("approval", "greedy", 1_000, now)
            )),
            "not_authorised"
        );
        let round = world.ok(
            0,
            budget::OPEN,
            round_body("approval", "greedy", 1_000, now),
        );
        let garden = world.ok(1, budget::PROPOSE, project_body(&round, "Garden", 600, 0));
        let server = world.ok(2, budget::PROPOSE, project_body(&round, "Server", 500, 100));
        let cameras = world.ok(3, budget::PROPOSE, project_body(&round, "Cameras", 300, 0));
        // Ballots may come while proposals are open; the last one counts.
        vote(&mut world, 1, &round, &BudgetVote::Approve(vec![server])).unwrap();
        world.tick(now + 3 * DAY_MS);
        assert_eq!(
            code(world.send(4, budget::PROPOSE, project_body(&round, "Late", 10, 0))),
            "budget_phase"
        );
        for voter in 0..3 {
            vote(
                &mut world,
                voter,
                &round,
                &BudgetVote::Approve(vec![garden, cameras]),
            )
            .unwrap();
        }
        vote(&mut world, 3, &round, &BudgetVote::Approve(vec![server])).unwrap();
        world.tick(now + 10 * DAY_MS);
        // Greedy by votes: Garden (3 votes, 600) and Cameras (3 votes, 300) fit 1,000;
        // Server (1 vote, 500) no longer does.
        assert_eq!(
            status(&world, &garden),
            ProjectStatus::Funded { amount: 600 }
        );
        assert_eq!(
            status(&world, &cameras),
            ProjectStatus::Funded { amount: 300 }
        );
        assert_eq!(status(&world, &server), ProjectStatus::Unfunded);
        let budgets = &world.state.association.budgets;
        assert_eq!(budgets.authorised(&garden), 600);
        assert_eq!(budgets.authorisations.len(), 2);
        let result = budgets.rounds[&round].result.as_ref().unwrap();
        assert_eq!(result.outcome.as_ref().unwrap().leftover, 100);
        world.check_laws();
    }

    #[test]
    fn a_cancelled_project_releases_its_funds_by_a_reversing_entry() {
        let mut world = association(Admission::Open, 2);
        let now = world.state.time_ms;
        let round = world.ok(
            0,
            budget::OPEN,
            round_body("approval", "equal_shares", 900, now),
        );
        let garden = world.ok(1, budget::PROPOSE, project_body(&round, "Garden", 600, 0));
        world.tick(now + 3 * DAY_MS);
        for voter in 0..3 {
            vote(
                &mut world,
                voter,
                &round,
                &BudgetVote::Approve(vec![garden]),
            )
            .unwrap();
        }
        world.tick(now + 10 * DAY_MS);
        assert_eq!(
            status(&world, &garden),
            ProjectStatus::Funded { amount: 600 }
        );
        assert_eq!(
            code(world.send(
                1,
                budget::CANCEL,
                project_ref(&garden, "the plot was sold", None)
            )),
            "not_authorised"
        );
        world.ok(
            0,
            budget::CANCEL,
            project_ref(&garden, "the plot was sold", None),
        );
        let budgets = &world.state.association.budgets;
        assert_eq!(budgets.authorised(&garden), 0);
        // The grant stays; the release reverses it.
        assert_eq!(budgets.authorisations.len(), 2);
        assert!(budgets.authorisations[1].release);
        world.check_laws();
    }

    #[test]
    fn co_funding_gives_each_member_an_equal_allocation_and_funds_what_reaches_its_minimum() {
        let mut world = association(Admission::Open, 3);
        let now = world.state.time_ms;
        // Four members, a pool of 1,000: 250 each.
        let round = world.ok(
            0,
            budget::OPEN,
            round_body("co_funding", "greedy", 1_000, now),
        );
        let garden = world.ok(1, budget::PROPOSE, project_body(&round, "Garden", 400, 100));
        let mural = world.ok(2, budget::PROPOSE, project_body(&round, "Mural", 300, 0));
        world.tick(now + 3 * DAY_MS);
        assert_eq!(
            code(vote(
                &mut world,
                0,
                &round,
                &BudgetVote::CoFund(vec![(garden, 300)])
            )),
            "budget_ballot_invalid"
        );
        vote(
            &mut world,
            0,
            &round,
            &BudgetVote::CoFund(vec![(garden, 250)]),
        )
        .unwrap();
        vote(
            &mut world,
            1,
            &round,
            &BudgetVote::CoFund(vec![(garden, 200), (mural, 50)]),
        )
        .unwrap();
        vote(
            &mut world,
            2,
            &round,
            &BudgetVote::CoFund(vec![(mural, 100)]),
        )
        .unwrap();
        world.tick(now + 10 * DAY_MS);
        // Garden gets 450 (of its 400..500); Mural's 150 is below its 300 minimum.
        assert_eq!(
            status(&world, &garden),
            ProjectStatus::Funded { amount: 450 }
        );
        assert_eq!(status(&world, &mural), ProjectStatus::Unfunded);
        let outcome = world.state.association.budgets.rounds[&round]
            .result
            .as_ref()
            .unwrap()
            .outcome
            .clone()
            .unwrap();
        assert!(outcome.total_spent <= 1_000);
        assert_eq!(outcome.total_spent + outcome.leftover, 1_000);
        world.check_laws();
    }

    #[test]
    fn a_flagged_project_excluded_on_review_is_not_counted() {
        let mut world = association(Admission::Open, 2);
        let now = world.state.time_ms;
        let round = world.ok(
            0,
            budget::OPEN,
            round_body("approval", "greedy", 1_000, now),
        );
        let ads = world.ok(
            1,
            budget::PROPOSE,
            project_body(&round, "Ads for my shop", 200, 0),
        );
        assert_eq!(
            code(world.send(0, budget::REVIEW, project_ref(&ads, "fine", Some("keep")))),
            "body_invalid"
        );
        world.ok(
            2,
            budget::FLAG,
            project_ref(&ads, "serves one business", None),
        );
        world.ok(
            0,
            budget::REVIEW,
            project_ref(&ads, "breaks the guidelines", Some("exclude")),
        );
        world.tick(now + 3 * DAY_MS);
        assert_eq!(
            code(vote(&mut world, 1, &round, &BudgetVote::Approve(vec![ads]))),
            "budget_project_unknown"
        );
        world.tick(now + 10 * DAY_MS);
        assert!(matches!(
            status(&world, &ads),
            ProjectStatus::Excluded { .. }
        ));
        world.check_laws();
    }

    #[test]
    fn a_knapsack_basket_over_the_pool_is_refused() {
        let mut world = association(Admission::Open, 1);
        let now = world.state.time_ms;
        let round = world.ok(0, budget::OPEN, round_body("knapsack", "greedy", 500, now));
        let a = world.ok(1, budget::PROPOSE, project_body(&round, "A", 300, 0));
        let b = world.ok(1, budget::PROPOSE, project_body(&round, "B", 300, 0));
        world.tick(now + 3 * DAY_MS);
        let refused = vote(&mut world, 1, &round, &BudgetVote::Basket(vec![a, b])).unwrap_err();
        assert_eq!(refused.code.as_str(), "budget_ballot_invalid");
        assert!(
            refused.message.contains("basket_over_budget"),
            "{}",
            refused.message
        );
        vote(&mut world, 1, &round, &BudgetVote::Basket(vec![a])).unwrap();
    }
}

#[test]
fn a_rotated_key_keeps_its_membership_and_its_one_vote() {
    let mut world = association(Admission::Open, 2);
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    world.stance(1, &poll, Stance::No);
    world.rotate(1, [77; 32]);
    // The new key votes as the same member: its ballot replaces the old key's.
    world.stance(1, &poll, Stance::Yes);
    assert_eq!(world.poll(&poll).n_voters(), 1);
    assert_eq!(
        code(world.send(1, members::APPLY, apply_body(&[]))),
        "already_member"
    );
    world.close_polls();
    assert_eq!(world.result(&poll).counts, [1, 0, 0, 0]);
    world.check_laws();
}

#[test]
fn the_named_limits_hold_ballots_per_voter_open_polls_and_delegation_depth() {
    let mut world = association(Admission::Open, 9);
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    for n in 0..BALLOTS_PER_VOTER_MAX {
        let stance = if n % 2 == 0 { Stance::Yes } else { Stance::No };
        world.stance(1, &poll, stance);
    }
    assert_eq!(
        code(world.vote(1, &poll, Ballot::Proposal(Stance::Yes))),
        "limit_reached"
    );
    for _ in 1..OPEN_POLLS_MAX {
        world.open_poll(2, &PollSpec::general()).unwrap();
    }
    assert_eq!(
        code(world.open_poll(2, &PollSpec::general())),
        "limit_reached"
    );
    world.close_polls();
    // After the close, polls may open again.
    world.open_poll(2, &PollSpec::general()).unwrap();
    world.check_laws();
}

#[test]
fn a_delegation_chain_longer_than_the_depth_limit_is_refused() {
    let mut world = association(Admission::Open, 9);
    let extra: Vec<commons_ledger::SecretKey> = (0..DELEGATION_DEPTH_MAX as u8 + 2)
        .map(|i| commons_ledger::SecretKey::from_seed([200u8.wrapping_add(i); 32]))
        .collect();
    let first = world.keys.len();
    world.keys.extend(extra);
    let to = |k: AuthorKey| Value::text_map([("to", Value::bytes(k.to_bytes().to_vec()))]);
    // key(first) -> key(first + 1) -> ... : each delegates to the next.
    let last = world.keys.len() - 1;
    let mut refused = None;
    for i in (first..last).rev() {
        let next = world.key(i + 1);
        if let Err(r) = world.send(i, delegation::SET, to(next)) {
            refused = Some(r.code.as_str());
            break;
        }
    }
    assert_eq!(refused, Some("delegation_too_deep"));
}

#[test]
fn an_empty_chamber_neither_passes_nor_blocks_a_concurrent_majority() {
    // Every chamber must pass, but nobody is a contributor yet.
    let mut world = chamber_world(ChamberRule {
        combine: Combine::Concurrent { required: 3 },
        chamber_quorum: ratio(1, 2),
        veto: vec!["contributors".into()],
    });
    let poll = world.open_poll(1, &PollSpec::general()).unwrap();
    for i in 1..=5 {
        world.stance(i, &poll, Stance::Yes);
    }
    world.close_polls();
    let result = world.result(&poll);
    assert_eq!(result.chambers[0].electorate_weight, 0);
    assert!(
        result.passed,
        "users and businesses passed; contributors is empty"
    );
}
