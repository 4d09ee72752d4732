//! The key a write form carries so that submitting it twice appends once. The form gets a fresh
//! key when it is drawn (on the server) and again after each write it made (in the browser); the
//! store records which version a key produced and answers a repeat with that version.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::task::FieldError;

/// The form field that carries the key.
pub const FIELD: &str = "idempotency_key";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdempotencyKey(Uuid);

impl IdempotencyKey {
    /// An empty field means the client sent no key (an older form, or a script): the write is
    /// then not protected against repeats, as before keys existed.
    pub fn parse(raw: &str) -> Result<Option<Self>, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        Uuid::parse_str(raw)
            .map(|key| Some(Self(key)))
            .map_err(|_| FieldError::new(FIELD, "is not a valid idempotency key (a UUID)"))
    }

    /// A key no one has used, made on the server as it draws a form.
    #[cfg(feature = "ssr")]
    pub fn fresh() -> Self {
        Self(Uuid::now_v7())
    }

    /// A key from 16 random bytes, as the browser makes one after a form's write.
    pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
        Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
