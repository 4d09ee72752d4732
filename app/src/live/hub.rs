//! The server side of live updates: one pump per process publishes every committed version in
//! the order followers read the table (`FollowKey`: on PostgreSQL, by appending transaction and
//! then position, below the oldest running transaction); each connected browser gets a follower
//! that catches up from its own cursor and then forwards what the pump publishes.
//!
//! Followers take turns with the writers. A follower that has just sent waits a moment that
//! grows with the number of followers (`PACE_PER_FOLLOWER`) before it sends again, and sends at
//! most a share of `SENDS_PER_ROUND` changes at once; a follower further behind than its share
//! is sent one `Resync` instead, and its page reads itself again. With a few followers nothing
//! changes: each is sent every change as it comes. With 10,000, each is sent about one event a
//! second under a stream of writes, where it used to be sent every change: 10,000 socket writes
//! per append, which held appends to 2 % of their rate without followers.

use std::collections::VecDeque;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::Change;
use crate::store::{Appends, FollowKey, Store, StoreError};

/// How many versions one read of the table fetches while publishing or catching up.
const BATCH: u32 = 200;
/// The pump also looks for new versions this often with no announcement at all, so a lost
/// LISTEN connection delays changes by seconds instead of hiding them.
const SAFETY_POLL: Duration = Duration::from_secs(5);
/// Pause after a failed read or a failed LISTEN before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// The newest changes kept for followers to read. A follower further behind re-reads the table
/// (or, with many followers open, is told to resync).
const KEPT: usize = 1024;
/// Changes all followers together may be sent at once: each follower's share is this divided
/// by the number of followers.
const SENDS_PER_ROUND: usize = 10_000;
/// How long a follower waits after sending, for each follower open: 100 µs with one, a second
/// with 10,000.
const PACE_PER_FOLLOWER: Duration = Duration::from_micros(100);

/// What a follower receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveEvent {
    /// Sent first to a follower that came without a cursor: the position it starts after.
    Hello {
        position: i64,
    },
    Change(Published),
    /// The follower was further behind than its share of changes: it continues after
    /// `position`, and whatever it shows must be read again.
    Resync {
        position: i64,
    },
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
    kept: RwLock<Kept>,
    /// The last version published: only the pump moves it, and followers wait for it to move.
    head: watch::Sender<FollowKey>,
    /// How many followers are forwarding changes now.
    followers: AtomicUsize,
    closed: watch::Sender<bool>,
    /// Whether the pump's last read of the table succeeded.
    reachable: watch::Sender<bool>,
}

/// The newest changes published, in the followers' order.
struct Kept {
    /// The key just before the first change kept: a follower must have reached it to read on
    /// from here.
    after: FollowKey,
    changes: VecDeque<(FollowKey, Published)>,
}

/// What a follower is sent next.
enum Next {
    Changes(Vec<(FollowKey, Published)>),
    /// More than its share: one resync at this key.
    Resync(FollowKey),
    /// It is older than what is kept.
    Gap,
}

/// Counts a follower while it forwards changes.
struct Following<'a>(&'a AtomicUsize);

impl<'a> Following<'a> {
    fn join(followers: &'a AtomicUsize) -> Self {
        followers.fetch_add(1, Ordering::Relaxed);
        Self(followers)
    }
}

impl Drop for Following<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
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
            kept: RwLock::new(Kept {
                after: head,
                changes: VecDeque::with_capacity(KEPT),
            }),
            head: watch::channel(head).0,
            followers: AtomicUsize::new(0),
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
    /// now on), in the followers' order, each change once, or a `Resync` where the follower was
    /// further behind than its share (see the module's comment). The receiver ends when the hub
    /// closes.
    pub fn follow(&self, after: Option<i64>) -> mpsc::Receiver<LiveEvent> {
        let (events, receiver) = mpsc::channel(64);
        let hub = Arc::clone(&self.inner);
        tokio::spawn(async move {
            let _ = hub.serve(after, events).await;
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
        *self.head.borrow()
    }

    /// The changes one follower may be sent at once.
    fn share(&self) -> usize {
        (SENDS_PER_ROUND / self.followers.load(Ordering::Relaxed).max(1)).max(1)
    }

    /// How long a follower waits after sending.
    fn pace(&self) -> Duration {
        let followers = self.followers.load(Ordering::Relaxed);
        PACE_PER_FOLLOWER.saturating_mul(u32::try_from(followers).unwrap_or(u32::MAX))
    }

    fn next_after(&self, last: FollowKey, share: usize) -> Next {
        let kept = self.kept.read().unwrap_or_else(PoisonError::into_inner);
        if last < kept.after {
            return Next::Gap;
        }
        let start = kept.changes.partition_point(|(key, _)| *key <= last);
        match kept.changes.back() {
            Some((newest, _)) if kept.changes.len() - start > share => Next::Resync(*newest),
            _ => Next::Changes(kept.changes.range(start..).cloned().collect()),
        }
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
                let change = Change::from(followed.version).into();
                {
                    let mut kept = self.kept.write().unwrap_or_else(PoisonError::into_inner);
                    kept.changes.push_back((followed.key, change));
                    if kept.changes.len() > KEPT {
                        if let Some((oldest, _)) = kept.changes.pop_front() {
                            kept.after = oldest;
                        }
                    }
                }
                self.head.send_replace(followed.key);
            }
            if complete {
                return Ok(());
            }
        }
    }

    async fn serve(&self, after: Option<i64>, events: mpsc::Sender<LiveEvent>) -> Result<(), Gone> {
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
        let mut published = self.head.subscribe();
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
        let _following = Following::join(&self.followers);
        // After each send the follower rests, and wakes neither for what is published meanwhile
        // nor more than once per turn.
        let mut resting_until = None;
        loop {
            if resting_until.is_none() && *published.borrow_and_update() > last {
                last = self.forward(last, &events).await?;
                resting_until = Some(Instant::now() + self.pace());
                continue;
            }
            tokio::select! {
                moved = published.changed(), if resting_until.is_none() => if moved.is_err() {
                    return Err(Gone);
                },
                () = tokio::time::sleep_until(resting_until.unwrap_or_else(Instant::now)),
                    if resting_until.is_some() => resting_until = None,
                Ok(()) = reachable.changed() => {
                    let reachable = *reachable.borrow_and_update();
                    send(&events, LiveEvent::Database { reachable }).await?;
                }
                _ = closed.changed() => return Err(Gone),
                () = events.closed() => return Err(Gone),
            }
        }
    }

    /// Sends what was published after `last`: the changes, if they are within the follower's
    /// share, or else one resync. Returns the key it continues from.
    async fn forward(
        &self,
        last: FollowKey,
        events: &mpsc::Sender<LiveEvent>,
    ) -> Result<FollowKey, Gone> {
        let share = self.share();
        let resync = match self.next_after(last, share) {
            Next::Changes(changes) => {
                let mut last = last;
                for (key, change) in changes {
                    send(events, LiveEvent::Change(change)).await?;
                    last = key;
                }
                return Ok(last);
            }
            // With few followers, each still gets every change, read from the table.
            Next::Gap if share >= KEPT => return self.catch_up(last.position, events).await,
            Next::Gap => self.head(),
            Next::Resync(newest) => newest,
        };
        send(
            events,
            LiveEvent::Resync {
                position: resync.position,
            },
        )
        .await?;
        Ok(resync)
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
