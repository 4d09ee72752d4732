//! The task resources: the current board and its past, one task with its ETag, its versions,
//! and the writes, each guarded by `If-Match` where it replaces what a client has seen. Writes
//! run the app's commands, the same the forms run; this module only speaks HTTP around them.

mod preconditions;
mod read;
mod types;
mod write;

pub use read::*;
pub use write::*;
