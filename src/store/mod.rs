//! The in-memory state of the sandbox world behind one `parking_lot::RwLock`.
//!
//! Store methods are synchronous and short: handlers take a read (or write) guard, compute their
//! answer and drop it before any `.await`. The world is one struct so that reset, snapshot and
//! restore are a single swap, and so that every collection shares the seeded rng that makes ids
//! deterministic.

pub mod engine;
pub mod events;
pub mod files;
pub mod idempotency;
pub mod limiter;
pub mod responses;
pub mod stats;
pub mod tree;
pub mod world;

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use world::World;

pub struct Store {
    world: RwLock<World>,
    /// Bumped by every write, while the write lock is held: a reader that holds the read lock
    /// sees the version of exactly the world it reads (what the response cache keys on).
    version: AtomicU64,
}

impl Store {
    pub fn new(world: World) -> Self {
        Store {
            world: RwLock::new(world),
            version: AtomicU64::new(0),
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, World> {
        self.world.read()
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, World> {
        let guard = self.world.write();
        self.version.fetch_add(1, Ordering::AcqRel);
        guard
    }

    /// The version of the world; read it while holding a read guard.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Replaces the whole world (reset, snapshot restore).
    pub fn replace(&self, world: World) {
        *self.write() = world;
    }
}
