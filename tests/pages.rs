//! The reading view as browsers and people get it: valid HTML5 with the right
//! headers and validators, the sources' content sanitized exactly as in the feeds,
//! every copy of a story, paging and search links that lead somewhere, the pages'
//! own words in the configured language, and a static export whose links resolve.

mod common;

use std::collections::BTreeSet;
use std::io::Read as _;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use common::SourceServer;
use loa::daemon::Engine;
use loa::model::{FeedKind, StoryId};
use loa::store::Scope;
use scraper::{Html, Selector};
use tokio_util::sync::CancellationToken;

const SOURCES: &[(&str, &str, &str)] = &[
    ("tinhuy", "tinhuy.rss", "tinh-uy"),
    ("ubnd", "ubnd.atom", "ubnd-tinh"),
    ("baodongkhoi", "bdk.rss", "bao-dong-khoi"),
    ("syt", "syt.rss", "so-y-te"),
];

/// The health department's own feed: three notices without bylines, so that one
/// agency's stream has pages of its own.
fn health_feed() -> Vec<u8> {
    let items: String = (1..=3)
        .map(|n| {
            format!(
                "<item><title>Thông báo số {n} của Sở Y tế về lịch tiêm chủng tháng 8</title>\
                 <link>https://syt.bentre.gov.vn/thong-bao-{n}.html</link>\
                 <description>&lt;p&gt;Nội dung thông báo {n} về lịch tiêm chủng mở rộng.&lt;/p&gt;</description>\
                 <pubDate>Mon, 0{n} Aug 2022 08:00:00 +0700</pubDate></item>"
            )
        })
        .collect();
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Sở Y tế</title><link>https://syt.bentre.gov.vn/</link><description>Thông báo</description>{items}</channel></rss>").into_bytes()
}

struct Site {
    engine: Arc<Engine>,
    base: String,
    stop: CancellationToken,
    _server: SourceServer,
    _dir: tempfile::TempDir,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn site(publish: &str) -> Site {
    let server = SourceServer::start().await;
    server.fixture("tinhuy.rss", "tinhuy-rss.xml");
    server.fixture("ubnd.atom", "ubnd-atom.xml");
    server.fixture("bdk.rss", "baodongkhoi-rss.xml");
    server.set("syt.rss", common::Behavior::File(health_feed()));
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
    let mut req = common::client().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let (status, h) = (resp.status(), resp.headers().clone());
    (status, h, resp.bytes().await.unwrap().to_vec())
}

/// A page that must be there: 200, HTML, and valid HTML5 (no parse error a
/// browser would have to recover from). Returns its text.
async fn page(url: &str) -> String {
    let (status, headers, body) = get(url, &[]).await;
    assert_eq!(status, 200, "{url}");
    assert_eq!(headers["content-type"], "text/html; charset=utf-8", "{url}");
    let text = String::from_utf8(body).unwrap();
    assert_valid_html(&text, url);
    text
}

fn assert_valid_html(text: &str, what: &str) {
    let doc = Html::parse_document(text);
    assert!(doc.errors.is_empty(), "{what}: HTML5 parse errors {:?}", doc.errors);
    assert!(text.starts_with("<!DOCTYPE html>\n<html lang=\""), "{what}");
}

#[test]
fn the_html5_check_sees_what_browsers_recover_from() {
    for broken in
        ["<!DOCTYPE html>\n<html lang=\"vi\"><p>a</div>", "<!DOCTYPE html>\n<html lang=\"vi\"><p a=\"1\" a=\"2\">"]
    {
        assert!(!Html::parse_document(broken).errors.is_empty(), "{broken}");
    }
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

/// Every `href` of the elements `css` selects.
fn hrefs(text: &str, css: &str) -> Vec<String> {
    let doc = Html::parse_document(text);
    select(&doc, css).iter().filter_map(|a| a.attr("href").map(str::to_string)).collect()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn scopes(engine: &Engine) -> Vec<Scope> {
    let mut scopes = vec![Scope::All];
    scopes.extend(engine.store.agencies().unwrap().into_iter().map(Scope::Agency));
    scopes
}

fn stream_url(base: &str, scope: &Scope) -> String {
    match scope {
        Scope::All => format!("{base}/"),
        Scope::Agency(slug) => format!("{base}/agency/{slug}/"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_valid_html5_with_validators() {
    let site = site("").await;
    let b = &site.base;
    let index = page(&format!("{b}/")).await;
    let story = hrefs(&index, "article.story h2 a")[0].clone();
    let mut urls = vec![
        format!("{b}/"),
        format!("{b}/agency/"),
        format!("{b}/agency/ban-dan-van-tinh-uy"),
        format!("{b}/agency/ban-dan-van-tinh-uy/"),
        story.clone(),
        story.trim_end_matches('/').to_string(),
        format!("{b}/search"),
        format!("{b}/search?q=dan+van"),
        format!("{b}/search?q=kh%C3%B4ng+c%C3%B3+g%C3%AC+%3Cscript%3E"),
    ];
    urls.extend(scopes(&site.engine).iter().map(|s| stream_url(b, s)));
    for url in &urls {
        page(url).await;
        let (_, h, identity) = get(url, &[]).await;
        assert_eq!(h["vary"], "Accept-Encoding", "{url}");
        assert_eq!(h["cache-control"], "public, max-age=300", "{url}");
        let etag = h["etag"].to_str().unwrap().to_string();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "a strong ETag: {etag}");
        // 304 on the ETag, weakly compared, and on the date.
        for inm in [etag.clone(), format!("W/{etag}")] {
            let (status, h304, body) = get(url, &[("if-none-match", &inm)]).await;
            assert_eq!(status, 304, "{url} {inm}");
            assert!(body.is_empty());
            assert_eq!(h304["etag"], etag.as_str());
        }
        if let Some(lm) = h.get("last-modified") {
            assert_eq!(get(url, &[("if-modified-since", lm.to_str().unwrap())]).await.0, 304, "{url}");
        }
        // gzip and br: each its own ETag, the same page once decoded.
        let (_, hg, gz) = get(url, &[("accept-encoding", "gzip")]).await;
        assert_eq!(hg["content-encoding"], "gzip");
        assert_ne!(hg["etag"], h["etag"]);
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut plain).unwrap();
        assert_eq!(plain, identity, "{url}");
        let (_, hb, br) = get(url, &[("accept-encoding", "br, gzip")]).await;
        assert_eq!(hb["content-encoding"], "br");
        let mut plain = Vec::new();
        brotli::Decompressor::new(&br[..], 4096).read_to_end(&mut plain).unwrap();
        assert_eq!(plain, identity, "{url}");
    }
    // A stream page names its feed in the Link header too.
    let (_, h, _) = get(&format!("{b}/agency/ban-dan-van-tinh-uy/"), &[]).await;
    let link = format!("<{b}/agency/ban-dan-van-tinh-uy.atom>; rel=\"alternate\"; type=\"application/atom+xml\"");
    assert_eq!(h["link"], link.as_str());
    // The stylesheet is served the same way; unknown paths get a page, with 404.
    let (status, h, css) = get(&format!("{b}/style.css"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(h["content-type"], "text/css; charset=utf-8");
    assert!(String::from_utf8(css).unwrap().contains("@media print"));
    assert_eq!(get(&format!("{b}/style.css"), &[("if-none-match", h["etag"].to_str().unwrap())]).await.0, 304);
    for missing in ["/story/0000000000000000/", "/story/not-an-id", "/agency/no-such-body/", "/page/zz/", "/nothing"] {
        let (status, h, body) = get(&format!("{b}{missing}"), &[]).await;
        assert_eq!(status, 404, "{missing}");
        assert_eq!(h["content-type"], "text/html; charset=utf-8");
        assert_valid_html(&String::from_utf8(body).unwrap(), missing);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_content_is_sanitized_exactly_as_in_the_feeds() {
    let site = site("").await;
    let b = &site.base;
    let json: serde_json::Value =
        serde_json::from_slice(&site.engine.publisher.get(&Scope::All, FeedKind::Json).unwrap().bytes).unwrap();
    let mut pages = Vec::new();
    for scope in scopes(&site.engine) {
        pages.push(page(&stream_url(b, &scope)).await);
    }
    let items = json["items"].as_array().unwrap();
    assert!(items.len() > 10);
    for item in items {
        let id = item["id"].as_str().unwrap().rsplit('/').next().unwrap();
        let story = page(&format!("{b}/story/{id}/")).await;
        // The article is the very HTML the feeds carry (the store's sanitized copy).
        let content = item["content_html"].as_str().unwrap();
        assert!(story.contains(content), "story {id} does not carry the feed's content");
        pages.push(story);
    }
    pages.push(page(&format!("{b}/search?q=hoi+nghi")).await);
    // The fixture's <script>, onerror, onclick, javascript: links, <style> and
    // remote script reach no page.
    for text in &pages {
        let lower = text.to_lowercase();
        for bad in ["<script", "&lt;script", "onerror", "onclick", "javascript:", "<style", "&lt;style", "tracker.js"] {
            assert!(!lower.contains(bad), "{bad} in a page");
        }
    }
    // Text from the sources is escaped, never markup: a title with "&quot;" reads
    // as a quote and is written back escaped.
    let index = &pages[0];
    assert!(index.contains("&quot;"), "the T7 title's quotes, escaped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn story_pages_list_every_copy_with_its_site_and_date() {
    let site = site("").await;
    let b = &site.base;
    let index = page(&format!("{b}/")).await;
    let doc = Html::parse_document(&index);
    // The story three sites carried: listed once on the stream with every site.
    let merged: Vec<_> = select(&doc, "article.story")
        .into_iter()
        .filter(|a| {
            a.select(&Selector::parse("h2").unwrap())
                .any(|h| h.text().collect::<String>().starts_with("Phó Bí thư Thường trực Tỉnh ủy dự hội nghị sơ kết"))
        })
        .collect();
    assert_eq!(merged.len(), 1);
    let sites: Vec<String> =
        merged[0].select(&Selector::parse("p.sites a").unwrap()).map(|a| a.text().collect::<String>()).collect();
    assert_eq!(sites, ["bentre.dcs.vn", "bentre.gov.vn", "baodongkhoi.vn"]);
    let story_url = merged[0].select(&Selector::parse("h2 a").unwrap()).next().unwrap().attr("href").unwrap();
    let story = page(story_url).await;
    let doc = Html::parse_document(&story);
    let copies = select(&doc, "section.copies li");
    assert_eq!(copies.len(), 3);
    let json: serde_json::Value =
        serde_json::from_slice(&site.engine.publisher.get(&Scope::All, FeedKind::Json).unwrap().bytes).unwrap();
    let item = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| story_url.contains(i["id"].as_str().unwrap().rsplit('/').next().unwrap()))
        .unwrap();
    for (li, source) in copies.iter().zip(item["_loa"]["sources"].as_array().unwrap()) {
        let a = li.select(&Selector::parse("a").unwrap()).next().unwrap();
        assert_eq!(a.attr("href"), source["url"].as_str(), "each copy links to its own site");
        let time = li.select(&Selector::parse("time").unwrap()).next().expect("each copy has its date");
        assert!(time.attr("datetime").unwrap().ends_with('Z'));
        let local = time.text().collect::<String>();
        assert_eq!(local.len(), "05/08/2022 09:30".len(), "{local}");
    }
    assert_eq!(
        select(&doc, "section.copies time").iter().map(|t| t.text().collect::<String>()).collect::<Vec<_>>(),
        ["05/08/2022 10:15", "05/08/2022 10:42", "05/08/2022 15:20"],
        "dates in the province's time zone, primary first"
    );
    let agencies = select(&doc, "article.full .meta a");
    assert_eq!(agencies[0].text().collect::<String>(), "Ban Dân vận Tỉnh ủy");
    // The story page is rendered once and kept until the next change.
    let id = StoryId(story_url.trim_end_matches('/').rsplit('/').next().unwrap().to_string());
    let store = &site.engine.store;
    let first = site.engine.publisher.story_page(store, &id).unwrap().unwrap();
    let again = site.engine.publisher.story_page(store, &id).unwrap().unwrap();
    assert!(Arc::ptr_eq(&first, &again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_and_search_links_work() {
    let site = site("limit = 1\n").await;
    let b = &site.base;
    let busiest = scopes(&site.engine)
        .into_iter()
        .skip(1)
        .max_by_key(|s| site.engine.store.page(s, None, 100).unwrap().0.len())
        .unwrap();
    assert!(site.engine.store.page(&busiest, None, 100).unwrap().0.len() >= 2);
    for scope in [Scope::All, busiest] {
        // Following "Trang sau" to the end shows every story once, newest first,
        // as the feed's pages do.
        let mut url = stream_url(b, &scope);
        let mut seen = Vec::new();
        for n in 0.. {
            assert!(n < 50, "paging never ends");
            let text = page(&url).await;
            let stories = hrefs(&text, "article.story h2 a");
            assert_eq!(stories.len(), 1);
            seen.extend(stories);
            let doc = Html::parse_document(&text);
            if n > 0 {
                let first = select(&doc, "nav.pager a:not([rel])");
                assert_eq!(first[0].attr("href"), Some(stream_url(b, &scope).as_str()), "older pages link the first");
            }
            match select(&doc, "a[rel=next]").first() {
                Some(next) => {
                    assert_eq!(next.text().collect::<String>(), "Trang sau →");
                    url = next.attr("href").unwrap().to_string();
                }
                None => break,
            }
        }
        let mut feed_ids = Vec::new();
        let mut feed = loa::publish::Settings::from_config(&site.engine.config()).url(&scope, FeedKind::Atom);
        loop {
            let f = feed_rs::parser::parse(&get(&feed, &[]).await.2[..]).unwrap();
            feed_ids.extend(f.entries.iter().map(|e| e.id.rsplit('/').next().unwrap().to_string()));
            match f.links.iter().find(|l| l.rel.as_deref() == Some("next")) {
                Some(next) => feed = next.href.clone(),
                None => break,
            }
        }
        let page_ids: Vec<String> =
            seen.iter().map(|u| u.trim_end_matches('/').rsplit('/').next().unwrap().to_string()).collect();
        assert_eq!(page_ids, feed_ids, "{scope:?}");
        if scope == Scope::All {
            assert_eq!(page_ids.len(), site.engine.store.story_count());
        }
    }

    // The search form sends q to the search page; results link to story pages.
    let index = page(&format!("{b}/")).await;
    let doc = Html::parse_document(&index);
    let form = select(&doc, "form[role=search]")[0];
    assert_eq!(form.attr("action"), Some(format!("{b}/search").as_str()));
    let input = select(&doc, "form[role=search] input[name=q]")[0];
    let label = select(&doc, "form[role=search] label")[0];
    assert_eq!(label.attr("for"), input.attr("id"), "the field has a label");
    for q in ["dan van", "DÂN VẬN", "dân vận"] {
        let text = page(&format!("{b}/search?q={}", urlencode(q))).await;
        let doc = Html::parse_document(&text);
        let titles: Vec<String> = select(&doc, "article.story h2").iter().map(|h| h.text().collect()).collect();
        assert!(titles.iter().any(|t| t.contains("dân vận")), "{q}: {titles:?}");
        assert!(!titles.iter().any(|t| t.starts_with("Sở Y tế")), "{q}: {titles:?}");
        assert_eq!(select(&doc, "input[name=q]")[0].attr("value"), Some(q), "the query stays in the field");
        for story in hrefs(&text, "article.story h2 a") {
            page(&story).await;
        }
    }
    let none = page(&format!("{b}/search?q=xyzzy")).await;
    assert!(none.contains("Không tìm thấy tin nào."));
    let long = "a".repeat(201);
    assert_eq!(get(&format!("{b}/search?q={long}"), &[]).await.0, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_is_one_click_away_on_every_page() {
    let site = site("").await;
    let b = &site.base;
    let index = page(&format!("{b}/")).await;
    let story = hrefs(&index, "article.story h2 a")[0].clone();
    for (url, feed) in [
        (format!("{b}/"), format!("{b}/feed")),
        (format!("{b}/agency/ban-dan-van-tinh-uy/"), format!("{b}/agency/ban-dan-van-tinh-uy")),
        (story, format!("{b}/feed")),
        (format!("{b}/search?q=x"), format!("{b}/feed")),
        (format!("{b}/agency/"), format!("{b}/feed")),
    ] {
        let text = page(&url).await;
        let discovery = hrefs(&text, "link[rel=alternate]");
        let buttons = hrefs(&text, "p.subscribe a");
        for ext in ["atom", "rss", "json"] {
            assert!(discovery.contains(&format!("{feed}.{ext}")), "{url}: autodiscovery of {feed}.{ext}");
            assert!(buttons.contains(&format!("{feed}.{ext}")), "{url}: a button for {feed}.{ext}");
        }
        assert!(buttons.contains(&format!("{b}/feeds.opml")), "{url}: OPML");
        assert!(!text.contains("<script"), "no JavaScript");
        assert!(!text.contains("https://fonts.") && !text.contains("cdn"), "no external fonts or CDNs");
    }
    // The agencies page reaches every published feed.
    let agencies = page(&format!("{b}/agency/")).await;
    for (scope, _, _) in site.engine.publisher.scopes() {
        assert!(agencies.contains(&stream_url(b, &scope)), "{scope:?}");
    }
    // A browser without XSLT is told where the page is.
    let atom = String::from_utf8(get(&format!("{b}/agency/ban-dan-van-tinh-uy.atom"), &[]).await.2).unwrap();
    let pointer = format!("Đọc tin trên trình duyệt: {b}/agency/ban-dan-van-tinh-uy/ -->");
    assert!(atom.contains(&pointer), "{}", &atom[..400]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_own_words_follow_the_configured_language() {
    // Vietnamese by default: loa's words, and dates as 05/08/2022 10:15.
    let vi = site("limit = 4\n").await;
    let text = page(&format!("{}/", vi.base)).await;
    assert!(text.contains("<html lang=\"vi\">"));
    for word in ["Tin mới", "Các cơ quan", "Cập nhật", "Đăng ký nhận tin", "Trang sau", "Tìm</button>", "Đăng trên"]
    {
        assert!(text.contains(word), "{word}");
    }
    let words = visible_words(&text);
    for english in ["Feed", "Feeds", "Entries", "Updated", "Subscribe", "Search", "Next", "Sources", "Latest", "Page"] {
        assert!(!words.contains(english), "English \"{english}\" on a Vietnamese page");
    }
    assert!(text.contains(">05/08/2022 10:15</time>"));

    let en = site("limit = 4\nlang = \"en\"\n").await;
    let text = page(&format!("{}/", en.base)).await;
    assert!(text.contains("<html lang=\"en\">"));
    for word in ["Latest news", "Agencies", "Updated", "Subscribe", "Next page", ">Search</button>", "Published on"] {
        assert!(text.contains(word), "{word}");
    }
    assert!(text.contains(">05 Aug 2022 10:15</time>"));
    assert!(text.contains("<article class=\"story\" lang=\"vi\">"), "the news itself stays marked Vietnamese");
    for vietnamese in ["Tin mới", "Cập nhật", "Trang sau", "Đăng ký"] {
        assert!(!text.contains(vietnamese), "{vietnamese} on an English page");
    }
}

/// The words people read on a page: text and the labels of links, without the
/// sources' own text (titles, excerpts, site names).
fn visible_words(text: &str) -> BTreeSet<String> {
    let doc = Html::parse_document(text);
    let mut words = BTreeSet::new();
    for el in select(&doc, "body *") {
        if el
            .ancestors()
            .any(|a| a.value().as_element().is_some_and(|e| e.name() == "article" || e.attr("class") == Some("brand")))
        {
            continue;
        }
        for t in el.text() {
            words.extend(t.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string));
        }
    }
    words
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_the_pages_as_a_static_site_whose_links_resolve() {
    let site = site("limit = 4\n").await;
    let b = &site.base;
    let out = tempfile::tempdir().unwrap();
    loa::export::export(&site.engine.config(), &site.engine.store, out.path(), 100).unwrap();
    // The exported pages are the served ones, byte for byte.
    for (path, file) in [
        ("/", "index.html"),
        ("/agency/ban-dan-van-tinh-uy/", "agency/ban-dan-van-tinh-uy/index.html"),
        ("/agency/", "agency/index.html"),
    ] {
        let served = get(&format!("{b}{path}"), &[]).await.2;
        assert_eq!(std::fs::read(out.path().join(file)).unwrap(), served, "{path}");
        assert!(out.path().join(format!("{file}.gz")).is_file());
    }
    assert!(out.path().join("style.css").is_file() && out.path().join("404.html").is_file());
    // And so are the older pages, of the feeds and of the streams.
    let mut older = 0;
    for dir in ["feed/page", "page"] {
        for entry in std::fs::read_dir(out.path().join(dir)).unwrap() {
            let file = entry.unwrap().path();
            let name = file.file_name().unwrap().to_str().unwrap().to_string();
            let (path, file) = match file.is_dir() {
                true => (format!("/{dir}/{name}/"), file.join("index.html")),
                false if !name.ends_with(".gz") => (format!("/{dir}/{name}"), file),
                false => continue,
            };
            assert_eq!(std::fs::read(&file).unwrap(), get(&format!("{b}{path}"), &[]).await.2, "{path}");
            older += 1;
        }
    }
    assert!(older >= 4, "three feeds and a stream page at least: {older}");
    // Every link of every exported page to this site resolves to an exported file
    // (search excepted: it needs loa).
    let mut pages = 0;
    let mut stack = vec![out.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("html") {
                continue;
            }
            pages += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            assert_valid_html(&text, &path.display().to_string());
            for href in hrefs(&text, "[href]") {
                let Some(rel) = href.strip_prefix(b.as_str()) else { continue };
                if rel.starts_with("/search") {
                    continue;
                }
                let file = if rel.ends_with('/') { format!("{rel}index.html") } else { rel.to_string() };
                assert!(
                    out.path().join(file.trim_start_matches('/')).is_file(),
                    "{} links {href}, which was not exported",
                    path.display()
                );
            }
        }
    }
    assert!(pages > site.engine.store.story_count(), "every story's page and the streams: {pages}");
}
