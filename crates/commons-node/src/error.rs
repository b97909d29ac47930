//! What submitting an event can answer besides success: a rejection with a stable code
//! (the event is wrong and nothing was stored) or a fault (the node could not do its job).

use commons_core::Rejection;
use commons_ledger::blob::BlobRef;
use commons_ledger::{EventId, FormatError};

/// The broad class of a rejection, which the web layer maps to an HTTP status once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectionClass {
    /// The bytes or fields are wrong (400).
    Malformed,
    /// The author may not do this (403).
    Forbidden,
    /// The commons or event is not here (404).
    NotFound,
    /// The event conflicts with the ledger: chain order, equivocation (409).
    Conflict,
    /// Too large (413).
    TooLarge,
    /// A domain rule refuses it (422).
    Rule,
    /// The node is too busy right now (503).
    Busy,
    /// The key posted too much recently (429).
    RateLimited,
}

/// Why the node refuses an event. Nothing is stored for any of these.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Format(#[from] FormatError),
    #[error("the event's time is more than 10 minutes ahead of the node's clock")]
    TimeInFuture,
    #[error("the body is needed to sequence the event")]
    BodyMissing,
    #[error("this node hosts no commons with id {0}")]
    UnknownCommons(String),
    #[error("a genesis must name this node's sequencer key {0}")]
    SequencerMismatch(String),
    #[error("this node does not accept new commons from this key")]
    NewCommonsRefused,
    #[error("this node mirrors the commons but does not sequence it")]
    NotSequencer,
    #[error("prev names an event at seq {prev_seq}, so this event's seq must be {expected}")]
    SeqGap { prev_seq: u64, expected: u64 },
    #[error("prev does not match the author's event at seq - 1")]
    PrevMismatch,
    #[error(
        "the author already signed a different event at seq {seq}: recorded as evidence {evidence}"
    )]
    Equivocation { seq: u64, evidence: EventId },
    #[error("{0}")]
    Rule(Rejection),
    #[error("the node is overloaded; retry later")]
    Overloaded,
    #[error(
        "this key already added {limit} {class} to this commons in the last hour on this node; wait, or get work accepted to raise the limit"
    )]
    PostingLimit { class: &'static str, limit: u32 },
    /// The event refers to a blob this node does not hold; upload it first.
    #[error("the event refers to blob {0:?}, which this node does not hold; upload it first")]
    BlobMissing(BlobRef),
    /// A fork genesis names a parent commons this node does not host.
    #[error("this node hosts no parent commons {0} to fork")]
    ParentUnknown(String),
    /// A fork genesis names a parent checkpoint the parent's sequencer never signed (or
    /// not at a size and root of the parent's ledger).
    #[error("{0}")]
    CheckpointUnknown(String),
}

impl IngestError {
    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Format(e) => e.code(),
            IngestError::TimeInFuture => "time_in_future",
            IngestError::BodyMissing => "body_missing",
            IngestError::UnknownCommons(_) => "unknown_commons",
            IngestError::SequencerMismatch(_) => "sequencer_mismatch",
            IngestError::NewCommonsRefused => "new_commons_refused",
            IngestError::NotSequencer => "not_sequencer",
            IngestError::SeqGap { .. } => "seq_gap",
            IngestError::PrevMismatch => "prev_mismatch",
            IngestError::Equivocation { .. } => "equivocation",
            IngestError::Rule(r) => r.code.as_str(),
            IngestError::Overloaded => "overloaded",
            IngestError::PostingLimit { .. } => "posting_limit",
            IngestError::BlobMissing(_) => "blob_missing",
            IngestError::ParentUnknown(_) => "parent_unknown",
            IngestError::CheckpointUnknown(_) => "checkpoint_unknown",
        }
    }

    pub fn class(&self) -> RejectionClass {
        use commons_core::RejectionCode as C;
        match self {
            IngestError::Format(FormatError::BodyTooLarge | FormatError::EnvelopeTooLarge) => {
                RejectionClass::TooLarge
            }
            IngestError::Format(_) | IngestError::BodyMissing | IngestError::TimeInFuture => {
                RejectionClass::Malformed
            }
            IngestError::UnknownCommons(_) | IngestError::ParentUnknown(_) => {
                RejectionClass::NotFound
            }
            IngestError::CheckpointUnknown(_) => RejectionClass::Rule,
            IngestError::SequencerMismatch(_)
            | IngestError::NewCommonsRefused
            | IngestError::NotSequencer => RejectionClass::Forbidden,
            IngestError::SeqGap { .. }
            | IngestError::PrevMismatch
            | IngestError::Equivocation { .. } => RejectionClass::Conflict,
            IngestError::Rule(r) => match r.code {
                C::NotAuthorised | C::AuthorFrozen | C::KeyRevoked => RejectionClass::Forbidden,
                C::UnknownKind
                | C::BodyInvalid
                | C::BodyMissing
                | C::KeyInvalid
                | C::SmallOrderKey => RejectionClass::Malformed,
                C::ChainBroken => RejectionClass::Conflict,
                _ => RejectionClass::Rule,
            },
            IngestError::Overloaded => RejectionClass::Busy,
            IngestError::PostingLimit { .. } => RejectionClass::RateLimited,
            IngestError::BlobMissing(_) => RejectionClass::Rule,
        }
    }
}

/// A fault: the node failed, not the event. The client may retry.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("store: {0}")]
    Store(#[from] commons_store::StoreError),
    #[error("ledger data is inconsistent: {0}")]
    Inconsistent(String),
    #[error("the node is shutting down")]
    ShuttingDown,
}

/// Either a rejection or a fault.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("{0}")]
    Rejected(#[from] IngestError),
    #[error("{0}")]
    Fault(#[from] NodeError),
}
