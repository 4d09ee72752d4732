//! Under the hood: what a change did in the database. A pane beside every page (toggled from
//! the header, remembered in a cookie) follows the newest change live and marks this browser's
//! own; `/under-the-hood/POSITION` shows any change as a page of its own, which is also where
//! the header's toggle leads without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{under_the_hood, HoodReport, HOOD_COOKIE, LAST_CHANGE_COOKIE};
use crate::actor_cookie;
use crate::lessons::StatementsRun;
use crate::pages::live_region::{Follows, LiveRegion};
use crate::pages::PageError;
use crate::time;

/// Whether the pane is open, as this browser last left it.
pub fn remembered_open() -> bool {
    actor_cookie::named(HOOD_COOKIE).as_deref() == Some("open")
}

/// The header's switch: a link to the page of the newest change, which with JavaScript opens
/// and closes the pane instead (and remembers the choice in a cookie the server reads).
#[island]
pub fn HoodToggle(open: bool) -> impl IntoView {
    let open = RwSignal::new(open);
    let toggle = move |event: leptos::ev::MouseEvent| {
        event.prevent_default();
        open.update(|open| *open = !*open);
        #[cfg(feature = "hydrate")]
        {
            let open = open.get_untracked();
            actor_cookie::set_in_browser(&format!(
                "{HOOD_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                if open { "open" } else { "closed" }
            ));
            if let Some(layout) = document().query_selector(".page-with-hood").ok().flatten() {
                let _ = layout.class_list().toggle_with_force("hood-open", open);
            }
            crate::live::browser::redraw(HOOD_REGION, Some("/under-the-hood"), true);
        }
    };
    view! {
        <a
            href="/under-the-hood"
            class="hood-toggle"
            aria-controls="hood-pane"
            aria-expanded=move || open.get().to_string()
            on:click=toggle
        >
            "Under the hood"
        </a>
    }
}

/// The id of the region the pane is drawn in.
const HOOD_REGION: &str = "hood-live";

/// The pane: the newest change, drawn by the server while the pane is open and again whenever
/// the board changes.
#[component]
pub fn HoodPane(open: bool) -> impl IntoView {
    let report = Resource::new(
        move || open,
        |open| async move {
            match open {
                true => under_the_hood(String::new()).await,
                false => Ok(None),
            }
        },
    );
    view! {
        // Drawn again from the page of the newest change, which has no side effects (this page's
        // own address may: a statistics refresh, say); a closed pane follows nothing.
        <LiveRegion id=HOOD_REGION.to_owned() follows=Follows::Board source="/under-the-hood".to_owned()>
            <aside id="hood-pane" class="hood-pane" aria-labelledby="hood-heading" hidden=!open data-dormant=(!open).then_some("")>
                <h2 id="hood-heading">"Under the hood"</h2>
                <p class="hood-lede">"The newest change to the board, as the database saw it."</p>
                <Suspense fallback=|| view! { <p class="loading">"Reading the log…"</p> }>
                    {move || Suspend::new(async move {
                        match report.await {
                            Ok(Some(report)) => view! { <HoodView report /> }.into_any(),
                            Ok(None) if open => view! { <p>"The log is empty: no change yet."</p> }.into_any(),
                            Ok(None) => ().into_any(),
                            Err(error) => view! { <PageError error /> }.into_any(),
                        }
                    })}
                </Suspense>
            </aside>
        </LiveRegion>
    }
}

/// `/under-the-hood` (the newest change) and `/under-the-hood/POSITION`.
#[component]
pub fn HoodPage() -> impl IntoView {
    let params = use_params_map();
    let at = move || params.read().get("position").unwrap_or_default();
    let report = Resource::new(at, under_the_hood);
    view! {
        <section class="learn hood-page" aria-labelledby="hood-page-heading">
            <div class="page-heading">
                <h1 id="hood-page-heading">"Under the hood"</h1>
                <nav class="page-links" aria-label="Learn pages">
                    <a href="/learn">"All patterns"</a>
                </nav>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Reading the log…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(Some(report)) => view! {
                            <nav class="hood-steps" aria-label="Changes">
                                {report.older.map(|older| view! { <a href=format!("/under-the-hood/{older}") rel="prev">"← Older change"</a> })}
                                {report.newer.map(|newer| view! { <a href=format!("/under-the-hood/{newer}") rel="next">"Newer change →"</a> })}
                            </nav>
                            <HoodView report />
                        }
                        .into_any(),
                        Ok(None) => view! { <p>"The log holds no change there."</p> }.into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn HoodView(report: HoodReport) -> impl IntoView {
    let version = &report.appended;
    let position = version.position;
    let yours = actor_cookie::named(LAST_CHANGE_COOKIE)
        .and_then(|raw| raw.parse::<i64>().ok())
        .map(|mine| (mine, mine == position));
    let whose = match yours {
        Some((_, true)) => {
            view! { <p class="hood-yours">"This is your last change."</p> }.into_any()
        }
        Some((mine, false)) => view! {
            <p class="hood-yours">
                <a href=format!("/under-the-hood/{mine}")>{format!("Your last change: #{mine}")}</a>
            </p>
        }
        .into_any(),
        None => ().into_any(),
    };
    let heading = format!(
        "Change #{position}: {} version {} of “{}” by {}",
        version.op.as_str(),
        version.version,
        version.fields.title.as_str(),
        version.actor.as_str(),
    );
    let statements = match report.statements {
        Some(statements) => {
            let alone = statements
                .first()
                .is_some_and(|first| !first.sql.starts_with("BEGIN"));
            let alone = alone.then(|| {
                view! {
                    <p class="hood-alone">
                        "No BEGIN and no COMMIT: each statement committed on its own, and nothing "
                        "was locked between reading the latest version and inserting the next. A "
                        "writer that had appended in between would have made the INSERT fail on "
                        <code>"UNIQUE (entity_id, version)"</code> "."
                    </p>
                }
            });
            view! { <StatementsRun statements /> {alone} }.into_any()
        }
        None => view! {
            <h2>"The SQL the store ran"</h2>
            <p class="hood-missing">
                "Another server process made this change, or this one has restarted since: the "
                "statements are kept by the process that ran them. Its row and its effect on the "
                "read model are below, read from the log."
            </p>
        }
        .into_any(),
    };
    let appended = [
        ("position", version.position.to_string()),
        ("id", version.id.to_string()),
        ("entity_id", version.entity_id.to_string()),
        ("version", version.version.to_string()),
        ("op", version.op.as_str().to_owned()),
        ("title", version.fields.title.as_str().to_owned()),
        ("status", version.fields.status.as_str().to_owned()),
        ("recorded_at", time::exact(version.recorded_at)),
        ("actor", version.actor.as_str().to_owned()),
        ("prev_hash", version.prev_hash.clone().unwrap_or_else(|| "NULL".to_owned())),
        ("hash", version.hash.clone()),
    ]
    .into_iter()
    .map(|(column, value)| view! { <tr><th scope="row">{column}</th><td><code>{value}</code></td></tr> })
    .collect_view();
    let before = report.read_model_before.unwrap_or_default();
    let read_model = report
        .read_model_after
        .into_iter()
        .map(|(column, after)| {
            let was = before
                .iter()
                .find(|(name, _)| *name == column)
                .map(|(_, value)| value.clone());
            let changed = was.as_ref() != Some(&after);
            view! {
                <tr class:hood-changed=changed>
                    <th scope="row">{column}</th>
                    <td><code>{was.unwrap_or_else(|| "(no row)".to_owned())}</code></td>
                    <td><code>{after}</code></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <article class="hood-change">
            <h2>{heading}</h2>
            {whose}
            <p>
                <a href=format!("/tasks/{}/history", version.entity_id)>"The task's history"</a>
                " · "
                <a href=format!("/under-the-hood/{position}")>"This change as a page"</a>
            </p>
            {statements}
            <h2>"The row appended to " <code>"task_versions"</code></h2>
            <table class="hood-row"><tbody>{appended}</tbody></table>
            <h2>"The read model's row (" <code>"task_current"</code> "), written by the trigger"</h2>
            <table class="hood-read-model">
                <thead><tr><th scope="col">"column"</th><th scope="col">"before"</th><th scope="col">"after"</th></tr></thead>
                <tbody>{read_model}</tbody>
            </table>
            <h2>"The announcement"</h2>
            <p class="hood-announcement">{report.announcement}</p>
        </article>
    }
}
