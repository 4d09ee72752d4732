//! The name a browser last wrote under, kept in a cookie so every form starts with it. Read
//! synchronously on both sides (the request's `Cookie` header on the server, `document.cookie`
//! in the browser), so the server's HTML and the hydrated page agree.

const NAME: &str = "actor";

/// The `Set-Cookie` value that remembers `actor` for a year.
#[cfg(any(feature = "ssr", test))]
pub fn set_cookie(actor: &str) -> String {
    let value: String = form_urlencoded::byte_serialize(actor.as_bytes()).collect();
    format!("{NAME}={value}; Path=/; Max-Age=31536000; SameSite=Lax")
}

/// The remembered name in a `Cookie` header (`a=1; actor=ada%20l`), if any.
pub fn read(cookies: &str) -> Option<String> {
    cookies.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == NAME).then(|| {
            form_urlencoded::parse(format!("v={value}").as_bytes())
                .map(|(_, value)| value.into_owned())
                .collect()
        })
    })
}

/// The name this browser last wrote under; blank if none.
pub fn remembered() -> String {
    cookies().as_deref().and_then(read).unwrap_or_default()
}

#[cfg(feature = "ssr")]
fn cookies() -> Option<String> {
    leptos::prelude::use_context::<http::request::Parts>()?
        .headers
        .get(http::header::COOKIE)?
        .to_str()
        .ok()
        .map(str::to_owned)
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn cookies() -> Option<String> {
    use wasm_bindgen::JsCast;

    leptos::prelude::document()
        .dyn_into::<web_sys::HtmlDocument>()
        .ok()?
        .cookie()
        .ok()
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn cookies() -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_survives_the_cookie_round_trip() {
        let name = "Ada Lovelace; admin=1 & co";
        let cookie = set_cookie(name);
        let value = cookie.split(';').next().unwrap();
        assert_eq!(read(&format!("theme=dark; {value}")).as_deref(), Some(name));
        assert_eq!(read("theme=dark"), None);
    }
}
