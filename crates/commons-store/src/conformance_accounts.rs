//! The conformance cases of [`AccountStore`], run against every backend by
//! [`conformance_tests!`](crate::conformance_tests) next to those of the ledger store.
//!
//! Like the ledger cases, each takes a fresh, empty store, builds every value
//! deterministically from small tags, and returns `Err` only for a fault it did not
//! expect. What only a backend can show (the raw rows and bytes a deletion leaves) is
//! tested in that backend's test file.

use crate::{
    Account, AccountKey, AccountStore, EMAIL_TAKEN, KEY_TAKEN, KEYS_PER_ACCOUNT_MAX, NewAccount,
    Result, SESSION_TAKEN, SESSIONS_PER_ACCOUNT_MAX, STORED_INTEGER_MAX, Session, StoreError,
    UNKNOWN_ACCOUNT,
};
use crate::{
    CSRF_TOKEN_BYTES_MAX, DISPLAY_NAME_BYTES_MAX, EMAIL_BYTES_MAX, PASSWORD_HASH_BYTES_MAX,
    SEALED_SECRET_BYTES_MAX,
};
use commons_ledger::{AuthorKey, Hash};

/// A cap on accounts far above what any case creates.
const NO_CAP: u64 = 1_000;

// ---------------------------------------------------------------------------------------
// Fixtures

/// A deterministic key for accounts (distinct from the ledger fixtures' authors).
pub fn account_key(tag: u8, n: u8) -> AuthorKey {
    AuthorKey(Hash::of(&[b"conformance account key", &[tag, n]]).0)
}

/// A deterministic new account: every field depends on the tag.
pub fn new_account(tag: u8) -> NewAccount {
    NewAccount {
        display_name: format!("Person {tag}"),
        email: format!("person{tag}@example.org"),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHt{tag}$aGFzaHt{tag}"),
        created_ms: 1_000 + u64::from(tag),
        key: account_key(tag, 0),
        sealed_secret: Hash::of(&[b"sealed secret", &[tag]]).0.to_vec(),
    }
}

/// A deterministic session of `account`.
pub fn session(tag: u8, account: u64, created_ms: u64, expires_ms: u64) -> Session {
    Session {
        token_hash: Hash::of(&[b"session token", &[tag]]).0,
        account,
        csrf_token: format!("csrf-{tag}"),
        created_ms,
        expires_ms,
    }
}

/// The account a `NewAccount` becomes under `id`.
fn stored(account: &NewAccount, id: u64) -> Account {
    Account {
        id,
        display_name: account.display_name.clone(),
        email: account.email.clone(),
        password_hash: account.password_hash.clone(),
        created_ms: account.created_ms,
    }
}

fn custodial(account: &NewAccount) -> AccountKey {
    AccountKey {
        key: account.key,
        sealed_secret: Some(account.sealed_secret.clone()),
        added_ms: account.created_ms,
    }
}

fn linked(key: AuthorKey, added_ms: u64) -> AccountKey {
    AccountKey {
        key,
        sealed_secret: None,
        added_ms,
    }
}

fn assert_conflict_code<T: std::fmt::Debug>(result: Result<T>, code: &str, context: &str) {
    match result {
        Err(error) if error.is_conflict(code) => {}
        other => panic!("{context}: expected a {code} conflict, got {other:?}"),
    }
}

fn assert_limit<T: std::fmt::Debug>(result: Result<T>, context: &str) {
    match result {
        Err(StoreError::Limit(_)) => {}
        other => panic!("{context}: expected a limit error, got {other:?}"),
    }
}

/// Which of the sessions are stored.
async fn present<S: AccountStore>(store: &S, sessions: &[Session]) -> Result<Vec<bool>> {
    let mut found = Vec::with_capacity(sessions.len());
    for session in sessions {
        found.push(store.session(&session.token_hash).await?.is_some());
    }
    Ok(found)
}

/// Everything the store shows of one account, to compare before and after.
#[derive(Debug, PartialEq)]
struct AccountView {
    account: Option<Account>,
    by_email: Option<Account>,
    keys: Vec<AccountKey>,
    by_keys: Vec<Option<Account>>,
}

async fn view<S: AccountStore>(store: &S, id: u64, email: &str) -> Result<AccountView> {
    let keys = store.account_keys(id).await?;
    let mut by_keys = Vec::new();
    for key in &keys {
        by_keys.push(store.account_by_key(&key.key).await?);
    }
    Ok(AccountView {
        account: store.account(id).await?,
        by_email: store.account_by_email(email).await?,
        keys,
        by_keys,
    })
}

// ---------------------------------------------------------------------------------------
// Accounts

pub async fn accounts_are_created_and_read_back_by_id_email_and_key<S: AccountStore>(
    store: &S,
) -> Result<()> {
    assert_eq!(store.count_accounts().await?, 0);
    assert_eq!(store.account(1).await?, None);
    assert_eq!(store.account(u64::MAX).await?, None);
    assert_eq!(store.account_by_email("person1@example.org").await?, None);
    assert_eq!(store.account_by_key(&account_key(1, 0)).await?, None);
    assert_eq!(store.account_keys(1).await?, vec![]);

    let (first, second) = (new_account(1), new_account(2));
    let a = store.create_account(&first, NO_CAP).await?;
    let b = store.create_account(&second, NO_CAP).await?;
    assert_ne!(a.id, b.id);
    assert_eq!(a, stored(&first, a.id));
    assert_eq!(b, stored(&second, b.id));
    for (account, new) in [(&a, &first), (&b, &second)] {
        assert_eq!(store.account(account.id).await?.as_ref(), Some(account));
        assert_eq!(
            store.account_by_email(&new.email).await?.as_ref(),
            Some(account)
        );
        assert_eq!(
            store.account_by_key(&new.key).await?.as_ref(),
            Some(account)
        );
        assert_eq!(store.account_keys(account.id).await?, vec![custodial(new)]);
    }
    assert_eq!(store.count_accounts().await?, 2);
    // The store compares e-mail addresses exactly; normalising them is the caller's job.
    assert_eq!(store.account_by_email("PERSON1@example.org").await?, None);
    Ok(())
}

pub async fn an_email_that_is_taken_is_a_conflict_and_writes_nothing<S: AccountStore>(
    store: &S,
) -> Result<()> {
    let a = store.create_account(&new_account(1), NO_CAP).await?;
    let mut twin = new_account(2);
    twin.email = new_account(1).email;
    assert_conflict_code(
        store.create_account(&twin, NO_CAP).await,
        EMAIL_TAKEN,
        "a second account with the same e-mail",
    );
    assert_eq!(store.count_accounts().await?, 1);
    assert_eq!(store.account_by_key(&twin.key).await?, None);
    assert_eq!(store.account_by_email(&twin.email).await?, Some(a));
    Ok(())
}

pub async fn a_key_that_is_taken_is_a_conflict_and_writes_nothing<S: AccountStore>(
    store: &S,
) -> Result<()> {
    let a = store.create_account(&new_account(1), NO_CAP).await?;
    let linked_key = account_key(1, 1);
    store.link_key(a.id, &linked_key, 2_000).await?;
    let before = view(store, a.id, &a.email).await?;
    for (key, what) in [
        (new_account(1).key, "the custodial key of another account"),
        (linked_key, "a key another account linked"),
    ] {
        let mut taker = new_account(2);
        taker.key = key;
        assert_conflict_code(store.create_account(&taker, NO_CAP).await, KEY_TAKEN, what);
        assert_eq!(store.account_by_email(&taker.email).await?, None, "{what}");
    }
    assert_eq!(store.count_accounts().await?, 1);
    assert_eq!(view(store, a.id, &a.email).await?, before);
    Ok(())
}

pub async fn display_name_and_password_hash_changes_touch_only_that_account<S: AccountStore>(
    store: &S,
) -> Result<()> {
    let a = store.create_account(&new_account(1), NO_CAP).await?;
    let b = store.create_account(&new_account(2), NO_CAP).await?;
    assert!(
        store
            .set_display_name(a.id, "Renamed <b>person</b>")
            .await?
    );
    assert!(
        store
            .set_password_hash(a.id, "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3")
            .await?
    );
    let expected = Account {
        display_name: "Renamed <b>person</b>".to_owned(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3".to_owned(),
        ..a.clone()
    };
    assert_eq!(store.account(a.id).await?, Some(expected.clone()));
    assert_eq!(store.account_by_email(&a.email).await?, Some(expected));
    assert_eq!(store.account(b.id).await?, Some(b.clone()));

    let unknown = a.id.max(b.id) + 100;
    for id in [unknown, u64::MAX] {
        assert!(!store.set_display_name(id, "Nobody").await?);
        assert!(!store.set_password_hash(id, "$argon2id$x").await?);
    }
    assert_eq!(store.count_accounts().await?, 2);
    Ok(())
}

pub async fn the_account_count_is_capped_by_the_callers_maximum<S: AccountStore>(
    store: &S,
) -> Result<()> {
    let cap = 3;
    assert_limit(
        store.create_account(&new_account(9), 0).await,
        "a cap of zero",
    );
    let mut created = Vec::new();
    for tag in 1..=3 {
        created.push(store.create_account(&new_account(tag), cap).await?);
    }
    assert_limit(
        store.create_account(&new_account(4), cap).await,
        "an account beyond the cap",
    );
    assert_eq!(store.count_accounts().await?, 3);
    assert_eq!(store.account_by_email(&new_account(4).email).await?, None);
    assert_eq!(store.account_by_key(&new_account(4).key).await?, None);
    // A deletion makes room again; a larger cap lets more in.
    assert!(store.delete_account(created[0].id).await?);
    store.create_account(&new_account(4), cap).await?;
    store.create_account(&new_account(5), cap + 1).await?;
    assert_eq!(store.count_accounts().await?, 4);
    Ok(())
}

pub async fn concurrent_account_creations_stay_within_the_cap_and_keep_emails_unique<
    S: AccountStore,
>(
    store: &S,
) -> Result<()> {
    let cap = 3;
    let racers: Vec<NewAccount> = (1..=6).map(new_account).collect();
    let results = tokio::join!(
        store.create_account(&racers[0], cap),
        store.create_account(&racers[1], cap),
        store.create_account(&racers[2], cap),
        store.create_account(&racers[3], cap),
        store.create_account(&racers[4], cap),
        store.create_account(&racers[5], cap),
    );
    let results = [
        results.0, results.1, results.2, results.3, results.4, results.5,
    ];
    let mut created = 0;
    for result in results {
        match result {
            Ok(_) => created += 1,
            Err(StoreError::Limit(_)) => {}
            Err(other) => return Err(other),
        }
    }
    assert_eq!(created, cap);
    assert_eq!(store.count_accounts().await?, cap);

    let original = new_account(7);
    let mut twin = new_account(8);
    twin.email = original.email.clone();
    let (first, second) = tokio::join!(
        store.create_account(&original, NO_CAP),
        store.create_account(&twin, NO_CAP),
    );
    match (&first, &second) {
        (Ok(_), Err(error)) | (Err(error), Ok(_)) if error.is_conflict(EMAIL_TAKEN) => {}
        other => panic!("expected one account and one email_taken conflict, got {other:?}"),
    }
    assert_eq!(store.count_accounts().await?, cap + 1);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Keys

pub async fn linked_keys_follow_the_custodial_key_and_find_their_account<S: AccountStore>(
    store: &S,
) -> Result<()> {
    let first = new_account(1);
    let a = store.create_account(&first, NO_CAP).await?;
    let b = store.create_account(&new_account(2), NO_CAP).await?;
    // Linked out of order, two at the same time: listed by time, then by key bytes.
    let (late, early_x, early_y) = (account_key(1, 1), account_key(1, 2), account_key(1, 3));
    store.link_key(a.id, &late, 5_000).await?;
    store.link_key(a.id, &early_x, 3_000).await?;
    store.link_key(a.id, &early_y, 3_000).await?;
    let mut early = [linked(early_x, 3_000), linked(early_y, 3_000)];
    early.sort_by_key(|key| key.key.to_bytes());
    let mut expected = vec![custodial(&first)];
    expected.extend(early);
    expected.push(linked(late, 5_000));
    assert_eq!(store.account_keys(a.id).await?, expected);
    for key in [late, early_x, early_y] {
        assert_eq!(store.account_by_key(&key).await?, Some(a.clone()));
    }
    assert_eq!(
        store.account_keys(b.id).await?,
        vec![custodial(&new_account(2))]
    );
    Ok(())
}

pub async fn linking_a_taken_key_or_to_an_unknown_account_is_a_conflict<S: AccountStore>(
    store: &S,
) -> Result<()> {
    let a = store.create_account(&new_account(1), NO_CAP).await?;
    let b = store.create_account(&new_account(2), NO_CAP).await?;
    let key = account_key(1, 1);
    store.link_key(a.id, &key, 2_000).await?;
    let before = (
        view(store, a.id, &a.email).await?,
        view(store, b.id, &b.email).await?,
    );
    for (id, taken, what) in [
        (a.id, new_account(1).key, "its own custodial key"),
        (a.id, new_account(2).key, "another account's custodial key"),
        (a.id, key, "a key it linked already"),
        (b.id, key, "a key another account linked"),
    ] {
        assert_conflict_code(store.link_key(id, &taken, 3_000).await, KEY_TAKEN, what);
    }
    let unknown = a.id.max(b.id) + 100;
    for id in [unknown, u64::MAX] {
        assert_conflict_code(
            store.link_key(id, &account_key(9, 9), 3_000).await,
            UNKNOWN_ACCOUNT,
            "an unknown account",
        );
    }
    assert_eq!(store.account_by_key(&account_key(9, 9)).await?, None);
    assert_eq!(
        (
            view(store, a.id, &a.email).await?,
            view(store, b.id, &b.email).await?,
        ),
        before
    );
    Ok(())
}

pub async fn an_account_has_at_most_keys_per_account_max_keys<S: AccountStore>(
    store: &S,
) -> Result<()> {
    let a = store.create_account(&new_account(1), NO_CAP).await?;
    let b = store.create_account(&new_account(2), NO_CAP).await?;
    // The custodial key counts.
    let linkable = u8::try_from(KEYS_PER_ACCOUNT_MAX - 1).unwrap_or(u8::MAX);
    for n in 1..=linkable {
        store
            .link_key(a.id, &account_key(1, n), 2_000 + u64::from(n))
            .await?;
    }
    let one_more = account_key(1, linkable + 1);
    assert_limit(
        store.link_key(a.id, &one_more, 9_000).await,
        "a key beyond the limit",
    );
    assert_eq!(
        u64::try_from(store.account_keys(a.id).await?.len()).ok(),
        Some(KEYS_PER_ACCOUNT_MAX)
    );
    assert_eq!(store.account_by_key(&one_more).await?, None);
    // The limit is per account.
    store.link_key(b.id, &one_more, 9_000).await?;
    assert_eq!(store.account_by_key(&one_more).await?, Some(b));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Sessions

pub async fn sessions_are_created_read_and_deleted<S: AccountStore>(store: &S) -> Result<()> {
    let a = store.create_account(&new_account(1), NO_CAP).await?;
    let b = store.create_account(&new_account(2), NO_CAP).await?;
    let (s1, s2, s3) = (
        session(1, a.id, 100, 10_000),
        session(2, a.id, 200, 300),
        session(3, a.id, 250, 10_000),
    );
    let other = session(4, b.id, 100, 10_000);
    for session in [&s1, &s2, &s3, &other] {
        store.create_session(session).await?;
    }
    assert_eq!(store.session(&s1.token_hash).await?, Some(s1.clone()));
    // Expired sessions are still answered: the caller checks the time.
    assert_eq!(store.session(&s2.token_hash).await?, Some(s2.clone()));
    assert_eq!(store.session(&[7; 32]).await?, None);

    assert_conflict_code(
        store.create_session(&session(1, b.id, 500, 10_000)).await,
        SESSION_TAKEN,
        "a token hash that is stored",
    );
    let unknown = a.id.max(b.id) + 100;
    for id in [unknown, u64::MAX] {
        assert_conflict_code(
            store.create_session(&session(9, id, 500, 10_000)).await,
            UNKNOWN_ACCOUNT,
            "a session of an unknown account",
        );
    }
    assert_eq!(store.session(&session(9, 0, 0, 0).token_hash).await?, None);

    assert!(store.delete_session(&s1.token_hash).await?);
    assert!(!store.delete_session(&s1.token_hash).await?);
    assert_eq!(
        present(store, &[s1.clone(), s2.clone(), s3.clone(), other.clone()]).await?,
        [false, true, true, true]
    );
    assert_eq!(store.delete_sessions_of(a.id).await?, 2);
    assert_eq!(store.delete_sessions_of(a.id).await?, 0);
    assert_eq!(store.delete_sessions_of(u64::MAX).await?, 0);
    assert_eq!(
        present(store, &[s1, s2, s3, other.clone()]).await?,
        [false, false, false, true]
    );
    assert_eq!(store.session(&other.token_hash).await?, Some(other));
    Ok(())
}

pub async fn purging_expired_sessions_removes_exactly_those_expired<S: AccountStore>(
    store: &S,
) -> Result<()> {
    let a = store.create_account(&new_account(1), NO_CAP).await?;
    let b = store.create_account(&new_account(2), NO_CAP).await?;
    let sessions = [
        session(1, a.id, 50, 100),
        session(2, b.id, 50, 200),
        session(3, a.id, 50, 201),
        session(4, b.id, 50, STORED_INTEGER_MAX),
    ];
    for session in &sessions {
        store.create_session(session).await?;
    }
    assert_eq!(store.purge_expired_sessions(99).await?, 0);
    // A session expires at its `expires_ms`.
    assert_eq!(store.purge_expired_sessions(200).await?, 2);
    assert_eq!(present(store, &sessions).await?, [false, false, true, true]);
    assert_eq!(store.purge_expired_sessions(200).await?, 0);
    // A time beyond the stored range purges everything.
    assert_eq!(store.purge_expired_sessions(u64::MAX).await?, 2);
    assert_eq!(
        present(store, &sessions).await?,
        [false, false, false, false]
    );
    Ok(())
}

pub async fn a_session_beyond_the_per_account_limit_ends_the_oldest<S: AccountStore>(
    store: &S,
) -> Result<()> {
    let a = store.create_account(&new_account(1), NO_CAP).await?;
    let b = store.create_account(&new_account(2), NO_CAP).await?;
    let other = session(200, b.id, 1_000, 100_000);
    store.create_session(&other).await?;
    let max = u8::try_from(SESSIONS_PER_ACCOUNT_MAX).unwrap_or(u8::MAX);
    // Created out of order: "oldest" means the smallest created_ms, not the first stored.
    let mut sessions: Vec<Session> = (0..max)
        .map(|n| {
            let created_ms = 1_000 + u64::from((n * 7) % max) * 10;
            session(n, a.id, created_ms, 100_000)
        })
        .collect();
    for session in &sessions {
        store.create_session(session).await?;
    }
    assert!(present(store, &sessions).await?.iter().all(|found| *found));
    sessions.sort_by_key(|session| session.created_ms);

    let newer = session(100, a.id, 5_000, 100_000);
    store.create_session(&newer).await?;
    let mut expected = vec![true; sessions.len()];
    expected[0] = false;
    assert_eq!(present(store, &sessions).await?, expected);
    assert_eq!(store.session(&newer.token_hash).await?, Some(newer.clone()));

    // A session that has expired by the new one's creation goes before any live one.
    let short_lived = &sessions[5];
    let mut expiring = short_lived.clone();
    assert!(store.delete_session(&short_lived.token_hash).await?);
    expiring.expires_ms = 5_500;
    store.create_session(&expiring).await?;
    let newest = session(101, a.id, 6_000, 100_000);
    store.create_session(&newest).await?;
    assert_eq!(store.session(&expiring.token_hash).await?, None);
    assert_eq!(
        present(store, &sessions[1..])
            .await?
            .iter()
            .filter(|found| **found)
            .count(),
        sessions.len() - 2
    );
    assert_eq!(present(store, &[newer, newest]).await?, [true, true]);

    // Another account's sessions are never ended for this one.
    assert_eq!(store.session(&other.token_hash).await?, Some(other));
    Ok(())
}

pub async fn concurrent_sessions_of_one_account_stay_within_the_limit<S: AccountStore>(
    store: &S,
) -> Result<()> {
    let a = store.create_account(&new_account(1), NO_CAP).await?;
    let max = u8::try_from(SESSIONS_PER_ACCOUNT_MAX).unwrap_or(u8::MAX);
    let sessions: Vec<Session> = (0..max + 4)
        .map(|n| session(n, a.id, 1_000 + u64::from(n), 100_000))
        .collect();
    for session in &sessions[..usize::from(max - 2)] {
        store.create_session(session).await?;
    }
    let racing = &sessions[usize::from(max - 2)..];
    let results = tokio::join!(
        store.create_session(&racing[0]),
        store.create_session(&racing[1]),
        store.create_session(&racing[2]),
        store.create_session(&racing[3]),
        store.create_session(&racing[4]),
        store.create_session(&racing[5]),
    );
    for result in [
        results.0, results.1, results.2, results.3, results.4, results.5,
    ] {
        result?;
    }
    let live = present(store, &sessions)
        .await?
        .iter()
        .filter(|found| **found)
        .count();
    assert_eq!(u64::try_from(live).ok(), Some(SESSIONS_PER_ACCOUNT_MAX));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Deletion

pub async fn deleting_an_account_erases_its_keys_and_sessions_and_nothing_else<S: AccountStore>(
    store: &S,
) -> Result<()> {
    let b = store.create_account(&new_account(2), NO_CAP).await?;
    // The account deleted is the newest, so that a store reusing the largest id would
    // show it below.
    let a = store.create_account(&new_account(1), NO_CAP).await?;
    store.link_key(a.id, &account_key(1, 1), 2_000).await?;
    store.link_key(b.id, &account_key(2, 1), 2_000).await?;
    let a_sessions = [session(1, a.id, 100, 10_000), session(2, a.id, 200, 10_000)];
    let b_session = session(3, b.id, 100, 10_000);
    for session in a_sessions.iter().chain([&b_session]) {
        store.create_session(session).await?;
    }
    let a_keys = store.account_keys(a.id).await?;
    let b_before = view(store, b.id, &b.email).await?;

    assert!(store.delete_account(a.id).await?);
    assert_eq!(
        view(store, a.id, &a.email).await?,
        AccountView {
            account: None,
            by_email: None,
            keys: vec![],
            by_keys: vec![],
        }
    );
    for key in &a_keys {
        assert_eq!(store.account_by_key(&key.key).await?, None);
    }
    assert_eq!(present(store, &a_sessions).await?, [false, false]);
    assert_eq!(store.count_accounts().await?, 1);
    assert_eq!(view(store, b.id, &b.email).await?, b_before);
    assert_eq!(store.session(&b_session.token_hash).await?, Some(b_session));

    assert!(!store.delete_account(a.id).await?);
    assert!(!store.delete_account(u64::MAX).await?);
    assert_eq!(store.delete_sessions_of(a.id).await?, 0);

    // The e-mail address and the keys are free again, under a new id.
    let again = store.create_account(&new_account(1), NO_CAP).await?;
    assert_ne!(again.id, a.id);
    assert_ne!(again.id, b.id);
    store.link_key(again.id, &account_key(1, 1), 3_000).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Limits on values

/// A change to a valid new account.
type Edit = fn(&mut NewAccount);

pub async fn account_values_beyond_their_limits_are_refused<S: AccountStore>(
    store: &S,
) -> Result<()> {
    let too_long = |bytes: usize| "x".repeat(bytes + 1);
    let refusals: [(&str, Edit); 5] = [
        ("display name", |new| {
            new.display_name = "x".repeat(DISPLAY_NAME_BYTES_MAX + 1);
        }),
        ("e-mail", |new| {
            new.email = format!("{}@x", "x".repeat(EMAIL_BYTES_MAX));
        }),
        ("password hash", |new| {
            new.password_hash = "x".repeat(PASSWORD_HASH_BYTES_MAX + 1);
        }),
        ("sealed secret", |new| {
            new.sealed_secret = vec![7; SEALED_SECRET_BYTES_MAX + 1];
        }),
        ("created_ms", |new| new.created_ms = STORED_INTEGER_MAX + 1),
    ];
    for (what, edit) in refusals {
        let mut new = new_account(1);
        edit(&mut new);
        assert_limit(store.create_account(&new, NO_CAP).await, what);
    }
    assert_eq!(store.count_accounts().await?, 0);

    // The largest values are stored exactly.
    let largest = NewAccount {
        display_name: "x".repeat(DISPLAY_NAME_BYTES_MAX),
        email: format!("{}@x", "x".repeat(EMAIL_BYTES_MAX - 2)),
        password_hash: "x".repeat(PASSWORD_HASH_BYTES_MAX),
        created_ms: STORED_INTEGER_MAX,
        key: account_key(1, 0),
        sealed_secret: vec![7; SEALED_SECRET_BYTES_MAX],
    };
    let a = store.create_account(&largest, NO_CAP).await?;
    assert_eq!(store.account(a.id).await?, Some(stored(&largest, a.id)));
    assert_eq!(store.account_keys(a.id).await?, vec![custodial(&largest)]);

    assert_limit(
        store
            .set_display_name(a.id, &too_long(DISPLAY_NAME_BYTES_MAX))
            .await,
        "a new display name",
    );
    assert_limit(
        store
            .set_password_hash(a.id, &too_long(PASSWORD_HASH_BYTES_MAX))
            .await,
        "a new password hash",
    );
    assert_limit(
        store
            .link_key(a.id, &account_key(1, 1), STORED_INTEGER_MAX + 1)
            .await,
        "a key's added_ms",
    );
    let mut long_csrf = session(1, a.id, 100, 200);
    long_csrf.csrf_token = too_long(CSRF_TOKEN_BYTES_MAX);
    let late_created = session(1, a.id, u64::MAX, 200);
    let late_expiry = session(1, a.id, 100, STORED_INTEGER_MAX + 1);
    for (what, session) in [
        ("a CSRF token", long_csrf),
        ("a session's created_ms", late_created),
        ("a session's expires_ms", late_expiry),
    ] {
        assert_limit(store.create_session(&session).await, what);
        assert_eq!(store.session(&session.token_hash).await?, None, "{what}");
    }
    assert_eq!(store.account(a.id).await?, Some(stored(&largest, a.id)));
    assert_eq!(store.account_keys(a.id).await?.len(), 1);

    let mut largest_session = session(1, a.id, STORED_INTEGER_MAX, STORED_INTEGER_MAX);
    largest_session.csrf_token = "x".repeat(CSRF_TOKEN_BYTES_MAX);
    store.create_session(&largest_session).await?;
    assert_eq!(
        store.session(&largest_session.token_hash).await?,
        Some(largest_session)
    );
    Ok(())
}
