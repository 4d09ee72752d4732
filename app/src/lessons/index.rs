//! `/learn`: the course's patterns, each shown on the app's own data, and where each one lives in
//! the app.

use leptos::prelude::*;

#[component]
pub fn LearnPage() -> impl IntoView {
    view! {
        <section class="learn" aria-labelledby="learn-heading">
            <div class="page-heading">
                <h1 id="learn-heading">"Learn: the patterns in this app"</h1>
            </div>
            <p class="lede">
                "Each pattern of immutable database design, and where to see it working on the "
                "tasks in this database. Everything runs on the live data, on SQLite or PostgreSQL."
            </p>
            <dl class="learn-list">
                <dt><a href="/database">"Append-only log"</a></dt>
                <dd>
                    "Every change appends a row to " <code>"task_versions"</code> "; triggers (and, on "
                    "PostgreSQL, revoked privileges) refuse UPDATE, DELETE and TRUNCATE. The database "
                    "page reads the guards from the catalog and lets you try to get past them."
                </dd>
                <dt><a href="/learn/replay">"Event sourcing and replay"</a></dt>
                <dd>
                    "The log is the source of truth. Rebuild the current state from it alone, up to "
                    "now or any earlier position, and check it against the read model."
                </dd>
                <dt><a href="/learn/idempotency">"Idempotent retries"</a></dt>
                <dd>
                    "Every write form carries a key; submitting it twice appends once. Send one "
                    "form twice and see both answers name the same version."
                </dd>
                <dt><a href="/learn/temporal">"Temporal queries"</a></dt>
                <dd>
                    "Each version is valid from its " <code>"recorded_at"</code> " until the next "
                    "one's: a view shows the periods and the board at any change, read two ways. "
                    "The time-travel control under the task list shows the whole board as it was at "
                    "any instant; each task's history steps through its versions."
                </dd>
                <dt><a href="/learn/two-times">"Valid time and recorded time"</a></dt>
                <dd>
                    "A version states since when it held, beside when it was recorded: late news "
                    "and corrections of the past append, never rewrite. The board at a moment, as "
                    "known now and as the log said it then, with the SQL of both."
                </dd>
                <dt><a href="/learn/snapshots">"Snapshots"</a></dt>
                <dd>
                    "The board at a change, stored every N changes; the past read from the nearest "
                    "snapshot plus the versions after it, against a fold of the whole log."
                </dd>
                <dt><a href="/activity">"The event log"</a></dt>
                <dd>"The version table read as a feed of changes, newest first, paged by position."</dd>
                <dt><a href="/learn/cqrs">"Read model kept by a trigger (CQRS)"</a></dt>
                <dd>
                    <code>"task_current"</code> " holds one row per task and is written only by a "
                    "trigger, in the same transaction as the append; the list pages read it, so they "
                    "cost O(tasks), not O(versions). A rule on it refuses the append itself."
                </dd>
                <dt><a href="/learn/concurrency">"Optimistic concurrency"</a></dt>
                <dd>
                    <code>"UNIQUE (entity_id, version)"</code> " lets only one of two editors who "
                    "started from the same version save: two editors of one task side by side. "
                    "Open a task's edit page in two tabs and save both to see the conflict screen."
                </dd>
                <dt><a href="/learn/statistics">"Materialized views"</a></dt>
                <dd>
                    "The board's statistics (tasks per status, changes per day and per person, "
                    "median time to done) stored by a materialized view on PostgreSQL, a rebuilt "
                    "table on SQLite: cheap to read, as stale as the last refresh, and the page says "
                    "by how much."
                </dd>
            </dl>
        </section>
    }
}
