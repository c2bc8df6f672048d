//! The reading view: HTML pages for people, rendered like the feeds — once per
//! change, to bytes the server only sends — from the same stories and the same
//! sanitized HTML.
//!
//! Pages are plain HTML5 with one small stylesheet (`/style.css`): no script, no
//! external font or CDN, readable on a phone and a desktop and on paper. Every word
//! loa itself writes is in the configured language (Vietnamese by default), dates
//! in the province's time zone (`05/08/2022 09:30`). Source text is escaped and
//! source HTML is the sanitized HTML the store keeps, never anything else. Page
//! paths end in `/` so that `loa export` can write each as `…/index.html` and any
//! static web server serves the same links. Rendering is pure: no clock, no store.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::Settings;
use crate::config::Lang;
use crate::model::{FeedKind, Item, Member, Story, StoryId};
use crate::store::{Cursor, Scope};

/// The reading view's stylesheet, served at [`STYLE_PATH`].
pub const STYLE: &str = include_str!("page.css");
/// Where the stylesheet is served.
pub const STYLE_PATH: &str = "/style.css";
/// The page listing every agency with its feeds.
pub const AGENCIES_PATH: &str = "/agency/";
/// The search page (`?q=`); served by loa only, never exported.
pub const SEARCH_PATH: &str = "/search";

/// The path of a stream page: a scope's first page, or an older one.
pub fn stream_path(scope: &Scope, before: Option<&Cursor>) -> String {
    match (scope, before) {
        (Scope::All, None) => "/".to_string(),
        (Scope::All, Some(c)) => format!("/page/{}/", c.to_hex()),
        (Scope::Agency(slug), None) => format!("/agency/{slug}/"),
        (Scope::Agency(slug), Some(c)) => format!("/agency/{slug}/page/{}/", c.to_hex()),
    }
}

/// The path of a story's page.
pub fn story_path(id: &StoryId) -> String {
    format!("/story/{id}/")
}

/// Every word loa writes on a page, in one language.
struct Words {
    skip: &'static str,
    nav_label: &'static str,
    latest: &'static str,
    agencies: &'static str,
    search_label: &'static str,
    search_button: &'static str,
    search_hint: &'static str,
    subscribe: &'static str,
    subscribe_all: &'static str,
    updated: &'static str,
    carried_by: &'static str,
    next_page: &'static str,
    first_page: &'static str,
    older: &'static str,
    read_original: &'static str,
    copies: &'static str,
    no_stories: &'static str,
    results_for: &'static str,
    no_results: &'static str,
    search_title: &'static str,
    agencies_title: &'static str,
    agencies_intro: &'static str,
    all_news: &'static str,
    not_found: &'static str,
    not_found_text: &'static str,
    footer: &'static str,
    sources_opml: &'static str,
    feed_comment: &'static str,
    months: Option<[&'static str; 12]>,
}

const VI: Words = Words {
    skip: "Bỏ qua, đến nội dung chính",
    nav_label: "Điều hướng chính",
    latest: "Tin mới",
    agencies: "Các cơ quan",
    search_label: "Tìm tin",
    search_button: "Tìm",
    search_hint: "Tìm trong tiêu đề và phần đầu của tin, không phân biệt dấu: „dan van“ tìm thấy „dân vận“.",
    subscribe: "Đăng ký nhận tin",
    subscribe_all: "Đăng ký nhận mọi tin",
    updated: "Cập nhật",
    carried_by: "Đăng trên",
    next_page: "Trang sau",
    first_page: "Trang đầu",
    older: "Tin cũ hơn",
    read_original: "Đọc bài gốc",
    copies: "Các trang đã đăng tin này",
    no_stories: "Chưa có tin nào.",
    results_for: "Kết quả tìm kiếm",
    no_results: "Không tìm thấy tin nào.",
    search_title: "Tìm kiếm",
    agencies_title: "Các cơ quan và nguồn tin",
    agencies_intro: "Mỗi cơ quan có một trang tin và nguồn tin riêng để đăng ký bằng ứng dụng đọc tin.",
    all_news: "Tất cả tin",
    not_found: "Không tìm thấy trang",
    not_found_text: "Trang này không có hoặc tin đã bị xóa.",
    footer: "Tin được tổng hợp tự động từ cổng thông tin của các cơ quan; bản quyền thuộc về các trang gốc.",
    sources_opml: "Danh sách nguồn",
    feed_comment: "Đây là nguồn tin (feed) dành cho ứng dụng đọc tin. Đọc tin trên trình duyệt:",
    months: None,
};

const EN: Words = Words {
    skip: "Skip to the main content",
    nav_label: "Main navigation",
    latest: "Latest news",
    agencies: "Agencies",
    search_label: "Search news",
    search_button: "Search",
    search_hint: "Searches titles and the start of each story; tones are ignored: “dan van” finds “dân vận”.",
    subscribe: "Subscribe",
    subscribe_all: "Subscribe to all news",
    updated: "Updated",
    carried_by: "Published on",
    next_page: "Next page",
    first_page: "First page",
    older: "Older news",
    read_original: "Read the original",
    copies: "Sites that carried this story",
    no_stories: "No news yet.",
    results_for: "Search results",
    no_results: "Nothing found.",
    search_title: "Search",
    agencies_title: "Agencies and feeds",
    agencies_intro: "Each agency has its own page and its own feeds to subscribe to in a feed reader.",
    all_news: "All news",
    not_found: "Page not found",
    not_found_text: "This page does not exist, or the story was removed.",
    footer: "Gathered automatically from the agencies' portals; all rights belong to the original sites.",
    sources_opml: "List of sources",
    feed_comment: "This is a news feed for feed readers. To read the news in a browser:",
    months: Some(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]),
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// The comment at the top of an XML feed for a browser that applies no XSL: where
/// the same news reads as a page. XML comments cannot hold `--` (an IDN host's
/// `xn--`), so the second dash is percent-encoded, as browsers read it back.
pub fn feed_comment(s: &Settings, scope: &Scope) -> String {
    let url = s.html_url(scope).replace("--", "-%2D");
    format!("<!-- {} {url} -->", words(s.lang).feed_comment)
}

/// One stream page: a scope's stories, newest first.
pub struct Stream<'a> {
    pub scope: &'a Scope,
    /// The stream's name: the site's title, or the agency's name.
    pub name: &'a str,
    pub stories: &'a [&'a Story],
    /// This page's cursor; `None` for the first page.
    pub this: Option<&'a Cursor>,
    pub next: Option<&'a Cursor>,
}

pub fn stream(s: &Settings, page: &Stream<'_>) -> Vec<u8> {
    let w = words(s.lang);
    let mut main = String::with_capacity(1024 + page.stories.len() * 1024);
    let heading = match page.this {
        None => page.name.to_string(),
        Some(_) => format!("{} — {}", page.name, w.older),
    };
    let _ = writeln!(main, "<h1>{}</h1>", esc(&heading));
    if let Some(updated) = page.stories.iter().map(|st| st.updated).max().filter(|_| page.this.is_none()) {
        let _ = writeln!(main, "<p class=\"updated\">{}: {}</p>", w.updated, time(s, updated));
    }
    subscribe(&mut main, s, page.scope, page.name, w.subscribe);
    story_list(&mut main, s, page.stories, w.no_stories);
    if page.this.is_some() || page.next.is_some() {
        main.push_str("<nav class=\"pager\">");
        if page.this.is_some() {
            let _ = write!(main, "<a href=\"{}\">{}</a>", url(s, &stream_path(page.scope, None)), w.first_page);
        }
        if let Some(next) = page.next {
            let _ = write!(
                main,
                "<a rel=\"next\" href=\"{}\">{} →</a>",
                url(s, &stream_path(page.scope, Some(next))),
                w.next_page
            );
        }
        main.push_str("</nav>\n");
    }
    let title = match page.scope {
        Scope::All => heading,
        Scope::Agency(_) => format!("{heading} — {}", s.title),
    };
    let current = if page.scope == &Scope::All && page.this.is_none() { Nav::Latest } else { Nav::None };
    layout(s, &title, Some((page.scope, page.name)), current, "", &main)
}

/// A story's page: the primary's article and every copy with its link, site and
/// date. `items` are the members' items, in member order (`None` for one retention
/// or a race removed); `names` gives each credited agency's display name.
pub fn story(s: &Settings, story: &Story, items: &[Option<Item>], names: &dyn Fn(&str) -> String) -> Vec<u8> {
    let w = words(s.lang);
    let mut main = String::with_capacity(8192);
    let lang = content_lang(s);
    let _ =
        write!(main, "<article class=\"full\"{lang}>\n<header>\n<h1>{}</h1>\n<p class=\"meta\">", esc(&story.title));
    main.push_str(&time(s, story.published));
    for (i, slug) in story.agencies().into_iter().enumerate() {
        main.push_str(if i == 0 { " · " } else { ", " });
        let _ = write!(
            main,
            "<a href=\"{}\">{}</a>",
            url(s, &stream_path(&Scope::Agency(slug.to_string()), None)),
            esc(&names(slug))
        );
    }
    main.push_str("</p>\n</header>\n");
    let primary = items.first().and_then(Option::as_ref);
    let body = primary.and_then(|i| i.content.as_deref().or(i.summary.as_deref()));
    match body {
        Some(html) => {
            main.push_str("<div class=\"content\">\n");
            main.push_str(&strip_forbidden(html));
            main.push_str("\n</div>\n");
        }
        None if !story.excerpt.is_empty() => {
            let _ = writeln!(main, "<p>{}</p>", esc(&story.excerpt));
        }
        None => {}
    }
    if let Some(link) = story.link.as_deref().and_then(web_link) {
        let _ = writeln!(main, "<p class=\"original\"><a href=\"{}\">{} ↗</a></p>", esc(link), w.read_original);
    }
    main.push_str("</article>\n");
    let _ = write!(
        main,
        "<section class=\"copies\" aria-labelledby=\"copies\">\n<h2 id=\"copies\">{} ({})</h2>\n<ul>\n",
        w.copies,
        story.members.len()
    );
    for (i, m) in story.members.iter().enumerate() {
        let item = items.get(i).and_then(Option::as_ref);
        main.push_str("<li>");
        let site = esc(m.source_title.as_deref().unwrap_or(&m.source));
        match m.url.as_deref().and_then(web_link) {
            Some(link) => {
                let _ = write!(
                    main,
                    "<a href=\"{}\"{lang}>{site}</a> <span class=\"host\">{}</span>",
                    esc(link),
                    esc(&site_of(m))
                );
            }
            None => {
                let _ = write!(main, "<span{lang}>{site}</span> <span class=\"host\">{}</span>", esc(&site_of(m)));
            }
        }
        if let Some(item) = item {
            let _ = write!(main, " · {}", time(s, item.date()));
        }
        main.push_str("</li>\n");
    }
    main.push_str("</ul>\n</section>\n");
    layout(s, &format!("{} — {}", story.title, s.title), None, Nav::None, "", &main)
}

/// The search page: the form, and the stories found for `q` (if any was asked).
pub fn search(s: &Settings, q: &str, stories: &[&Story]) -> Vec<u8> {
    let w = words(s.lang);
    let mut main = String::with_capacity(1024 + stories.len() * 1024);
    let title = if q.is_empty() { w.search_title.to_string() } else { format!("{}: „{q}“", w.results_for) };
    let _ = writeln!(main, "<h1>{}</h1>\n<p class=\"hint\">{}</p>", esc(&title), w.search_hint);
    if !q.is_empty() {
        story_list(&mut main, s, stories, w.no_results);
    }
    layout(s, &format!("{title} — {}", s.title), None, Nav::None, q, &main)
}

/// One published stream on the agencies page.
pub struct Listed<'a> {
    pub scope: &'a Scope,
    pub name: &'a str,
    pub updated: Option<DateTime<Utc>>,
}

/// Every published stream with its page and feeds.
pub fn agencies(s: &Settings, streams: &[Listed<'_>]) -> Vec<u8> {
    let w = words(s.lang);
    let mut main = String::with_capacity(1024 + streams.len() * 512);
    let _ = writeln!(main, "<h1>{}</h1>\n<p>{}</p>\n<ul class=\"streams\">", w.agencies_title, w.agencies_intro);
    for l in streams {
        let name = if l.scope == &Scope::All { w.all_news } else { l.name };
        let _ = writeln!(main, "<li>\n<h2><a href=\"{}\">{}</a></h2>", url(s, &stream_path(l.scope, None)), esc(name));
        if let Some(u) = l.updated {
            let _ = writeln!(main, "<p class=\"meta\">{}: {}</p>", w.updated, time(s, u));
        }
        subscribe(&mut main, s, l.scope, l.name, w.subscribe);
        main.push_str("</li>\n");
    }
    let _ = write!(
        main,
        "</ul>\n<p><a href=\"{}\">OPML</a> · <a href=\"{}\">{} (OPML)</a></p>\n",
        url(s, "/feeds.opml"),
        url(s, "/sources.opml"),
        w.sources_opml
    );
    layout(s, &format!("{} — {}", w.agencies_title, s.title), None, Nav::Agencies, "", &main)
}

/// The page of a path that names nothing.
pub fn not_found(s: &Settings) -> Vec<u8> {
    let w = words(s.lang);
    let main =
        format!("<h1>{}</h1>\n<p>{} <a href=\"{}\">{}</a></p>\n", w.not_found, w.not_found_text, url(s, "/"), w.latest);
    layout(s, &format!("{} — {}", w.not_found, s.title), None, Nav::None, "", &main)
}

/// Which entry of the main navigation is the current page.
#[derive(PartialEq, Eq)]
enum Nav {
    Latest,
    Agencies,
    None,
}

/// The whole document around a page's main content: head with autodiscovery of
/// `feeds` (a scope and its name) and of the merged feed, the site header with
/// navigation and search, and the footer with the merged feed's subscribe links.
fn layout(s: &Settings, title: &str, feeds: Option<(&Scope, &str)>, current: Nav, q: &str, main: &str) -> Vec<u8> {
    let w = words(s.lang);
    let mut out = String::with_capacity(main.len() + 4096);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n\
         <link rel=\"stylesheet\" href=\"{}\">\n",
        s.lang.tag(),
        esc(title),
        url(s, STYLE_PATH)
    );
    let mut discover = vec![(&Scope::All, s.title.as_str())];
    if let Some((scope, name)) = feeds.filter(|(scope, _)| **scope != Scope::All) {
        discover.insert(0, (scope, name));
    }
    for (scope, name) in discover {
        for kind in FeedKind::ALL {
            let _ = writeln!(
                out,
                "<link rel=\"alternate\" type=\"{}\" title=\"{} ({})\" href=\"{}\">",
                media_type(kind),
                esc(name),
                label(kind),
                esc(&s.url(scope, kind))
            );
        }
    }
    let _ = write!(
        out,
        "<link rel=\"alternate\" type=\"text/x-opml\" title=\"OPML\" href=\"{}\">\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#main\">{}</a>\n<header class=\"site\">\n<div class=\"wrap\">\n\
         <p class=\"brand\"><a href=\"{}\">{}</a></p>\n<nav aria-label=\"{}\">\n<ul>\n",
        url(s, "/feeds.opml"),
        w.skip,
        url(s, "/"),
        esc(&s.title),
        w.nav_label
    );
    for (nav, path, text) in [(Nav::Latest, "/", w.latest), (Nav::Agencies, AGENCIES_PATH, w.agencies)] {
        let aria = if nav == current { " aria-current=\"page\"" } else { "" };
        let _ = writeln!(out, "<li><a href=\"{}\"{aria}>{text}</a></li>", url(s, path));
    }
    let _ = write!(
        out,
        "</ul>\n</nav>\n<form class=\"search\" role=\"search\" action=\"{}\" method=\"get\">\n\
         <label for=\"q\">{}</label>\n<input type=\"search\" id=\"q\" name=\"q\" value=\"{}\" maxlength=\"200\">\n\
         <button type=\"submit\">{}</button>\n</form>\n</div>\n</header>\n<main id=\"main\" class=\"wrap\">\n{main}</main>\n\
         <footer class=\"site\">\n<div class=\"wrap\">\n",
        url(s, SEARCH_PATH),
        w.search_label,
        esc(q),
        w.search_button
    );
    subscribe(&mut out, s, &Scope::All, &s.title, w.subscribe_all);
    let _ = write!(
        out,
        "<p>{} <a href=\"{}\">{}</a>.</p>\n</div>\n</footer>\n</body>\n</html>\n",
        w.footer,
        url(s, "/sources.opml"),
        w.sources_opml
    );
    out.into_bytes()
}

/// The list of stories of a stream or a search: each with its title (linking to
/// its page), date, agency, excerpt, and every site that carried it.
fn story_list(out: &mut String, s: &Settings, stories: &[&Story], empty: &str) {
    let w = words(s.lang);
    if stories.is_empty() {
        let _ = writeln!(out, "<p class=\"empty\">{empty}</p>");
        return;
    }
    let lang = content_lang(s);
    out.push_str("<ol class=\"stories\">\n");
    for st in stories {
        let _ = write!(
            out,
            "<li>\n<article class=\"story\"{lang}>\n<h2><a href=\"{}\">{}</a></h2>\n<p class=\"meta\">{} · <a href=\"{}\">{}</a></p>\n",
            url(s, &story_path(&st.id)),
            esc(&st.title),
            time(s, st.published),
            url(s, &stream_path(&Scope::Agency(st.agency.clone()), None)),
            esc(&st.agency_name)
        );
        if !st.excerpt.is_empty() {
            let _ = writeln!(out, "<p class=\"excerpt\">{}</p>", esc(&st.excerpt));
        }
        let _ = write!(out, "<p class=\"sites\">{}: ", w.carried_by);
        for (i, m) in st.members.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            match m.url.as_deref().and_then(web_link) {
                Some(link) => {
                    let _ = write!(out, "<a href=\"{}\">{}</a>", esc(link), esc(&site_of(m)));
                }
                None => out.push_str(&esc(&site_of(m))),
            }
        }
        out.push_str("</p>\n</article>\n</li>\n");
    }
    out.push_str("</ol>\n");
}

/// The subscribe buttons of a scope: its three feeds, and the OPML of all feeds.
fn subscribe(out: &mut String, s: &Settings, scope: &Scope, name: &str, lead: &str) {
    let _ = write!(out, "<p class=\"subscribe\"><span>{lead}:</span>");
    for kind in FeedKind::ALL {
        let _ = write!(
            out,
            " <a class=\"button\" href=\"{}\" type=\"{}\" title=\"{} ({})\">{}</a>",
            esc(&s.url(scope, kind)),
            media_type(kind),
            esc(name),
            label(kind),
            label(kind)
        );
    }
    let _ = writeln!(out, " <a class=\"button\" href=\"{}\" type=\"text/x-opml\">OPML</a></p>", url(s, "/feeds.opml"));
}

/// The feed's media type, without the charset its responses name.
fn media_type(kind: FeedKind) -> &'static str {
    let t = kind.content_type();
    t.split(';').next().unwrap_or(t)
}

fn label(kind: FeedKind) -> &'static str {
    match kind {
        FeedKind::Atom => "Atom",
        FeedKind::Rss => "RSS",
        FeedKind::Json => "JSON",
    }
}

/// ` lang="vi"` on news text when the interface is in another language.
fn content_lang(s: &Settings) -> &'static str {
    match s.lang {
        Lang::Vi => "",
        Lang::En => " lang=\"vi\"",
    }
}

/// `<time>` with the instant in UTC and its local reading for people.
fn time(s: &Settings, d: DateTime<Utc>) -> String {
    format!("<time datetime=\"{}\">{}</time>", super::rfc3339(Some(d)), local_date(s, d))
}

/// A date as people of the province read it: `05/08/2022 09:30` in its time zone
/// (`05 Aug 2022 09:30` in English).
pub fn local_date(s: &Settings, d: DateTime<Utc>) -> String {
    let local = d.with_timezone(&s.timezone);
    match words(s.lang).months {
        None => local.format("%d/%m/%Y %H:%M").to_string(),
        Some(months) => {
            use chrono::Datelike;
            let month = months[local.month0() as usize];
            format!("{} {month} {}", local.format("%d"), local.format("%Y %H:%M"))
        }
    }
}

/// A path on this site as an absolute URL (the feeds' links are absolute too).
fn url(s: &Settings, path: &str) -> String {
    esc(&format!("{}{path}", s.base_url))
}

/// A member's site as people know it: the host of its link (or of its feed),
/// without `www.`.
fn site_of(m: &Member) -> String {
    let host = |u: &str| url::Url::parse(u).ok().and_then(|u| u.host_str().map(str::to_string));
    let host = m.url.as_deref().and_then(host).or_else(|| host(&m.source_url));
    match host {
        Some(h) => h.strip_prefix("www.").map(str::to_string).unwrap_or(h),
        None => m.source.clone(),
    }
}

/// A link people may follow: http(s) only (a stored link is canonical, but a
/// page never carries another scheme).
fn web_link(link: &str) -> Option<&str> {
    let lower = link.get(..8).unwrap_or(link).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then_some(link)
}

/// Text for a page: the one escaper, after the characters HTML calls parse errors
/// (C1 controls, noncharacters) that XML would let through.
fn esc(text: &str) -> String {
    crate::util::xml::esc(&strip_forbidden(text))
}

/// Sanitized HTML without the characters HTML calls parse errors.
fn strip_forbidden(html: &str) -> std::borrow::Cow<'_, str> {
    if html.chars().any(forbidden) {
        html.chars().filter(|c| !forbidden(*c)).collect::<String>().into()
    } else {
        html.into()
    }
}

fn forbidden(c: char) -> bool {
    let n = c as u32;
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(lang: Lang) -> Settings {
        let text = format!("[publish]\ntitle = \"Tin tức tỉnh Bến Tre\"\nlang = \"{}\"\n", lang.tag());
        Settings::from_config(&crate::config::Config::parse(&text, "t.toml").unwrap())
    }

    #[test]
    fn dates_read_in_the_province_zone() {
        let d: DateTime<Utc> = "2022-08-05T02:30:00Z".parse().unwrap();
        assert_eq!(local_date(&settings(Lang::Vi), d), "05/08/2022 09:30");
        assert_eq!(local_date(&settings(Lang::En), d), "05 Aug 2022 09:30");
        assert_eq!(time(&settings(Lang::Vi), d), "<time datetime=\"2022-08-05T02:30:00Z\">05/08/2022 09:30</time>");
    }

    #[test]
    fn text_is_escaped_and_characters_html_refuses_go() {
        assert_eq!(esc("a<b>&\"c'\u{1}\u{85}\u{FFFE}đ"), "a&lt;b&gt;&amp;&quot;c&apos;đ");
        assert_eq!(strip_forbidden("<p>a\u{7}b</p>"), "<p>ab</p>");
    }

    #[test]
    fn feed_comment_never_holds_a_double_dash() {
        let mut s = settings(Lang::Vi);
        s.base_url = "https://xn--bn-tre-8wa.vn".into();
        let c = feed_comment(&s, &Scope::Agency("so-y-te".into()));
        assert_eq!(c.matches("--").count(), 2, "{c}");
        assert!(c.contains("https://xn-%2Dbn-tre-8wa.vn/agency/so-y-te/"), "{c}");
    }

    #[test]
    fn tag_soup_once_sanitized_makes_no_parse_error_on_a_page() {
        let base = url::Url::parse("https://bentre.dcs.vn/tin/").unwrap();
        let soup = [
            "<p>a<div>b</div>c</p>",
            "<table><tr><td>x<td>y</table>trailing",
            "<ul><li>a<li>b",
            "<b><i>x</b></i>",
            "<a href=x><a href=y>z</a></a>",
            "<p>ảnh <figure><img src=a.jpg></figure><figcaption>Chú thích</figcaption>",
            "<h1><p>x</h1>",
            "<form><input></form><select><option>1</select>",
            "<font color=red>x</font><br></br><center>y</center>",
            "<svg><circle/></svg><math><mi>x</mi></math>",
            "<noscript><p>x</p></noscript><p>\u{1}\u{85}z",
            "<pre>\n\ncode</pre><textarea>t</textarea><p>&amp;&nbsp;&#0;",
        ];
        for html in soup {
            let content = crate::normalize::html::sanitize(html, &base);
            let mut item = Item::sample("s", "g", "2022-08-05T02:30:00Z");
            item.content = Some(content.clone());
            let st = Story {
                id: StoryId("0123456789abcdef".into()),
                title: "Tiêu đề <b>".into(),
                link: Some("https://bentre.dcs.vn/tin/1.html".into()),
                excerpt: String::new(),
                published: item.first_seen,
                updated: item.first_seen,
                authors: vec![],
                categories: vec![],
                agency: "tinh-uy".into(),
                agency_name: "Tỉnh ủy".into(),
                members: vec![Member {
                    source: "s".into(),
                    item_key: item.store_key(),
                    url: Some("https://bentre.dcs.vn/tin/1.html".into()),
                    id: None,
                    agency: "tinh-uy".into(),
                    source_url: "https://bentre.dcs.vn/rss".into(),
                    source_title: Some("Tin & \"sự kiện\"".into()),
                }],
            };
            let page = story(&settings(Lang::Vi), &st, &[Some(item)], &|slug: &str| slug.to_string());
            let page = String::from_utf8(page).unwrap();
            let parsed = scraper::Html::parse_document(&page);
            assert!(parsed.errors.is_empty(), "{html} → {content}: {:?}", parsed.errors);
        }
    }

    #[test]
    fn only_web_links_are_followed() {
        assert_eq!(web_link("https://a.vn/x"), Some("https://a.vn/x"));
        assert_eq!(web_link("HTTP://a.vn"), Some("HTTP://a.vn"));
        assert_eq!(web_link("javascript:alert(1)"), None);
        assert_eq!(web_link("data:text/html,x"), None);
    }
}
