//! Node-local private details of value sharing: a person's payment details (account
//! holder, IBAN, BIC, a note) and the documents behind an expense (invoices, receipts).
//!
//! Balances and every movement are public, in the ledger; these details are not. They
//! sit in the same database as the ledgers, in tables of their own (migration
//! `0004_private`), behind a trait of their own, [`PrivateStore`], which every backend
//! implements and the conformance suite (`conformance_private`) checks. They are never
//! part of a ledger, a bundle, a rebuild or `commons verify`: nothing that reads or
//! copies a ledger goes through this trait. Who may read or write them is the web
//! layer's question (the owner and the commons' treasurers); the store keeps the shapes
//! valid and the limits below.
//!
//! Every value is validated on construction ([`Iban`], [`Bic`], [`PaymentDetails`],
//! [`AttachmentMediaType`]), and `Debug` shows none of the private text, so a logged
//! value leaks nothing.

use crate::rows::{from_stored, to_stored};
use crate::{AnyStore, Result, StoreError};
use commons_ledger::{AuthorKey, CommonsId, EventId};
use std::future::Future;

/// Longest account holder name, in bytes.
pub const HOLDER_NAME_BYTES_MAX: usize = 140;
/// Longest free note on payment details, in bytes.
pub const PAYMENT_NOTE_BYTES_MAX: usize = 1_000;
/// Largest private attachment, in bytes (5 MiB).
pub const ATTACHMENT_BYTES_MAX: usize = 5 * 1024 * 1024;
/// Most attachments one expense has.
pub const ATTACHMENTS_PER_EXPENSE_MAX: u32 = 10;
/// Longest attachment file name, in bytes.
pub const FILE_NAME_BYTES_MAX: usize = 200;

/// The code of an IBAN that is malformed, of the wrong length for its country or whose
/// check digits do not match (ISO 13616).
pub const IBAN_INVALID: &str = "iban_invalid";
/// The code of a BIC that is not 8 or 11 characters of ISO 9362's shape.
pub const BIC_INVALID: &str = "bic_invalid";
/// The code of a holder name, note or file name that is empty, too long or holds control
/// characters.
pub const PRIVATE_TEXT_INVALID: &str = "private_text_invalid";
/// The code of an attachment whose media type is not PDF, PNG or JPEG, or whose bytes are
/// not of the type it claims.
pub const ATTACHMENT_TYPE_UNSUPPORTED: &str = "attachment_type_unsupported";
/// The `Limit` message of an attachment over [`ATTACHMENT_BYTES_MAX`].
pub const ATTACHMENT_TOO_LARGE: &str = "attachment_too_large";
/// The `Limit` message of an attachment beyond [`ATTACHMENTS_PER_EXPENSE_MAX`].
pub const ATTACHMENTS_FULL: &str = "attachments_full";

/// Why a private value did not validate; [`PrivateValueError::code`] is stable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivateValueError {
    #[error("the IBAN is not valid: {0}")]
    Iban(&'static str),
    #[error(
        "the BIC is not 8 or 11 characters: 4 letters (bank), 2 letters (country), 2 letters or digits (location), optionally 3 more (branch)"
    )]
    Bic,
    #[error("{0}")]
    Text(String),
    #[error("an attachment is a PDF, PNG or JPEG file whose bytes are of that type")]
    MediaType,
}

impl PrivateValueError {
    pub fn code(&self) -> &'static str {
        match self {
            PrivateValueError::Iban(_) => IBAN_INVALID,
            PrivateValueError::Bic => BIC_INVALID,
            PrivateValueError::Text(_) => PRIVATE_TEXT_INVALID,
            PrivateValueError::MediaType => ATTACHMENT_TYPE_UNSUPPORTED,
        }
    }
}

/// The length of every IBAN of a country, from the ISO 13616 (SWIFT) IBAN registry.
/// Sorted by country code, for the binary search.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HN", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// An International Bank Account Number whose country length and mod-97 check digits
/// (ISO 13616, ISO 7064) are right, kept in its electronic form: uppercase, no spaces.
#[derive(Clone, PartialEq, Eq)]
pub struct Iban(String);

impl Iban {
    /// Reads an IBAN as people type it: spaces anywhere, either case.
    pub fn parse(text: &str) -> std::result::Result<Iban, PrivateValueError> {
        let electronic: String = text
            .chars()
            .filter(|c| *c != ' ')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if !electronic.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(PrivateValueError::Iban("only letters, digits and spaces"));
        }
        let country = electronic.get(..2).unwrap_or("");
        let Ok(position) = IBAN_LENGTHS.binary_search_by(|(code, _)| (*code).cmp(country)) else {
            return Err(PrivateValueError::Iban(
                "it does not start with the code of a country that uses IBANs",
            ));
        };
        if electronic.len() != IBAN_LENGTHS[position].1 {
            return Err(PrivateValueError::Iban(
                "its length is not the length of that country's IBANs",
            ));
        }
        if !electronic.as_bytes()[2..4].iter().all(u8::is_ascii_digit) {
            return Err(PrivateValueError::Iban("the check digits are not digits"));
        }
        if mod_97(&electronic) != 1 {
            return Err(PrivateValueError::Iban("the check digits do not match"));
        }
        Ok(Iban(electronic))
    }

    /// The electronic form: `DE89370400440532013000`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The paper form, in groups of four: `DE89 3704 0044 0532 0130 00`.
    pub fn grouped(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + self.0.len() / 4);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }
}

/// ISO 7064 MOD 97-10 of an IBAN: the first four characters moved to the end, letters
/// as 10 to 35, the whole read as one number, folded digit by digit so it never grows
/// past a `u32`. The caller has checked that every byte is an ASCII letter or digit.
fn mod_97(electronic: &str) -> u32 {
    let (head, tail) = electronic.split_at(4);
    tail.bytes().chain(head.bytes()).fold(0u32, |rest, byte| {
        let value = match byte {
            b'0'..=b'9' => u32::from(byte - b'0'),
            _ => u32::from(byte - b'A') + 10,
        };
        if value < 10 {
            (rest * 10 + value) % 97
        } else {
            (rest * 100 + value) % 97
        }
    })
}

/// A Business Identifier Code (ISO 9362): `DEUTDEFF` or `DEUTDEFF500`, uppercase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bic(String);

impl Bic {
    pub fn parse(text: &str) -> std::result::Result<Bic, PrivateValueError> {
        let bic = text.trim().to_ascii_uppercase();
        let bytes = bic.as_bytes();
        let well_formed = (bytes.len() == 8 || bytes.len() == 11)
            && bytes[..6].iter().all(u8::is_ascii_uppercase)
            && bytes[6..].iter().all(u8::is_ascii_alphanumeric);
        if well_formed {
            Ok(Bic(bic))
        } else {
            Err(PrivateValueError::Bic)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a private text: trimmed, 1 to `max` bytes, no control characters.
fn check_text(
    what: &str,
    text: &str,
    max: usize,
) -> std::result::Result<String, PrivateValueError> {
    let text = text.trim();
    if text.is_empty() || text.len() > max || text.chars().any(char::is_control) {
        return Err(PrivateValueError::Text(format!(
            "{what} is 1 to {max} bytes of text without control characters"
        )));
    }
    Ok(text.to_owned())
}

/// How a person wants to be paid, validated.
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentDetails {
    holder_name: String,
    iban: Iban,
    bic: Option<Bic>,
    note: Option<String>,
}

impl PaymentDetails {
    pub fn new(
        holder_name: &str,
        iban: Iban,
        bic: Option<Bic>,
        note: Option<&str>,
    ) -> std::result::Result<PaymentDetails, PrivateValueError> {
        Ok(PaymentDetails {
            holder_name: check_text(
                "the account holder's name",
                holder_name,
                HOLDER_NAME_BYTES_MAX,
            )?,
            iban,
            bic,
            note: note
                .filter(|note| !note.trim().is_empty())
                .map(|note| check_text("the note", note, PAYMENT_NOTE_BYTES_MAX))
                .transpose()?,
        })
    }

    pub fn holder_name(&self) -> &str {
        &self.holder_name
    }

    pub fn iban(&self) -> &Iban {
        &self.iban
    }

    pub fn bic(&self) -> Option<&Bic> {
        self.bic.as_ref()
    }

    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

/// The payment details a person keeps for one commons, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPaymentDetails {
    pub commons: CommonsId,
    /// The person, by their author key in that commons.
    pub person: AuthorKey,
    pub details: PaymentDetails,
    /// When they were first stored.
    pub created_ms: u64,
    /// When they were last replaced (`created_ms` until then).
    pub updated_ms: u64,
}

/// The kinds of file an expense may carry privately.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachmentMediaType {
    Pdf,
    Png,
    Jpeg,
}

impl AttachmentMediaType {
    pub const ALL: [AttachmentMediaType; 3] = [
        AttachmentMediaType::Pdf,
        AttachmentMediaType::Png,
        AttachmentMediaType::Jpeg,
    ];

    /// Reads a media type (parameters such as `; charset` are ignored).
    pub fn parse(text: &str) -> std::result::Result<AttachmentMediaType, PrivateValueError> {
        let essence = text.split(';').next().unwrap_or("").trim();
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(essence))
            .ok_or(PrivateValueError::MediaType)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            AttachmentMediaType::Pdf => "application/pdf",
            AttachmentMediaType::Png => "image/png",
            AttachmentMediaType::Jpeg => "image/jpeg",
        }
    }

    /// The bytes every file of this type starts with.
    fn signature(&self) -> &'static [u8] {
        match self {
            AttachmentMediaType::Pdf => b"%PDF-",
            AttachmentMediaType::Png => b"\x89PNG\r\n\x1a\n",
            AttachmentMediaType::Jpeg => b"\xff\xd8\xff",
        }
    }

    /// Refuses bytes that are not of this type, so a file is never served under a type
    /// it does not have.
    pub fn check_bytes(&self, bytes: &[u8]) -> std::result::Result<(), PrivateValueError> {
        if bytes.starts_with(self.signature()) {
            Ok(())
        } else {
            Err(PrivateValueError::MediaType)
        }
    }
}

/// A file name as people see it: its last path component, checked like other text.
pub fn check_file_name(name: &str) -> std::result::Result<String, PrivateValueError> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    check_text("the file name", last, FILE_NAME_BYTES_MAX)
}

/// An invoice or receipt to attach to an expense.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub commons: CommonsId,
    /// The expense, by the id of its `expense.file` event.
    pub expense: EventId,
    /// Checked by [`check_file_name`].
    pub file_name: String,
    pub media_type: AttachmentMediaType,
    pub bytes: Vec<u8>,
    pub uploader: AuthorKey,
    pub uploaded_ms: u64,
}

/// An attachment without its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    /// Its number within the expense: 1, 2, … in the order they were added.
    pub n: u32,
    pub file_name: String,
    pub media_type: AttachmentMediaType,
    pub size: u64,
    pub uploader: AuthorKey,
    pub uploaded_ms: u64,
}

/// Shows private text as its length only.
struct Redacted(usize);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0)
    }
}

impl std::fmt::Debug for Iban {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Iban")
            .field(&Redacted(self.0.len()))
            .finish()
    }
}

impl std::fmt::Debug for PaymentDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentDetails")
            .field("holder_name", &Redacted(self.holder_name.len()))
            .field("iban", &self.iban)
            .field("bic", &self.bic.as_ref().map(|bic| Redacted(bic.0.len())))
            .field("note", &self.note.as_ref().map(|note| Redacted(note.len())))
            .finish()
    }
}

impl std::fmt::Debug for NewAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAttachment")
            .field("commons", &self.commons)
            .field("expense", &self.expense)
            .field("file_name", &Redacted(self.file_name.len()))
            .field("media_type", &self.media_type)
            .field("bytes", &Redacted(self.bytes.len()))
            .field("uploader", &self.uploader)
            .field("uploaded_ms", &self.uploaded_ms)
            .finish()
    }
}

impl std::fmt::Debug for AttachmentMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentMeta")
            .field("n", &self.n)
            .field("file_name", &Redacted(self.file_name.len()))
            .field("media_type", &self.media_type)
            .field("size", &self.size)
            .field("uploader", &self.uploader)
            .field("uploaded_ms", &self.uploaded_ms)
            .finish()
    }
}

/// Node-local private details, implemented by every backend next to [`crate::Store`].
/// Reads may run in parallel with everything; each write is a transaction of its own.
pub trait PrivateStore: Send + Sync + 'static {
    /// Stores `person`'s payment details in `commons`, replacing any they had: the
    /// record keeps its `created_ms` and takes `now_ms` as its `updated_ms`.
    fn put_payment_details(
        &self,
        commons: &CommonsId,
        person: &AuthorKey,
        details: &PaymentDetails,
        now_ms: u64,
    ) -> impl Future<Output = Result<StoredPaymentDetails>> + Send;

    fn payment_details(
        &self,
        commons: &CommonsId,
        person: &AuthorKey,
    ) -> impl Future<Output = Result<Option<StoredPaymentDetails>>> + Send;

    /// Erases `person`'s payment details in `commons`; false when there were none.
    fn delete_payment_details(
        &self,
        commons: &CommonsId,
        person: &AuthorKey,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Adds an attachment to the expense, numbered after those it has. An attachment over
    /// [`ATTACHMENT_BYTES_MAX`] is a `Limit` error ([`ATTACHMENT_TOO_LARGE`]), one beyond
    /// [`ATTACHMENTS_PER_EXPENSE_MAX`] a `Limit` error ([`ATTACHMENTS_FULL`]); nothing is
    /// written then.
    fn add_attachment(
        &self,
        attachment: &NewAttachment,
    ) -> impl Future<Output = Result<AttachmentMeta>> + Send;

    /// The expense's attachments without their bytes, by number.
    fn attachments(
        &self,
        commons: &CommonsId,
        expense: &EventId,
    ) -> impl Future<Output = Result<Vec<AttachmentMeta>>> + Send;

    /// One attachment with its bytes.
    fn attachment(
        &self,
        commons: &CommonsId,
        expense: &EventId,
        n: u32,
    ) -> impl Future<Output = Result<Option<(AttachmentMeta, Vec<u8>)>>> + Send;
}

// ---------------------------------------------------------------------------------------
// What both backends share

/// Payment details' columns, checked before any IO.
pub(crate) struct PaymentColumns<'a> {
    pub commons: &'a [u8],
    pub person: [u8; 33],
    pub holder_name: &'a str,
    pub iban: &'a str,
    pub bic: Option<&'a str>,
    pub note: Option<&'a str>,
    pub now_ms: i64,
}

impl<'a> PaymentColumns<'a> {
    pub(crate) fn new(
        commons: &'a CommonsId,
        person: &AuthorKey,
        details: &'a PaymentDetails,
        now_ms: u64,
    ) -> Result<Self> {
        Ok(PaymentColumns {
            commons: &commons.0,
            person: person.to_bytes(),
            holder_name: &details.holder_name,
            iban: details.iban.as_str(),
            bic: details.bic.as_ref().map(Bic::as_str),
            note: details.note.as_deref(),
            now_ms: to_stored(now_ms, "payment details updated_ms")?,
        })
    }
}

/// A stored `holder_name, iban, bic, note, created_ms, updated_ms` row, as read.
pub(crate) type PaymentRow = (String, String, Option<String>, Option<String>, i64, i64);

pub(crate) fn decode_payment(
    commons: &CommonsId,
    person: &AuthorKey,
    row: PaymentRow,
) -> Result<StoredPaymentDetails> {
    let (holder_name, iban, bic, note, created_ms, updated_ms) = row;
    let corrupt =
        |error: PrivateValueError| StoreError::Corrupt(format!("payment details: {error}"));
    let iban = Iban::parse(&iban).map_err(corrupt)?;
    let bic = bic
        .as_deref()
        .map(Bic::parse)
        .transpose()
        .map_err(corrupt)?;
    Ok(StoredPaymentDetails {
        commons: *commons,
        person: *person,
        details: PaymentDetails::new(&holder_name, iban, bic, note.as_deref()).map_err(corrupt)?,
        created_ms: from_stored(created_ms, "payment details created_ms")?,
        updated_ms: from_stored(updated_ms, "payment details updated_ms")?,
    })
}

/// An attachment's columns, checked before any IO.
pub(crate) struct AttachmentColumns<'a> {
    pub commons: &'a [u8],
    pub expense: &'a [u8],
    pub file_name: &'a str,
    pub media_type: &'static str,
    pub size: i64,
    pub uploader: [u8; 33],
    pub uploaded_ms: i64,
    pub bytes: &'a [u8],
}

impl<'a> AttachmentColumns<'a> {
    pub(crate) fn new(attachment: &'a NewAttachment) -> Result<Self> {
        if attachment.bytes.len() > ATTACHMENT_BYTES_MAX {
            return Err(StoreError::Limit(ATTACHMENT_TOO_LARGE.to_owned()));
        }
        let file_name = check_file_name(&attachment.file_name)
            .map_err(|error| StoreError::Limit(error.to_string()))?;
        if file_name != attachment.file_name {
            return Err(StoreError::Limit(
                "the file name is not as check_file_name returns it".to_owned(),
            ));
        }
        Ok(AttachmentColumns {
            commons: &attachment.commons.0,
            expense: &attachment.expense.0,
            file_name: &attachment.file_name,
            media_type: attachment.media_type.as_str(),
            size: to_stored(attachment.bytes.len() as u64, "attachment size")?,
            uploader: attachment.uploader.to_bytes(),
            uploaded_ms: to_stored(attachment.uploaded_ms, "attachment uploaded_ms")?,
            bytes: &attachment.bytes,
        })
    }

    /// The number the next attachment gets, given the largest stored (attachments are
    /// never removed one by one, so it is also their count).
    pub(crate) fn next_number(stored_max: Option<i64>) -> Result<i64> {
        let stored = stored_max.unwrap_or(0);
        if stored >= i64::from(ATTACHMENTS_PER_EXPENSE_MAX) {
            return Err(StoreError::Limit(ATTACHMENTS_FULL.to_owned()));
        }
        Ok(stored + 1)
    }

    pub(crate) fn meta(&self, n: i64, attachment: &NewAttachment) -> Result<AttachmentMeta> {
        Ok(AttachmentMeta {
            n: u32::try_from(n)
                .map_err(|_| StoreError::Corrupt(format!("attachment number {n}")))?,
            file_name: attachment.file_name.clone(),
            media_type: attachment.media_type,
            size: attachment.bytes.len() as u64,
            uploader: attachment.uploader,
            uploaded_ms: attachment.uploaded_ms,
        })
    }
}

/// A stored `n, file_name, media_type, size, uploader, uploaded_ms` row, as read.
pub(crate) type AttachmentRow = (i64, String, String, i64, Vec<u8>, i64);

pub(crate) fn decode_attachment(row: AttachmentRow) -> Result<AttachmentMeta> {
    let (n, file_name, media_type, size, uploader, uploaded_ms) = row;
    Ok(AttachmentMeta {
        n: u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("attachment number {n}")))?,
        file_name,
        media_type: AttachmentMediaType::parse(&media_type)
            .map_err(|_| StoreError::Corrupt(format!("attachment media type {media_type:?}")))?,
        size: from_stored(size, "attachment size")?,
        uploader: AuthorKey::from_bytes(&uploader)
            .map_err(|error| StoreError::Corrupt(format!("an attachment uploader: {error}")))?,
        uploaded_ms: from_stored(uploaded_ms, "attachment uploaded_ms")?,
    })
}

/// An [`AttachmentRow`] followed by `bytes`.
pub(crate) type AttachmentBytesRow = (i64, String, String, i64, Vec<u8>, i64, Vec<u8>);

/// Decodes an attachment with its bytes, checking that they have the size the row says.
pub(crate) fn decode_attachment_with_bytes(
    row: AttachmentBytesRow,
) -> Result<(AttachmentMeta, Vec<u8>)> {
    let (n, file_name, media_type, size, uploader, uploaded_ms, bytes) = row;
    let meta = decode_attachment((n, file_name, media_type, size, uploader, uploaded_ms))?;
    if bytes.len() as u64 != meta.size {
        return Err(StoreError::Corrupt(format!(
            "attachment {} holds {} bytes, not {}",
            meta.n,
            bytes.len(),
            meta.size
        )));
    }
    Ok((meta, bytes))
}

// ---------------------------------------------------------------------------------------
// AnyStore

/// Calls the same method on whichever backend the store is.
macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Postgres($store) => $call.await,
        }
    };
}

impl PrivateStore for AnyStore {
    async fn put_payment_details(
        &self,
        commons: &CommonsId,
        person: &AuthorKey,
        details: &PaymentDetails,
        now_ms: u64,
    ) -> Result<StoredPaymentDetails> {
        dispatch!(self, store => store.put_payment_details(commons, person, details, now_ms))
    }

    async fn payment_details(
        &self,
        commons: &CommonsId,
        person: &AuthorKey,
    ) -> Result<Option<StoredPaymentDetails>> {
        dispatch!(self, store => store.payment_details(commons, person))
    }

    async fn delete_payment_details(
        &self,
        commons: &CommonsId,
        person: &AuthorKey,
    ) -> Result<bool> {
        dispatch!(self, store => store.delete_payment_details(commons, person))
    }

    async fn add_attachment(&self, attachment: &NewAttachment) -> Result<AttachmentMeta> {
        dispatch!(self, store => store.add_attachment(attachment))
    }

    async fn attachments(
        &self,
        commons: &CommonsId,
        expense: &EventId,
    ) -> Result<Vec<AttachmentMeta>> {
        dispatch!(self, store => store.attachments(commons, expense))
    }

    async fn attachment(
        &self,
        commons: &CommonsId,
        expense: &EventId,
        n: u32,
    ) -> Result<Option<(AttachmentMeta, Vec<u8>)>> {
        dispatch!(self, store => store.attachment(commons, expense, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_from_the_registry_examples_are_valid_in_either_form() {
        for text in [
            "DE89370400440532013000",
            "de89 3704 0044 0532 0130 00",
            "GB82WEST12345698765432",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
            "BE68539007547034",
            "CH9300762011623852957",
            "NO9386011117947",
        ] {
            let iban = Iban::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(iban.as_str(), text.replace(' ', "").to_uppercase());
        }
        let iban = Iban::parse("DE89370400440532013000").ok();
        assert_eq!(
            iban.map(|i| i.grouped()).as_deref(),
            Some("DE89 3704 0044 0532 0130 00")
        );
    }

    #[test]
    fn ibans_with_a_wrong_digit_length_country_or_character_are_invalid() {
        for text in [
            "DE89370400440532013001", // one digit changed
            "DE98370400440532013000", // check digits swapped
            "DE8937040044053201300",  // one short
            "XX89370400440532013000", // no such country
            "DE89-3704-0044-0532-0130-00",
            "DE",
            "",
            "DEAB370400440532013000",
        ] {
            let error = Iban::parse(text).err();
            assert_eq!(error.map(|e| e.code()), Some(IBAN_INVALID), "{text}");
        }
    }

    #[test]
    fn the_iban_registry_is_sorted_for_its_binary_search() {
        assert!(IBAN_LENGTHS.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }

    #[test]
    fn bics_are_8_or_11_characters_of_the_iso_9362_shape() {
        assert_eq!(
            Bic::parse("deutdeff").map(|b| b.0),
            Ok("DEUTDEFF".to_owned())
        );
        assert!(Bic::parse("DEUTDEFF500").is_ok());
        for bad in ["DEUTDE", "DEUTDEFF5", "1EUTDEFF", "DEUT-EFF"] {
            assert_eq!(Bic::parse(bad), Err(PrivateValueError::Bic), "{bad}");
        }
    }

    #[test]
    fn media_types_are_pdf_png_or_jpeg_and_bytes_must_match() {
        assert_eq!(
            AttachmentMediaType::parse("Application/PDF; charset=binary"),
            Ok(AttachmentMediaType::Pdf)
        );
        assert_eq!(
            AttachmentMediaType::parse("image/gif"),
            Err(PrivateValueError::MediaType)
        );
        assert!(AttachmentMediaType::Pdf.check_bytes(b"%PDF-1.7\n").is_ok());
        assert!(AttachmentMediaType::Png.check_bytes(b"%PDF-1.7\n").is_err());
        assert!(
            AttachmentMediaType::Jpeg
                .check_bytes(b"\xff\xd8\xff\xe0")
                .is_ok()
        );
    }

    #[test]
    fn file_names_lose_their_directories() {
        assert_eq!(
            check_file_name("C:\\Users\\a\\invoice 12.pdf")
                .ok()
                .as_deref(),
            Some("invoice 12.pdf")
        );
        assert_eq!(
            check_file_name("../../etc/passwd").ok().as_deref(),
            Some("passwd")
        );
        assert!(check_file_name("dir/").is_err());
        assert!(check_file_name("a\nb.pdf").is_err());
    }

    /// Logs and panics print `Debug`: no private text may appear in it.
    #[test]
    fn debug_output_shows_no_private_detail() {
        let iban = Iban::parse("DE89370400440532013000").ok();
        let bic = Bic::parse("DEUTDEFF").ok();
        let details = iban.and_then(|iban| {
            PaymentDetails::new("Ana Holder", iban, bic, Some("pay on Fridays")).ok()
        });
        let attachment = NewAttachment {
            commons: CommonsId([1; 32]),
            expense: EventId([2; 32]),
            file_name: "ana-invoice.pdf".to_owned(),
            media_type: AttachmentMediaType::Pdf,
            bytes: b"%PDF-secret".to_vec(),
            uploader: AuthorKey([3; 32]),
            uploaded_ms: 1,
        };
        let shown = format!("{details:?} {attachment:?}");
        for secret in [
            "DE89",
            "Ana Holder",
            "DEUTDEFF",
            "Fridays",
            "ana-invoice",
            "37, 80",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("redacted"));
    }
}
