//! OPML: the list of published feeds (`/feeds.opml`), the list of sources
//! (`/sources.opml`), and reading a reader's export for `loa import-opml`.

use scraper::{Html, Selector};

use super::xml::empty;
use super::{Publisher, Settings};
use crate::config::{Config, SourceKind};
use crate::model::{FeedKind, Outline};
use crate::util::xml::esc;

/// OPML 2.0 of every published feed, in Atom.
pub fn feeds(publisher: &Publisher) -> String {
    let s = publisher.settings();
    let mut body = String::new();
    for (scope, _, _) in publisher.scopes() {
        let title = publisher.title(&scope);
        empty(
            &mut body,
            "outline",
            &[
                ("type", "rss"),
                ("text", &title),
                ("title", &title),
                ("xmlUrl", &s.url(&scope, FeedKind::Atom)),
                ("htmlUrl", &format!("{}/", s.base_url)),
            ],
        );
        body.push('\n');
    }
    document(&s.title, &body)
}

/// OPML 2.0 of the configured sources, as loa polls them.
pub fn sources(config: &Config, settings: &Settings) -> String {
    let mut body = String::new();
    for src in &config.sources {
        let text = format!("{} ({})", src.id, config.agencies.name_of(&src.agency));
        let kind = match src.kind {
            SourceKind::Feed => "rss",
            SourceKind::Html(_) => "link",
        };
        empty(
            &mut body,
            "outline",
            &[("type", kind), ("text", &text), ("xmlUrl", src.url.as_str()), ("htmlUrl", src.url.as_str())],
        );
        body.push('\n');
    }
    document(&format!("{} — nguồn tin", settings.title), &body)
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n<head><title>{}</title></head>\n<body>\n{body}</body>\n</opml>\n",
        esc(title)
    )
}

/// Every outline with an `xmlUrl` in an OPML document, however it is nested. Read
/// leniently (readers' exports are not always well-formed XML).
pub fn outlines(opml: &str) -> Vec<Outline> {
    let doc = Html::parse_document(opml);
    let Ok(sel) = Selector::parse("outline[xmlurl]") else { return Vec::new() };
    doc.select(&sel)
        .filter_map(|o| {
            let xml_url = o.attr("xmlurl")?.trim().to_string();
            let title = o.attr("title").or_else(|| o.attr("text")).unwrap_or(&xml_url).trim().to_string();
            (!xml_url.is_empty()).then_some(Outline { title, xml_url })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_outlines() {
        let opml = r#"<?xml version="1.0"?><opml version="1.0"><body><outline text="Tỉnh">
            <outline text="Sở Y tế" type="rss" xmlUrl="https://syt.example.vn/rss" />
            <outline title="Báo &amp; Đài" xmlUrl="https://bao.example.vn/feed"/></outline></body></opml>"#;
        let o = outlines(opml);
        assert_eq!(o.len(), 2);
        assert_eq!(o[0], Outline { title: "Sở Y tế".into(), xml_url: "https://syt.example.vn/rss".into() });
        assert_eq!(o[1].title, "Báo & Đài");
    }
}
