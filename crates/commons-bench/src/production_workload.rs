//! The peer-production workload: a seeded simulation of a commons at work, signed event by
//! event in ledger order. Areas (some decided by their maintainers, some by lazy
//! consensus), published profiles of people and sponsoring organisations, tasks with the
//! signals, pledges and claims people leave on them, contributions naming tasks, reviews
//! by area maintainers that accept them, rejections and thread posts.
//!
//! The generator keeps a small model of what core will decide (which tasks are open,
//! who holds a live claim, which contributions are still pending, when a lazy-consensus
//! window closes) so that every event it signs is one core accepts: a refusal would
//! break every later event that names the refused one. The benchmark checks that claim:
//! every event must be sequenced.
//!
//! Ledger time passes in steps: the events of one step share one node-clock time, and
//! the clock moves on by [`Plan::step_ms`] before the next step, so the node appends one
//! `ledger.tick` per step and the ledger spans [`SPAN_MS`] (two years of months for the
//! statistics). The first event of a step is folded at the previous step's time (the
//! tick follows it), so it is always one whose validity does not depend on time.

use crate::random::SplitMix64;
use commons_core::agents::profile_body;
use commons_core::production::bodies::{self, NewArea, NewContribution, NewTask};
use commons_core::production::{CLAIM_TTL_DEFAULT_MS, CLAIMS_PER_KEY_MAX, Rule, Subject};
use commons_core::state::AgentKind;
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, CommonsId, Event, EventId, Kind, SecretKey};
use commons_testkit::Author;
use std::collections::{BTreeSet, HashSet};

/// 2024-01-01T00:00:00Z: the ledger starts here, so that it ends before today's clock.
pub const START_MS: u64 = 1_704_067_200_000;
/// Ledger time the workload spans: two years.
pub const SPAN_MS: u64 = 731 * DAY_MS;
const DAY_MS: u64 = 86_400_000;
/// Events per step of ledger time; also the events per `Node::submit_many` call.
pub const STEP_EVENTS: usize = 1_000;
/// Fewest events a workload may have (the setup alone is a few hundred).
pub const EVENTS_MIN: u64 = 2_000;
/// Most posts the generator puts in one area's thread (core's limit is 10,000).
const AREA_THREAD_POSTS_MAX: u32 = 9_000;
/// Most contributions the generator names one task in (core's limit is 1,000).
const CONTRIBUTIONS_PER_TASK_MAX: u16 = 900;
/// Tries to find a fitting task or contribution before falling back to a thread post.
const PICK_TRIES: usize = 16;

const SEQUENCER_KEY_NUMBER: u64 = u64::MAX - 100;
const MAINTAINER_KEY_NUMBER: u64 = u64::MAX - 101;
const PERSON_KEY_NUMBER_FIRST: u64 = 1_000_000;
const ORGANISATION_KEY_NUMBER_FIRST: u64 = 9_000_000;
/// Maintainers of each area, taken from the people after the busiest one.
const MAINTAINERS_PER_AREA: usize = 3;

/// One area of the simulated commons.
struct AreaSpec {
    slug: &'static str,
    name: &'static str,
    rule: Rule,
    chores: &'static [&'static str],
}

const AREAS: [AreaSpec; 8] = [
    AreaSpec {
        slug: "code",
        name: "Code",
        rule: Rule::Maintainers { approvals: 1 },
        chores: &["tests", "changelog"],
    },
    AreaSpec {
        slug: "docs",
        name: "Documentation",
        rule: Rule::Lazy {
            window_ms: 3 * DAY_MS,
        },
        chores: &[],
    },
    AreaSpec {
        slug: "design",
        name: "Design",
        rule: Rule::Maintainers { approvals: 2 },
        chores: &["accessibility"],
    },
    AreaSpec {
        slug: "translation",
        name: "Translation",
        rule: Rule::Lazy {
            window_ms: 2 * DAY_MS,
        },
        chores: &["glossary"],
    },
    AreaSpec {
        slug: "infrastructure",
        name: "Infrastructure",
        rule: Rule::Maintainers { approvals: 1 },
        chores: &["runbook"],
    },
    AreaSpec {
        slug: "community",
        name: "Community care",
        rule: Rule::Lazy {
            window_ms: 7 * DAY_MS,
        },
        chores: &[],
    },
    AreaSpec {
        slug: "data",
        name: "Data",
        rule: Rule::Maintainers { approvals: 1 },
        chores: &[],
    },
    AreaSpec {
        slug: "outreach",
        name: "Outreach",
        rule: Rule::Lazy {
            window_ms: 3 * DAY_MS,
        },
        chores: &[],
    },
];

/// The slugs of the workload's areas, in creation order.
pub fn area_slugs() -> impl Iterator<Item = &'static str> {
    AREAS.iter().map(|a| a.slug)
}

/// The sizes of a workload. Everything but `n_events` and `seed` follows from them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub n_events: u64,
    pub n_tasks: u64,
    pub n_contributions: u64,
    pub n_people: u64,
    pub n_organisations: u64,
    pub seed: u64,
}

impl Plan {
    /// A commons of `n_events` signed events in the proportions of the default one
    /// (1,000,000 events: 100,000 tasks, 300,000 contributions, 3,000 people).
    pub fn scaled(n_events: u64, seed: u64) -> Plan {
        let n_events = n_events.max(EVENTS_MIN);
        let n_people = (n_events * 3 / 1_000).max(40);
        Plan {
            n_events,
            n_tasks: n_events / 10,
            n_contributions: n_events * 3 / 10,
            n_people,
            n_organisations: (n_people / 250).max(2),
            seed,
        }
    }

    pub fn n_steps(&self) -> u64 {
        self.n_events.div_ceil(STEP_EVENTS as u64)
    }

    /// Ledger time between two steps.
    pub fn step_ms(&self) -> u64 {
        SPAN_MS / self.n_steps().max(1)
    }

    /// The node's clock during step `step`.
    pub fn step_time_ms(&self, step: u64) -> u64 {
        START_MS + step * self.step_ms()
    }

    /// The clock after the last step.
    pub fn end_ms(&self) -> u64 {
        self.step_time_ms(self.n_steps())
    }

    fn n_setup(&self) -> u64 {
        AREAS.len() as u64 + self.n_people + self.n_organisations
    }
}

/// The keys and the genesis, which depend on nothing but the key numbers.
pub struct Identity {
    pub sequencer: SecretKey,
    pub maintainer: SecretKey,
    pub genesis: Event,
    pub commons: CommonsId,
}

impl Identity {
    pub fn new() -> Identity {
        let sequencer = commons_testkit::key(SEQUENCER_KEY_NUMBER);
        let maintainer = commons_testkit::key(MAINTAINER_KEY_NUMBER);
        let body = commons_testkit::genesis_body(
            "peer-production benchmark commons",
            &[maintainer.author_key()],
            1,
            &sequencer.author_key(),
            "CC-BY-SA-4.0",
        );
        let genesis = Event::sign(
            &maintainer,
            None,
            0,
            None,
            vec![],
            START_MS,
            // A constant, valid kind name.
            Kind::new("commons.genesis").unwrap_or_else(|_| unreachable!()),
            Some(&body),
        );
        let commons = CommonsId(genesis.id.0);
        Identity {
            sequencer,
            maintainer,
            genesis,
            commons,
        }
    }
}

impl Default for Identity {
    fn default() -> Identity {
        Identity::new()
    }
}

/// What the generator signed, by kind.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub areas: u64,
    pub profiles: u64,
    pub tasks: u64,
    pub signals: u64,
    pub pledges: u64,
    pub claims: u64,
    pub contributions: u64,
    pub approvals: u64,
    pub other_reviews: u64,
    pub rejections: u64,
    pub posts: u64,
    /// Contributions the model expects accepted (by approval or lazy consensus).
    pub accepted: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.areas
            + self.profiles
            + self.tasks
            + self.signals
            + self.pledges
            + self.claims
            + self.contributions
            + self.approvals
            + self.other_reviews
            + self.rejections
            + self.posts
    }
}

/// One step: its clock time and its envelopes, in ledger order.
pub struct Step {
    pub time_ms: u64,
    pub envelopes: Vec<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Task,
    Contribution,
    Approval,
    OtherReview,
    Rejection,
    Signal,
    Pledge,
    Claim,
    Post,
}

const ACTIONS: [Action; 9] = [
    Action::Task,
    Action::Contribution,
    Action::Approval,
    Action::OtherReview,
    Action::Rejection,
    Action::Signal,
    Action::Pledge,
    Action::Claim,
    Action::Post,
];

struct TaskModel {
    id: EventId,
    area: u8,
    /// Position in its area's open list, or `None` once resolved.
    open_at: Option<u32>,
    /// (claimant, last activity in ledger ms), as core keeps it.
    claim: Option<(u32, u64)>,
    n_contributions: u16,
    n_pledges: u16,
}

struct ContributionModel {
    id: EventId,
    area: u8,
    /// Person indexes; the submitter first.
    authors: Vec<u32>,
    task: Option<u32>,
    pending: bool,
    /// Whether its checklist holds every chore of its area (otherwise it can never be
    /// accepted: maintainers cannot approve it and lazy consensus passes it over).
    complete: bool,
    first_approver: Option<u32>,
}

/// The seeded generator. Call [`Generator::next_step`] until it returns `None`.
pub struct Generator {
    plan: Plan,
    identity: Identity,
    random: SplitMix64,
    maintainer: Author,
    people: Vec<Author>,
    people_keys: Vec<AuthorKey>,
    organisations: Vec<Author>,
    organisation_keys: Vec<AuthorKey>,
    /// Cumulative activity weights of people (a few are far busier than most).
    weights: Vec<f64>,
    area_maintainers: Vec<Vec<u32>>,
    area_ids: Vec<EventId>,
    area_posts: Vec<u32>,
    tasks: Vec<TaskModel>,
    open_by_area: Vec<Vec<u32>>,
    claims_by_person: Vec<Vec<u32>>,
    contributions: Vec<ContributionModel>,
    /// Contributions that may still be pending (cleaned as they are picked).
    pending: Vec<u32>,
    /// Lazy-consensus deadlines: (deadline ms, contribution).
    lazy_queue: BTreeSet<(u64, u32)>,
    signals: HashSet<(u32, u32, bool)>,
    remaining: [u64; ACTIONS.len()],
    setup_left: u64,
    step: u64,
    /// Ledger time at which the events of this step (after its first) are folded.
    now_ms: u64,
    pub counts: Counts,
}

impl Generator {
    pub fn new(plan: Plan) -> Generator {
        let identity = Identity::new();
        let commons = identity.commons;
        let maintainer = Author {
            key: identity.maintainer.clone(),
            commons: Some(commons),
            next_seq: 1,
            prev: Some(identity.genesis.id),
        };
        let people: Vec<Author> = (0..plan.n_people)
            .map(|i| Author::new(commons_testkit::key(PERSON_KEY_NUMBER_FIRST + i), commons))
            .collect();
        let organisations: Vec<Author> = (0..plan.n_organisations)
            .map(|i| {
                Author::new(
                    commons_testkit::key(ORGANISATION_KEY_NUMBER_FIRST + i),
                    commons,
                )
            })
            .collect();
        let mut total = 0.0;
        let weights = (0..plan.n_people)
            .map(|i| {
                total += 1.0 / (i as f64 + 10.0);
                total
            })
            .collect();
        let area_maintainers = (0..AREAS.len())
            .map(|a| {
                (0..MAINTAINERS_PER_AREA)
                    .map(|m| (1 + a * MAINTAINERS_PER_AREA + m) as u32)
                    .collect()
            })
            .collect();
        let n_setup = plan.n_setup();
        let steady = plan.n_events.saturating_sub(n_setup);
        let (t, c) = (plan.n_tasks, plan.n_contributions);
        let approvals = c * 45 / 100;
        let other_reviews = c * 15 / 100;
        let rejections = c * 6 / 100;
        let pledges = t * 12 / 100;
        let claims = t * 35 / 100;
        let fixed = t + c + approvals + other_reviews + rejections + pledges + claims;
        let rest = steady.saturating_sub(fixed);
        let signals = rest / 2;
        let posts = rest - signals;
        let remaining = [
            t,
            c,
            approvals,
            other_reviews,
            rejections,
            signals,
            pledges,
            claims,
            posts,
        ];
        Generator {
            people_keys: people.iter().map(Author::public).collect(),
            organisation_keys: organisations.iter().map(Author::public).collect(),
            random: SplitMix64::new(plan.seed),
            plan,
            identity,
            maintainer,
            people,
            organisations,
            weights,
            area_maintainers,
            area_ids: Vec::new(),
            area_posts: vec![0; AREAS.len()],
            tasks: Vec::new(),
            open_by_area: vec![Vec::new(); AREAS.len()],
            claims_by_person: vec![Vec::new(); usize::try_from(plan.n_people).unwrap_or(0)],
            contributions: Vec::new(),
            pending: Vec::new(),
            lazy_queue: BTreeSet::new(),
            signals: HashSet::new(),
            remaining,
            setup_left: n_setup,
            step: 0,
            now_ms: 0,
            counts: Counts::default(),
        }
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The next step's events, signed, or `None` when the plan is done.
    pub fn next_step(&mut self) -> Option<Step> {
        let signed = self.counts.total();
        if signed >= self.plan.n_events {
            return None;
        }
        let time_ms = self.plan.step_time_ms(self.step);
        self.step += 1;
        let n = (self.plan.n_events - signed).min(STEP_EVENTS as u64);
        let mut envelopes = Vec::with_capacity(STEP_EVENTS);
        for i in 0..n {
            let event = if self.setup_left > 0 {
                // Setup events do not depend on ledger time.
                self.setup_left -= 1;
                self.setup_event(time_ms)
            } else if i == 0 {
                // Folded before this step's tick: a post on an area is valid at any time.
                self.area_post(time_ms)
            } else {
                self.steady_event(time_ms)
            };
            envelopes.push(event.envelope().encode());
            if i == 0 {
                self.tick(time_ms);
            }
        }
        Some(Step { time_ms, envelopes })
    }

    /// The ledger reaches `time_ms`: lazy-consensus windows that closed accept their
    /// contributions, as core's `close_windows` does on the tick.
    fn tick(&mut self, time_ms: u64) {
        self.now_ms = time_ms;
        while let Some(&(deadline, c)) = self.lazy_queue.first() {
            if deadline > time_ms {
                break;
            }
            self.lazy_queue.pop_first();
            let contribution = &self.contributions[c as usize];
            if contribution.pending && contribution.complete {
                self.accept(c);
            }
        }
    }

    fn setup_event(&mut self, time_ms: u64) -> Event {
        if self.area_ids.len() < AREAS.len() {
            let a = self.area_ids.len();
            let spec = &AREAS[a];
            let area = NewArea {
                slug: spec.slug.to_owned(),
                name: spec.name.to_owned(),
                description: Some(format!("Everything about {}.", spec.name.to_lowercase())),
                maintainers: self.area_maintainers[a]
                    .iter()
                    .map(|&p| self.people_keys[p as usize])
                    .collect(),
                threshold: Some(2),
                rule: spec.rule,
                chores: spec.chores.iter().map(|c| (*c).to_owned()).collect(),
                self_approval: None,
                claim_ttl_ms: None,
            };
            let event = self
                .maintainer
                .sign("area.create", &area.body(), vec![], time_ms);
            self.area_ids.push(event.id);
            self.counts.areas += 1;
            return event;
        }
        let n_people = self.plan.n_people;
        let p = self.counts.profiles;
        self.counts.profiles += 1;
        if p < n_people {
            let body = profile_body(&format!("Person {p}"), AgentKind::Person);
            self.people[p as usize].sign("agent.profile", &body, vec![], time_ms)
        } else {
            let o = (p - n_people) as usize;
            let body = profile_body(&format!("Organisation {o}"), AgentKind::Organisation);
            self.organisations[o].sign("agent.profile", &body, vec![], time_ms)
        }
    }

    fn steady_event(&mut self, time_ms: u64) -> Event {
        let action = self.pick_action();
        let event = match action {
            Action::Task => Some(self.task(time_ms)),
            Action::Contribution => Some(self.contribution(time_ms)),
            Action::Approval => self.approval(time_ms),
            Action::OtherReview => self.other_review(time_ms),
            Action::Rejection => self.rejection(time_ms),
            Action::Signal => self.signal(time_ms),
            Action::Pledge => self.pledge(time_ms),
            Action::Claim => self.claim(time_ms),
            Action::Post => None,
        };
        // An action that finds nothing fitting (no pending contribution to review, no
        // open task to claim) becomes a thread post, which always fits.
        event.unwrap_or_else(|| self.post(time_ms))
    }

    /// An action drawn in proportion to what is left of each quota, so every kind is
    /// spread over the whole ledger.
    fn pick_action(&mut self) -> Action {
        let total: u64 = self.remaining.iter().sum();
        if total == 0 {
            return Action::Post;
        }
        let mut draw = self.random.below(total);
        for (i, left) in self.remaining.iter_mut().enumerate() {
            if draw < *left {
                *left -= 1;
                return ACTIONS[i];
            }
            draw -= *left;
        }
        Action::Post
    }

    /// A person, busier ones more often.
    fn person(&mut self) -> u32 {
        let total = self.weights.last().copied().unwrap_or(0.0);
        let draw = self.random.unit() * total;
        let p = self.weights.partition_point(|w| *w <= draw);
        p.min(self.weights.len() - 1) as u32
    }

    fn area(&mut self) -> u8 {
        self.random.below(AREAS.len() as u64) as u8
    }

    fn is_maintainer(&self, area: u8, person: u32) -> bool {
        self.area_maintainers[area as usize].contains(&person)
    }

    fn sign_as(&mut self, person: u32, kind: &str, body: &Value, time_ms: u64) -> Event {
        self.people[person as usize].sign(kind, body, vec![], time_ms)
    }

    fn live(&self, claim: Option<(u32, u64)>) -> Option<u32> {
        claim
            .filter(|(_, last)| self.now_ms.saturating_sub(*last) <= CLAIM_TTL_DEFAULT_MS)
            .map(|(by, _)| by)
    }

    /// A random open task, of `area` if given.
    fn open_task(&mut self, area: Option<u8>) -> Option<u32> {
        for _ in 0..PICK_TRIES {
            let a = area.unwrap_or_else(|| self.area());
            let open = &self.open_by_area[a as usize];
            if open.is_empty() {
                continue;
            }
            let i = self.random.below(open.len() as u64) as usize;
            return Some(open[i]);
        }
        None
    }

    fn task(&mut self, time_ms: u64) -> Event {
        let author = self.person();
        let area = self.area();
        let n = self.tasks.len();
        const LABELS: [&str; 6] = ["bug", "feature", "good-first-task", "help", "ux", "perf"];
        let mut labels = vec![LABELS[self.random.below(LABELS.len() as u64) as usize].to_owned()];
        if self.random.percent(30) {
            let second = LABELS[self.random.below(LABELS.len() as u64) as usize];
            if labels[0] != second {
                labels.push(second.to_owned());
            }
        }
        let task = NewTask {
            area: AREAS[area as usize].slug.to_owned(),
            title: format!(
                "Task {n}: improve {} item {}",
                AREAS[area as usize].slug,
                n % 97
            ),
            description: self
                .random
                .percent(30)
                .then(|| format!("What task {n} needs, in a few sentences.")),
            labels,
            effort_hours: Some(1 + self.random.below(40)),
            chore: self.random.percent(10),
        };
        let event = self.sign_as(author, "task.post", &task.body(), time_ms);
        let open = &mut self.open_by_area[area as usize];
        self.tasks.push(TaskModel {
            id: event.id,
            area,
            open_at: Some(open.len() as u32),
            claim: None,
            n_contributions: 0,
            n_pledges: 0,
        });
        open.push(n as u32);
        self.counts.tasks += 1;
        event
    }

    fn contribution(&mut self, time_ms: u64) -> Event {
        let submitter = self.person();
        // Claimants come back with the work: a live claim of theirs, if they hold one.
        let claimed = self.claims_by_person[submitter as usize]
            .iter()
            .copied()
            .find(|&t| self.live(self.tasks[t as usize].claim) == Some(submitter));
        let (area, task) = match claimed {
            Some(t) if self.random.percent(80) => (self.tasks[t as usize].area, Some(t)),
            _ => {
                let area = self.area();
                let task = if self.random.percent(80) {
                    self.open_task(Some(area))
                } else {
                    None
                };
                (area, task)
            }
        };
        let task =
            task.filter(|&t| self.tasks[t as usize].n_contributions < CONTRIBUTIONS_PER_TASK_MAX);
        let mut authors = vec![submitter];
        if self.random.percent(15) {
            let co = self.person();
            if co != submitter {
                authors.push(co);
            }
        }
        let spec = &AREAS[area as usize];
        let complete = spec.chores.is_empty() || self.random.percent(92);
        let mut checklist: Vec<String> = spec.chores.iter().map(|c| (*c).to_owned()).collect();
        if !complete {
            checklist.pop();
        }
        let external = spec.slug != "community" && self.random.percent(60);
        let n = self.contributions.len();
        let sponsor = if self.random.percent(20) {
            let o = self.random.below(self.organisation_keys.len() as u64) as usize;
            Some(self.organisation_keys[o])
        } else {
            None
        };
        let body = NewContribution {
            area: spec.slug.to_owned(),
            kind: if external { "external" } else { "care" }.to_owned(),
            title: format!("Contribution {n} to {}", spec.slug),
            description: self
                .random
                .percent(40)
                .then(|| format!("How contribution {n} was done and what it changes.")),
            tasks: task
                .map(|t| self.tasks[t as usize].id)
                .into_iter()
                .collect(),
            authors: if authors.len() > 1 {
                vec![
                    (self.people_keys[authors[0] as usize], 2),
                    (self.people_keys[authors[1] as usize], 1),
                ]
            } else {
                Vec::new()
            },
            effort_minutes: Some(15 + self.random.below(2_400)),
            sponsor,
            revision: None,
            evidence: if external {
                vec![format!("https://example.org/work/{n}")]
            } else {
                Vec::new()
            },
            checklist,
        };
        let event = self.sign_as(submitter, "contrib.submit", &body.body(), time_ms);
        if let Some(t) = task {
            let now = self.now_ms;
            let model = &mut self.tasks[t as usize];
            model.n_contributions += 1;
            if let Some((by, last)) = model.claim.as_mut()
                && *by == submitter
            {
                *last = now;
            }
        }
        if let Rule::Lazy { window_ms } = spec.rule {
            self.lazy_queue.insert((self.now_ms + window_ms, n as u32));
        }
        self.contributions.push(ContributionModel {
            id: event.id,
            area,
            authors,
            task,
            pending: true,
            complete,
            first_approver: None,
        });
        self.pending.push(n as u32);
        self.counts.contributions += 1;
        event
    }

    /// A pending contribution passing `fits`, dropping decided ones from the list.
    fn pending_contribution(&mut self, fits: impl Fn(&ContributionModel) -> bool) -> Option<u32> {
        for _ in 0..PICK_TRIES {
            if self.pending.is_empty() {
                return None;
            }
            let i = self.random.below(self.pending.len() as u64) as usize;
            let c = self.pending[i];
            let model = &self.contributions[c as usize];
            if !model.pending {
                self.pending.swap_remove(i);
                continue;
            }
            if fits(model) {
                return Some(c);
            }
        }
        None
    }

    /// An area maintainer approves a complete pending contribution in an area decided
    /// by its maintainers; the approval that makes the count accepts it.
    fn approval(&mut self, time_ms: u64) -> Option<Event> {
        let c = self.pending_contribution(|m| {
            m.complete && matches!(AREAS[m.area as usize].rule, Rule::Maintainers { .. })
        })?;
        let model = &self.contributions[c as usize];
        let (area, first) = (model.area, model.first_approver);
        let Rule::Maintainers { approvals } = AREAS[area as usize].rule else {
            return None;
        };
        let candidates: Vec<u32> = self.area_maintainers[area as usize]
            .iter()
            .copied()
            .filter(|m| !model.authors.contains(m) && Some(*m) != first)
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let reviewer = candidates[self.random.below(candidates.len() as u64) as usize];
        let id = model.id;
        let text = self.random.percent(30).then_some("Looks good, thank you.");
        let event = self.sign_as(
            reviewer,
            "contrib.review",
            &bodies::review(&id, "approve", text),
            time_ms,
        );
        let n_approvals = 1 + u64::from(first.is_some());
        if n_approvals >= approvals {
            self.accept(c);
        } else {
            self.contributions[c as usize].first_approver = Some(reviewer);
        }
        self.counts.approvals += 1;
        Some(event)
    }

    /// A review that decides nothing: a comment, a change request, or an approval by
    /// someone who is not an area maintainer.
    fn other_review(&mut self, time_ms: u64) -> Option<Event> {
        let reviewer = self.person();
        let c = self.pending_contribution(|_| true)?;
        let model = &self.contributions[c as usize];
        let id = model.id;
        let may_approve =
            !model.authors.contains(&reviewer) && !self.is_maintainer(model.area, reviewer);
        let draw = self.random.below(100);
        let body = if draw < 60 || (draw >= 80 && !may_approve) {
            bodies::review(&id, "comment", Some("A question about the approach."))
        } else if draw < 80 {
            bodies::review(&id, "changes", Some("Please split this in two."))
        } else {
            bodies::review(&id, "approve", None)
        };
        self.counts.other_reviews += 1;
        Some(self.sign_as(reviewer, "contrib.review", &body, time_ms))
    }

    fn rejection(&mut self, time_ms: u64) -> Option<Event> {
        let c = self.pending_contribution(|_| true)?;
        let model = &self.contributions[c as usize];
        let (id, area) = (model.id, model.area);
        let maintainers = &self.area_maintainers[area as usize];
        let by = maintainers[self.random.below(maintainers.len() as u64) as usize];
        let reason = if model.complete {
            "Out of scope for this area."
        } else {
            "The area's chores are not done."
        };
        self.contributions[c as usize].pending = false;
        self.counts.rejections += 1;
        Some(self.sign_as(by, "contrib.reject", &bodies::reject(&id, reason), time_ms))
    }

    fn signal(&mut self, time_ms: u64) -> Option<Event> {
        for _ in 0..PICK_TRIES {
            let task = self.open_task(None)?;
            let by = self.person();
            let need = self.random.percent(50);
            if self.signals.insert((task, by, need)) {
                let id = self.tasks[task as usize].id;
                self.counts.signals += 1;
                return Some(self.sign_as(by, "task.signal", &bodies::signal(&id, need), time_ms));
            }
        }
        None
    }

    fn pledge(&mut self, time_ms: u64) -> Option<Event> {
        let task = self.open_task(None)?;
        let model = &mut self.tasks[task as usize];
        if model.n_pledges >= 200 {
            return None;
        }
        model.n_pledges += 1;
        let id = model.id;
        let amount = 1_000 + 500 * self.random.below(100);
        let body = bodies::pledge(&id, amount, "EUR", None);
        self.counts.pledges += 1;
        Some(if self.random.percent(60) {
            let o = self.random.below(self.organisations.len() as u64) as usize;
            self.organisations[o].sign("task.pledge", &body, vec![], time_ms)
        } else {
            let by = self.person();
            self.sign_as(by, "task.pledge", &body, time_ms)
        })
    }

    /// Someone selects themselves for an open task nobody holds a live claim on, if
    /// they hold fewer than core's limit of live claims.
    fn claim(&mut self, time_ms: u64) -> Option<Event> {
        let by = self.person();
        let held = self.claims_by_person[by as usize]
            .iter()
            .filter(|&&t| self.live(self.tasks[t as usize].claim) == Some(by))
            .count();
        if held >= CLAIMS_PER_KEY_MAX {
            return None;
        }
        for _ in 0..PICK_TRIES {
            let task = self.open_task(None)?;
            let (claim, id) = (
                self.tasks[task as usize].claim,
                self.tasks[task as usize].id,
            );
            if self.live(claim).is_some() {
                continue;
            }
            if let Some((old, _)) = claim {
                self.claims_by_person[old as usize].retain(|&t| t != task);
            }
            self.tasks[task as usize].claim = Some((by, self.now_ms));
            self.claims_by_person[by as usize].push(task);
            self.counts.claims += 1;
            return Some(self.sign_as(by, "task.claim", &bodies::task_ref(&id), time_ms));
        }
        None
    }

    /// A post on a task, a contribution or an area.
    fn post(&mut self, time_ms: u64) -> Event {
        let draw = self.random.below(100);
        if draw < 45 && !self.tasks.is_empty() {
            let by = self.person();
            let task = self.random.below(self.tasks.len() as u64) as usize;
            let now = self.now_ms;
            let model = &mut self.tasks[task];
            if let Some((claimant, last)) = model.claim.as_mut()
                && *claimant == by
            {
                *last = now;
            }
            let subject = Subject::Task(model.id);
            self.counts.posts += 1;
            let body = bodies::post(&subject, "I can help with part of this.", None, &[]);
            return self.sign_as(by, "thread.post", &body, time_ms);
        }
        if draw < 90 && !self.contributions.is_empty() {
            let by = self.person();
            let c = self.random.below(self.contributions.len() as u64) as usize;
            let subject = Subject::Contribution(self.contributions[c].id);
            self.counts.posts += 1;
            let body = bodies::post(&subject, "Thanks, this helped me.", None, &[]);
            return self.sign_as(by, "thread.post", &body, time_ms);
        }
        self.area_post(time_ms)
    }

    /// A post on an area's thread (any area with room left, else a task's).
    fn area_post(&mut self, time_ms: u64) -> Event {
        let start = self.area() as usize;
        let Some(a) = (0..AREAS.len())
            .map(|i| (start + i) % AREAS.len())
            .find(|&a| self.area_posts[a] < AREA_THREAD_POSTS_MAX)
        else {
            // Only if every area thread is full, which the plan sizes never reach.
            return self.post(time_ms);
        };
        self.area_posts[a] += 1;
        let by = self.person();
        let subject = Subject::Area(self.area_ids[a]);
        self.counts.posts += 1;
        let body = bodies::post(&subject, "Meeting notes are in the wiki.", None, &[]);
        self.sign_as(by, "thread.post", &body, time_ms)
    }

    /// Core accepts contribution `c`: the tasks it names resolve, their claims go.
    fn accept(&mut self, c: u32) {
        let model = &mut self.contributions[c as usize];
        model.pending = false;
        self.counts.accepted += 1;
        let Some(t) = model.task else {
            return;
        };
        let task = &mut self.tasks[t as usize];
        let Some(at) = task.open_at.take() else {
            return;
        };
        let area = task.area as usize;
        if let Some((claimant, _)) = task.claim.take() {
            self.claims_by_person[claimant as usize].retain(|&x| x != t);
        }
        let open = &mut self.open_by_area[area];
        open.swap_remove(at as usize);
        if let Some(&moved) = open.get(at as usize) {
            self.tasks[moved as usize].open_at = Some(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_keeps_the_default_proportions_when_scaled_down() {
        let full = Plan::scaled(1_000_000, 1);
        assert_eq!(
            (full.n_tasks, full.n_contributions, full.n_people),
            (100_000, 300_000, 3_000)
        );
        let small = Plan::scaled(20_000, 1);
        assert_eq!((small.n_tasks, small.n_contributions), (2_000, 6_000));
        assert_eq!(small.n_steps(), 20);
        assert!(small.end_ms() <= START_MS + SPAN_MS);
    }

    #[test]
    fn the_generator_signs_exactly_the_planned_numbers_the_same_way_every_time() {
        let plan = Plan::scaled(5_000, 7);
        let run = || {
            let mut generator = Generator::new(plan);
            let mut envelopes = Vec::new();
            while let Some(step) = generator.next_step() {
                envelopes.extend(step.envelopes);
            }
            (envelopes, generator.counts)
        };
        let (first, counts) = run();
        let (second, _) = run();
        assert_eq!(first.len(), 5_000);
        assert_eq!(first, second);
        assert_eq!(counts.total(), 5_000);
        assert_eq!(counts.tasks, plan.n_tasks);
        assert_eq!(counts.contributions, plan.n_contributions);
        assert!(counts.accepted > counts.contributions / 3, "{counts:?}");
    }
}
