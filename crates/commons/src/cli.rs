//! The command line, defined once: every verb, flag and help text with an example.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "commons",
    version,
    about = "Run and audit commons: signed, forkable histories for peer production communities",
    after_help = "Start here:\n  commons serve --demo          run a node with a demo commons and print its URL\n  commons key new alice         make a signing key\n  commons init \"Tool library\" --key alice\n\nThe data directory defaults to the platform data dir; set COMMONS_DATA or --data to move it."
)]
pub struct Cli {
    /// More log output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Data directory holding the node's store and keys.
    #[arg(long = "data", env = "COMMONS_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct NodeArgs {
    /// Base URL of the node to talk to.
    #[arg(
        long = "node",
        env = "COMMONS_NODE",
        value_name = "URL",
        default_value = "http://127.0.0.1:7878"
    )]
    pub node: String,
}

/// The node's spam resistance: what one key may add to one commons per hour.
#[derive(Args, Debug, Clone)]
pub struct PostingArgs {
    /// Tasks one key may post per commons per hour.
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub tasks_per_hour: u32,
    /// Contributions (and new versions) one key may submit per commons per hour.
    #[arg(long, default_value_t = 60, value_name = "N")]
    pub contributions_per_hour: u32,
    /// Thread posts, edits and reviews one key may write per commons per hour.
    #[arg(long, default_value_t = 120, value_name = "N")]
    pub posts_per_hour: u32,
    /// Multiplies the three limits for a key with accepted work in the commons.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub accepted_work_factor: u32,
}

impl PostingArgs {
    pub fn limits(&self) -> commons_node::posting::PostingLimits {
        commons_node::posting::PostingLimits {
            tasks_per_hour: self.tasks_per_hour,
            contributions_per_hour: self.contributions_per_hour,
            posts_per_hour: self.posts_per_hour,
            accepted_work_factor: self.accepted_work_factor,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a node: the web UI and the HTTP API on an embedded or PostgreSQL store.
    #[command(
        after_help = "Examples:\n  commons serve --demo\n  commons serve --data /srv/commons --listen 0.0.0.0:7878\n  commons serve --database-url postgres://commons@db/commons"
    )]
    Serve {
        #[command(flatten)]
        data: DataArgs,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7878", value_name = "ADDR")]
        listen: SocketAddr,
        /// PostgreSQL URL; without it the node uses SQLite in the data directory.
        #[arg(long, env = "COMMONS_DATABASE_URL", value_name = "URL")]
        database_url: Option<DatabaseUrl>,
        /// Seed a realistic demo commons and demo accounts (idempotent: running it again
        /// adds nothing).
        #[arg(long)]
        demo: bool,
        /// Send cookies without the Secure flag, for serving plain HTTP on an address other
        /// than localhost (browsers accept secure cookies from http://localhost and
        /// http://127.0.0.1 already). Never use it on the open internet.
        #[arg(long)]
        insecure_cookies: bool,
        #[command(flatten)]
        posting: PostingArgs,
    },
    /// Manage local signing keys (stored with file permissions 0600).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Store and fetch blobs: the contents of artifacts, kept outside the ledger and named
    /// in events by their digest.
    #[command(subcommand)]
    Blob(BlobCommand),
    /// Count a file of ballots by a voting method (plurality to Schulze, ranked pairs and
    /// STV), exactly, with the round-by-round sheet; ties are broken backwards, then by a
    /// lot drawn from --seed.
    #[command(
        after_help = "Examples:\n  commons tally --method schulze --ballots board.blt\n  commons tally --method stv-scottish --seats 3 --ballots council.blt --json\n  commons tally --method score --max 10 --ballots scores.csv\n\nFormats (by extension or --format): BLT (`weight c1 c2=c3 0` lines), CSV (a header of\ncandidate names, one ballot per row; cells are ranks, 1/0 approvals, scores or dots,\nyes/ifneedbe/no), JSON ({\"candidates\": [..], \"seats\": n, \"ballots\": [{\"weight\": 1,\n\"ranking\": [[0], [2], [1]]}]}). A malformed file is refused with the line named."
    )]
    Tally(crate::tally::TallyArgs),
    /// Contribution credit from files: rank a weighted graph's nodes by PageRank.
    #[command(subcommand)]
    Cred(crate::cred::CredCommand),
    /// Split a budget among the recipients of an `id,weight` file by largest remainder:
    /// the amounts sum exactly to the budget, a zero weight gets zero, and equal remainders
    /// go to the smaller id.
    #[command(
        after_help = "Example:\n  commons apportion --budget 100000 --weights contributors.csv\n  commons apportion --budget 100000 --weights contributors.csv --json\n\nThe file (`-` for standard input) has the header `id,weight` and one recipient per line\nwith an integer weight, e.g.\n  id,weight\n  alice,3\n  bob,1\nThe budget is an integer in minor units. Amounts print by id; --json prints\n{\"allocations\": {\"alice\": 75000, \"bob\": 25000}}. A malformed file is refused with the line named."
    )]
    Apportion(crate::apportion::ApportionArgs),
    /// Create a commons on a node, signed by a local key.
    #[command(
        after_help = "Example:\n  commons init \"Brest audio trails\" --key alice --licence CC-BY-SA-4.0 --maintainer 01ab…"
    )]
    Init {
        /// The commons' name (1 to 200 bytes).
        name: String,
        /// SPDX licence expression for the commons' artifacts.
        #[arg(long, default_value = "CC-BY-SA-4.0")]
        licence: String,
        /// Maintainer key (hex, 33 bytes); repeat for several. Defaults to the signing key.
        #[arg(long = "maintainer", value_name = "KEY")]
        maintainers: Vec<String>,
        /// Approvals needed to change governance.
        #[arg(long, default_value_t = 1)]
        threshold: u64,
        /// Local key that signs the genesis.
        #[arg(long, default_value = "default")]
        key: String,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Fork a commons hosted on a node at a checkpoint its sequencer signed: a new
    /// commons whose ledger begins with the parent's events up to that checkpoint.
    #[command(
        after_help = "Examples:\n  commons fork 3f2a… --at latest --name \"Tool library (Brest)\" --key alice\n  commons fork 3f2a… --at 1200 --name \"Tool library, GPL\" --licence GPL-3.0-or-later --maintainer 01ab… --maintainer 01cd…\n\nPrints the fork's commons id. The licence defaults to the parent's; a fork may keep it,\nchoose among its OR alternatives, or pick any licence when the parent's is permissive.\nThe genesis is signed with --key unless that key wrote in the parent's prefix (a genesis\nis seq 0 of its author's chain): then with a one-time key, and --key stays maintainer."
    )]
    Fork {
        /// The parent commons (hex id).
        commons: String,
        /// Tree size of a checkpoint the parent's sequencer signed, or `latest`.
        #[arg(long, value_name = "CHECKPOINT")]
        at: String,
        /// The fork's name (1 to 200 bytes).
        #[arg(long)]
        name: String,
        /// SPDX licence expression; defaults to the parent's.
        #[arg(long)]
        licence: Option<String>,
        /// Maintainer key (hex, 33 bytes); repeat for several. Defaults to the signing key.
        #[arg(long = "maintainer", value_name = "KEY")]
        maintainers: Vec<String>,
        /// Approvals needed to change the fork's governance.
        #[arg(long, default_value_t = 1)]
        threshold: u64,
        /// Local key that signs the fork's genesis.
        #[arg(long, default_value = "default")]
        key: String,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Check a fork's lineage: the parent checkpoint signed by the parent's sequencer, the
    /// fork's checkpoint signed by the fork's, and the consistency proof joining them.
    #[command(
        after_help = "Example:\n  commons lineage 9b7e… --node https://commons.example\n\nPrints each check; exits non-zero at the first that fails."
    )]
    Lineage {
        /// The fork (hex id).
        fork: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Sign an event locally and submit it to a node.
    #[command(
        after_help = "Example:\n  echo '{\"name\": \"Ann\", \"kind\": \"person\"}' > profile.json\n  commons submit --commons 3f2a… --kind agent.profile --body-json profile.json --key alice\n\nBytes in JSON are written {\"$hex\": \"…\"}."
    )]
    Submit {
        /// The commons (hex id).
        #[arg(long)]
        commons: String,
        /// Event kind, e.g. agent.profile.
        #[arg(long)]
        kind: String,
        /// File with the body as JSON (`-` for standard input).
        #[arg(long, value_name = "FILE")]
        body_json: PathBuf,
        /// Causal references (hex event ids); repeat for several.
        #[arg(long = "dep", value_name = "ID")]
        deps: Vec<String>,
        #[arg(long, default_value = "default")]
        key: String,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Ask a node whether a local key may submit a kind of event in a commons: the same
    /// rule the ledger applies and the web UI asks. Exits non-zero when it may not.
    #[command(after_help = "Example:\n  commons can --commons 6f1c… --kind gov.update --key alice")]
    Can {
        /// The commons (hex id).
        #[arg(long)]
        commons: String,
        /// Event kind, e.g. gov.update.
        #[arg(long)]
        kind: String,
        #[arg(long, default_value = "default")]
        key: String,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Audit a ledger fully: signatures, chains, Merkle roots, checkpoints, projections.
    #[command(
        after_help = "Examples:\n  commons verify                       every commons in the data directory\n  commons verify --bundle tools.bundle a bundle made by `commons export`\n\nExits non-zero and names the first failure."
    )]
    Verify {
        #[command(flatten)]
        data: DataArgs,
        /// Verify an exported bundle instead of a data directory (takes precedence over --data).
        #[arg(long, value_name = "FILE")]
        bundle: Option<PathBuf>,
        /// Only this commons (hex id).
        #[arg(long)]
        commons: Option<String>,
        /// PostgreSQL URL of the store to verify.
        #[arg(long, env = "COMMONS_DATABASE_URL", value_name = "URL")]
        database_url: Option<DatabaseUrl>,
    },
    /// Write a commons' whole history as a bundle to standard output, or its value flows
    /// as ValueFlows JSON-LD (`export valueflows`).
    #[command(
        after_help = "Examples:\n  commons export 3f2a… > tools.bundle\n  commons export --node https://commons.example 3f2a… > tools.bundle\n  commons export valueflows --ledger tools.bundle -o flows.jsonld"
    )]
    Export(ExportArgs),
    /// Import a bundle into the data directory, after auditing it.
    #[command(after_help = "Example:\n  commons import tools.bundle --data ./mirror")]
    Import {
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Make or check an offline inclusion receipt (c2sp.org/tlog-proof).
    #[command(
        after_help = "Examples:\n  commons proof 3f2a… --event 9c1d… > receipt.txt\n  commons proof verify receipt.txt"
    )]
    Proof(ProofArgs),
    /// Recreate the projections from the ledger and report whether they were equal.
    /// Areas (subprojects), their maintainers and validation rules.
    #[command(subcommand)]
    Area(Box<crate::production::AreaCommand>),
    /// Tasks: post needs, signal, pledge, claim, release, close; the ranked task board.
    #[command(subcommand)]
    Task(Box<crate::production::TaskCommand>),
    /// Contributions: submit work without asking, review it, accept or reject it.
    #[command(subcommand)]
    Contrib(Box<crate::production::ContribCommand>),
    /// Threads: discuss areas, tasks, contributions and artifacts.
    #[command(subcommand)]
    Thread(Box<crate::production::ThreadCommand>),
    /// The for-benefit association: its statutes, adopted from a JSON file.
    #[command(subcommand)]
    Assoc(Box<crate::association::AssocCommand>),
    /// Membership of the association: apply, admit, refuse, leave, list.
    #[command(subcommand)]
    Member(Box<crate::association::MemberCommand>),
    /// Polls: open, vote, show the result with its count sheet, export the ballots and
    /// recount them.
    #[command(subcommand)]
    Poll(Box<crate::association::PollCommand>),
    /// Delegation: give your vote to someone, per area or for every poll.
    #[command(subcommand)]
    Delegate(Box<crate::association::DelegateCommand>),
    /// Participatory budgeting: open a round, propose projects, flag and review them,
    /// vote, show the count sheet, cancel a funded project, and the spending
    /// authorisations.
    #[command(subcommand)]
    Budget(Box<crate::budget::BudgetCommand>),
    /// Distributions, audited from outside the node: explain one from the verified
    /// ledger, or list its payouts as CSV.
    #[command(subcommand)]
    Distribution(Box<crate::value::DistributionCommand>),
    /// A person's contribution record: accepted and pending work, reviews, tasks, effort,
    /// paid vs volunteer.
    #[command(after_help = "Example:\n  commons record 01cd… --commons 6f1c…")]
    Record {
        /// The person's key (hex).
        person: String,
        #[command(flatten)]
        reader: crate::production::Reader,
    },
    /// Statistics of a commons: contributors per month, time to decision, review load,
    /// paid share by organisation, chores.
    #[command(after_help = "Example:\n  commons stats --commons 6f1c…")]
    Stats {
        #[command(flatten)]
        reader: crate::production::Reader,
    },
    #[command(after_help = "Example:\n  commons rebuild --data ./data")]
    Rebuild {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        commons: Option<String>,
        #[arg(long, env = "COMMONS_DATABASE_URL", value_name = "URL")]
        database_url: Option<DatabaseUrl>,
    },
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub format: Option<ExportFormat>,
    /// The commons (hex id).
    pub commons: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Fetch from this node instead of a data directory (takes precedence over --data).
    #[arg(long, value_name = "URL")]
    pub node: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ExportFormat {
    /// The commons' value flows as ValueFlows 1.0 JSON-LD, from the verified ledger:
    /// accepted contributions (`work`), upstream citations (`cite`), incomes, distribution
    /// credits and payouts (`transfer`), reversals (`corrects`), in ledger order.
    #[command(
        after_help = "Examples:\n  commons export valueflows --ledger trails.bundle -o flows.jsonld\n  commons export valueflows --commons 6f1c… --node https://commons.example > flows.jsonld\n\nAmounts are exact decimal strings (`hasNumericalValue` typed xsd:decimal) in the\ncurrency's major unit; credit is in thousandths, floored as distributions quantise it.\nThe same ledger always gives the same bytes."
    )]
    Valueflows(crate::value::ValueflowsArgs),
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ProofArgs {
    #[command(subcommand)]
    pub verify: Option<ProofVerify>,
    /// The commons (hex id).
    pub commons: Option<String>,
    /// The event (hex id).
    #[arg(long)]
    pub event: Option<String>,
    #[command(flatten)]
    pub node: NodeArgs,
}

#[derive(Subcommand, Debug)]
pub enum ProofVerify {
    /// Check a receipt offline: the checkpoint signature and the inclusion proof.
    Verify {
        /// The receipt file.
        receipt: PathBuf,
        /// The sequencer key (hex) the checkpoint must be signed by; by default the one
        /// named in the receipt's extra data.
        #[arg(long)]
        sequencer: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum BlobCommand {
    /// Upload a file (at most 16 MiB) to a node as a blob; prints its reference `alg:hex`
    /// and its size. Uploading the same file again gives the same reference.
    #[command(
        after_help = "Example:\n  commons blob put design.pdf --node https://commons.example\n  sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 48213 bytes"
    )]
    Put {
        /// The file to upload.
        file: PathBuf,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Download a blob and check it against its reference; on a mismatch nothing is
    /// written and the command fails.
    #[command(
        after_help = "Examples:\n  commons blob get sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 -o design.pdf\n  commons blob get blake3:af13…  > data.csv"
    )]
    Get {
        /// The blob's reference, `sha256:<64 hex>` or `blake3:<64 hex>`.
        reference: String,
        /// Write the blob to this file instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        node: NodeArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create a new key.
    #[command(after_help = "Example:\n  commons key new alice")]
    New {
        #[arg(default_value = "default")]
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List local keys.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Show a key's public form (hex, 33 bytes).
    #[command(after_help = "Example:\n  commons key show alice")]
    Show {
        #[arg(default_value = "default")]
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Sign a node's link-key challenge, proving you hold the key, so the node can link it
    /// to your account. Prints the public key and the signature to paste into the account
    /// page. Only challenges starting with `commons-link-key-v1:` are signed.
    #[command(
        after_help = "Example:\n  commons key sign-challenge alice commons-link-key-v1:0123456789abcdef:7:5f1c…"
    )]
    SignChallenge {
        /// The local key to sign with.
        name: String,
        /// The challenge shown on the account page.
        challenge: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// A database URL whose password never shows in `Debug` output or logs.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl std::str::FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<DatabaseUrl, Self::Err> {
        Ok(DatabaseUrl(text.to_owned()))
    }
}

impl std::ops::Deref for DatabaseUrl {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

/// `scheme://user:password@host/…` with the password replaced by `[redacted]`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "[redacted]".to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let hidden = if userinfo.contains(':') {
                ":[redacted]"
            } else {
                ""
            };
            let path = if path.contains("password=") {
                "/[redacted]"
            } else {
                path
            };
            format!("{scheme}://{user}{hidden}@{host}{path}")
        }
        None if path.contains("password=") => format!("{scheme}://{authority}/[redacted]"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_never_show_in_debug_output() {
        let url: DatabaseUrl = "postgres://commons:s3cret@db.example:5432/commons"
            .parse()
            .unwrap_or_else(|never| match never {});
        let shown = format!("{url:?}");
        assert_eq!(
            shown,
            "postgres://commons:[redacted]@db.example:5432/commons"
        );
        assert_eq!(&*url, "postgres://commons:s3cret@db.example:5432/commons");
        assert!(!redact_url("postgres://db/commons?password=s3cret").contains("s3cret"));
        assert_eq!(
            redact_url("postgres://root@127.0.0.1/test"),
            "postgres://root@127.0.0.1/test"
        );
        let serve = Cli::try_parse_from([
            "commons",
            "serve",
            "--database-url",
            "postgres://u:topsecret@h/d",
        ])
        .map_err(|e| e.to_string());
        let shown = format!("{serve:?}");
        assert!(!shown.contains("topsecret"), "{shown}");
    }
}
