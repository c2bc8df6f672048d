//! JSON Feed 1.1, with loa's `_loa` extension (DESIGN.md): the story's agency, every
//! agency credited, and every member with its source's own id.

use serde::Serialize;

use super::{rfc3339, Entry, Page, Settings};

pub fn render(s: &Settings, page: &Page<'_>) -> Vec<u8> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: page.title.to_string(),
        home_page_url: page.html_url.clone(),
        feed_url: page.self_url.clone(),
        next_url: page.next_url.clone(),
        language: "vi",
        authors: vec![JsonAuthor { name: s.title.clone() }],
        hubs: s.hubs.iter().map(|h| JsonHub { kind: "WebSub", url: h.to_string() }).collect(),
        items: page
            .entries
            .iter()
            .map(|Entry { story, summary, content }| JsonItem {
                id: s.entry_id(story),
                url: story.link.clone(),
                external_url: None,
                title: story.title.clone(),
                content_html: content.clone().or_else(|| summary.clone()).unwrap_or_else(|| story.title.clone()),
                summary: (!story.excerpt.is_empty()).then(|| story.excerpt.clone()),
                date_published: rfc3339(Some(story.published)),
                date_modified: rfc3339(Some(story.updated)),
                authors: vec![JsonAuthor { name: story.agency_name.clone() }],
                tags: story.categories.clone(),
                language: "vi",
                loa: LoaExtension {
                    agency: story.agency.clone(),
                    agencies: story.agencies().into_iter().map(str::to_string).collect(),
                    sources: story
                        .members
                        .iter()
                        .map(|m| LoaSource { source: m.source.clone(), url: m.url.clone(), id: m.id.clone() })
                        .collect(),
                },
            })
            .collect(),
    };
    let mut out = serde_json::to_vec_pretty(&feed).unwrap_or_default();
    out.push(b'\n');
    out
}

#[derive(Serialize)]
struct JsonFeed {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
    language: &'static str,
    authors: Vec<JsonAuthor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<JsonHub>,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct JsonHub {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_url: Option<String>,
    title: String,
    content_html: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    date_published: String,
    date_modified: String,
    authors: Vec<JsonAuthor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    language: &'static str,
    #[serde(rename = "_loa")]
    loa: LoaExtension,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
}

#[derive(Serialize)]
struct LoaExtension {
    agency: String,
    agencies: Vec<String>,
    sources: Vec<LoaSource>,
}

#[derive(Serialize)]
struct LoaSource {
    source: String,
    url: Option<String>,
    id: Option<String>,
}
