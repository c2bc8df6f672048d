//! What an article page adds to its listing entry: the element that holds the
//! article's text, its date, and its byline, as selectors that hold on the page.
//!
//! The content is the element where the page's paragraphs gather (each paragraph
//! credits its parent, and half its grandparent), paragraphs of menus, comments
//! and "tin liên quan" boxes left out. The date is the first short date after the
//! article's title; the byline an element with an author-like class, or the last
//! short paragraph shaped `Tên (Cơ quan)`. Nothing here fetches.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use ego_tree::NodeId;
use scraper::{ElementRef, Html};

use super::css;
use super::css::{contains, short_text};
use super::listing::reads_as_date;
use crate::config::ArticleSelectors;
use crate::parse::html::{article_of, element_text, Article};

/// Less text than this is no article.
const MIN_CONTENT_CHARS: usize = 200;
/// A paragraph shorter than this does not count toward its container.
const MIN_PARAGRAPH_CHARS: usize = 25;

/// An article page's selectors, and what could not be had.
#[derive(Debug, Clone)]
pub struct Found {
    pub selectors: ArticleSelectors,
    /// Characters of text in the content the selectors read.
    pub content_chars: usize,
    pub notes: Vec<String>,
}

/// Finds the content, date and byline of an article whose listing title is
/// `title`.
pub fn find(doc: &Html, title: &str, tz: FixedOffset) -> Result<Found, String> {
    let (content_el, chars) = content(doc).ok_or_else(|| {
        format!("no block of text of {MIN_CONTENT_CHARS} characters or more outside menus and comments")
    })?;
    let content = page_selector(doc, content_el, true).ok_or("no selector names the article's text block alone")?;
    let mut notes = Vec::new();
    let date_el = date(doc, title, content_el, tz);
    let date = date_el.and_then(|d| {
        page_selector(doc, d, false).or_else(|| {
            notes.push(format!("the article's date \"{}\" has no stable selector", element_text(d)));
            None
        })
    });
    if date_el.is_none() {
        notes.push("no date on the article page: the listing's date is used".into());
    }
    let byline = match byline(doc, content_el) {
        Some(b) if contains(content_el, b) => {
            notes.push(format!("byline \"{}\" closes the content and is read from it", element_text(b)));
            None
        }
        Some(b) => page_selector(doc, b, false),
        None => None,
    };
    let selectors = ArticleSelectors { content, date, byline };
    let read = article_of(doc, &selectors).map_err(|e| e.to_string())?;
    match content_chars(&read) {
        Some(n) if n * 2 >= chars => Ok(Found { selectors, content_chars: n, notes }),
        _ => Err(format!("the content selector \"{}\" does not read the article's text", selectors.content)),
    }
}

/// Whether the selectors read an article on another page of the same site too:
/// content of some length, and a date loa reads when a date selector is set.
/// The date read too, when a date selector is set and reads one.
pub fn holds_on(doc: &Html, sel: &ArticleSelectors, tz: FixedOffset) -> (bool, bool, Option<DateTime<Utc>>) {
    let Ok(a) = article_of(doc, sel) else { return (false, false, None) };
    let content = content_chars(&a).is_some_and(|n| n >= MIN_CONTENT_CHARS);
    let read = a.date.as_deref().and_then(|d| crate::util::date::parse(d, tz));
    (content, sel.date.is_none() || read.is_some(), read)
}

/// Characters of text in the content an article's selectors read.
fn content_chars(article: &Article) -> Option<usize> {
    article.content.as_deref().map(|h| crate::util::text::html_to_text(h).chars().count())
}

/// The element where the page's paragraphs gather, and their characters.
fn content(doc: &Html) -> Option<(ElementRef<'_>, usize)> {
    let mut credit: HashMap<NodeId, usize> = HashMap::new();
    for el in doc.root_element().descendent_elements() {
        let n = paragraph_chars(el);
        if n < MIN_PARAGRAPH_CHARS || css::in_furniture(el) {
            continue;
        }
        // A <p> credits the block it sits in; a <div> or <td> holding text of its
        // own (old portals' <br>-separated text) credits itself.
        let own = el.value().name() != "p";
        let mut up = el.ancestors().filter_map(ElementRef::wrap);
        let first = if own { Some(el) } else { up.next() };
        if let Some(first) = first {
            *credit.entry(first.id()).or_default() += n;
            if let Some(second) = if own { el.parent().and_then(ElementRef::wrap) } else { up.next() } {
                *credit.entry(second.id()).or_default() += n / 2;
            }
        }
    }
    let (id, _) = credit.iter().max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id)))?;
    let el = ElementRef::wrap(doc.tree.get(*id)?)?;
    let chars = text_chars(el);
    (chars >= MIN_CONTENT_CHARS).then_some((el, chars))
}

/// The characters of a paragraph's own text outside links: a `<p>`'s, or the
/// text nodes directly inside a block.
fn paragraph_chars(el: ElementRef<'_>) -> usize {
    match el.value().name() {
        "p" | "blockquote" => el
            .descendants()
            .filter_map(|n| n.value().as_text().map(|t| (n, t)))
            .filter(|(n, _)| {
                !n.ancestors()
                    .take_while(|a| a.id() != el.id())
                    .any(|a| a.value().as_element().is_some_and(|e| e.name() == "a"))
            })
            .map(|(_, t)| t.trim().chars().count())
            .sum(),
        "div" | "td" | "section" | "article" | "span" | "font" => {
            el.children().filter_map(|n| n.value().as_text()).map(|t| t.trim().chars().count()).sum()
        }
        _ => 0,
    }
}

fn text_chars(el: ElementRef<'_>) -> usize {
    el.text().map(|t| t.trim().chars().count()).sum()
}

/// The first short date after the article's title (the element whose text is the
/// title) and before the block holding the content ends, outside the content when
/// one is there;
/// else the first before the content outside the page's furniture, else one in
/// the content.
fn date<'a>(doc: &'a Html, title: &str, content: ElementRef<'a>, tz: FixedOffset) -> Option<ElementRef<'a>> {
    let want = crate::util::slug::slug(title);
    let mut after_title = want.is_empty();
    let mut first_anywhere = None;
    let mut inside_content = None;
    let mut seen_content = false;
    // The block the article's text sits in, which may close with its date
    // ("Cập nhật: 05/08/2022" under the text).
    let frame = content.parent().and_then(ElementRef::wrap).unwrap_or(content);
    for el in doc.root_element().descendent_elements() {
        // Beyond come side boxes and other news, whose dates are theirs.
        if seen_content && !contains(frame, el) {
            break;
        }
        seen_content |= el.id() == content.id();
        if !after_title
            && el.value().name() != "title"
            && short_text(el, 400).is_some_and(|t| crate::util::slug::slug(&t) == want)
        {
            after_title = true;
            continue;
        }
        let Some(text) = short_text(el, 80) else { continue };
        if !text.chars().any(|c| c.is_ascii_digit()) || !reads_as_date(&text, tz) || css::in_furniture(el) {
            continue;
        }
        if el.child_elements().any(|c| short_text(c, 80).is_some_and(|t| reads_as_date(&t, tz))) {
            continue;
        }
        if contains(content, el) {
            inside_content.get_or_insert(el);
            continue;
        }
        if after_title {
            return Some(el);
        }
        first_anywhere.get_or_insert(el);
    }
    first_anywhere.or(inside_content)
}

/// Class, id, itemprop or rel words of elements that hold the writer.
const AUTHOR_WORDS: &[&str] = &["author", "tacgia", "byline", "writer", "butdanh", "nguoiviet", "createdby"];

/// The last short paragraph shaped `Tên (Cơ quan)` in or after the content, else
/// an element with an author-like name and a short text.
fn byline<'a>(doc: &'a Html, content: ElementRef<'a>) -> Option<ElementRef<'a>> {
    let mut seen_content = false;
    let mut last = None;
    for el in doc.root_element().descendent_elements() {
        if el.id() == content.id() {
            seen_content = true;
        }
        if !seen_content || !matches!(el.value().name(), "p" | "div") || css::in_furniture(el) {
            continue;
        }
        let Some(text) = short_text(el, 100) else { continue };
        if crate::normalize::byline::trailing(&text).is_some_and(|b| b.name.is_some()) {
            last = Some(el);
        }
    }
    if last.is_some() {
        return last;
    }
    let named = |el: ElementRef<'_>| {
        let v = el.value();
        v.classes().chain(v.id()).chain(v.attr("itemprop")).chain(v.attr("rel")).any(|n| {
            let squashed: String = n.to_ascii_lowercase().chars().filter(char::is_ascii_alphanumeric).collect();
            AUTHOR_WORDS.iter().any(|w| squashed.contains(w))
        })
    };
    doc.root_element().descendent_elements().find(|el| {
        named(*el)
            && !css::in_furniture(*el)
            && short_text(*el, 80).is_some_and(|t| !t.is_empty() && !t.contains("://"))
    })
}

/// A selector whose first match on the page is `target`: its own name, or a
/// named ancestor's (a container the content sits alone in), or the two
/// together. `climb` lets the content be named by an ancestor holding little
/// else.
fn page_selector<'a>(doc: &'a Html, target: ElementRef<'a>, climb: bool) -> Option<String> {
    let is_target = |el: ElementRef<'_>| el.id() == target.id();
    let first_is = |css_text: &str, want: &dyn Fn(ElementRef<'_>) -> bool| {
        css::compile(css_text).and_then(|s| doc.select(&s).next()).is_some_and(want)
    };
    let named = |c: &String| c.contains(['.', '#']) || matches!(c.as_str(), "time" | "article" | "main" | "h1");
    let plain = |c: &String| !c.contains(":nth-of-type");
    let own: Vec<String> = css::relative_candidates(target, doc.root_element())
        .into_iter()
        .filter(|c| plain(c) && (named(c) || c.contains(' ')))
        .collect();
    if let Some(c) = own.iter().find(|c| first_is(c, &is_target)) {
        return Some(c.clone());
    }
    if climb {
        let chars = text_chars(target);
        for a in target.ancestors().filter_map(ElementRef::wrap).take(3) {
            if text_chars(a) > chars + chars / 4 + 200 || a.descendent_elements().any(|d| css::is_furniture(d)) {
                break;
            }
            let is_a = |el: ElementRef<'_>| el.id() == a.id();
            if let Some(c) = css::descriptions(a).into_iter().filter(named).find(|c| first_is(c, &is_a)) {
                return Some(c);
            }
        }
    }
    // Nothing names it: its place in the template.
    css::path(doc, target).filter(|c| first_is(c, &is_target))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).unwrap()
    }

    const TITLE: &str = "Hội nghị triển khai nhiệm vụ công tác dân vận 6 tháng cuối năm 2022";

    fn page(under_text: &str, side: &str) -> Html {
        let text = "<p>Dự hội nghị có lãnh đạo Ủy ban MTTQ Việt Nam tỉnh, các tổ chức chính trị - xã hội tỉnh.</p>\
                    <p>Trong 6 tháng đầu năm 2022, hệ thống dân vận các cấp đã tham mưu cấp ủy ban hành nhiều văn bản.</p>\
                    <p>Phát biểu chỉ đạo hội nghị, đồng chí Phó Bí thư đề nghị tiếp tục nắm chắc tình hình nhân dân.</p>";
        Html::parse_document(&format!(
            "<div id=\"center\"><h2 class=\"tieude_tin\">{TITLE}</h2><div class=\"noidung\">{text}</div>{under_text}</div>\
             <div id=\"right\"><div class=\"box\"><b>Thông báo</b><ul><li><a href=\"/tb/1\">Thông báo tuyển dụng viên chức</a> \
             <span class=\"ngay\">{side}</span></li></ul></div></div>"
        ))
    }

    #[test]
    fn a_date_under_the_text_is_the_article_s_and_a_side_box_s_is_not() {
        let found = find(&page("<p class=\"capnhat\">Cập nhật: 05/08/2022 10:15</p>", "(01/08/2022)"), TITLE, tz());
        assert_eq!(found.unwrap().selectors.date.as_deref(), Some("p.capnhat"));
        let found = find(&page("", "(01/08/2022)"), TITLE, tz()).unwrap();
        assert_eq!(found.selectors.date, None, "the notice's date is no date of the article");
    }
}
