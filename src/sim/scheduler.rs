//! Jobs due at a sandbox time, run in (due time, insertion order) — deterministic for a given
//! sequence of requests. Nothing here owns a timer: `run_due(now, run)` runs what is due and is
//! called by the realtime driver, by `POST /_sandbox/clock/advance` and directly by tests.
//!
//! Jobs are data (`J`, an enum in practice), not closures, so pending work can be listed, counted
//! and written into a snapshot. A job is handed its own due time as "now", so effects are stamped
//! when they were due, not when a late driver tick happened to run them. Running a job may
//! schedule further jobs; those already due run in the same call. The lock is never held while a
//! job runs.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use parking_lot::Mutex;

use crate::domain::time::Millis;

struct Queue<J> {
    heap: BinaryHeap<Reverse<(Millis, u64)>>,
    jobs: HashMap<u64, J>,
    next_seq: u64,
}

pub struct Scheduler<J> {
    queue: Mutex<Queue<J>>,
}

impl<J> Default for Scheduler<J> {
    fn default() -> Self {
        Scheduler {
            queue: Mutex::new(Queue {
                heap: BinaryHeap::new(),
                jobs: HashMap::new(),
                next_seq: 0,
            }),
        }
    }
}

impl<J: Clone> Scheduler<J> {
    /// Schedules `job` at `due`.
    pub fn schedule(&self, due: Millis, job: J) {
        let mut q = self.queue.lock();
        let seq = q.next_seq;
        q.next_seq += 1;
        q.heap.push(Reverse((due, seq)));
        q.jobs.insert(seq, job);
    }

    /// The earliest job due at or before `now`, taken off the queue.
    pub fn pop_due(&self, now: Millis) -> Option<(Millis, J)> {
        let mut q = self.queue.lock();
        let Reverse((due, seq)) = *q.heap.peek()?;
        if due > now {
            return None;
        }
        q.heap.pop();
        q.jobs.remove(&seq).map(|job| (due, job))
    }

    /// Runs every job due at or before `now`, in order, through `run(job, due)`. Returns how many
    /// ran.
    pub fn run_due(&self, now: Millis, mut run: impl FnMut(J, Millis)) -> usize {
        let mut ran = 0;
        while let Some((due, job)) = self.pop_due(now) {
            run(job, due);
            ran += 1;
        }
        ran
    }

    pub fn pending(&self) -> usize {
        self.queue.lock().jobs.len()
    }

    /// When the earliest pending job is due.
    pub fn next_due(&self) -> Option<Millis> {
        self.queue.lock().heap.peek().map(|Reverse((due, _))| *due)
    }

    /// Every pending job with its due time, in run order.
    pub fn list(&self) -> Vec<(Millis, J)> {
        let q = self.queue.lock();
        let mut order: Vec<(Millis, u64)> = q.heap.iter().map(|Reverse(k)| *k).collect();
        order.sort_unstable();
        order
            .into_iter()
            .filter_map(|(due, seq)| q.jobs.get(&seq).map(|j| (due, j.clone())))
            .collect()
    }

    /// Drops every pending job (used by reset).
    pub fn clear(&self) {
        let mut q = self.queue.lock();
        q.heap.clear();
        q.jobs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_only_what_is_due_in_time_then_insertion_order() {
        let s = Scheduler::<&str>::default();
        s.schedule(30, "c");
        s.schedule(10, "a");
        s.schedule(10, "b");
        s.schedule(50, "d");
        let mut log = Vec::new();
        assert_eq!(s.run_due(5, |j, at| log.push((j, at))), 0);
        assert_eq!(s.run_due(30, |j, at| log.push((j, at))), 3);
        assert_eq!(log, vec![("a", 10), ("b", 10), ("c", 30)]);
        assert_eq!(s.pending(), 1);
        assert_eq!(s.next_due(), Some(50));
        assert_eq!(s.list(), vec![(50, "d")]);
    }

    #[test]
    fn jobs_scheduled_while_running_run_in_the_same_call_when_due() {
        let s = Scheduler::<(&str, Millis)>::default();
        s.schedule(10, ("parent", 0));
        let mut log = Vec::new();
        let ran = s.run_due(100, |(name, _), at| {
            log.push((name, at));
            if name == "parent" {
                s.schedule(at + 5, ("child", at));
                s.schedule(at + 500, ("later", at));
            }
        });
        assert_eq!(ran, 2);
        assert_eq!(log, vec![("parent", 10), ("child", 15)]);
        s.clear();
        assert_eq!(s.pending(), 0);
    }
}
