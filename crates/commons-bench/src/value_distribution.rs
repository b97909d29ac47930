//! `commons-bench value`'s full distribution: a commons of about a million events folded
//! by commons-core exactly as a node folds them, then one `dist.propose` that values every
//! accepted contribution under the value equation and computes every share.
//!
//! The commons is the peer-production workload (`production_workload`, seeded: areas,
//! people, tasks, contributions accepted by maintainers or lazy consensus, reviews,
//! posts), with the `ledger.tick` the node appends after the first event of each step,
//! then the value setup: statutes naming two treasurers (2 of 2), a value equation
//! (effort, a reviewers' tenth, two upstream commons) and a thousand incomes. Events are
//! decoded from their envelopes and applied one by one with `commons_core::apply`; the
//! build time is reported whole and, within it, the time spent in `apply` alone (the
//! fold).
//!
//! The distribution (15% kept, 10% upstream, 40% of the rest to work since the last
//! distribution, the rest to everybody by lifetime credit) is applied to a copy of the
//! state, best of a few; the copy is not timed. Baselines measured in the same run: the
//! fold of the whole ledger, and `apportion` of the same amount over the same recipients
//! (the least any distribution must do). Execution (both approvals, then crediting every
//! recipient) is timed too.

use anyhow::{Context, Result, bail};
use commons_core::State;
use commons_core::value;
use commons_core::value::distribution::{self, Policy, Take, Target};
use commons_core::value::equation::{Equation, Ratio};
use commons_ledger::Event;
use commons_ledger::cbor::Value;
use commons_testkit::Author;
use std::time::{Duration, Instant};

use crate::production_workload::{Generator, Plan};

/// One full distribution must take less than this.
pub const DISTRIBUTION_MS_MAX: f64 = 5_000.0;
/// Incomes recorded before the distribution.
const INCOMES: u64 = 1_000;
/// Key number of the second treasurer (the workload's maintainer is the first).
const TREASURER_KEY_NUMBER: u64 = u64::MAX - 202;

/// What the run measured.
pub struct Figures {
    pub n_events: u64,
    pub n_accepted: u64,
    pub n_recipients: usize,
    pub build: Duration,
    pub fold: Duration,
    pub propose: Duration,
    pub execute: Duration,
    pub apportion: Duration,
    /// One pass of `distribution::credit` over every accepted contribution (a
    /// distribution with an `immediate` bucket and no earlier one makes two).
    pub credit: Duration,
    /// The same buckets computed with credit flowing along the contribution graph
    /// (`graph` terms, CredRank per interval), best of the repeats.
    pub graph: Duration,
    /// People the graph run credited.
    pub graph_people: usize,
    pub repeats: u32,
}

/// Applies `event` at the next index, or fails naming it.
struct Folder {
    state: State,
    index: u64,
    fold: Duration,
}

impl Folder {
    fn apply(&mut self, event: &Event) -> Result<()> {
        let start = Instant::now();
        commons_core::apply(&mut self.state, event, self.index).map_err(|r| {
            anyhow::anyhow!(
                "core refused {} at index {}: {r} ({})",
                event.header.kind,
                self.index,
                r.code.as_str()
            )
        })?;
        self.fold += start.elapsed();
        self.index += 1;
        Ok(())
    }
}

fn bucket(name: &str, take: Take, target: Target) -> Value {
    distribution::bucket_value(&distribution::Bucket {
        name: name.into(),
        take,
        target,
    })
}

/// An author continuing its chain in the folded state.
fn continuing(state: &State, key: commons_ledger::SecretKey) -> Author {
    let mut author = Author::new(key, state.commons);
    if let Some(head) = state.chains.get(&author.public()) {
        author.next_seq = head.seq + 1;
        author.prev = Some(head.id);
    }
    author
}

/// Builds the commons and measures one full distribution in it.
pub fn measure(n_events: u64, seed: u64, repeats: u32) -> Result<Figures> {
    let build_start = Instant::now();
    // The node adds one tick per step of 1,000 events, and the value setup ~1,000 more.
    let plan = Plan::scaled(
        n_events
            .saturating_sub(n_events / 1_000)
            .saturating_sub(INCOMES + 3),
        seed,
    );
    let mut generator = Generator::new(plan);
    let identity = generator.identity();
    let (genesis, sequencer, maintainer) = (
        identity.genesis.clone(),
        identity.sequencer.clone(),
        identity.maintainer.clone(),
    );
    let (state, _) = commons_core::genesis(&genesis, 0)
        .map_err(|r| anyhow::anyhow!("the workload's genesis is refused: {r}"))?;
    let mut ticker = Author::new(sequencer, state.commons);
    let mut folder = Folder {
        state,
        index: 1,
        fold: Duration::ZERO,
    };
    while let Some(step) = generator.next_step() {
        for (i, bytes) in step.envelopes.iter().enumerate() {
            let event = Event::decode(bytes).context("a workload envelope does not decode")?;
            folder.apply(&event)?;
            if i == 0 && step.time_ms > folder.state.time_ms {
                let body = Value::text_map([("time", Value::Unsigned(step.time_ms))]);
                let tick = ticker.sign("ledger.tick", &body, vec![], step.time_ms);
                folder.apply(&tick)?;
            }
        }
    }
    let time_ms = folder.state.time_ms;

    // The value setup: statutes with two treasurers, the equation, incomes.
    let mut first = continuing(&folder.state, maintainer);
    let mut second = continuing(&folder.state, commons_testkit::key(TREASURER_KEY_NUMBER));
    let mut statutes = commons_web::ui::association::statutes::default_statutes("bench");
    statutes.treasurers = vec![first.public(), second.public()];
    statutes.treasurer_approvals = 2;
    let adopt = Value::text_map([(
        "statutes",
        commons_core::association::statutes::value(&statutes),
    )]);
    folder.apply(&first.sign(
        commons_core::association::statutes::ADOPT,
        &adopt,
        vec![],
        time_ms,
    ))?;
    let share = |num, den| Ratio { num, den };
    let equation = Equation {
        effort_per_hour: share(1, 2),
        reviewer_share: share(1, 10),
        upstream: vec![
            ("libre-maps".into(), share(1, 20)),
            ("sound-archive".into(), share(1, 40)),
        ],
        ..Equation::default()
    };
    let equation = Value::text_map([("equation", value::equation::value(&equation))]);
    folder.apply(&first.sign(value::EQUATION, &equation, vec![], time_ms))?;
    let mut random = crate::random::SplitMix64::new(seed);
    for n in 0..INCOMES {
        let body = Value::text_map([
            ("kind", Value::text("benefit_sharing")),
            ("amount", Value::Unsigned(100_000 + random.below(1_900_000))),
            ("currency", Value::text("EUR")),
            ("source", Value::text(format!("Company {}", n % 37))),
            ("reference", Value::text(format!("SEPA {n:06}"))),
        ]);
        folder.apply(&second.sign(value::INCOME, &body, vec![], time_ms))?;
    }
    let build = build_start.elapsed();
    let n_events = folder.index;
    let n_accepted = folder
        .state
        .production
        .contributions
        .values()
        .filter(|c| commons_core::value::equation::accepted(c).is_some())
        .count() as u64;

    // One full distribution of half the treasury.
    let treasury = folder
        .state
        .economy
        .books
        .holds(&value::money::Account::Treasury, "EUR");
    let amount = treasury / 2;
    let propose = first.sign(
        distribution::PROPOSE,
        &Value::text_map([
            ("title", Value::text("Benchmark")),
            ("amount", Value::Unsigned(amount)),
            ("currency", Value::text("EUR")),
            ("min_payout", Value::Unsigned(1_000)),
            (
                "pin",
                Value::text_map([
                    ("size", Value::Unsigned(n_events)),
                    ("root", Value::bytes(vec![0u8; 32])),
                ]),
            ),
            (
                "buckets",
                Value::Array(vec![
                    bucket("association", Take::Straight(150_000), Target::Treasury),
                    bucket("upstream", Take::Straight(100_000), Target::Upstream),
                    bucket(
                        "recent",
                        Take::Remaining(400_000),
                        Target::Contributors(Policy::Immediate),
                    ),
                    bucket(
                        "everybody",
                        Take::Rest,
                        Target::Contributors(Policy::Lifetime),
                    ),
                ]),
            ),
        ]),
        vec![],
        time_ms,
    );
    let mut best = Duration::MAX;
    let mut proposed = None;
    for _ in 0..repeats.max(1) {
        let mut copy = Folder {
            state: folder.state.clone(),
            index: folder.index,
            fold: Duration::ZERO,
        };
        copy.apply(&propose)?;
        best = best.min(copy.fold);
        proposed = Some(copy);
    }
    let mut proposed = proposed.context("at least one repeat")?;
    let d = proposed
        .state
        .economy
        .distributions
        .get(&propose.id)
        .context("the distribution was not recorded")?;
    let weights: Vec<(commons_core::value::equation::Beneficiary, u64)> = d
        .buckets
        .last()
        .map(|b| b.shares.iter().map(|s| (s.to.clone(), s.weight)).collect())
        .unwrap_or_default();
    let paid: u64 = d.buckets.iter().map(|b| b.amount).sum();
    if paid != amount || weights.is_empty() {
        bail!("the distribution does not share its amount among contributors");
    }
    let n_recipients = d.totals.len();
    let rest = d.buckets.last().map_or(0, |b| b.amount);
    let apportion_start = Instant::now();
    let parts = commons_value::apportion(rest, std::hint::black_box(&weights))?;
    let apportion = apportion_start.elapsed();
    if parts.iter().sum::<u64>() != rest {
        bail!("the apportionment does not sum to the bucket");
    }

    let credit_start = Instant::now();
    let credit = distribution::credit(&folder.state, 0, n_events);
    let credit_time = credit_start.elapsed();
    if credit.is_empty() {
        bail!("no contribution earned credit");
    }

    // The same buckets with credit through the contribution graph (the equation's
    // default graph terms), computed on the folded state.
    let buckets: Vec<distribution::Bucket> = d.buckets.iter().map(|b| b.bucket.clone()).collect();
    let terms = commons_core::value::equation::GraphTerms::DEFAULT;
    let mut graph = Duration::MAX;
    let mut graph_people = 0;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        let computed = distribution::compute(
            &folder.state,
            amount,
            "EUR",
            n_events,
            &buckets,
            Some(&terms),
        )
        .map_err(|r| anyhow::anyhow!("the graph distribution was refused: {r}"))?;
        graph = graph.min(start.elapsed());
        let paid: u64 = computed.buckets.iter().map(|b| b.amount).sum();
        if paid != amount {
            bail!("the graph distribution does not share its amount");
        }
        graph_people = computed.flows.as_ref().map_or(0, |f| f.lifetime.len());
    }
    if graph_people == 0 {
        bail!("the graph distribution credited nobody");
    }

    // Both approvals, then execution, which credits every recipient.
    let target = Value::text_map([("distribution", Value::bytes(propose.id.0.to_vec()))]);
    proposed.apply(&first.sign(distribution::APPROVE, &target, vec![], time_ms))?;
    proposed.apply(&second.sign(distribution::APPROVE, &target, vec![], time_ms))?;
    let before_execute = proposed.fold;
    proposed.apply(&second.sign(distribution::EXECUTE, &target, vec![], time_ms))?;
    let execute = proposed.fold - before_execute;
    Ok(Figures {
        n_events,
        n_accepted,
        n_recipients,
        build,
        fold: folder.fold,
        propose: best,
        execute,
        apportion,
        credit: credit_time,
        graph,
        graph_people,
        repeats: repeats.max(1),
    })
}
