//! RSS 2.0 through the `rss` crate, with what its writer does not check filled in:
//! every required element, RFC 822 dates with four-digit years, `dc:creator` for
//! the agency (RSS `author` must be an e-mail), `<source url>`, `atom:link`s.

use std::collections::BTreeMap;

use rss::extension::atom::{AtomExtension, Link};

use super::{Page, Settings};
use crate::util::text::xml_safe;
use crate::util::xml::esc;

pub fn render(s: &Settings, page: &Page<'_>) -> Vec<u8> {
    let items = page
        .entries
        .iter()
        .map(|entry| {
            let story = &entry.story;
            let primary = &story.members[0];
            let mut dc = rss::extension::dublincore::DublinCoreExtension::default();
            dc.set_creators(vec![xml_safe(&story.agency_name).into_owned()]);
            let link = story.link.clone().or_else(|| primary.url.clone());
            rss::Item {
                title: Some(xml_safe(&story.title).into_owned()),
                link,
                description: entry
                    .summary
                    .as_deref()
                    .or(entry.content.as_deref())
                    .map(|h| xml_safe(h).into_owned())
                    .or_else(|| Some(xml_safe(&story.title).into_owned())),
                guid: Some(rss::Guid { value: s.entry_id(story), permalink: false }),
                pub_date: Some(story.published.to_rfc2822()),
                source: Some(rss::Source {
                    url: primary.source_url.clone(),
                    title: Some(xml_safe(primary.source_title.as_deref().unwrap_or(&primary.source)).into_owned()),
                }),
                categories: story
                    .categories
                    .iter()
                    .map(|c| rss::Category { name: xml_safe(c).into_owned(), domain: None })
                    .collect(),
                dublin_core_ext: Some(dc),
                ..Default::default()
            }
        })
        .collect();
    let link = |rel: &str, href: &str, mime: Option<&str>| Link {
        rel: rel.to_string(),
        href: href.to_string(),
        mime_type: mime.map(str::to_string),
        ..Default::default()
    };
    let mut links =
        vec![link("self", &page.self_url, Some("application/rss+xml")), link("first", &page.feed_url, None)];
    if let Some(next) = &page.next_url {
        links.push(link("next", next, None));
    }
    links.extend(s.hubs.iter().map(|h| link("hub", h.as_str(), None)));
    let mut atom = AtomExtension::default();
    atom.set_links(links);
    let channel = rss::Channel {
        title: xml_safe(page.title).into_owned(),
        link: page.html_url.clone(),
        description: xml_safe(&format!("{} — tin tức tổng hợp từ các cơ quan trong tỉnh", page.title)).into_owned(),
        language: Some("vi".into()),
        last_build_date: Some(page.updated.unwrap_or_default().to_rfc2822()),
        generator: Some(concat!("loa ", env!("CARGO_PKG_VERSION")).into()),
        ttl: Some((s.max_age.as_secs() / 60).max(1).to_string()),
        items,
        atom_ext: Some(atom),
        namespaces: BTreeMap::from([
            ("atom".to_string(), "http://www.w3.org/2005/Atom".to_string()),
            ("dc".to_string(), "http://purl.org/dc/elements/1.1/".to_string()),
        ]),
        ..Default::default()
    };
    let mut body = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = channel.pretty_write_to(&mut body, b' ', 1);
    let text = String::from_utf8_lossy(&body);
    // The crate writes no processing instruction: put the stylesheet after its
    // XML declaration.
    let rest = text.strip_prefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>").unwrap_or(&text);
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<?xml-stylesheet href=\"{}\" type=\"text/xsl\"?>\n{}{rest}",
        esc(&s.stylesheet_url()),
        page.comment
    )
    .into_bytes()
}
