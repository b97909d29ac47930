//! Contribution credit through the contribution graph (CredRank), when the value equation
//! in force asks for it with `graph: {damping, back_flow}`.
//!
//! The equation still values each accepted contribution and says who its value goes to
//! (authors by their shares, approving reviewers, cited upstream commons). Without a
//! graph that is the credit itself. With one, the value is *minted* on the contribution
//! and flows along a graph of
//!
//! - a node per accepted contribution (`c…`), seeded with its value;
//! - a node per person (`p…`), reached from each contribution they co-authored or
//!   reviewed (an author edge or a review edge), weighted by their part of its value;
//! - a node per cited upstream commons (`u…`), weighted by its share;
//! - an edge from each accepted revision to the revision it builds on (its `base`, or
//!   the artifact's previous revision), taking `builds_on` of the credit flowing out of
//!   it, so that work many later revisions build on earns more than its own minting;
//!
//! and the back-flow edges [`commons_value::credrank`] adds (a person passes some credit
//! back to the contributions they wrote or reviewed and so on to their co-authors, an
//! upstream commons to the contributions that cite it). Credit is then shared in integer
//! milli-credits by [`CreditGraph::run`]: a window's credit is exactly the milli-credits
//! minted in it, spread over every node; what people and upstream commons hold is what
//! distributions weigh, what contributions hold is credit in transit. With no back-flow
//! the people's credit keeps the proportions of the parts the equation gives them; the
//! more back-flow, the more credit reaches those who work with people who do much.
//!
//! A window (an interval between two executed distributions) is ranked on the graph as
//! it stood at the window's end, so the credit of a closed interval never changes as the
//! commons grows. Every person's credit is kept with the edges it arrived by
//! ([`Flow`]): "why did I get this" lists them, and an auditor recomputes them from the
//! ledger.

use super::distribution::{CREDIT_UNIT, for_each_part_at};
use super::equation::{Beneficiary, GraphTerms, Role};
use crate::state::State;
use commons_ledger::EventId;
use commons_value::credrank::{
    CreditError, CreditGraph, CreditParams, FlowSource, NodeKind, Weight,
};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Most intervals a graph distribution ranks (each is one PageRank run); older ones merge
/// into the first.
pub const GRAPH_INTERVALS_MAX: usize = 64;
/// PageRank's iteration limit for a credit graph: damping is at most 0.95, so a run
/// converges well within it.
pub const GRAPH_ITERATIONS_MAX: u32 = 1_000;

/// Credit (milli-credits) that reached a beneficiary over one edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// The contribution the credit came from (the one reviewed, for a review).
    pub contribution: EventId,
    pub role: Role,
    pub credit: u64,
}

/// The credit of one window: each person's and upstream commons' milli-credits, and the
/// flows that make them up (in source order; they sum to the credit).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowCredit {
    pub credit: BTreeMap<Beneficiary, u64>,
    pub flows: BTreeMap<Beneficiary, Vec<Flow>>,
}

impl WindowCredit {
    /// Adds `other` edge by edge (flows end in source order).
    pub fn merge(&mut self, other: &WindowCredit) {
        for (to, credit) in &other.credit {
            let sum = self.credit.entry(to.clone()).or_insert(0);
            *sum = sum.saturating_add(*credit);
        }
        for (to, flows) in &other.flows {
            let mine = self.flows.entry(to.clone()).or_default();
            if mine.is_empty() {
                mine.extend(flows.iter().cloned());
                continue;
            }
            let mut sums: BTreeMap<(EventId, Role), u64> = mine
                .drain(..)
                .map(|f| ((f.contribution, f.role), f.credit))
                .collect();
            for f in flows {
                let sum = sums.entry((f.contribution, f.role)).or_insert(0);
                *sum = sum.saturating_add(f.credit);
            }
            mine.extend(sums.into_iter().map(|((contribution, role), credit)| Flow {
                contribution,
                role,
                credit,
            }));
        }
    }
}

/// The quantised part of one contribution's value going to one beneficiary.
struct Part {
    index: u64,
    contribution: EventId,
    to: Beneficiary,
    role: Role,
    milli: u64,
}

fn contribution_node(id: &EventId) -> String {
    format!("c{}", id.to_hex())
}

fn beneficiary_node(to: &Beneficiary) -> Option<(String, NodeKind)> {
    match to {
        Beneficiary::Person(key) => Some((format!("p{}", key.to_hex()), NodeKind::Person)),
        Beneficiary::Upstream(name) => Some((format!("u{name}"), NodeKind::Upstream)),
        Beneficiary::Task(_) => None,
    }
}

/// The accepted revision `c` builds on: its base, or else the revision of its artifact
/// accepted just before it.
fn base_of(state: &State, id: &EventId) -> Option<EventId> {
    let production = &state.production;
    let revision = production.contributions.get(id)?.revision.as_ref()?;
    if let Some(base) = revision.base {
        return Some(base);
    }
    let revisions = &production
        .artifacts
        .get(revision.artifact.as_ref()?)?
        .revisions;
    let at = revisions.iter().position(|r| r.contribution == *id)?;
    revisions.get(at.checked_sub(1)?).map(|r| r.contribution)
}

/// The contribution a node id names.
fn contribution_of(node: &str) -> Option<EventId> {
    node.strip_prefix('c').and_then(EventId::from_hex)
}

/// One window of the contribution graph as an auditor recomputes it: the entries it
/// covers, the milli-credits minted in it, the ranking's parameters and the graph and its
/// seeds as CSV ([`CreditGraph::to_csv`]).
#[derive(Clone, Debug)]
pub struct WindowCsv {
    pub from: u64,
    pub to: u64,
    pub minted: u64,
    pub alpha: f64,
    pub tol: f64,
    pub max_iter: u32,
    pub graph: String,
    pub seeds: String,
}

/// Ranks the contribution graph for each window `starts[k]..starts[k + 1]` (the last
/// ending at `pin`), each on the graph of the contributions accepted before its end.
pub fn windows(
    state: &State,
    starts: &[u64],
    pin: u64,
    terms: &GraphTerms,
) -> Result<Vec<WindowCredit>, CreditError> {
    let mut out = Vec::with_capacity(starts.len());
    walk(state, starts, pin, terms, |window| {
        out.push(match window.seeded {
            Some((graph, params)) => window_credit(graph, params, window.roles)?,
            None => WindowCredit::default(),
        });
        Ok(())
    })?;
    Ok(out)
}

/// The graphs [`windows`] ranks, as CSV.
pub fn windows_csv(
    state: &State,
    starts: &[u64],
    pin: u64,
    terms: &GraphTerms,
) -> Result<Vec<WindowCsv>, CreditError> {
    let mut out = Vec::with_capacity(starts.len());
    walk(state, starts, pin, terms, |window| {
        let (graph, seeds, minted, params) = match window.seeded {
            Some((graph, params)) => {
                let (g, s) = graph.to_csv(params.back_flow);
                (g, s, params.total_credit, params.clone())
            }
            None => (String::new(), String::new(), 0, window.params.clone()),
        };
        out.push(WindowCsv {
            from: window.from,
            to: window.to,
            minted,
            alpha: params.alpha,
            tol: params.tol,
            max_iter: params.max_iter,
            graph,
            seeds,
        });
        Ok(())
    })?;
    Ok(out)
}

/// One window as [`walk`] hands it over.
struct Window<'a> {
    from: u64,
    to: u64,
    /// The graph seeded with this window's minting and the parameters to rank it with
    /// (the total is what was minted); `None` when nothing was minted.
    seeded: Option<(&'a CreditGraph, &'a CreditParams)>,
    params: &'a CreditParams,
    /// The role each beneficiary has in each contribution.
    roles: &'a HashMap<(EventId, Beneficiary), Role>,
}

/// Builds the contribution graph window by window (see [`windows`]) and hands each to
/// `visit`.
fn walk(
    state: &State,
    starts: &[u64],
    pin: u64,
    terms: &GraphTerms,
    mut visit: impl FnMut(Window<'_>) -> Result<(), CreditError>,
) -> Result<(), CreditError> {
    let mut parts: Vec<Part> = Vec::new();
    for_each_part_at(state, 0, pin, |index, id, to, role, part| {
        let milli = super::distribution::quantise(&part);
        if milli > 0 && !matches!(to, Beneficiary::Task(_)) {
            parts.push(Part {
                index,
                contribution: *id,
                to,
                role,
                milli,
            });
        }
    });
    // Accepted order, then the order the equation lists a contribution's parts in.
    parts.sort_by_key(|p| p.index);
    let mut values: BTreeMap<EventId, u64> = BTreeMap::new();
    for p in &parts {
        let v = values.entry(p.contribution).or_insert(0);
        *v = v.saturating_add(p.milli);
    }
    // The builds-on edge weighs s / (1 − s) of the parts, which sum to the value.
    let (s_num, s_rest) = (
        terms.builds_on.num,
        terms.builds_on.den - terms.builds_on.num,
    );

    let params = CreditParams {
        total_credit: 0,
        alpha: terms.damping.num as f64 / terms.damping.den as f64,
        max_iter: GRAPH_ITERATIONS_MAX,
        back_flow: Weight::ratio(terms.back_flow.num, terms.back_flow.den)?,
        ..CreditParams::new(0)
    };
    let mut graph = CreditGraph::new();
    // Node names, made once: contributions added (for builds-on edges) and beneficiaries.
    let mut added: HashSet<EventId> = HashSet::new();
    let mut names: BTreeMap<Beneficiary, String> = BTreeMap::new();
    // The role each beneficiary has in each contribution (one edge per pair).
    let mut roles: HashMap<(EventId, Beneficiary), Role> = HashMap::new();
    let mut next = 0;
    let mut current: Option<(EventId, String)> = None;
    for (k, _) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(pin);
        // Every part accepted before `end` joins the graph; this window's seed the runs.
        let mut seeds: BTreeMap<EventId, u64> = BTreeMap::new();
        while let Some(p) = parts.get(next).filter(|p| p.index < end) {
            next += 1;
            // A contribution's parts are adjacent: its node is added at the first.
            if current.as_ref().is_none_or(|(id, _)| *id != p.contribution) {
                let c = contribution_node(&p.contribution);
                graph.add_node(&c, NodeKind::Contribution)?;
                added.insert(p.contribution);
                let base =
                    base_of(state, &p.contribution).filter(|b| s_num > 0 && added.contains(b));
                if let Some(base) = base {
                    let value = values.get(&p.contribution).copied().unwrap_or(0);
                    let weight = Weight::ratio(value.saturating_mul(s_num), s_rest)?;
                    graph.add_edge(&c, &contribution_node(&base), weight)?;
                }
                current = Some((p.contribution, c));
            }
            let Some((_, c)) = &current else { continue };
            let target = match names.get(&p.to) {
                Some(name) => name,
                None => {
                    let Some((name, kind)) = beneficiary_node(&p.to) else {
                        continue;
                    };
                    graph.add_node(&name, kind)?;
                    names.entry(p.to.clone()).or_insert(name)
                }
            };
            graph.add_edge(c, target, Weight::whole(p.milli))?;
            roles.insert((p.contribution, p.to.clone()), p.role);
            let seed = seeds.entry(p.contribution).or_insert(0);
            *seed = seed.saturating_add(p.milli);
        }
        let minted: u64 = seeds.values().fold(0, |s, m| s.saturating_add(*m));
        let from = starts[k];
        if minted == 0 {
            visit(Window {
                from,
                to: end,
                seeded: None,
                params: &params,
                roles: &roles,
            })?;
            continue;
        }
        graph.clear_seeds();
        for (id, seed) in &seeds {
            graph.seed(&contribution_node(id), Weight::whole(*seed))?;
        }
        let window_params = CreditParams {
            total_credit: minted,
            ..params.clone()
        };
        visit(Window {
            from,
            to: end,
            seeded: Some((&graph, &window_params)),
            params: &params,
            roles: &roles,
        })?;
    }
    Ok(())
}

/// Ranks one seeded window and keeps each person's and upstream's credit with the edges
/// it arrived by.
fn window_credit(
    graph: &CreditGraph,
    params: &CreditParams,
    roles: &HashMap<(EventId, Beneficiary), Role>,
) -> Result<WindowCredit, CreditError> {
    let credit = graph.run(params)?;
    let mut window = WindowCredit::default();
    for (i, id) in credit.ids().iter().enumerate() {
        let to = match credit.kinds()[i] {
            NodeKind::Person => id
                .get(1..)
                .and_then(|hex| commons_ledger::AuthorKey::from_hex(hex).ok())
                .map(Beneficiary::Person),
            NodeKind::Upstream => id.get(1..).map(|name| Beneficiary::Upstream(name.into())),
            NodeKind::Contribution | NodeKind::Review => None,
        };
        let Some(to) = to else { continue };
        let amount = credit.credits()[i];
        if amount == 0 {
            continue;
        }
        let flows = credit
            .flows_into(id)
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, amount)| *amount > 0)
            .filter_map(|(source, amount)| match source {
                FlowSource::Node(source) => {
                    let contribution = contribution_of(source)?;
                    let role = *roles.get(&(contribution, to.clone()))?;
                    Some(Flow {
                        contribution,
                        role,
                        credit: amount,
                    })
                }
                FlowSource::Seed => None,
            })
            .collect();
        window.credit.insert(to.clone(), amount);
        window.flows.insert(to, flows);
    }
    Ok(window)
}

/// Milli-credits as exact credits.
pub fn credits(milli: u64) -> num_rational::BigRational {
    num_rational::BigRational::new(milli.into(), CREDIT_UNIT.into())
}
