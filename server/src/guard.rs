//! What stands between the open internet and the app: writes only from the app's own pages,
//! input refused unless it reads exactly as sent, the response headers a security review
//! expects, and a panic turned into a page instead of a dropped connection. Each is one tower
//! layer, applied once in `protect`; none of them knows about tasks.

use std::any::Any;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::actor_cookie::ServedOverHttps;

/// A browser origin, `scheme://host[:port]`, as the `Origin` header spells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicOrigin {
    scheme: String,
    /// `host[:port]`, lower-cased.
    authority: String,
}

impl PublicOrigin {
    /// Reads `https://tasks.example.org` (a trailing slash is tolerated; a path, query or
    /// credentials are not: they are not part of an origin).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let must = "must be an origin like https://tasks.example.org (scheme and host, no path)";
        let trimmed = raw.trim().trim_end_matches('/');
        let (scheme, authority) = trimmed
            .split_once("://")
            .ok_or_else(|| format!("{must}, not {raw:?}"))?;
        let scheme = scheme.to_ascii_lowercase();
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
        if !matches!(scheme.as_str(), "http" | "https")
            || authority.is_empty()
            || !authority.chars().all(plain)
        {
            return Err(format!("{must}, not {raw:?}"));
        }
        Ok(Self {
            scheme,
            authority: authority.to_ascii_lowercase(),
        })
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    /// As the `Origin` header spells it.
    pub fn as_header(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }
}

/// Whose pages may send writes: the app's own origin (the configured public one, or the host
/// addressed), and for the JSON API also the origins an operator allowed (CORS).
#[derive(Clone, Debug, Default)]
pub struct WriteOrigins {
    pub public: Option<PublicOrigin>,
    pub api: Vec<PublicOrigin>,
}

/// Refuses any state-changing request that a browser sent from another site's page.
///
/// Browsers say where a request comes from: `Sec-Fetch-Site` (every current browser), else
/// `Origin` (sent with every cross-origin request and every POST), else `Referer`. A request
/// carrying none of them did not come from a browser page (curl, a script), so it cannot be a
/// forged cross-site request and is let through.
pub async fn same_origin_writes(
    State(origins): State<Arc<WriteOrigins>>,
    mut request: Request,
    next: Next,
) -> Response {
    let public = &origins.public;
    let https = match public.as_ref() {
        Some(origin) => origin.is_https(),
        None => forwarded_https(&request),
    };
    request.extensions_mut().insert(ServedOverHttps(https));
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    match write_source(&request, public.as_ref()) {
        Source::ThisSite | Source::NotABrowser => next.run(request).await,
        Source::Elsewhere(_) if allowed_api_caller(&request, &origins.api) => {
            next.run(request).await
        }
        Source::Elsewhere(from) => {
            tracing::warn!(method = %request.method(), path = %request.uri().path(), %from, "refused a cross-site write");
            (
                StatusCode::FORBIDDEN,
                format!(
                    "Refused: this request to change data came from another site ({from}). \
                     Changes are accepted only from this app's own pages; nothing was written.\n"
                ),
            )
                .into_response()
        }
    }
}

/// A call to the JSON API from an origin the operator allowed (and the browser's CORS check let
/// through: a cross-origin JSON write is preflighted, and the preflight names the allowed
/// origins only).
fn allowed_api_caller(request: &Request, allowed: &[PublicOrigin]) -> bool {
    request.uri().path().starts_with("/api/v1/")
        && header_text(request, &header::ORIGIN).is_some_and(|origin| {
            origin_of(origin).is_some_and(|(scheme, authority)| {
                allowed
                    .iter()
                    .any(|ok| ok.scheme == scheme && ok.authority == authority)
            })
        })
}

enum Source {
    ThisSite,
    NotABrowser,
    Elsewhere(String),
}

fn header_text<'a>(request: &'a Request, name: &HeaderName) -> Option<&'a str> {
    request
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap_or("\u{fffd}"))
}

fn write_source(request: &Request, public: Option<&PublicOrigin>) -> Source {
    match header_text(request, &HeaderName::from_static("sec-fetch-site")) {
        // "none": typed into the address bar or opened from a bookmark; only a person does that.
        Some("same-origin" | "none") => return Source::ThisSite,
        Some(other) => return Source::Elsewhere(format!("Sec-Fetch-Site: {other}")),
        None => {}
    }
    let (name, value) = match (
        header_text(request, &header::ORIGIN),
        header_text(request, &header::REFERER),
    ) {
        (Some(origin), _) => ("Origin", origin),
        (None, Some(referer)) => ("Referer", referer),
        (None, None) => return Source::NotABrowser,
    };
    let Some((scheme, authority)) = origin_of(value) else {
        return Source::Elsewhere(format!("{name}: {value}"));
    };
    let same = match public {
        Some(public) => public.scheme == scheme && public.authority == authority,
        // Without a configured origin, the host the browser addressed is the app's.
        None => header_text(request, &header::HOST)
            .is_some_and(|host| host.eq_ignore_ascii_case(&authority)),
    };
    if same {
        Source::ThisSite
    } else {
        Source::Elsewhere(format!("{name}: {value}"))
    }
}

/// `(scheme, host[:port])` of an absolute URL; `None` for `null` or anything unreadable.
fn origin_of(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some((scheme.to_ascii_lowercase(), authority.to_ascii_lowercase()))
}

/// Behind a TLS-terminating proxy that says so.
fn forwarded_https(request: &Request) -> bool {
    header_text(request, &HeaderName::from_static("x-forwarded-proto"))
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// Refuses input that cannot be read exactly as sent, before any handler sees it: a query
/// string or form body with a broken percent-escape (`%`, `%ZZ`) or escapes that do not decode
/// to UTF-8 (`%FF`), which the form decoder would otherwise keep literally or replace with
/// U+FFFD, storing something nobody typed; and a server-function call that is not a form.
pub async fn well_formed_input(request: Request, next: Next) -> Response {
    if let Some(problem) = request
        .uri()
        .query()
        .and_then(|query| misencoding(query.as_bytes()))
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("The query string {problem}."),
        );
    }
    // The JSON API (`/api/v1`) reads its own media types and answers in problem details.
    let path = request.uri().path();
    let server_function = request.method() == Method::POST
        && path.starts_with("/api/")
        && !path.starts_with("/api/v1/");
    if !server_function {
        return next.run(request).await;
    }
    let content_type = header_text(&request, &header::CONTENT_TYPE).unwrap_or("nothing");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Send the fields as a form (application/x-www-form-urlencoded), not {content_type}."),
        );
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::BODY_LIMIT_BYTES).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The request body is larger than {} KB, or was cut short.",
                crate::BODY_LIMIT_BYTES / 1024
            ),
        );
    };
    if let Some(problem) = misencoding(&bytes) {
        return refuse(StatusCode::BAD_REQUEST, format!("The form {problem}."));
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn refuse(status: StatusCode, message: String) -> Response {
    (status, message + " Nothing was written.\n").into_response()
}

/// What is wrong with URL-encoded text, if anything.
fn misencoding(encoded: &[u8]) -> Option<String> {
    let mut decoded = Vec::with_capacity(encoded.len());
    let mut bytes = encoded.iter().enumerate();
    while let Some((at, &byte)) = bytes.next() {
        decoded.push(match byte {
            b'%' => {
                let hex = |b: Option<(usize, &u8)>| b.and_then(|(_, b)| (*b as char).to_digit(16));
                match (hex(bytes.next()), hex(bytes.next())) {
                    (Some(high), Some(low)) => (high * 16 + low) as u8,
                    _ => {
                        return Some(format!(
                            "has a % at byte {at} that is not followed by two hexadecimal digits"
                        ))
                    }
                }
            }
            other => other,
        });
    }
    std::str::from_utf8(&decoded).err().map(|error| {
        format!(
            "does not decode to UTF-8 text (bad byte {} once decoded)",
            error.valid_up_to()
        )
    })
}

/// The policy for responses that set none of their own. Pages set a stricter one with a fresh
/// nonce for their hydration scripts (`page_security_policy`); this one covers everything else
/// (files, errors, server-function answers), where no script may run at all.
const DEFAULT_POLICY: &str = "default-src 'self'; script-src 'none'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The Content-Security-Policy of a rendered page: inline scripts run only if they carry this
/// response's nonce (the hydration loader and the data Leptos inlines); script files only from
/// this site (the bundle, which Leptos also preloads by a link that carries no nonce); and the
/// wasm they instantiate.
pub fn page_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Headers every response carries.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(DEFAULT_POLICY));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// The page a client gets when a handler panicked: the request is answered, the panic logged.
/// Every write is one transaction that commits last, so a panic leaves no partial change.
pub fn panic_page(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request handler panicked");
    let mut response = Response::new(Body::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Something went wrong</title></head><body><h1>Something went wrong</h1>\
         <p>The server hit a fault while answering and has logged it. Nothing was lost: a change \
         is either saved whole or not at all. <a href=\"/\">Back to the tasks</a></p></body></html>",
    ));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut request = Request::post("/api/create_task");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(Body::empty()).unwrap()
    }

    fn allowed(headers: &[(&str, &str)], public: Option<&str>) -> bool {
        let public = public.map(|raw| PublicOrigin::parse(raw).unwrap());
        !matches!(
            write_source(&post(headers), public.as_ref()),
            Source::Elsewhere(_)
        )
    }

    #[test]
    fn a_write_from_the_addressed_host_passes_and_one_from_elsewhere_does_not() {
        let host = ("host", "127.0.0.1:3000");
        assert!(allowed(&[host, ("origin", "http://127.0.0.1:3000")], None));
        assert!(allowed(
            &[host, ("referer", "http://127.0.0.1:3000/tasks")],
            None
        ));
        assert!(!allowed(&[host, ("origin", "http://evil.example")], None));
        assert!(!allowed(&[host, ("origin", "null")], None));
        assert!(!allowed(
            &[host, ("referer", "http://127.0.0.1:3000.evil.example/")],
            None
        ));
        assert!(!allowed(
            &[host, ("origin", "http://user@127.0.0.1:3000")],
            None
        ));
    }

    #[test]
    fn the_fetch_metadata_header_wins_over_origin() {
        let host = ("host", "127.0.0.1:3000");
        let same = ("origin", "http://127.0.0.1:3000");
        assert!(!allowed(
            &[host, same, ("sec-fetch-site", "cross-site")],
            None
        ));
        assert!(!allowed(
            &[host, same, ("sec-fetch-site", "same-site")],
            None
        ));
        assert!(allowed(&[host, ("sec-fetch-site", "same-origin")], None));
    }

    #[test]
    fn behind_a_proxy_the_configured_origin_is_compared_not_the_host() {
        let public = Some("https://tasks.example.org/");
        let proxied = ("host", "10.0.0.5:3000");
        assert!(allowed(
            &[proxied, ("origin", "https://tasks.example.org")],
            public
        ));
        assert!(!allowed(
            &[proxied, ("origin", "http://tasks.example.org")],
            public
        ));
        assert!(!allowed(
            &[proxied, ("origin", "http://10.0.0.5:3000")],
            public
        ));
    }

    #[test]
    fn a_request_without_any_browser_header_is_not_a_forgery() {
        assert!(allowed(&[("host", "127.0.0.1:3000")], None));
    }

    #[test]
    fn broken_percent_escapes_and_non_utf8_are_found_and_good_text_is_not() {
        assert_eq!(misencoding(b"title=caf%C3%A9+%26+tea&x=%2F"), None);
        for bad in [
            &b"title=%"[..],
            b"title=%Z1",
            b"a=%4",
            b"a=%FF",
            b"a=%C3%28",
        ] {
            assert!(
                misencoding(bad).is_some(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_public_origin_must_be_just_an_origin() {
        assert!(PublicOrigin::parse("https://tasks.example.org")
            .unwrap()
            .is_https());
        for bad in [
            "tasks.example.org",
            "ftp://x",
            "https://x/path",
            "https://",
            "https://a b",
        ] {
            assert!(PublicOrigin::parse(bad).is_err(), "{bad}");
        }
    }
}
