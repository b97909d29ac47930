//! Spec tests for participatory budgeting: hand-checked rounds for every model and rule,
//! every rejection code, and the laws every count obeys.

use std::cmp::Ordering;

use commons_tally::budget::{
    self, ADD1_INCREMENTS_MAX, BALLOTS_PER_ROUND_MAX, BudgetBallot, BudgetError, BudgetOutcome,
    Completion, ITEM_LABEL_LEN_MAX, ITEMS_PER_PROJECT_MAX, Item, Model, PROJECT_NAME_LEN_MAX,
    PROJECTS_PER_ROUND_MAX, Project, Ratio, ReturnReason, Returned, Round, Rule, Stage, Step,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use sha2::{Digest, Sha256};

const SEED: [u8; 32] = [7; 32];
const APPROVE_ANY: Model = Model::Approval {
    min: 0,
    max: u32::MAX,
};
const EQUAL_SHARES: Rule = Rule::EqualShares {
    completion: Completion::None,
};
const EQUAL_SHARES_THEN_GREEDY: Rule = Rule::EqualShares {
    completion: Completion::Greedy,
};
const EQUAL_SHARES_ADD1: Rule = Rule::EqualShares {
    completion: Completion::Add1ThenGreedy,
};

// ---------------------------------------------------------------------------------------
// Helpers

fn item(label: &str, amount: u64, optional: bool) -> Item {
    Item {
        label: label.to_owned(),
        amount,
        optional,
    }
}

/// A project with one required item costing `cost`.
fn project(name: &str, cost: u64) -> Project {
    Project {
        name: name.to_owned(),
        items: vec![item("all of it", cost, false)],
    }
}

/// A project costing `min_cost` at least and `max_cost` at most.
fn ranged_project(name: &str, min_cost: u64, max_cost: u64) -> Project {
    Project {
        name: name.to_owned(),
        items: vec![
            item("required", min_cost, false),
            item("optional", max_cost - min_cost, true),
        ],
    }
}

fn round(pool: u64, model: Model, rule: Rule, projects: Vec<Project>) -> Round {
    Round {
        pool,
        model,
        rule,
        projects,
    }
}

/// `count` copies of the same approval ballot per group.
fn approvals(groups: &[(usize, &[usize])]) -> Vec<BudgetBallot> {
    groups
        .iter()
        .flat_map(|&(count, projects)| {
            std::iter::repeat_n(BudgetBallot::Approve(projects.to_vec()), count)
        })
        .collect()
}

fn baskets(groups: &[(usize, &[usize])]) -> Vec<BudgetBallot> {
    groups
        .iter()
        .flat_map(|&(count, projects)| {
            std::iter::repeat_n(BudgetBallot::Basket(projects.to_vec()), count)
        })
        .collect()
}

/// The funded projects by index with what each got, then the totals:
/// `"A=60 C=30 | spent 90 left 10"`.
fn summary(outcome: &BudgetOutcome) -> String {
    let mut funded: Vec<_> = outcome.funded.iter().collect();
    funded.sort_by_key(|grant| grant.project);
    let grants: Vec<String> = funded
        .iter()
        .map(|grant| format!("{}={}", grant.name, grant.amount))
        .collect();
    format!(
        "{} | spent {} left {}",
        grants.join(" "),
        outcome.total_spent,
        outcome.leftover
    )
}

fn funding_order(outcome: &BudgetOutcome) -> Vec<&str> {
    outcome
        .funded
        .iter()
        .map(|grant| grant.name.as_str())
        .collect()
}

/// One data-driven case: counts `round` and compares the summary.
fn check(round: &Round, ballots: &[BudgetBallot], expect: &str) -> BudgetOutcome {
    let outcome = budget::allocate(round, ballots, SEED).expect("the round and ballots are valid");
    assert_eq!(summary(&outcome), expect, "round: {round:?}");
    outcome
}

fn ratio(text: &str) -> Ratio {
    let (numerator, denominator) = text.split_once('/').expect("n/d");
    Ratio::new(
        numerator.parse().expect("n"),
        denominator.parse().expect("d"),
    )
    .expect("d > 0")
}

/// A payment or share in whole `1/n_voters` minor units (the unit the count pays in).
fn scaled(amount: Ratio, n_voters: u64) -> u128 {
    let n_voters = u128::from(n_voters);
    assert_eq!(
        n_voters % amount.denominator(),
        0,
        "{amount} is a whole number of 1/{n_voters} units"
    );
    amount.numerator() * (n_voters / amount.denominator())
}

/// `(ballot_index, payment)` per step, payments written as whole `1/n` units.
fn equal_shares_payments(outcome: &BudgetOutcome) -> Vec<(&str, Vec<(usize, u128)>)> {
    outcome
        .steps
        .iter()
        .filter_map(|step| match step {
            Step::EqualShares {
                project, payments, ..
            } => Some((
                outcome
                    .funded
                    .iter()
                    .find(|grant| grant.project == *project)
                    .map(|grant| grant.name.as_str())
                    .expect("every step funds a project"),
                payments
                    .iter()
                    .map(|payment| {
                        (
                            payment.ballot_index,
                            scaled(payment.amount, outcome.n_voters),
                        )
                    })
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

fn lot(seed: &[u8; 32], project: u32) -> [u8; 32] {
    Sha256::new()
        .chain_update(seed)
        .chain_update(project.to_be_bytes())
        .finalize()
        .into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

// ---------------------------------------------------------------------------------------
// Project costs

#[test]
fn a_projects_cost_range_runs_from_its_required_items_to_all_its_items() {
    let playground = Project {
        name: "playground".into(),
        items: vec![
            item("swings", 400, false),
            item("sandpit", 250, false),
            item("bench", 120, true),
            item("mural", 80, true),
        ],
    };
    assert_eq!(playground.min_cost(), 650);
    assert_eq!(playground.max_cost(), 850);
}

// ---------------------------------------------------------------------------------------
// Greedy

#[test]
fn greedy_funds_the_most_voted_projects_that_still_fit_and_skips_the_rest() {
    // Votes: A 4, B 3, C 3, D 1; pool 100.
    //   A (4 votes, 60) fits 100: funded, 40 left.
    //   B and C tie on 3 votes; whichever the lot puts first:
    //     B (50) does not fit 40: skipped, and counting goes on;
    //     C (30) fits 40: funded, 10 left.
    //   D (1 vote, 10) fits 10: funded, 0 left.
    //   E has no votes and is never considered.
    let projects = vec![
        project("A", 60),
        project("B", 50),
        project("C", 30),
        project("D", 10),
        project("E", 5),
    ];
    let ballots = approvals(&[(1, &[0, 1, 2, 3]), (2, &[0, 1, 2]), (1, &[0])]);
    let outcome = check(
        &round(100, APPROVE_ANY, Rule::Greedy, projects),
        &ballots,
        "A=60 C=30 D=10 | spent 100 left 0",
    );
    let considered: Vec<(usize, bool)> = outcome
        .steps
        .iter()
        .map(|step| match step {
            Step::Greedy {
                project, funded, ..
            } => (*project, *funded),
            other => panic!("a greedy count has greedy steps, not {other:?}"),
        })
        .collect();
    assert_eq!(considered.len(), 4, "E, with no votes, is not considered");
    assert!(considered.contains(&(1, false)), "B is skipped");
    assert_eq!(outcome.tie_breaks.len(), 1);
    assert_eq!(outcome.tie_breaks[0].tied, vec![1, 2]);
    assert_eq!(outcome.tie_breaks[0].stage, Stage::Greedy);
}

#[test]
fn knapsack_and_approval_rounds_fund_a_project_at_its_minimum_cost() {
    // The optional bench is not funded: only co-funding reaches past the minimum.
    let projects = vec![ranged_project("park", 70, 90), project("library", 20)];
    for (model, ballots) in [
        (APPROVE_ANY, approvals(&[(3, &[0, 1])])),
        (Model::Knapsack { min_spend: 0 }, baskets(&[(3, &[0, 1])])),
    ] {
        check(
            &round(100, model, Rule::Greedy, projects.clone()),
            &ballots,
            "park=70 library=20 | spent 90 left 10",
        );
    }
}

#[test]
fn ties_are_broken_by_the_seeds_lots_and_every_lot_is_recorded() {
    // Two projects with one vote each and room for one: the smaller lot wins.
    let projects = vec![project("north", 60), project("south", 60)];
    let ballots = approvals(&[(1, &[0]), (1, &[1])]);
    let the_round = round(100, APPROVE_ANY, Rule::Greedy, projects);
    let mut winners = Vec::new();
    for first_byte in 0..=255u8 {
        let mut seed = [0u8; 32];
        seed[0] = first_byte;
        let outcome = budget::allocate(&the_round, &ballots, seed).expect("valid");
        let (north, south) = (lot(&seed, 0), lot(&seed, 1));
        let expected_winner = if north < south { "north" } else { "south" };
        assert_eq!(funding_order(&outcome), vec![expected_winner]);
        let tie = &outcome.tie_breaks[0];
        assert_eq!(tie.tied, vec![0, 1]);
        let expected_order = if north < south {
            vec![0, 1]
        } else {
            vec![1, 0]
        };
        assert_eq!(tie.order, expected_order);
        let expected_lots: Vec<String> = expected_order
            .iter()
            .map(|&project: &usize| hex(&lot(&seed, project as u32)))
            .collect();
        assert_eq!(tie.lots, expected_lots);
        assert_eq!(hex(&outcome.seed), hex(&seed));
        assert_eq!(
            budget::allocate(&the_round, &ballots, seed).expect("valid"),
            outcome,
            "the same seed counts the same way"
        );
        winners.push(expected_winner);
    }
    assert!(winners.contains(&"north") && winners.contains(&"south"));
}

// ---------------------------------------------------------------------------------------
// Method of equal shares

#[test]
fn equal_shares_funds_the_minority_project_that_greedy_leaves_out() {
    // 10 voters, pool 100: seven approve the majority's M1 (33), M2 (32) and M3 (34),
    // three approve the minority's m (30).
    let projects = vec![
        project("M1", 33),
        project("M2", 32),
        project("M3", 34),
        project("m", 30),
    ];
    let ballots = approvals(&[(7, &[0, 1, 2]), (3, &[3])]);
    // Greedy: M1, M2, M3 have 7 votes each and together cost 99, which fits; m (3 votes)
    // then does not fit the 1 left.
    check(
        &round(100, APPROVE_ANY, Rule::Greedy, projects.clone()),
        &ballots,
        "M1=33 M2=32 M3=34 | spent 99 left 1",
    );
    // Equal shares: every voter has 100 / 10 = 10.
    //   Step 1: M2 costs 32 over 7 supporters, rho = 32/7 (4.57); M1 33/7, M3 34/7,
    //           m 30/3 = 10. M2 is cheapest per supporter: the seven pay 32/7 each and
    //           keep 10 - 32/7 = 38/7.
    //   Step 2: M1 at 33/7 (each still has 38/7 >= 33/7); m at 10; M3 at 34/7. M1 is
    //           funded; the seven keep 38/7 - 33/7 = 5/7 each, 5 together.
    //   Step 3: M3 costs 34 > 5: unaffordable. m at 10, the three holding 10 each:
    //           funded, all three pay 10.
    //   Spent 32 + 33 + 30 = 95, left 5; M3 (34) does not fit 5 either.
    for rule in [EQUAL_SHARES, EQUAL_SHARES_THEN_GREEDY, EQUAL_SHARES_ADD1] {
        let outcome = check(
            &round(100, APPROVE_ANY, rule, projects.clone()),
            &ballots,
            "M1=33 M2=32 m=30 | spent 95 left 5",
        );
        assert_eq!(funding_order(&outcome), vec!["M2", "M1", "m"]);
        let prices: Vec<(String, String)> = outcome
            .steps
            .iter()
            .filter_map(|step| match step {
                Step::EqualShares {
                    rho, payment_cap, ..
                } => Some((rho.to_string(), payment_cap.to_string())),
                _ => None,
            })
            .collect();
        assert_eq!(
            prices,
            vec![
                ("32/7".into(), "32/7".into()),
                ("33/7".into(), "33/7".into()),
                ("10/1".into(), "10/1".into()),
            ]
        );
        assert!(outcome.tie_breaks.is_empty());
    }
}

#[test]
fn a_price_that_is_not_a_whole_unit_is_paid_in_floors_and_ceilings_of_tenths() {
    // The round above, in tenths of a minor unit (1/n for n = 10 voters): shares are 100.
    //   Step 1, M2 = 320 tenths over 7: 320 = 7 x 45 + 5, so five pay 46 and two pay 45.
    //     The ceilings go to those holding most (all 100), then by ballot content (all
    //     equal), then by ballot index: voters 0..=4 pay 46 (left 54), voters 5, 6 pay
    //     45 (left 55).
    //   Step 2, M1 = 330 tenths over 7: 330 = 7 x 47 + 1; the one ceiling goes to the
    //     holder of most, voter 5 (55, before voter 6 by index), who pays 48.
    //   Step 3, m = 300 tenths over 3: 100 each, no rounding.
    let projects = vec![
        project("M1", 33),
        project("M2", 32),
        project("M3", 34),
        project("m", 30),
    ];
    let ballots = approvals(&[(7, &[0, 1, 2]), (3, &[3])]);
    let outcome = budget::allocate(
        &round(100, APPROVE_ANY, EQUAL_SHARES, projects),
        &ballots,
        SEED,
    )
    .expect("valid");
    let payments = equal_shares_payments(&outcome);
    let row = |amounts: &[u128], first: usize| -> Vec<(usize, u128)> {
        amounts
            .iter()
            .enumerate()
            .map(|(offset, &amount)| (first + offset, amount))
            .collect()
    };
    assert_eq!(
        payments,
        vec![
            ("M2", row(&[46, 46, 46, 46, 46, 45, 45], 0)),
            ("M1", row(&[47, 47, 47, 47, 47, 48, 47], 0)),
            ("m", row(&[100, 100, 100], 7)),
        ]
    );
    let report = outcome
        .equal_shares
        .as_ref()
        .expect("an equal-shares report");
    assert_eq!(report.voter_share, ratio("10/1"));
    let paid: Vec<String> = report.paid_per_voter.iter().map(Ratio::to_string).collect();
    assert_eq!(
        paid,
        [
            "93/10", "93/10", "93/10", "93/10", "93/10", "93/10", "46/5", "10/1", "10/1", "10/1"
        ]
    );
}

#[test]
fn a_51_percent_majority_does_not_take_every_project_under_equal_shares() {
    // The example of Peters and Skowron and equalshares.net: 100 voters, pool 1000, ten
    // red projects approved by 51 voters and ten blue ones by 49, each costing 100.
    // Every voter has 10.
    //  - Greedy: each red project has 51 votes, more than any blue; ten reds fill the pool.
    //  - Equal shares: a red project costs its supporters 100/51 each, a blue one 100/49,
    //    so reds go first while the 51 can pay: 510 buys five reds (500), leaving 10.
    //    The 49 then buy four blues (400 of 490), leaving 90. Spent 900.
    //  - With greedy completion, the leftover 100 buys the most voted project left: a
    //    sixth red.
    //  - With add1, shares of 11 give the reds 561 (five reds, 61 left) and the blues 539
    //    (five blues): 1000 spent, exactly the pool and nothing left to fund. Shares of
    //    12 would overspend, so add1 keeps 11: five reds and five blues.
    let mut projects = Vec::new();
    for colour in ["red", "blue"] {
        for number in 0..10 {
            projects.push(project(&format!("{colour}{number}"), 100));
        }
    }
    let reds: Vec<usize> = (0..10).collect();
    let blues: Vec<usize> = (10..20).collect();
    let ballots = approvals(&[(51, &reds), (49, &blues)]);
    let count_colours = |outcome: &BudgetOutcome| {
        let red = outcome
            .funded
            .iter()
            .filter(|grant| grant.name.starts_with("red"))
            .count();
        (red, outcome.funded.len() - red, outcome.total_spent)
    };
    for (rule, expect) in [
        (Rule::Greedy, (10, 0, 1000)),
        (EQUAL_SHARES, (5, 4, 900)),
        (EQUAL_SHARES_THEN_GREEDY, (6, 4, 1000)),
        (EQUAL_SHARES_ADD1, (5, 5, 1000)),
    ] {
        let outcome = budget::allocate(
            &round(1000, APPROVE_ANY, rule, projects.clone()),
            &ballots,
            SEED,
        )
        .expect("valid");
        assert_eq!(count_colours(&outcome), expect, "{rule:?}");
        if rule == EQUAL_SHARES_ADD1 {
            let report = outcome.equal_shares.as_ref().expect("a report");
            assert_eq!(report.add1_increments, 1);
            assert_eq!(report.voter_share, ratio("11/1"));
            assert!(!report.add1_limit_reached);
        }
        if rule != Rule::Greedy {
            // Equal reds tie at every step while reds are bought, and so do equal blues:
            // every one of these ties is on the record.
            let ties = outcome
                .tie_breaks
                .iter()
                .filter(|tie| tie.stage == Stage::EqualShares)
                .count();
            assert_eq!(ties, expect.0.min(5) + expect.1.min(5));
        }
    }
}

#[test]
fn knapsack_equal_shares_prices_projects_per_unit_of_cost() {
    // 4 voters, pool 40, so 10 each. Voters 0 and 1 pick {X, Y} (28), voters 2 and 3 {X}.
    // Knapsack ballots carry cost utilities: rho is the share of the cost a payer carries.
    //   Step 1: X costs 20 over 4: 5 each, rho = 5/20 = 1/4. Y costs 8 over 2: 4 each,
    //           rho = 4/8 = 1/2. X goes first (with approval utilities Y's 4 < 5 would).
    //   Step 2: Y: voters 0 and 1 hold 5 each >= 4: 4 each, rho 1/2.
    //   Spent 28, left 12.
    let projects = vec![project("X", 20), project("Y", 8)];
    let ballots = baskets(&[(2, &[0, 1]), (2, &[0])]);
    let outcome = check(
        &round(
            40,
            Model::Knapsack { min_spend: 0 },
            EQUAL_SHARES,
            projects.clone(),
        ),
        &ballots,
        "X=20 Y=8 | spent 28 left 12",
    );
    assert_eq!(funding_order(&outcome), vec!["X", "Y"]);
    let prices: Vec<(String, String)> = outcome
        .steps
        .iter()
        .filter_map(|step| match step {
            Step::EqualShares {
                rho, payment_cap, ..
            } => Some((rho.to_string(), payment_cap.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        prices,
        vec![("1/4".into(), "5/1".into()), ("1/2".into(), "4/1".into())]
    );
    // The same preferences as approval ballots: Y (4 per supporter) goes first.
    let approval = budget::allocate(
        &round(40, APPROVE_ANY, EQUAL_SHARES, projects),
        &approvals(&[(2, &[0, 1]), (2, &[0])]),
        SEED,
    )
    .expect("valid");
    assert_eq!(funding_order(&approval), vec!["Y", "X"]);
}

#[test]
fn supporters_short_of_the_price_pay_all_they_have_and_the_others_split_the_rest() {
    // 3 voters, pool 30, 10 each. Voter 0 approves A and B; voters 1 and 2 approve B.
    let three_voters = approvals(&[(1, &[0, 1]), (2, &[1])]);
    // A = 8, B = 12.
    //   Step 1: A at 8 over 1 supporter; B at 12/3 = 4. B first: 4 each, voter 0 keeps 6.
    //   Step 2: A costs 8 but voter 0 holds 6: unaffordable. Spent 12.
    check(
        &round(
            30,
            APPROVE_ANY,
            EQUAL_SHARES,
            vec![project("A", 8), project("B", 12)],
        ),
        &three_voters,
        "B=12 | spent 12 left 18",
    );
    // A = 6, B = 21.
    //   Step 1: A at 6; B at 21/3 = 7. A first: voter 0 keeps 4.
    //   Step 2: B: voter 0 holds 4 < 21/3, so pays all 4; voters 1 and 2 split the
    //           other 17: 17/2 each, which is rho. In thirds (n = 3): 51 = 2 x 25 + 1,
    //           so voter 1 (first by index among equals) pays 26/3, voter 2 pays 25/3.
    let outcome = check(
        &round(
            30,
            APPROVE_ANY,
            EQUAL_SHARES,
            vec![project("A", 6), project("B", 21)],
        ),
        &three_voters,
        "A=6 B=21 | spent 27 left 3",
    );
    assert_eq!(
        equal_shares_payments(&outcome),
        vec![("A", vec![(0, 18)]), ("B", vec![(0, 12), (1, 26), (2, 25)])]
    );
    let Step::EqualShares {
        rho, payment_cap, ..
    } = &outcome.steps[1]
    else {
        panic!("the second step is an equal-shares step");
    };
    assert_eq!(
        (rho.to_string(), payment_cap.to_string()),
        ("17/2".into(), "17/2".into())
    );
}

// ---------------------------------------------------------------------------------------
// Co-funding

#[test]
fn co_funding_shares_the_pool_equally_and_keeps_the_remainder() {
    // 100 over 3 voters: 33 each, 1 left over in the pool.
    let the_round = round(
        100,
        Model::CoFunding,
        Rule::Greedy,
        vec![project("garden", 99)],
    );
    let ballots = vec![BudgetBallot::CoFund(vec![(0, 33)]); 3];
    let outcome = check(&the_round, &ballots, "garden=99 | spent 99 left 1");
    let report = outcome.co_funding.expect("a co-funding report");
    assert_eq!(report.allocation_per_voter, 33);
    assert_eq!(report.allocation_remainder, 1);
    assert_eq!(report.unpledged, 0);
    assert!(report.returned.is_empty());
}

#[test]
fn co_funding_funds_what_reaches_its_minimum_caps_it_at_its_maximum_and_returns_the_rest() {
    // Pool 100 over 3 voters: 33 each, remainder 1.
    //   P (30..50): 30 + 23 = 53 pledged: funded, granted 50, 3 above max returned.
    //   Q (40):     10 + 8 = 18 pledged, short of 40: unfunded, 18 returned.
    //   R (10..10): 3 + 9 = 12 pledged: funded, granted 10, 2 above max returned.
    //   Voter 2 pledges 17 of 33: 16 unpledged.
    //   60 granted + 23 returned + 16 unpledged + 1 remainder = 100.
    let the_round = round(
        100,
        Model::CoFunding,
        Rule::Greedy,
        vec![
            ranged_project("P", 30, 50),
            project("Q", 40),
            project("R", 10),
        ],
    );
    let ballots = vec![
        BudgetBallot::CoFund(vec![(0, 30), (2, 3)]),
        BudgetBallot::CoFund(vec![(0, 23), (1, 10)]),
        BudgetBallot::CoFund(vec![(1, 8), (2, 9)]),
    ];
    let outcome = check(&the_round, &ballots, "P=50 R=10 | spent 60 left 40");
    assert_eq!(funding_order(&outcome), vec!["P", "R"]);
    let report = outcome.co_funding.as_ref().expect("a co-funding report");
    assert_eq!(
        report.returned,
        vec![
            Returned {
                project: 0,
                amount: 3,
                reason: ReturnReason::AboveMax
            },
            Returned {
                project: 1,
                amount: 18,
                reason: ReturnReason::Unfunded
            },
            Returned {
                project: 2,
                amount: 2,
                reason: ReturnReason::AboveMax
            },
        ]
    );
    assert_eq!(report.returned_total, 23);
    assert_eq!(report.unpledged, 16);
    assert_eq!(report.allocation_remainder, 1);
    assert_eq!(
        outcome.steps[1],
        Step::CoFunding {
            project: 1,
            n_backers: 2,
            pledged: 18,
            granted: 0,
            returned_unfunded: 18,
            returned_above_max: 0,
            funded: false,
        }
    );
}

#[test]
fn co_funding_without_voters_keeps_the_whole_pool() {
    let the_round = round(50, Model::CoFunding, Rule::Greedy, vec![project("P", 10)]);
    let outcome = check(&the_round, &[], " | spent 0 left 50");
    let report = outcome.co_funding.expect("a co-funding report");
    assert_eq!(
        (report.allocation_per_voter, report.allocation_remainder),
        (0, 50)
    );
}

#[test]
fn co_funded_projects_granted_the_same_amount_are_listed_by_lot_and_the_tie_recorded() {
    let the_round = round(
        40,
        Model::CoFunding,
        Rule::Greedy,
        vec![project("P", 10), project("Q", 10)],
    );
    let ballots = vec![
        BudgetBallot::CoFund(vec![(0, 10)]),
        BudgetBallot::CoFund(vec![(1, 10)]),
    ];
    let outcome = check(&the_round, &ballots, "P=10 Q=10 | spent 20 left 20");
    assert_eq!(outcome.tie_breaks.len(), 1);
    assert_eq!(outcome.tie_breaks[0].stage, Stage::CoFunding);
    let first = outcome.tie_breaks[0].order[0];
    assert_eq!(outcome.funded[0].project, first);
}

// ---------------------------------------------------------------------------------------
// Rejections

fn projects_abc() -> Vec<Project> {
    vec![
        project("A", 40),
        project("B", 30),
        ranged_project("C", 20, 25),
    ]
}

/// One data-driven case: `ballot` in `the_round` for `n_voters` gives `code` (or "ok").
fn check_ballot_code(the_round: &Round, n_voters: u64, ballot: BudgetBallot, code: &str) {
    let got = match budget::validate(the_round, n_voters, &ballot) {
        Ok(()) => "ok",
        Err(error) => error.code(),
    };
    assert_eq!(got, code, "{ballot:?} in {:?}", the_round.model);
}

/// One data-driven case: `the_round` is rejected with `code` (or "ok") by both
/// `validate` and `allocate`.
fn check_round_code(the_round: Round, code: &str) {
    // An empty approval ballot may be wrong for the round; only the round's code counts.
    let validated = match budget::validate(&the_round, 1, &BudgetBallot::Approve(vec![])) {
        Ok(()) | Err(BudgetError::BallotKind { .. } | BudgetError::ApprovalCount { .. }) => "ok",
        Err(error) => error.code(),
    };
    let counted = match budget::allocate(&the_round, &[], SEED) {
        Ok(_) => "ok",
        Err(error) => error.code(),
    };
    assert_eq!((validated, counted), (code, code), "{code}");
}

fn approve(projects: &[usize]) -> BudgetBallot {
    BudgetBallot::Approve(projects.to_vec())
}

fn basket(projects: &[usize]) -> BudgetBallot {
    BudgetBallot::Basket(projects.to_vec())
}

fn co_fund(pledges: &[(usize, u64)]) -> BudgetBallot {
    BudgetBallot::CoFund(pledges.to_vec())
}

#[test]
fn every_invalid_ballot_is_rejected_with_its_code() {
    // Projects A (40), B (30) and C (20 to 25).
    let approval = round(
        90,
        Model::Approval { min: 1, max: 2 },
        EQUAL_SHARES,
        projects_abc(),
    );
    check_ballot_code(&approval, 3, approve(&[0, 3]), "unknown_project");
    check_ballot_code(&approval, 3, approve(&[1, 1]), "duplicate_project");
    check_ballot_code(&approval, 3, approve(&[]), "approval_count");
    check_ballot_code(&approval, 3, approve(&[0, 1, 2]), "approval_count");
    check_ballot_code(&approval, 3, approve(&[2, 0]), "ok");
    check_ballot_code(&approval, 3, basket(&[0]), "ballot_kind");

    // Pool 80, minimum spend 30.
    let knapsack = round(
        80,
        Model::Knapsack { min_spend: 30 },
        Rule::Greedy,
        projects_abc(),
    );
    check_ballot_code(&knapsack, 3, basket(&[0, 1, 2]), "basket_over_budget");
    check_ballot_code(&knapsack, 3, basket(&[2]), "basket_under_minimum");
    check_ballot_code(&knapsack, 3, basket(&[]), "basket_under_minimum");
    check_ballot_code(&knapsack, 3, basket(&[0, 4]), "unknown_project");
    check_ballot_code(&knapsack, 3, basket(&[0, 2]), "ok");
    check_ballot_code(&knapsack, 3, basket(&[1]), "ok");
    check_ballot_code(&knapsack, 3, approve(&[0]), "ballot_kind");

    // Pool 90: 30 each for 3 voters, 90 for 1, nothing without voters.
    let co_funding = round(90, Model::CoFunding, Rule::Greedy, projects_abc());
    check_ballot_code(
        &co_funding,
        3,
        co_fund(&[(0, 20), (1, 11)]),
        "allocation_exceeded",
    );
    check_ballot_code(&co_funding, 3, co_fund(&[(0, 20), (1, 10)]), "ok");
    check_ballot_code(&co_funding, 0, co_fund(&[(0, 1)]), "allocation_exceeded");
    check_ballot_code(&co_funding, 0, co_fund(&[]), "ok");
    check_ballot_code(&co_funding, 1, co_fund(&[(2, 26)]), "project_over_max");
    check_ballot_code(&co_funding, 1, co_fund(&[(2, 25), (0, 0)]), "ok");
    check_ballot_code(&co_funding, 3, co_fund(&[(9, 1)]), "unknown_project");
    check_ballot_code(
        &co_funding,
        3,
        co_fund(&[(0, 1), (0, 1)]),
        "duplicate_project",
    );
    check_ballot_code(&co_funding, 3, approve(&[0]), "ballot_kind");
}

#[test]
fn every_invalid_round_is_rejected_with_its_code() {
    let approval = |projects: Vec<Project>| round(100, APPROVE_ANY, Rule::Greedy, projects);
    let n_projects = |n: usize| (0..n).map(|i| project(&format!("p{i}"), 1)).collect();
    let n_items = |n: usize| Project {
        name: "big".into(),
        items: (0..n).map(|i| item(&format!("i{i}"), 1, false)).collect(),
    };
    let items = |items: Vec<Item>| Project {
        name: "p".into(),
        items,
    };
    let long = |n: usize| "x".repeat(n);

    check_round_code(approval(n_projects(PROJECTS_PER_ROUND_MAX)), "ok");
    check_round_code(
        approval(n_projects(PROJECTS_PER_ROUND_MAX + 1)),
        "too_many_projects",
    );
    check_round_code(approval(vec![n_items(ITEMS_PER_PROJECT_MAX)]), "ok");
    check_round_code(
        approval(vec![n_items(ITEMS_PER_PROJECT_MAX + 1)]),
        "too_many_items",
    );
    check_round_code(
        approval(vec![project(&long(PROJECT_NAME_LEN_MAX), 1)]),
        "ok",
    );
    let name_too_long = project(&long(PROJECT_NAME_LEN_MAX + 1), 1);
    check_round_code(approval(vec![name_too_long]), "project_name_too_long");
    let label = |n: usize| items(vec![item(&long(n), 1, false)]);
    check_round_code(approval(vec![label(ITEM_LABEL_LEN_MAX)]), "ok");
    check_round_code(
        approval(vec![label(ITEM_LABEL_LEN_MAX + 1)]),
        "item_label_too_long",
    );
    let overflowing = items(vec![item("a", u64::MAX, false), item("b", 1, true)]);
    check_round_code(approval(vec![overflowing]), "project_cost_overflow");
    let all_optional = items(vec![item("a", 5, true)]);
    check_round_code(approval(vec![all_optional]), "project_min_cost_zero");
    check_round_code(approval(vec![project("free", 0)]), "project_min_cost_zero");

    let knapsack = |min_spend| round(100, Model::Knapsack { min_spend }, Rule::Greedy, vec![]);
    check_round_code(knapsack(100), "ok");
    check_round_code(knapsack(101), "min_spend_over_pool");
    let bounded = |min, max| round(100, Model::Approval { min, max }, Rule::Greedy, vec![]);
    check_round_code(bounded(2, 2), "ok");
    check_round_code(bounded(3, 2), "approval_bounds");
    check_round_code(
        round(100, Model::CoFunding, EQUAL_SHARES, vec![]),
        "rule_unsupported",
    );
}

#[test]
fn an_electorate_larger_than_the_limit_is_rejected() {
    let the_round = round(100, APPROVE_ANY, Rule::Greedy, vec![project("p", 1)]);
    let error = budget::validate(
        &the_round,
        BALLOTS_PER_ROUND_MAX + 1,
        &BudgetBallot::Approve(vec![0]),
    )
    .expect_err("too many voters");
    assert_eq!(error.code(), "too_many_ballots");
    assert_eq!(
        budget::validate(
            &the_round,
            BALLOTS_PER_ROUND_MAX,
            &BudgetBallot::Approve(vec![0])
        ),
        Ok(())
    );
}

#[test]
fn a_count_with_an_invalid_ballot_fails_and_names_the_ballot() {
    let the_round = round(100, APPROVE_ANY, EQUAL_SHARES, projects_abc());
    let ballots = vec![
        BudgetBallot::Approve(vec![0]),
        BudgetBallot::Approve(vec![1]),
        BudgetBallot::Approve(vec![7]),
    ];
    let error = budget::allocate(&the_round, &ballots, SEED).expect_err("ballot 2 is invalid");
    assert_eq!(error.code(), "unknown_project");
    let BudgetError::InvalidBallot { ballot_index, .. } = error else {
        panic!("an invalid ballot is named: {error:?}");
    };
    assert_eq!(ballot_index, 2);
    assert_eq!(
        BudgetError::InvalidBallot {
            ballot_index: 2,
            reason: Box::new(BudgetError::UnknownProject { project: 7 })
        }
        .to_string(),
        "ballot 2: there is no project 7"
    );
}

// ---------------------------------------------------------------------------------------
// Ratios

#[test]
fn ratios_are_kept_in_lowest_terms_and_shown_as_n_over_d() {
    assert_eq!(ratio("6/4").to_string(), "3/2");
    assert_eq!(ratio("0/7").to_string(), "0/1");
    assert_eq!(Ratio::new(1, 0), None);
    assert_eq!(Ratio::whole(5), ratio("10/2"));
}

#[test]
fn ratios_too_large_to_cross_multiply_still_compare_exactly() {
    let big = u128::MAX;
    let (left, right) = (ratio_of(big - 1, big), ratio_of(big - 2, big - 1));
    assert_eq!(left.cmp(&right), Ordering::Greater);
    assert_eq!(ratio_of(big, 3).cmp(&ratio_of(big, 3)), Ordering::Equal);
    assert_eq!(
        ratio_of(big, big - 1).cmp(&Ratio::whole(1)),
        Ordering::Greater
    );
}

fn ratio_of(numerator: u128, denominator: u128) -> Ratio {
    Ratio::new(numerator, denominator).expect("non-zero denominator")
}

// ---------------------------------------------------------------------------------------
// Laws

/// A fixed seed so any failure replays; no regression files, so tests stay hermetic.
fn seeded_config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x6275_6467_6574),
        failure_persistence: None,
        ..Config::default()
    }
}

const RULES: [Rule; 4] = [
    Rule::Greedy,
    EQUAL_SHARES,
    EQUAL_SHARES_THEN_GREEDY,
    EQUAL_SHARES_ADD1,
];

/// A knapsack or approval round of up to 8 projects costing 1..=60 (some with optional
/// items) and up to 14 valid ballots, under any rule, with a seed.
fn voted_round() -> impl Strategy<Value = (Round, Vec<BudgetBallot>, [u8; 32])> {
    (
        0u64..=200,
        prop::collection::vec((1u64..=60, 0u64..=20), 1..=8),
        any::<bool>(),
        0usize..RULES.len(),
        prop::collection::vec(prop::collection::vec(any::<bool>(), 8), 0..=14),
        any::<[u8; 32]>(),
    )
        .prop_map(|(pool, costs, knapsack, rule, picks, seed)| {
            let projects: Vec<Project> = costs
                .iter()
                .enumerate()
                .map(|(index, &(min_cost, extra))| {
                    ranged_project(&format!("p{index}"), min_cost, min_cost + extra)
                })
                .collect();
            let ballots = picks
                .iter()
                .map(|picked| {
                    let mut chosen: Vec<usize> =
                        (0..projects.len()).filter(|&p| picked[p]).collect();
                    if knapsack {
                        // Keep the basket within the pool: drop projects from the end.
                        while chosen.iter().map(|&p| projects[p].min_cost()).sum::<u64>() > pool {
                            chosen.pop();
                        }
                        BudgetBallot::Basket(chosen)
                    } else {
                        BudgetBallot::Approve(chosen)
                    }
                })
                .collect();
            let model = if knapsack {
                Model::Knapsack { min_spend: 0 }
            } else {
                APPROVE_ANY
            };
            (round(pool, model, RULES[rule], projects), ballots, seed)
        })
}

/// A co-funding round of up to 6 projects and up to 10 voters pledging within their
/// allocation (some pledges past a project's maximum in sum, some short of its minimum).
fn co_funded_round() -> impl Strategy<Value = (Round, Vec<BudgetBallot>, [u8; 32])> {
    (
        0u64..=500,
        prop::collection::vec((1u64..=80, 0u64..=40), 1..=6),
        prop::collection::vec(
            prop::collection::vec((0usize..6, 0u64..=100), 0..=6),
            0..=10,
        ),
        any::<[u8; 32]>(),
    )
        .prop_map(|(pool, costs, wishes, seed)| {
            let projects: Vec<Project> = costs
                .iter()
                .enumerate()
                .map(|(index, &(min_cost, extra))| {
                    ranged_project(&format!("p{index}"), min_cost, min_cost + extra)
                })
                .collect();
            let allocation = pool.checked_div(wishes.len() as u64).unwrap_or(0);
            let ballots = wishes
                .iter()
                .map(|wish| {
                    let mut left = allocation;
                    let mut pledges: Vec<(usize, u64)> = Vec::new();
                    for &(project, amount) in wish {
                        let project = project % projects.len();
                        if pledges.iter().any(|&(p, _)| p == project) {
                            continue;
                        }
                        let amount = amount.min(left).min(projects[project].max_cost());
                        left -= amount;
                        pledges.push((project, amount));
                    }
                    BudgetBallot::CoFund(pledges)
                })
                .collect();
            (
                round(pool, Model::CoFunding, Rule::Greedy, projects),
                ballots,
                seed,
            )
        })
}

/// What an outcome says apart from ballot indexes: the rest of the outcome as text, the
/// steps without payments, each step's payments and every voter's total by ballot content.
type OrderFreeOutcome = (
    String,
    Vec<Step>,
    Vec<Vec<(String, Ratio)>>,
    Vec<(String, Ratio)>,
);

/// The outcome with every ballot index replaced by that ballot's content, and per-step
/// payments and per-voter totals as sorted multisets: what must not change when the
/// ballots are shuffled.
fn without_ballot_order(outcome: &BudgetOutcome, ballots: &[BudgetBallot]) -> OrderFreeOutcome {
    let content = |ballot_index: usize| format!("{:?}", sorted_ballot(&ballots[ballot_index]));
    let mut steps = Vec::new();
    let mut payments = Vec::new();
    for step in &outcome.steps {
        if let Step::EqualShares {
            project,
            cost,
            rho,
            payment_cap,
            payments: paid,
        } = step
        {
            let mut by_content: Vec<(String, Ratio)> = paid
                .iter()
                .map(|payment| (content(payment.ballot_index), payment.amount))
                .collect();
            by_content.sort();
            payments.push(by_content);
            steps.push(Step::EqualShares {
                project: *project,
                cost: *cost,
                rho: *rho,
                payment_cap: *payment_cap,
                payments: Vec::new(),
            });
        } else {
            steps.push(step.clone());
        }
    }
    let mut totals: Vec<(String, Ratio)> = outcome
        .equal_shares
        .iter()
        .flat_map(|report| report.paid_per_voter.iter().copied().enumerate())
        .map(|(ballot_index, paid)| (content(ballot_index), paid))
        .collect();
    totals.sort();
    let rest = format!(
        "{:?} {} {} {:?} {:?} {:?}",
        outcome.funded,
        outcome.total_spent,
        outcome.leftover,
        outcome.tie_breaks,
        outcome.co_funding,
        outcome.equal_shares.as_ref().map(|report| (
            report.voter_share,
            report.add1_increments,
            report.add1_limit_reached
        )),
    );
    (rest, steps, payments, totals)
}

fn sorted_ballot(ballot: &BudgetBallot) -> BudgetBallot {
    match ballot {
        BudgetBallot::CoFund(pledges) => {
            let mut pledges = pledges.clone();
            pledges.sort_unstable();
            BudgetBallot::CoFund(pledges)
        }
        BudgetBallot::Basket(projects) => {
            let mut projects = projects.clone();
            projects.sort_unstable();
            BudgetBallot::Basket(projects)
        }
        BudgetBallot::Approve(projects) => {
            let mut projects = projects.clone();
            projects.sort_unstable();
            BudgetBallot::Approve(projects)
        }
    }
}

proptest! {
    #![proptest_config(seeded_config(512))]

    /// No rule spends more than the pool; the grants add up to what was spent, what was
    /// spent and what was left add up to the pool, and no project is funded twice.
    #[test]
    fn no_rule_ever_spends_more_than_the_pool((the_round, ballots, seed) in voted_round()) {
        let outcome = budget::allocate(&the_round, &ballots, seed).expect("generated ballots are valid");
        prop_assert!(outcome.total_spent <= the_round.pool);
        prop_assert_eq!(outcome.total_spent + outcome.leftover, the_round.pool);
        prop_assert_eq!(outcome.funded.iter().map(|grant| grant.amount).sum::<u64>(), outcome.total_spent);
        let mut funded: Vec<usize> = outcome.funded.iter().map(|grant| grant.project).collect();
        funded.sort_unstable();
        funded.dedup();
        prop_assert_eq!(funded.len(), outcome.funded.len());
    }

    /// Greedy and any completed equal shares leave nothing that someone voted for and
    /// that still fits what is left.
    #[test]
    fn greedy_and_completed_counts_leave_no_voted_project_that_would_fit(
        (the_round, ballots, seed) in voted_round()
    ) {
        let outcome = budget::allocate(&the_round, &ballots, seed).expect("valid");
        if the_round.rule != EQUAL_SHARES {
            for (project_index, project) in the_round.projects.iter().enumerate() {
                let voted = supports(&ballots, project_index);
                let funded = outcome.funded.iter().any(|grant| grant.project == project_index);
                prop_assert!(funded || !voted || project.min_cost() > outcome.leftover);
            }
        }
    }

    /// Co-funding never spends more than the pool and loses nothing: granted, returned,
    /// unpledged and the allocation remainder add up to the pool. Each project gets
    /// between its minimum and maximum or nothing.
    #[test]
    fn co_funding_conserves_the_pool((the_round, ballots, seed) in co_funded_round()) {
        let outcome = budget::allocate(&the_round, &ballots, seed).expect("generated ballots are valid");
        let report = outcome.co_funding.as_ref().expect("a co-funding report");
        prop_assert!(outcome.total_spent <= the_round.pool);
        prop_assert_eq!(
            outcome.total_spent + report.returned_total + report.unpledged + report.allocation_remainder,
            the_round.pool
        );
        prop_assert_eq!(report.returned.iter().map(|returned| returned.amount).sum::<u64>(), report.returned_total);
        prop_assert_eq!(outcome.leftover, report.returned_total + report.unpledged + report.allocation_remainder);
        for grant in &outcome.funded {
            let project = &the_round.projects[grant.project];
            prop_assert!(project.min_cost() <= grant.amount && grant.amount <= project.max_cost());
        }
    }

    /// Shuffling the ballots changes nothing but which index a payment is shown against.
    #[test]
    fn the_outcome_does_not_depend_on_the_order_of_the_ballots(
        (the_round, ballots, seed) in prop_oneof![voted_round(), co_funded_round()],
        shuffle_seed in any::<u64>(),
    ) {
        let mut shuffled = ballots.clone();
        // A seeded Fisher-Yates shuffle (xorshift), so every case replays.
        let mut state = shuffle_seed | 1;
        for index in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let other = (state % (index as u64 + 1)) as usize;
            shuffled.swap(index, other);
        }
        let outcome = budget::allocate(&the_round, &ballots, seed).expect("valid");
        let shuffled_outcome = budget::allocate(&the_round, &shuffled, seed).expect("valid");
        prop_assert_eq!(
            without_ballot_order(&outcome, &ballots),
            without_ballot_order(&shuffled_outcome, &shuffled)
        );
    }

    /// Under equal shares no voter pays more than their share: each step's payments add
    /// up to the project's cost, no payment exceeds the step's cap by a whole unit, and
    /// every voter's payments add up to their reported total, at most their share.
    #[test]
    fn equal_shares_payments_never_exceed_a_voters_share(
        (the_round, ballots, seed) in voted_round()
    ) {
        let the_round = Round {
            rule: [EQUAL_SHARES, EQUAL_SHARES_THEN_GREEDY, EQUAL_SHARES_ADD1][seed[0] as usize % 3],
            ..the_round
        };
        let outcome = budget::allocate(&the_round, &ballots, seed).expect("valid");
        let report = outcome.equal_shares.as_ref().expect("an equal-shares report");
        let n = outcome.n_voters;
        prop_assert!(report.add1_increments <= ADD1_INCREMENTS_MAX);
        let mut paid = vec![0u128; ballots.len()];
        for step in &outcome.steps {
            if let Step::EqualShares { cost, payment_cap, payments, .. } = step {
                let cap = *payment_cap;
                let mut collected = 0u128;
                for payment in payments {
                    let amount = scaled(payment.amount, n);
                    // amount <= cap rounded up to a whole 1/n unit.
                    prop_assert!(Ratio::new(amount, u128::from(n)).expect("n > 0") <= cap
                        || Ratio::new(amount - 1, u128::from(n)).expect("n > 0") < cap);
                    paid[payment.ballot_index] += amount;
                    collected += amount;
                }
                prop_assert_eq!(collected, u128::from(*cost) * u128::from(n));
            }
        }
        if n > 0 {
            let share = scaled(report.voter_share, n);
            for (ballot_index, &total) in paid.iter().enumerate() {
                prop_assert!(total <= share);
                prop_assert_eq!(Ratio::new(total, u128::from(n)), Some(report.paid_per_voter[ballot_index]));
            }
            if report.add1_increments == 0 {
                prop_assert_eq!(report.voter_share, Ratio::new(u128::from(the_round.pool), u128::from(n)).expect("n > 0"));
            }
        }
    }

    /// Exact comparison agrees with cross multiplication wherever the latter fits.
    #[test]
    fn ratio_order_agrees_with_cross_multiplication(
        a in 0u128..1 << 60, b in 1u128..1 << 60, c in 0u128..1 << 60, d in 1u128..1 << 60,
    ) {
        prop_assert_eq!(ratio_of(a, b).cmp(&ratio_of(c, d)), (a * d).cmp(&(c * b)));
    }
}

fn supports(ballots: &[BudgetBallot], project: usize) -> bool {
    ballots.iter().any(|ballot| match ballot {
        BudgetBallot::CoFund(pledges) => pledges.iter().any(|&(p, _)| p == project),
        BudgetBallot::Basket(projects) | BudgetBallot::Approve(projects) => {
            projects.contains(&project)
        }
    })
}
