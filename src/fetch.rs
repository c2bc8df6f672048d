//! HTTP: one polite client, conditional GET, and hard limits on every response.
//!
//! The fetcher owns the wire: the User-Agent, timeouts (connect and total, the total
//! holding even against a server that drips one byte a second), the body cap counted
//! *after* decompression while streaming, and the ETag / Last-Modified validators.
//! It returns bytes and headers; it never decides what an item is.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;
use url::Url;

use crate::config::PollConfig;
use crate::model::Validators;

/// What a fetch brought back.
#[derive(Debug)]
pub enum Fetched {
    /// 304: nothing changed since the validators were issued.
    NotModified,
    /// A 2xx response with its whole body.
    Body(Box<Response>),
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// The URL after redirects.
    pub url: Url,
    pub body: Bytes,
    pub content_type: Option<String>,
    pub validators: Validators,
    pub elapsed: Duration,
}

/// Why a fetch failed. Each message reads on its own after "source X (URL): ".
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("no complete response within {0:?}")]
    Timeout(Duration),
    #[error("HTTP {status}{}", reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default())]
    Status { status: u16, reason: Option<String> },
    #[error("the body is larger than the limit of {limit} bytes (counted after decompression)")]
    TooLarge { limit: u64 },
    #[error("too many redirects")]
    Redirects,
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("{0}")]
    Other(String),
}

impl FetchError {
    /// A short, stable name for metrics and `/status`.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Timeout(_) => "timeout",
            FetchError::Status { .. } => "http_status",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Redirects => "redirects",
            FetchError::Connect(_) => "connect",
            FetchError::Other(_) => "fetch",
        }
    }

    /// The HTTP status, when the server gave one.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    fn from_reqwest(e: reqwest::Error, timeout: Duration) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(timeout)
        } else if e.is_redirect() {
            FetchError::Redirects
        } else if e.is_connect() {
            FetchError::Connect(error_chain(&e))
        } else {
            FetchError::Other(error_chain(&e))
        }
    }
}

/// reqwest's top-level message is vague ("error sending request"); the cause says why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = c.source();
    }
    parts.join(": ")
}

/// The one HTTP client of the process.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_body: u64,
}

/// rustls needs a process-wide crypto provider; loa uses ring (aws-lc-rs would add
/// a minute to every cold build). Installing twice is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    pub fn new(poll: &PollConfig) -> Result<Fetcher, FetchError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(poll.user_agent.clone())
            .connect_timeout(poll.timeout.min(Duration::from_secs(10)))
            .timeout(poll.timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| FetchError::Other(format!("cannot build the HTTP client: {}", error_chain(&e))))?;
        Ok(Fetcher { client, timeout: poll.timeout, max_body: poll.max_body })
    }

    /// GETs `url`, conditionally when validators are given.
    pub async fn get(&self, url: &Url, validators: Option<&Validators>) -> Result<Fetched, FetchError> {
        // reqwest's own timeout covers the body too, but a second, outer one makes the
        // total limit independent of how the body is read.
        match tokio::time::timeout(self.timeout, self.get_inner(url, validators)).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout(self.timeout)),
        }
    }

    async fn get_inner(&self, url: &Url, validators: Option<&Validators>) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        let mut req = self.client.get(url.clone()).header(
            header::ACCEPT,
            "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5",
        );
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                req = req.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                req = req.header(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let resp = req.send().await.map_err(|e| FetchError::from_reqwest(e, self.timeout))?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                reason: status.canonical_reason().map(str::to_string),
            });
        }
        let final_url = resp.url().clone();
        let headers = resp.headers().clone();
        if let Some(len) = resp.content_length() {
            // Only a hint: the length is of the encoded body, and may lie.
            if len > self.max_body && !is_compressed(&headers) {
                return Err(FetchError::TooLarge { limit: self.max_body });
            }
        }
        let mut body = BytesMut::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| FetchError::from_reqwest(e, self.timeout))?;
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(FetchError::TooLarge { limit: self.max_body });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body(Box::new(Response {
            status: status.as_u16(),
            url: final_url,
            body: body.freeze(),
            content_type: header_str(&headers, header::CONTENT_TYPE),
            validators: Validators {
                etag: header_str(&headers, header::ETAG),
                last_modified: header_str(&headers, header::LAST_MODIFIED),
            },
            elapsed: started.elapsed(),
        })))
    }
}

fn is_compressed(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_ENCODING).is_some()
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_string)
}
