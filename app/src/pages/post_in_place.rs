//! A form that answers in place. Without JavaScript it is an ordinary form: the post lands on a
//! page the server draws with the outcome. With JavaScript the island posts the same form the
//! same way, follows the server's redirect to that page, and takes from it only the part of the
//! page the form lives in, so whatever else the page shows stays as it is (two editors' answers
//! side by side). The outcome is drawn once, by the server, for both; this island ships no view.

use leptos::prelude::*;

#[island]
pub fn PostInPlace(
    /// The element id of this part of the page: the same here and on the page the post lands
    /// on, which draws the outcome in it.
    id: String,
    /// Another part of the page, drawn again from the same landed page.
    #[prop(optional)]
    also: Option<String>,
    children: Children,
) -> impl IntoView {
    let on_submit = {
        let id = id.clone();
        move |event: leptos::ev::SubmitEvent| {
            #[cfg(feature = "hydrate")]
            {
                let Some(form) = crate::live::browser::take_over(&event) else {
                    return;
                };
                crate::live::browser::hold_buttons(&form, true);
                let (id, also) = (id.clone(), also.clone());
                leptos::task::spawn_local(async move {
                    use crate::live::browser::{replace_region, submit};
                    match submit(&form, "text/html").await {
                        Some((status, page)) if (200..300).contains(&status) => {
                            for region in std::iter::once(&id).chain(also.as_ref()) {
                                replace_region(region, &page);
                            }
                        }
                        // No answer, or not the page: post it the ordinary way, so the browser
                        // shows what the server says. The form's key makes a second post safe.
                        _ => {
                            let _ = form.submit();
                        }
                    }
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (event, &id, &also);
        }
    };
    view! { <div id=id class="post-in-place" on:submit=on_submit>{children()}</div> }
}
