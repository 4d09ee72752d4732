//! Values the store accepts, for tests that care about what happens to a write rather than
//! about parsing it.

use app::task::{ChangeMeta, EntityId, TaskFields, TaskInput};
use uuid::Uuid;

pub fn fields(title: &str) -> TaskFields {
    TaskFields::parse(&TaskInput {
        title: title.to_owned(),
        ..TaskInput::default()
    })
    .expect("valid fields")
}

pub fn fields_with(input: TaskInput) -> TaskFields {
    TaskFields::parse(&input).expect("valid fields")
}

pub fn by(actor: &str) -> ChangeMeta {
    ChangeMeta::parse(actor, "").expect("valid actor")
}

pub fn by_with_note(actor: &str, note: &str) -> ChangeMeta {
    ChangeMeta::parse(actor, note).expect("valid meta")
}

pub fn unknown_id() -> EntityId {
    EntityId::from_uuid(Uuid::now_v7())
}
