//! [`PrivateStore`] on SQLite.
//!
//! Writes go through the store's one writer connection with `secure_delete` on, like
//! account writes (`sqlite_accounts`): a replaced IBAN is personal data, and its old
//! bytes are zeroed in the file. Adding an attachment reads the expense's largest number
//! and inserts the next one in one `BEGIN IMMEDIATE` transaction, with no other writer in
//! between. Reads use the reader pool.

use crate::private::{
    self, AttachmentBytesRow, AttachmentColumns, AttachmentMeta, AttachmentRow, NewAttachment,
    PaymentColumns, PaymentDetails, PaymentRow, PrivateStore, StoredPaymentDetails,
};
use crate::sqlite_accounts::with_writer;
use crate::{Result, SqliteStore, StoreError};
use commons_ledger::{AuthorKey, CommonsId, EventId};
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;

async fn put_payment_in(conn: &mut SqliteConnection, columns: &PaymentColumns<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO private_payment_details \
         (commons, person, holder_name, iban, bic, note, created_ms, updated_ms) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
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
    .bind(columns.now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn add_attachment_in(
    conn: &mut SqliteConnection,
    columns: &AttachmentColumns<'_>,
) -> Result<i64> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let stored_max: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(n) FROM private_attachments WHERE commons = ? AND expense = ?",
    )
    .bind(columns.commons)
    .bind(columns.expense)
    .fetch_one(&mut *tx)
    .await?;
    let n = AttachmentColumns::next_number(stored_max)?;
    sqlx::query(
        "INSERT INTO private_attachments \
         (commons, expense, n, file_name, media_type, size, uploader, uploaded_ms, bytes) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

impl PrivateStore for SqliteStore {
    async fn put_payment_details(
        &self,
        commons: &CommonsId,
        person: &AuthorKey,
        details: &PaymentDetails,
        now_ms: u64,
    ) -> Result<StoredPaymentDetails> {
        let columns = PaymentColumns::new(commons, person, details, now_ms)?;
        with_writer!(self, conn => put_payment_in(conn, &columns))?;
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
             FROM private_payment_details WHERE commons = ? AND person = ?",
        )
        .bind(&commons.0[..])
        .bind(&person.to_bytes()[..])
        .fetch_optional(self.pools().1)
        .await?;
        row.map(|row| private::decode_payment(commons, person, row))
            .transpose()
    }

    async fn delete_payment_details(
        &self,
        commons: &CommonsId,
        person: &AuthorKey,
    ) -> Result<bool> {
        let person = person.to_bytes();
        let deleted = with_writer!(self, conn => async {
            let done = sqlx::query(
                "DELETE FROM private_payment_details WHERE commons = ? AND person = ?",
            )
            .bind(&commons.0[..])
            .bind(&person[..])
            .execute(&mut *conn)
            .await?;
            Ok::<u64, StoreError>(done.rows_affected())
        })?;
        Ok(deleted == 1)
    }

    async fn add_attachment(&self, attachment: &NewAttachment) -> Result<AttachmentMeta> {
        let columns = AttachmentColumns::new(attachment)?;
        let n = with_writer!(self, conn => add_attachment_in(conn, &columns))?;
        columns.meta(n, attachment)
    }

    async fn attachments(
        &self,
        commons: &CommonsId,
        expense: &EventId,
    ) -> Result<Vec<AttachmentMeta>> {
        let rows: Vec<AttachmentRow> = sqlx::query_as(
            "SELECT n, file_name, media_type, size, uploader, uploaded_ms \
             FROM private_attachments WHERE commons = ? AND expense = ? ORDER BY n",
        )
        .bind(&commons.0[..])
        .bind(&expense.0[..])
        .fetch_all(self.pools().1)
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
             FROM private_attachments WHERE commons = ? AND expense = ? AND n = ?",
        )
        .bind(&commons.0[..])
        .bind(&expense.0[..])
        .bind(i64::from(n))
        .fetch_optional(self.pools().1)
        .await?;
        row.map(private::decode_attachment_with_bytes).transpose()
    }
}
