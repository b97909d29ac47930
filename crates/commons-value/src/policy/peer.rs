//! Peer allocation in a GIVE circle, as Coordinape runs it: every member holds the same
//! number of GIVE tokens for an epoch and gives them to other members, never to themselves;
//! the GIVE each member receives is their weight, and the budget is split in proportion.
//!
//! GIVE a member keeps unallocated simply does not count. A member who opted out of
//! receiving (Coordinape's non-receiver) can still give, but GIVE given to them does not
//! count either, so it goes to nobody rather than being redistributed.

use super::{
    Allocation, Basis, POLICY_RECIPIENTS_MAX, PolicyError, RecipientId, by_weights, check_count,
    check_unique,
};
use std::collections::BTreeMap;

/// Most GIVE one member may hold in an epoch.
pub const GIVE_PER_MEMBER_MAX: u64 = 1_000_000_000;

/// A circle and its allocations for one epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GiveCircle {
    /// The GIVE each member holds (Coordinape's default is 100).
    pub give_per_member: u64,
    pub members: Vec<CircleMember>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircleMember {
    pub member: RecipientId,
    /// Opted out of receiving: gets nothing, may still give.
    pub opted_out: bool,
    /// GIVE given to other members; at most one gift per receiver.
    pub gifts: Vec<Gift>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gift {
    pub to: RecipientId,
    pub give: u64,
}

/// Splits `budget` among the circle's members in proportion to the GIVE each received,
/// `amountᵢ ∝ Σⱼ giveⱼ→ᵢ` over givers `j ≠ i`, opted-out members excluded. Refuses a gift
/// to oneself or to a non-member, two gifts to the same member, and a giver who gives more
/// than they hold. When nobody received any GIVE nothing is placed.
pub fn peer(budget: u64, circle: &GiveCircle) -> Result<Allocation, PolicyError> {
    check_count(
        "circle members",
        circle.members.len(),
        POLICY_RECIPIENTS_MAX,
    )?;
    check_unique(circle.members.iter().map(|m| &m.member))?;
    if circle.give_per_member > GIVE_PER_MEMBER_MAX {
        return Err(PolicyError::invalid(
            "give_per_member",
            format!("more than the {GIVE_PER_MEMBER_MAX} allowed"),
        ));
    }
    // (GIVE received, number of givers) per member.
    let mut received: BTreeMap<&RecipientId, (u64, u64)> =
        circle.members.iter().map(|m| (&m.member, (0, 0))).collect();
    let opted_out: BTreeMap<&RecipientId, bool> = circle
        .members
        .iter()
        .map(|m| (&m.member, m.opted_out))
        .collect();
    for giver in &circle.members {
        check_count(
            "gifts of one member",
            giver.gifts.len(),
            circle.members.len(),
        )?;
        check_unique(giver.gifts.iter().map(|gift| &gift.to))?;
        let given = giver
            .gifts
            .iter()
            .fold(0u64, |sum, gift| sum.saturating_add(gift.give));
        if given > circle.give_per_member {
            return Err(PolicyError::invalid(
                "gifts",
                format!(
                    "{} gives {given} GIVE but holds {}",
                    giver.member, circle.give_per_member
                ),
            ));
        }
        for gift in &giver.gifts {
            if gift.to == giver.member {
                return Err(PolicyError::invalid(
                    "gift",
                    format!("{} gives GIVE to themselves", giver.member),
                ));
            }
            let Some(entry) = received.get_mut(&gift.to) else {
                return Err(PolicyError::UnknownRecipient(gift.to.clone()));
            };
            if gift.give > 0 && !opted_out[&gift.to] {
                // Every giver gives at most GIVE_PER_MEMBER_MAX (checked above), so a
                // member receives at most members × 10⁹ < 2⁶⁴.
                entry.0 += gift.give;
                entry.1 += 1;
            }
        }
    }
    let weighted = received
        .into_iter()
        .map(|(member, (give_received, n_givers))| {
            (
                member.clone(),
                give_received,
                Basis::Peer {
                    give_received,
                    n_givers,
                    opted_out: opted_out[member],
                },
            )
        })
        .collect();
    by_weights(budget, weighted)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use proptest::prelude::*;

    fn member(name: &str, opted_out: bool, gifts: &[(&str, u64)]) -> CircleMember {
        CircleMember {
            member: id(name),
            opted_out,
            gifts: gifts
                .iter()
                .map(|&(to, give)| Gift { to: id(to), give })
                .collect(),
        }
    }

    fn circle(members: Vec<CircleMember>) -> GiveCircle {
        GiveCircle {
            give_per_member: 100,
            members,
        }
    }

    #[test]
    fn received_give_are_the_weights() {
        // alice receives 60 + 50, bob 40, carol 50 + 0: 110 : 40 : 50 of 1000.
        let circle = circle(vec![
            member("alice", false, &[("bob", 40), ("carol", 50)]),
            member("bob", false, &[("alice", 60)]),
            member("carol", false, &[("alice", 50), ("bob", 0)]),
        ]);
        let allocation = peer(1_000, &circle).unwrap();
        assert_conserves(1_000, &allocation);
        assert_eq!(
            amounts(&allocation),
            [("alice", 550), ("bob", 200), ("carol", 250)]
        );
        assert_eq!(
            allocation.shares[0].basis,
            Basis::Peer {
                give_received: 110,
                n_givers: 2,
                opted_out: false
            }
        );
    }

    #[test]
    fn unallocated_give_and_give_to_opted_out_members_do_not_count() {
        // bob keeps 90 of his 100 GIVE; dave opted out, so alice's 70 to him count for
        // nobody, but he still gives alice 100; carol gets alice's 30 and bob's 10. Of 99,
        // 100 : 40 is 70.7 and 28.3.
        let circle = circle(vec![
            member("alice", false, &[("carol", 30), ("dave", 70)]),
            member("bob", false, &[("carol", 10)]),
            member("carol", false, &[]),
            member("dave", true, &[("alice", 100)]),
        ]);
        let allocation = peer(99, &circle).unwrap();
        assert_conserves(99, &allocation);
        assert_eq!(
            amounts(&allocation),
            [("alice", 71), ("bob", 0), ("carol", 28), ("dave", 0)]
        );
        assert_eq!(
            allocation.shares[3].basis,
            Basis::Peer {
                give_received: 0,
                n_givers: 0,
                opted_out: true
            }
        );
    }

    #[test]
    fn malformed_circles_are_refused() {
        let to_self = circle(vec![member("alice", false, &[("alice", 1)])]);
        assert_eq!(peer(1, &to_self).unwrap_err().code(), "policy_invalid");
        let over = circle(vec![
            member("alice", false, &[("bob", 60), ("carol", 41)]),
            member("bob", false, &[]),
            member("carol", false, &[]),
        ]);
        assert_eq!(peer(1, &over).unwrap_err().code(), "policy_invalid");
        let stranger = circle(vec![member("alice", false, &[("zed", 1)])]);
        assert_eq!(
            peer(1, &stranger).unwrap_err().code(),
            "policy_unknown_recipient"
        );
        let twice = circle(vec![
            member("alice", false, &[("bob", 1), ("bob", 2)]),
            member("bob", false, &[]),
        ]);
        assert_eq!(
            peer(1, &twice).unwrap_err().code(),
            "policy_duplicate_recipient"
        );
        let mut rich = circle(vec![]);
        rich.give_per_member = GIVE_PER_MEMBER_MAX + 1;
        assert_eq!(peer(1, &rich).unwrap_err().code(), "policy_invalid");
        // Nobody received anything: nothing is placed.
        let idle = circle(vec![member("alice", false, &[]), member("bob", false, &[])]);
        assert_eq!(peer(5, &idle).unwrap().unallocated, 5);
    }

    proptest! {
        #[test]
        fn payouts_sum_to_the_budget_and_do_not_depend_on_order(
            budget in 0u64..=u64::MAX,
            gifts in proptest::collection::vec(proptest::collection::vec(0u64..=25, 6), 1..6),
            opted_out in proptest::collection::vec(any::<bool>(), 6),
            rotate in 0usize..6,
        ) {
            let n = gifts.len();
            let members: Vec<CircleMember> = gifts
                .iter()
                .enumerate()
                .map(|(i, row)| CircleMember {
                    member: id(&format!("m{i}")),
                    opted_out: opted_out[i],
                    gifts: (0..n)
                        .filter(|&j| j != i)
                        .map(|j| Gift { to: id(&format!("m{j}")), give: row[j] })
                        .collect(),
                })
                .collect();
            let circle = GiveCircle { give_per_member: 100, members };
            let allocation = peer(budget, &circle).unwrap();
            assert_conserves(budget, &allocation);
            for share in &allocation.shares {
                let Basis::Peer { give_received, opted_out, .. } = share.basis else { unreachable!() };
                if give_received == 0 || opted_out {
                    prop_assert_eq!(share.amount, 0);
                }
            }
            let mut rotated = circle.clone();
            rotated.members.rotate_left(rotate % n);
            prop_assert_eq!(peer(budget, &rotated).unwrap(), allocation);
        }
    }
}
