//! [`PrivateStore`] on PostgreSQL.
//!
//! Payment details are one upsert (`INSERT … ON CONFLICT DO UPDATE`), atomic on its own.
//! Adding an attachment runs in READ COMMITTED behind a transaction-scoped advisory lock
//! on the expense (the two-integer form, whose keys never meet the one-bigint locks of
//! accounts and migrations), so that concurrent uploads, from this node or others sharing
//! the database, read the largest number one after the other and the per-expense limit
//! holds. Deadlocks are retried like appends.

use crate::postgres::retrying;
use crate::private::{
    self, AttachmentBytesRow, AttachmentColumns, AttachmentMeta, AttachmentRow, NewAttachment,
    PaymentColumns, PaymentDetails, PaymentRow, PrivateStore, StoredPaymentDetails,
};
use crate::{PgStore, Result, StoreError};
use commons_ledger::{AuthorKey, CommonsId, EventId};

/// See the module comment.
const BEGIN_PRIVATE_WRITE: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";
/// The first key of the advisory locks on expenses' attachments ("atch" in ASCII).
const ATTACHMENTS_LOCK_CLASS: i32 = 0x6174_6368;

/// The second key of an expense's advisory lock: its id's first four bytes. Two expenses
/// that share them only take turns.
fn expense_lock_key(expense: &[u8]) -> i32 {
    let mut first = [0u8; 4];
    first.copy_from_slice(&expense[..4]);
    i32::from_be_bytes(first)
}

impl PgStore {
    async fn put_payment_once(&self, columns: &PaymentColumns<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO private_payment_details \
             (commons, person, holder_name, iban, bic, note, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (commons, person) DO UPDATE SET holder_name = excluded.holder_name, \
             iban = excluded.iban, bic = excluded.bic, note = excluded.note, \
             updated_ms = excluded.updated_ms",
        )
        .bind(columns.commons)
        .bind(&columns.person[..])
        .bind(columns.holder_name)
        .bind(columns.iban)
        .bind(columns.bic)
        .bind(columns.note)
        .bind(columns.now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn add_attachment_once(&self, columns: &AttachmentColumns<'_>) -> Result<i64> {
        let mut tx = self.pool().begin_with(BEGIN_PRIVATE_WRITE).await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(ATTACHMENTS_LOCK_CLASS)
            .bind(expense_lock_key(columns.expense))
            .execute(&mut *tx)
            .await?;
        let stored_max: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(n) FROM private_attachments WHERE commons = $1 AND expense = $2",
        )
        .bind(columns.commons)
        .bind(columns.expense)
        .fetch_one(&mut *tx)
        .await?;
        let n = AttachmentColumns::next_number(stored_max)?;
        sqlx::query(
            "INSERT INTO private_attachments \
             (commons, expense, n, file_name, media_type, size, uploader, uploaded_ms, bytes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(columns.commons)
        .bind(columns.expense)
        .bind(n)
        .bind(columns.file_name)
        .bind(columns.media_type)
        .bind(columns.size)
        .bind(&columns.uploader[..])
        .bind(columns.uploaded_ms)
        .bind(columns.bytes)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}

impl PrivateStore for PgStore {
    async fn put_payment_details(
        &self,
        commons: &CommonsId,
        person: &AuthorKey,
        details: &PaymentDetails,
        now_ms: u64,
    ) -> Result<StoredPaymentDetails> {
        let columns = PaymentColumns::new(commons, person, details, now_ms)?;
        retrying(|| self.put_payment_once(&columns)).await?;
        self.payment_details(commons, person).await?.ok_or_else(|| {
            StoreError::Corrupt("payment details just written are not stored".to_owned())
        })
    }

    async fn payment_details(
        &self,
        commons: &CommonsId,
        person: &AuthorKey,
    ) -> Result<Option<StoredPaymentDetails>> {
        let row: Option<PaymentRow> = sqlx::query_as(
            "SELECT holder_name, iban, bic, note, created_ms, updated_ms \
             FROM private_payment_details WHERE commons = $1 AND person = $2",
        )
        .bind(&commons.0[..])
        .bind(&person.to_bytes()[..])
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| private::decode_payment(commons, person, row))
            .transpose()
    }

    async fn delete_payment_details(
        &self,
        commons: &CommonsId,
        person: &AuthorKey,
    ) -> Result<bool> {
        let deleted =
            sqlx::query("DELETE FROM private_payment_details WHERE commons = $1 AND person = $2")
                .bind(&commons.0[..])
                .bind(&person.to_bytes()[..])
                .execute(self.pool())
                .await?
                .rows_affected();
        Ok(deleted == 1)
    }

    async fn add_attachment(&self, attachment: &NewAttachment) -> Result<AttachmentMeta> {
        let columns = AttachmentColumns::new(attachment)?;
        let n = retrying(|| self.add_attachment_once(&columns)).await?;
        columns.meta(n, attachment)
    }

    async fn attachments(
        &self,
        commons: &CommonsId,
        expense: &EventId,
    ) -> Result<Vec<AttachmentMeta>> {
        let rows: Vec<AttachmentRow> = sqlx::query_as(
            "SELECT n, file_name, media_type, size, uploader, uploaded_ms \
             FROM private_attachments WHERE commons = $1 AND expense = $2 ORDER BY n",
        )
        .bind(&commons.0[..])
        .bind(&expense.0[..])
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(private::decode_attachment).collect()
    }

    async fn attachment(
        &self,
        commons: &CommonsId,
        expense: &EventId,
        n: u32,
    ) -> Result<Option<(AttachmentMeta, Vec<u8>)>> {
        let row: Option<AttachmentBytesRow> = sqlx::query_as(
            "SELECT n, file_name, media_type, size, uploader, uploaded_ms, bytes \
             FROM private_attachments WHERE commons = $1 AND expense = $2 AND n = $3",
        )
        .bind(&commons.0[..])
        .bind(&expense.0[..])
        .bind(i64::from(n))
        .fetch_optional(self.pool())
        .await?;
        row.map(private::decode_attachment_with_bytes).transpose()
    }
}
