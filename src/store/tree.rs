//! The organization tree: ancestors, descendants and who lies within whom. Callers' reach
//! (`access::Reach`) is built on these.

use super::World;

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
