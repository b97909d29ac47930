//! GIVE circles: peer allocation as Coordinape runs it, kept on the ledger so a
//! distribution can pay a circle's members by the GIVE they received.
//!
//! `circle.open` (a treasurer) names the members and the GIVE each holds for the epoch
//! (Coordinape's default is 100) and when the epoch ends in ledger time. Until then each
//! member gives their GIVE to other members with `circle.give`; a member's latest
//! `circle.give` replaces their earlier one (the revisions are counted), and a member may
//! opt out of receiving. The circle closes by itself once the ledger time reaches
//! `closes_ms`; no event closes it. A `dist.propose` bucket `{to: "circle", circle}` then
//! splits its money by the GIVE each member received, with
//! [`commons_value::policy::peer::peer`]. No money moves at `circle.open`: a circle only
//! weighs people.

use super::distribution::Share;
use super::equation::Beneficiary;
use crate::body::BodyReader;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::{AuthorKey, EventId};
/// Most GIVE one member holds in an epoch (the policy's own limit).
pub use commons_value::policy::peer::GIVE_PER_MEMBER_MAX;
use commons_value::policy::peer::{CircleMember, Gift, GiveCircle, peer};
use commons_value::policy::{Allocation, PolicyError};
use std::collections::BTreeMap;

pub const OPEN: &str = "circle.open";
pub const GIVE: &str = "circle.give";

/// Fewest members a circle has: with one, nobody could receive.
pub const CIRCLE_MEMBERS_MIN: usize = 2;
/// Most members one circle has.
pub const CIRCLE_MEMBERS_MAX: usize = 1_000;
/// Most circles a commons keeps.
pub const CIRCLES_MAX: usize = 10_000;
/// Most circles open (their epoch not yet over) at once.
pub const OPEN_CIRCLES_MAX: usize = 16;
/// Longest epoch: a year of ledger time.
pub const EPOCH_MS_MAX: u64 = 366 * 86_400_000;
/// Longest circle title, in bytes.
pub const TITLE_LEN_MAX: usize = 200;

/// One member's current allocation: their latest `circle.give`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocated {
    /// GIVE to other members, in key order, zero gifts left out.
    pub gifts: Vec<(AuthorKey, u64)>,
    /// Opted out of receiving.
    pub opted_out: bool,
    /// How many `circle.give` the member sent (the first is 1).
    pub revisions: u64,
    /// The ledger index of the latest one.
    pub index: u64,
}

impl Allocated {
    /// The GIVE this allocation hands out.
    pub fn given(&self) -> u64 {
        self.gifts.iter().map(|(_, give)| *give).sum()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Circle {
    pub id: EventId,
    pub by: AuthorKey,
    pub index: u64,
    pub title: String,
    /// Members' identities, in the order the opening named them.
    pub members: Vec<AuthorKey>,
    pub give_per_member: u64,
    /// The epoch ends when the ledger time reaches this.
    pub closes_ms: u64,
    /// Each member's allocation, once they gave.
    pub allocations: BTreeMap<AuthorKey, Allocated>,
}

impl Circle {
    /// Whether members may still give at ledger time `time_ms`.
    pub fn is_open(&self, time_ms: u64) -> bool {
        time_ms < self.closes_ms
    }

    /// The GIVE each member received that counts (not from themselves, not while opted
    /// out), in member order.
    pub fn received(&self) -> Vec<(AuthorKey, u64)> {
        let mut received: BTreeMap<AuthorKey, u64> = self.members.iter().map(|m| (*m, 0)).collect();
        for allocation in self.allocations.values() {
            for (to, give) in &allocation.gifts {
                if let Some(sum) = received.get_mut(to) {
                    *sum += give;
                }
            }
        }
        self.members
            .iter()
            .map(|m| {
                let opted_out = self.allocations.get(m).is_some_and(|a| a.opted_out);
                (*m, if opted_out { 0 } else { received[m] })
            })
            .collect()
    }

    /// The circle as [`peer`] takes it, members by their keys' hex.
    pub fn give_circle(&self) -> GiveCircle {
        let members = self
            .members
            .iter()
            .map(|m| {
                let allocation = self.allocations.get(m);
                CircleMember {
                    member: recipient_id(m),
                    opted_out: allocation.is_some_and(|a| a.opted_out),
                    gifts: allocation.map_or_else(Vec::new, |a| {
                        a.gifts
                            .iter()
                            .map(|(to, give)| Gift {
                                to: recipient_id(to),
                                give: *give,
                            })
                            .collect()
                    }),
                }
            })
            .collect();
        GiveCircle {
            give_per_member: self.give_per_member,
            members,
        }
    }

    /// Splits `amount` by [`peer`] among the members, as shares keyed back to people;
    /// the weight is the GIVE received.
    pub fn allocate(&self, amount: u64) -> Result<Allocation, PolicyError> {
        peer(amount, &self.give_circle())
    }
}

fn recipient_id(key: &AuthorKey) -> commons_value::policy::RecipientId {
    commons_value::policy::RecipientId::new(key.to_hex())
        .expect("a key's hex is a valid recipient id")
}

/// The circles a commons keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Circles {
    pub circles: BTreeMap<EventId, Circle>,
    /// Circle ids in the order they were opened.
    pub order: Vec<EventId>,
}

fn invalid<T>(why: impl std::fmt::Display) -> Result<T, Rejection> {
    reject(RejectionCode::BodyInvalid, format!("{OPEN}: {why}"))
}

/// `circle.open`: a treasurer opens a circle for one epoch.
pub(crate) fn open(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let by = input.event.header.author;
    super::require_treasurer(state, &by, "open a circle")?;
    let mut reader = BodyReader::new(OPEN, input.body)?;
    let title = reader.text("title", 1, TITLE_LEN_MAX)?;
    let listed = reader
        .optional_keys("members", CIRCLE_MEMBERS_MAX)?
        .unwrap_or_default();
    let give_per_member = reader.uint("give_per_member")?;
    let closes_ms = reader.uint("closes_ms")?;
    reader.finish()?;
    let mut members: Vec<AuthorKey> = Vec::with_capacity(listed.len());
    for key in &listed {
        let identity = crate::association::polls::identity(state, key);
        if members.contains(&identity) {
            return invalid("`members` names one person twice (under two of their keys)");
        }
        members.push(identity);
    }
    if members.len() < CIRCLE_MEMBERS_MIN {
        return invalid(format!(
            "`members` lists {CIRCLE_MEMBERS_MIN} to {CIRCLE_MEMBERS_MAX} distinct keys"
        ));
    }
    if give_per_member == 0 || give_per_member > GIVE_PER_MEMBER_MAX {
        return invalid(format!(
            "`give_per_member` is 1 to {GIVE_PER_MEMBER_MAX} (Coordinape gives 100)"
        ));
    }
    if closes_ms <= state.time_ms || closes_ms - state.time_ms > EPOCH_MS_MAX {
        return invalid("`closes_ms` is after the ledger's time now, within a year");
    }
    let circles = &state.economy.circles;
    if circles.circles.len() >= CIRCLES_MAX {
        return crate::production::limit_reached("circles", CIRCLES_MAX);
    }
    let time_ms = state.time_ms;
    if circles
        .circles
        .values()
        .filter(|c| c.is_open(time_ms))
        .count()
        >= OPEN_CIRCLES_MAX
    {
        return crate::production::limit_reached("open circles", OPEN_CIRCLES_MAX);
    }
    let id = input.event.id;
    let circles = &mut state.economy.circles;
    circles.circles.insert(
        id,
        Circle {
            id,
            by,
            index: input.index,
            title,
            members,
            give_per_member,
            closes_ms,
            allocations: BTreeMap::new(),
        },
    );
    circles.order.push(id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Circle(id));
    Ok(applied)
}

/// The circle with that id, or `circle_unknown`.
pub(crate) fn known<'a>(state: &'a State, id: &EventId) -> Result<&'a Circle, Rejection> {
    match state.economy.circles.circles.get(id) {
        Some(c) => Ok(c),
        None => reject(RejectionCode::CircleUnknown, "no circle has that id"),
    }
}

/// `circle.give`: a member's allocation of their GIVE, replacing their earlier one.
pub(crate) fn give(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let by = crate::association::polls::identity(state, &input.event.header.author);
    let mut reader = BodyReader::new(GIVE, input.body)?;
    let id = reader.event_id("circle")?;
    let gifts_value = reader.required("gifts")?;
    let opted_out = match reader.optional("opt_out") {
        None => false,
        Some(commons_ledger::cbor::Value::Bool(b)) => *b,
        Some(_) => {
            return reject(
                RejectionCode::BodyInvalid,
                format!("{GIVE}: `opt_out` is true or false"),
            );
        }
    };
    reader.finish()?;
    let Some(items) = gifts_value.as_array() else {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{GIVE}: `gifts` is a list of {{to, give}}"),
        );
    };
    let circle = known(state, &id)?;
    if !circle.members.contains(&by) {
        return reject(
            RejectionCode::CircleNotMember,
            "only a member of the circle gives in it",
        );
    }
    if !circle.is_open(state.time_ms) {
        return reject(
            RejectionCode::CircleClosed,
            "the circle's epoch is over; its allocations are final",
        );
    }
    if items.len() > circle.members.len() {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{GIVE}: `gifts` holds at most one gift per member"),
        );
    }
    let mut gifts: BTreeMap<AuthorKey, u64> = BTreeMap::new();
    let mut given = 0u64;
    for item in items {
        let mut r = BodyReader::new(GIVE, item)?;
        let to = r.key("to")?;
        let amount = r.uint("give")?;
        r.finish()?;
        let to = crate::association::polls::identity(state, &to);
        if to == by {
            return reject(
                RejectionCode::CircleGiftToSelf,
                "a member gives GIVE to others, never to themselves",
            );
        }
        if !circle.members.contains(&to) {
            return reject(
                RejectionCode::CircleRecipientUnknown,
                "GIVE goes to members of the circle only",
            );
        }
        if gifts.insert(to, amount).is_some() {
            return reject(
                RejectionCode::CircleGiftDuplicate,
                "one gift per member; put the whole amount in one",
            );
        }
        given = given.saturating_add(amount);
    }
    if given > circle.give_per_member {
        return reject(
            RejectionCode::CircleGiveExceeded,
            format!(
                "the gifts add up to {given} GIVE; a member holds {}",
                circle.give_per_member
            ),
        );
    }
    let revisions = circle.allocations.get(&by).map_or(0, |a| a.revisions) + 1;
    let allocation = Allocated {
        gifts: gifts.into_iter().filter(|(_, give)| *give > 0).collect(),
        opted_out,
        revisions,
        index: input.index,
    };
    if let Some(c) = state.economy.circles.circles.get_mut(&id) {
        c.allocations.insert(by, allocation);
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::Circle(id));
    Ok(applied)
}

/// A `circle` bucket's shares of `amount`: refuses a circle that is unknown or still open;
/// what nobody received stays with the caller (the treasury).
pub(crate) fn shares(state: &State, id: &EventId, amount: u64) -> Result<Vec<Share>, Rejection> {
    let circle = known(state, id)?;
    if circle.is_open(state.time_ms) {
        return reject(
            RejectionCode::CircleOpen,
            "the circle's epoch is not over; a distribution pays a closed circle",
        );
    }
    let allocation = circle.allocate(amount).map_err(|e| {
        Rejection::new(
            RejectionCode::LimitReached,
            format!("the circle cannot be split: {e}"),
        )
    })?;
    let received: BTreeMap<String, (AuthorKey, u64)> = circle
        .received()
        .into_iter()
        .map(|(key, give)| (key.to_hex(), (key, give)))
        .collect();
    Ok(allocation
        .shares
        .into_iter()
        .filter_map(|share| {
            let (key, give) = received.get(share.recipient.as_str())?;
            (*give > 0 || share.amount > 0).then_some(Share {
                to: Beneficiary::Person(*key),
                weight: *give,
                amount: share.amount,
            })
        })
        .collect())
}
