//! What readers are sent to and shown first: published links are canonical
//! (no tracking parameters) in every format, unless a source keeps them, and an
//! undated item of an old document never tops the feed.

mod common;

use std::sync::Arc;

use chrono::{Duration, Utc};
use common::{Behavior, SourceServer};
use loa::daemon::Engine;

const TRACKERS: &[&str] = &["utm_", "fbclid", "zarsrc", "gclid"];

/// Polls `sources` (id, path, agency, extra `[[source]]` lines) once and serves the
/// result; returns the engine (kept alive with its store) and the base URL.
async fn publish(
    server: &SourceServer,
    sources: &[(&str, &str, &str, &str)],
) -> (Arc<Engine>, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let listener = loa::daemon::bind("127.0.0.1:0".parse().unwrap(), "test").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut text = common::config_text(server, &[], &dir.path().join("db"), "")
        .replace("base_url = \"http://loa.test\"", &format!("base_url = \"{base}\""));
    for (id, path, agency, extra) in sources {
        text.push_str(&format!(
            "[[source]]\nid = \"{id}\"\nurl = \"{}\"\nagency = \"{agency}\"\n{extra}\n",
            server.url(path)
        ));
    }
    let engine = common::engine(&text);
    for r in engine.cycle(&[]).await {
        assert!(r.error.is_none(), "{r:?}");
    }
    common::serve_engine(&engine, listener);
    (engine, base, dir)
}

async fn body(url: &str) -> String {
    loa::fetch::install_crypto_provider();
    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(resp.status(), 200, "{url}");
    resp.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_links_carry_no_tracking_parameters_unless_the_source_keeps_them() {
    let server = SourceServer::start().await;
    let rss = r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Tin</title>
        <item><title>Hội nghị sơ kết công tác dân vận</title>
          <link>https://tinhuy.example.vn/tin/hoi-nghi-25871.html?utm_source=rss&amp;utm_medium=feed&amp;utm_campaign=x</link>
          <guid isPermaLink="false">25871</guid><pubDate>Fri, 05 Aug 2022 10:15:00 +0700</pubDate>
          <description>Nội dung.</description></item>
        <item><title>Kỳ họp thứ 18 của Ủy ban Kiểm tra</title>
          <link>https://tinhuy.example.vn/Pages/tin.aspx?ItemID=48213&amp;fbclid=IwAR0abc&amp;zarsrc=30#top</link>
          <pubDate>Thu, 04 Aug 2022 09:05:00 +0700</pubDate><description>Nội dung.</description></item>
        </channel></rss>"#;
    server.set("tinhuy.rss", Behavior::File(rss.as_bytes().to_vec()));
    // Other articles (unlike titles, so that no story merges them with the first).
    let kept = rss
        .replace("tinhuy.example.vn", "kept.example.vn")
        .replace("25871", "91")
        .replace("Hội nghị sơ kết công tác dân vận", "Khánh thành cầu Rạch Miễu hai")
        .replace("Kỳ họp thứ 18 của Ủy ban Kiểm tra", "Ngày hội đọc sách tại thư viện tỉnh");
    server.set("kept.rss", Behavior::File(kept.into_bytes()));
    let listing = format!(
        "<html><body><div class=\"n\"><h3><a href=\"{}\">Tập huấn nghiệp vụ công tác dân vận năm 2022</a></h3></div>\
         <div class=\"n\"><h3><a href=\"/tin/trao-nha-1012.html?gclid=Cj0K&amp;utm_source=zalo\">Trao nhà đại đoàn kết cho hộ nghèo</a></h3></div>\
         </body></html>",
        "/tin/tap-huan-1009.html?zarsrc=31&amp;utm_source=zalo&amp;utm_medium=zalo"
    );
    server.set("tin-hoat-dong", Behavior::Typed("text/html; charset=utf-8", vec![], listing.into_bytes()));
    let html = "kind = \"html\"\n[source.html]\nitem = \"div.n\"\nlink = \"h3 a\"\ntitle = \"h3 a\"";
    let (_engine, base, _dir) = publish(
        &server,
        &[
            ("tinhuy", "tinhuy.rss", "tinh-uy", ""),
            ("danvan", "tin-hoat-dong", "ban-dan-van-tinh-uy", html),
            ("kept", "kept.rss", "ubnd-tinh", "keep_tracking = true"),
        ],
    )
    .await;

    let clean = ["tinh-uy", "ban-dan-van-tinh-uy"];
    for slug in clean {
        for ext in ["atom", "rss", "json"] {
            let doc = body(&format!("{base}/agency/{slug}.{ext}")).await;
            for t in TRACKERS {
                assert!(!doc.contains(t), "{slug}.{ext} publishes a link with {t}:\n{doc}");
            }
        }
    }
    let json: serde_json::Value = serde_json::from_str(&body(&format!("{base}/feed.json")).await).unwrap();
    let urls: Vec<&str> = json["items"].as_array().unwrap().iter().filter_map(|i| i["url"].as_str()).collect();
    assert!(urls.contains(&"https://tinhuy.example.vn/tin/hoi-nghi-25871.html"), "{urls:?}");
    assert!(urls.contains(&"https://tinhuy.example.vn/Pages/tin.aspx?ItemID=48213"), "{urls:?}");
    assert!(urls.contains(&server.url("tin/tap-huan-1009.html").as_str()), "{urls:?}");
    assert!(urls.contains(&server.url("tin/trao-nha-1012.html").as_str()), "{urls:?}");
    for item in json["items"].as_array().unwrap() {
        for s in item["_loa"]["sources"].as_array().unwrap() {
            if s["source"] != "kept" {
                assert_eq!(s["url"], item["url"], "the member's url is the published one");
            }
        }
    }
    // The reading view shows no tracking parameters either: not on the pages of the
    // clean sources' agencies, nor on their stories' pages.
    for slug in clean {
        let page = body(&format!("{base}/agency/{slug}/")).await;
        let stories: Vec<&str> =
            page.split("href=\"").map(|h| h.split('"').next().unwrap()).filter(|h| h.contains("/story/")).collect();
        assert!(!stories.is_empty(), "{page}");
        for t in TRACKERS {
            assert!(!page.contains(t), "/agency/{slug}/ shows {t}");
        }
        for story in stories {
            let path = &story[story.find("/story/").unwrap()..];
            let story_page = body(&format!("{base}{path}")).await;
            for t in TRACKERS {
                assert!(!story_page.contains(t), "{path} shows {t}");
            }
        }
    }
    // A source that keeps them publishes its links as given.
    let kept = body(&format!("{base}/agency/ubnd-tinh.atom")).await;
    assert!(kept.contains("hoi-nghi-91.html?utm_source=rss&amp;utm_medium=feed&amp;utm_campaign=x"), "{kept}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undated_item_of_an_old_document_is_not_the_newest_entry() {
    let server = SourceServer::start().await;
    let fresh_date = (Utc::now() - Duration::hours(3)).to_rfc2822();
    let fresh = format!(
        r#"<rss version="2.0"><channel><title>Báo</title>
        <item><title>Tin hôm nay: khai mạc kỳ họp Hội đồng nhân dân tỉnh</title><link>https://bao.example.vn/1</link>
          <pubDate>{fresh_date}</pubDate></item></channel></rss>"#
    );
    server.set("fresh.rss", Behavior::File(fresh.into_bytes()));
    // An archive last built today, whose items were dated years ago, but one.
    let old = format!(
        r#"<rss version="2.0"><channel><title>Lưu trữ</title><lastBuildDate>{fresh_date}</lastBuildDate>
        <item><title>Tổng kết công tác năm 2019</title><link>https://old.example.vn/3</link>
          <pubDate>Mon, 30 Dec 2019 09:00:00 +0700</pubDate></item>
        <item><title>Hội nghị không ghi ngày tháng</title><link>https://old.example.vn/undated</link></item>
        <item><title>Sơ kết sáu tháng đầu năm 2019</title><link>https://old.example.vn/1</link>
          <pubDate>Mon, 01 Jul 2019 09:00:00 +0700</pubDate></item>
        </channel></rss>"#
    );
    server.set("old.rss", Behavior::File(old.into_bytes()));
    let (_engine, base, _dir) =
        publish(&server, &[("bao", "fresh.rss", "bao-dong-khoi", ""), ("old", "old.rss", "tinh-uy", "")]).await;

    let json: serde_json::Value = serde_json::from_str(&body(&format!("{base}/feed.json")).await).unwrap();
    let items = json["items"].as_array().unwrap();
    assert_eq!(items[0]["url"], "https://bao.example.vn/1", "dated news comes first");
    let undated = items.iter().find(|i| i["url"] == "https://old.example.vn/undated").unwrap();
    let date = undated["date_published"].as_str().unwrap();
    assert!(date.starts_with("2019-"), "the undated item stays in 2019, next to its neighbours: {date}");
    let atom = feed_rs::parser::parse(body(&format!("{base}/feed.atom")).await.as_bytes()).unwrap();
    assert_eq!(atom.entries[0].links[0].href, "https://bao.example.vn/1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sources_opml_is_rendered_once_per_config_and_follows_a_reload() {
    let server = SourceServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let text = common::config_text(&server, &[("syt", "syt.rss", "so-y-te")], &dir.path().join("db"), "");
    let config = Arc::new(loa::config::Config::parse(&text, "t.toml").unwrap());
    let publisher = loa::publish::Publisher::new(loa::publish::Settings::from_config(&config), config.agencies.clone());
    let first = publisher.sources_opml(&config);
    // The same config: the bytes kept, not rendered again.
    assert_eq!(publisher.sources_opml(&config).as_ptr(), first.as_ptr());
    let added =
        text + &format!("[[source]]\nid = \"tinhuy\"\nurl = \"{}\"\nagency = \"tinh-uy\"\n", server.url("tu.rss"));
    let reloaded = Arc::new(loa::config::Config::parse(&added, "t.toml").unwrap());
    let after = String::from_utf8(publisher.sources_opml(&reloaded).to_vec()).unwrap();
    assert_eq!(loa::publish::opml::outlines(&after).len(), 2, "{after}");
    assert!(after.contains(&server.url("tu.rss")));
}
