//! The server side of live updates: one pump per process publishes every committed version in
//! the order followers read the table (`FollowKey`: on PostgreSQL, by appending transaction and
//! then position, below the oldest running transaction); each connected browser gets a follower
//! that catches up from its own cursor and then forwards what the pump publishes.

use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};

use super::Change;
use crate::store::{Appends, FollowKey, Store, StoreError};

/// How many versions one read of the table fetches while publishing or catching up.
const BATCH: u32 = 200;
/// The pump also looks for new versions this often with no announcement at all, so a lost
/// LISTEN connection delays changes by seconds instead of hiding them.
const SAFETY_POLL: Duration = Duration::from_secs(5);
/// Pause after a failed read or a failed LISTEN before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Changes a slow follower may fall behind by before it re-reads from the table instead.
const BROADCAST_CAPACITY: usize = 1024;

/// What a follower receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveEvent {
    /// Sent first to a follower that came without a cursor: the position it starts after.
    Hello {
        position: i64,
    },
    Change(Published),
    /// Whether the database answers the pump: sent when that changes, and on joining while it
    /// does not, so pages can say why nothing arrives.
    Database {
        reachable: bool,
    },
}

/// A change as followers receive it: shared, and encoded as JSON once for all of them, where it
/// was cloned whole for each follower and encoded for each stream (at 10,000 streams that is
/// 10,000 copies of the row and its HTML per change).
#[derive(Clone, Debug)]
pub struct Published {
    change: Arc<Change>,
    json: Arc<str>,
}

impl Published {
    /// The change as the stream sends it.
    pub fn json(&self) -> &str {
        &self.json
    }
}

impl From<Change> for Published {
    fn from(change: Change) -> Self {
        // A change is plain data (strings, numbers, an id), which always encodes.
        let json = serde_json::to_string(&change).unwrap_or_default();
        Self {
            change: Arc::new(change),
            json: json.into(),
        }
    }
}

impl Deref for Published {
    type Target = Change;

    fn deref(&self) -> &Change {
        &self.change
    }
}

/// Two published changes are the same change; the JSON follows from it.
impl PartialEq for Published {
    fn eq(&self, other: &Self) -> bool {
        self.change == other.change
    }
}

impl Eq for Published {}

/// The process's publisher of changes. Cheap to clone; every clone is the same hub.
#[derive(Clone)]
pub struct LiveHub {
    inner: Arc<Hub>,
}

struct Hub {
    store: Store,
    changes: broadcast::Sender<(FollowKey, Published)>,
    /// The last version published; only the pump moves it.
    head: Mutex<FollowKey>,
    closed: watch::Sender<bool>,
    /// Whether the pump's last read of the table succeeded.
    reachable: watch::Sender<bool>,
}

/// The follower's browser went away, or the hub closed.
struct Gone;

impl LiveHub {
    /// Starts following the version table from its current end.
    pub async fn start(store: Store) -> Result<Self, StoreError> {
        // Listen before reading the head, so an append between the two is still announced.
        let appends = store.appends().await?;
        let head = store.follow_head().await?;
        let inner = Arc::new(Hub {
            store,
            changes: broadcast::channel(BROADCAST_CAPACITY).0,
            head: Mutex::new(head),
            closed: watch::channel(false).0,
            reachable: watch::channel(true).0,
        });
        tokio::spawn(Arc::clone(&inner).pump(appends));
        Ok(Self { inner })
    }

    /// The position of the last version published to followers.
    pub fn head(&self) -> i64 {
        self.inner.head().position
    }

    /// Everything after the version at position `after` (or, without a cursor, everything from
    /// now on), in the followers' order, each change once. The receiver ends when the hub closes.
    pub fn follow(&self, after: Option<i64>) -> mpsc::Receiver<LiveEvent> {
        let (events, receiver) = mpsc::channel(64);
        // Subscribe before catching up: whatever is published meanwhile waits in the channel
        // and is skipped if the catch-up already delivered it.
        let published = self.inner.changes.subscribe();
        let hub = Arc::clone(&self.inner);
        tokio::spawn(async move {
            let _ = hub.serve(after, published, events).await;
        });
        receiver
    }

    /// Stops the pump and ends every follower's stream, so a graceful shutdown is not held up by
    /// browsers that would otherwise stay connected forever.
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
    }
}

impl Hub {
    fn head(&self) -> FollowKey {
        *self
            .head
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn pump(self: Arc<Self>, mut appends: Appends) {
        let mut closed = self.closed.subscribe();
        loop {
            let woken = tokio::select! {
                woken = appends.next() => woken,
                () = tokio::time::sleep(SAFETY_POLL) => Ok(()),
                _ = closed.changed() => return,
            };
            // Returning drops the LISTEN connection, which a closing pool waits for.
            if self.store.is_closed() {
                return;
            }
            if let Err(error) = woken {
                tracing::warn!(%error, "lost the append announcements; retrying");
                tokio::time::sleep(RETRY_AFTER).await;
            }
            let published = self.publish_new().await;
            let reachable = published.is_ok();
            self.reachable.send_if_modified(|was| {
                let changed = *was != reachable;
                *was = reachable;
                changed
            });
            if let Err(error) = published {
                tracing::warn!(%error, "could not read new versions to publish; retrying");
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    }

    async fn publish_new(&self) -> Result<(), StoreError> {
        loop {
            let head = self.head();
            let batch = self.store.changes_after(head.position, BATCH).await?;
            let complete = batch.len() < BATCH as usize;
            for followed in batch {
                *self
                    .head
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = followed.key;
                // No subscribers is fine: nobody is watching right now.
                let _ = self
                    .changes
                    .send((followed.key, Change::from(followed.version).into()));
            }
            if complete {
                return Ok(());
            }
        }
    }

    async fn serve(
        &self,
        after: Option<i64>,
        mut published: broadcast::Receiver<(FollowKey, Published)>,
        events: mpsc::Sender<LiveEvent>,
    ) -> Result<(), Gone> {
        let mut closed = self.closed.subscribe();
        if *closed.borrow_and_update() {
            return Err(Gone);
        }
        let mut reachable = self.reachable.subscribe();
        // While the database is away, a follower waits with the news instead of failing its
        // catch-up, so its page says why nothing arrives rather than reconnecting again and again.
        if !*reachable.borrow_and_update() {
            send(&events, LiveEvent::Database { reachable: false }).await?;
            loop {
                tokio::select! {
                    Ok(()) = reachable.changed() => if *reachable.borrow_and_update() {
                        send(&events, LiveEvent::Database { reachable: true }).await?;
                        break;
                    },
                    _ = closed.changed() => return Err(Gone),
                    () = events.closed() => return Err(Gone),
                }
            }
        }
        let mut last = match after {
            Some(after) => self.catch_up(after, &events).await?,
            None => {
                let head = self.head();
                send(
                    &events,
                    LiveEvent::Hello {
                        position: head.position,
                    },
                )
                .await?;
                head
            }
        };
        loop {
            tokio::select! {
                received = published.recv() => match received {
                    Ok((key, change)) if key > last => {
                        last = key;
                        send(&events, LiveEvent::Change(change)).await?;
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        last = self.catch_up(last.position, &events).await?;
                    }
                    Err(broadcast::error::RecvError::Closed) => return Err(Gone),
                },
                Ok(()) = reachable.changed() => {
                    let reachable = *reachable.borrow_and_update();
                    send(&events, LiveEvent::Database { reachable }).await?;
                }
                _ = closed.changed() => return Err(Gone),
                () = events.closed() => return Err(Gone),
            }
        }
    }

    /// Sends what the table holds after the version at position `after`; returns the key of
    /// the last version sent (or of `after`'s, if there was nothing to send).
    async fn catch_up(
        &self,
        after: i64,
        events: &mpsc::Sender<LiveEvent>,
    ) -> Result<FollowKey, Gone> {
        let gone = |error: StoreError| {
            tracing::warn!(%error, "could not read versions for a reconnecting follower");
            // Ending the stream makes the browser reconnect and ask again.
            Gone
        };
        let mut last = self.store.follow_key(after).await.map_err(gone)?;
        loop {
            let batch = self
                .store
                .changes_after(last.position, BATCH)
                .await
                .map_err(gone)?;
            let complete = batch.len() < BATCH as usize;
            for followed in batch {
                last = followed.key;
                let change = Change::from(followed.version).into();
                send(events, LiveEvent::Change(change)).await?;
            }
            if complete {
                return Ok(last);
            }
        }
    }
}

async fn send(events: &mpsc::Sender<LiveEvent>, event: LiveEvent) -> Result<(), Gone> {
    events.send(event).await.map_err(|_| Gone)
}
