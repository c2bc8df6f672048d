//! Stories as readers see them: edits update in place, merged copies credit every
//! site, and nothing active from a source reaches a served feed.

mod common;

use std::sync::Arc;

use common::{read_fixture, Behavior, SourceServer};
use loa::daemon::Engine;
use loa::model::FeedKind;
use loa::store::Scope;

const SOURCES: &[(&str, &str, &str)] = &[
    ("tinhuy", "tinhuy.rss", "tinh-uy"),
    ("ubnd", "ubnd.atom", "ubnd-tinh"),
    ("baodongkhoi", "bdk.rss", "bao-dong-khoi"),
];

async fn setup() -> (SourceServer, Arc<Engine>, tempfile::TempDir) {
    let server = SourceServer::start().await;
    server.fixture("tinhuy.rss", "tinhuy-rss.xml");
    server.fixture("ubnd.atom", "ubnd-atom.xml");
    server.fixture("bdk.rss", "baodongkhoi-rss.xml");
    let dir = tempfile::tempdir().unwrap();
    let text = common::config_text(&server, SOURCES, &dir.path().join("db"), "");
    let engine = common::engine(&text);
    for (id, _, _) in SOURCES {
        engine.cycle(&[id.to_string()]).await;
    }
    (server, engine, dir)
}

fn entries(engine: &Engine, scope: &Scope) -> Vec<feed_rs::model::Entry> {
    feed_rs::parser::parse(&engine.publisher.get(scope, FeedKind::Atom).unwrap().bytes[..]).unwrap().entries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_item_updates_its_entry_in_place() {
    let (server, engine, _dir) = setup().await;
    let before = entries(&engine, &Scope::All);
    let t3 = before.iter().find(|e| e.title.as_ref().unwrap().content.contains("kỳ họp thứ 18")).unwrap().clone();

    let rss = String::from_utf8(read_fixture("tinhuy-rss.xml")).unwrap();
    let edited = rss.replace("tổ chức kỳ họp thứ 18</title>", "tổ chức kỳ họp thứ 18 (cập nhật)</title>");
    assert_ne!(rss, edited);
    server.set("tinhuy.rss", Behavior::File(edited.into_bytes()));
    let report = &engine.cycle(&["tinhuy".into()]).await[0];
    assert_eq!((report.new_items, report.updated_items), (0, 1), "{report:?}");

    let after = entries(&engine, &Scope::All);
    assert_eq!(after.len(), before.len(), "still one entry per story");
    let e = after.iter().find(|e| e.id == t3.id).expect("same entry id");
    assert_eq!(e.title.as_ref().unwrap().content, "Ủy ban Kiểm tra Tỉnh ủy tổ chức kỳ họp thứ 18 (cập nhật)");
    assert!(e.updated.unwrap() > t3.updated.unwrap(), "later updated: {:?} vs {:?}", e.updated, t3.updated);
    assert_eq!(e.published, t3.published);
    // The agency's feed shows the same edit.
    let agency = entries(&engine, &Scope::Agency("uy-ban-kiem-tra-tinh-uy".into()));
    assert_eq!(agency.len(), 1);
    assert_eq!(agency[0].id, t3.id);

    // An item that drops out of its source's feed stays published.
    let only_one = String::from_utf8(read_fixture("tinhuy-rss.xml")).unwrap();
    let cut = only_one.find("<item>").unwrap();
    let end = only_one.find("</item>").unwrap() + "</item>".len();
    let shortened = format!("{}{}</channel></rss>", &only_one[..cut], &only_one[cut..end]);
    server.set("tinhuy.rss", Behavior::File(shortened.into_bytes()));
    let report = &engine.cycle(&["tinhuy".into()]).await[0];
    assert!(report.error.is_none(), "{report:?}");
    assert_eq!(entries(&engine, &Scope::All).len(), before.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_stories_credit_every_site_in_every_format() {
    let (_server, engine, _dir) = setup().await;
    let atom = String::from_utf8(engine.publisher.get(&Scope::All, FeedKind::Atom).unwrap().bytes.to_vec()).unwrap();
    let g1 = feed_rs::parser::parse(atom.as_bytes())
        .unwrap()
        .entries
        .into_iter()
        .find(|e| e.title.as_ref().unwrap().content.starts_with("Phó Bí thư Thường trực Tỉnh ủy dự hội nghị"))
        .unwrap();
    // The primary's link, and the other copies as rel="via".
    let rels: Vec<(Option<String>, String)> = g1.links.iter().map(|l| (l.rel.clone(), l.href.clone())).collect();
    assert!(rels.contains(&(Some("alternate".into()), "https://bentre.dcs.vn/tin-hoat-dong/pho-bi-thu-thuong-truc-tinh-uy-du-hoi-nghi-so-ket-cong-tac-dan-van-6-thang-dau-nam-2022-25871.html".into())), "{rels:?}");
    assert_eq!(rels.iter().filter(|(r, _)| r.as_deref() == Some("via")).count(), 2, "{rels:?}");
    assert_eq!(g1.authors[0].name.as_deref(), Some("Ban Dân vận Tỉnh ủy"));
    let entry = &atom[atom.find(&format!("<id>{}</id>", g1.id)).unwrap()..];
    let source = &entry[entry.find("<source>").unwrap()..];
    let source = &source[..source.find("</source>").unwrap()];
    assert!(
        source.contains("<title type=\"text\">Tin hoạt động - Cổng TTĐT Đảng bộ tỉnh Bến Tre</title>"),
        "atom:source names the primary's feed: {source}"
    );

    let json: serde_json::Value =
        serde_json::from_slice(&engine.publisher.get(&Scope::All, FeedKind::Json).unwrap().bytes).unwrap();
    let item = json["items"].as_array().unwrap().iter().find(|i| i["id"] == g1.id).unwrap();
    let loa = &item["_loa"];
    assert_eq!(loa["agency"], "ban-dan-van-tinh-uy");
    assert_eq!(loa["agencies"], serde_json::json!(["ban-dan-van-tinh-uy"]));
    let sources: Vec<&str> = loa["sources"].as_array().unwrap().iter().map(|s| s["source"].as_str().unwrap()).collect();
    assert_eq!(sources, ["tinhuy", "ubnd", "baodongkhoi"], "primary first, then by date");
    assert_eq!(loa["sources"][1]["id"], "urn:bentre-gov-vn:tintuc:48213");
    assert_eq!(loa["sources"][2]["id"], "a104322");

    let rss = String::from_utf8(engine.publisher.get(&Scope::All, FeedKind::Rss).unwrap().bytes.to_vec()).unwrap();
    assert!(rss.contains("<source url=\""), "RSS items carry <source url>");
    assert!(rss.contains("<dc:creator>Ban Dân vận Tỉnh ủy</dc:creator>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_active_content_survives_in_any_served_feed() {
    let (_server, engine, _dir) = setup().await;
    let mut scopes = vec![Scope::All];
    scopes.extend(engine.store.agencies().unwrap().into_iter().map(Scope::Agency));
    assert!(scopes.len() > 10);
    for scope in &scopes {
        for kind in FeedKind::ALL {
            let bytes = engine.publisher.get(scope, kind).unwrap().bytes.clone();
            let text = String::from_utf8(bytes.to_vec()).unwrap().to_lowercase();
            for bad in
                ["<script", "&lt;script", "onerror", "onclick", "javascript:", "<style", "&lt;style", "tracker.js"]
            {
                assert!(!text.contains(bad), "{bad} in {scope:?} {kind:?}");
            }
        }
    }
    // What should stay does: T3's relative image, made absolute.
    let atom = String::from_utf8(engine.publisher.get(&Scope::All, FeedKind::Atom).unwrap().bytes.to_vec()).unwrap();
    assert!(atom.contains("https://bentre.dcs.vn/uploads/2022/08/04/ubkt-ky-hop-18.jpg"));
}
