//! The statutes as data: reading and checking them from an event body, and writing them
//! back. A commons maintainer adopts the first statutes with `assoc.adopt`; from then on
//! they change only through a poll under their own `amend_statutes` rule.

use super::{
    Admission, BOARD_TERM_MONTHS_MAX, CHAMBERS_MAX, CONTRIBUTOR_WINDOW_MONTHS_MAX, Chamber,
    ChamberBasis, ChamberRule, Combine, DecisionKind, DecisionRule, Electorate, Progressive, Ratio,
    SEATS_MAX, SLUG_LEN_MAX, Statutes, TEXT_LEN_MAX, TITLE_LEN_MAX, TREASURERS_MAX, invalid,
};
use crate::body::BodyReader;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::cbor::Value;
use std::collections::BTreeMap;

pub const ADOPT: &str = "assoc.adopt";

/// Adopts the first statutes. Later statutes come only from an amendment poll.
pub(crate) fn adopt(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let mut reader = BodyReader::new(ADOPT, input.body)?;
    let value = reader.required("statutes")?;
    reader.finish()?;
    let statutes = read(ADOPT, value)?;
    check_against_state(state, &statutes)?;
    if state.association.statutes.is_some() {
        return reject(
            RejectionCode::AmendmentRuleRequired,
            "the association has statutes; they change only by a poll under their \
             `amend_statutes` rule",
        );
    }
    let association = &mut state.association;
    association.statutes = Some(statutes);
    association.statutes_history.push((input.index, None));
    // The founders who adopt the statutes are the first members.
    let author = super::polls::identity(state, &input.event.header.author);
    super::members::admit_key(state, author, Default::default(), input.index);
    let mut applied = Applied::default();
    applied.touch(RowKey::Association);
    applied.touch(RowKey::Member(author));
    Ok(applied)
}

/// What the statutes name must exist: areas named by an electorate.
pub(crate) fn check_against_state(state: &State, statutes: &Statutes) -> Result<(), Rejection> {
    for rule in statutes.rules.values() {
        if let Electorate::AreaMaintainers(slug) = &rule.electorate
            && state.production.area_by_slug(slug).is_none()
        {
            return reject(
                RejectionCode::AreaUnknown,
                format!("the statutes name an area `{slug}` that does not exist"),
            );
        }
    }
    Ok(())
}

fn ratio(kind: &str, name: &str, value: &Value) -> Result<Ratio, Rejection> {
    let parts = value.as_array().unwrap_or_default();
    let (Some(num), Some(den)) = (
        parts.first().and_then(Value::as_u64),
        parts.get(1).and_then(Value::as_u64),
    ) else {
        return invalid(
            kind,
            format!("`{name}` must be a fraction [numerator, denominator]"),
        );
    };
    match Ratio::new(num, den) {
        Some(r) if parts.len() == 2 => Ok(r),
        _ => invalid(
            kind,
            format!(
                "`{name}` must be a fraction from 0 to 1 with a denominator of 1 to {}",
                super::ratio::RATIO_DEN_MAX
            ),
        ),
    }
}

pub fn ratio_value(r: &Ratio) -> Value {
    Value::Array(vec![Value::Unsigned(r.num), Value::Unsigned(r.den)])
}

fn slug(kind: &str, name: &str, text: &str) -> Result<(), Rejection> {
    let ok = !text.is_empty()
        && text.len() <= SLUG_LEN_MAX
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        invalid(
            kind,
            format!("`{name}` must be 1 to {SLUG_LEN_MAX} lower-case letters, digits or dashes"),
        )
    }
}

/// Reads one decision rule.
pub fn read_rule(
    kind: &str,
    value: &Value,
    chambers: &[Chamber],
) -> Result<DecisionRule, Rejection> {
    let mut reader = BodyReader::new(kind, value)?;
    let method = reader.text("method", 1, 32)?;
    if !crate::association::polls::method_known(&method) {
        return invalid(kind, format!("unknown counting method `{method}`"));
    }
    let electorate_text = reader.text("electorate", 1, 64)?;
    let Some(electorate) = Electorate::parse(&electorate_text) else {
        return invalid(
            kind,
            "`electorate` is members, contributors, maintainers, registered, chamber:<slug> \
             or area:<slug>",
        );
    };
    if let Electorate::Chamber(slug) = &electorate
        && !chambers.iter().any(|c| &c.slug == slug)
    {
        return invalid(
            kind,
            format!("`electorate` names an unknown chamber `{slug}`"),
        );
    }
    let threshold = ratio(kind, "threshold", reader.required("threshold")?)?;
    let strict = match reader.optional("strict") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return invalid(kind, "`strict` must be true or false"),
    };
    let quorum = match reader.optional("quorum") {
        Some(v) => ratio(kind, "quorum", v)?,
        None => Ratio::ZERO,
    };
    let progressive = match reader.optional("progressive") {
        None => None,
        Some(v) => {
            let mut p = BodyReader::new(kind, v)?;
            let full_turnout = ratio(kind, "full_turnout", p.required("full_turnout")?)?;
            let max_threshold = ratio(kind, "max_threshold", p.required("max_threshold")?)?;
            p.finish()?;
            if max_threshold < threshold || full_turnout <= quorum {
                return invalid(
                    kind,
                    "a progressive threshold rises from `threshold` to `max_threshold` as \
                     turnout falls from `full_turnout` to the quorum",
                );
            }
            Some(Progressive {
                full_turnout,
                max_threshold,
            })
        }
    };
    let chamber_rule = match reader.optional("chambers") {
        None => None,
        Some(v) => Some(read_chamber_rule(kind, v, chambers)?),
    };
    reader.finish()?;
    Ok(DecisionRule {
        method,
        electorate,
        threshold,
        strict,
        quorum,
        chambers: chamber_rule,
        progressive,
    })
}

fn read_chamber_rule(
    kind: &str,
    value: &Value,
    chambers: &[Chamber],
) -> Result<ChamberRule, Rejection> {
    if chambers.is_empty() {
        return invalid(
            kind,
            "a rule tallied by chamber needs statutes with chambers",
        );
    }
    let mut reader = BodyReader::new(kind, value)?;
    let combine = match reader.text("combine", 1, 16)?.as_str() {
        "concurrent" => {
            let required = reader
                .optional_uint("required")?
                .unwrap_or(chambers.len() as u64);
            if required == 0 || required > chambers.len() as u64 {
                return invalid(
                    kind,
                    format!("`required` must be 1 to {} chambers", chambers.len()),
                );
            }
            Combine::Concurrent {
                required: required as u32,
            }
        }
        "weighted" => {
            let Some(entries) = reader.optional("weights").and_then(|v| match v {
                Value::Map(entries) => Some(entries),
                _ => None,
            }) else {
                return invalid(kind, "`weights` must map each chamber to a fraction");
            };
            let mut weights = BTreeMap::new();
            for (k, v) in entries {
                let Some(slug) = k.as_text() else {
                    return invalid(kind, "`weights` keys are chamber slugs");
                };
                if !chambers.iter().any(|c| c.slug == slug) {
                    return invalid(kind, format!("`weights` names an unknown chamber `{slug}`"));
                }
                weights.insert(slug.to_owned(), ratio(kind, "weights", v)?);
            }
            let sum = weights
                .values()
                .fold(num_rational::BigRational::from_integer(0.into()), |s, w| {
                    s + w.big()
                });
            if sum != num_rational::BigRational::from_integer(1.into()) {
                return invalid(kind, "chamber `weights` must sum to exactly 1");
            }
            Combine::Weighted { weights }
        }
        _ => return invalid(kind, "`combine` is concurrent or weighted"),
    };
    let chamber_quorum = match reader.optional("chamber_quorum") {
        Some(v) => ratio(kind, "chamber_quorum", v)?,
        None => Ratio::ZERO,
    };
    let mut veto = Vec::new();
    if let Some(v) = reader.optional("veto") {
        let Some(items) = v.as_array() else {
            return invalid(kind, "`veto` is a list of chamber slugs");
        };
        for item in items {
            match item.as_text() {
                Some(s) if chambers.iter().any(|c| c.slug == s) && !veto.iter().any(|v| v == s) => {
                    veto.push(s.to_owned())
                }
                _ => return invalid(kind, "`veto` lists known chambers, each once"),
            }
        }
    }
    reader.finish()?;
    Ok(ChamberRule {
        combine,
        chamber_quorum,
        veto,
    })
}

/// Reads and checks statutes.
pub fn read(kind: &str, value: &Value) -> Result<Statutes, Rejection> {
    let mut reader = BodyReader::new(kind, value)?;
    let name = reader.text("name", 1, TITLE_LEN_MAX)?;
    let purpose = reader.optional_text("purpose", 1, TEXT_LEN_MAX)?;
    let admission_text = reader.text("admission", 1, 16)?;
    let Some(admission) = Admission::parse(&admission_text) else {
        return invalid(kind, "`admission` is open, maintainers or vote");
    };
    let mut chambers = Vec::new();
    if let Some(v) = reader.optional("chambers") {
        let Some(items) = v.as_array() else {
            return invalid(kind, "`chambers` is a list");
        };
        if items.len() > CHAMBERS_MAX {
            return invalid(kind, format!("at most {CHAMBERS_MAX} chambers"));
        }
        for item in items {
            let mut c = BodyReader::new(kind, item)?;
            let chamber_slug = c.text("slug", 1, SLUG_LEN_MAX)?;
            slug(kind, "slug", &chamber_slug)?;
            let chamber_name = c.text("name", 1, TITLE_LEN_MAX)?;
            let basis = match c.text("basis", 1, 16)?.as_str() {
                "declared" => ChamberBasis::Declared,
                "contributors" => ChamberBasis::Contributors,
                _ => return invalid(kind, "a chamber's `basis` is declared or contributors"),
            };
            c.finish()?;
            if chambers.iter().any(|x: &Chamber| x.slug == chamber_slug) {
                return invalid(kind, format!("chamber `{chamber_slug}` is listed twice"));
            }
            chambers.push(Chamber {
                slug: chamber_slug,
                name: chamber_name,
                basis,
            });
        }
    }
    let window = reader.uint("contributor_window_months")?;
    if window == 0 || window > u64::from(CONTRIBUTOR_WINDOW_MONTHS_MAX) {
        return invalid(
            kind,
            format!("`contributor_window_months` must be 1 to {CONTRIBUTOR_WINDOW_MONTHS_MAX}"),
        );
    }
    let seats = reader.uint("board_seats")?;
    let term = reader.uint("board_term_months")?;
    if seats == 0 || seats > u64::from(SEATS_MAX) {
        return invalid(kind, format!("`board_seats` must be 1 to {SEATS_MAX}"));
    }
    if term == 0 || term > u64::from(BOARD_TERM_MONTHS_MAX) {
        return invalid(
            kind,
            format!("`board_term_months` must be 1 to {BOARD_TERM_MONTHS_MAX}"),
        );
    }
    let treasurers = reader
        .optional_keys("treasurers", TREASURERS_MAX)?
        .unwrap_or_default();
    let treasurer_approvals = reader.optional_uint("treasurer_approvals")?.unwrap_or(1);
    if treasurer_approvals == 0 || treasurer_approvals > (treasurers.len() as u64).max(1) {
        return invalid(
            kind,
            "`treasurer_approvals` must be at least 1 and at most the number of treasurers",
        );
    }
    let Some(Value::Map(entries)) = reader.optional("rules") else {
        return invalid(kind, "`rules` maps each kind of decision to its rule");
    };
    let mut rules = BTreeMap::new();
    for (k, v) in entries {
        let Some(decision) = k.as_text().and_then(DecisionKind::parse) else {
            return invalid(
                kind,
                format!(
                    "`rules` keys are {}",
                    DecisionKind::ALL.map(|k| k.as_str()).join(", ")
                ),
            );
        };
        let rule = read_rule(kind, v, &chambers)?;
        let election = crate::association::polls::method_elects(&rule.method);
        if decision.is_election() != election {
            return invalid(
                kind,
                format!(
                    "`{}` needs {} method",
                    decision.as_str(),
                    if decision.is_election() {
                        "an election (candidate)"
                    } else {
                        "a yes-or-no (proposal or consent)"
                    }
                ),
            );
        }
        rules.insert(decision, rule);
    }
    reader.finish()?;
    if let Some(missing) = DecisionKind::REQUIRED
        .iter()
        .find(|k| !rules.contains_key(k))
    {
        return invalid(
            kind,
            format!("`rules` has no rule for `{}`", missing.as_str()),
        );
    }
    Ok(Statutes {
        name,
        purpose,
        admission,
        chambers,
        contributor_window_months: window as u32,
        board_seats: seats as u32,
        board_term_months: term as u32,
        treasurers,
        treasurer_approvals: treasurer_approvals as u32,
        rules,
    })
}

pub fn rule_value(rule: &DecisionRule) -> Value {
    let mut fields = vec![
        ("method", Value::text(rule.method.clone())),
        ("electorate", Value::text(rule.electorate.to_text())),
        ("threshold", ratio_value(&rule.threshold)),
        ("quorum", ratio_value(&rule.quorum)),
    ];
    if rule.strict {
        fields.push(("strict", Value::Bool(true)));
    }
    if let Some(p) = &rule.progressive {
        fields.push((
            "progressive",
            Value::text_map([
                ("full_turnout", ratio_value(&p.full_turnout)),
                ("max_threshold", ratio_value(&p.max_threshold)),
            ]),
        ));
    }
    if let Some(c) = &rule.chambers {
        let mut chamber_fields = match &c.combine {
            Combine::Concurrent { required } => vec![
                ("combine", Value::text("concurrent")),
                ("required", Value::Unsigned(u64::from(*required))),
            ],
            Combine::Weighted { weights } => vec![
                ("combine", Value::text("weighted")),
                (
                    "weights",
                    Value::map(
                        weights
                            .iter()
                            .map(|(slug, w)| (Value::text(slug.clone()), ratio_value(w))),
                    ),
                ),
            ],
        };
        chamber_fields.push(("chamber_quorum", ratio_value(&c.chamber_quorum)));
        if !c.veto.is_empty() {
            chamber_fields.push((
                "veto",
                Value::Array(c.veto.iter().map(|s| Value::text(s.clone())).collect()),
            ));
        }
        fields.push(("chambers", Value::text_map(chamber_fields)));
    }
    Value::text_map(fields)
}

/// The statutes as a body value (the inverse of [`read`]).
pub fn value(statutes: &Statutes) -> Value {
    let mut fields = vec![
        ("name", Value::text(statutes.name.clone())),
        ("admission", Value::text(statutes.admission.as_str())),
        (
            "chambers",
            Value::Array(
                statutes
                    .chambers
                    .iter()
                    .map(|c| {
                        Value::text_map([
                            ("slug", Value::text(c.slug.clone())),
                            ("name", Value::text(c.name.clone())),
                            ("basis", Value::text(c.basis.as_str())),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "contributor_window_months",
            Value::Unsigned(u64::from(statutes.contributor_window_months)),
        ),
        (
            "board_seats",
            Value::Unsigned(u64::from(statutes.board_seats)),
        ),
        (
            "board_term_months",
            Value::Unsigned(u64::from(statutes.board_term_months)),
        ),
        (
            "rules",
            Value::map(
                statutes
                    .rules
                    .iter()
                    .map(|(k, r)| (Value::text(k.as_str()), rule_value(r))),
            ),
        ),
    ];
    if let Some(p) = &statutes.purpose {
        fields.push(("purpose", Value::text(p.clone())));
    }
    // Absent when there are none, so statutes written before treasurers existed read and
    // write back byte for byte.
    if !statutes.treasurers.is_empty() {
        fields.push((
            "treasurers",
            Value::Array(
                statutes
                    .treasurers
                    .iter()
                    .map(crate::projection::key_value)
                    .collect(),
            ),
        ));
    }
    if statutes.treasurer_approvals != 1 {
        fields.push((
            "treasurer_approvals",
            Value::Unsigned(u64::from(statutes.treasurer_approvals)),
        ));
    }
    Value::text_map(fields)
}
