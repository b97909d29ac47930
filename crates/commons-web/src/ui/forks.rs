//! Forks in the web UI (spec §9): the fork form on a commons' overview, the lineage of a
//! fork checked on the server, and the list of a parent's known forks.

use super::accounts::signing_key;
use super::explorer::commons_of;
use super::session::{CheckedForm, Flash, FlashKind};
use super::{UiError, short};
use crate::AppState;
use crate::api::{forks_of, lineage_of};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use commons_core::agents::profile_body;
use commons_core::network::{COMMONS_NAME_LEN_MAX, GENESIS};
use commons_core::state::{AgentKind, ForkParent};
use commons_ledger::note::{Checkpoint, origin_for};
use commons_ledger::{AuthorKey, CommonsId, Hash, SecretKey};
use commons_node::{CommonsView, SubmitError};
use minijinja::{Value, context};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ForkForm {
    name: String,
    licence: String,
}

/// Parses `note` as a checkpoint of `commons` signed by `sequencer`.
fn verified(note: &str, commons: &CommonsId, sequencer: &AuthorKey) -> Result<Checkpoint, String> {
    Checkpoint::parse_and_verify(note, &origin_for(commons), sequencer)
        .map(|(checkpoint, _)| checkpoint)
        .map_err(|e| e.to_string())
}

/// `POST /c/{id}/fork`: a new commons at the parent's latest checkpoint, the account's key
/// its only maintainer and this node its sequencer. A genesis is seq 0 of its signer's
/// chain, so when the account's key already wrote in the parent a one-time key signs it
/// (as `commons fork` does) and is thrown away.
pub async fn fork_commons(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, form): CheckedForm<ForkForm>,
) -> Result<Response, UiError> {
    let account = viewer.require_account()?.clone();
    let parent = commons_of(&state, &id)?;
    let key = signing_key(&state, &account).await?;
    let author = key.author_key();
    if !state.node.may_create_commons(&author) {
        return Err(UiError::Forbidden(
            "This node creates commons only for the keys its operator allowed.".into(),
        ));
    }
    let back = format!("/c/{}", parent.id.to_hex());
    let refuse = |viewer: super::session::Viewer, message: String| {
        Ok(viewer.redirect(
            &state.ui,
            &back,
            Some(Flash {
                kind: FlashKind::Error,
                message,
            }),
        ))
    };
    let name = form.name.trim().to_owned();
    let licence = match form.licence.trim() {
        "" => parent.governance.licence.clone(),
        licence => licence.to_owned(),
    };
    if name.is_empty() || name.len() > COMMONS_NAME_LEN_MAX {
        return refuse(
            viewer,
            format!("The fork needs a name of 1 to {COMMONS_NAME_LEN_MAX} bytes."),
        );
    }
    let Some(row) = parent.checkpoint.as_ref() else {
        return refuse(
            viewer,
            "This commons has no signed checkpoint to fork at yet.".into(),
        );
    };
    let checkpoint = verified(&row.note, &parent.id, &parent.governance.sequencer)
        .map_err(|e| UiError::Fault(format!("the latest checkpoint does not verify: {e}")))?;
    let body = commons_core::fork::fork_genesis_body(
        &name,
        &[author],
        1,
        &state.node.sequencer_key(),
        &licence,
        &ForkParent {
            commons: parent.id,
            size: checkpoint.size,
            root: checkpoint.root.0,
            checkpoint: row.note.clone(),
        },
    );
    let wrote_in_parent = state
        .node
        .inspect(&parent.id, move |s| s.chains.contains_key(&author))
        .await?
        .unwrap_or(false);
    let one_time =
        wrote_in_parent.then(|| SecretKey::generate(&mut rand_core::UnwrapErr(getrandom::SysRng)));
    let signer = one_time.as_ref().unwrap_or(&key);
    let genesis = match state
        .node
        .author(signer, None, GENESIS, &body, vec![])
        .await
    {
        Ok((genesis, _)) => genesis,
        Err(SubmitError::Rejected(refusal)) => {
            let hint = if refusal.code() == "chain_broken" {
                " This key wrote in the parent; fork with `commons fork` from the CLI, which \
                 signs the genesis with a one-time key."
            } else {
                ""
            };
            return refuse(
                viewer,
                format!(
                    "The node refused the fork ({}): {refusal}.{hint}",
                    refusal.code()
                ),
            );
        }
        Err(SubmitError::Fault(fault)) => return Err(fault.into()),
    };
    let fork = CommonsId(genesis.id.0);
    // A profile in the parent carries over; otherwise publish the account's name, as
    // creating a commons does (best effort: the fork exists either way).
    let named = state
        .node
        .inspect(&fork, move |s| s.display_name(&author).is_some())
        .await?
        .unwrap_or(true);
    if !named
        && let Err(e) = state
            .node
            .author(
                &key,
                Some(fork),
                commons_core::agents::PROFILE,
                &profile_body(&account.display_name, AgentKind::Person),
                vec![],
            )
            .await
    {
        tracing::warn!(%e, fork = %fork, "publishing the founder's profile in a fork");
    }
    Ok(viewer.redirect(
        &state.ui,
        &format!("/c/{}", fork.to_hex()),
        Some(Flash {
            kind: FlashKind::Success,
            message: format!(
                "{name} is forked from {} at entry {}. You are its maintainer.",
                parent.governance.name, checkpoint.size
            ),
        }),
    ))
}

/// The URL a person's CLI reaches this node at, from the request's `Host`.
fn node_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some(proto) => proto.to_owned(),
        None if host.starts_with("localhost") || host.starts_with("127.") => "http".into(),
        None => "https".into(),
    };
    format!("{scheme}://{host}")
}

/// The lineage of the fork `view`, checked here: both checkpoint signatures, the parent
/// checkpoint against what the genesis names, and the consistency proof between them.
/// `None` for a commons that is not a fork.
pub(crate) async fn lineage_section(
    state: &AppState,
    view: &CommonsView,
    headers: &HeaderMap,
) -> Result<Option<Value>, UiError> {
    let Some(named) = &view.governance.parent else {
        return Ok(None);
    };
    let parent = state.node.commons(&named.commons);
    let lineage = lineage_of(state, view).await;
    let mut fork_size = None;
    let mut fork_note = None;
    let mut proof = Vec::new();
    let check = (|| -> Result<(), String> {
        let lineage = lineage.as_ref().map_err(|e| e.message())?;
        fork_note = Some(lineage.fork_checkpoint.clone());
        proof = lineage.consistency_proof.clone();
        let parent = parent
            .as_ref()
            .ok_or("the parent is not hosted on this node, so its sequencer key is unknown")?;
        let old = verified(&named.checkpoint, &parent.id, &parent.governance.sequencer)
            .map_err(|e| format!("the parent's checkpoint is not signed by its sequencer: {e}"))?;
        if old.size != named.size || old.root.0 != named.root {
            return Err(
                "the parent's checkpoint names another size or root than the fork's genesis".into(),
            );
        }
        let new = verified(
            &lineage.fork_checkpoint,
            &view.id,
            &view.governance.sequencer,
        )
        .map_err(|e| format!("the fork's checkpoint is not signed by its sequencer: {e}"))?;
        fork_size = Some(new.size);
        let hashes = lineage
            .consistency_proof
            .iter()
            .map(|h| Hash::from_hex(h).ok_or("a proof hash is not 32 bytes of hex"))
            .collect::<Result<Vec<_>, _>>()?;
        commons_ledger::merkle::verify_consistency(
            old.size, new.size, &old.root, &new.root, &hashes,
        )
        .map_err(|e| format!("the consistency proof does not verify: {e}"))
    })();
    Ok(Some(context! {
        parent_id => named.commons.to_hex(),
        parent_name => parent.as_ref().map(|p| p.governance.name.clone()),
        parent_short => short(&named.commons.to_hex()),
        size => named.size,
        root => Hash(named.root).to_hex(),
        parent_checkpoint => named.checkpoint,
        fork_checkpoint => fork_note,
        fork_size => fork_size,
        proof => proof,
        verified => check.is_ok(),
        problem => check.err(),
        command => format!("commons lineage {} --node {}", view.id.to_hex(), node_url(headers)),
    }))
}

/// The known forks of `view` on this node, for its overview.
pub(crate) fn forks_section(state: &AppState, view: &CommonsView) -> Vec<Value> {
    forks_of(state, &view.id)
        .into_iter()
        .map(|f| context! { id => f.id, name => f.name, fork_size => f.fork_size })
        .collect()
}

/// Whether the viewer may fork (the node's policy on creating commons).
pub(crate) fn may_fork(state: &AppState, viewer_key: Option<AuthorKey>) -> bool {
    viewer_key.is_some_and(|k| state.node.may_create_commons(&k))
}
