//! The statutes page: the association's name, purpose, admission rule, chambers, each
//! decision's rule in words, the board, and every version with the poll that adopted it.
//! A commons maintainer of a commons without statutes adopts the first ones here, from a
//! form prefilled with sensible defaults; the same editor proposes an amendment as a
//! poll ([`super::polls`]).

use super::words::{self, fraction_field, parse_fraction};
use super::{Fields, Standing, electorate_choices};
use crate::AppState;
use crate::ui::production::{Scope, people, unseen_notices};
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render_status};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use commons_core::association::polls::method_elects;
use commons_core::association::{
    self as association, Admission, CHAMBERS_MAX, Chamber, ChamberBasis, ChamberRule, Combine,
    DecisionKind, DecisionRule, Electorate, Ratio, Statutes, statutes as statutes_kind,
};
use commons_core::state::State as CommonsState;
use commons_ledger::cbor::Value as Cbor;
use commons_ledger::{AuthorKey, EventId};
use commons_store::Store;
use minijinja::{Value, context};
use std::collections::BTreeMap;

/// Most versions of the statutes the page lists, newest first.
pub const HISTORY_SHOWN_MAX: usize = 50;
/// Empty chamber rows the editor offers beyond the chambers already there.
pub const SPARE_CHAMBER_ROWS: usize = 3;

/// Methods a yes-or-no decision may use.
pub const DECISION_METHODS: [&str; 2] = ["proposal", "consent"];
/// Methods a board election may use: those that fill several seats.
pub const ELECTION_METHODS: [&str; 8] = [
    "stv-scottish",
    "stv-meek",
    "approval",
    "plurality",
    "score",
    "dot",
    "borda",
    "borda-truncated",
];

/// The statutes a new association starts from: admission by a maintainer, a simple
/// majority for everyday decisions and member admissions, ⅔ with a ⅓ quorum to amend,
/// a board of three elected for a year by STV.
pub fn default_statutes(commons_name: &str) -> Statutes {
    let ratio = |num, den| Ratio::new(num, den).unwrap_or(Ratio::ZERO);
    let yes_no = |threshold: Ratio, strict: bool, quorum: Ratio| DecisionRule {
        method: "proposal".to_owned(),
        electorate: Electorate::Members,
        threshold,
        strict,
        quorum,
        chambers: None,
        progressive: None,
    };
    let mut rules = BTreeMap::new();
    rules.insert(
        DecisionKind::AmendStatutes,
        yes_no(ratio(2, 3), false, ratio(1, 3)),
    );
    rules.insert(
        DecisionKind::AdmitMember,
        yes_no(ratio(1, 2), true, Ratio::ZERO),
    );
    rules.insert(
        DecisionKind::SuspendMember,
        yes_no(ratio(1, 2), true, ratio(1, 4)),
    );
    rules.insert(
        DecisionKind::ExpelMember,
        yes_no(ratio(2, 3), false, ratio(1, 2)),
    );
    rules.insert(
        DecisionKind::ElectBoard,
        DecisionRule {
            method: "stv-scottish".to_owned(),
            ..yes_no(Ratio::ZERO, false, ratio(1, 4))
        },
    );
    rules.insert(
        DecisionKind::General,
        yes_no(ratio(1, 2), true, Ratio::ZERO),
    );
    let name: String = format!("Association of {commons_name}")
        .chars()
        .take(association::TITLE_LEN_MAX / 4)
        .collect();
    Statutes {
        name,
        purpose: None,
        admission: Admission::Maintainers,
        chambers: Vec::new(),
        contributor_window_months: 6,
        board_seats: 3,
        board_term_months: 12,
        treasurers: Vec::new(),
        treasurer_approvals: 1,
        rules,
    }
}

fn rule_field(kind: DecisionKind, part: &str) -> String {
    format!("rule-{}-{part}", kind.as_str())
}

/// The editor's fields filled in from `statutes`.
pub fn fields_of(statutes: &Statutes) -> Fields {
    let mut f = Fields::default();
    f.push("name", statutes.name.clone());
    f.push("purpose", statutes.purpose.clone().unwrap_or_default());
    f.push("admission", statutes.admission.as_str());
    f.push(
        "window_months",
        statutes.contributor_window_months.to_string(),
    );
    f.push("board_seats", statutes.board_seats.to_string());
    f.push("board_term_months", statutes.board_term_months.to_string());
    f.push(
        "treasurers",
        statutes
            .treasurers
            .iter()
            .map(|k| k.to_hex())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    f.push(
        "treasurer_approvals",
        statutes.treasurer_approvals.to_string(),
    );
    for (i, c) in statutes.chambers.iter().enumerate() {
        f.push(format!("chamber-{i}-slug"), c.slug.clone());
        f.push(format!("chamber-{i}-name"), c.name.clone());
        f.push(format!("chamber-{i}-basis"), c.basis.as_str());
    }
    for (kind, rule) in &statutes.rules {
        let kind = *kind;
        f.push(rule_field(kind, "method"), rule.method.clone());
        f.push(rule_field(kind, "electorate"), rule.electorate.to_text());
        f.push(
            rule_field(kind, "threshold"),
            fraction_field(&rule.threshold),
        );
        f.push(rule_field(kind, "quorum"), fraction_field(&rule.quorum));
        if rule.strict {
            f.push(rule_field(kind, "strict"), "yes");
        }
        let by_chamber = match &rule.chambers {
            None => "",
            Some(c) if is_all_chambers(c, statutes.chambers.len()) => "all",
            Some(_) => "",
        };
        f.push(rule_field(kind, "by_chamber"), by_chamber);
        if advanced(rule, statutes.chambers.len()).is_some() {
            f.push(rule_field(kind, "keep"), "yes");
        }
    }
    f
}

/// Whether a chamber rule is the one the editor offers: every chamber must pass, no
/// chamber quorum, no veto.
fn is_all_chambers(rule: &ChamberRule, n_chambers: usize) -> bool {
    matches!(rule.combine, Combine::Concurrent { required } if required as usize == n_chambers)
        && rule.chamber_quorum.num == 0
        && rule.veto.is_empty()
}

/// What of `rule` the editor cannot show (a rising threshold, weighted chambers, a
/// chamber quorum or a veto), in words; such parts are kept when the person ticks "keep".
fn advanced(rule: &DecisionRule, n_chambers: usize) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(p) = &rule.progressive {
        parts.push(format!(
            "the support needed rises to {} below {} turnout",
            words::fraction(&p.max_threshold),
            words::fraction(&p.full_turnout)
        ));
    }
    if let Some(c) = &rule.chambers
        && !is_all_chambers(c, n_chambers)
    {
        parts.push("its count by chamber".to_owned());
    }
    (!parts.is_empty()).then(|| parts.join(" and "))
}

fn whole(f: &Fields, name: &str, what: &str, max: u32) -> Result<u32, String> {
    match f.get(name).parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("{what} must be a whole number from 1 to {max}.")),
    }
}

/// Reads the editor's fields into statutes. `base`, the statutes in force, lends the
/// parts of a rule the editor cannot show when the person keeps them.
pub fn read_form(f: &Fields, base: Option<&Statutes>) -> Result<Statutes, String> {
    let name = f.get("name");
    if name.is_empty() {
        return Err("Give the association a name.".to_owned());
    }
    let admission = Admission::parse(f.get("admission"))
        .ok_or("Choose how members are admitted: open, by a maintainer or by a vote.")?;
    let mut chambers: Vec<Chamber> = Vec::new();
    for i in 0..CHAMBERS_MAX {
        let slug = f.get(&format!("chamber-{i}-slug"));
        let chamber_name = f.get(&format!("chamber-{i}-name"));
        if slug.is_empty() && chamber_name.is_empty() {
            continue;
        }
        if slug.is_empty() || chamber_name.is_empty() {
            return Err(format!(
                "Chamber {} needs both a short name and a name.",
                i + 1
            ));
        }
        let basis = match f.get(&format!("chamber-{i}-basis")) {
            "contributors" => ChamberBasis::Contributors,
            _ => ChamberBasis::Declared,
        };
        chambers.push(Chamber {
            slug: slug.to_owned(),
            name: chamber_name.to_owned(),
            basis,
        });
    }
    // The kinds every statute rules on; the others (value equation, expense) follow the
    // general rule unless the statutes already give them one, which an edit keeps.
    let mut rules: BTreeMap<DecisionKind, DecisionRule> = base
        .map(|b| {
            b.rules
                .iter()
                .filter(|(k, _)| !DecisionKind::REQUIRED.contains(k))
                .map(|(k, r)| (*k, r.clone()))
                .collect()
        })
        .unwrap_or_default();
    for kind in DecisionKind::REQUIRED {
        let label = words::decision_label(kind).to_lowercase();
        let method = f.get(&rule_field(kind, "method")).to_owned();
        let electorate = Electorate::parse(f.get(&rule_field(kind, "electorate")))
            .ok_or_else(|| format!("Choose who votes on {label}."))?;
        let threshold = parse_fraction(f.get(&rule_field(kind, "threshold"))).ok_or_else(|| {
            format!("The support needed for {label} must be a fraction like 2/3 or 50%.")
        })?;
        let quorum = parse_fraction(f.get(&rule_field(kind, "quorum")))
            .ok_or_else(|| format!("The quorum for {label} must be a fraction like 1/3, or 0."))?;
        let mut rule = DecisionRule {
            method,
            electorate,
            threshold: if method_elects(f.get(&rule_field(kind, "method"))) {
                Ratio::ZERO
            } else {
                threshold
            },
            strict: f.ticked(&rule_field(kind, "strict")),
            quorum,
            chambers: None,
            progressive: None,
        };
        if f.get(&rule_field(kind, "by_chamber")) == "all" {
            if chambers.is_empty() {
                return Err(format!(
                    "Counting {label} by chamber needs at least one chamber."
                ));
            }
            rule.chambers = Some(ChamberRule {
                combine: Combine::Concurrent {
                    required: chambers.len() as u32,
                },
                chamber_quorum: Ratio::ZERO,
                veto: Vec::new(),
            });
        }
        if f.ticked(&rule_field(kind, "keep"))
            && let Some(old) = base.and_then(|b| b.rules.get(&kind))
        {
            if rule.chambers.is_none() {
                rule.chambers = old.chambers.clone();
            }
            rule.progressive = old.progressive;
        }
        rules.insert(kind, rule);
    }
    let purpose = f.get("purpose");
    let mut treasurers = Vec::new();
    for line in f
        .get("treasurers")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let key = AuthorKey::from_hex(line)
            .map_err(|_| format!("Treasurer `{line}` is not a key (66 hex digits)."))?;
        if treasurers.contains(&key) {
            return Err(format!("Treasurer `{line}` is listed twice."));
        }
        treasurers.push(key);
    }
    if treasurers.len() > association::TREASURERS_MAX {
        return Err(format!(
            "The statutes name at most {} treasurers.",
            association::TREASURERS_MAX
        ));
    }
    let treasurer_approvals = if f.get("treasurer_approvals").is_empty() {
        1
    } else {
        whole(
            f,
            "treasurer_approvals",
            "The treasurer approvals",
            (treasurers.len() as u32).max(1),
        )?
    };
    Ok(Statutes {
        name: name.to_owned(),
        purpose: (!purpose.is_empty()).then(|| purpose.to_owned()),
        admission,
        chambers,
        contributor_window_months: whole(
            f,
            "window_months",
            "The contributor window",
            association::CONTRIBUTOR_WINDOW_MONTHS_MAX,
        )?,
        board_seats: whole(
            f,
            "board_seats",
            "The board's seats",
            association::SEATS_MAX,
        )?,
        board_term_months: whole(
            f,
            "board_term_months",
            "The board's term",
            association::BOARD_TERM_MONTHS_MAX,
        )?,
        treasurers,
        treasurer_approvals,
        rules,
    })
}

/// What the statutes editor needs besides its fields: the choices of its select boxes,
/// its chamber rows and, per rule, what an amendment would keep.
pub(crate) fn editor_context(
    state: &CommonsState,
    fields: &Fields,
    base: Option<&Statutes>,
) -> Value {
    let n_chambers = base.map_or(0, |s| s.chambers.len());
    let rows = (0..CHAMBERS_MAX)
        .filter(|i| {
            !fields.get(&format!("chamber-{i}-slug")).is_empty()
                || !fields.get(&format!("chamber-{i}-name")).is_empty()
        })
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
        .max(n_chambers);
    let kinds: Vec<Value> = DecisionKind::REQUIRED
        .iter()
        .map(|kind| {
            let methods: Vec<(&str, &str)> = if kind.is_election() {
                ELECTION_METHODS.to_vec()
            } else {
                DECISION_METHODS.to_vec()
            }
            .into_iter()
            .map(|m| (m, words::method_label(m)))
            .collect();
            context! {
                kind => kind.as_str(),
                label => words::decision_label(*kind),
                election => kind.is_election(),
                methods => methods,
                keep => base
                    .and_then(|b| b.rules.get(kind))
                    .and_then(|r| advanced(r, n_chambers)),
            }
        })
        .collect();
    context! {
        f => fields.context(),
        kinds => kinds,
        electorates => electorate_choices(state),
        chamber_rows => (rows + SPARE_CHAMBER_ROWS).min(CHAMBERS_MAX),
        has_chambers => n_chambers > 0,
        admissions => [
            ("maintainers", "A maintainer of the commons admits or refuses each applicant"),
            ("open", "Open: applying admits at once"),
            ("vote", "Members vote on each applicant"),
        ],
    }
}

/// What the page shows of one version of the statutes.
struct Version {
    number: usize,
    index: u64,
    poll: Option<(EventId, String)>,
}

/// `GET /c/{id}/association`
pub async fn statutes(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    statutes_page(&state, viewer, &scope, None).await
}

/// The statutes page; `retry` is an adoption form sent back with what was wrong.
async fn statutes_page(
    state: &AppState,
    viewer: Viewer,
    scope: &Scope,
    retry: Option<(Fields, String)>,
) -> Result<Response, UiError> {
    let (key, seen) = (scope.key, scope.seen);
    let commons_name = scope.view.governance.name.clone();
    let retry_fields = retry.as_ref().map(|(f, _)| f.clone());
    let read = scope
        .inspect(state, move |s| {
            let standing = Standing::read(s, key);
            let association = &s.association;
            let statutes = association.statutes.clone();
            let can_adopt = statutes.is_none()
                && key.is_some_and(|k| {
                    commons_core::authz::authorize(s, &k, statutes_kind::ADOPT).is_ok()
                });
            let editor = can_adopt.then(|| {
                let fields =
                    retry_fields.unwrap_or_else(|| fields_of(&default_statutes(&commons_name)));
                editor_context(s, &fields, None)
            });
            let versions: Vec<Version> = association
                .statutes_history
                .iter()
                .enumerate()
                .rev()
                .take(HISTORY_SHOWN_MAX)
                .map(|(i, (index, poll))| Version {
                    number: i + 1,
                    index: *index,
                    poll: poll.map(|p| {
                        let title = association
                            .polls
                            .get(&p)
                            .map_or_else(String::new, |poll| poll.title.clone());
                        (p, title)
                    }),
                })
                .collect();
            let chamber_counts = super::ChamberBook::new(s).sizes();
            (
                statutes,
                standing,
                can_adopt,
                editor,
                versions,
                chamber_counts,
                association.n_active_members(),
                association.board.clone(),
                association.board_until_ms,
                unseen_notices(s, key, seen),
            )
        })
        .await?;
    let (
        statutes,
        standing,
        can_adopt,
        editor,
        versions,
        chamber_counts,
        n_members,
        board,
        board_until_ms,
        n_unseen,
    ) = read;
    // The first version was adopted by a maintainer's event: name them.
    let first_index = versions.iter().find(|v| v.poll.is_none()).map(|v| v.index);
    let adopted_by: Option<(AuthorKey, EventId, u64)> = match first_index {
        Some(index) => state
            .node
            .store()
            .events_range(&scope.id(), index, index + 1)
            .await?
            .first()
            .map(|e| (e.author, e.id, e.time_ms)),
        None => None,
    };
    let names = people(
        state,
        &scope.id(),
        board.iter().copied().chain(adopted_by.map(|a| a.0)),
    )
    .await?;
    let history: Vec<Value> = versions
        .iter()
        .map(|v| {
            context! {
                number => v.number,
                index => v.index,
                poll => v.poll.as_ref().map(|(id, title)| context! { id => id.to_hex(), title => title }),
                adopted_by => (v.poll.is_none()).then(|| adopted_by.map(|(k, id, time)| context! {
                    person => names.person(&k), event => id.to_hex(), time_ms => time,
                })).flatten(),
            }
        })
        .collect();
    let statutes_ctx = statutes.as_ref().map(|st| {
        let rules: Vec<Value> = st
            .rules
            .iter()
            .map(|(kind, rule)| {
                let seats = if kind.is_election() {
                    st.board_seats
                } else {
                    1
                };
                context! {
                    kind => kind.as_str(),
                    label => words::decision_label(*kind),
                    terms => words::rule_terms(rule, seats, Some(st)),
                    summary => words::rule_summary(*kind, rule, seats, Some(st)),
                    details => words::rule_details(rule, seats, Some(st)),
                }
            })
            .collect();
        context! {
            name => st.name,
            purpose => st.purpose,
            admission => st.admission.as_str(),
            admission_words => words::admission_words(st.admission),
            chambers => st.chambers.iter().zip(&chamber_counts).map(|(c, n)| context! {
                slug => c.slug, name => c.name, basis => c.basis.as_str(),
                basis_words => words::basis_words(c.basis), n_members => n,
            }).collect::<Vec<_>>(),
            window => words::months(st.contributor_window_months),
            board_seats => st.board_seats,
            board_term => words::months(st.board_term_months),
            rules => rules,
        }
    });
    let status = if retry.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = context! {
        title => statutes.as_ref().map_or("Association", |s| s.name.as_str()),
        statutes => statutes_ctx,
        standing => standing.context(),
        can_adopt => can_adopt,
        editor => editor,
        error => retry.map(|(_, problem)| problem),
        history => history,
        n_members => n_members,
        board => board.iter().map(|k| names.person(k)).collect::<Vec<_>>(),
        board_until_ms => (!board.is_empty()).then_some(board_until_ms),
        tab => "statutes",
        ..scope.frame("association", n_unseen)
    };
    Ok(render_status(state, viewer, status, "statutes.html", page))
}

/// `POST /c/{id}/association/adopt`: a commons maintainer adopts the first statutes.
pub async fn adopt(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let statutes = match read_form(&fields, None) {
        Ok(s) => s,
        Err(problem) => {
            return statutes_page(&state, viewer, &scope, Some((fields, problem))).await;
        }
    };
    let body = Cbor::text_map([("statutes", statutes_kind::value(&statutes))]);
    match crate::ui::production::author(&state, &viewer, &scope.id(), statutes_kind::ADOPT, &body)
        .await?
    {
        Ok(_) => Ok(viewer.redirect(
            &state.ui,
            &scope.path("/association"),
            Some(crate::ui::production::success(format!(
                "The statutes of {} are adopted, and you are the association's first member.",
                statutes.name
            ))),
        )),
        Err(refusal) => {
            statutes_page(&state, viewer, &scope, Some((fields, refusal.message))).await
        }
    }
}
