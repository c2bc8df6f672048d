//! The published feeds as strict readers and aggregators see them: required
//! elements element by element, validators per representation, paging, search,
//! discovery, WebSub and static export.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use common::{client, SourceServer};
use loa::daemon::Engine;
use tokio_util::sync::CancellationToken;

const SOURCES: &[(&str, &str, &str)] = &[
    ("tinhuy", "tinhuy.rss", "tinh-uy"),
    ("ubnd", "ubnd.atom", "ubnd-tinh"),
    ("baodongkhoi", "bdk.rss", "bao-dong-khoi"),
];

struct Site {
    engine: Arc<Engine>,
    base: String,
    stop: CancellationToken,
    _server: SourceServer,
    _dir: tempfile::TempDir,
}

async fn site(publish: &str) -> Site {
    let server = SourceServer::start().await;
    server.fixture("tinhuy.rss", "tinhuy-rss.xml");
    server.fixture("ubnd.atom", "ubnd-atom.xml");
    server.fixture("bdk.rss", "baodongkhoi-rss.xml");
    let dir = tempfile::tempdir().unwrap();
    let listener = loa::daemon::bind("127.0.0.1:0".parse().unwrap(), "test").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let text = common::config_text(&server, SOURCES, &dir.path().join("db"), "")
        .replace("base_url = \"http://loa.test\"", &format!("base_url = \"{base}\""))
        + "[publish]\ntitle = \"Tin tức tỉnh Bến Tre\"\n"
        + publish;
    let engine = common::engine(&text);
    for (id, _, _) in SOURCES {
        engine.cycle(&[id.to_string()]).await;
    }
    let stop = common::serve_engine(&engine, listener);
    Site { engine, base, stop, _server: server, _dir: dir }
}

async fn get(url: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = client().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let (status, h) = (resp.status(), resp.headers().clone());
    (status, h, resp.bytes().await.unwrap().to_vec())
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

/// Every `<name>…</name>` value in a document.
fn values(doc: &str, name: &str) -> Vec<String> {
    doc.split(&format!("<{name}>"))
        .skip(1)
        .map(|p| p.split(&format!("</{name}>")).next().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atom_has_every_required_element() {
    let site = site("").await;
    for path in ["/feed.atom", "/agency/ban-dan-van-tinh-uy.atom"] {
        let (status, headers, body) = get(&format!("{}{path}", site.base), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "application/atom+xml; charset=utf-8");
        let doc = text(&body);
        assert!(doc.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<?xml-stylesheet href=\""), "{path}");
        let feed = feed_rs::parser::parse(&body[..]).unwrap();
        assert_eq!(feed.id, format!("{}{path}", site.base));
        assert!(feed.title.unwrap().content.contains("Tin tức tỉnh Bến Tre"));
        assert!(feed.updated.is_some());
        assert!(!feed.authors.is_empty());
        let rel = |r: &str| feed.links.iter().find(|l| l.rel.as_deref() == Some(r)).map(|l| l.href.clone());
        assert_eq!(rel("self").unwrap(), format!("{}{path}", site.base));
        assert_eq!(rel("alternate").unwrap(), page_of(&site.base, path));
        for d in values(&doc, "updated").iter().chain(&values(&doc, "published")) {
            assert!(d.ends_with('Z') && d.len() == 20, "RFC 3339 in Z: {d}");
        }
        assert!(!doc.chars().any(|c| c.is_control() && c != '\n'), "no control characters");
        for e in &feed.entries {
            assert!(e.id.starts_with("tag:127.0.0.1,2026:story/"), "{}", e.id);
            assert!(e.title.is_some() && e.updated.is_some() && e.published.is_some());
            assert!(!e.authors.is_empty(), "entry author is the agency");
            assert!(e.content.is_some());
        }
        assert!(doc.contains("<content type=\"html\">") && doc.contains("<summary type=\"html\">"));
        assert_eq!(doc.matches("<source>").count(), feed.entries.len(), "atom:source on every entry");
        assert!(doc.contains("<category term="));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_has_every_required_element() {
    let site = site("").await;
    for path in ["/feed.rss", "/agency/so-nong-nghiep-va-phat-trien-nong-thon.rss"] {
        let (status, headers, body) = get(&format!("{}{path}", site.base), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "application/rss+xml; charset=utf-8");
        let channel = rss::Channel::read_from(&body[..]).unwrap();
        assert!(channel.title.contains("Tin tức tỉnh Bến Tre"));
        assert_eq!(channel.link, page_of(&site.base, path));
        assert!(!channel.description.is_empty());
        assert_eq!(channel.language.as_deref(), Some("vi"));
        assert!(channel.last_build_date.is_some());
        let atom = channel.atom_ext.as_ref().unwrap();
        assert!(atom.links.iter().any(|l| l.rel == "self" && l.href == format!("{}{path}", site.base)));
        for item in &channel.items {
            assert!(item.title.is_some() && item.link.is_some() && item.description.is_some());
            let guid = item.guid.as_ref().unwrap();
            assert!(!guid.permalink && guid.value.starts_with("tag:"));
            let date = item.pub_date.as_deref().unwrap();
            let parsed = chrono::DateTime::parse_from_rfc2822(date).unwrap();
            assert!(date.contains(&parsed.format(" %Y ").to_string()), "four-digit year: {date}");
            assert!(!item.dublin_core_ext.as_ref().unwrap().creators.is_empty(), "dc:creator");
            assert!(item.author.is_none(), "RSS author is an e-mail: not used for names");
            assert!(item.source.as_ref().unwrap().url.starts_with("http"));
        }
        assert!(channel.items.iter().any(|i| !i.categories.is_empty()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_feed_has_every_required_member() {
    let site = site("").await;
    for path in ["/feed.json", "/agency/ubnd-tinh.json"] {
        let (status, headers, body) = get(&format!("{}{path}", site.base), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "application/feed+json; charset=utf-8");
        let feed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
        assert!(feed["title"].as_str().unwrap().contains("Tin tức tỉnh Bến Tre"));
        assert_eq!(feed["home_page_url"], page_of(&site.base, path));
        assert_eq!(feed["feed_url"], format!("{}{path}", site.base));
        for item in feed["items"].as_array().unwrap() {
            for key in ["id", "url", "title", "content_html", "date_published", "date_modified", "authors", "_loa"] {
                assert!(!item[key].is_null(), "{key} in {item}");
            }
            let loa = &item["_loa"];
            assert!(loa["agency"].is_string() && loa["agencies"].is_array() && loa["sources"].is_array());
        }
        assert!(feed["items"].as_array().unwrap().iter().any(|i| i["tags"].is_array()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_get_matrix() {
    let site = site("max_age = \"10m\"\n").await;
    let url = format!("{}/feed.atom", site.base);
    let mut etags = Vec::new();
    for (coding, accept) in [("identity", ""), ("gzip", "gzip"), ("br", "gzip, br")] {
        for method in ["GET", "HEAD"] {
            let req = |extra: &[(&str, String)]| {
                let mut r = client().request(method.parse().unwrap(), &url);
                if !accept.is_empty() {
                    r = r.header("accept-encoding", accept);
                }
                for (k, v) in extra {
                    r = r.header(*k, v);
                }
                r
            };
            let first = req(&[]).send().await.unwrap();
            assert_eq!(first.status(), 200, "{coding} {method}");
            let h = first.headers().clone();
            assert_eq!(h["vary"], "Accept-Encoding, Accept");
            assert_eq!(h["cache-control"], "public, max-age=600");
            assert_eq!(
                h.get("content-encoding").map(|v| v.to_str().unwrap()),
                (coding != "identity").then_some(coding)
            );
            let etag = h["etag"].to_str().unwrap().to_string();
            let lm = h["last-modified"].to_str().unwrap().to_string();
            let body = first.bytes().await.unwrap();
            if method == "GET" {
                let plain = match coding {
                    "gzip" => {
                        let mut out = Vec::new();
                        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut out).unwrap();
                        out
                    }
                    "br" => {
                        let mut out = Vec::new();
                        std::io::Read::read_to_end(&mut brotli::Decompressor::new(&body[..], 4096), &mut out).unwrap();
                        out
                    }
                    _ => body.to_vec(),
                };
                assert!(feed_rs::parser::parse(&plain[..]).is_ok(), "{coding}: decodes to the feed");
                etags.push(etag.clone());
            } else {
                assert!(body.is_empty(), "HEAD has no body");
            }
            for validators in [
                vec![("if-none-match", etag.clone())],
                vec![("if-none-match", format!("W/{etag}"))],
                vec![("if-modified-since", lm.clone())],
            ] {
                let again = req(&validators).send().await.unwrap();
                assert_eq!(again.status(), 304, "{coding} {method} {validators:?}");
                assert!(again.bytes().await.unwrap().is_empty());
            }
            let stale = req(&[("if-none-match", "\"stale\"".to_string())]).send().await.unwrap();
            assert_eq!(stale.status(), 200);
        }
    }
    etags.sort();
    etags.dedup();
    assert_eq!(etags.len(), 3, "a strong ETag per representation");

    // A coding the client refuses by name is not chosen through a wildcard.
    for (accept, want) in [("br;q=0, *", Some("gzip")), ("*;q=0.5, gzip;q=0, br;q=0", None), ("*", Some("br"))] {
        let (_, h, _) = get(&url, &[("accept-encoding", accept)]).await;
        assert_eq!(h.get("content-encoding").map(|v| v.to_str().unwrap()), want, "{accept}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_limits_and_tone_insensitive_search() {
    let site = site("limit = 5\n").await;
    // Pages follow rel="next" to the end: every story once, newest first.
    let mut url = format!("{}/feed.atom", site.base);
    let mut ids = Vec::new();
    let mut dates = Vec::new();
    for _ in 0..10 {
        let (status, headers, body) = get(&url, &[]).await;
        assert_eq!(status, 200, "{url}");
        assert!(headers.contains_key("etag"));
        assert!(
            headers["link"].to_str().unwrap().starts_with(&format!("<{url}>; rel=\"self\"")),
            "each page's Link header names the page itself: {:?}",
            headers["link"]
        );
        let feed = feed_rs::parser::parse(&body[..]).unwrap();
        assert!(feed.entries.len() <= 5);
        ids.extend(feed.entries.iter().map(|e| e.id.clone()));
        dates.extend(feed.entries.iter().map(|e| e.published.unwrap()));
        match feed.links.iter().find(|l| l.rel.as_deref() == Some("next")) {
            Some(next) => url = next.href.clone(),
            None => break,
        }
    }
    assert_eq!(ids.len(), site.engine.store.story_count());
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "no story on two pages");
    assert!(dates.windows(2).all(|w| w[0] >= w[1]));

    let limited = get(&format!("{}/feed.json?limit=2", site.base), &[]).await;
    let json: serde_json::Value = serde_json::from_slice(&limited.2).unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 2);
    assert_eq!(get(&format!("{}/feed.json?limit=many", site.base), &[]).await.0, 400);

    for q in ["dan van", "DÂN VẬN", "dân vận"] {
        let (status, _, body) = get(&format!("{}/feed.json?q={}", site.base, urlencode(q)), &[]).await;
        assert_eq!(status, 200);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let titles: Vec<&str> =
            json["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
        assert!(titles.iter().any(|t| t.contains("dân vận")), "{q}: {titles:?}");
        assert!(!titles.iter().any(|t| t.starts_with("Sở Y tế")), "{q}: {titles:?}");
    }
}

/// The reading view's page of the stories a feed at `path` carries.
fn page_of(base: &str, path: &str) -> String {
    match path.rsplit_once('.').unwrap().0 {
        "/feed" => format!("{base}/"),
        stem => format!("{base}{stem}/"),
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_stylesheet_and_opml() {
    let site = site("").await;
    let (status, headers, body) = get(&format!("{}/feed.xsl", site.base), &[]).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/xsl"));
    assert!(text(&body).contains("xsl:stylesheet"));
    for path in ["/feed.atom", "/feed.rss"] {
        let doc = text(&get(&format!("{}{path}", site.base), &[]).await.2);
        assert!(
            doc.contains(&format!("<?xml-stylesheet href=\"{}/feed.xsl\" type=\"text/xsl\"?>", site.base)),
            "{path}"
        );
    }
    // A browser gets the feed as XML its stylesheet applies to; a reader, as Atom.
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let (_, as_page, page_body) = get(&format!("{}/feed.atom", site.base), &[("accept", browser)]).await;
    assert_eq!(as_page["content-type"], "application/xml; charset=utf-8");
    let (_, as_feed, feed_body) = get(&format!("{}/feed.atom", site.base), &[("accept", "application/atom+xml")]).await;
    assert_eq!(as_feed["content-type"], "application/atom+xml; charset=utf-8");
    assert_eq!(page_body, feed_body);
    assert_ne!(as_page["etag"], as_feed["etag"]);
    let index = text(&get(&format!("{}/", site.base), &[]).await.2);
    assert!(index.contains("<link rel=\"alternate\" type=\"application/atom+xml\""));
    let agencies = text(&get(&format!("{}/agency/", site.base), &[]).await.2);
    assert!(agencies.contains("/agency/ban-dan-van-tinh-uy.atom"));
    let feeds = text(&get(&format!("{}/feeds.opml", site.base), &[]).await.2);
    let outlines = loa::publish::opml::outlines(&feeds);
    assert_eq!(outlines.len(), site.engine.publisher.scopes().len());
    let sources = text(&get(&format!("{}/sources.opml", site.base), &[]).await.2);
    assert_eq!(loa::publish::opml::outlines(&sources).len(), 3);
    site.stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websub_pings_each_changed_feed_once() {
    let hub = common::FakeHub::start(Duration::ZERO).await;
    let hub_url = hub.url.clone();
    let site = site(&format!("hubs = [\"{hub_url}\"]\n")).await;
    let settle = || tokio::time::sleep(Duration::from_millis(500));
    settle().await;
    let first = hub.pings();
    assert!(first.iter().all(|b| b.starts_with("hub.mode=publish&hub.url=")), "{first:?}");
    let topics = |bodies: &[String]| {
        let mut t: Vec<String> = bodies
            .iter()
            .map(|b| url::form_urlencoded::parse(b.as_bytes()).find(|(k, _)| k == "hub.url").unwrap().1.into_owned())
            .collect();
        t.sort();
        t
    };
    let mut unique = topics(&first);
    unique.dedup();
    assert!(unique.contains(&format!("{}/feed.atom", site.base)));
    assert!(unique.contains(&format!("{}/agency/ubnd-tinh.json", site.base)));
    // The feeds name the hub.
    let (_, headers, body) = get(&format!("{}/feed.atom", site.base), &[]).await;
    assert!(headers["link"].to_str().unwrap().contains(&format!("<{hub_url}>; rel=\"hub\"")));
    assert!(text(&body).contains(&format!("<link rel=\"hub\" href=\"{hub_url}\"/>")));

    // Nothing changed: no ping.
    hub.clear();
    site.engine.cycle(&[]).await;
    settle().await;
    assert!(hub.pings().is_empty(), "{:?}", hub.pings());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_every_document_as_static_files() {
    let site = site("limit = 4\n").await;
    let out = tempfile::tempdir().unwrap();
    let summary = loa::export::export(&site.engine.config(), &site.engine.store, out.path(), 100).unwrap();
    assert!(summary.files > 20);
    for f in [
        "feed.atom",
        "feed.atom.gz",
        "feed.rss",
        "feed.json",
        "index.html",
        "feeds.opml",
        "sources.opml",
        "feed.xsl",
        "agency/ubnd-tinh.atom",
    ] {
        assert!(out.path().join(f).is_file(), "{f}");
    }
    // The exported first page is the served one, byte for byte, and its next link
    // resolves to an exported page.
    let served = get(&format!("{}/feed.atom", site.base), &[]).await.2;
    let exported = std::fs::read(out.path().join("feed.atom")).unwrap();
    assert_eq!(served, exported);
    let feed = feed_rs::parser::parse(&exported[..]).unwrap();
    let next = feed.links.iter().find(|l| l.rel.as_deref() == Some("next")).unwrap().href.clone();
    let rel = next.strip_prefix(&site.base).unwrap().trim_start_matches('/');
    assert!(out.path().join(rel).is_file(), "{rel}");
    assert!(!std::fs::read_dir(out.path()).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains(".tmp")));
}
