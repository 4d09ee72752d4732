//! The name a browser last wrote under, kept in a cookie so every form starts with it. Read
//! synchronously on both sides (the request's `Cookie` header on the server, `document.cookie`
//! in the browser), so the server's HTML and the hydrated page agree. That is also why it cannot
//! be `HttpOnly`: the hydrating page reads it. It holds only a display name.

const NAME: &str = "actor";

/// Put in a request's extensions by the server when the browser reached it over https (directly
/// or through a proxy that says so), so cookies set in answer may be `Secure`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServedOverHttps(pub bool);

/// The `Set-Cookie` value that remembers `actor` for a year.
#[cfg(any(feature = "ssr", test))]
pub fn set_cookie(actor: &str, secure: bool) -> String {
    let value: String = form_urlencoded::byte_serialize(actor.as_bytes()).collect();
    let secure = if secure { "; Secure" } else { "" };
    format!("{NAME}={value}; Path=/; Max-Age=31536000; SameSite=Lax{secure}")
}

/// The remembered name in a `Cookie` header (`a=1; actor=ada%20l`), if any.
pub fn read(cookies: &str) -> Option<String> {
    value(cookies, NAME)
}

/// The decoded value of cookie `name` in a `Cookie` header, if present.
pub fn value(cookies: &str, name: &str) -> Option<String> {
    cookies.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| {
            form_urlencoded::parse(format!("v={value}").as_bytes())
                .map(|(_, value)| value.into_owned())
                .collect()
        })
    })
}

/// The value of this request's (or, in the browser, this page's) cookie `name`.
pub fn named(name: &str) -> Option<String> {
    cookies()
        .as_deref()
        .and_then(|cookies| value(cookies, name))
}

/// Sets a cookie from the page itself, for a preference the server should render with next
/// time (`cookie` is a whole `Set-Cookie`-style string).
#[cfg(feature = "hydrate")]
pub fn set_in_browser(cookie: &str) {
    use wasm_bindgen::JsCast;

    if let Ok(document) = leptos::prelude::document().dyn_into::<web_sys::HtmlDocument>() {
        let _ = document.set_cookie(cookie);
    }
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
        let cookie = set_cookie(name, false);
        assert!(!cookie.contains("Secure"));
        assert!(set_cookie(name, true).ends_with("; SameSite=Lax; Secure"));
        let value = cookie.split(';').next().unwrap();
        assert_eq!(read(&format!("theme=dark; {value}")).as_deref(), Some(name));
        assert_eq!(read("theme=dark"), None);
    }
}
