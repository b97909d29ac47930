//! Buckets: one distribution composed of several policies. An ordered list of buckets each
//! takes part of the budget (a share of the whole, a share of what is left, or all that is
//! left) and runs one policy over its recipients; for example 15% to the association's
//! infrastructure, 10% to upstream projects, and the rest to contributors by BALANCED.
//!
//! What a bucket's policy does not place (a split's rest, a capped match, what is left
//! after the claims) returns to what is left, so the buckets after it share it; what
//! remains after the last bucket goes to the fallback recipient (the treasury, say). The
//! whole budget is always assigned: `Σ amounts = budget`.
//!
//! A minimum payout keeps tiny transfers from being made: a recipient whose amount plus
//! what was carried in for them is below it is paid nothing now and has it all carried to
//! the next distribution. So `Σ paid + Σ carried = budget + Σ carried in`.
//!
//! The result says, per recipient, what they got from which bucket under which policy and
//! the policy's inputs for them, so that a UI can answer "why did I get this".

use super::claims::Claim;
use super::splits::ppm_of;
use super::{Basis, PPM_TOTAL, Policy, PolicyError, RecipientId, check_count, check_label};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Most buckets in one distribution.
pub const BUCKETS_MAX: usize = 64;

/// Most recipients with an amount carried in.
pub const CARRIED_IN_MAX: usize = 1_000_000;

/// How much of the budget a bucket takes, rounded down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "ppm", rename_all = "snake_case")]
pub enum BucketSize {
    /// A share of the whole budget, in parts per million.
    OfBudgetPpm(u32),
    /// A share of what the earlier buckets left, in parts per million.
    OfRemainderPpm(u32),
    /// All that the earlier buckets left.
    Rest,
}

/// A named part of the budget and the policy that shares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    pub size: BucketSize,
    pub policy: Policy,
}

/// Everything a distribution needs besides its budget.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Plan {
    pub buckets: Vec<Bucket>,
    /// Receives what no bucket placed; without one, anything left is an error.
    pub fallback: Option<RecipientId>,
    /// Amounts (with what was carried in) below this are carried, not paid.
    pub payout_min: u64,
    /// What earlier distributions carried for each recipient.
    pub carried_in: BTreeMap<RecipientId, u64>,
}

/// The outcome of a distribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Distribution {
    pub budget: u64,
    /// Σ paid; `paid_total + carried_total = budget + carried_in_total`.
    pub paid_total: u64,
    pub carried_total: u64,
    pub carried_in_total: u64,
    /// What went to the fallback recipient.
    pub fallback_amount: u64,
    /// Every recipient a bucket considered or something was carried for, by id.
    pub recipients: BTreeMap<RecipientId, RecipientOutcome>,
    /// The buckets, in order.
    pub buckets: Vec<BucketOutcome>,
}

/// One recipient's part of a distribution, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
pub struct RecipientOutcome {
    /// Assigned by this distribution: the sum of the explanation's amounts.
    pub amount: u64,
    /// Carried in from earlier distributions.
    pub carried_in: u64,
    /// Paid now: `amount + carried_in` if it reaches the minimum payout, else zero.
    pub paid: u64,
    /// Carried to the next distribution: `amount + carried_in` if below the minimum.
    pub carried: u64,
    /// One reason per share, in bucket order.
    pub explanation: Vec<Reason>,
}

/// One share of a recipient: which bucket, which policy, how much, on what basis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub bucket: String,
    pub policy: &'static str,
    pub amount: u64,
    pub basis: Basis,
}

/// What one bucket received and did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BucketOutcome {
    pub name: String,
    pub policy: &'static str,
    pub size: BucketSize,
    /// The part of the budget the bucket took.
    pub budget: u64,
    /// What its policy placed.
    pub allocated: u64,
    /// What its policy left, returned to what is left.
    pub unallocated: u64,
    /// For a claims bucket, the claims left after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims_after: Option<Vec<Claim>>,
}

/// The name of the fallback's line in an explanation.
pub const FALLBACK: &str = "fallback";

/// Runs the plan's buckets over `budget` (see the module).
pub fn distribute(budget: u64, plan: &Plan) -> Result<Distribution, PolicyError> {
    check_count("buckets", plan.buckets.len(), BUCKETS_MAX)?;
    check_count("carried-in amounts", plan.carried_in.len(), CARRIED_IN_MAX)?;
    let mut names = BTreeSet::new();
    for bucket in &plan.buckets {
        check_label("bucket name", &bucket.name)?;
        if bucket.name == FALLBACK || !names.insert(bucket.name.as_str()) {
            return Err(PolicyError::invalid(
                "bucket name",
                format!("{:?} is taken", bucket.name),
            ));
        }
        if let BucketSize::OfBudgetPpm(ppm) | BucketSize::OfRemainderPpm(ppm) = bucket.size
            && ppm > PPM_TOTAL
        {
            return Err(PolicyError::invalid(
                "bucket size",
                format!("{ppm} ppm is more than the whole"),
            ));
        }
    }

    let mut recipients: BTreeMap<RecipientId, RecipientOutcome> = BTreeMap::new();
    let mut buckets = Vec::with_capacity(plan.buckets.len());
    let mut remaining = budget;
    for bucket in &plan.buckets {
        let asked = match bucket.size {
            BucketSize::OfBudgetPpm(ppm) => ppm_of(budget, ppm),
            BucketSize::OfRemainderPpm(ppm) => ppm_of(remaining, ppm),
            BucketSize::Rest => remaining,
        };
        if asked > remaining {
            return Err(PolicyError::BucketsOverBudget {
                bucket: bucket.name.clone(),
                asked,
                remaining,
            });
        }
        let (allocation, claims_after) =
            bucket
                .policy
                .run(asked)
                .map_err(|error| PolicyError::InBucket {
                    bucket: bucket.name.clone(),
                    source: Box::new(error),
                })?;
        let allocated = allocation.allocated();
        assert_eq!(
            allocated.checked_add(allocation.unallocated),
            Some(asked),
            "policy {} did not conserve its budget",
            bucket.policy.name()
        );
        remaining = remaining - asked + allocation.unallocated;
        for share in allocation.shares {
            let outcome = recipients.entry(share.recipient).or_default();
            // Every amount assigned is part of the budget: no overflow.
            outcome.amount += share.amount;
            outcome.explanation.push(Reason {
                bucket: bucket.name.clone(),
                policy: bucket.policy.name(),
                amount: share.amount,
                basis: share.basis,
            });
        }
        buckets.push(BucketOutcome {
            name: bucket.name.clone(),
            policy: bucket.policy.name(),
            size: bucket.size,
            budget: asked,
            allocated,
            unallocated: allocation.unallocated,
            claims_after,
        });
    }
    let fallback_amount = remaining;
    if remaining > 0 {
        let Some(fallback) = &plan.fallback else {
            return Err(PolicyError::Unassigned(remaining));
        };
        let outcome = recipients.entry(fallback.clone()).or_default();
        outcome.amount += remaining;
        outcome.explanation.push(Reason {
            bucket: FALLBACK.to_owned(),
            policy: FALLBACK,
            amount: remaining,
            basis: Basis::Fallback,
        });
    }

    let mut carried_in_total: u64 = 0;
    for (recipient, &carried_in) in &plan.carried_in {
        carried_in_total = carried_in_total
            .checked_add(carried_in)
            .ok_or(PolicyError::AmountOverflow("carried-in amounts"))?;
        recipients.entry(recipient.clone()).or_default().carried_in = carried_in;
    }
    // budget + carried_in_total must fit, for the totals below.
    budget
        .checked_add(carried_in_total)
        .ok_or(PolicyError::AmountOverflow("carried-in amounts"))?;
    let mut paid_total: u64 = 0;
    let mut carried_total: u64 = 0;
    for outcome in recipients.values_mut() {
        // Both parts of budget + carried_in_total, which fits.
        let owed = outcome.amount + outcome.carried_in;
        if owed >= plan.payout_min {
            outcome.paid = owed;
            paid_total += owed;
        } else {
            outcome.carried = owed;
            carried_total += owed;
        }
    }
    Ok(Distribution {
        budget,
        paid_total,
        carried_total,
        carried_in_total,
        fallback_amount,
        recipients,
        buckets,
    })
}

#[cfg(test)]
mod tests {
    use super::super::claims::{Claim, ClaimTerms};
    use super::super::sourcecred::CreditHistory;
    use super::super::splits::SplitReceiver;
    use super::super::testing::*;
    use super::super::{Exact, bounty::CoauthorShare};
    use super::*;
    use proptest::prelude::*;

    fn bucket(name: &str, size: BucketSize, policy: Policy) -> Bucket {
        Bucket {
            name: name.into(),
            size,
            policy,
        }
    }

    fn special(recipient: &str, memo: &str) -> Policy {
        Policy::Special {
            recipient: id(recipient),
            memo: memo.into(),
        }
    }

    fn splits(pairs: &[(&str, u32)]) -> Policy {
        Policy::Splits {
            receivers: pairs
                .iter()
                .map(|&(recipient, weight_ppm)| SplitReceiver {
                    recipient: id(recipient),
                    weight_ppm,
                })
                .collect(),
        }
    }

    fn balanced(rows: &[(&str, u64, u64)]) -> Policy {
        Policy::Balanced {
            lookback_intervals: 0,
            histories: rows
                .iter()
                .map(|&(recipient, credit, paid)| CreditHistory {
                    recipient: id(recipient),
                    credit_per_interval: vec![credit],
                    paid_per_interval: vec![paid],
                })
                .collect(),
        }
    }

    /// The distribution law and the consistency of the outcome with its parts.
    fn assert_consistent(distribution: &Distribution) {
        let amounts: u64 = distribution.recipients.values().map(|r| r.amount).sum();
        assert_eq!(amounts, distribution.budget);
        assert_eq!(
            u128::from(distribution.paid_total) + u128::from(distribution.carried_total),
            u128::from(distribution.budget) + u128::from(distribution.carried_in_total)
        );
        for outcome in distribution.recipients.values() {
            let explained: u64 = outcome.explanation.iter().map(|r| r.amount).sum();
            assert_eq!(explained, outcome.amount);
            assert_eq!(
                outcome.paid + outcome.carried,
                outcome.amount + outcome.carried_in
            );
            assert!(outcome.paid == 0 || outcome.carried == 0);
        }
        for bucket in &distribution.buckets {
            assert_eq!(bucket.allocated + bucket.unallocated, bucket.budget);
        }
    }

    fn association_plan() -> Plan {
        Plan {
            buckets: vec![
                bucket(
                    "infrastructure",
                    BucketSize::OfBudgetPpm(150_000),
                    special("association", "servers and domains"),
                ),
                bucket(
                    "upstream",
                    BucketSize::OfBudgetPpm(100_000),
                    splits(&[("libfoo", 600_000), ("libbar", 400_000)]),
                ),
                bucket(
                    "contributors",
                    BucketSize::Rest,
                    balanced(&[("ana", 6, 0), ("ben", 3, 0), ("cy", 1, 0)]),
                ),
            ],
            fallback: Some(id("treasury")),
            payout_min: 0,
            carried_in: BTreeMap::new(),
        }
    }

    #[test]
    fn infrastructure_upstream_and_the_rest_to_contributors() {
        // 10 000: 1 500 to the association, 1 000 upstream (600 and 400), and 7 500 to the
        // contributors, who were never paid, in proportion to credit 6 : 3 : 1.
        let distribution = distribute(10_000, &association_plan()).unwrap();
        assert_consistent(&distribution);
        let got: Vec<(&str, u64)> = distribution
            .recipients
            .iter()
            .map(|(id, outcome)| (id.as_str(), outcome.paid))
            .collect();
        assert_eq!(
            got,
            [
                ("ana", 4_500),
                ("association", 1_500),
                ("ben", 2_250),
                ("cy", 750),
                ("libbar", 400),
                ("libfoo", 600)
            ]
        );
        assert_eq!(distribution.fallback_amount, 0);
        let ana = &distribution.recipients[&id("ana")];
        assert_eq!(
            ana.explanation,
            [Reason {
                bucket: "contributors".into(),
                policy: "balanced",
                amount: 4_500,
                basis: Basis::Balanced {
                    credit: 6,
                    paid: 0,
                    target: Exact::integer(4_500),
                    shortfall: Exact::integer(4_500),
                },
            }]
        );
        let sizes: Vec<u64> = distribution.buckets.iter().map(|b| b.budget).collect();
        assert_eq!(sizes, [1_500, 1_000, 7_500]);
    }

    #[test]
    fn the_distribution_serializes_with_its_explanations() {
        let distribution = distribute(10_000, &association_plan()).unwrap();
        let json = serde_json::to_value(&distribution).unwrap();
        assert_eq!(json["recipients"]["libfoo"]["paid"], 600);
        assert_eq!(
            json["recipients"]["libfoo"]["explanation"][0],
            serde_json::json!({
                "bucket": "upstream",
                "policy": "splits",
                "amount": 600,
                "basis": {"policy": "split", "weight_ppm": 600_000},
            })
        );
        assert_eq!(
            json["recipients"]["cy"]["explanation"][0]["basis"]["target"],
            "750"
        );
        assert_eq!(
            json["buckets"][0]["size"],
            serde_json::json!({"kind": "of_budget_ppm", "ppm": 150_000})
        );
    }

    #[test]
    fn amounts_below_the_minimum_payout_are_carried() {
        // 1 000 with a minimum payout of 500: everyone's amount is below it and carried,
        // except cy's 75, since 430 was carried in for cy: 505 is paid now. dee gets nothing
        // this time and keeps the 20 carried in.
        let mut plan = association_plan();
        plan.payout_min = 500;
        plan.carried_in.insert(id("cy"), 430);
        plan.carried_in.insert(id("dee"), 20);
        let distribution = distribute(1_000, &plan).unwrap();
        assert_consistent(&distribution);
        let row = |name: &str| {
            let o = &distribution.recipients[&id(name)];
            (o.amount, o.carried_in, o.paid, o.carried)
        };
        assert_eq!(row("cy"), (75, 430, 505, 0));
        assert_eq!(row("libbar"), (40, 0, 0, 40));
        assert_eq!(row("dee"), (0, 20, 0, 20));
        assert_eq!(row("ana"), (450, 0, 0, 450));
        assert_eq!(
            distribution.paid_total + distribution.carried_total,
            1_000 + 450
        );
    }

    #[test]
    fn what_no_bucket_places_goes_to_the_fallback() {
        // Splits of 50% leave half of the bucket; a bucket of 30% of what remains follows.
        let plan = Plan {
            buckets: vec![
                bucket(
                    "upstream",
                    BucketSize::OfBudgetPpm(200_000),
                    splits(&[("libfoo", 500_000)]),
                ),
                bucket(
                    "ops",
                    BucketSize::OfRemainderPpm(300_000),
                    special("ops", "hosting"),
                ),
            ],
            fallback: Some(id("treasury")),
            ..Plan::default()
        };
        // 1 000: upstream takes 200 and places 100, leaving 900; ops takes 270; the
        // treasury gets 630.
        let distribution = distribute(1_000, &plan).unwrap();
        assert_consistent(&distribution);
        assert_eq!(distribution.recipients[&id("libfoo")].amount, 100);
        assert_eq!(distribution.recipients[&id("ops")].amount, 270);
        assert_eq!(distribution.recipients[&id("treasury")].amount, 630);
        assert_eq!(distribution.fallback_amount, 630);
        assert_eq!(
            distribution.recipients[&id("treasury")].explanation[0].basis,
            Basis::Fallback
        );
        let no_fallback = Plan {
            fallback: None,
            ..plan
        };
        assert_eq!(
            distribute(1_000, &no_fallback).unwrap_err().code(),
            "policy_unassigned"
        );
    }

    #[test]
    fn claims_are_settled_first_and_what_is_left_flows_on() {
        let plan = Plan {
            buckets: vec![
                bucket(
                    "claims",
                    BucketSize::Rest,
                    Policy::Claims {
                        claims: vec![Claim {
                            holder: id("lender"),
                            terms: ClaimTerms::Debt {
                                owed: 300,
                                seniority: 0,
                            },
                        }],
                    },
                ),
                bucket(
                    "contributors",
                    BucketSize::Rest,
                    balanced(&[("ana", 1, 0), ("ben", 1, 0)]),
                ),
            ],
            ..Plan::default()
        };
        let distribution = distribute(1_000, &plan).unwrap();
        assert_consistent(&distribution);
        assert_eq!(distribution.recipients[&id("lender")].amount, 300);
        assert_eq!(distribution.recipients[&id("ana")].amount, 350);
        assert_eq!(distribution.buckets[0].claims_after, Some(vec![]));
        // 200 only: the lender gets it all and is still owed 100.
        let distribution = distribute(200, &plan).unwrap();
        assert_eq!(distribution.recipients[&id("ana")].amount, 0);
        assert_eq!(
            distribution.buckets[0].claims_after,
            Some(vec![Claim {
                holder: id("lender"),
                terms: ClaimTerms::Debt {
                    owed: 100,
                    seniority: 0
                }
            }])
        );
    }

    #[test]
    fn bad_plans_are_refused() {
        let over = Plan {
            buckets: vec![
                bucket("a", BucketSize::OfBudgetPpm(600_000), special("x", "")),
                bucket("b", BucketSize::OfBudgetPpm(500_000), special("y", "")),
            ],
            fallback: Some(id("t")),
            ..Plan::default()
        };
        assert_eq!(
            distribute(100, &over).unwrap_err().code(),
            "policy_buckets_over_budget"
        );
        let too_big = Plan {
            buckets: vec![bucket(
                "a",
                BucketSize::OfRemainderPpm(PPM_TOTAL + 1),
                special("x", ""),
            )],
            ..Plan::default()
        };
        assert_eq!(
            distribute(100, &too_big).unwrap_err().code(),
            "policy_invalid"
        );
        let same_name = Plan {
            buckets: vec![
                bucket("a", BucketSize::Rest, special("x", "")),
                bucket("a", BucketSize::Rest, special("y", "")),
            ],
            ..Plan::default()
        };
        assert_eq!(
            distribute(100, &same_name).unwrap_err().code(),
            "policy_invalid"
        );
        let many = Plan {
            buckets: (0..=BUCKETS_MAX)
                .map(|i| bucket(&format!("b{i}"), BucketSize::Rest, special("x", "")))
                .collect(),
            ..Plan::default()
        };
        assert_eq!(
            distribute(100, &many).unwrap_err().code(),
            "policy_too_many"
        );
        let mut overflowing = association_plan();
        overflowing.carried_in.insert(id("a"), u64::MAX);
        assert_eq!(
            distribute(1, &overflowing).unwrap_err().code(),
            "amount_overflow"
        );
        // An error inside a bucket's policy surfaces with its own code.
        let bad_split = Plan {
            buckets: vec![bucket("a", BucketSize::Rest, splits(&[("x", 0)]))],
            ..Plan::default()
        };
        assert_eq!(
            distribute(100, &bad_split).unwrap_err().code(),
            "policy_invalid"
        );
    }

    fn policy_strategy() -> impl Strategy<Value = Policy> {
        let names = || proptest::collection::vec((0usize..6, 0u64..1_000), 1..5);
        prop_oneof![
            (0usize..6).prop_map(|r| special(&format!("r{r}"), "memo")),
            proptest::collection::btree_map(0usize..6, 1u32..=250_000, 1..4).prop_map(|m| {
                Policy::Splits {
                    receivers: m
                        .into_iter()
                        .map(|(r, weight_ppm)| SplitReceiver {
                            recipient: id(&format!("r{r}")),
                            weight_ppm,
                        })
                        .collect(),
                }
            }),
            names().prop_map(|rows| Policy::Bounty {
                coauthors: rows
                    .into_iter()
                    .collect::<BTreeMap<_, _>>()
                    .into_iter()
                    .map(|(r, share)| CoauthorShare {
                        coauthor: id(&format!("r{r}")),
                        share
                    })
                    .collect(),
            }),
            names().prop_map(|rows| {
                let rows: BTreeMap<usize, u64> = rows.into_iter().collect();
                Policy::Immediate {
                    lookback_intervals: 1,
                    histories: rows
                        .into_iter()
                        .map(|(r, credit)| CreditHistory {
                            recipient: id(&format!("r{r}")),
                            credit_per_interval: vec![credit],
                            paid_per_interval: vec![],
                        })
                        .collect(),
                }
            }),
        ]
    }

    fn size_strategy() -> impl Strategy<Value = BucketSize> {
        prop_oneof![
            (0u32..=300_000).prop_map(BucketSize::OfBudgetPpm),
            (0u32..=PPM_TOTAL).prop_map(BucketSize::OfRemainderPpm),
            Just(BucketSize::Rest),
        ]
    }

    /// The same plan with the recipients of every policy in reverse order.
    fn reversed(plan: &Plan) -> Plan {
        let mut plan = plan.clone();
        for bucket in &mut plan.buckets {
            match &mut bucket.policy {
                Policy::Splits { receivers } => receivers.reverse(),
                Policy::Bounty { coauthors } => coauthors.reverse(),
                Policy::Immediate { histories, .. } => histories.reverse(),
                _ => {}
            }
        }
        plan
    }

    proptest! {
        #[test]
        fn the_whole_budget_is_assigned_and_paid_plus_carried_is_conserved(
            budget in 0u64..=u64::MAX / 2,
            policies in proptest::collection::vec((size_strategy(), policy_strategy()), 0..6),
            payout_min in 0u64..=u64::MAX,
            carried_in in proptest::collection::btree_map(0usize..8, 0u64..=u64::MAX / 64, 0..4),
        ) {
            let plan = Plan {
                buckets: policies
                    .into_iter()
                    .enumerate()
                    .map(|(i, (size, policy))| bucket(&format!("b{i}"), size, policy))
                    .collect(),
                fallback: Some(id("treasury")),
                payout_min: payout_min % (budget / 4 + 2),
                carried_in: carried_in.into_iter().map(|(r, amount)| (id(&format!("r{r}")), amount)).collect(),
            };
            match distribute(budget, &plan) {
                Ok(distribution) => {
                    assert_consistent(&distribution);
                    prop_assert_eq!(distribute(budget, &reversed(&plan)).unwrap(), distribution);
                }
                Err(error) => prop_assert_eq!(error.code(), "policy_buckets_over_budget"),
            }
        }
    }
}
