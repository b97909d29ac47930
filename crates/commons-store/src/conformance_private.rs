//! Conformance cases of [`PrivateStore`], run against every backend by
//! [`conformance_tests!`](crate::conformance_tests) next to those of the ledger store.
//!
//! Like the other cases, each takes a fresh, empty store, builds every value
//! deterministically from small tags, and returns `Err` only for a fault it did not
//! expect.

use crate::conformance::{author, commons_id};
use crate::conformance_accounts::new_account;
use crate::{
    ACCOUNTS_MAX, ATTACHMENT_BYTES_MAX, ATTACHMENT_TOO_LARGE, ATTACHMENTS_FULL,
    ATTACHMENTS_PER_EXPENSE_MAX, AccountStore, AttachmentMediaType, AttachmentMeta, Bic, Iban,
    NewAttachment, PaymentDetails, PrivateStore, Result, StoreError,
};
use commons_ledger::{AuthorKey, CommonsId, EventId, Hash};

/// Valid IBANs of three countries, from the registry's examples.
pub const IBANS: [&str; 3] = [
    "DE89370400440532013000",
    "GB82WEST12345698765432",
    "FR1420041010050500013M02606",
];

/// Deterministic payment details: the holder and note depend on the tag.
pub fn payment_details(tag: u8, iban: &str, bic: Option<&str>) -> PaymentDetails {
    let iban = Iban::parse(iban).unwrap_or_else(|error| panic!("{iban}: {error}"));
    let bic = bic.map(|bic| Bic::parse(bic).unwrap_or_else(|error| panic!("{bic}: {error}")));
    let note = format!("note {tag}");
    PaymentDetails::new(&format!("Holder {tag}"), iban, bic, Some(&note))
        .unwrap_or_else(|error| panic!("payment details {tag}: {error}"))
}

/// A deterministic expense id.
pub fn expense_id(tag: u8) -> EventId {
    EventId(Hash::of(&[b"conformance expense", &[tag]]).0)
}

/// A PDF of `len` bytes whose contents depend on the tag.
pub fn attachment(commons: CommonsId, expense: EventId, tag: u8, len: usize) -> NewAttachment {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..len.saturating_sub(bytes.len())).map(|i| tag.wrapping_add((i % 251) as u8)));
    bytes.truncate(len.max(9));
    NewAttachment {
        commons,
        expense,
        file_name: format!("invoice-{tag}.pdf"),
        media_type: AttachmentMediaType::Pdf,
        bytes,
        uploader: author(tag),
        uploaded_ms: 5_000 + u64::from(tag),
    }
}

fn assert_limit<T: std::fmt::Debug>(result: Result<T>, code: &str, what: &str) {
    match result {
        Err(error) if error.is_limit(code) => {}
        other => panic!("{what}: expected limit {code}, got {other:?}"),
    }
}

fn meta_of(attachment: &NewAttachment, n: u32) -> AttachmentMeta {
    AttachmentMeta {
        n,
        file_name: attachment.file_name.clone(),
        media_type: attachment.media_type,
        size: attachment.bytes.len() as u64,
        uploader: attachment.uploader,
        uploaded_ms: attachment.uploaded_ms,
    }
}

pub async fn payment_details_are_stored_per_commons_and_person_and_read_back<S: PrivateStore>(
    store: &S,
) -> Result<()> {
    let (first, second) = (commons_id(1), commons_id(2));
    let (ana, ben) = (author(1), author(2));
    assert_eq!(store.payment_details(&first, &ana).await?, None);
    let ana_details = payment_details(1, IBANS[0], Some("DEUTDEFF"));
    let stored = store
        .put_payment_details(&first, &ana, &ana_details, 1_000)
        .await?;
    assert_eq!(stored.commons, first);
    assert_eq!(stored.person, ana);
    assert_eq!(stored.details, ana_details);
    assert_eq!((stored.created_ms, stored.updated_ms), (1_000, 1_000));
    assert_eq!(
        store.payment_details(&first, &ana).await?,
        Some(stored.clone())
    );
    let read = store.payment_details(&first, &ana).await?;
    let read = read.map(|r| {
        (
            r.details.iban().as_str().to_owned(),
            r.details.bic().cloned(),
        )
    });
    assert_eq!(
        read,
        Some((IBANS[0].to_owned(), Bic::parse("DEUTDEFF").ok()))
    );
    // Another person, and the same person in another commons, are other records.
    let ben_details = payment_details(2, IBANS[1], None);
    store
        .put_payment_details(&first, &ben, &ben_details, 1_100)
        .await?;
    assert_eq!(store.payment_details(&second, &ana).await?, None);
    let ben_read = store.payment_details(&first, &ben).await?;
    assert_eq!(ben_read.map(|r| r.details), Some(ben_details));
    assert_eq!(
        store.payment_details(&first, &ana).await?,
        Some(stored),
        "a record of another person changed this one"
    );
    Ok(())
}

pub async fn replacing_payment_details_keeps_one_record_with_its_creation_time<S: PrivateStore>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let ana = author(1);
    store
        .put_payment_details(
            &commons,
            &ana,
            &payment_details(1, IBANS[0], Some("DEUTDEFF")),
            1_000,
        )
        .await?;
    let replacement = payment_details(7, IBANS[2], None);
    let replaced = store
        .put_payment_details(&commons, &ana, &replacement, 2_500)
        .await?;
    assert_eq!(replaced.details, replacement);
    assert_eq!(replaced.details.bic(), None, "the BIC was cleared");
    assert_eq!(replaced.details.note(), Some("note 7"));
    assert_eq!((replaced.created_ms, replaced.updated_ms), (1_000, 2_500));
    assert_eq!(store.payment_details(&commons, &ana).await?, Some(replaced));
    assert!(store.delete_payment_details(&commons, &ana).await?);
    assert_eq!(store.payment_details(&commons, &ana).await?, None);
    assert!(!store.delete_payment_details(&commons, &ana).await?);
    Ok(())
}

pub async fn attachments_are_numbered_in_order_and_read_back_with_their_bytes<S: PrivateStore>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let (expense, other) = (expense_id(1), expense_id(2));
    assert!(store.attachments(&commons, &expense).await?.is_empty());
    let first = attachment(commons, expense, 1, 1_000);
    let mut second = attachment(commons, expense, 2, 70_000);
    second.media_type = AttachmentMediaType::Png;
    second.file_name = "receipt.png".to_owned();
    let elsewhere = attachment(commons, other, 3, 10);
    let in_other_commons = attachment(commons_id(2), expense, 4, 10);
    assert_eq!(store.add_attachment(&first).await?, meta_of(&first, 1));
    assert_eq!(store.add_attachment(&second).await?, meta_of(&second, 2));
    assert_eq!(
        store.add_attachment(&elsewhere).await?,
        meta_of(&elsewhere, 1)
    );
    assert_eq!(
        store.add_attachment(&in_other_commons).await?,
        meta_of(&in_other_commons, 1)
    );
    assert_eq!(
        store.attachments(&commons, &expense).await?,
        vec![meta_of(&first, 1), meta_of(&second, 2)]
    );
    assert_eq!(
        store.attachment(&commons, &expense, 2).await?,
        Some((meta_of(&second, 2), second.bytes.clone()))
    );
    assert_eq!(
        store.attachment(&commons, &expense, 1).await?,
        Some((meta_of(&first, 1), first.bytes.clone()))
    );
    assert_eq!(store.attachment(&commons, &expense, 3).await?, None);
    assert_eq!(store.attachment(&commons, &expense, 0).await?, None);
    assert_eq!(
        store.attachment(&commons_id(2), &expense, 1).await?,
        Some((
            meta_of(&in_other_commons, 1),
            in_other_commons.bytes.clone()
        ))
    );
    Ok(())
}

pub async fn an_attachment_of_the_byte_limit_is_stored_and_one_byte_more_is_refused<
    S: PrivateStore,
>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let expense = expense_id(1);
    let largest = attachment(commons, expense, 1, ATTACHMENT_BYTES_MAX);
    assert_eq!(largest.bytes.len(), ATTACHMENT_BYTES_MAX);
    assert_eq!(store.add_attachment(&largest).await?.size, 5 * 1024 * 1024);
    let too_large = attachment(commons, expense, 2, ATTACHMENT_BYTES_MAX + 1);
    assert_limit(
        store.add_attachment(&too_large).await,
        ATTACHMENT_TOO_LARGE,
        "one byte over the limit",
    );
    assert_eq!(store.attachments(&commons, &expense).await?.len(), 1);
    Ok(())
}

pub async fn an_expense_holds_at_most_attachments_per_expense_max<S: PrivateStore>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let expense = expense_id(1);
    for tag in 1..=10u8 {
        let added = store
            .add_attachment(&attachment(commons, expense, tag, 100))
            .await?;
        assert_eq!(added.n, u32::from(tag));
    }
    assert_eq!(ATTACHMENTS_PER_EXPENSE_MAX, 10);
    assert_limit(
        store
            .add_attachment(&attachment(commons, expense, 11, 100))
            .await,
        ATTACHMENTS_FULL,
        "an eleventh attachment",
    );
    assert_eq!(store.attachments(&commons, &expense).await?.len(), 10);
    // The limit is per expense.
    let other = store
        .add_attachment(&attachment(commons, expense_id(2), 12, 100))
        .await?;
    assert_eq!(other.n, 1);
    Ok(())
}

pub async fn concurrent_attachments_to_one_expense_stay_within_the_limit<S: PrivateStore>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let expense = expense_id(1);
    for tag in 1..=7u8 {
        store
            .add_attachment(&attachment(commons, expense, tag, 50))
            .await?;
    }
    let racers: Vec<NewAttachment> = (20..26u8)
        .map(|tag| attachment(commons, expense, tag, 50))
        .collect();
    let results = tokio::join!(
        store.add_attachment(&racers[0]),
        store.add_attachment(&racers[1]),
        store.add_attachment(&racers[2]),
        store.add_attachment(&racers[3]),
        store.add_attachment(&racers[4]),
        store.add_attachment(&racers[5]),
    );
    let mut added = 0;
    for result in [
        results.0, results.1, results.2, results.3, results.4, results.5,
    ] {
        match result {
            Ok(_) => added += 1,
            Err(error) if error.is_limit(ATTACHMENTS_FULL) => {}
            other => panic!("a racing upload answered {other:?}"),
        }
    }
    assert_eq!(added, 3);
    let numbers: Vec<u32> = store
        .attachments(&commons, &expense)
        .await?
        .iter()
        .map(|meta| meta.n)
        .collect();
    assert_eq!(numbers, (1..=10).collect::<Vec<u32>>());
    Ok(())
}

pub async fn deleting_an_account_erases_the_payment_details_under_its_keys<
    S: PrivateStore + AccountStore,
>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let leaving = store.create_account(&new_account(1), ACCOUNTS_MAX).await?;
    let staying = store.create_account(&new_account(2), ACCOUNTS_MAX).await?;
    let linked = AuthorKey(Hash::of(&[b"a linked key"]).0);
    store.link_key(leaving.id, &linked, 2_000).await?;
    let leaving_key = new_account(1).key;
    let staying_key = new_account(2).key;
    for (tag, key) in [(1, leaving_key), (2, linked), (3, staying_key)] {
        store
            .put_payment_details(&commons, &key, &payment_details(tag, IBANS[0], None), 3_000)
            .await?;
    }
    store
        .put_payment_details(
            &commons_id(2),
            &linked,
            &payment_details(4, IBANS[1], None),
            3_000,
        )
        .await?;
    assert!(store.delete_account(leaving.id).await?);
    assert_eq!(store.payment_details(&commons, &leaving_key).await?, None);
    assert_eq!(store.payment_details(&commons, &linked).await?, None);
    assert_eq!(store.payment_details(&commons_id(2), &linked).await?, None);
    let kept = store.payment_details(&commons, &staying_key).await?;
    assert_eq!(
        kept.map(|k| k.details.holder_name().to_owned()),
        Some("Holder 3".to_owned())
    );
    assert!(store.account(staying.id).await?.is_some());
    Ok(())
}

pub async fn attachment_values_that_cannot_be_stored_are_refused<S: PrivateStore>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let mut unchecked_name = attachment(commons, expense_id(1), 1, 20);
    unchecked_name.file_name = "../invoice.pdf".to_owned();
    assert!(matches!(
        store.add_attachment(&unchecked_name).await,
        Err(StoreError::Limit(_))
    ));
    let mut late = attachment(commons, expense_id(1), 1, 20);
    late.uploaded_ms = u64::MAX;
    assert!(matches!(
        store.add_attachment(&late).await,
        Err(StoreError::Limit(_))
    ));
    assert!(
        store
            .attachments(&commons, &expense_id(1))
            .await?
            .is_empty()
    );
    Ok(())
}
