//! The per-task hash chain. Each version's hash is SHA-256 over its canonical content, which
//! includes the previous version's hash; changing any stored version (or its order) therefore
//! breaks the chain from that version on. Both backends store exactly what is hashed here, so a
//! chain written on one can be verified by the same code on the other.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::NewVersion;
use crate::task::{ChainBreak, ChainReport, EntityId, TaskVersion};

/// The hashed form of a version: field order is fixed by this struct, instants are written with
/// microsecond precision (what both databases keep) and ids in hyphenated lowercase.
#[derive(Serialize)]
struct Canonical<'a> {
    id: Uuid,
    entity_id: Uuid,
    version: i64,
    op: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    status: &'a str,
    priority: u8,
    due_date: Option<String>,
    recorded_at: String,
    /// Left out when `None`, so a version recorded before valid times were kept (migration 0010)
    /// hashes to exactly what it did when it was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_from: Option<String>,
    deleted_at: Option<String>,
    actor: &'a str,
    note: Option<&'a str>,
    prev_hash: Option<&'a str>,
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Truncates to what both databases store, so the hash is computed over what is read back.
pub(crate) fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

fn content_hash(version: &TaskVersion) -> String {
    let fields = &version.fields;
    let canonical = Canonical {
        id: version.id,
        entity_id: version.entity_id.as_uuid(),
        version: version.version,
        op: version.op.as_str(),
        title: fields.title.as_str(),
        description: fields.description.as_ref().map(|d| d.as_str()),
        status: fields.status.as_str(),
        priority: fields.priority.value(),
        due_date: fields
            .due_date
            .map(|date| date.format("%Y-%m-%d").to_string()),
        recorded_at: instant(version.recorded_at),
        valid_from: version.valid_from.map(instant),
        deleted_at: version.deleted_at.map(instant),
        actor: version.actor.as_str(),
        note: version.note.as_ref().map(|n| n.as_str()),
        prev_hash: version.prev_hash.as_deref(),
    };
    let json = serde_json::to_vec(&canonical).expect("canonical version serialises to JSON");
    hex::encode(Sha256::digest(json))
}

/// Turns a planned version into the exact row to insert: id, number, timestamps and hash.
/// `position` stays 0 until the database assigns it.
pub(crate) fn seal(new: NewVersion<'_>, now: DateTime<Utc>) -> TaskVersion {
    let recorded_at = to_micros(match new.previous {
        // Never stamp a version earlier than the one it follows, even if a clock steps back.
        Some(previous) => now.max(previous.recorded_at),
        None => now,
    });
    let mut row = TaskVersion {
        id: Uuid::now_v7(),
        entity_id: new.entity_id,
        version: new.previous.map_or(1, |previous| previous.version + 1),
        position: 0,
        fields: new.fields,
        op: new.op,
        recorded_at,
        valid_from: Some(new.meta.valid_from.map_or(recorded_at, to_micros)),
        deleted_at: (new.op == crate::task::Op::Deleted).then_some(recorded_at),
        actor: new.meta.actor,
        note: new.meta.note,
        prev_hash: new.previous.map(|previous| previous.hash.clone()),
        hash: String::new(),
    };
    row.hash = content_hash(&row);
    row
}

/// Walks one task's history (oldest first) and reports the first version that does not fit.
pub fn verify(entity_id: EntityId, history: &[TaskVersion]) -> ChainReport {
    verify_after(entity_id, None, history)
}

/// Walks consecutive versions of one task (oldest first) that follow `before` (`None` when they
/// start at version 1) and reports the first that does not fit: one page of a long history.
pub fn verify_after(
    entity_id: EntityId,
    before: Option<&TaskVersion>,
    history: &[TaskVersion],
) -> ChainReport {
    let mut previous = before;
    for version in history {
        let expected_number = previous.map_or(1, |p| p.version + 1);
        let reason = if version.version != expected_number {
            Some(format!(
                "expected version {expected_number}, found {}",
                version.version
            ))
        } else if version.prev_hash.as_deref() != previous.map(|p| p.hash.as_str()) {
            Some("its prev_hash does not match the hash of the version before it".to_owned())
        } else if content_hash(version) != version.hash {
            Some("its content no longer matches its stored hash".to_owned())
        } else {
            None
        };
        if let Some(reason) = reason {
            return ChainReport {
                entity_id,
                versions_checked: history.len(),
                broken: Some(ChainBreak {
                    version: version.version,
                    reason,
                }),
            };
        }
        previous = Some(version);
    }
    ChainReport {
        entity_id,
        versions_checked: history.len(),
        broken: None,
    }
}
