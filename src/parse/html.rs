//! HTML pages read with CSS selectors: a listing's entries, and an article's
//! content, date, byline and canonical URL.
//!
//! Selectors come from the source's config (validated there). What a portal wraps
//! around an article — share buttons, view counters, related-news lists, scripts —
//! is cut out of the content here, by the usual class names, so the feed carries
//! the article alone. Nothing is fetched or stored here.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};

use crate::config::{ArticleSelectors, HtmlSelectors};
use crate::parse::ParseError;

/// One entry of a listing page, as the page gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListingEntry {
    /// The `href` as written: possibly relative.
    pub link: String,
    pub title: String,
    pub date: Option<String>,
    /// HTML.
    pub summary: Option<String>,
}

/// A listing page: its title and its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub title: Option<String>,
    /// `<base href>`, as written: what the entries' relative links resolve against.
    pub base: Option<String>,
    pub entries: Vec<ListingEntry>,
}

/// What an article page adds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Article {
    /// `<link rel="canonical">`, as written.
    pub canonical: Option<String>,
    /// HTML of the content element, without the page's furniture.
    pub content: Option<String>,
    pub date: Option<String>,
    pub byline: Option<String>,
}

/// Page furniture that content selectors often take in with the article.
const BOILERPLATE: &str = "script, style, noscript, form, nav, .news-tools, .tools, .share, .sharing, .social, \
    .addthis_toolbox, .view-count, .views, .luot-xem, .print, .related, .related-news, .tin-lien-quan, .other-news, \
    .tags, .comment, .comments, .fb-comments, .breadcrumb";

/// The selectors of loa's own, compiled once.
static FURNITURE: LazyLock<Selector> = LazyLock::new(|| fixed(BOILERPLATE));
static PAGE_TITLE: LazyLock<Selector> = LazyLock::new(|| fixed("title"));
static CANONICAL: LazyLock<Selector> = LazyLock::new(|| fixed("link[rel=canonical]"));
pub(crate) static LINK: LazyLock<Selector> = LazyLock::new(|| fixed("a[href]"));
static BASE: LazyLock<Selector> = LazyLock::new(|| fixed("base[href]"));

fn fixed(css: &str) -> Selector {
    Selector::parse(css).expect("loa's own selectors are valid")
}

/// The entries of a listing page. A listing where the item selector matches
/// nothing, or where no item has both a link and a title, is selector drift: the
/// portal changed its markup, and saying "0 items" would hide it.
pub fn listing(html: &str, sel: &HtmlSelectors) -> Result<Listing, ParseError> {
    listing_of(&parse_page(html)?, sel)
}

/// `listing` on a page already parsed (`loa discover` tries selectors on one page).
pub fn listing_of(doc: &Html, sel: &HtmlSelectors) -> Result<Listing, ParseError> {
    let item = selector(&sel.item)?;
    let link = selector(&sel.link)?;
    let title = selector(&sel.title)?;
    let date = sel.date.as_deref().map(selector).transpose()?;
    let summary = sel.summary.as_deref().map(selector).transpose()?;
    let mut matched = 0;
    let mut entries = Vec::new();
    for el in doc.select(&item) {
        matched += 1;
        let href = link_of(el, &link);
        let text = el.select(&title).next().map(title_text);
        let (Some(href), Some(text)) = (href, text.filter(|t| !t.is_empty())) else { continue };
        entries.push(ListingEntry {
            link: href.to_string(),
            title: text,
            date: date.as_ref().and_then(|d| el.select(d).next()).map(element_text).filter(|s| !s.is_empty()),
            summary: summary.as_ref().and_then(|s| el.select(s).next()).map(|e| e.inner_html()),
        });
    }
    if matched == 0 {
        return Err(ParseError::SelectorDrift(format!("item selector \"{}\" matched 0 items", sel.item)));
    }
    if entries.is_empty() {
        return Err(ParseError::SelectorDrift(format!(
            "item selector \"{}\" matched {matched} items, but none had a link (\"{}\") and a title (\"{}\")",
            sel.item, sel.link, sel.title
        )));
    }
    let title = doc.select(&PAGE_TITLE).next().map(element_text).filter(|t| !t.is_empty());
    Ok(Listing { title, base: base_of(doc), entries })
}

/// An entry's title as the title element gives it: its text, else its link's
/// `title`, which also stands for a text cut short ("Hội nghị triển khai…",
/// with the whole title in the attribute, as many portals write it).
pub fn title_text(el: ElementRef<'_>) -> String {
    let text = element_text(el);
    let attr = std::iter::once(el)
        .chain(el.select(&LINK))
        .find_map(|e| e.attr("title"))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let cut = text.strip_suffix("...").or_else(|| text.strip_suffix('…')).map(str::trim_end);
    match cut {
        _ if text.is_empty() => attr,
        Some(start) if attr.chars().count() > start.chars().count() && attr.starts_with(start) => attr,
        _ => text,
    }
}

/// A page's `<base href>`, as written.
pub fn base_of(doc: &Html) -> Option<String> {
    doc.select(&BASE).next().and_then(|b| b.attr("href")).map(str::to_string)
}

/// What the article selectors find on an article page.
pub fn article(html: &str, sel: &ArticleSelectors) -> Result<Article, ParseError> {
    article_of(&parse_page(html)?, sel)
}

/// `article` on a page already parsed.
pub fn article_of(doc: &Html, sel: &ArticleSelectors) -> Result<Article, ParseError> {
    let content = selector(&sel.content)?;
    let date = sel.date.as_deref().map(selector).transpose()?;
    let byline = sel.byline.as_deref().map(selector).transpose()?;
    Ok(Article {
        canonical: doc.select(&CANONICAL).find_map(|l| l.attr("href")).map(str::to_string),
        content: doc.select(&content).next().map(without_boilerplate),
        date: date.as_ref().and_then(|d| doc.select(d).next()).map(element_text).filter(|s| !s.is_empty()),
        byline: byline.as_ref().and_then(|b| doc.select(b).next()).map(element_text).filter(|s| !s.is_empty()),
    })
}

/// Real pages nest their elements a few dozen deep; html5ever's tree builder costs
/// a page its depth squared, so one nested deeper than this is refused unparsed.
const MAX_PAGE_DEPTH: usize = 1024;

/// A page parsed, or refused unparsed when nested deeper than any real page.
pub fn parse_page(html: &str) -> Result<Html, ParseError> {
    let depth = crate::util::text::nesting_depth(html);
    if depth > MAX_PAGE_DEPTH {
        return Err(ParseError::Malformed(format!(
            "the page nests its elements {depth} deep, deeper than any real page: not parsed"
        )));
    }
    Ok(Html::parse_document(html))
}

fn selector(css: &str) -> Result<Selector, ParseError> {
    Selector::parse(css).map_err(|e| ParseError::SelectorDrift(format!("invalid selector \"{css}\": {e}")))
}

/// An entry's link: the first element matching `link` among the item and its
/// descendants (an item that is itself the link, as a card wrapped in `<a>`,
/// counts), its `href` or that of the first link inside it.
pub(crate) fn link_of<'a>(item: ElementRef<'a>, link: &Selector) -> Option<&'a str> {
    std::iter::once(item).filter(|i| link.matches(i)).chain(item.select(link)).find_map(href_of)
}

/// The `href` of an element, or of the first link inside it.
pub(crate) fn href_of(el: ElementRef<'_>) -> Option<&str> {
    if let Some(h) = el.attr("href") {
        return Some(h);
    }
    el.select(&LINK).next().and_then(|a| a.attr("href"))
}

/// Text with whitespace collapsed (entities are already decoded by the parser).
pub(crate) fn element_text(el: ElementRef<'_>) -> String {
    el.text().flat_map(|t| t.split_whitespace()).collect::<Vec<_>>().join(" ")
}

/// The inner HTML of the content element, less the furniture inside it.
fn without_boilerplate(el: ElementRef<'_>) -> String {
    let mut html = el.inner_html();
    for part in el.select(&FURNITURE) {
        // A subtree serialises the same alone as inside its parent.
        html = html.replacen(&part.html(), "", 1);
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel() -> HtmlSelectors {
        HtmlSelectors {
            item: "div.news-item".into(),
            link: "h3 a".into(),
            title: "h3 a".into(),
            date: Some("span.news-date".into()),
            summary: Some("p.news-summary".into()),
            article: Some(ArticleSelectors {
                content: "div.news-content".into(),
                date: Some("div.news-date".into()),
                byline: Some("div.author".into()),
            }),
        }
    }

    #[test]
    fn a_title_cut_short_is_read_whole_from_its_link_s_title() {
        let full = "Hội nghị triển khai nhiệm vụ công tác dân vận 6 tháng cuối năm 2022";
        let read = |html: &str| {
            let doc = Html::parse_fragment(html);
            let el = doc.select(&fixed("h3, a")).next().unwrap();
            title_text(el)
        };
        assert_eq!(read(&format!("<a href=\"/1\" title=\"{full}\">Hội nghị triển khai nhiệm vụ...</a>")), full);
        assert_eq!(read(&format!("<h3><a href=\"/1\" title=\"{full}\">Hội nghị triển khai…</a></h3>")), full);
        assert_eq!(read(&format!("<a href=\"/1\" title=\"{full}\"><img alt=\"\"></a>")), full);
        // A title that is no longer form of the text, or a text not cut, stays as written.
        assert_eq!(read("<a href=\"/1\" title=\"Xem chi tiết\">Hội nghị triển khai...</a>"), "Hội nghị triển khai...");
        assert_eq!(read(&format!("<a href=\"/1\" title=\"{full} (ảnh)\">{full}</a>")), full);
    }

    #[test]
    fn reads_the_listing_fixture() {
        let entries = listing(include_str!("../../tests/fixtures/html/listing.html"), &sel()).unwrap().entries;
        assert_eq!(entries.len(), 5);
        assert_eq!(
            entries[0].title,
            "Phó Bí thư Thường trực Tỉnh ủy dự hội nghị sơ kết công tác dân vận 6 tháng đầu năm 2022"
        );
        assert!(entries[0].link.starts_with("/tin-hoat-dong/pho-bi-thu"));
        assert_eq!(entries[0].date.as_deref(), Some("(05/08/2022)"));
        assert_eq!(entries[1].date.as_deref(), Some("(04/08/2022 - 16:30)"));
        assert!(!entries[0].title.contains("New"));
    }

    #[test]
    fn a_page_nested_deeper_than_any_real_one_is_refused() {
        let page = format!("<html><body>{}</body></html>", "<div><span>".repeat(1000));
        let err = listing(&page, &sel()).unwrap_err();
        assert!(err.to_string().contains("nests its elements 2002 deep"), "{err}");
        for fixture in [
            include_str!("../../tests/fixtures/html/listing.html"),
            include_str!("../../tests/fixtures/html/article-prefix-and-caption-credit.html"),
        ] {
            assert!(crate::util::text::nesting_depth(fixture) < 64);
        }
    }

    #[test]
    fn reads_articles_without_their_furniture() {
        let a = article(
            include_str!("../../tests/fixtures/html/article-prefix-and-caption-credit.html"),
            sel().article.as_ref().unwrap(),
        )
        .unwrap();
        let content = a.content.unwrap();
        assert!(content.contains("Nguyễn Hiếu (Ban Dân vận Tỉnh ủy)"));
        assert!(content.contains("(Ảnh: Nguyễn Diễm)"));
        for furniture in ["Lượt xem", "Chia sẻ", "Tin liên quan", "_gaq"] {
            assert!(!content.contains(furniture), "{furniture}");
        }
        assert_eq!(a.date.as_deref(), Some("Thứ Sáu, 05/08/2022 - 10:15"));
        assert!(a.canonical.unwrap().ends_with("-1021.html"));
        let b = article(
            include_str!("../../tests/fixtures/html/article-byline-outside-content.html"),
            sel().article.as_ref().unwrap(),
        )
        .unwrap();
        assert_eq!(b.byline.as_deref(), Some("Ngọc Trâm (Ban Dân vận Tỉnh ủy)"));
    }

    #[test]
    fn drift_is_an_error_not_zero_items() {
        let mut s = sel();
        s.item = "li.tin".into();
        let e = listing(include_str!("../../tests/fixtures/html/listing.html"), &s).unwrap_err();
        assert!(e.to_string().contains("matched 0 items"), "{e}");
        let mut s = sel();
        s.link = "h4 a".into();
        let e = listing(include_str!("../../tests/fixtures/html/listing.html"), &s).unwrap_err();
        assert!(e.to_string().contains("none had a link"), "{e}");
    }
}
