//! HTTP plumbing shared by the API and the control plane: strict bodies and queries that collect
//! every problem, the success envelope, and the route registry that ties each route to its
//! documented operation. Nothing here knows the world; handlers bring it.

pub mod body;
pub mod envelope;
pub mod origin;
pub mod query;
pub mod routes;

pub use body::Body;
pub use envelope::{js_number, ok, respond, write_data};
pub use query::Query;
