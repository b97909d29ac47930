//! Rejections: the domain's answer to an event that breaks a rule. Each has a stable code
//! that the HTTP API, the CLI and the web UI show unchanged.

/// Why core refuses an event. The code is part of the public API: never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RejectionCode {
    UnknownKind,
    NotAuthorised,
    BodyMissing,
    BodyInvalid,
    ChainBroken,
    AuthorFrozen,
    KeyRevoked,
    KeyInvalid,
    SmallOrderKey,
    ProposalUnknown,
    ProposalClosed,
    ProposalStale,
    ProposalsFull,
    AlreadyApproved,
    TimeRegression,
    LicenceInvalid,
    GovernanceInvalid,
    EvidenceInvalid,
    GenesisInvalid,
    WrongCommons,
    AreaUnknown,
    AreaExists,
    NotAreaMaintainer,
    NominationUnknown,
    NominationClosed,
    TaskUnknown,
    TaskClosed,
    TaskClaimed,
    NotClaimant,
    ClaimsFull,
    AlreadySignalled,
    ContributionUnknown,
    ContributionWithdrawn,
    ContributionClosed,
    SelfApprovalForbidden,
    ChecklistIncomplete,
    ReviewUnknown,
    NotAuthor,
    SponsorUnknown,
    ArtifactUnknown,
    RevisionUnknown,
    BlobTooLarge,
    ObjectUnknown,
    PostUnknown,
    LimitReached,
    LicenceIncompatible,
}

impl RejectionCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            RejectionCode::UnknownKind => "unknown_kind",
            RejectionCode::NotAuthorised => "not_authorised",
            RejectionCode::BodyMissing => "body_missing",
            RejectionCode::BodyInvalid => "body_invalid",
            RejectionCode::ChainBroken => "chain_broken",
            RejectionCode::AuthorFrozen => "author_frozen",
            RejectionCode::KeyRevoked => "key_revoked",
            RejectionCode::KeyInvalid => "key_invalid",
            RejectionCode::SmallOrderKey => "small_order_key",
            RejectionCode::ProposalUnknown => "proposal_unknown",
            RejectionCode::ProposalClosed => "proposal_closed",
            RejectionCode::ProposalStale => "proposal_stale",
            RejectionCode::ProposalsFull => "proposals_full",
            RejectionCode::AlreadyApproved => "already_approved",
            RejectionCode::TimeRegression => "time_regression",
            RejectionCode::LicenceInvalid => "licence_invalid",
            RejectionCode::GovernanceInvalid => "governance_invalid",
            RejectionCode::EvidenceInvalid => "evidence_invalid",
            RejectionCode::GenesisInvalid => "genesis_invalid",
            RejectionCode::WrongCommons => "wrong_commons",
            RejectionCode::AreaUnknown => "area_unknown",
            RejectionCode::AreaExists => "area_exists",
            RejectionCode::NotAreaMaintainer => "not_area_maintainer",
            RejectionCode::NominationUnknown => "nomination_unknown",
            RejectionCode::NominationClosed => "nomination_closed",
            RejectionCode::TaskUnknown => "task_unknown",
            RejectionCode::TaskClosed => "task_closed",
            RejectionCode::TaskClaimed => "task_claimed",
            RejectionCode::NotClaimant => "not_claimant",
            RejectionCode::ClaimsFull => "claims_full",
            RejectionCode::AlreadySignalled => "already_signalled",
            RejectionCode::ContributionUnknown => "contribution_unknown",
            RejectionCode::ContributionWithdrawn => "contribution_withdrawn",
            RejectionCode::ContributionClosed => "contribution_closed",
            RejectionCode::SelfApprovalForbidden => "self_approval_forbidden",
            RejectionCode::ChecklistIncomplete => "checklist_incomplete",
            RejectionCode::ReviewUnknown => "review_unknown",
            RejectionCode::NotAuthor => "not_author",
            RejectionCode::SponsorUnknown => "sponsor_unknown",
            RejectionCode::ArtifactUnknown => "artifact_unknown",
            RejectionCode::RevisionUnknown => "revision_unknown",
            RejectionCode::BlobTooLarge => "blob_too_large",
            RejectionCode::ObjectUnknown => "object_unknown",
            RejectionCode::PostUnknown => "post_unknown",
            RejectionCode::LimitReached => "limit_reached",
            RejectionCode::LicenceIncompatible => "licence_incompatible",
        }
    }
}

/// A refused event: a stable code and a lower-case message for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Rejection {
    pub code: RejectionCode,
    pub message: String,
}

impl Rejection {
    pub fn new(code: RejectionCode, message: impl Into<String>) -> Rejection {
        Rejection {
            code,
            message: message.into(),
        }
    }
}

/// Shorthand for building a rejection inside rules.
pub(crate) fn reject<T>(code: RejectionCode, message: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection::new(code, message))
}
