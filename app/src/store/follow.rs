//! The follow side of the store: how live pages and other server processes keep up with the
//! version table. Followers read in an order where nothing can still commit behind them
//! (`FollowKey`), and wake-ups say only that something was appended.

use sqlx::PgPool;
use tokio::sync::watch;

use super::{postgres, sqlite, Backend, Store, StoreError, FEED_PAGE_MAX};
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
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::changes_after(pool, position, limit).await?,
            Backend::Sqlite(pool) => sqlite::changes_after(pool, position, limit).await?,
        })
    }

    /// The followers' key of the version at `position`: where a follower that was handed that
    /// position stands.
    pub async fn follow_key(&self, position: i64) -> Result<FollowKey, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::follow_key(pool, position).await?,
            Backend::Sqlite(_) => FollowKey {
                transaction: 0,
                position,
            },
        })
    }

    /// Where a follower starting now begins: the last version it need not be sent.
    pub async fn follow_head(&self) -> Result<FollowKey, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::follow_head(pool).await?,
            Backend::Sqlite(pool) => FollowKey {
                transaction: 0,
                position: sqlite::head_position(pool).await?,
            },
        })
    }

    /// The position of the newest version, 0 while the table is empty.
    pub async fn head_position(&self) -> Result<i64, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::head_position(pool).await?,
            Backend::Sqlite(pool) => sqlite::head_position(pool).await?,
        })
    }

    /// Starts following appends: on PostgreSQL, this process's commits and the NOTIFY other
    /// processes send after theirs (so appends made through any server on the database are
    /// heard); on SQLite, this process's own commits.
    pub async fn appends(&self) -> Result<Appends, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => Appends::Postgres(
                Box::new(postgres::listen(pool).await?),
                self.appended.subscribe(),
            ),
            Backend::Sqlite(_) => Appends::Sqlite(self.appended.subscribe()),
        })
    }
}

/// Tells the other server processes on a PostgreSQL database about this one's appends: one
/// NOTIFY per wake-up, sent after the commits, so appends made while one is on its way are
/// folded into the next. A NOTIFY inside each append would make PostgreSQL commit the appends
/// one at a time (it holds a cluster-wide lock from a notifying transaction's commit to its end).
pub(super) async fn announce_appends(pool: PgPool, mut appended: watch::Receiver<()>) {
    // Ends when the last store handle (which owns the sender) is gone.
    while appended.changed().await.is_ok() {
        if pool.is_closed() {
            return;
        }
        if let Err(error) = postgres::announce(&pool).await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(%error, "could not announce appends to other server processes");
        }
    }
}

/// Wake-ups for whoever follows the version table. A wake-up says "something was appended",
/// not what: the follower reads everything after its own cursor, so a lost or merged wake-up
/// delays a change but never loses it.
pub enum Appends {
    /// Other processes' announcements, and this process's own commits (heard directly rather
    /// than by a round trip through the database).
    Postgres(Box<sqlx::postgres::PgListener>, watch::Receiver<()>),
    Sqlite(watch::Receiver<()>),
}

impl Appends {
    /// Waits for the next append. Cancel-safe, so it can race a timer in `select!`.
    pub async fn next(&mut self) -> Result<(), StoreError> {
        match self {
            // A lost connection is re-established by the next call; what was announced while
            // it was down is found by the follower's read after its cursor.
            Appends::Postgres(listener, own) => tokio::select! {
                heard = listener.recv() => heard.map(drop)?,
                // The sender lives as long as the store, which outlives every follower.
                changed = own.changed() => changed.unwrap_or(()),
            },
            // The sender lives as long as the store, which outlives every follower.
            Appends::Sqlite(appended) => appended.changed().await.unwrap_or(()),
        }
        Ok(())
    }
}
