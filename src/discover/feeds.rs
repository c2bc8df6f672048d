//! Where a portal's feeds may be: what the page links to (`<link rel="alternate">`,
//! then anchors that look like feeds), and the paths the CMSs of Vietnamese public
//! bodies serve them at. Reading them is the caller's; this only lists addresses.

use scraper::{Html, Selector};
use url::Url;

use super::listing::site_link;

/// The most feed addresses taken from one page's anchors.
const MAX_ANCHORS: usize = 6;

/// Where a feed address came from, as the report says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The page's `<link rel="alternate">`.
    Alternate,
    /// An anchor of the page (an RSS icon, a `/rss` page's list).
    Anchor,
    /// A path where the portal's software serves feeds.
    WellKnown,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Origin::Alternate => "linked as alternate",
            Origin::Anchor => "linked from the page",
            Origin::WellKnown => "well-known path",
        })
    }
}

/// The feeds a page names, same-host only, alternates first; and those of other
/// hosts, which are never read.
pub fn linked(doc: &Html, page: &Url) -> (Vec<(Url, Origin)>, Vec<Url>) {
    let alternate = Selector::parse("link[rel~=alternate][href]").expect("a valid selector");
    let mut out: Vec<(Url, Origin)> = Vec::new();
    let mut elsewhere = Vec::new();
    for l in doc.select(&alternate) {
        let kind = l.attr("type").unwrap_or_default().to_ascii_lowercase();
        if !["rss", "atom", "feed+json", "rdf"].iter().any(|k| kind.contains(k)) {
            continue;
        }
        let href = l.attr("href").unwrap_or_default();
        match site_link(href, page) {
            Some(u) => {
                push(&mut out, u, Origin::Alternate);
            }
            None => elsewhere.extend(crate::normalize::link::absolute(href, page)),
        }
    }
    let mut taken = 0;
    for a in doc.select(&crate::parse::html::LINK) {
        if taken == MAX_ANCHORS {
            break;
        }
        let Some(u) = site_link(a.attr("href").unwrap_or_default(), page).filter(looks_like_feed) else { continue };
        if push(&mut out, u, Origin::Anchor) {
            taken += 1;
        }
    }
    (out, elsewhere)
}

fn push(out: &mut Vec<(Url, Origin)>, url: Url, origin: Origin) -> bool {
    if out.iter().any(|(u, _)| *u == url) {
        return false;
    }
    out.push((url, origin));
    true
}

/// An address shaped like a feed: `….rss`, `/rss/…`, `/feed/`, `RSS.aspx`,
/// Liferay's `…/rss`, Joomla's `format=feed`, SharePoint's `listfeed.aspx`.
fn looks_like_feed(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    let query = url.query().unwrap_or_default().to_ascii_lowercase();
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string();
    [".rss", ".atom", ".rdf", "rss.xml", "atom.xml", "feed.xml"].iter().any(|s| path.ends_with(s))
        || ["rss", "feed", "atom", "rss.aspx", "feed.aspx", "listfeed.aspx", "rss.php", "feed.php"]
            .contains(&last.as_str())
        || path.contains("/rss/")
        || query.contains("format=feed")
        || query.split('&').any(|p| p == "rss" || p.starts_with("rss="))
}

/// The paths where the portal software of public bodies serves feeds, for a
/// page at `page`: WordPress (`/feed/`, and a category's own), Joomla
/// (`?format=feed&type=rss`), the `/rss` pages of Vietnamese portal products
/// (VNPT, Viettel, DNN and home-grown ASP.NET: `/rss`, `/RSS.aspx`), static
/// `rss.xml`/`atom.xml`, and SharePoint's site feed (`/_layouts/feed.aspx`).
pub fn well_known(page: &Url) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    let mut add = |u: Option<Url>| {
        if let Some(u) = u.filter(|u| !out.contains(u)) {
            out.push(u);
        }
    };
    let dir = if page.path().ends_with('/') { page.path().to_string() } else { format!("{}/", page.path()) };
    if page.path() != "/" && !page.path().contains('.') {
        add(page.join(&format!("{dir}feed/")).ok());
    }
    let mut joomla = page.clone();
    joomla.query_pairs_mut().append_pair("format", "feed").append_pair("type", "rss");
    add(Some(joomla));
    for path in ["/feed/", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/RSS.aspx", "/_layouts/feed.aspx"] {
        add(page.join(path).ok());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_shaped_addresses() {
        for yes in [
            "https://x.vn/rss/tin-hoat-dong.rss",
            "https://x.vn/rss",
            "https://x.vn/tin-tuc/feed/",
            "https://x.vn/RSS.aspx",
            "https://x.vn/web/guest/tin-tuc/-/asset_publisher/AbCd/rss",
            "https://x.vn/tin-tuc?format=feed&type=rss",
            "https://x.vn/_layouts/15/listfeed.aspx?List=%7B1%7D",
        ] {
            assert!(looks_like_feed(&Url::parse(yes).unwrap()), "{yes}");
        }
        for no in ["https://x.vn/tin-tuc/feedback.html", "https://x.vn/rss-reader-huong-dan.html", "https://x.vn/"] {
            assert!(!looks_like_feed(&Url::parse(no).unwrap()), "{no}");
        }
    }

    #[test]
    fn well_known_paths_of_a_section() {
        let paths: Vec<String> =
            well_known(&Url::parse("https://x.vn/tin-tuc").unwrap()).iter().map(|u| u.to_string()).collect();
        assert_eq!(paths[0], "https://x.vn/tin-tuc/feed/");
        assert_eq!(paths[1], "https://x.vn/tin-tuc?format=feed&type=rss");
        assert!(paths.contains(&"https://x.vn/RSS.aspx".to_string()));
    }
}
