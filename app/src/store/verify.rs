//! Whether a task's hash chain still holds, recomputed from what is stored.

use super::{chain, Store, StoreError};
use crate::task::{ChainReport, EntityId};

impl Store {
    /// Recomputes every hash of one task's chain from the stored content.
    pub async fn verify_task(&self, entity_id: EntityId) -> Result<ChainReport, StoreError> {
        let history = self.task_history(entity_id).await?;
        if history.is_empty() {
            return Err(StoreError::NotFound);
        }
        Ok(chain::verify(entity_id, &history))
    }
}
