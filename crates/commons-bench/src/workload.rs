//! The benchmark's workload: one genesis and many authors, each writing an in-order chain
//! of `agent.profile` events. It is deterministic (keys come from small numbers), so every
//! run and every path ingests exactly the same bytes.

use commons_ledger::{CommonsId, SecretKey};
use commons_testkit::Author;
use std::ops::Range;

/// Key numbers at the top of the range, so they never meet an author's.
const SEQUENCER_KEY_NUMBER: u64 = u64::MAX;
const MAINTAINER_KEY_NUMBER: u64 = u64::MAX - 1;
/// Author `i` signs with `commons_testkit::key(AUTHOR_KEY_NUMBER_FIRST + i)`.
const AUTHOR_KEY_NUMBER_FIRST: u64 = 1;
/// Threads that sign the workload (the benchmark machine has two cores).
pub const SIGNING_THREADS: usize = 2;

/// Every envelope the benchmark submits, encoded once.
pub struct Workload {
    pub sequencer: SecretKey,
    pub commons: CommonsId,
    /// The encoded genesis envelope; not counted in `n_events`.
    pub genesis: Vec<u8>,
    /// `chains[a]` is author `a`'s chain in seq order, as encoded envelopes.
    pub chains: Vec<Vec<Vec<u8>>>,
    pub n_events: usize,
}

impl Workload {
    /// Signs `n_events` events spread as evenly as possible over `n_authors` authors.
    pub fn generate(n_events: usize, n_authors: usize) -> Workload {
        assert!(n_authors > 0, "the command line refuses zero authors");
        let sequencer = commons_testkit::key(SEQUENCER_KEY_NUMBER);
        let maintainer = commons_testkit::key(MAINTAINER_KEY_NUMBER);
        let genesis = commons_testkit::genesis_event(
            &maintainer,
            "benchmark commons",
            &[maintainer.author_key()],
            &sequencer.author_key(),
        );
        let commons = CommonsId(genesis.id.0);

        let per_thread = n_authors.div_ceil(SIGNING_THREADS);
        let chains = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..SIGNING_THREADS)
                .map(|t| {
                    let authors =
                        (t * per_thread).min(n_authors)..((t + 1) * per_thread).min(n_authors);
                    scope.spawn(move || sign_chains(commons, authors, n_events, n_authors))
                })
                .collect();
            let mut chains = Vec::with_capacity(n_authors);
            for worker in workers {
                // A signing thread only panics on a bug; pass the panic on.
                chains.extend(
                    worker
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                );
            }
            chains
        });
        debug_assert_eq!(chains.iter().map(Vec::len).sum::<usize>(), n_events);

        Workload {
            sequencer,
            commons,
            genesis: genesis.envelope().encode(),
            chains,
            n_events,
        }
    }

    /// The envelopes of `authors`, interleaved round-robin by seq: every author's first
    /// event, then every author's second, and so on. Each chain stays in order, and
    /// neighbouring envelopes come from different authors, as from independent clients.
    pub fn interleaved(&self, authors: Range<usize>) -> impl Iterator<Item = &[u8]> + '_ {
        let chains = &self.chains[authors];
        let longest = chains.iter().map(Vec::len).max().unwrap_or(0);
        (0..longest).flat_map(move |seq| {
            chains
                .iter()
                .filter_map(move |chain| chain.get(seq).map(Vec::as_slice))
        })
    }

    /// Number of events written by `authors`.
    pub fn n_events_of(&self, authors: Range<usize>) -> usize {
        self.chains[authors].iter().map(Vec::len).sum()
    }

    /// Total bytes of the encoded envelopes.
    pub fn envelope_bytes(&self) -> usize {
        self.chains.iter().flatten().map(Vec::len).sum()
    }
}

/// How many events author `a` writes so that `n_events` are spread over `n_authors`.
fn chain_len(a: usize, n_events: usize, n_authors: usize) -> usize {
    n_events / n_authors + usize::from(a < n_events % n_authors)
}

fn sign_chains(
    commons: CommonsId,
    authors: Range<usize>,
    n_events: usize,
    n_authors: usize,
) -> Vec<Vec<Vec<u8>>> {
    authors
        .map(|a| {
            let mut author = Author::new(
                commons_testkit::key(AUTHOR_KEY_NUMBER_FIRST + a as u64),
                commons,
            );
            (0..chain_len(a, n_events, n_authors))
                .map(|seq| {
                    author
                        .profile(&format!("author {a} rev {seq}"))
                        .envelope()
                        .encode()
                })
                .collect()
        })
        .collect()
}

/// `n_parts` contiguous ranges of `0..n`, as equal as possible; empty ones are left out.
pub fn split(n: usize, n_parts: usize) -> Vec<Range<usize>> {
    let n_parts = n_parts.max(1);
    (0..n_parts)
        .map(|p| (p * n / n_parts)..((p + 1) * n / n_parts))
        .filter(|r| !r.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use commons_ledger::Event;

    #[test]
    fn split_covers_every_index_exactly_once() {
        for (n, parts) in [(1_000, 32), (10, 3), (3, 8), (0, 4)] {
            let ranges = split(n, parts);
            let covered: Vec<usize> = ranges.iter().cloned().flatten().collect();
            assert_eq!(covered, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_workload_has_the_asked_size_and_interleaves_chains_in_order() {
        let workload = Workload::generate(10, 3);
        assert_eq!(workload.n_events, 10);
        assert_eq!(
            workload.chains.iter().map(Vec::len).collect::<Vec<_>>(),
            [4, 3, 3]
        );
        let mut next_seq = [0u64; 3];
        let authors: Vec<_> = (0..3)
            .map(|a| commons_testkit::key(AUTHOR_KEY_NUMBER_FIRST + a).author_key())
            .collect();
        for envelope in workload.interleaved(0..3) {
            let event = Event::decode(envelope).unwrap();
            let a = authors
                .iter()
                .position(|k| *k == event.header.author)
                .unwrap();
            assert_eq!(event.header.seq, next_seq[a]);
            next_seq[a] += 1;
        }
        assert_eq!(next_seq, [4, 3, 3]);
    }
}
