//! The follow side of the store: how live pages and other server processes keep up with the
//! version table. Followers read in an order where nothing can still commit behind them
//! (`FollowKey`), and wake-ups say only that something was appended.

use super::backend::PerBackend;
use super::reads::{self, HEAD};
use super::row::{VersionRow, VERSION_COLUMNS};
use super::statement::{Bind, Statement};
use super::{Appends, Store, StoreError, FEED_PAGE_MAX};
use crate::task::TaskVersion;

/// Where a version stands in the order followers read the table: the transaction that appended
/// it, then its position. PostgreSQL appends concurrently, so positions can commit out of order;
/// reading in this order, below the oldest running transaction, means nothing can still commit
/// before a follower's cursor (migration 0005). SQLite appends one at a time, so there the
/// transaction is always 0 and the order is the positions'.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FollowKey {
    pub transaction: i64,
    pub position: i64,
}

impl FollowKey {
    /// Before the first version.
    pub const START: FollowKey = FollowKey {
        transaction: 0,
        position: 0,
    };
}

/// A version as a follower receives it, with its place in the followers' order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Followed {
    pub key: FollowKey,
    pub version: TaskVersion,
}

/// Versions after the one at `$1`, in the followers' order, at most `$2`. PostgreSQL reads below
/// the horizon (migration 0005): only versions whose transaction is older than every
/// transaction still running, in (transaction, position) order, after the transaction and
/// position of the version at `$1`. SQLite commits one writer at a time, so position order is
/// commit order there, and every key's transaction is 0.
const CHANGES_AFTER: PerBackend<(&str, &str)> = PerBackend {
    postgres: (
        "v.transaction_id::text::bigint",
        "WHERE (v.transaction_id, v.position) > ( \
                 COALESCE((SELECT transaction_id FROM task_versions WHERE position = $1), '0'), \
                 $1) \
           AND v.transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY v.transaction_id, v.position",
    ),
    sqlite: ("0", "WHERE v.position > $1 ORDER BY v.position"),
};

/// The followers' key of the version at `$1`. SQLite has none to read: its transaction is 0.
const TRANSACTION_AT: PerBackend<Option<&str>> = PerBackend {
    postgres: Some("SELECT transaction_id::text::bigint FROM task_versions WHERE position = $1"),
    sqlite: None,
};

/// The last version a follower starting now has passed: the newest below the horizon.
const FOLLOW_HEAD: PerBackend<&str> = PerBackend {
    postgres: "SELECT transaction_id::text::bigint, position FROM task_versions \
               WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
               ORDER BY transaction_id DESC, position DESC LIMIT 1",
    sqlite: "SELECT 0, position FROM task_versions ORDER BY position DESC LIMIT 1",
};

/// A version as a follower reads it: the version, then its transaction.
#[derive(sqlx::FromRow)]
struct FollowedRow {
    #[sqlx(flatten)]
    version: VersionRow,
    transaction_id: i64,
}

impl Store {
    /// Versions appended after the one at `position`, in the order followers read the table
    /// (see `FollowKey`): how a follower of the stream catches up. A version that commits later
    /// always sorts after everything this returns, so a follower that moves its cursor along
    /// never skips one, however many writers append at once.
    pub async fn changes_after(
        &self,
        position: i64,
        limit: u32,
    ) -> Result<Vec<Followed>, StoreError> {
        let limit = i64::from(limit.clamp(1, FEED_PAGE_MAX));
        let (transaction, order) = CHANGES_AFTER.on(self.kind());
        let statement = Statement::with(
            format!(
                "SELECT {VERSION_COLUMNS}, {transaction} AS transaction_id \
                 FROM task_versions v {order} LIMIT $2"
            ),
            [Bind::int(position), Bind::int(limit)],
        );
        let rows: Vec<FollowedRow> = self.pool.fetch_all(&statement).await?;
        rows.into_iter()
            .map(|row| {
                let version = TaskVersion::try_from(row.version)?;
                Ok(Followed {
                    key: FollowKey {
                        transaction: row.transaction_id,
                        position: version.position,
                    },
                    version,
                })
            })
            .collect()
    }

    /// The followers' key of the version at `position`: where a follower that was handed that
    /// position stands.
    pub async fn follow_key(&self, position: i64) -> Result<FollowKey, StoreError> {
        let transaction = match TRANSACTION_AT.on(self.kind()) {
            Some(sql) => {
                let found: Option<(i64,)> = self
                    .pool
                    .fetch_optional(&reads::numbers(sql, &[position]))
                    .await?;
                found.map(|(transaction,)| transaction)
            }
            None => None,
        };
        Ok(FollowKey {
            transaction: transaction.unwrap_or(0),
            position,
        })
    }

    /// Where a follower starting now begins: the last version it need not be sent.
    pub async fn follow_head(&self) -> Result<FollowKey, StoreError> {
        let head: Option<(i64, i64)> = self
            .pool
            .fetch_optional(&Statement::new(FOLLOW_HEAD.on(self.kind())))
            .await?;
        Ok(
            head.map_or(FollowKey::START, |(transaction, position)| FollowKey {
                transaction,
                position,
            }),
        )
    }

    /// The position of the newest version, 0 while the table is empty.
    pub async fn head_position(&self) -> Result<i64, StoreError> {
        Ok(self.number(HEAD, &[]).await?.unwrap_or(0))
    }

    /// Starts following appends: on PostgreSQL, this process's commits and the NOTIFY other
    /// processes send after theirs (so appends made through any server on the database are
    /// heard); on SQLite, this process's own commits.
    pub async fn appends(&self) -> Result<Appends, StoreError> {
        Ok(self.pool.appends(self.appended.subscribe()).await?)
    }
}
