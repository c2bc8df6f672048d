//! Atom 1.0 (RFC 4287), written by hand so that every required element is there,
//! dates are RFC 3339 in `Z`, content is `type="html"`, and nothing XML forbids
//! gets through.

use std::fmt::Write;

use super::xml::{element, empty};
use super::{rfc3339, Page, Settings};
use crate::util::xml::esc;

pub fn render(s: &Settings, page: &Page<'_>) -> Vec<u8> {
    let mut out = String::with_capacity(2048 + page.entries.len() * 2048);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(out, "<?xml-stylesheet href=\"{}\" type=\"text/xsl\"?>", esc(&s.stylesheet_url()));
    let _ = writeln!(out, "{}", page.comment);
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">");
    element(&mut out, "id", &[], &page.feed_url);
    element(&mut out, "title", &[("type", "text")], page.title);
    element(&mut out, "updated", &[], &rfc3339(page.updated));
    out.push_str("<author>");
    element(&mut out, "name", &[], &s.title);
    element(&mut out, "uri", &[], &format!("{}/", s.base_url));
    out.push_str("</author>");
    empty(&mut out, "link", &[("rel", "self"), ("type", "application/atom+xml"), ("href", &page.self_url)]);
    empty(&mut out, "link", &[("rel", "alternate"), ("type", "text/html"), ("href", &page.html_url)]);
    // RFC 5005 paged feed: the first page, and the next older one.
    empty(&mut out, "link", &[("rel", "first"), ("href", &page.feed_url)]);
    if let Some(next) = &page.next_url {
        empty(&mut out, "link", &[("rel", "next"), ("href", next)]);
    }
    for hub in &s.hubs {
        empty(&mut out, "link", &[("rel", "hub"), ("href", hub.as_str())]);
    }
    element(&mut out, "generator", &[("version", env!("CARGO_PKG_VERSION"))], "loa");
    for entry in page.entries {
        let story = &entry.story;
        out.push_str("<entry>");
        element(&mut out, "id", &[], &s.entry_id(story));
        element(&mut out, "title", &[("type", "text")], &story.title);
        element(&mut out, "updated", &[], &rfc3339(Some(story.updated)));
        element(&mut out, "published", &[], &rfc3339(Some(story.published)));
        out.push_str("<author>");
        element(&mut out, "name", &[], &story.agency_name);
        out.push_str("</author>");
        if let Some(link) = &story.link {
            empty(&mut out, "link", &[("rel", "alternate"), ("type", "text/html"), ("href", link)]);
        }
        for m in story.members.iter().skip(1) {
            if let Some(url) = &m.url {
                empty(&mut out, "link", &[("rel", "via"), ("type", "text/html"), ("href", url)]);
            }
        }
        for c in &story.categories {
            empty(&mut out, "category", &[("term", c)]);
        }
        if let Some(summary) = &entry.summary {
            element(&mut out, "summary", &[("type", "html")], summary);
        }
        let content = entry.content.as_deref().or(entry.summary.as_deref()).unwrap_or(&story.title);
        element(&mut out, "content", &[("type", "html")], content);
        let primary = &story.members[0];
        out.push_str("<source>");
        element(&mut out, "id", &[], &primary.source_url);
        element(&mut out, "title", &[("type", "text")], primary.source_title.as_deref().unwrap_or(&primary.source));
        element(&mut out, "updated", &[], &rfc3339(Some(story.updated)));
        empty(&mut out, "link", &[("rel", "self"), ("href", &primary.source_url)]);
        out.push_str("</source>");
        out.push_str("</entry>");
    }
    out.push_str("</feed>\n");
    out.into_bytes()
}
