//! The association's rules in plain words: fractions as people write them (⅔, ½),
//! counting methods, electorates and each decision rule as one line ("Amending the
//! statutes: proposal, ⅔ of members, quorum ⅓") and as a few sentences.
//!
//! Everything here reads the statutes as core keeps them and writes text only; the pages
//! put it through auto-escaping templates like any other text.

use commons_core::association::{
    Admission, ChamberBasis, ChamberRule, Combine, DecisionKind, DecisionRule, Electorate, Ratio,
    Statutes, polls::method_elects,
};

/// Fractions with a glyph of their own, by (numerator, denominator) in lowest terms.
const GLYPHS: [((u64, u64), &str); 15] = [
    ((1, 2), "½"),
    ((1, 3), "⅓"),
    ((2, 3), "⅔"),
    ((1, 4), "¼"),
    ((3, 4), "¾"),
    ((1, 5), "⅕"),
    ((2, 5), "⅖"),
    ((3, 5), "⅗"),
    ((4, 5), "⅘"),
    ((1, 6), "⅙"),
    ((5, 6), "⅚"),
    ((1, 8), "⅛"),
    ((3, 8), "⅜"),
    ((5, 8), "⅝"),
    ((7, 8), "⅞"),
];

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// A fraction as people write it: `⅔`, `½`, `3/7`, `0`, `1`.
pub fn fraction(r: &Ratio) -> String {
    if r.num == 0 {
        return "0".to_owned();
    }
    if r.num == r.den {
        return "1".to_owned();
    }
    let divisor = gcd(r.num, r.den).max(1);
    let lowest = (r.num / divisor, r.den / divisor);
    match GLYPHS.iter().find(|(f, _)| *f == lowest) {
        Some((_, glyph)) => (*glyph).to_owned(),
        None if lowest.1 == 100 => format!("{}%", lowest.0),
        None => format!("{}/{}", lowest.0, lowest.1),
    }
}

/// A fraction as a form field shows it: `2/3` (as written in the statutes).
pub fn fraction_field(r: &Ratio) -> String {
    if r.den == 1 {
        r.num.to_string()
    } else {
        r.text()
    }
}

/// Reads a fraction typed in a form: `2/3`, `50%`, `0` or `1`.
pub fn parse_fraction(text: &str) -> Option<Ratio> {
    let text = text.trim();
    if let Some(percent) = text.strip_suffix('%') {
        return Ratio::new(percent.trim().parse().ok()?, 100);
    }
    match text.split_once('/') {
        Some((num, den)) => Ratio::new(num.trim().parse().ok()?, den.trim().parse().ok()?),
        None => Ratio::new(text.parse().ok()?, 1),
    }
}

/// What a kind of decision is, as a heading: "Amending the statutes".
pub fn decision_label(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::AmendStatutes => "Amending the statutes",
        DecisionKind::AdmitMember => "Admitting a member",
        DecisionKind::SuspendMember => "Suspending a member",
        DecisionKind::ExpelMember => "Expelling a member",
        DecisionKind::ElectBoard => "Electing the board",
        DecisionKind::General => "General decisions",
        DecisionKind::ValueEquation => "Changing the value equation",
        DecisionKind::Expense => "Approving an expense",
        DecisionKind::Award => "Choosing an award's winners",
    }
}

/// A poll's decision kind as a short badge: "amendment".
pub fn decision_badge(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::AmendStatutes => "amendment",
        DecisionKind::AdmitMember => "admission",
        DecisionKind::SuspendMember => "suspension",
        DecisionKind::ExpelMember => "expulsion",
        DecisionKind::ElectBoard => "board election",
        DecisionKind::General => "general",
        DecisionKind::ValueEquation => "value equation",
        DecisionKind::Expense => "expense",
        DecisionKind::Award => "award",
    }
}

/// A counting method's name for people.
pub fn method_label(name: &str) -> &'static str {
    match name {
        "plurality" => "plurality (one choice)",
        "approval" => "approval voting",
        "score" => "score voting",
        "dot" => "dot voting",
        "borda" => "Borda count",
        "borda-truncated" => "truncated Borda count",
        "irv" => "instant runoff",
        "schulze" => "Schulze method",
        "ranked-pairs" => "ranked pairs",
        "stv-scottish" => "single transferable vote (Scottish rules)",
        "stv-meek" => "single transferable vote (Meek)",
        "consent" => "consent",
        "proposal" => "proposal",
        "time" => "time poll",
        _ => "an unknown method",
    }
}

/// How a method is voted and counted, in one sentence.
pub fn method_explained(name: &str) -> &'static str {
    match name {
        "plurality" => "Each voter picks one option; the most votes win.",
        "approval" => "Each voter approves any number of options; the most approvals win.",
        "score" => "Each voter scores every option; the highest total wins.",
        "dot" => "Each voter spreads a budget of dots over the options; the most dots win.",
        "borda" | "borda-truncated" => {
            "Each voter ranks the options; an option earns a point for every option ranked below it."
        }
        "irv" => {
            "Each voter ranks the options; the last is excluded round by round and its votes go to the next preference until one has a majority."
        }
        "schulze" | "ranked-pairs" => {
            "Each voter ranks the options; every pair is compared head to head and the option that beats the others wins."
        }
        "stv-scottish" | "stv-meek" => {
            "Each voter ranks the candidates; a candidate reaching the quota is elected, surpluses and excluded candidates' votes pass to the next preference, round by round."
        }
        "consent" => "Each voter consents or objects; an objection can later be marked resolved.",
        "proposal" => "Each voter says yes, no, abstain or block.",
        "time" => "Each voter says yes, if need be, or no to every time slot.",
        _ => "",
    }
}

/// Who votes, in words: "members", "the Users chamber".
pub fn electorate_words(electorate: &Electorate, statutes: Option<&Statutes>) -> String {
    match electorate {
        Electorate::Members => "members".to_owned(),
        Electorate::Chamber(slug) => {
            let name = statutes
                .and_then(|s| s.chamber(slug))
                .map_or(slug.as_str(), |c| c.name.as_str());
            format!("the {name} chamber")
        }
        Electorate::Contributors => "contributors".to_owned(),
        Electorate::Maintainers => "maintainers".to_owned(),
        Electorate::AreaMaintainers(slug) => format!("maintainers of the area {slug}"),
        Electorate::Registered => "everyone with a profile".to_owned(),
    }
}

pub fn admission_words(admission: Admission) -> &'static str {
    match admission {
        Admission::Open => "Open: applying admits at once.",
        Admission::Maintainers => "A maintainer of the commons admits or refuses each applicant.",
        Admission::Vote => "Members decide on each applicant by a poll under the admission rule.",
    }
}

pub fn basis_words(basis: ChamberBasis) -> &'static str {
    match basis {
        ChamberBasis::Declared => "members choose it when they apply",
        ChamberBasis::Contributors => "members with accepted work in the contributor window",
    }
}

fn chamber_name<'a>(statutes: Option<&'a Statutes>, slug: &'a str) -> &'a str {
    statutes
        .and_then(|s| s.chamber(slug))
        .map_or(slug, |c| c.name.as_str())
}

/// How per-chamber results combine, in a few words: "passing in all 3 chambers".
fn combine_words(rule: &ChamberRule, statutes: Option<&Statutes>) -> String {
    let n_chambers = statutes.map_or(0, |s| s.chambers.len());
    let mut text = match &rule.combine {
        Combine::Concurrent { required } if *required as usize == n_chambers => {
            format!("passing in all {n_chambers} chambers")
        }
        Combine::Concurrent { required } => {
            format!("passing in {required} of {n_chambers} chambers")
        }
        Combine::Weighted { weights } => format!(
            "support weighted by chamber ({})",
            weights
                .iter()
                .map(|(slug, w)| format!("{} {}", chamber_name(statutes, slug), fraction(w)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    if !rule.veto.is_empty() {
        text.push_str(&format!(
            "; {} can veto",
            rule.veto
                .iter()
                .map(|slug| chamber_name(statutes, slug))
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    }
    text
}

/// The support a rule needs, in a few words: "⅔", "more than ½".
fn threshold_words(rule: &DecisionRule) -> String {
    match (rule.strict, rule.threshold.num) {
        (_, 0) if !rule.strict => "any yes".to_owned(),
        (true, _) => format!("more than {}", fraction(&rule.threshold)),
        (false, _) => fraction(&rule.threshold),
    }
}

/// One line per rule, as the statutes page lists them:
/// "Amending the statutes: proposal, ⅔ of members, quorum ⅓".
pub fn rule_summary(
    kind: DecisionKind,
    rule: &DecisionRule,
    seats: u32,
    statutes: Option<&Statutes>,
) -> String {
    format!(
        "{}: {}",
        decision_label(kind),
        rule_terms(rule, seats, statutes)
    )
}

/// A rule without its heading: "proposal, ⅔ of members, quorum ⅓".
pub fn rule_terms(rule: &DecisionRule, seats: u32, statutes: Option<&Statutes>) -> String {
    let who = electorate_words(&rule.electorate, statutes);
    let mut parts = vec![method_label(&rule.method).to_owned()];
    if method_elects(&rule.method) {
        parts.push(who);
        parts.push(format!(
            "{seats} {}",
            if seats == 1 { "seat" } else { "seats" }
        ));
    } else if rule.method == "consent" {
        parts.push(format!("no open objection among {who}"));
    } else {
        parts.push(format!("{} of {who}", threshold_words(rule)));
    }
    parts.push(if rule.quorum.num == 0 {
        "no quorum".to_owned()
    } else {
        format!("quorum {}", fraction(&rule.quorum))
    });
    if let Some(p) = &rule.progressive {
        parts.push(format!(
            "rising to {} below {} turnout",
            fraction(&p.max_threshold),
            fraction(&p.full_turnout)
        ));
    }
    if let Some(c) = &rule.chambers {
        parts.push(combine_words(c, statutes));
    }
    parts.join(", ")
}

/// The rule as sentences, for the statutes page and a poll's rules.
pub fn rule_details(rule: &DecisionRule, seats: u32, statutes: Option<&Statutes>) -> Vec<String> {
    let who = electorate_words(&rule.electorate, statutes);
    let mut out = vec![
        format!(
            "Who votes: {who}, as they are when the poll opens (the list is then frozen and its hash published)."
        ),
        format!(
            "How: {} — {}",
            method_label(&rule.method),
            method_explained(&rule.method)
        ),
    ];
    let at_least = if rule.strict { "more than" } else { "at least" };
    if method_elects(&rule.method) {
        out.push(format!(
            "The count fills {seats} {}; ties are broken by the count's rules, then by a lot drawn from the ledger at the close.",
            if seats == 1 { "seat" } else { "seats" }
        ));
    } else if rule.method == "consent" {
        out.push(
            "Passes when no objection is left open; an objection marked resolved no longer stops it."
                .to_owned(),
        );
    } else if rule.threshold.num == 0 {
        out.push("Passes with any yes, unless someone blocks.".to_owned());
    } else {
        out.push(format!(
            "Passes when {at_least} {} of the yes and no votes are yes and nobody blocks; abstentions count only towards turnout.",
            fraction(&rule.threshold)
        ));
    }
    out.push(if rule.quorum.num == 0 {
        "No quorum: any turnout counts.".to_owned()
    } else {
        format!(
            "Quorum: at least {} of the electorate must take part (votes carried by delegation count).",
            fraction(&rule.quorum)
        )
    });
    if let Some(p) = &rule.progressive {
        out.push(format!(
            "The support needed rises from {} at {} turnout or more to {} as turnout falls to the quorum.",
            fraction(&rule.threshold),
            fraction(&p.full_turnout),
            fraction(&p.max_threshold)
        ));
    }
    if let Some(c) = &rule.chambers {
        out.push(format!(
            "Counted in each chamber: {}.{}",
            combine_words(c, statutes),
            if c.chamber_quorum.num == 0 {
                String::new()
            } else {
                format!(
                    " Each chamber needs a turnout of {}.",
                    fraction(&c.chamber_quorum)
                )
            }
        ));
    }
    out
}

/// `3 months`, `1 month`.
pub fn months(n: u32) -> String {
    format!("{n} {}", if n == 1 { "month" } else { "months" })
}

/// Fixed-point vote strings (`12`, `3.50000`) as integers of a common scale, so that a
/// chart's bars stay integers: the largest number of decimals among `texts` sets the
/// scale. Unreadable strings count as zero.
pub fn scaled_votes(texts: &[&str]) -> (Vec<u64>, u32) {
    let decimals = texts
        .iter()
        .filter_map(|t| t.split_once('.').map(|(_, f)| f.len()))
        .max()
        .unwrap_or(0)
        .min(9) as u32;
    let scale = 10u64.pow(decimals);
    let values = texts
        .iter()
        .map(|t| {
            let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
            let whole: u64 = whole.parse().unwrap_or(0);
            let mut units: u64 = if fraction.is_empty() {
                0
            } else {
                fraction
                    .get(..fraction.len().min(decimals as usize))
                    .and_then(|f| f.parse().ok())
                    .unwrap_or(0)
            };
            for _ in fraction.len().min(decimals as usize)..decimals as usize {
                units = units.saturating_mul(10);
            }
            whole.saturating_mul(scale).saturating_add(units)
        })
        .collect();
    (values, decimals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn ratio(num: u64, den: u64) -> Ratio {
        Ratio::new(num, den).unwrap()
    }

    fn rule(method: &str, threshold: Ratio, quorum: Ratio) -> DecisionRule {
        DecisionRule {
            method: method.into(),
            electorate: Electorate::Members,
            threshold,
            strict: false,
            quorum,
            chambers: None,
            progressive: None,
        }
    }

    #[test]
    fn fractions_read_as_people_write_them() {
        assert_eq!(fraction(&ratio(2, 3)), "⅔");
        assert_eq!(fraction(&ratio(4, 6)), "⅔");
        assert_eq!(fraction(&ratio(50, 100)), "½");
        assert_eq!(fraction(&ratio(51, 100)), "51%");
        assert_eq!(fraction(&ratio(3, 7)), "3/7");
        assert_eq!(fraction(&ratio(0, 1)), "0");
        assert_eq!(fraction(&ratio(5, 5)), "1");
        assert_eq!(parse_fraction(" 2/3 "), Some(ratio(2, 3)));
        assert_eq!(parse_fraction("50%"), Some(ratio(50, 100)));
        assert_eq!(parse_fraction("0"), Some(Ratio::ZERO));
        assert_eq!(parse_fraction("1"), Some(Ratio::ONE));
        for bad in ["", "3/2", "2", "x", "1/0", "120%", "-1/3"] {
            assert_eq!(parse_fraction(bad), None, "{bad}");
        }
        assert_eq!(fraction_field(&ratio(2, 3)), "2/3");
        assert_eq!(fraction_field(&Ratio::ZERO), "0");
    }

    #[test]
    fn a_rule_reads_as_one_line() {
        let amend = rule("proposal", ratio(2, 3), ratio(1, 3));
        assert_eq!(
            rule_summary(DecisionKind::AmendStatutes, &amend, 1, None),
            "Amending the statutes: proposal, ⅔ of members, quorum ⅓"
        );
        let general = DecisionRule {
            strict: true,
            ..rule("proposal", ratio(1, 2), Ratio::ZERO)
        };
        assert_eq!(
            rule_terms(&general, 1, None),
            "proposal, more than ½ of members, no quorum"
        );
        let board = rule("stv-scottish", Ratio::ZERO, ratio(1, 4));
        assert_eq!(
            rule_terms(&board, 3, None),
            "single transferable vote (Scottish rules), members, 3 seats, quorum ¼"
        );
        let chambers = DecisionRule {
            chambers: Some(ChamberRule {
                combine: Combine::Weighted {
                    weights: BTreeMap::from([
                        ("users".to_owned(), ratio(1, 2)),
                        ("workers".to_owned(), ratio(1, 2)),
                    ]),
                },
                chamber_quorum: ratio(1, 5),
                veto: vec!["workers".to_owned()],
            }),
            ..rule("consent", Ratio::ZERO, Ratio::ZERO)
        };
        assert_eq!(
            rule_terms(&chambers, 1, None),
            "consent, no open objection among members, no quorum, support weighted by chamber (users ½, workers ½); workers can veto"
        );
        let details = rule_details(&chambers, 1, None);
        assert!(
            details.iter().any(|d| d.contains("turnout of ⅕")),
            "{details:?}"
        );
    }

    #[test]
    fn fixed_point_votes_share_one_scale() {
        assert_eq!(scaled_votes(&["12", "3"]), (vec![12, 3], 0));
        assert_eq!(
            scaled_votes(&["12.50000", "3", "0.00001"]),
            (vec![1_250_000, 300_000, 1], 5)
        );
        assert_eq!(scaled_votes(&["x"]), (vec![0], 0));
    }
}
