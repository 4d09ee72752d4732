//! `/tasks/new`: the create form on a page of its own; saving goes to the new task's page.

use leptos::prelude::*;

use super::task_list::CreateTaskForm;

#[component]
pub fn NewTaskPage() -> impl IntoView {
    view! {
        <section class="new-task" aria-labelledby="new-heading">
            <div class="page-heading">
                <h1 id="new-heading">"New task"</h1>
                <nav class="page-links" aria-label="Task pages">
                    <a href="/">"All tasks"</a>
                </nav>
            </div>
            <p class="lede">"Saving writes version 1. Every later change appends another version; none overwrites this one."</p>
            <CreateTaskForm stay_here=false />
        </section>
    }
}
