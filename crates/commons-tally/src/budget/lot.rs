//! Ties between projects are broken by a lot drawn from the round's seed, so a recount
//! with the same seed breaks every tie the same way and anyone can redraw the lots.

use sha2::{Digest, Sha256};

use super::outcome::{Stage, TieBreak};

/// Every project's lot: `SHA-256(seed || project index as u32 big-endian)`. Among tied
/// projects the smaller lot (compared as bytes) goes first.
pub(crate) struct Lots {
    lots: Vec<[u8; 32]>,
}

impl Lots {
    pub(crate) fn draw(seed: &[u8; 32], n_projects: usize) -> Lots {
        let lots = (0..n_projects)
            .map(|project| {
                // The round was checked to hold at most PROJECTS_PER_ROUND_MAX projects.
                let index = u32::try_from(project).expect("project indexes fit in u32");
                Sha256::new()
                    .chain_update(seed)
                    .chain_update(index.to_be_bytes())
                    .finalize()
                    .into()
            })
            .collect();
        Lots { lots }
    }

    /// Orders `projects` by lot (then by index, should two lots ever collide).
    pub(crate) fn order(&self, projects: &mut [usize]) {
        projects.sort_by(|&left, &right| self.compare(left, right));
    }

    pub(crate) fn compare(&self, left: usize, right: usize) -> std::cmp::Ordering {
        self.lots[left]
            .cmp(&self.lots[right])
            .then(left.cmp(&right))
    }

    /// The record of a tie among `tied` (two or more projects) at `stage`, with the
    /// order the lots gave them.
    pub(crate) fn tie_break(&self, stage: Stage, tied: &[usize]) -> TieBreak {
        let mut order = tied.to_vec();
        self.order(&mut order);
        let mut tied = tied.to_vec();
        tied.sort_unstable();
        let lots = order
            .iter()
            .map(|&project| hex(&self.lots[project]))
            .collect();
        TieBreak {
            stage,
            tied,
            order,
            lots,
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}
