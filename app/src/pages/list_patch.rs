//! The browser half of the live list: puts the row a change carries (drawn by the server) in
//! its place on the page, by the same rules and order as the SQL (`paging::patch_live_page`).
//! What the page shows is read back from the rows' attributes, so the page on screen is the
//! only state: a redraw from the server replaces it and nothing else needs to agree with it.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use super::submission::browser_key;
use super::task_list::{summary, ListRequest, LISTING_ID};
use crate::live::browser::{is_redrawing, redraw};
use crate::live::{Change, HIGHLIGHT_MS};
use crate::task::idempotency::FIELD;
use crate::task::paging::{patch_live_page, ListCursor, ListedRow, Patch};
use crate::task::TaskFilter;

/// Applies one change to the list on screen: moves, adds or removes its row, or draws the page
/// again when the change alone cannot say what the page now holds.
pub fn apply(request: &ListRequest, return_to: &str, change: &Change) {
    // A redraw under way may have been read before this change: it reads once more instead.
    if is_redrawing(LISTING_ID) {
        redraw(LISTING_ID, None, false);
        return;
    }
    let Ok(filter) =
        TaskFilter::from_query(&request.status, &request.sort, &request.q, &request.after)
    else {
        return;
    };
    let Some(list) = document()
        .query_selector(&format!("#{LISTING_ID} ul.task-list"))
        .ok()
        .flatten()
    else {
        // An empty page has no rows to place a new one among: the server draws it.
        redraw(LISTING_ID, None, false);
        return;
    };
    let shown: Option<Vec<(Element, ListedRow)>> = children(&list)
        .into_iter()
        .map(|row| listed(&row).map(|listed| (row, listed)))
        .collect();
    let fresh = change.html.as_deref().and_then(drawn_row);
    let latest = match &fresh {
        Some(row) => listed(row),
        None => Some(ListedRow {
            entity_id: change.entity_id,
            version: change.version,
            status: None,
            // A tombstone is never placed, so its sort key is never read.
            cursor: ListCursor {
                changed_at: chrono::DateTime::UNIX_EPOCH,
                priority: 0,
                due_date: None,
                entity_id: change.entity_id,
            },
        }),
    };
    let (Some(shown), Some(latest)) = (shown, latest) else {
        redraw(LISTING_ID, None, false);
        return;
    };
    let mut rows: Vec<ListedRow> = shown.iter().map(|(_, row)| row.clone()).collect();
    let had_next = list
        .get_attribute("data-next")
        .filter(|next| !next.is_empty());
    let mut next = had_next.clone();
    match patch_live_page(&filter, &mut rows, &mut next, &latest) {
        Patch::Unchanged => {}
        Patch::Refetch => redraw(LISTING_ID, None, false),
        // Whether there is a next page decides what the pager and the empty state show, which
        // the server draws.
        Patch::Applied if rows.is_empty() || next.is_some() != had_next.is_some() => {
            redraw(LISTING_ID, None, false);
        }
        Patch::Applied => {
            if let Some(fresh) = &fresh {
                prepare(fresh, return_to);
            }
            place(&list, &rows, &shown, fresh.as_ref(), latest.entity_id);
            let next = next.unwrap_or_default();
            let _ = list.set_attribute("data-next", &next);
            if let Some(link) = find(&format!("#{LISTING_ID} a[rel=next]")) {
                let _ = link.set_attribute("href", &request.href(&next));
            }
            if let Some(count) = find(&format!("#{LISTING_ID} .list-count")) {
                count.set_text_content(Some(&summary(rows.len(), !next.is_empty())));
            }
        }
    }
}

/// Puts the rows in `rows`' order, touching only those out of place (a row moved in the DOM
/// loses the focus it held), and removes the rest.
fn place(
    list: &Element,
    rows: &[ListedRow],
    shown: &[(Element, ListedRow)],
    fresh: Option<&Element>,
    changed: crate::task::EntityId,
) {
    for (index, row) in rows.iter().enumerate() {
        let element = match fresh {
            Some(fresh) if row.entity_id == changed => fresh,
            _ => match shown
                .iter()
                .find(|(_, shown)| shown.entity_id == row.entity_id)
            {
                Some((element, _)) => element,
                None => continue,
            },
        };
        let current = list.children().item(index as u32);
        if current.as_ref() != Some(element) {
            let _ = list.insert_before(element, current.as_deref());
        }
    }
    while list.children().length() as usize > rows.len() {
        if let Some(extra) = list.last_element_child() {
            extra.remove();
        }
    }
}

fn children(list: &Element) -> Vec<Element> {
    let rows = list.children();
    (0..rows.length())
        .filter_map(|index| rows.item(index))
        .collect()
}

fn find(selector: &str) -> Option<Element> {
    document().query_selector(selector).ok().flatten()
}

/// What a row's attributes say about it; `None` if one is missing or damaged.
fn listed(row: &Element) -> Option<ListedRow> {
    let attribute = |name: &str| row.get_attribute(name);
    Some(ListedRow {
        entity_id: attribute("data-entity-id")?.parse().ok()?,
        version: attribute("data-version")?.parse().ok()?,
        status: Some(attribute("data-status")?.parse().ok()?),
        cursor: attribute("data-cursor")?.parse().ok()?,
    })
}

/// The element the server's HTML for a row describes.
fn drawn_row(html: &str) -> Option<Element> {
    let holder = document().create_element("ul").ok()?;
    holder.set_inner_html(html);
    holder.first_element_child()
}

/// Gives a row drawn for every browser this page's own state: where its delete returns to, a
/// fresh idempotency key, and the highlight every change gets.
fn prepare(row: &Element, return_to: &str) {
    let set = |selector: &str, value: &str| {
        if let Ok(Some(input)) = row.query_selector(selector) {
            if let Ok(input) = input.dyn_into::<web_sys::HtmlInputElement>() {
                input.set_value(value);
                let _ = input.set_attribute("value", value);
            }
        }
    };
    set("input[name=return_to]", return_to);
    set(&format!("input[name={FIELD}]"), &browser_key());
    let _ = row.class_list().add_1("just-changed");
    let row = row.clone();
    set_timeout(
        move || {
            let _ = row.class_list().remove_1("just-changed");
        },
        Duration::from_millis(u64::from(HIGHLIGHT_MS)),
    );
}
