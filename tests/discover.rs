//! `loa discover` against portals served on 127.0.0.1: feeds linked or at a
//! well-known path, HTML listings in the markup of Liferay, SharePoint,
//! WordPress and ASP.NET Web Forms, and pages that are no listing. For each HTML
//! portal the block printed is used as is by a poll, which must read every entry
//! with its title, link and date, and the article without the page's navigation.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use loa::config::Config;
use loa::daemon::Engine;
use loa::model::FeedKind;
use loa::store::Scope;

/// What the portal answers for one path and query.
#[derive(Clone)]
struct Page {
    status: u16,
    content_type: &'static str,
    body: String,
}

/// A portal on 127.0.0.1 that routes by path *and* query (SharePoint's
/// `DispForm.aspx?ID=…`), answers 404 to anything else, and records every request.
#[derive(Clone, Default)]
struct Portal {
    pages: Arc<Mutex<HashMap<String, Page>>>,
    seen: Arc<Mutex<Vec<String>>>,
    base: String,
}

const HTML: &str = "text/html; charset=utf-8";

impl Portal {
    async fn start() -> Portal {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut portal = Portal { base: format!("http://{}", listener.local_addr().unwrap()), ..Default::default() };
        portal.base = portal.base.trim_end_matches('/').to_string();
        let app = Router::new().fallback(answer).with_state(portal.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        portal
    }

    /// Serves a fixture of `tests/fixtures/discover` at `path` (with its query),
    /// its `http://portal.test` links pointing at this server.
    fn fixture(&self, path: &str, name: &str) {
        self.page(path, 200, HTML, &fixture(name));
    }

    fn page(&self, path: &str, status: u16, content_type: &'static str, body: &str) {
        // Protocol-relative links (`//portal.test/…`) too.
        let host = self.base.trim_start_matches("http:");
        let body = body.replace("http://portal.test", &self.base).replace("//portal.test", host);
        self.pages.lock().unwrap().insert(path.to_string(), Page { status, content_type, body });
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn fixture(name: &str) -> String {
    String::from_utf8(common::read_fixture(name)).unwrap()
}

async fn answer(State(portal): State<Portal>, req: Request) -> Response {
    let key = match req.uri().query() {
        Some(q) => format!("{}?{q}", req.uri().path()),
        None => req.uri().path().to_string(),
    };
    portal.seen.lock().unwrap().push(key.clone());
    let page = portal.pages.lock().unwrap().get(&key).cloned();
    match page {
        Some(p) => {
            (StatusCode::from_u16(p.status).unwrap(), [(header::CONTENT_TYPE, p.content_type)], p.body).into_response()
        }
        None => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, HTML)], "<html><body><h1>404</h1></body></html>")
            .into_response(),
    }
}

/// The config a discovery runs with: no spacing between requests, to keep tests quick.
fn polite_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("loa.toml");
    std::fs::write(
        &path,
        format!(
            "[poll]\nhost_spacing = \"0s\"\nper_host = 2\ntimeout = \"5s\"\n[store]\npath = {:?}\n",
            dir.join("db")
        ),
    )
    .unwrap();
    path
}

/// Runs the `loa` binary; its exit code and standard output.
async fn loa(args: Vec<String>) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_loa")).args(&args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    })
    .await
    .unwrap()
}

async fn discover(dir: &Path, url: &str) -> (i32, String) {
    let config = polite_config(dir);
    let (code, out, _) = loa(vec!["discover".into(), "-c".into(), config.display().to_string(), url.into()]).await;
    (code, out)
}

/// One entry as a poll must read it: title, link path, published (UTC), a
/// sentence of its article, and the agency credited.
struct Expected {
    title: &'static str,
    link: String,
    published: &'static str,
    body: &'static str,
    agency: &'static str,
}

const TITLES: [&str; 5] = [
    "Hội nghị triển khai nhiệm vụ công tác dân vận 6 tháng cuối năm 2022",
    "Ủy ban MTTQ tỉnh trao nhà Đại đoàn kết cho hộ nghèo huyện Giồng Trôm",
    "Sở Tư pháp tổ chức tập huấn nghiệp vụ hòa giải ở cơ sở năm 2022",
    "Tỉnh đoàn ra quân chiến dịch Thanh niên tình nguyện hè năm 2022",
    "Hội Nông dân tỉnh sơ kết phong trào nông dân sản xuất kinh doanh giỏi",
];
const SLUGS: [&str; 5] = [
    "hoi-nghi-trien-khai-nhiem-vu-cong-tac-dan-van",
    "trao-nha-dai-doan-ket-giong-trom",
    "tap-huan-nghiep-vu-hoa-giai-o-co-so",
    "ra-quan-chien-dich-thanh-nien-tinh-nguyen-he",
    "so-ket-phong-trao-nong-dan-san-xuat-kinh-doanh-gioi",
];
const IDS: [u32; 5] = [1021, 1018, 1015, 1012, 1009];
/// Local (+07:00) listing dates and times, in UTC.
const WITH_TIME: [&str; 5] = [
    "2022-08-05T03:15:00Z",
    "2022-08-04T09:30:00Z",
    "2022-08-03T01:00:00Z",
    "2022-08-02T00:45:00Z",
    "2022-07-29T07:20:00Z",
];
/// Local listing dates without a time (an article without a date of its own), in UTC.
const DATE_ONLY: [&str; 5] = [
    "2022-08-04T17:00:00Z",
    "2022-08-03T17:00:00Z",
    "2022-08-02T17:00:00Z",
    "2022-08-01T17:00:00Z",
    "2022-07-28T17:00:00Z",
];
/// A sentence of the articles (their bodies alternate between two texts).
const BODIES: [&str; 2] = ["nắm chắc tình hình nhân dân", "Quỹ Vì người nghèo tỉnh"];

/// Serves a markup style's listing and articles, discovers the listing, polls with the printed block as
/// is, and checks every entry.
async fn html_portal_reads_as_printed(
    style: &str,
    listing: &str,
    article_path: impl Fn(usize) -> String,
    expected: impl Fn(usize) -> Expected,
    navigation: &[&str],
) {
    let portal = Portal::start().await;
    portal.fixture(listing, &format!("discover/{style}-listing.html"));
    for i in 0..5 {
        portal.fixture(&article_path(i), &format!("discover/{style}-article-{}.html", i + 1));
    }
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = discover(dir.path(), &portal.url(listing)).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("kind = \"html\""), "{out}");
    assert!(!dir.path().join("db").exists(), "discover writes no store");
    let requests = portal.seen();
    // The whole output is a config fragment: the block, and comments.
    let config_text = format!("{}\n{out}", std::fs::read_to_string(dir.path().join("loa.toml")).unwrap());
    let config = Config::parse(&config_text, "discovered.toml").unwrap_or_else(|e| panic!("{e}\n{out}"));
    let engine = Arc::new(Engine::new(config).unwrap());
    let reports = engine.cycle(&[]).await;
    assert!(reports[0].error.is_none(), "{:?}\n{out}", reports[0]);
    let json: serde_json::Value =
        serde_json::from_slice(&engine.publisher.get(&Scope::All, FeedKind::Json).unwrap().bytes).unwrap();
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "{out}\n{json:#}");
    for i in 0..5 {
        let want = expected(i);
        let item = items.iter().find(|it| it["title"] == want.title).unwrap_or_else(|| panic!("{}\n{out}", want.title));
        assert_eq!(item["url"].as_str().unwrap(), portal.url(&want.link), "{out}");
        assert_eq!(item["date_published"].as_str().unwrap(), want.published, "{}\n{out}", want.title);
        let content = item["content_html"].as_str().unwrap_or_default();
        assert!(content.contains(want.body), "{}: {content}\n{out}", want.title);
        for nav in navigation {
            assert!(!content.contains(nav), "{} carries navigation \"{nav}\": {content}\n{out}", want.title);
        }
        assert_eq!(item["_loa"]["agency"], want.agency, "{}\n{out}", want.title);
    }
    assert!(requests.len() <= 24, "{requests:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liferay_asset_publisher() {
    let link = |i: usize| format!("/web/guest/tin-tuc/-/asset_publisher/Qz3bXw9kLm2N/content/{}", SLUGS[i]);
    html_portal_reads_as_printed(
        "liferay-asset-publisher",
        "/web/guest/tin-tuc",
        link,
        |i| Expected {
            title: TITLES[i],
            link: link(i),
            published: WITH_TIME[i],
            body: BODIES[i % 2],
            agency: ["so-tu-phap", "uy-ban-mttq-viet-nam-tinh"][i % 2],
        },
        &["Thủ tục hành chính", "Tin xem nhiều", "Tin liên quan", "Quay lại", "Đánh giá trung bình"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharepoint_list_view() {
    let link = |i: usize| format!("/Lists/TinTuc/DispForm.aspx?ID={}", IDS[i]);
    html_portal_reads_as_printed(
        "sharepoint-list-view",
        "/Lists/TinTuc/AllItems.aspx",
        link,
        |i| Expected {
            title: TITLES[i],
            link: link(i),
            published: WITH_TIME[i],
            body: BODIES[i % 2],
            agency: "uy-ban-mttq-viet-nam-tinh",
        },
        &["Tin tức hoạt động Mặt trận", "Tệp đính kèm", "Đóng", "Tiêu đề"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wordpress_blog_list() {
    let link = |i: usize| {
        let day = ["05", "04", "03", "02", "29"][i];
        let month = if i == 4 { "07" } else { "08" };
        format!("/2022/{month}/{day}/{}/", SLUGS[i])
    };
    html_portal_reads_as_printed(
        "wordpress-blog-list",
        "/category/tin-tuc/",
        link,
        |i| Expected {
            title: TITLES[i],
            link: link(i),
            published: WITH_TIME[i],
            body: BODIES[i % 2],
            agency: "hoi-nong-dan-tinh",
        },
        &["Bài viết mới", "Bình luận", "Bài trước", "Gương nông dân sản xuất giỏi"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aspnet_gridview_table() {
    let link = |i: usize| format!("/TinTuc/ChiTietTin.aspx?id={}", IDS[i]);
    html_portal_reads_as_printed(
        "aspnet-gridview",
        "/TinTuc/DanhSachTin.aspx?MaLoai=3",
        link,
        |i| Expected {
            title: TITLES[i],
            link: link(i),
            published: WITH_TIME[i],
            body: BODIES[i % 2],
            agency: "ban-tuyen-giao-tinh-uy",
        },
        &["CÁC TIN KHÁC", "Lượt truy cập", "DANH MỤC", "Đấu tranh phản bác"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listing_of_the_html_source_tests_is_found_too() {
    const ARTICLES: [(&str, &str); 3] = [
        ("/tin-hoat-dong/pho-bi-thu-thuong-truc-tinh-uy-du-hoi-nghi-so-ket-cong-tac-dan-van-6-thang-dau-nam-2022-1021.html", "html/article-prefix-and-caption-credit.html"),
        ("/dan-van-kheo/ban-dan-van-tinh-uy-khao-sat-mo-hinh-dan-van-kheo-tai-xa-phu-tuc-huyen-chau-thanh-1018.html", "html/article-byline-outside-content.html"),
        ("/tin-hoat-dong/ky-ket-chuong-trinh-phoi-hop-cong-tac-dan-van-giua-ban-dan-van-tinh-uy-va-ban-can-su-dang-ubnd-tinh-1015.html", "html/article-unpadded-date-and-iframe.html"),
    ];
    let portal = Portal::start().await;
    portal.page("/tin-hoat-dong", 200, HTML, &fixture("html/listing.html"));
    for (path, name) in ARTICLES {
        portal.page(path, 200, HTML, &fixture(name));
    }
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = discover(dir.path(), &portal.url("/tin-hoat-dong")).await;
    assert_eq!(code, 0, "{out}");
    for line in [
        "item = \"div.news-item\"",
        "date = \"span.news-date\"",
        "summary = \"p.news-summary\"",
        "content = \"div.news-content\"",
        "agency = \"ban-dan-van-tinh-uy\"",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    let config_text = format!("{}\n{out}", std::fs::read_to_string(dir.path().join("loa.toml")).unwrap());
    let engine = Arc::new(Engine::new(Config::parse(&config_text, "discovered.toml").unwrap()).unwrap());
    assert!(engine.cycle(&[]).await[0].error.is_none());
    let json: serde_json::Value =
        serde_json::from_slice(&engine.publisher.get(&Scope::All, FeedKind::Json).unwrap().bytes).unwrap();
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    let first = items.iter().find(|i| i["title"].as_str().unwrap().starts_with("Phó Bí thư")).unwrap();
    assert_eq!(first["date_published"], "2022-08-05T03:15:00Z");
    let content = first["content_html"].as_str().unwrap();
    assert!(
        content.contains("(Ảnh: Nguyễn Diễm)")
            && !content.contains("Tin liên quan")
            && !content.contains("Dân vận khéo</a>")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_the_page_links_to_is_proposed_with_its_count_and_newest_date() {
    let portal = Portal::start().await;
    let elsewhere =
        "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"https://feedburner.example.org/hnd\" />";
    let home = fixture("discover/wordpress-home-with-feed-link.html")
        .replace("<meta name=\"generator\"", &format!("{elsewhere}\n<meta name=\"generator\""));
    portal.page("/", 200, HTML, &home);
    portal.page("/feed/", 200, "application/rss+xml; charset=UTF-8", &fixture("discover/wordpress-feed.xml"));
    portal.page("/comments/feed/", 200, "application/rss+xml", &fixture("discover/wordpress-comments-feed.xml"));
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = discover(dir.path(), &portal.url("/")).await;
    assert_eq!(code, 0, "{out}");
    let feed_line = format!(
        "feed {} (linked as alternate): \"Hội Nông dân tỉnh Bến Tre\", 5 items, newest 2022-08-05T03:15:00Z",
        portal.url("/feed/")
    );
    assert!(out.contains(&feed_line), "{out}");
    assert!(!out.contains("comments/feed/ ("), "a feed without items is not listed: {out}");
    assert!(
        out.contains(&format!("url = \"{}\"\nkind = \"feed\"\nagency = \"hoi-nong-dan-tinh\"", portal.url("/feed/"))),
        "{out}"
    );
    assert!(out.contains("preview, as `loa fetch` reads it: 5 items"), "{out}");
    assert!(out.contains("feed on another host, not read: https://feedburner.example.org/hnd"), "{out}");
    // Feeds first: no well-known path is tried when the page links one.
    assert!(!portal.seen().iter().any(|p| p == "/rss"), "{:?}", portal.seen());

    // The address of the feed itself.
    let (code, out) = discover(dir.path(), &portal.url("/feed/")).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(the address itself): \"Hội Nông dân tỉnh Bến Tre\", 5 items"), "{out}");
    assert!(out.contains("kind = \"feed\""), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_at_a_well_known_path_is_found_without_a_link() {
    let portal = Portal::start().await;
    portal.fixture("/index.php/tin-tuc", "discover/joomla-blog-without-feed-link.html");
    portal.page(
        "/index.php/tin-tuc?format=feed&type=rss",
        200,
        "application/rss+xml",
        &fixture("discover/joomla-feed.xml"),
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = discover(dir.path(), &portal.url("/index.php/tin-tuc")).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("(well-known path): \"Tin tức - Tỉnh Đoàn Bến Tre\", 4 items, newest 2022-08-05T03:15:00Z"),
        "{out}"
    );
    assert!(out.contains("kind = \"feed\"\nagency = \"tinh-doan\""), "{out}");
    let config_text = format!("{}\n{out}", std::fs::read_to_string(dir.path().join("loa.toml")).unwrap());
    let engine = Arc::new(Engine::new(Config::parse(&config_text, "discovered.toml").unwrap()).unwrap());
    assert!(engine.cycle(&[]).await[0].error.is_none());
}

/// Discovers a page that is no listing: no block, exit 1, and the reason given.
async fn refused(fixture_name: &str, status: u16, why: &str) {
    let portal = Portal::start().await;
    portal.page("/trang", status, HTML, &fixture(fixture_name));
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = discover(dir.path(), &portal.url("/trang")).await;
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("[[source]]"), "no confident wrong answer: {out}");
    assert!(out.contains(why), "{fixture_name}: {why}\n{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_that_are_no_listing_give_no_source_and_say_why() {
    refused("discover/not-a-listing-article.html", 200, "the page reads as one article").await;
    refused("discover/not-a-listing-home-page.html", 200, "several blocks repeat alike and none stands out").await;
    refused("discover/not-a-listing-error-page.html", 200, "nothing repeats like a news listing").await;
    refused("discover/not-a-listing-error-page.html", 404, "HTTP 404").await;
    refused("discover/not-a-listing-login-page.html", 200, "the page asks for a password").await;
    refused("discover/not-a-listing-sitemap.html", 200, "no feed, and no news listing").await;
    refused("discover/not-a-listing-search-without-results.html", 200, "it reads as a box of links").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_and_append_only_once_the_config_is_valid() {
    let portal = Portal::start().await;
    portal.fixture("/web/guest/tin-tuc", "discover/liferay-asset-publisher-listing.html");
    for (i, slug) in SLUGS.iter().enumerate() {
        let path = format!("/web/guest/tin-tuc/-/asset_publisher/Qz3bXw9kLm2N/content/{slug}");
        portal.fixture(&path, &format!("discover/liferay-asset-publisher-article-{}.html", i + 1));
    }
    portal.fixture("/trang-chu", "discover/not-a-listing-home-page.html");
    let dir = tempfile::tempdir().unwrap();
    let config = polite_config(dir.path());
    let before = std::fs::read_to_string(&config).unwrap();
    let (code, out, _) = loa(vec![
        "discover".into(),
        "--json".into(),
        "-c".into(),
        config.display().to_string(),
        portal.url("/web/guest/tin-tuc"),
    ])
    .await;
    assert_eq!(code, 0, "{out}");
    let d: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(d["ok"], true);
    assert_eq!(d["source"]["kind"], "html");
    assert_eq!(d["source"]["html"]["item"], "div.asset-abstract");
    assert_eq!(d["preview"].as_array().unwrap().len(), 5);

    // A listing and a home page: the listing's block is appended, the config checks.
    let args = |urls: &[&str]| {
        let mut a = vec!["discover".to_string(), "--append".into(), config.display().to_string()];
        a.extend(urls.iter().map(|u| portal.url(u)));
        a
    };
    let (code, out, err) = loa(args(&["/web/guest/tin-tuc", "/trang-chu"])).await;
    assert_eq!(code, 1, "one address gave nothing: {out}");
    assert!(err.contains("1 sources added"), "{err}");
    let after = std::fs::read_to_string(&config).unwrap();
    assert!(after.starts_with(&before));
    let checked = Config::parse(&after, "loa.toml").unwrap();
    assert_eq!(checked.sources.len(), 1);
    // Again: the address is a source already, and is not added twice.
    let (code, out, err) = loa(args(&["/web/guest/tin-tuc"])).await;
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("already in the config as source \"127-0-0-1\""), "{out}");
    assert!(err.contains("no new source found"), "{err}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), after);

    // A block loa check refuses (no agency named on the page) leaves the config as it was.
    let unnamed = fixture("discover/liferay-asset-publisher-listing.html")
        .replace("Sở Tư pháp tỉnh Bến Tre", "Cổng thành phần")
        .replace("Đi đến Sở Tư pháp", "Đi đến trang chủ");
    portal.page("/web/guest/thong-bao", 200, HTML, &unnamed);
    let kept = std::fs::read_to_string(&config).unwrap();
    let (code, out, err) = loa(args(&["/web/guest/thong-bao"])).await;
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("unknown agency \"\"") || err.contains("agency"), "{err}");
    assert!(err.contains("left unchanged"), "{err}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), kept);
    assert!(out.contains("set `agency` to a registry slug"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vnpt_portal_with_a_featured_first_article() {
    let link = |i: usize| format!("/tin-tuc/{}-{}.html", SLUGS[i], IDS[i]);
    html_portal_reads_as_printed(
        "vnpt-portal-featured-first",
        "/tin-tuc",
        link,
        |i| Expected {
            title: TITLES[i],
            link: link(i),
            published: WITH_TIME[i],
            body: BODIES[i % 2],
            agency: "ubnd-tinh",
        },
        &["Tin xem nhiều", "Tin liên quan", "Chia sẻ Facebook", "Lượt xem", "Thông tin cho doanh nghiệp"],
    )
    .await;
    // The listing's own dates too, the featured article's in its own markup.
    let portal = Portal::start().await;
    portal.fixture("/tin-tuc", "discover/vnpt-portal-featured-first-listing.html");
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = discover(dir.path(), &portal.url("/tin-tuc")).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("5 entries read by item \"ul.list-news > li, div.news-hot\", 5 of them dated"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_pages_end_in_a_clear_error() {
    let portal = Portal::start().await;
    portal.page("/sau", 200, HTML, &format!("<html><body>{}</body></html>", "<div><span>".repeat(3000)));
    portal.page("/rong", 200, HTML, "");
    portal.page("/rac", 200, "application/octet-stream", &"\u{1}\u{2}<<&&>>\u{7f}".repeat(10_000));
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = discover(dir.path(), &portal.url("/sau")).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("nests its elements 6002 deep"), "{out}");
    for path in ["/rong", "/rac"] {
        let (code, out) = discover(dir.path(), &portal.url(path)).await;
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("no feed, and no news listing"), "{out}");
    }
    let (code, out) = discover(dir.path(), "ftp://127.0.0.1/x").await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is not an http(s) address"), "{out}");
}

/// A portal whose five entries all credit one agency, read as printed.
async fn one_agency_portal(
    style: &str,
    listing: &str,
    link: impl Fn(usize) -> String + Copy,
    published: [&'static str; 5],
    agency: &'static str,
    navigation: &[&str],
) {
    html_portal_reads_as_printed(
        style,
        listing,
        link,
        |i| Expected { title: TITLES[i], link: link(i), published: published[i], body: BODIES[i % 2], agency },
        navigation,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dotnetnuke_easydnnnews_module() {
    one_agency_portal(
        "dnn-easydnnnews",
        "/tin-tuc",
        |i| format!("/tin-tuc/ArticleId/{}/{}", IDS[i], SLUGS[i]),
        WITH_TIME,
        "so-y-te",
        &["Tin liên quan", "Chia sẻ Facebook", "Tin mới cập nhật", "Lượt xem", "Đăng nhập", "Hoạt động ngành"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drupal_views_rows_with_a_pager() {
    one_agency_portal(
        "drupal-views-row",
        "/tin-tuc",
        |i| format!("/tin-tuc/{}", SLUGS[i]),
        WITH_TIME,
        "so-khoa-hoc-va-cong-nghe",
        &["Tin xem nhiều", "Từ khóa", "bình luận", "Trình đơn chính", "Cơ quan chủ quản"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_card_grid_with_protocol_relative_links() {
    one_agency_portal(
        "bootstrap-card-grid",
        "/tin-tuc",
        |i| format!("/tin-tuc/{}-{}.html", SLUGS[i], IDS[i]),
        WITH_TIME,
        "so-giao-duc-va-dao-tao",
        &["Tin khác", "Lượt xem", "Lịch công tác", "Thông tin tuyển sinh"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_list_with_the_date_in_a_span_and_relative_links() {
    // Served from a script whose `<base href>` is the section's folder.
    one_agency_portal(
        "ul-li-span-date",
        "/index.php?module=tin-tuc",
        |i| format!("/tin-tuc/{}-{}.html", SLUGS[i], IDS[i]),
        DATE_ONLY,
        "hoi-lien-hiep-phu-nu-tinh",
        &["Các tin đã đưa", "Quay lại", "Thông báo tuyển dụng", "Chuyên mục", "Bản quyền"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_without_classes() {
    one_agency_portal(
        "table-without-classes",
        "/TinTuc/DanhSach.asp?cat=2",
        |i| format!("/TinTuc/ChiTiet.asp?id={}", IDS[i]),
        WITH_TIME,
        "so-noi-vu",
        &["CÁC TIN KHÁC", "Quay lại", "CHUYÊN MỤC", "Văn bản pháp quy", "126A Nguyễn Thị Định"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vnpt_portlet_news_list() {
    one_agency_portal(
        "vnpt-portlet-news-list",
        "/tin-tuc-su-kien",
        |i| format!("/tin-tuc-su-kien/-/view-article/1/{}/{}", IDS[i], SLUGS[i]),
        WITH_TIME,
        "so-thong-tin-va-truyen-thong",
        &["Các tin khác", "Chia sẻ Facebook", "Tin mới nhất", "Liên kết website", "Thiết kế và phát triển"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joomla_category_list_table() {
    one_agency_portal(
        "joomla-category-table",
        "/index.php/tin-tuc",
        |i| format!("/index.php/tin-tuc/{}-{}", IDS[i], SLUGS[i]),
        WITH_TIME,
        "so-tai-chinh",
        &["Văn bản mới", "Lượt xem", "Chuyên mục", "Bài trước", "Lên đầu trang"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viettel_portal_with_the_date_before_the_title() {
    one_agency_portal(
        "viettel-portal-date-first",
        "/pages/tin-tuc.aspx",
        |i| format!("/pages/tin-tuc/{}-{}.aspx", SLUGS[i], IDS[i]),
        WITH_TIME,
        "ubnd-tinh",
        &["Tin cùng chuyên mục", "Tin đọc nhiều", "Chia sẻ Facebook", "Lượt xem", "Đăng nhập"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharepoint_content_query_web_part() {
    one_agency_portal(
        "sharepoint-cqwp",
        "/Pages/TinTuc.aspx",
        |i| format!("/Pages/TinTuc/{}/{}.aspx", IDS[i], SLUGS[i]),
        WITH_TIME,
        "so-nong-nghiep-va-phat-trien-nong-thon",
        &["Tin liên quan", "Thủ tục hành chính nông nghiệp", "78 Nguyễn Đình Chiểu"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn egov_section_with_a_slider_of_highlights_above_its_list() {
    one_agency_portal(
        "egov-hot-slider-then-list",
        "/tin-tuc",
        |i| format!("/chi-tiet-tin/?{}&id={}", SLUGS[i], IDS[i]),
        WITH_TIME,
        "so-cong-thuong",
        &["Tin cùng chuyên mục", "Lượt xem", "Quay lại", "Đường dây nóng", "Bản quyền"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_each_wrapped_whole_in_their_link() {
    one_agency_portal(
        "linked-card-grid",
        "/tin-tuc",
        |i| format!("/tin-tuc/{}-{}", SLUGS[i], IDS[i]),
        WITH_TIME,
        "lien-doan-lao-dong-tinh",
        &["Bài viết liên quan", "Công đoàn cơ sở", "Pháp luật lao động", "Điện thoại"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wordpress_block_theme_query_loop() {
    one_agency_portal(
        "wordpress-block-theme",
        "/category/tin-tuc/",
        |i| format!("/{}/", SLUGS[i]),
        WITH_TIME,
        "hoi-cuu-chien-binh-tinh",
        &["Bình luận", "Kỷ niệm ngày thành lập", "Gương sáng", "Được xây dựng bằng"],
    )
    .await;
}
