//! The send engine's containers: every run, the steps due (one heap for all runs, so events come
//! out in time order whatever run they belong to), and the contacts that have a recorded thread.
//! The rules that fill them live in `sim::send`.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};

use crate::domain::send::{Due, SendRun, SendSettings, Step};
use crate::domain::time::Millis;

#[derive(Default)]
pub struct Engine {
    pub settings: SendSettings,
    /// Every run, by `seq`.
    pub runs: Vec<SendRun>,
    /// The broadcast run of each project.
    pub by_project: HashMap<String, u32>,
    /// Runs that are waiting to start or sending.
    pub active: BTreeSet<u32>,
    due: BinaryHeap<Reverse<Due>>,
    next_seq: u64,
    /// Contacts (as `u64`) with at least one recorded thread: only their messages need a lookup.
    pub threads: HashSet<u64>,
    /// The earliest tick the scheduler holds, so one is not queued per request.
    pub tick_at: Option<Millis>,
    /// Messages attempted so far (all runs), for `/_sandbox/info`.
    pub attempted: u64,
    /// Cents each org owes for delivered parts not yet written to the ledger: the funds check
    /// counts them, so a send stops at the message that empties a balance, not at the next
    /// ledger write.
    pub owed: HashMap<String, f64>,
}

impl Engine {
    /// Queues `step` of recipient `idx` of run `run` at `at`.
    pub fn push(&mut self, at: Millis, run: u32, idx: u32, step: Step) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.due.push(Reverse(Due {
            at,
            seq,
            run,
            idx,
            step,
        }));
    }

    /// When the earliest queued step is due.
    pub fn next_step_at(&self) -> Option<Millis> {
        self.due.peek().map(|Reverse(d)| d.at)
    }

    /// The earliest queued step, if it is due by `by`.
    pub fn pop_step(&mut self, by: Millis) -> Option<Due> {
        if self.next_step_at()? > by {
            return None;
        }
        self.due.pop().map(|Reverse(d)| d)
    }

    pub fn steps_pending(&self) -> usize {
        self.due.len()
    }

    /// Whether a tick at `at` must be queued (none is, or only a later one); records it.
    pub fn want_tick(&mut self, at: Millis) -> bool {
        match self.tick_at {
            Some(t) if t <= at => false,
            _ => {
                self.tick_at = Some(at);
                true
            }
        }
    }
}
