//! The TOML configuration: its model, defaults and validation.
//!
//! Validation walks the parsed document with its spans, so that one run reports
//! *every* mistake with `file:line:col`, not just the first one serde would stop at.
//! This module reads one file and nothing else: it never touches the network.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::FixedOffset;
use toml_edit::{Item, TableLike, Value};
use url::Url;

use crate::agency::{self, Agency, Declared, Registry};

/// The whole configuration, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub poll: PollConfig,
    pub publish: PublishConfig,
    /// Built-in agencies merged with the config's `[[agency]]` entries, matching past
    /// `[province]`'s names.
    pub agencies: Registry,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Where `/status` and `/metrics` are served instead, when the public address
    /// faces the internet (e.g. a loopback address).
    pub admin_listen: Option<SocketAddr>,
    /// Connections served at once; more wait in the kernel's queue.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, or stay idle
    /// between requests, before its connection is closed.
    pub header_timeout: Duration,
    /// Public URL for self links and ids, without a trailing slash.
    pub base_url: Url,
}

#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub path: PathBuf,
    /// 0 keeps everything.
    pub retention_days: u32,
    /// The most stories kept; 0 for no limit.
    pub max_stories: u64,
    /// sled's page cache, in bytes.
    pub cache_capacity: u64,
}

#[derive(Debug, Clone)]
pub struct PollConfig {
    pub interval: Duration,
    /// The slowest a quiet source is polled, however rarely it publishes.
    pub max_interval: Duration,
    /// The least time between two requests to one host.
    pub host_spacing: Duration,
    pub concurrency: usize,
    pub per_host: usize,
    pub timeout: Duration,
    pub max_body: u64,
    pub user_agent: String,
    /// The offset of dates that carry none.
    pub timezone: FixedOffset,
    /// Entries read from one document: the newest; the rest are counted and reported.
    pub max_items: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublishConfig {
    pub title: String,
    /// Entries per feed document.
    pub limit: usize,
    /// `Cache-Control: max-age` of the feeds.
    pub max_age: Duration,
    /// WebSub hubs told of every change.
    pub hubs: Vec<Url>,
    /// The language of every word loa writes on its pages for people.
    pub lang: Lang,
}

/// The language of the reading view's own words (headings, buttons, dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// The BCP 47 tag, for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

/// One configured URL that loa polls.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: String,
    /// Never with credentials: a `user:pass@` written in the config is moved to `auth`.
    pub url: Url,
    /// How its requests authenticate, sent to the URL's own origin only.
    pub auth: Option<Auth>,
    pub kind: SourceKind,
    /// The agency credited when no byline names another.
    pub agency: String,
    pub interval: Duration,
    /// `keep_tracking = true`: publish the source's links as it gives them, tracking
    /// parameters (`utm_*`, `fbclid`…) included, instead of their canonical form.
    pub keep_tracking: bool,
}

/// How a source's requests authenticate (`[source.auth]`, or credentials written
/// into its URL). The secret is read by `fetch` when a poll needs it, so a file that
/// systemd's `LoadCredential=` provides can change without a reload.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    Basic { user: String, password: Secret },
    Bearer { token: Secret },
}

/// Where a secret is. Its `Debug` never shows a secret's value.
#[derive(Clone, PartialEq)]
pub enum Secret {
    /// Written into the source's URL (`user:pass@`): used, but `loa check` warns.
    InUrl(String),
    File(PathBuf),
    Env(String),
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::InUrl(_) => f.write_str("InUrl(…)"),
            Secret::File(p) => write!(f, "File({})", p.display()),
            Secret::Env(v) => write!(f, "Env({v})"),
        }
    }
}

impl Source {
    /// Whether a password is written into the source's URL in the config.
    pub fn password_in_url(&self) -> bool {
        matches!(self.auth, Some(Auth::Basic { password: Secret::InUrl(ref p), .. }) if !p.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    Feed,
    Html(HtmlSelectors),
}

/// CSS selectors that read a listing page (and optionally each article).
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlSelectors {
    pub item: String,
    pub link: String,
    pub title: String,
    pub date: Option<String>,
    pub summary: Option<String>,
    pub article: Option<ArticleSelectors>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ArticleSelectors {
    pub content: String,
    pub date: Option<String>,
    pub byline: Option<String>,
}

/// One mistake in a config file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no config file: give -c FILE, set LOA_CONFIG, or create ./config/loa.toml or /etc/loa/loa.toml")]
    NotFound,
    #[error("{}", render_diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render_diagnostics(diags: &[Diagnostic]) -> String {
    let mut s = diags.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n");
    s.push_str(&format!("\n{} error{} in the config", diags.len(), if diags.len() == 1 { "" } else { "s" }));
    s
}

/// Where the config is: `-c`, else `$LOA_CONFIG` (clap reads it into `explicit`),
/// else `./config/loa.toml`, else `/etc/loa/loa.toml`.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    ["config/loa.toml", "/etc/loa/loa.toml"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or(ConfigError::NotFound)
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Validates config text; `file` names it in the diagnostics.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let mut cx = Cx { file, text, diags: Vec::new() };
        let doc = match toml_edit::Document::parse(text) {
            Ok(doc) => doc,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let msg = e.message().trim().to_string();
                cx.error(span, format!("TOML syntax: {msg}"));
                return Err(ConfigError::Invalid(cx.diags));
            }
        };
        let root = doc.as_table();
        let config = cx.config(Tab { t: root, span: None });
        if cx.diags.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid(cx.diags))
        }
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// What is valid but unwise: a password written into a source's URL (it works,
    /// but the config file then holds a secret), a secret that cannot be read now.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for s in &self.sources {
            if s.password_in_url() {
                warnings.push(format!(
                    "source \"{}\": a password is written into its url; move it to a file named by [source.auth] password_file (systemd's LoadCredential= can provide it) and remove user:pass@ from the url",
                    s.id
                ));
            }
            if let Some(Err(e)) = s.auth.as_ref().map(authorization) {
                warnings.push(format!("source \"{}\": {e}; its polls will fail until it can be read", s.id));
            }
        }
        warnings
    }
}

/// The validation walk: collects diagnostics and falls back to defaults so that
/// one mistake never hides the next.
struct Cx<'a> {
    file: &'a str,
    text: &'a str,
    diags: Vec<Diagnostic>,
}

impl Cx<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let at = span.start.min(self.text.len());
        let before = &self.text[..at];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.diags.push(Diagnostic { file: self.file.to_string(), line, col, message: message.into() });
    }

    fn config(&mut self, root: Tab<'_>) -> Config {
        self.unknown_keys(root, &["server", "store", "poll", "publish", "province", "agency", "source"], "");
        let empty = toml_edit::Table::new();
        let empty = Tab { t: &empty, span: None };
        let server = self.table(root, "server").unwrap_or(empty);
        let store = self.table(root, "store").unwrap_or(empty);
        let poll = self.table(root, "poll").unwrap_or(empty);
        let publish = self.table(root, "publish").unwrap_or(empty);

        let server = self.server(server);
        let store = self.store(store);
        let poll = self.poll(poll);
        let publish = self.publish(publish);

        let province = self.table(root, "province").map(|t| self.province(t)).unwrap_or_default();
        let mut declared: Vec<Declared> = Vec::new();
        for t in self.array_of_tables(root, "agency") {
            let Some(d) = self.agency(t) else { continue };
            if declared.iter().any(|e| e.agency.slug == d.agency.slug) {
                let what = format!("agency \"{}\" is declared twice: put its names in one [[agency]]", d.agency.slug);
                self.error(table_span(t), what);
                continue;
            }
            declared.push(d);
        }
        let agencies = Registry::new(declared, &province);
        let mut sources = Vec::new();
        let mut seen = HashSet::new();
        for t in self.array_of_tables(root, "source") {
            if let Some(id) = t.get("id").and_then(|i| i.as_str()) {
                if !seen.insert(id.to_string()) {
                    self.error(
                        value_span(t, "id"),
                        format!("duplicate source id \"{id}\": each source needs its own id"),
                    );
                    continue;
                }
            }
            sources.extend(self.source(t, &poll, &agencies));
        }
        self.diags.sort_by_key(|d| (d.line, d.col));
        Config { server, store, poll, publish, agencies, sources }
    }

    fn server(&mut self, t: Tab<'_>) -> ServerConfig {
        self.unknown_keys(t, &["listen", "base_url", "admin_listen", "max_connections", "header_timeout"], "server.");
        let listen = self
            .parsed(t, "listen", "an address such as \"127.0.0.1:8080\"", |s| s.parse::<SocketAddr>().ok())
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let base_url = self
            .parsed(t, "base_url", "an absolute http(s) URL", parse_http_url)
            .unwrap_or_else(|| Url::parse(&format!("http://{listen}")).expect("socket address forms a URL"));
        let admin_listen =
            self.parsed(t, "admin_listen", "an address such as \"127.0.0.1:9090\"", |s| s.parse::<SocketAddr>().ok());
        let max_connections = self.integer(t, "max_connections", 1, 1_000_000).unwrap_or(4096) as usize;
        let header_timeout = self.duration(t, "header_timeout").unwrap_or(Duration::from_secs(10));
        ServerConfig { listen, base_url, admin_listen, max_connections, header_timeout }
    }

    fn store(&mut self, t: Tab<'_>) -> StoreConfig {
        self.unknown_keys(t, &["path", "retention_days", "max_stories", "cache_capacity"], "store.");
        StoreConfig {
            path: self.string(t, "path").map(PathBuf::from).unwrap_or_else(|| "data/loa".into()),
            retention_days: self.integer(t, "retention_days", 0, u32::MAX as i64).unwrap_or(0) as u32,
            max_stories: self.integer(t, "max_stories", 0, i64::MAX).unwrap_or(0) as u64,
            cache_capacity: self.size(t, "cache_capacity").unwrap_or(64 << 20),
        }
    }

    fn poll(&mut self, t: Tab<'_>) -> PollConfig {
        self.unknown_keys(
            t,
            &[
                "interval",
                "max_interval",
                "host_spacing",
                "concurrency",
                "per_host",
                "timeout",
                "max_body",
                "user_agent",
                "timezone",
                "max_items",
            ],
            "poll.",
        );
        let interval = self.duration(t, "interval").unwrap_or(Duration::from_secs(15 * 60));
        let max_interval = self.duration(t, "max_interval").unwrap_or(Duration::from_secs(2 * 3600)).max(interval);
        PollConfig {
            interval,
            max_interval,
            host_spacing: self.duration(t, "host_spacing").unwrap_or(Duration::from_millis(250)),
            concurrency: self.integer(t, "concurrency", 1, 10_000).unwrap_or(8) as usize,
            per_host: self.integer(t, "per_host", 1, 1000).unwrap_or(1) as usize,
            timeout: self.duration(t, "timeout").unwrap_or(Duration::from_secs(30)),
            max_body: self.size(t, "max_body").unwrap_or(10 << 20),
            user_agent: self
                .string(t, "user_agent")
                .unwrap_or_else(|| concat!("loa/", env!("CARGO_PKG_VERSION")).to_string()),
            timezone: self
                .parsed(t, "timezone", "a UTC offset such as \"+07:00\"", parse_offset)
                .unwrap_or_else(|| FixedOffset::east_opt(7 * 3600).expect("valid offset")),
            max_items: self.integer(t, "max_items", 1, 100_000).unwrap_or(1000) as usize,
        }
    }

    fn publish(&mut self, t: Tab<'_>) -> PublishConfig {
        self.unknown_keys(t, &["title", "limit", "max_age", "hubs", "lang"], "publish.");
        let hubs = self
            .string_list(t, "hubs")
            .into_iter()
            .filter_map(|h| {
                let u = parse_http_url(&h);
                if u.is_none() {
                    self.error(value_span(t, "hubs"), format!("hub \"{h}\" is not an absolute http(s) URL"));
                }
                u
            })
            .collect();
        PublishConfig {
            title: self.string(t, "title").unwrap_or_else(|| "loa".to_string()),
            limit: self.integer(t, "limit", 1, 1000).unwrap_or(50) as usize,
            max_age: self.duration(t, "max_age").unwrap_or(Duration::from_secs(300)),
            hubs,
            lang: self
                .parsed(t, "lang", "a language of the pages: \"vi\" or \"en\"", |l| match l {
                    "vi" => Some(Lang::Vi),
                    "en" => Some(Lang::En),
                    _ => None,
                })
                .unwrap_or_default(),
        }
    }

    /// `[province]`: the name, then the former names.
    fn province(&mut self, t: Tab<'_>) -> Vec<String> {
        self.unknown_keys(t, &["name", "former"], "province.");
        let name = self.required_string(t, "name", "[province]");
        name.into_iter()
            .chain(self.string_list(t, "former"))
            .filter(|n| !crate::util::slug::slug(n).is_empty())
            .collect()
    }

    fn agency(&mut self, t: Tab<'_>) -> Option<Declared> {
        self.unknown_keys(t, &["slug", "name", "aliases", "successor", "until", "replace"], "agency.");
        let name = self.required_string(t, "name", "[[agency]]");
        let slug = match self.string(t, "slug") {
            Some(s) if s != crate::util::slug::slug(&s) => {
                self.error(
                    value_span(t, "slug"),
                    format!(
                        "agency slug \"{s}\" is not a slug: use lower-case ASCII words joined by '-', such as \"{}\"",
                        crate::util::slug::slug(&s)
                    ),
                );
                None
            }
            Some(s) => Some(s),
            None => name.as_deref().map(crate::util::slug::slug),
        };
        let aliases = self.string_list(t, "aliases");
        let successors = match t.get("successor") {
            Some(i) if i.is_str() => self.string(t, "successor").into_iter().collect(),
            _ => self.string_list(t, "successor"),
        };
        let until =
            self.parsed(t, "until", "a month such as \"2025-03\"", |s| agency::parse_month(s).map(|_| s.to_string()));
        let replace = self.boolean(t, "replace").unwrap_or(false);
        Some(Declared { agency: Agency { slug: slug?, name: name?, aliases, successors, until }, replace })
    }

    fn source(&mut self, t: Tab<'_>, poll: &PollConfig, agencies: &Registry) -> Option<Source> {
        self.unknown_keys(t, &["id", "url", "kind", "agency", "interval", "keep_tracking", "html", "auth"], "source.");
        let id = self.required_string(t, "id", "[[source]]");
        if let Some(id) = &id {
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                self.error(
                    value_span(t, "id"),
                    format!("source id \"{id}\" must be ASCII letters, digits, '-' or '_'"),
                );
            }
        }
        let mut url = if t.contains_key("url") {
            self.parsed(t, "url", "an absolute http(s) URL", parse_http_url)
        } else {
            self.error(table_span(t), format!("source \"{}\" has no url", id.as_deref().unwrap_or("?")));
            None
        };
        // Credentials in the URL are used, and kept out of the URL that is shown.
        let in_url = url.as_mut().and_then(take_credentials);
        let auth = match self.table(t, "auth") {
            Some(a) => {
                if in_url.is_some() {
                    self.error(
                        value_span(t, "url"),
                        "the url has credentials (user:pass@) and [source.auth] gives them too: remove them from the url",
                    );
                }
                self.auth(a)
            }
            None => in_url,
        };
        let agency = self.required_string(t, "agency", "[[source]]");
        if let Some(a) = &agency {
            if !agencies.contains(a) {
                let hint = agencies
                    .find(a)
                    .map(|known| format!(" (did you mean \"{}\"?)", known.slug))
                    .unwrap_or_else(|| " (add it with an [[agency]] entry)".to_string());
                self.error(value_span(t, "agency"), format!("unknown agency \"{a}\"{hint}"));
            }
        }
        let interval = self.duration(t, "interval").unwrap_or(poll.interval);
        let keep_tracking = self.boolean(t, "keep_tracking").unwrap_or(false);
        let kind = match self.string(t, "kind").as_deref() {
            None | Some("feed") => {
                if t.contains_key("html") {
                    self.error(key_span(t, "html"), "[source.html] is only for kind = \"html\"");
                }
                Some(SourceKind::Feed)
            }
            Some("html") => match self.table(t, "html") {
                Some(h) => self.html(h).map(SourceKind::Html),
                None => {
                    self.error(value_span(t, "kind"), "kind = \"html\" needs a [source.html] table of selectors");
                    None
                }
            },
            Some(other) => {
                self.error(value_span(t, "kind"), format!("unknown kind \"{other}\": use \"feed\" or \"html\""));
                None
            }
        };
        // A built-in slug that a declared agency took over by name credits the declared one.
        let agency = agencies.get(&agency?)?.slug.clone();
        Some(Source { id: id?, url: url?, auth, kind: kind?, agency, interval, keep_tracking })
    }

    /// `[source.auth]`: `type = "basic"` with `user` and `password_file` or
    /// `password_env`, or `type = "bearer"` with `token_file` or `token_env`.
    fn auth(&mut self, t: Tab<'_>) -> Option<Auth> {
        self.unknown_keys(
            t,
            &["type", "user", "password_file", "password_env", "token_file", "token_env"],
            "source.auth.",
        );
        let kind = self.required_string(t, "type", "[source.auth]")?;
        let secret = |cx: &mut Self, what: &str| {
            let (file, env) = (format!("{what}_file"), format!("{what}_env"));
            match (cx.string(t, &file), cx.string(t, &env)) {
                (Some(f), None) => Some(Secret::File(PathBuf::from(f))),
                (None, Some(v)) => Some(Secret::Env(v)),
                (Some(_), Some(_)) => {
                    cx.error(value_span(t, &env), format!("[source.auth] takes {file} or {env}, not both"));
                    None
                }
                (None, None) => {
                    cx.error(
                        table_span(t),
                        format!("[source.auth] needs {file} (a file holding the {what}, e.g. from systemd's LoadCredential=) or {env} (an environment variable)"),
                    );
                    None
                }
            }
        };
        match kind.as_str() {
            "basic" => {
                let user = self.required_string(t, "user", "[source.auth] of type \"basic\"");
                let password = secret(self, "password");
                Some(Auth::Basic { user: user?, password: password? })
            }
            "bearer" => secret(self, "token").map(|token| Auth::Bearer { token }),
            other => {
                self.error(
                    value_span(t, "type"),
                    format!("unknown auth type \"{other}\": use \"basic\" or \"bearer\""),
                );
                None
            }
        }
    }

    fn html(&mut self, t: Tab<'_>) -> Option<HtmlSelectors> {
        self.unknown_keys(t, &["item", "link", "title", "date", "summary", "article"], "source.html.");
        let item = self.required_selector(t, "item", "[source.html]");
        let link = self.required_selector(t, "link", "[source.html]");
        let title = self.required_selector(t, "title", "[source.html]");
        let date = self.selector(t, "date");
        let summary = self.selector(t, "summary");
        let article = match self.table(t, "article") {
            Some(a) => {
                self.unknown_keys(a, &["content", "date", "byline"], "source.html.article.");
                let content = self.required_selector(a, "content", "[source.html.article]");
                let date = self.selector(a, "date");
                let byline = self.selector(a, "byline");
                Some(ArticleSelectors { content: content?, date, byline })
            }
            None => None,
        };
        Some(HtmlSelectors { item: item?, link: link?, title: title?, date, summary, article })
    }

    // ---- typed getters: each reports its own mistakes and returns None on one ----

    fn unknown_keys(&mut self, t: Tab<'_>, allowed: &[&str], prefix: &str) {
        let unknown: Vec<(String, Range<usize>)> =
            t.iter().filter(|(k, _)| !allowed.contains(k)).map(|(k, _)| (k.to_string(), key_span(t, k))).collect();
        for (k, span) in unknown {
            self.error(span, format!("unknown key \"{prefix}{k}\" (known here: {})", allowed.join(", ")));
        }
    }

    fn table<'t>(&mut self, t: Tab<'t>, key: &str) -> Option<Tab<'t>> {
        let item = t.t.get(key)?;
        match item.as_table_like() {
            Some(tab) => {
                Some(Tab { t: tab, span: item.as_table().and_then(|t| t.span()).or_else(|| item.span()).map(pair) })
            }
            None => {
                self.error(value_span(t, key), format!("\"{key}\" must be a table"));
                None
            }
        }
    }

    fn array_of_tables<'t>(&mut self, t: Tab<'t>, key: &str) -> Vec<Tab<'t>> {
        match t.t.get(key) {
            None => Vec::new(),
            Some(Item::ArrayOfTables(a)) => a.iter().map(|t| Tab { t, span: t.span().map(pair) }).collect(),
            Some(Item::Value(Value::Array(a))) if a.iter().all(|v| v.as_inline_table().is_some()) => {
                a.iter().filter_map(|v| v.as_inline_table()).map(|t| Tab { t, span: t.span().map(pair) }).collect()
            }
            Some(_) => {
                self.error(value_span(t, key), format!("\"{key}\" must be written as [[{key}]] tables"));
                Vec::new()
            }
        }
    }

    fn string(&mut self, t: Tab<'_>, key: &str) -> Option<String> {
        let item = t.get(key)?;
        match item.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.error(value_span(t, key), format!("\"{key}\" must be a string"));
                None
            }
        }
    }

    /// A CSS selector, checked here so that a typo is a config error with its line.
    fn selector(&mut self, t: Tab<'_>, key: &str) -> Option<String> {
        let css = self.string(t, key)?;
        let checked = scraper::Selector::parse(&css).map(|_| ()).map_err(|e| e.to_string());
        match checked {
            Ok(()) => Some(css),
            Err(e) => {
                self.error(value_span(t, key), format!("\"{key}\" = \"{css}\" is not a CSS selector: {e}"));
                None
            }
        }
    }

    fn required_selector(&mut self, t: Tab<'_>, key: &str, what: &str) -> Option<String> {
        if !t.contains_key(key) {
            self.error(table_span(t), format!("{what} is missing \"{key}\""));
            return None;
        }
        self.selector(t, key)
    }

    fn required_string(&mut self, t: Tab<'_>, key: &str, what: &str) -> Option<String> {
        if !t.contains_key(key) {
            self.error(table_span(t), format!("{what} is missing \"{key}\""));
            return None;
        }
        self.string(t, key)
    }

    fn string_list(&mut self, t: Tab<'_>, key: &str) -> Vec<String> {
        let Some(item) = t.get(key) else {
            return Vec::new();
        };
        match item.as_array() {
            Some(a) if a.iter().all(|v| v.as_str().is_some()) => {
                a.iter().filter_map(|v| v.as_str()).map(str::to_string).collect()
            }
            _ => {
                self.error(value_span(t, key), format!("\"{key}\" must be a list of strings"));
                Vec::new()
            }
        }
    }

    fn boolean(&mut self, t: Tab<'_>, key: &str) -> Option<bool> {
        let item = t.get(key)?;
        let b = item.as_bool();
        if b.is_none() {
            self.error(value_span(t, key), format!("\"{key}\" must be true or false"));
        }
        b
    }

    fn integer(&mut self, t: Tab<'_>, key: &str, min: i64, max: i64) -> Option<i64> {
        let item = t.get(key)?;
        match item.as_integer() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(n) => {
                self.error(value_span(t, key), format!("\"{key}\" = {n} is out of range {min}..={max}"));
                None
            }
            None => {
                self.error(value_span(t, key), format!("\"{key}\" must be a whole number"));
                None
            }
        }
    }

    fn parsed<T>(&mut self, t: Tab<'_>, key: &str, what: &str, f: impl Fn(&str) -> Option<T>) -> Option<T> {
        let s = self.string(t, key)?;
        let v = f(&s);
        if v.is_none() {
            self.error(value_span(t, key), format!("\"{key}\" = \"{s}\" is not {what}"));
        }
        v
    }

    fn duration(&mut self, t: Tab<'_>, key: &str) -> Option<Duration> {
        self.parsed(t, key, "a duration such as \"90s\", \"15m\" or \"1h30m\"", parse_duration)
    }

    fn size(&mut self, t: Tab<'_>, key: &str) -> Option<u64> {
        if let Some(n) = t.get(key).and_then(|i| i.as_integer()) {
            return u64::try_from(n).ok().or_else(|| {
                self.error(value_span(t, key), format!("\"{key}\" must not be negative"));
                None
            });
        }
        self.parsed(t, key, "a size such as \"10MiB\", \"512KiB\" or \"1MB\"", parse_size)
    }
}

fn key_span(t: Tab<'_>, key: &str) -> Range<usize> {
    t.get_key_value(key).and_then(|(k, _)| k.span()).or_else(|| table_span_opt(t)).unwrap_or(0..0)
}

fn value_span(t: Tab<'_>, key: &str) -> Range<usize> {
    t.get(key).and_then(|i| i.span()).unwrap_or_else(|| key_span(t, key))
}

fn table_span_opt(t: Tab<'_>) -> Option<Range<usize>> {
    // A table's own span covers its header; an inline table's covers its braces.
    // Fall back to its first key.
    t.span.map(|(a, b)| a..b).or_else(|| t.iter().next().and_then(|(k, _)| t.get_key_value(k)?.0.span()))
}

/// A table of the document with the span of its header, which `TableLike` lacks.
#[derive(Clone, Copy)]
struct Tab<'t> {
    t: &'t dyn TableLike,
    span: Option<(usize, usize)>,
}

impl<'t> std::ops::Deref for Tab<'t> {
    type Target = dyn TableLike + 't;
    fn deref(&self) -> &Self::Target {
        self.t
    }
}

fn pair(r: Range<usize>) -> (usize, usize) {
    (r.start, r.end)
}

fn table_span(t: Tab<'_>) -> Range<usize> {
    table_span_opt(t).unwrap_or(0..0)
}

pub(crate) fn parse_http_url(s: &str) -> Option<Url> {
    let u = Url::parse(s).ok()?;
    (matches!(u.scheme(), "http" | "https") && u.host().is_some()).then_some(u)
}

/// `+07:00`, `-0330`, `Z`, `UTC`.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("z") || s.eq_ignore_ascii_case("utc") {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse::<i32>().ok()?, digits[2..].parse::<i32>().ok()?),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// `500ms`, `90s`, `15m`, `1h30m`, `1d`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Some(Duration::from_secs(n));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = rest[..unit_len].trim();
        rest = &rest[unit_len..];
        let d = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" | "min" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            "d" => Duration::from_secs(n.checked_mul(86_400)?),
            _ => return None,
        };
        total = total.checked_add(d)?;
    }
    Some(total)
}

/// `10MiB`, `512KiB`, `1MB`, `2GiB`, `4096` (bytes).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..split].parse().ok()?;
    let mult: u64 = match s[split..].trim() {
        "" | "B" => 1,
        "KB" | "kB" => 1000,
        "KiB" => 1 << 10,
        "MB" => 1_000_000,
        "MiB" => 1 << 20,
        "GB" => 1_000_000_000,
        "GiB" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// A URL without `user:pass@`: credentials never travel in URLs that are kept or shown.
pub fn without_userinfo(mut url: Url) -> Url {
    // Cannot fail on an http(s) URL with a host.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// Why a source's credentials cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("cannot read the secret file {path} named in [source.auth]: {error}")]
    File { path: String, error: std::io::Error },
    #[error("the environment variable {0} named in [source.auth] is not set")]
    Env(String),
    #[error("the secret in [source.auth] is empty or not usable in a header")]
    Unusable,
}

/// The `Authorization` header of a source's requests, marked sensitive (never
/// logged by the HTTP stack); the secret is read now.
pub fn authorization(auth: &Auth) -> Result<reqwest::header::HeaderValue, CredentialError> {
    use base64::Engine as _;
    let value = match auth {
        Auth::Basic { user, password } => {
            let pair = format!("{user}:{}", secret(password)?);
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
        }
        Auth::Bearer { token } => {
            let token = secret(token)?;
            if token.is_empty() {
                return Err(CredentialError::Unusable);
            }
            format!("Bearer {token}")
        }
    };
    let mut header = reqwest::header::HeaderValue::from_str(&value).map_err(|_| CredentialError::Unusable)?;
    header.set_sensitive(true);
    Ok(header)
}

/// Removes `user:pass@` from a URL, returning it as basic credentials.
pub fn take_credentials(url: &mut Url) -> Option<Auth> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let auth = Auth::Basic {
        user: decode(url.username()),
        password: Secret::InUrl(url.password().map(decode).unwrap_or_default()),
    };
    *url = without_userinfo(url.clone());
    Some(auth)
}

fn secret(s: &Secret) -> Result<String, CredentialError> {
    let value = match s {
        Secret::InUrl(p) => return Ok(p.clone()),
        Secret::File(path) => std::fs::read_to_string(path)
            .map_err(|error| CredentialError::File { path: path.display().to_string(), error })?,
        Secret::Env(var) => std::env::var(var).map_err(|_| CredentialError::Env(var.clone()))?,
    };
    // A file written by an editor or `echo` ends with a newline that is no part of it.
    Ok(value.trim_end_matches(['\n', '\r']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_from_files_without_their_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("portal");
        std::fs::write(&path, "s3cret\n").unwrap();
        let auth = Auth::Basic { user: "loa".into(), password: Secret::File(path) };
        // base64("loa:s3cret")
        assert_eq!(authorization(&auth).unwrap(), "Basic bG9hOnMzY3JldA==");
        let missing = Auth::Bearer { token: Secret::File(dir.path().join("none")) };
        assert!(authorization(&missing).unwrap_err().to_string().contains("none"));
        let unset = Auth::Bearer { token: Secret::Env("LOA_TEST_NO_SUCH_VARIABLE".into()) };
        assert!(authorization(&unset).unwrap_err().to_string().contains("LOA_TEST_NO_SUCH_VARIABLE"));
        assert!(!format!("{auth:?}").contains("s3cret"));
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("45"), Some(Duration::from_secs(45)));
        assert_eq!(parse_duration("15 minutes"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_size("10MiB"), Some(10 << 20));
        assert_eq!(parse_size("1MB"), Some(1_000_000));
        assert_eq!(parse_size("ten"), None);
        assert_eq!(parse_offset("+07:00"), FixedOffset::east_opt(25200));
        assert_eq!(parse_offset("-0330"), FixedOffset::east_opt(-12600));
        assert_eq!(parse_offset("7"), None);
    }

    #[test]
    fn the_shipped_config_polls_nothing_until_edited() {
        let c = Config::parse(include_str!("../config/loa.toml"), "config/loa.toml").unwrap();
        assert!(c.sources.is_empty());
        assert_eq!(c.server.listen, SocketAddr::from(([127, 0, 0, 1], 8080)));
    }

    #[test]
    fn the_documented_example_is_valid() {
        let c = Config::parse(include_str!("../config/examples/bentre.toml"), "config/examples/bentre.toml").unwrap();
        assert_eq!(c.sources.len(), 4);
        assert!(matches!(c.sources[3].kind, SourceKind::Html(_)));
        assert!(c.agencies.contains("huyen-uy-giong-trom"));
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = Config::parse(
            "[[source]]\nid = \"tinhuy\"\nurl = \"https://bentre.dcs.vn/rss\"\nagency = \"tinh-uy\"\n",
            "loa.toml",
        )
        .unwrap();
        assert_eq!(c.poll.interval, Duration::from_secs(900));
        assert_eq!(c.poll.max_body, 10 << 20);
        assert_eq!(c.publish.limit, 50);
        assert_eq!(c.server.base_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(c.sources[0].kind, SourceKind::Feed);
        assert_eq!(c.sources[0].interval, Duration::from_secs(900));
    }

    #[test]
    fn the_pages_speak_vietnamese_unless_told_english() {
        let c = Config::parse("", "loa.toml").unwrap();
        assert_eq!(c.publish.lang, Lang::Vi);
        let c = Config::parse("[publish]\nlang = \"en\"\n", "loa.toml").unwrap();
        assert_eq!(c.publish.lang, Lang::En);
        let errors = Config::parse("[publish]\nlang = \"fr\"\n", "loa.toml").unwrap_err();
        assert_eq!(
            errors.to_string().lines().next().unwrap(),
            "loa.toml:2:8: \"lang\" = \"fr\" is not a language of the pages: \"vi\" or \"en\""
        );
    }

    #[test]
    fn province_and_agency_mistakes_are_reported_with_their_line() {
        let text = "[province]\nformer = \"Bình Định\"\n\n[[agency]]\nslug = \"ubnd-tinh\"\nname = \"UBND tỉnh\"\nreplace = \"yes\"\n\n[[agency]]\nname = \"UBND tỉnh\"\n";
        let Err(ConfigError::Invalid(d)) = Config::parse(text, "bad.toml") else { panic!("config should be refused") };
        let lines: Vec<(usize, &str)> = d.iter().map(|d| (d.line, d.message.as_str())).collect();
        assert_eq!(d.len(), 4, "{lines:?}");
        assert!(d.iter().any(|d| d.line == 9 && d.message.contains("declared twice")));
        assert!(d.iter().any(|d| d.line == 1 && d.message.contains("[province]") && d.message.contains("name")));
        assert!(d.iter().any(|d| d.line == 2 && d.message.contains("must be a list of strings")));
        assert!(d.iter().any(|d| d.line == 7 && d.message.contains("\"replace\" must be true or false")));
        let c = Config::parse(
            "[province]\nname = \"Gia Lai\"\nformer = [\"Bình Định\"]\n[[agency]]\nslug = \"ubnd-tinh\"\nname = \"UBND tỉnh Gia Lai\"\n[[source]]\nid = \"s\"\nurl = \"https://gialai.gov.vn/rss\"\nagency = \"ubnd-tinh\"\n",
            "loa.toml",
        )
        .unwrap();
        assert_eq!(c.agencies.province(), (vec!["Gia Lai", "Bình Định"], false));
        assert_eq!(c.agencies.find("Văn phòng UBND tỉnh Bình Định").unwrap().slug, "ubnd-tinh");
    }

    #[test]
    fn every_mistake_is_reported_with_its_line() {
        let text = r#"[poll]
interval = "soon"
colour = "red"

[[source]]
id = "a"
url = "https://a.example/rss"
agency = "no-such-agency"

[[source]]
id = "a"
url = "https://b.example/rss"
agency = "tinh-uy"

[[source]]
id = "c"
agency = "tinh-uy"
"#;
        let Err(ConfigError::Invalid(d)) = Config::parse(text, "bad.toml") else { panic!("config should be refused") };
        let lines: Vec<(usize, &str)> = d.iter().map(|d| (d.line, d.message.as_str())).collect();
        assert_eq!(d.len(), 5, "{lines:?}");
        assert!(d.iter().any(|d| d.line == 2 && d.message.contains("duration")));
        assert!(d.iter().any(|d| d.line == 3 && d.message.contains("unknown key \"poll.colour\"")));
        assert!(d.iter().any(|d| d.line == 8 && d.message.contains("unknown agency")));
        assert!(d.iter().any(|d| d.line == 11 && d.message.contains("duplicate source id")));
        assert!(d.iter().any(|d| d.message.contains("has no url")));
        assert_eq!(
            d[0].to_string(),
            "bad.toml:2:12: \"interval\" = \"soon\" is not a duration such as \"90s\", \"15m\" or \"1h30m\""
        );
    }

    #[test]
    fn syntax_errors_have_positions() {
        let Err(ConfigError::Invalid(d)) = Config::parse("[poll\ninterval = 1", "x.toml") else {
            panic!("config should be refused")
        };
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, 1);
    }

    #[test]
    fn bad_css_selectors_are_config_errors() {
        let text = "[[source]]\nid = \"dv\"\nurl = \"https://dv.example/\"\nkind = \"html\"\nagency = \"tinh-uy\"\n[source.html]\nitem = \"div.news-item[\"\nlink = \"h3 a\"\ntitle = \"h3 a\"\n";
        let Err(ConfigError::Invalid(d)) = Config::parse(text, "x.toml") else { panic!("config should be refused") };
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, 7);
        assert!(d[0].message.contains("is not a CSS selector"), "{}", d[0]);
    }

    #[test]
    fn html_sources_need_selectors() {
        let text = "[[source]]\nid = \"dv\"\nurl = \"https://dv.example/\"\nkind = \"html\"\nagency = \"tinh-uy\"\n[source.html]\nitem = \"div.news-item\"\nlink = \"h3 a\"\n";
        let Err(ConfigError::Invalid(d)) = Config::parse(text, "x.toml") else { panic!("config should be refused") };
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("missing \"title\""), "{}", d[0]);
    }
}
