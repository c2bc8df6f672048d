//! URLs: absolute links for readers, canonical forms for identity.

use url::Url;

/// Query parameters that track the reader and never name the article.
const TRACKING: &[&str] = &[
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "zarsrc", "_hsenc", "_hsmi", "mc_cid",
    "mc_eid", "igshid", "ref_src", "spm",
];

/// Resolves a link as published against the document's base.
pub fn absolute(link: &str, base: &Url) -> Option<Url> {
    let link = link.trim();
    if link.is_empty() {
        return None;
    }
    let u = base.join(link).ok()?;
    matches!(u.scheme(), "http" | "https").then_some(u)
}

/// What a page's relative links resolve against: its `<base href>` when that is
/// on the page's own site (old portals declare one, and browsers follow it),
/// else the page's address. A base elsewhere (`http://localhost/` left by a
/// deployment) is ignored.
pub fn document_base(base_href: Option<&str>, page: &Url) -> Url {
    base_href
        .and_then(|b| absolute(b, page))
        .filter(|b| b.host_str().zip(page.host_str()).is_some_and(|(b, p)| crate::fetch::same_site(b, p)))
        .unwrap_or_else(|| page.clone())
}

/// A document's declared home as a base for its relative links: only an absolute
/// http(s) URL on a real host (portals misconfigured to say `http://localhost/`
/// exist), else `None` and the document's own URL serves.
pub fn site_base(home: &str) -> Option<Url> {
    let u = Url::parse(home.trim()).ok()?;
    let host = u.host_str()?;
    let local =
        host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified());
    (matches!(u.scheme(), "http" | "https") && !local).then_some(u)
}

/// Fragments that only point into a page or track the reader: `#top`, `#comments`,
/// `#xtor=RSS-8`. Any other fragment may be what tells items apart (a changelog's
/// `#v2.1`, a comment's `#comment-12`, a script-routed portal's `#/tin/123`).
const NOISE_FRAGMENTS: &[&str] = &[
    "top",
    "more",
    "comments",
    "respond",
    "content",
    "main",
    "main-content",
    "maincontent",
    "article",
    "readmore",
    "read-more",
    "continue",
    "disqus_thread",
];

/// The form used for identity: absolute, scheme and host lower-cased (the url
/// crate does that), no fragment that is only noise, tracking parameters removed,
/// every other query parameter kept in order (SharePoint's `ItemID` *is* the
/// article).
pub fn canonical(url: &Url) -> String {
    let mut u = url.clone();
    if u.fragment().is_some_and(is_noise_fragment) {
        u.set_fragment(None);
    }
    if u.query().is_some() {
        let kept: Vec<(String, String)> =
            u.query_pairs().filter(|(k, _)| !is_tracking(k)).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        if kept.is_empty() {
            u.set_query(None);
        } else {
            // Re-serialize only when something was dropped, so the original
            // percent-encoding of the kept parameters survives untouched.
            let before = u.query_pairs().count();
            if kept.len() != before {
                u.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
    }
    u.to_string()
}

fn is_noise_fragment(fragment: &str) -> bool {
    let f = fragment.trim().to_ascii_lowercase();
    // Share widgets' rotating trackers: AddThis `#.U3vV8Lr8o1s`, ShareThis
    // `#sthash.Ab12.dpuf`, Tynt `#ixzz5Ab`.
    let tracker = f.starts_with('.') || f.starts_with("sthash.") || f.starts_with("ixzz");
    f.is_empty() || f.contains('=') || tracker || NOISE_FRAGMENTS.contains(&f.as_str())
}

fn is_tracking(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_") || TRACKING.contains(&k.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_on_the_page_s_own_site_is_followed() {
        let page = Url::parse("https://phunu.bentre.gov.vn/index.php?module=tin-tuc").unwrap();
        let base = |href: Option<&str>| document_base(href, &page).to_string();
        assert_eq!(base(Some("https://phunu.bentre.gov.vn/tin-tuc/")), "https://phunu.bentre.gov.vn/tin-tuc/");
        assert_eq!(base(Some("/tin-tuc/")), "https://phunu.bentre.gov.vn/tin-tuc/");
        assert_eq!(base(Some("http://www.phunu.bentre.gov.vn/tin-tuc/")), "http://www.phunu.bentre.gov.vn/tin-tuc/");
        for elsewhere in [Some("http://localhost/"), Some("https://other.vn/"), Some("javascript:;"), None] {
            assert_eq!(base(elsewhere), page.as_str(), "{elsewhere:?}");
        }
    }

    #[test]
    fn canonical_forms() {
        let base = Url::parse("https://bentre.dcs.vn/rss/tin-hoat-dong.rss").unwrap();
        let t3 = absolute("/tin-hoat-dong/uy-ban-25860.html", &base).unwrap();
        assert_eq!(canonical(&t3), "https://bentre.dcs.vn/tin-hoat-dong/uy-ban-25860.html");
        let t7 = absolute("https://BenTre.dcs.vn/a-25839.html?utm_source=rss&utm_medium=feed#top", &base).unwrap();
        assert_eq!(canonical(&t7), "https://bentre.dcs.vn/a-25839.html");
        let sp = "https://www.bentre.gov.vn/Pages/TinTucSuKien.aspx?ItemID=48213&CategoryId=Tin%20ho%E1%BA%A1t%20%C4%91%E1%BB%99ng";
        assert_eq!(canonical(&Url::parse(sp).unwrap()), sp);
        let mixed = Url::parse("https://a.vn/x.aspx?ItemID=1&fbclid=abc").unwrap();
        assert_eq!(canonical(&mixed), "https://a.vn/x.aspx?ItemID=1");
        assert_eq!(absolute("javascript:void(0)", &base), None);
        // Fragments: noise goes, anything that can tell items apart stays.
        let frag = |s: &str| canonical(&Url::parse(s).unwrap());
        assert_eq!(frag("https://a.vn/tin.html#"), "https://a.vn/tin.html");
        assert_eq!(frag("https://a.vn/tin.html#Comments"), "https://a.vn/tin.html");
        assert_eq!(frag("https://a.vn/tin.html#xtor=RSS-8"), "https://a.vn/tin.html");
        for tracker in ["#.U3vV8Lr8o1s", "#sthash.Ab12Cd.dpuf", "#ixzz5AbCdE"] {
            assert_eq!(frag(&format!("https://a.vn/tin.html{tracker}")), "https://a.vn/tin.html");
        }
        assert_ne!(frag("https://a.vn/changelog#v2.1"), frag("https://a.vn/changelog#v2.0"));
        assert_eq!(frag("https://a.vn/bai-viet#comment-12"), "https://a.vn/bai-viet#comment-12");
        assert_eq!(frag("https://a.vn/#/tin-tuc/123"), "https://a.vn/#/tin-tuc/123");
        assert_eq!(site_base("https://bentre.dcs.vn/").unwrap().as_str(), "https://bentre.dcs.vn/");
        assert_eq!(site_base("http://localhost/"), None);
        assert_eq!(site_base("/relative"), None);
    }
}
