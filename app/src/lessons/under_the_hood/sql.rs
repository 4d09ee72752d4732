//! The under-the-hood report, read from the log itself (the row appended, the read-model row the
//! trigger wrote before and after it) and from the statements this process kept for the write.

use crate::lessons::under_the_hood::{read_model_row, HoodReport};
use crate::store::sql::{at_position, PerBackend, APPENDED_CHANNEL};
use crate::store::{Store, StoreError};

impl Store {
    /// The change at `position` (the newest when `None`) as the database saw it; `None` when
    /// the log holds nothing there.
    pub async fn under_the_hood(
        &self,
        position: Option<i64>,
    ) -> Result<Option<HoodReport>, StoreError> {
        let position = match position {
            Some(position) => position,
            None => self.head_position().await?,
        };
        let Some(appended) = self.version_at(&at_position(position)).await? else {
            return Ok(None);
        };
        let before = match appended.version {
            1 => None,
            version => self.get_version(appended.entity_id, version - 1).await?,
        };
        let older = self
            .number(
                "SELECT MAX(position) FROM task_versions WHERE position < $1",
                &[position],
            )
            .await?;
        let newer = self
            .number(
                "SELECT MIN(position) FROM task_versions WHERE position > $1",
                &[position],
            )
            .await?;
        let announcement = PerBackend {
            postgres: format!(
                "After the commit, this server process sends SELECT pg_notify('{APPENDED_CHANNEL}', \
                 '') (several commits folded into one). Every process listening on the channel, \
                 and so every open page, reads the log after its own cursor."
            ),
            sqlite: "SQLite has no NOTIFY: after the commit, the server process wakes its own \
                 followers through an in-memory channel, and every open page reads the log after \
                 its own cursor."
                .to_owned(),
        }
        .on(self.kind());
        Ok(Some(HoodReport {
            statements: self.traces().find(position),
            read_model_before: before.as_ref().map(read_model_row),
            read_model_after: read_model_row(&appended),
            appended,
            announcement,
            older,
            newer,
        }))
    }
}
