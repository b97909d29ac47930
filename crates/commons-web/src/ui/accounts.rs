//! Accounts: register, log in and out, change the password, link a key held elsewhere,
//! and delete the account with its personal data.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults, which follow the
//! OWASP recommendation) off the async threads. An unknown e-mail costs the same hash as
//! a wrong password. Attempts are rate limited per client address. Each account gets a
//! custodial signing key, sealed under the node's secret; the node signs the person's
//! browser actions with it, so they are ordinary signed events.

use super::secret::{random_bytes, same};
use super::session::{CheckedForm, Flash, FlashKind, Viewer};
use super::{UiError, render, render_status};
use crate::AppState;
use crate::limits::client_ip;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::State;
use axum::http::{Extensions, StatusCode};
use axum::response::Response;
use commons_ledger::keys::Signature;
use commons_ledger::{AuthorKey, SecretKey};
use commons_store::{Account, AccountStore, NewAccount, StoreError};
use minijinja::context;
use serde::Deserialize;
use std::sync::OnceLock;

/// Shortest password accepted, in characters.
pub const PASSWORD_CHARS_MIN: usize = 10;
/// Longest password accepted, in bytes (hashing cost grows with it).
pub const PASSWORD_BYTES_MAX: usize = 1_024;
/// Longest display name, in bytes: the ledger's limit for a profile name.
pub const DISPLAY_NAME_BYTES_MAX: usize = commons_core::agents::NAME_LEN_MAX;
/// What a link-key challenge starts with; the CLI signs nothing else.
pub const LINK_CHALLENGE_PREFIX: &str = "commons-link-key-v1:";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    display_name: String,
    email: String,
    password: String,
    password_confirm: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    new_password_confirm: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkKeyForm {
    key: String,
    signature: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    password: String,
    confirm: String,
}

/// An e-mail address as stored: trimmed and lowercased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn check_email(email: &str) -> Result<(), String> {
    let valid = email.len() <= commons_store::EMAIL_BYTES_MAX
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(())
    } else {
        Err("Enter an e-mail address like name@example.org.".into())
    }
}

/// A display name as published: trimmed, 1 to 100 bytes, no control characters.
pub fn check_display_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.len() > DISPLAY_NAME_BYTES_MAX || name.chars().any(char::is_control)
    {
        return Err(format!(
            "A display name has 1 to {DISPLAY_NAME_BYTES_MAX} bytes and no control characters."
        ));
    }
    Ok(name.to_owned())
}

fn check_new_password(password: &str, confirm: &str) -> Result<(), String> {
    if password.chars().count() < PASSWORD_CHARS_MIN {
        return Err(format!(
            "A password has at least {PASSWORD_CHARS_MIN} characters."
        ));
    }
    if password.len() > PASSWORD_BYTES_MAX {
        return Err(format!(
            "A password has at most {PASSWORD_BYTES_MAX} bytes."
        ));
    }
    if password != confirm {
        return Err("The two passwords differ.".into());
    }
    Ok(())
}

/// Hashes a password with argon2id on a blocking thread.
pub async fn hash_password(password: String) -> Result<String, UiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&random_bytes::<16>())
            .map_err(|e| UiError::Fault(format!("salt: {e}")))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| UiError::Fault(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| UiError::Fault(format!("hashing task: {e}")))?
}

/// Checks a password against a stored hash (or against a fixed hash when there is no
/// account, so that both cases cost the same) on a blocking thread.
async fn password_matches(password: String, stored: Option<String>) -> Result<bool, UiError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY
        .get_or_init(|| {
            let salt = SaltString::encode_b64(&[7u8; 16]).expect("a 16-byte salt encodes");
            Argon2::default()
                .hash_password(b"no account has this password", &salt)
                .map(|hash| hash.to_string())
                .unwrap_or_default()
        })
        .clone();
    let exists = stored.is_some();
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or(dummy);
        let matched = PasswordHash::new(&stored)
            .map(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false);
        matched && exists
    })
    .await
    .map_err(|e| UiError::Fault(format!("hashing task: {e}")))
}

fn rate_limit(state: &AppState, extensions: &Extensions) -> Result<(), UiError> {
    state
        .ui
        .login_limiter
        .check(client_ip(extensions), tokio::time::Instant::now())
        .map_err(|retry_after_s| UiError::RateLimited { retry_after_s })
}

fn success(message: impl Into<String>) -> Option<Flash> {
    Some(Flash {
        kind: FlashKind::Success,
        message: message.into(),
    })
}

/// The custodial signing key of an account.
pub async fn signing_key(state: &AppState, account: &Account) -> Result<SecretKey, UiError> {
    let keys = state.node.store().account_keys(account.id).await?;
    let sealed = keys
        .iter()
        .find_map(|k| k.sealed_secret.as_ref())
        .ok_or_else(|| UiError::Fault(format!("account {} has no custodial key", account.id)))?;
    let seed = state
        .ui
        .secret
        .open(sealed)
        .and_then(|seed| <[u8; 32]>::try_from(seed.as_slice()).ok())
        .ok_or_else(|| {
            UiError::Fault(format!(
                "the custodial key of account {} does not open with this node's web secret",
                account.id
            ))
        })?;
    Ok(SecretKey::from_seed(seed))
}

/// Creates an account with a fresh custodial key, or with `key` when given (the demo's
/// accounts hold the demo commons' keys). The inner error is a sentence for the person.
pub async fn create_account(
    node: &commons_node::Node,
    ui: &super::Ui,
    display_name: &str,
    email: &str,
    password: String,
    key: Option<SecretKey>,
) -> Result<Result<Account, String>, UiError> {
    let key = key.unwrap_or_else(|| SecretKey::from_seed(random_bytes()));
    let new = NewAccount {
        display_name: display_name.to_owned(),
        email: normalize_email(email),
        password_hash: hash_password(password).await?,
        created_ms: node.now_ms(),
        key: key.author_key(),
        sealed_secret: ui.secret.seal(key.seed()),
    };
    match node
        .store()
        .create_account(&new, ui.config.accounts_max)
        .await
    {
        Ok(account) => Ok(Ok(account)),
        Err(e) if e.is_conflict(commons_store::EMAIL_TAKEN) => Ok(Err(
            "An account with this e-mail address exists. Log in instead.".into(),
        )),
        Err(e) if e.is_conflict(commons_store::KEY_TAKEN) => Ok(Err(
            "That signing key already belongs to an account here.".into(),
        )),
        Err(StoreError::Limit(_)) => {
            Ok(Err("This node has as many accounts as it can hold.".into()))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn register_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    render(
        &state,
        viewer,
        "register.html",
        context! { title => "Create an account", form => context! {} },
    )
}

pub async fn register(
    State(state): State<AppState>,
    extensions: Extensions,
    CheckedForm(mut viewer, form): CheckedForm<RegisterForm>,
) -> Result<Response, UiError> {
    rate_limit(&state, &extensions)?;
    if !state.ui.config.registration_open {
        return Err(UiError::Forbidden(
            "This node does not take new accounts.".into(),
        ));
    }
    let checked = check_display_name(&form.display_name).and_then(|name| {
        check_email(&normalize_email(&form.email))?;
        check_new_password(&form.password, &form.password_confirm)?;
        Ok(name)
    });
    let result = match checked {
        Ok(name) => {
            create_account(
                &state.node,
                &state.ui,
                &name,
                &form.email,
                form.password.clone(),
                None,
            )
            .await?
        }
        Err(message) => Err(message),
    };
    match result {
        Ok(account) => {
            let name = account.display_name.clone();
            viewer.log_in(&state, account).await?;
            Ok(viewer.redirect(
                &state.ui,
                "/",
                success(format!(
                    "Welcome, {name}. Your account and signing key are ready."
                )),
            ))
        }
        Err(message) => Ok(render_status(
            &state,
            viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "register.html",
            context! {
                title => "Create an account",
                error => message,
                form => context! { display_name => form.display_name, email => form.email },
            },
        )),
    }
}

pub async fn login_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    render(
        &state,
        viewer,
        "login.html",
        context! { title => "Log in", form => context! {} },
    )
}

pub async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    CheckedForm(mut viewer, form): CheckedForm<LoginForm>,
) -> Result<Response, UiError> {
    rate_limit(&state, &extensions)?;
    let email = normalize_email(&form.email);
    let account = if email.len() <= commons_store::EMAIL_BYTES_MAX {
        state.node.store().account_by_email(&email).await?
    } else {
        None
    };
    let password = if form.password.len() <= PASSWORD_BYTES_MAX {
        form.password
    } else {
        String::new()
    };
    // An unknown e-mail costs the same hash as a wrong password.
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let matched = password_matches(password, stored).await?;
    match account {
        Some(account) if matched => {
            let name = account.display_name.clone();
            viewer.log_in(&state, account).await?;
            Ok(viewer.redirect(&state.ui, "/", success(format!("Welcome back, {name}."))))
        }
        _ => Ok(render_status(
            &state,
            viewer,
            StatusCode::UNAUTHORIZED,
            "login.html",
            context! {
                title => "Log in",
                error => "That e-mail address and password do not match an account here.",
                form => context! { email => form.email },
            },
        )),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct EmptyForm {}

pub async fn logout(
    State(state): State<AppState>,
    CheckedForm(mut viewer, _form): CheckedForm<EmptyForm>,
) -> Result<Response, UiError> {
    viewer.end_session(&state).await?;
    Ok(viewer.redirect(&state.ui, "/", success("You are logged out.")))
}

/// The challenge an account's holder signs with the CLI to link a key: bound to this
/// node and this account, and stable so the page can be reloaded.
pub fn link_challenge(state: &AppState, account: &Account) -> String {
    let node = state.node.sequencer_key().to_hex();
    let nonce = state
        .ui
        .secret
        .mac_hex("link-key", format!("{node}:{}", account.id).as_bytes());
    format!(
        "{LINK_CHALLENGE_PREFIX}{}:{}:{}",
        &node[..16],
        account.id,
        &nonce[..32]
    )
}

async fn account_context(state: &AppState, account: &Account) -> Result<minijinja::Value, UiError> {
    let keys = state.node.store().account_keys(account.id).await?;
    let keys: Vec<minijinja::Value> = keys
        .iter()
        .map(|k| {
            context! {
                key => k.key.to_hex(),
                custodial => k.sealed_secret.is_some(),
                added_ms => k.added_ms,
            }
        })
        .collect();
    Ok(context! {
        title => "Your account",
        display_name => account.display_name,
        email => account.email,
        created_ms => account.created_ms,
        keys => keys,
        challenge => link_challenge(state, account),
    })
}

pub async fn account_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let account = viewer.require_account()?.clone();
    let page = account_context(&state, &account).await?;
    Ok(render(&state, viewer, "account.html", page))
}

async fn account_error(
    state: &AppState,
    viewer: Viewer,
    account: &Account,
    status: StatusCode,
    message: String,
) -> Result<Response, UiError> {
    let page = account_context(state, account).await?;
    Ok(render_status(
        state,
        viewer,
        status,
        "account.html",
        context! { error => message, ..page },
    ))
}

pub async fn change_password(
    State(state): State<AppState>,
    extensions: Extensions,
    CheckedForm(mut viewer, form): CheckedForm<PasswordForm>,
) -> Result<Response, UiError> {
    let account = viewer.require_account()?.clone();
    rate_limit(&state, &extensions)?;
    if !password_matches(form.current_password, Some(account.password_hash.clone())).await? {
        let message = "Your current password is not right.".to_owned();
        return account_error(&state, viewer, &account, StatusCode::UNAUTHORIZED, message).await;
    }
    if let Err(message) = check_new_password(&form.new_password, &form.new_password_confirm) {
        return account_error(
            &state,
            viewer,
            &account,
            StatusCode::UNPROCESSABLE_ENTITY,
            message,
        )
        .await;
    }
    let hash = hash_password(form.new_password).await?;
    state
        .node
        .store()
        .set_password_hash(account.id, &hash)
        .await?;
    // Every other browser logged in as this person is logged out; this one starts afresh.
    state.node.store().delete_sessions_of(account.id).await?;
    viewer.log_in(&state, account).await?;
    Ok(viewer.redirect(
        &state.ui,
        "/account",
        success("Your password is changed. Other browsers were logged out."),
    ))
}

pub async fn link_key(
    State(state): State<AppState>,
    CheckedForm(viewer, form): CheckedForm<LinkKeyForm>,
) -> Result<Response, UiError> {
    let account = viewer.require_account()?.clone();
    let challenge = link_challenge(&state, &account);
    let checked = (|| {
        let key = AuthorKey::from_hex(form.key.trim())
            .map_err(|_| "That is not a commons key (66 hex digits).".to_owned())?;
        key.check_registrable()
            .map_err(|_| "That key cannot sign events (it has small order).".to_owned())?;
        let signature = hex::decode(form.signature.trim())
            .ok()
            .and_then(|bytes| Signature::from_slice(&bytes))
            .ok_or_else(|| "That is not a signature (128 hex digits).".to_owned())?;
        key.verify(challenge.as_bytes(), &signature).map_err(|_| {
            "The signature does not match this key and this page's challenge.".to_owned()
        })?;
        Ok::<_, String>(key)
    })();
    let key = match checked {
        Ok(key) => key,
        Err(message) => {
            return account_error(
                &state,
                viewer,
                &account,
                StatusCode::UNPROCESSABLE_ENTITY,
                message,
            )
            .await;
        }
    };
    match state
        .node
        .store()
        .link_key(account.id, &key, state.node.now_ms())
        .await
    {
        Ok(()) => Ok(viewer.redirect(
            &state.ui,
            "/account",
            success(format!("Key {} is linked to your account.", key.short())),
        )),
        Err(e) if e.is_conflict(commons_store::KEY_TAKEN) => {
            let message = "That key is already linked to an account on this node.".to_owned();
            account_error(&state, viewer, &account, StatusCode::CONFLICT, message).await
        }
        Err(StoreError::Limit(_)) => {
            let message = format!(
                "An account holds at most {} keys.",
                commons_store::KEYS_PER_ACCOUNT_MAX
            );
            account_error(&state, viewer, &account, StatusCode::CONFLICT, message).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_account(
    State(state): State<AppState>,
    extensions: Extensions,
    CheckedForm(mut viewer, form): CheckedForm<DeleteForm>,
) -> Result<Response, UiError> {
    let account = viewer.require_account()?.clone();
    rate_limit(&state, &extensions)?;
    if !same(form.confirm.trim(), "delete") {
        let message = "Type the word delete to confirm.".to_owned();
        return account_error(
            &state,
            viewer,
            &account,
            StatusCode::UNPROCESSABLE_ENTITY,
            message,
        )
        .await;
    }
    if !password_matches(form.password, Some(account.password_hash.clone())).await? {
        let message = "Your password is not right.".to_owned();
        return account_error(&state, viewer, &account, StatusCode::UNAUTHORIZED, message).await;
    }
    viewer.end_session(&state).await?;
    state.node.store().delete_account(account.id).await?;
    Ok(viewer.redirect(
        &state.ui,
        "/",
        success(
            "Your account is deleted and its personal data erased. Events you signed stay in their ledgers under your key and published name.",
        ),
    ))
}
