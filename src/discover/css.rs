//! CSS selectors written for elements `loa discover` found: stable classes and
//! structural paths first, positions only as a last resort, and never an id or a
//! class that looks generated (`ctl00_…`, `p_p_id_101_INSTANCE_…`, `post-1021`),
//! since those change with the next article or the next deployment.
//!
//! Also what marks a page's furniture (menus, footers, "tin khác" boxes), which the
//! listing and article finders both skip.

use scraper::{ElementRef, Selector};

/// Classes that say how an element looks or where it sits now, not what it is.
const STATE_CLASSES: &[&str] = &[
    "active", "current", "selected", "hover", "first", "last", "odd", "even", "clearfix", "clear", "cf", "fix", "left",
    "right", "hidden", "visible", "show", "in", "open", "new", "hot",
];

/// A class or id written as a plain CSS identifier that names what the element is:
/// no run of digits (an item number, a GUID), no ASP.NET or portlet instance prefix.
pub fn stable_name(name: &str) -> bool {
    let plain = !name.is_empty()
        && name.len() <= 40
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '-')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plain {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    let digits = name.chars().filter(char::is_ascii_digit).count();
    // A counter at the end (`row-0`, `leading-1`, `col-md-8`) numbers the element
    // rather than naming it.
    let counted = name.trim_end_matches(|c: char| c.is_ascii_digit()).ends_with(['-', '_']);
    let generated = digits >= 3
        || counted
        || name.split(|c: char| !c.is_ascii_digit()).any(|run| run.len() >= 2)
        || ["ctl0", "ctl1", "instance", "p_p_id", "webpart", "msozone", "externalclass", "guid", "yui_"]
            .iter()
            .any(|p| lower.contains(p));
    !generated && !STATE_CLASSES.contains(&lower.as_str())
}

/// The stable classes of an element, in document order.
pub fn stable_classes(el: ElementRef<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // In the order written, so that the same page gives the same selectors.
    for c in el.attr("class").unwrap_or_default().split_ascii_whitespace() {
        if stable_name(c) && !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    out
}

/// The ways to name one element alone, most telling first: `tag.class…` (at most
/// three classes), `tag#id` (a stable id), and the bare tag.
pub fn descriptions(el: ElementRef<'_>) -> Vec<String> {
    let tag = el.value().name();
    let mut out = Vec::new();
    let classes = stable_classes(el);
    if !classes.is_empty() {
        out.push(format!("{tag}.{}", classes.iter().take(3).cloned().collect::<Vec<_>>().join(".")));
        if classes.len() > 1 {
            out.push(format!("{tag}.{}", classes[0]));
        }
    }
    if let Some(id) = el.value().id().filter(|id| stable_name(id)) {
        out.push(format!("{tag}#{id}"));
    }
    out.push(tag.to_string());
    out
}

/// The element's position among its siblings of the same tag, 1-based.
pub fn nth_of_type(el: ElementRef<'_>) -> usize {
    let tag = el.value().name();
    1 + el.prev_siblings().filter_map(ElementRef::wrap).filter(|s| s.value().name() == tag).count()
}

/// Selectors that reach `target` from inside `scope` (an entry, or the whole page
/// when `scope` is the root), by its own name and those of up to two ancestors
/// below `scope`; positional forms last. The caller checks which ones hold on
/// every page or entry.
pub fn relative_candidates(target: ElementRef<'_>, scope: ElementRef<'_>) -> Vec<String> {
    let own = descriptions(target);
    let mut out: Vec<String> = own.clone();
    let ancestors: Vec<ElementRef<'_>> =
        target.ancestors().filter_map(ElementRef::wrap).take_while(|a| a.id() != scope.id()).take(2).collect();
    for a in &ancestors {
        for ad in descriptions(*a) {
            for o in &own {
                out.push(format!("{ad} {o}"));
            }
        }
    }
    // The entry itself qualifies too (`li a`), which a page's root does not.
    if scope.value().name() != "html" {
        for sd in descriptions(scope) {
            for o in &own {
                out.push(format!("{sd} {o}"));
            }
        }
    }
    // Positions: a table's cells and a list's lines often have nothing else.
    let tag = target.value().name();
    out.push(format!("{tag}:nth-of-type({})", nth_of_type(target)));
    if let Some(parent) = ancestors.first() {
        let ptag = parent.value().name();
        out.push(format!("{ptag}:nth-of-type({}) {tag}", nth_of_type(*parent)));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|s| seen.insert(s.clone()));
    // Names before bare tags, bare tags before positions.
    out.sort_by_key(|c| match (c.contains(":nth-of-type"), c.contains(['.', '#'])) {
        (false, true) => 0,
        (false, false) => 1,
        (true, _) => 2,
    });
    out
}

/// Steps of a structural path before it gives up.
const MAX_PATH_STEPS: usize = 12;

/// A selector for `el` alone by structure, for what no name reaches (the cells
/// of an old portal's layout tables): the path down from the nearest ancestor
/// named alone on the page, else from `body`, each step the child's tag and,
/// among siblings of that tag, its position. It holds while the template does.
pub fn path(doc: &scraper::Html, el: ElementRef<'_>) -> Option<String> {
    let alone = |d: &String| compile(d).is_some_and(|sel| doc.select(&sel).nth(1).is_none());
    let mut steps = Vec::new();
    let mut at = el;
    for _ in 0..MAX_PATH_STEPS {
        let named = descriptions(at).into_iter().filter(|d| d.contains(['.', '#'])).find(alone);
        if let Some(name) = named.or_else(|| (at.value().name() == "body").then(|| "body".to_string())) {
            steps.push(name);
            steps.reverse();
            return Some(steps.join(" > "));
        }
        let tag = at.value().name();
        let alike = at
            .parent()
            .map_or(0, |p| p.children().filter_map(ElementRef::wrap).filter(|s| s.value().name() == tag).count());
        steps.push(if alike > 1 { format!("{tag}:nth-of-type({})", nth_of_type(at)) } else { tag.to_string() });
        at = at.parent().and_then(ElementRef::wrap)?;
    }
    None
}

/// A selector of loa's own making, compiled; `None` if it does not compile (a
/// class that needs escaping slipped through).
pub fn compile(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

/// Whether `outer` is `inner` or one of its ancestors.
pub fn contains(outer: ElementRef<'_>, inner: ElementRef<'_>) -> bool {
    outer.id() == inner.id() || inner.ancestors().any(|a| a.id() == outer.id())
}

/// An element's text when it has at most `limit` characters, without reading
/// further into a long one.
pub fn short_text(el: ElementRef<'_>, limit: usize) -> Option<String> {
    let mut out = String::new();
    for t in el.text() {
        for w in t.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
            if out.chars().count() > limit {
                return None;
            }
        }
    }
    Some(out)
}

/// Words of class names and ids that mark page furniture rather than content.
const FURNITURE_WORDS: &[&str] = &[
    "menu",
    "nav",
    "navbar",
    "navigation",
    "footer",
    "header",
    "sidebar",
    "breadcrumb",
    "breadcrumbs",
    "pager",
    "pagination",
    "paging",
    "related",
    "lienquan",
    "tinkhac",
    "othernews",
    "xemnhieu",
    "docnhieu",
    "mostview",
    "mostviewed",
    "comment",
    "comments",
    "share",
    "social",
    "tags",
    "login",
    "weblink",
    "lienket",
    "marquee",
];

/// Words of class names that mark a part of one article or entry.
const ARTICLE_WORDS: &[&str] = &["article", "entry", "post", "news", "detail", "item", "card", "story", "content"];

/// Headings of boxes that list other news than the page's own.
const FURNITURE_HEADINGS: &[&str] = &[
    "tin-khac",
    "cac-tin-khac",
    "bai-viet-khac",
    "tin-lien-quan",
    "bai-viet-lien-quan",
    "tin-cung-chuyen-muc",
    "cung-chuyen-muc",
    "xem-nhieu",
    "doc-nhieu",
    "duoc-quan-tam",
    "tin-da-dua",
    "lien-ket-website",
    "lien-ket",
    "tin-moi-nhat",
    "tin-moi",
    "related",
    "most-viewed",
];

/// Whether an element is furniture by its tag or by a word of its class or id
/// (`main-menu`, `box_tinkhac`, `tin-lien-quan`). A header or footer inside an
/// `<article>` is the article's own (its title, date and byline), not the site's.
pub fn is_furniture(el: ElementRef<'_>) -> bool {
    let v = el.value();
    let in_article = || el.ancestors().filter_map(ElementRef::wrap).any(|a| a.value().name() == "article");
    match v.name() {
        // Not <form>: ASP.NET and SharePoint pages are one form from top to bottom.
        "nav" | "aside" | "select" | "script" | "style" | "noscript" => return true,
        "header" | "footer" => return !in_article(),
        _ => {}
    }
    // The page's own frame carries the layout's words (Drupal's `<body
    // class="one-sidebar sidebar-second">`), as do wrappers that say what they
    // hold beside the content (`has-sidebar`, `with-sidebar`).
    if matches!(v.name(), "html" | "body" | "main") {
        return false;
    }
    v.classes().chain(v.id()).any(|name| {
        let lower = name.to_ascii_lowercase();
        if ["has-", "with-", "no-", "one-", "two-"].iter().any(|p| lower.starts_with(p))
            || lower.starts_with("sidebar-first")
            || lower.starts_with("sidebar-second")
        {
            return false;
        }
        let squashed: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
        let word = lower.split(|c: char| !c.is_ascii_alphanumeric()).find(|w| FURNITURE_WORDS.contains(w));
        match word {
            // An article's own header (`article-header`, `entry-footer`, `news-header`)
            // holds its title, date and byline.
            Some("header" | "footer") => {
                !in_article() && !lower.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| ARTICLE_WORDS.contains(&w))
            }
            Some(_) => true,
            None => FURNITURE_WORDS.iter().filter(|w| w.len() >= 6).any(|w| squashed.contains(w)),
        }
    })
}

/// Whether a short text (a box's heading) announces other news: "Tin khác",
/// "TIN LIÊN QUAN", "Xem nhiều nhất".
pub fn is_furniture_heading(text: &str) -> bool {
    if text.chars().count() > 60 {
        return false;
    }
    let s = crate::util::slug::slug(text);
    FURNITURE_HEADINGS.iter().any(|h| s == *h || s.starts_with(&format!("{h}-")) || s.ends_with(&format!("-{h}")))
}

/// Whether `el` or one of its ancestors is furniture, or sits in a box whose
/// heading announces other news.
pub fn in_furniture(el: ElementRef<'_>) -> bool {
    std::iter::once(el)
        .chain(el.ancestors().filter_map(ElementRef::wrap))
        .any(|a| is_furniture(a) || headed_as_other(a))
}

/// A box whose heading (its first child element, or the element just before it)
/// reads "Tin khác" and the like.
fn headed_as_other(el: ElementRef<'_>) -> bool {
    let first = el.child_elements().next().filter(|c| c.child_elements().count() <= 2);
    let before = el.prev_siblings().find_map(ElementRef::wrap);
    [first, before].into_iter().flatten().filter_map(|h| short_text(h, 60)).any(|t| is_furniture_heading(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_are_not_stable() {
        for good in ["news-item", "asset-abstract", "ms-vb2", "entry-title", "content", "RowStyle", "span8"] {
            assert!(stable_name(good), "{good}");
        }
        for bad in [
            "post-1021",
            "ctl00_ContentPlaceHolder1_gvTinTuc",
            "p_p_id_101_INSTANCE_AbCd1234efGh_",
            "ExternalClassA1B2",
            "item-12",
            "row-0",
            "col-md-8",
            "active",
            "news item",
            "a:b",
            "",
        ] {
            assert!(!stable_name(bad), "{bad}");
        }
    }

    #[test]
    fn furniture_headings() {
        for h in ["Tin khác", "TIN LIÊN QUAN", "Các tin khác", "Tin xem nhiều", "Xem nhiều", "Tin cùng chuyên mục"]
        {
            assert!(is_furniture_heading(h), "{h}");
        }
        for h in ["Tin hoạt động", "Tin tức - Sự kiện", "Khác biệt trong công tác dân vận"] {
            assert!(!is_furniture_heading(h), "{h}");
        }
    }
}
