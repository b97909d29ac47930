//! Membership: applying, being admitted under the statutes' admission rule, leaving.
//!
//! Under `open` admission applying admits; under `maintainers` a commons maintainer
//! admits or refuses with `member.admit`; under `vote` only a poll under the
//! `admit_member` rule admits. Suspension and expulsion happen only through polls under
//! their rules (see [`super::polls`]), always with a reason. Members are kept by their
//! identity (their first key), so rotating a key keeps one's membership and vote.

use super::{
    Admission, Application, ApplicationStatus, ChamberBasis, MEMBERS_MAX, Member, MemberStatus,
    OPEN_APPLICATIONS_MAX, REASON_LEN_MAX, TEXT_LEN_MAX, invalid, statutes_of,
};
use crate::body::BodyReader;
use crate::production::limit_reached;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::{AuthorKey, EventId};
use std::collections::BTreeSet;

pub const APPLY: &str = "member.apply";
pub const ADMIT: &str = "member.admit";
pub const LEAVE: &str = "member.leave";

pub(crate) fn apply(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = super::polls::identity(state, &input.event.header.author);
    let mut reader = BodyReader::new(APPLY, input.body)?;
    let statement = reader.optional_text("statement", 1, TEXT_LEN_MAX)?;
    let named = crate::production::text_list(&mut reader, APPLY, "chambers", 12, 48)?;
    reader.finish()?;
    let statutes = statutes_of(state)?;
    let mut chambers = BTreeSet::new();
    for slug in named {
        match statutes.chamber(&slug) {
            Some(c) if c.basis == ChamberBasis::Declared => {
                chambers.insert(slug);
            }
            Some(_) => {
                return invalid(
                    APPLY,
                    format!("chamber `{slug}` is derived from the ledger, not declared"),
                );
            }
            None => return invalid(APPLY, format!("unknown chamber `{slug}`")),
        }
    }
    let admission = statutes.admission;
    let association = &state.association;
    match association.members.get(&author).map(|m| &m.status) {
        Some(MemberStatus::Active) | Some(MemberStatus::Suspended { .. }) => {
            return reject(RejectionCode::AlreadyMember, "you are already a member");
        }
        Some(MemberStatus::Expelled { .. }) => {
            return reject(
                RejectionCode::MemberExpelled,
                "you were expelled; only a new poll under the admission rule can readmit you",
            );
        }
        Some(MemberStatus::Left { .. }) | None => {}
    }
    if association.pending_by_key.contains_key(&author) {
        return reject(
            RejectionCode::ApplicationPending,
            "you already have an application waiting",
        );
    }
    if association.pending_by_key.len() >= OPEN_APPLICATIONS_MAX {
        return limit_reached("applications waiting", OPEN_APPLICATIONS_MAX);
    }
    if association.members.len() >= MEMBERS_MAX && !association.members.contains_key(&author) {
        return limit_reached("members of an association", MEMBERS_MAX);
    }
    let id = input.event.id;
    let mut application = Application {
        applicant: author,
        index: input.index,
        time_ms: state.time_ms,
        chambers: chambers.clone(),
        statement,
        status: ApplicationStatus::Pending,
    };
    let mut applied = Applied::default();
    if admission == Admission::Open {
        application.status = ApplicationStatus::Admitted { index: input.index };
        admit_key(state, author, chambers, input.index);
        applied.touch(RowKey::Member(author));
    } else {
        state.association.pending_by_key.insert(author, id);
    }
    state.association.applications.insert(id, application);
    applied.touch(RowKey::Application(id));
    Ok(applied)
}

/// Admits or refuses an application, under `maintainers` admission.
pub(crate) fn admit(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(ADMIT, input.body)?;
    let id = reader.event_id("application")?;
    let refuse = reader.optional_text("refuse", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    let statutes = statutes_of(state)?;
    if statutes.admission != Admission::Maintainers || !state.is_maintainer(&author) {
        return reject(
            RejectionCode::AdmissionRule,
            format!(
                "the statutes admit members {}",
                match statutes.admission {
                    Admission::Open => "by their applying",
                    Admission::Maintainers => "by a commons maintainer",
                    Admission::Vote => "only by a poll under the admit_member rule",
                }
            ),
        );
    }
    let mut applied = Applied::default();
    decide(state, &id, refuse, input.index, &mut applied)?;
    Ok(applied)
}

/// Admits (no `refuse` reason) or refuses a pending application.
pub(crate) fn decide(
    state: &mut State,
    id: &EventId,
    refuse: Option<String>,
    index: u64,
    applied: &mut Applied,
) -> Result<(), Rejection> {
    let Some(application) = state.association.applications.get_mut(id) else {
        return reject(
            RejectionCode::ApplicationUnknown,
            "no member.apply has that id",
        );
    };
    if application.status != ApplicationStatus::Pending {
        return reject(
            RejectionCode::ApplicationClosed,
            "that application was already decided or withdrawn",
        );
    }
    let applicant = application.applicant;
    let chambers = application.chambers.clone();
    match refuse {
        Some(reason) => application.status = ApplicationStatus::Refused { index, reason },
        None => {
            application.status = ApplicationStatus::Admitted { index };
            admit_key(state, applicant, chambers, index);
            applied.touch(RowKey::Member(applicant));
        }
    }
    state.association.pending_by_key.remove(&applicant);
    applied.touch(RowKey::Application(*id));
    Ok(())
}

pub(crate) fn admit_key(state: &mut State, key: AuthorKey, chambers: BTreeSet<String>, index: u64) {
    let since_ms = state.time_ms;
    state.association.members.insert(
        key,
        Member {
            since_ms,
            admitted_index: index,
            chambers,
            status: MemberStatus::Active,
        },
    );
}

/// Leaves the association, or withdraws a waiting application.
pub(crate) fn leave(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = super::polls::identity(state, &input.event.header.author);
    let mut reader = BodyReader::new(LEAVE, input.body)?;
    let _reason = reader.optional_text("reason", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    let association = &mut state.association;
    let mut applied = Applied::default();
    if let Some(id) = association.pending_by_key.remove(&author) {
        if let Some(a) = association.applications.get_mut(&id) {
            a.status = ApplicationStatus::Withdrawn { index: input.index };
        }
        applied.touch(RowKey::Application(id));
        return Ok(applied);
    }
    match association.members.get_mut(&author) {
        Some(m)
            if matches!(
                m.status,
                MemberStatus::Active | MemberStatus::Suspended { .. }
            ) =>
        {
            m.status = MemberStatus::Left { index: input.index };
            association.board.retain(|k| *k != author);
            applied.touch(RowKey::Member(author));
            applied.touch(RowKey::Association);
            Ok(applied)
        }
        _ => reject(
            RejectionCode::NotMember,
            "you are not a member and have no application waiting",
        ),
    }
}

/// Suspends or expels a member after a poll passed; `until_ms` is `None` for expulsion.
pub(crate) fn sanction(
    state: &mut State,
    member: &AuthorKey,
    reason: String,
    until_ms: Option<u64>,
    poll: EventId,
    applied: &mut Applied,
) {
    let association = &mut state.association;
    if let Some(m) = association.members.get_mut(member)
        && matches!(
            m.status,
            MemberStatus::Active | MemberStatus::Suspended { .. }
        )
    {
        if let Some(until_ms) = until_ms {
            association.suspensions.insert((until_ms, *member));
        }
        m.status = match until_ms {
            Some(until_ms) => MemberStatus::Suspended {
                until_ms,
                reason,
                poll,
            },
            None => MemberStatus::Expelled { reason, poll },
        };
        association.board.retain(|k| k != member);
        applied.touch(RowKey::Member(*member));
        applied.touch(RowKey::Association);
    }
}

/// Reinstates members whose suspension ran out.
pub(crate) fn end_suspensions(state: &mut State, applied: &mut Applied) {
    let now = state.time_ms;
    let association = &mut state.association;
    while let Some(&(until_ms, key)) = association.suspensions.first() {
        if until_ms > now {
            break;
        }
        association.suspensions.pop_first();
        if let Some(m) = association.members.get_mut(&key)
            && matches!(m.status, MemberStatus::Suspended { until_ms: u, .. } if u == until_ms)
        {
            m.status = MemberStatus::Active;
            applied.touch(RowKey::Member(key));
        }
    }
}
