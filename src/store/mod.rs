//! The in-memory state of the sandbox world behind one `parking_lot::RwLock`.
//!
//! Store methods are synchronous and short: handlers take a read (or write) guard, compute their
//! answer and drop it before any `.await`. The world is one struct so that reset, snapshot and
//! restore are a single swap, and so that every collection shares the seeded rng that makes ids
//! deterministic.

pub mod files;
pub mod idempotency;
pub mod tree;
pub mod world;

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use world::World;

pub struct Store {
    world: RwLock<World>,
}

impl Store {
    pub fn new(world: World) -> Self {
        Store {
            world: RwLock::new(world),
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, World> {
        self.world.read()
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, World> {
        self.world.write()
    }

    /// Replaces the whole world (reset, snapshot restore).
    pub fn replace(&self, world: World) {
        *self.world.write() = world;
    }
}
