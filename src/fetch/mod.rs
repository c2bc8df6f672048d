//! HTTP: one polite client, conditional GET, and hard limits on every response.
//!
//! The fetcher owns the wire: the User-Agent, timeouts (connect and total, the total
//! holding even against a server that drips one byte a second), redirects followed
//! by hand (so that only a chain of permanent ones moves a source), the body cap
//! counted *after* decompression while streaming, the validators and caching
//! headers, the decoding of the body to UTF-8 (`charset`), and what a source may
//! reach and the credentials it carries (`reach`). It returns text and headers; it
//! never decides what an item is.

pub mod charset;
pub mod reach;

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;
use url::Url;

use crate::config::{Auth, PollConfig};
use crate::model::Validators;

/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;

/// What a fetch brought back.
#[derive(Debug)]
pub enum Fetched {
    /// 304: nothing changed since the validators were issued.
    NotModified {
        /// Where a chain of permanent redirects now points, if it moved.
        moved_to: Option<Url>,
        cache_for: Option<Duration>,
    },
    /// A 2xx response with its whole body.
    Body(Box<Response>),
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// The URL after redirects.
    pub url: Url,
    /// Where a chain of permanent (301/308) redirects now points, if it moved.
    pub moved_to: Option<Url>,
    /// The body, decoded to UTF-8.
    pub text: String,
    /// Bytes received, after decompression.
    pub bytes: usize,
    pub validators: Validators,
    /// How long the server asks clients to wait (Cache-Control max-age, Expires).
    pub cache_for: Option<Duration>,
}

/// Why a fetch failed. Each message reads on its own after "source X (URL): ".
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("no complete response within {0:?}")]
    Timeout(Duration),
    #[error("HTTP {status}{}{}", reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default(), retry_after.map(|d| format!(" (asked to retry after {}s)", d.as_secs())).unwrap_or_default())]
    Status { status: u16, reason: Option<String>, retry_after: Option<Duration> },
    #[error("HTTP 410 Gone: the source was removed; polling stopped until the config changes")]
    Gone,
    #[error("the body is larger than the limit of {limit} bytes (counted after decompression)")]
    TooLarge { limit: u64 },
    #[error("more than {MAX_REDIRECTS} redirects (last to {0})")]
    Redirects(String),
    #[error("redirect loop back to {0}")]
    RedirectLoop(String),
    #[error("a redirect without a usable Location header")]
    BadRedirect,
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("refused: {0}; a source may lead loa to a non-public address only when its configured URL is on it")]
    Blocked(reach::Refused),
    #[error("refused: {url} is not on {host}, the host the article's listing is on")]
    OffHost { url: String, host: String },
    #[error("{0}")]
    Credentials(#[from] crate::config::CredentialError),
    #[error("{0}")]
    Charset(#[from] charset::CharsetError),
    #[error("{0}")]
    Other(String),
}

impl FetchError {
    /// A short, stable name for metrics and `/status`.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Timeout(_) => "timeout",
            FetchError::Status { .. } => "http_status",
            FetchError::Gone => "gone",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Redirects(_) | FetchError::RedirectLoop(_) | FetchError::BadRedirect => "redirects",
            FetchError::Connect(_) => "connect",
            FetchError::Blocked(_) | FetchError::OffHost { .. } => "blocked_address",
            FetchError::Credentials(_) => "credentials",
            FetchError::Charset(_) => "legacy_encoding",
            FetchError::Other(_) => "fetch",
        }
    }

    /// The HTTP status, when the server gave one.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            FetchError::Gone => Some(410),
            _ => None,
        }
    }

    /// How long the server asked to wait (429 and 503 with Retry-After).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A response that is not a success, with its reason phrase.
    fn from_status(status: StatusCode, retry_after: Option<Duration>) -> FetchError {
        FetchError::Status {
            status: status.as_u16(),
            reason: status.canonical_reason().map(str::to_string),
            retry_after,
        }
    }

    fn from_reqwest(e: reqwest::Error, timeout: Duration) -> FetchError {
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            if let Some(refused) = c.downcast_ref::<reach::Refused>() {
                return FetchError::Blocked(refused.clone());
            }
            cause = c.source();
        }
        if e.is_timeout() {
            FetchError::Timeout(timeout)
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

/// The HTTP client of the process: one for public addresses, and one more for each
/// set of non-public addresses that configured URLs are on.
#[derive(Clone)]
pub struct Fetcher {
    public: reqwest::Client,
    private: Arc<Mutex<HashMap<BTreeSet<IpAddr>, reqwest::Client>>>,
    user_agent: String,
    timeout: Duration,
    max_body: u64,
}

/// Clients kept for configured URLs on non-public addresses; past this many (a
/// name whose addresses keep changing), they are built afresh.
const PRIVATE_CLIENTS: usize = 64;

/// What the fetches of one source (or hub) may reach, and the credentials they
/// carry: made by `Fetcher::reach` from the configured URL.
#[derive(Clone)]
pub struct Reach {
    client: reqwest::Client,
    allowed: reach::Allowed,
    /// Credentials are sent to the configured URL's origin only.
    origin: url::Origin,
    authorization: Option<reqwest::header::HeaderValue>,
    /// Every hop stays on this site (the articles of an HTML listing).
    host: Option<String>,
}

impl Reach {
    /// The same reach, with every hop kept on `url`'s host.
    pub fn on_host_of(&self, url: &Url) -> Reach {
        Reach { host: Some(url.host_str().unwrap_or("").to_ascii_lowercase()), ..self.clone() }
    }

    /// Refuses a hop that leaves the host or reaches a non-public literal address.
    fn check(&self, url: &Url) -> Result<(), FetchError> {
        if let Some(host) = &self.host {
            if !url.host_str().is_some_and(|h| same_site(h, host)) {
                return Err(FetchError::OffHost { url: url.to_string(), host: host.clone() });
            }
        }
        reach::check_literal(url, &self.allowed).map_err(FetchError::Blocked)
    }
}

/// Whether two hosts are one site: the same name, with or without `www.` (portals
/// link and redirect between the two forms freely).
pub fn same_site(a: &str, b: &str) -> bool {
    let bare = |h: &str| {
        let h = h.to_ascii_lowercase();
        h.strip_prefix("www.").map(str::to_string).unwrap_or(h)
    };
    bare(a) == bare(b)
}

/// rustls needs a process-wide crypto provider; loa uses ring (aws-lc-rs would add
/// a minute to every cold build). Installing twice is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    pub fn new(poll: &PollConfig) -> Result<Fetcher, FetchError> {
        install_crypto_provider();
        let public = client(&poll.user_agent, poll.timeout, Arc::default())?;
        Ok(Fetcher {
            public,
            private: Default::default(),
            user_agent: poll.user_agent.clone(),
            timeout: poll.timeout,
            max_body: poll.max_body,
        })
    }

    /// What fetches for the configured URL `home` may reach: the public internet,
    /// and the non-public addresses `home` itself is on. `auth`'s secret is read now.
    pub async fn reach(&self, home: &Url, auth: Option<&Auth>) -> Result<Reach, FetchError> {
        let authorization = auth.map(crate::config::authorization).transpose()?;
        let allowed: BTreeSet<IpAddr> = match reach::literal(home) {
            Some(ip) => [ip].into_iter().filter(|ip| !reach::is_public(*ip)).collect(),
            None => {
                let host = home.host_str().unwrap_or("");
                let port = home.port_or_known_default().unwrap_or(80);
                // A name that cannot be resolved fails its request with the reason.
                match tokio::time::timeout(self.timeout, tokio::net::lookup_host((host, port))).await {
                    Ok(Ok(addrs)) => addrs.map(|a| a.ip()).filter(|ip| !reach::is_public(*ip)).collect(),
                    _ => BTreeSet::new(),
                }
            }
        };
        let client = if allowed.is_empty() {
            self.public.clone()
        } else {
            let mut clients = crate::util::sync::lock(&self.private);
            if clients.len() >= PRIVATE_CLIENTS && !clients.contains_key(&allowed) {
                clients.clear();
            }
            match clients.get(&allowed) {
                Some(c) => c.clone(),
                None => {
                    let c = client(&self.user_agent, self.timeout, Arc::new(allowed.clone()))?;
                    clients.insert(allowed.clone(), c.clone());
                    c
                }
            }
        };
        Ok(Reach { client, allowed: Arc::new(allowed), origin: home.origin(), authorization, host: None })
    }

    /// GETs `url` within `reach`, conditionally when validators are given,
    /// following redirects.
    pub async fn get(&self, url: &Url, validators: Option<&Validators>, reach: &Reach) -> Result<Fetched, FetchError> {
        // The total limit covers every hop and the whole body, however it trickles.
        match tokio::time::timeout(self.timeout, self.get_inner(url, validators, reach)).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout(self.timeout)),
        }
    }

    async fn get_inner(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        reach: &Reach,
    ) -> Result<Fetched, FetchError> {
        let (resp, current, permanent) = self.follow(url, validators, reach).await?;
        let moved_to = (permanent && current != *url).then(|| current.clone());
        let status = resp.status();
        let headers = resp.headers().clone();
        let cache_for = cache_lifetime(&headers);
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified { moved_to, cache_for });
        }
        if status == StatusCode::GONE {
            return Err(FetchError::Gone);
        }
        if !status.is_success() {
            let retry_after = matches!(status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE)
                .then(|| retry_after(&headers, Utc::now()))
                .flatten();
            return Err(FetchError::from_status(status, retry_after));
        }
        let body = self.read_capped(resp).await?;
        let content_type = header_str(&headers, header::CONTENT_TYPE);
        let decoded = charset::to_utf8(&body, content_type.as_deref().and_then(charset_of))?;
        Ok(Fetched::Body(Box::new(Response {
            status: status.as_u16(),
            url: current,
            moved_to,
            text: decoded.text,
            bytes: body.len(),
            validators: Validators {
                etag: header_str(&headers, header::ETAG),
                last_modified: header_str(&headers, header::LAST_MODIFIED),
            },
            cache_for,
        })))
    }

    /// Sends the GET and follows redirects within `reach`: the final answer, the
    /// URL that gave it, and whether every hop was permanent.
    async fn follow(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        reach: &Reach,
    ) -> Result<(reqwest::Response, Url, bool), FetchError> {
        let mut current = url.clone();
        let mut seen = vec![current.clone()];
        // A source moves only when every hop of the chain is permanent.
        let mut permanent = true;
        let resp = loop {
            reach.check(&current)?;
            let mut req = reach.client.get(current.clone()).header(
                header::ACCEPT,
                "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5",
            );
            if let Some(auth) = reach.authorization.as_ref().filter(|_| current.origin() == reach.origin) {
                req = req.header(header::AUTHORIZATION, auth.clone());
            }
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
            if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
                break resp;
            }
            let next = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| current.join(l).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(crate::config::without_userinfo)
                .ok_or(FetchError::BadRedirect)?;
            permanent &= matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT);
            if seen.contains(&next) {
                return Err(FetchError::RedirectLoop(next.to_string()));
            }
            if seen.len() > MAX_REDIRECTS {
                return Err(FetchError::Redirects(next.to_string()));
            }
            seen.push(next.clone());
            current = next;
        };
        Ok((resp, current, permanent))
    }

    /// Reads the body, failing as soon as it passes `max_body`: memory follows the
    /// config, never what a server sends.
    async fn read_capped(&self, resp: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| FetchError::from_reqwest(e, self.timeout))?;
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(FetchError::TooLarge { limit: self.max_body });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

impl Fetcher {
    /// Tells a WebSub hub that `topic` changed (`hub.mode=publish`). A 2xx is
    /// success; anything else is an error to retry.
    pub async fn ping_hub(&self, hub: &Url, topic: &str) -> Result<(), FetchError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("hub.mode", "publish")
            .append_pair("hub.url", topic)
            .finish();
        let reach = self.reach(hub, None).await?;
        let resp = reach
            .client
            .post(hub.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| FetchError::from_reqwest(e, self.timeout))?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(FetchError::from_status(status, None))
        }
    }
}

/// A client that follows no redirect (they are followed by hand) and resolves
/// names through `reach::Guard`.
fn client(user_agent: &str, timeout: Duration, allowed: reach::Allowed) -> Result<reqwest::Client, FetchError> {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(30))
        .dns_resolver(Arc::new(reach::Guard { allowed }))
        .build()
        .map_err(|e| FetchError::Other(format!("cannot build the HTTP client: {}", error_chain(&e))))
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_string)
}

/// The `charset` parameter of a Content-Type.
fn charset_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches('"'))
    })
}

/// `Retry-After` in seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at: DateTime<Utc> = httpdate::parse_http_date(v).ok()?.into();
    (at - now).to_std().ok()
}

/// How long a response may be reused: `Cache-Control: max-age` (or `s-maxage`),
/// else `Expires` minus `Date`.
pub fn cache_lifetime(headers: &HeaderMap) -> Option<Duration> {
    if let Some(cc) = headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()) {
        let directive = |name: &str| {
            cc.split(',').find_map(|d| {
                let (k, v) = d.trim().split_once('=')?;
                k.trim().eq_ignore_ascii_case(name).then(|| v.trim().trim_matches('"').parse::<u64>().ok()).flatten()
            })
        };
        if let Some(secs) = directive("s-maxage").or_else(|| directive("max-age")) {
            return Some(Duration::from_secs(secs));
        }
    }
    let date = |name| -> Option<DateTime<Utc>> {
        Some(httpdate::parse_http_date(headers.get(name)?.to_str().ok()?).ok()?.into())
    };
    let expires = date(header::EXPIRES)?;
    let now = date(header::DATE).unwrap_or_else(Utc::now);
    (expires - now).to_std().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn a_site_is_its_host_with_or_without_www() {
        assert!(same_site("www.sotuphap.bentre.gov.vn", "SoTuPhap.BenTre.gov.vn"));
        assert!(same_site("bentre.gov.vn", "bentre.gov.vn"));
        assert!(!same_site("bentre.gov.vn", "evil-bentre.gov.vn"));
        assert!(!same_site("www2.bentre.gov.vn", "bentre.gov.vn"));
        assert!(!same_site("sotuphap.bentre.gov.vn", "bentre.gov.vn"));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now: DateTime<Utc> = "2022-08-05T03:00:00Z".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("Fri, 05 Aug 2022 03:02:00 GMT"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn cache_lifetimes() {
        let mut h = HeaderMap::new();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=1800"));
        assert_eq!(cache_lifetime(&h), Some(Duration::from_secs(1800)));
        let mut h = HeaderMap::new();
        h.insert(header::DATE, HeaderValue::from_static("Fri, 05 Aug 2022 03:00:00 GMT"));
        h.insert(header::EXPIRES, HeaderValue::from_static("Fri, 05 Aug 2022 04:00:00 GMT"));
        assert_eq!(cache_lifetime(&h), Some(Duration::from_secs(3600)));
        assert_eq!(charset_of("text/xml; charset=\"windows-1258\""), Some("windows-1258"));
    }
}
