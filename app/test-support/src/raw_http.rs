//! The app on a real socket, and a deliberately small HTTP/1.1 client for it over a raw socket,
//! so tests send exactly the bytes they mean (broken escapes, control characters, odd headers)
//! and see whether the connection completes, which a full HTTP client would hide.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves `router` on a free local port until the test ends.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// The header lines of a request from a script: no browser headers, a JSON answer wanted.
pub const SCRIPT: &str = "Host: test\r\nAccept: application/json\r\n";
pub const FORM: &str = "application/x-www-form-urlencoded";

/// The bytes of a GET of `path`, closing the connection after the answer.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").into_bytes()
}

/// The bytes of a POST of `body` as `content_type`, with `headers` (whole lines, `Host` among
/// them), closing the connection after the answer.
pub fn post(path: &str, headers: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nConnection: close\r\n{headers}Content-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A form posted by a script.
pub fn form(path: &str, body: &str) -> Vec<u8> {
    post(path, SCRIPT, FORM, body)
}

/// A form posted by a browser with JavaScript off to `host`, which wants a page (so a write
/// answers with a redirect), with `headers` added (`Origin`, `Referer`, …).
pub fn browser_form(host: &str, path: &str, headers: &str, body: &str) -> Vec<u8> {
    let headers = format!("Host: {host}\r\nAccept: text/html\r\n{headers}");
    post(path, &headers, FORM, body)
}

/// What came back for one request, read to the end of the connection.
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Sends `request` (the bytes after the request line's path) and reads the whole answer. Fails
/// the test if the server drops the connection before a complete response.
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> Reply {
    try_exchange(addr, request)
        .await
        .unwrap_or_else(|error| panic!("{error}"))
}

/// Like `exchange`, but a failure to connect or an incomplete answer is returned, for tests
/// that expect the server to be gone at some point.
pub async fn try_exchange(addr: SocketAddr, request: &[u8]) -> Result<Reply, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|error| format!("connect: {error}"))?;
    stream
        .write_all(request)
        .await
        .map_err(|error| format!("send the request: {error}"))?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .map_err(|_| "no answer within 30 s".to_owned())?
        .map_err(|error| format!("the connection was reset: {error}"))?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("an incomplete response: {text:?}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status line: {head:?}"))?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok(Reply {
        status,
        head: head.to_owned(),
        body,
    })
}

fn dechunk(mut body: &str) -> String {
    let mut text = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        text.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    text
}
