//! The organization tree: who is inside whose reach. A key reaches its own organization and every
//! descendant, never across trees; everything scoped goes through [`Reach`].

use super::World;

/// The part of the org tree a caller may see: `root` and its descendants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub root: String,
}

impl Reach {
    pub fn new(root: impl Into<String>) -> Self {
        Reach { root: root.into() }
    }

    /// Whether `org_id` is the root or one of its descendants.
    pub fn contains(&self, world: &World, org_id: &str) -> bool {
        is_within(world, org_id, &self.root)
    }

    /// The reachable organizations in tree pre-order.
    pub fn orgs<'w>(&self, world: &'w World) -> Vec<&'w str> {
        subtree(world, &self.root)
    }
}

/// Whether `org_id` is `ancestor` or lies below it.
pub fn is_within(world: &World, org_id: &str, ancestor: &str) -> bool {
    let mut current = world.orgs.get(org_id);
    let mut hops = 0;
    while let Some(org) = current {
        if org.id == ancestor {
            return true;
        }
        hops += 1;
        if hops > world.orgs.len() {
            return false;
        }
        current = org.parent_id.as_deref().and_then(|p| world.orgs.get(p));
    }
    false
}

/// `root` and its descendants in pre-order (siblings by name).
pub fn subtree<'w>(world: &'w World, root: &str) -> Vec<&'w str> {
    let mut out = Vec::new();
    let Some(start) = world.orgs.get(root) else {
        return out;
    };
    let mut stack = vec![start.id.as_str()];
    while let Some(id) = stack.pop() {
        out.push(id);
        if let Some(kids) = world.children.get(id) {
            stack.extend(kids.iter().rev().map(String::as_str));
        }
    }
    out
}

/// The ancestors of `org_id`, nearest first (not including itself).
pub fn ancestors<'w>(world: &'w World, org_id: &str) -> Vec<&'w str> {
    let mut out = Vec::new();
    let mut current = world.orgs.get(org_id).and_then(|o| o.parent_id.as_deref());
    while let Some(id) = current {
        if out.len() > world.orgs.len() {
            break;
        }
        match world.orgs.get(id) {
            Some(org) => {
                out.push(org.id.as_str());
                current = org.parent_id.as_deref();
            }
            None => break,
        }
    }
    out
}
