//! Ballots in the browser: which voting form fits a counting method, reading that form
//! into a `commons-tally` ballot, writing a ballot back into the form (to show someone
//! their current vote) and into words.
//!
//! Whether a ballot is valid (a score in range, dots within the budget, a ranking without
//! repeats) is the ledger's call: the form only reads what was ticked and typed, so that
//! an invalid ballot comes back refused with core's stable code.

use super::Fields;
use commons_tally::{Availability, Ballot, ConsentStance, Method, Stance};
use minijinja::{Value, context};

/// The voting form a method needs.
pub fn form_kind(method: &Method) -> &'static str {
    match method {
        Method::Proposal => "stance",
        Method::Consent => "consent",
        Method::Plurality => "choice",
        Method::Approval { .. } => "approve",
        Method::Score { .. } | Method::Dot { .. } => "scores",
        Method::Time => "time",
        Method::Borda
        | Method::BordaTruncated
        | Method::Irv
        | Method::Schulze
        | Method::RankedPairs
        | Method::StvScottish
        | Method::StvMeek => "ranking",
    }
}

/// What the voting form shows about the method's bounds.
pub fn form_context(method: &Method) -> Value {
    let (min, max, budget) = match *method {
        Method::Approval { min, max } => (Some(min), (max != u32::MAX).then_some(max), None),
        Method::Score { min, max } => (Some(min), Some(max), None),
        Method::Dot { budget } => (None, None, Some(budget)),
        _ => (None, None, None),
    };
    let ties = matches!(
        method,
        Method::Schulze | Method::RankedPairs | Method::Borda | Method::BordaTruncated
    );
    context! {
        kind => form_kind(method),
        name => method.name(),
        min => min,
        max => max,
        budget => budget,
        dots => matches!(method, Method::Dot { .. }),
        equal_ranks => ties,
    }
}

fn option_index(text: &str, n_options: usize) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(i) if i < n_options => Ok(i),
        _ => Err("That option is not on this poll.".to_owned()),
    }
}

/// Reads the voting form into a ballot for `method` over `n_options` options.
pub fn read_vote(method: &Method, n_options: usize, f: &Fields) -> Result<Ballot, String> {
    let missing = |what: &str| Err(format!("Choose {what} before you vote."));
    Ok(match form_kind(method) {
        "stance" => Ballot::Proposal(match f.get("stance") {
            "yes" => Stance::Yes,
            "no" => Stance::No,
            "abstain" => Stance::Abstain,
            "block" => Stance::Block,
            _ => return missing("yes, no, abstain or block"),
        }),
        "consent" => Ballot::Consent(match f.get("consent") {
            "consent" => ConsentStance::Consent,
            "object" => ConsentStance::Object { resolved: false },
            "resolved" => ConsentStance::Object { resolved: true },
            _ => return missing("whether you consent or object"),
        }),
        "choice" => match f.get("choice") {
            "" => return missing("an option"),
            c => Ballot::Choice(option_index(c, n_options)?),
        },
        "approve" => Ballot::Approval(
            f.all("approve")
                .into_iter()
                .map(|c| option_index(c, n_options))
                .collect::<Result<_, _>>()?,
        ),
        "scores" => {
            let mut scores = Vec::new();
            for i in 0..n_options {
                let text = f.get(&format!("score-{i}"));
                if text.is_empty() {
                    continue;
                }
                let score: u32 = text
                    .parse()
                    .map_err(|_| "Scores and dots are whole numbers.".to_owned())?;
                if score > 0 || matches!(method, Method::Score { .. }) {
                    scores.push((i, score));
                }
            }
            Ballot::Scores(scores)
        }
        "time" => {
            let mut slots = Vec::new();
            for i in 0..n_options {
                let availability = match f.get(&format!("slot-{i}")) {
                    "yes" => Availability::Yes,
                    "if_need_be" => Availability::IfNeedBe,
                    _ => Availability::No,
                };
                slots.push((i, availability));
            }
            Ballot::Availability(slots)
        }
        _ => {
            // Ranks in order; a rank may hold several options where the method allows
            // equal ranks (`rank-0` = "2,3"), and empty ranks are skipped.
            let mut ranking: Vec<Vec<usize>> = Vec::new();
            for r in 0..n_options {
                let text = f.get(&format!("rank-{r}"));
                if text.is_empty() {
                    continue;
                }
                let rank = text
                    .split(',')
                    .map(|c| option_index(c.trim(), n_options))
                    .collect::<Result<Vec<_>, _>>()?;
                ranking.push(rank);
            }
            Ballot::Ranking(ranking)
        }
    })
}

/// The voting form's fields for `ballot`, to show the current vote ticked.
pub fn ballot_fields(ballot: &Ballot) -> Fields {
    let mut f = Fields::default();
    match ballot {
        Ballot::Proposal(s) => f.push("stance", stance_word(*s)),
        Ballot::Consent(c) => f.push(
            "consent",
            match c {
                ConsentStance::Consent => "consent",
                ConsentStance::Object { resolved: false } => "object",
                ConsentStance::Object { resolved: true } => "resolved",
            },
        ),
        Ballot::Choice(c) => f.push("choice", c.to_string()),
        Ballot::Approval(cs) => {
            for c in cs {
                f.push("approve", c.to_string());
            }
        }
        Ballot::Scores(scores) => {
            for (c, s) in scores {
                f.push(format!("score-{c}"), s.to_string());
            }
        }
        Ballot::Ranking(ranks) => {
            for (r, rank) in ranks.iter().enumerate() {
                f.push(
                    format!("rank-{r}"),
                    rank.iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                );
            }
        }
        Ballot::Availability(slots) => {
            for (c, a) in slots {
                f.push(format!("slot-{c}"), availability_word(*a));
            }
        }
    }
    f
}

fn stance_word(s: Stance) -> &'static str {
    match s {
        Stance::Yes => "yes",
        Stance::No => "no",
        Stance::Abstain => "abstain",
        Stance::Block => "block",
    }
}

fn availability_word(a: Availability) -> &'static str {
    match a {
        Availability::Yes => "yes",
        Availability::IfNeedBe => "if_need_be",
        Availability::No => "no",
    }
}

/// A ballot in words, naming options: "yes", "Alice > Bob = Chloé", "approves A, B".
pub fn ballot_words(ballot: &Ballot, options: &[String]) -> String {
    let name = |c: &usize| {
        options
            .get(*c)
            .cloned()
            .unwrap_or_else(|| format!("option {}", c + 1))
    };
    match ballot {
        Ballot::Proposal(s) => stance_word(*s).to_owned(),
        Ballot::Consent(ConsentStance::Consent) => "consent".to_owned(),
        Ballot::Consent(ConsentStance::Object { resolved: false }) => "objection".to_owned(),
        Ballot::Consent(ConsentStance::Object { resolved: true }) => {
            "objection, resolved".to_owned()
        }
        Ballot::Choice(c) => name(c),
        Ballot::Approval(cs) if cs.is_empty() => "approves none".to_owned(),
        Ballot::Approval(cs) => format!(
            "approves {}",
            cs.iter().map(name).collect::<Vec<_>>().join(", ")
        ),
        Ballot::Scores(scores) if scores.is_empty() => "nothing given".to_owned(),
        Ballot::Scores(scores) => scores
            .iter()
            .map(|(c, s)| format!("{} {s}", name(c)))
            .collect::<Vec<_>>()
            .join(", "),
        Ballot::Ranking(ranks) if ranks.is_empty() => "blank".to_owned(),
        Ballot::Ranking(ranks) => ranks
            .iter()
            .map(|rank| rank.iter().map(name).collect::<Vec<_>>().join(" = "))
            .collect::<Vec<_>>()
            .join(" > "),
        Ballot::Availability(slots) => slots
            .iter()
            .map(|(c, a)| {
                format!(
                    "{} {}",
                    name(c),
                    match a {
                        Availability::Yes => "yes",
                        Availability::IfNeedBe => "if need be",
                        Availability::No => "no",
                    }
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn each_voting_form_reads_into_its_ballot_and_back() {
        let options: Vec<String> = ["Ana", "Bo", "Cy"].map(String::from).to_vec();
        let cases = [
            (Method::Proposal, fields(&[("stance", "block")])),
            (Method::Consent, fields(&[("consent", "resolved")])),
            (Method::Plurality, fields(&[("choice", "2")])),
            (
                Method::Approval { min: 0, max: 2 },
                fields(&[("approve", "0"), ("approve", "2")]),
            ),
            (
                Method::Score { min: 0, max: 5 },
                fields(&[("score-0", "5"), ("score-2", "1")]),
            ),
            (
                Method::StvScottish,
                fields(&[("rank-0", "1"), ("rank-1", "0")]),
            ),
            (
                Method::Schulze,
                fields(&[("rank-0", "1,2"), ("rank-1", "0")]),
            ),
            (
                Method::Time,
                fields(&[
                    ("slot-0", "yes"),
                    ("slot-1", "if_need_be"),
                    ("slot-2", "no"),
                ]),
            ),
        ];
        for (method, form) in cases {
            let ballot = read_vote(&method, options.len(), &form).unwrap();
            let again = read_vote(&method, options.len(), &ballot_fields(&ballot)).unwrap();
            assert_eq!(ballot, again, "{method:?}");
        }
        assert_eq!(
            ballot_words(&Ballot::Ranking(vec![vec![1, 2], vec![0]]), &options),
            "Bo = Cy > Ana"
        );
        assert_eq!(
            ballot_words(&Ballot::Approval(vec![0, 2]), &options),
            "approves Ana, Cy"
        );
    }

    #[test]
    fn a_form_without_a_choice_or_with_an_unknown_option_is_refused_before_signing() {
        assert!(read_vote(&Method::Proposal, 0, &fields(&[])).is_err());
        assert!(read_vote(&Method::Plurality, 2, &fields(&[("choice", "7")])).is_err());
        assert!(read_vote(&Method::Irv, 2, &fields(&[("rank-0", "x")])).is_err());
        // Empty ranks are skipped: a ballot ranking nobody is blank.
        assert_eq!(
            read_vote(&Method::Irv, 2, &fields(&[("rank-0", "")])),
            Ok(Ballot::Ranking(vec![]))
        );
    }
}
