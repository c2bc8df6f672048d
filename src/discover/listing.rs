//! The news listing of a page: the block of sibling elements that repeats with a
//! link to a page of the same site, a title-like text and, ideally, a date, and
//! the selectors that read it.
//!
//! Every group of same-tag siblings is a candidate; menus, footers, pagers and
//! "tin khác" boxes are left out, and so is a block whose entries each hold a
//! repeated block (a home page's sections). The candidates are scored by
//! repetition, title length, dates, summaries and links under the page's own
//! section (a list laid out in columns counts as one); a winner must stand out, or the
//! page is said to mix several blocks. Selectors are then tried on the page with
//! the reading code of `kind = "html"` sources itself, so what is printed is what
//! a poll reads. Nothing here fetches.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, Utc};
use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::css::{self, contains, short_text};
use crate::config::HtmlSelectors;
use crate::parse::html::{element_text, link_of, listing_of, title_text, LINK};

/// Fewer entries than this is not a listing.
pub const MIN_ENTRIES: usize = 3;
/// A title has at least this many words ("Xem tiếp", "Giới thiệu" are not titles).
const MIN_TITLE_WORDS: usize = 4;
/// An entry links to at most this many pages of the site (its article, a
/// category, an author); more is a box of links.
const MAX_ENTRY_LINKS: usize = 6;
/// An entry is a few dozen nodes; a subtree far larger is a page's section, and
/// bounds the work spent on each candidate.
const MAX_ENTRY_NODES: usize = 500;
/// The runner-up must score under this share of the winner…
const RUNNER_UP_SHARE: f64 = 0.6;
/// …and the winner at least this share of all candidates together.
const WINNER_SHARE: f64 = 0.45;

/// A listing found, with the selectors that read it.
#[derive(Debug, Clone)]
pub struct Found {
    pub selectors: HtmlSelectors,
    /// The entries' absolute links, in page order.
    pub links: Vec<Url>,
    pub titles: Vec<String>,
    /// The date the selectors read in each entry, as `links`.
    pub dates: Vec<Option<DateTime<Utc>>>,
    /// Entries whose date the selectors read.
    pub dated: usize,
    /// What was left out or could not be had, for the operator.
    pub notes: Vec<String>,
}

/// One entry of a candidate block.
#[derive(Clone)]
struct Entry<'a> {
    el: ElementRef<'a>,
    /// The link to the entry's page.
    anchor: ElementRef<'a>,
    href: Url,
    /// The element the title is read from: the link, or a heading beside a
    /// "Xem chi tiết" link.
    title_el: ElementRef<'a>,
    title: String,
    date: Option<ElementRef<'a>>,
    summary: Option<ElementRef<'a>>,
}

struct Group<'a> {
    parent: ElementRef<'a>,
    tag: String,
    members: usize,
    entries: Vec<Entry<'a>>,
    score: f64,
}

impl Group<'_> {
    fn label(&self) -> String {
        let parent = css::descriptions(self.parent).into_iter().next().unwrap_or_default();
        format!("{parent} > {}", self.tag)
    }

    fn sample(&self) -> String {
        let t = &self.entries[0].title;
        let short: String = t.chars().take(60).collect();
        if short.len() < t.len() {
            format!("{short}…")
        } else {
            short
        }
    }
}

/// Finds the listing of a page read at `page`, or says why there is none.
pub fn find(doc: &Html, page: &Url, tz: FixedOffset) -> Result<Found, Vec<String>> {
    // Links resolve as a poll resolves them.
    let base = crate::normalize::link::document_base(crate::parse::html::base_of(doc).as_deref(), page);
    let page = &base;
    let mut groups = Vec::new();
    let mut furniture: Vec<String> = Vec::new();
    for parent in doc.root_element().descendent_elements() {
        let mut by_tag: HashMap<&str, Vec<ElementRef<'_>>> = HashMap::new();
        for child in parent.child_elements() {
            by_tag.entry(child.value().name()).or_default().push(child);
        }
        for (tag, members) in by_tag {
            if members.len() < MIN_ENTRIES || matches!(tag, "script" | "style" | "option" | "br" | "img" | "meta") {
                continue;
            }
            let entries: Vec<Entry<'_>> = members.iter().filter_map(|m| entry(*m, page, tz)).collect();
            if entries.len() < MIN_ENTRIES {
                continue;
            }
            let group = Group { parent, tag: tag.to_string(), members: members.len(), entries, score: 0.0 };
            if css::in_furniture(parent) || group.entries.iter().all(|e| css::is_furniture(e.el)) {
                furniture.push(group.label());
                continue;
            }
            groups.push(group);
        }
    }
    drop_containers(&mut groups);
    join_columns(&mut groups);
    let section = section_of(page);
    for g in &mut groups {
        g.score = score(g, section.as_deref());
    }
    groups.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut why = Vec::new();
    if !furniture.is_empty() {
        furniture.truncate(4);
        why.push(format!("left out as navigation, menus or other-news boxes: {}", furniture.join(", ")));
    }
    let Some(best) = groups.first() else {
        why.insert(
            0,
            format!(
                "nothing repeats like a news listing: no block of {MIN_ENTRIES} or more sibling elements each \
                 holding a link to a page of this site with a title of {MIN_TITLE_WORDS} words or more"
            ),
        );
        return Err(why);
    };
    let total: f64 = groups.iter().map(|g| g.score).sum();
    let runner_up = groups.get(1).map(|g| g.score).unwrap_or(0.0);
    if runner_up >= RUNNER_UP_SHARE * best.score || best.score < WINNER_SHARE * total {
        let blocks: Vec<String> = groups
            .iter()
            .take(4)
            .map(|g| format!("{} ({} entries, \"{}\")", g.label(), g.entries.len(), g.sample()))
            .collect();
        why.insert(
            0,
            format!(
                "several blocks repeat alike and none stands out, as on a home page mixing sections: {}; give the \
                 address of one section's own listing page",
                blocks.join("; ")
            ),
        );
        return Err(why);
    }
    selectors(doc, best, page, tz).map_err(|e| {
        why.insert(0, e);
        why
    })
}

/// An element is an entry when it holds a link to a page of the site with a
/// title-like text, and few other links.
fn entry<'a>(el: ElementRef<'a>, page: &Url, tz: FixedOffset) -> Option<Entry<'a>> {
    if el.descendants().nth(MAX_ENTRY_NODES).is_some() {
        return None;
    }
    let mut hrefs = HashSet::new();
    let mut best: Option<((bool, usize), ElementRef<'a>, Url, String)> = None;
    // A card wrapped whole in its link is its own link.
    for a in std::iter::once(el).filter(|e| LINK.matches(e)).chain(el.select(&LINK)) {
        let Some(url) = site_link(a.attr("href").unwrap_or_default(), page) else { continue };
        hrefs.insert(url.to_string());
        let text = title_text(a);
        // The title's link: in a heading or a title-named element if any (a
        // "Xem tiếp về …" link can be longer), else the longest.
        let rank = (titled(a, el), text.chars().count());
        if best.as_ref().is_none_or(|(r, ..)| rank > *r) {
            best = Some((rank, a, url, text));
        }
    }
    let (_, anchor, href, mut title) = best?;
    let mut title_el = anchor;
    // A link around a whole card holds the title in its heading, beside the
    // date and summary.
    let heading = anchor
        .descendent_elements()
        .filter(|e| e.id() != anchor.id())
        .find(|e| titled(*e, *e) && words(&element_text(*e)) >= MIN_TITLE_WORDS);
    if let Some(h) = heading.filter(|h| element_text(*h) != title) {
        title_el = h;
        title = element_text(h);
    }
    // A title written apart from its link: `<h3>…</h3> … <a>Xem chi tiết »</a>`.
    if words(&title) < MIN_TITLE_WORDS {
        let unlinked = el.descendent_elements().filter(|e| e.id() != el.id()).find(|e| {
            titled(*e, *e)
                && !e.descendent_elements().any(|d| d.value().name() == "a")
                && !e.ancestors().filter_map(ElementRef::wrap).any(|a| a.value().name() == "a")
                && words(&element_text(*e)) >= MIN_TITLE_WORDS
        });
        if let Some(t) = unlinked {
            title_el = t;
            title = element_text(t);
        }
    }
    if hrefs.len() > MAX_ENTRY_LINKS || words(&title) < MIN_TITLE_WORDS || title.chars().count() > 400 {
        return None;
    }
    // What the title is read from is no date nor summary: the link, or the
    // heading inside a link that is the whole entry.
    let link_area = if anchor.id() == el.id() { title_el } else { anchor };
    let date = date_in(el, link_area, title_el, tz);
    let summary = summary_in(el, link_area, date, &title, &href, page);
    Some(Entry { el, anchor, href, title_el, title, date, summary })
}

/// The words of a text, not counting marks such as "»" or "-".
fn words(text: &str) -> usize {
    text.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count()
}

/// Whether a link sits in a heading or a title-named element of its entry.
fn titled(a: ElementRef<'_>, entry: ElementRef<'_>) -> bool {
    std::iter::once(a).chain(a.ancestors().filter_map(ElementRef::wrap).take_while(|e| e.id() != entry.id())).any(|e| {
        matches!(e.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
            || e.value().classes().any(|c| {
                let c = c.to_ascii_lowercase();
                c.contains("title") || c.contains("tieude") || c.contains("tieu-de")
            })
    })
}

/// A link to another page of the same site, absolute.
pub fn site_link(href: &str, page: &Url) -> Option<Url> {
    let mut url = crate::normalize::link::absolute(href, page)?;
    let same_host = url.host_str().zip(page.host_str()).is_some_and(|(a, b)| crate::fetch::same_site(a, b));
    url.set_fragment(None);
    let mut here = page.clone();
    here.set_fragment(None);
    (same_host && url != here).then_some(url)
}

/// The deepest short element of the entry, outside its link and title, whose
/// text is a date loa reads.
fn date_in<'a>(
    el: ElementRef<'a>,
    anchor: ElementRef<'a>,
    title_el: ElementRef<'a>,
    tz: FixedOffset,
) -> Option<ElementRef<'a>> {
    let is_date = |e: ElementRef<'_>| {
        short_text(e, 60).is_some_and(|t| t.chars().any(|c| c.is_ascii_digit()) && reads_as_date(&t, tz))
    };
    let apart = |e: &ElementRef<'_>, x: ElementRef<'_>| !contains(*e, x) && !contains(x, *e);
    let outside = |e: &ElementRef<'_>| apart(e, anchor) && apart(e, title_el);
    let mut found = el.descendent_elements().filter(|e| e.id() != el.id()).filter(outside).find(|e| is_date(*e))?;
    // The innermost element that still holds the whole date.
    while let Some(inner) = found.child_elements().filter(outside).find(|e| is_date(*e)) {
        found = inner;
    }
    Some(found)
}

/// Whether text is a date loa reads, and mostly a date: "(05/08/2022 - 16:30)",
/// "Ngày đăng: 05 Tháng 8 2022", "Gửi lúc Thứ Sáu, 05/08/2022 - 10:15 bởi
/// bientap", not a sentence that mentions one.
pub fn reads_as_date(text: &str, tz: FixedOffset) -> bool {
    text.split_whitespace().count() <= 10 && crate::util::date::parse(text, tz).is_some()
}

/// The entry's longest text apart from its title and date: its summary.
fn summary_in<'a>(
    el: ElementRef<'a>,
    anchor: ElementRef<'a>,
    date: Option<ElementRef<'a>>,
    title: &str,
    href: &Url,
    page: &Url,
) -> Option<ElementRef<'a>> {
    let mut best: Option<(ElementRef<'a>, usize)> = None;
    for e in el.descendent_elements().filter(|e| e.id() != el.id()) {
        if contains(e, anchor) || contains(anchor, e) || date.is_some_and(|d| contains(e, d) || contains(d, e)) {
            continue;
        }
        // A "Xem tiếp" link to the article is no part of its summary.
        let links_the_article = e
            .descendent_elements()
            .any(|a| a.value().name() == "a" && a.attr("href").and_then(|h| site_link(h, page)).as_ref() == Some(href));
        if links_the_article {
            continue;
        }
        let text = element_text(e);
        let chars = text.chars().count();
        if chars < 40 || text.split_whitespace().count() < 8 || text == title || linked_share(e) > 0.5 {
            continue;
        }
        if best.is_none_or(|(_, n)| chars > n) {
            best = Some((e, chars));
        }
    }
    best.map(|(e, _)| e)
}

/// The share of an element's text that is link text.
fn linked_share(el: ElementRef<'_>) -> f64 {
    let all = element_text(el).chars().count().max(1);
    let linked: usize =
        el.descendent_elements().filter(|e| e.value().name() == "a").map(|a| element_text(a).chars().count()).sum();
    linked as f64 / all as f64
}

/// One list laid out in columns (`<div class="col"><ul class="list">…` twice)
/// is one block: groups whose containers are named alike under one parent are
/// joined, in page order, so neither column passes for the listing alone.
fn join_columns<'a>(groups: &mut Vec<Group<'a>>) {
    fn up<'a>(e: ElementRef<'a>) -> Option<ElementRef<'a>> {
        e.parent().and_then(ElementRef::wrap)
    }
    // A box with its own heading is a section of a home page, not a column.
    let headed = |g: &Group<'a>| {
        [Some(g.parent), up(g.parent)].into_iter().flatten().flat_map(|c| c.child_elements()).any(|h| {
            matches!(h.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
                || h.value().classes().any(|c| {
                    let c = c.to_ascii_lowercase();
                    ["title", "heading", "tieude", "tieu-de", "header"].iter().any(|w| c.contains(w))
                })
        })
    };
    // Containers side by side, or each in a column of one row.
    let alike = |a: &Group<'a>, b: &Group<'a>| {
        let (Some(ca), Some(cb)) = (up(a.parent), up(b.parent)) else { return false };
        a.label() == b.label()
            && !headed(a)
            && !headed(b)
            && (ca.id() == cb.id()
                || (css::descriptions(ca)[0] == css::descriptions(cb)[0]
                    && up(ca).zip(up(cb)).is_some_and(|(ra, rb)| ra.id() == rb.id())))
    };
    let mut i = 0;
    while i < groups.len() {
        let mut j = i + 1;
        while j < groups.len() {
            if alike(&groups[i], &groups[j]) {
                let other = groups.remove(j);
                groups[i].members += other.members;
                groups[i].entries.extend(other.entries);
            } else {
                j += 1;
            }
        }
        i += 1;
    }
}

/// A block whose entries each hold another candidate block is a page's sections,
/// not a listing: only the inner blocks stay.
fn drop_containers(groups: &mut Vec<Group<'_>>) {
    let entry_of: HashMap<NodeId, usize> =
        groups.iter().enumerate().flat_map(|(i, g)| g.entries.iter().map(move |e| (e.el.id(), i))).collect();
    let mut containers = HashSet::new();
    for (i, g) in groups.iter().enumerate() {
        for a in g.parent.ancestors() {
            if let Some(&j) = entry_of.get(&a.id()) {
                if j != i {
                    containers.insert(j);
                }
            }
        }
    }
    let mut i = 0;
    groups.retain(|_| {
        i += 1;
        !containers.contains(&(i - 1))
    });
}

/// The folder a listing's own articles usually sit under: `/tin-tuc/` for
/// `/tin-tuc` or `/tin-tuc/`, `/TinTuc/` for `/TinTuc/DanhSach.aspx`; none for
/// the site's root.
fn section_of(page: &Url) -> Option<String> {
    let path = page.path();
    let dir = match path.rsplit_once('/') {
        Some((dir, last)) if last.contains('.') || last.is_empty() => format!("{dir}/"),
        _ => format!("{path}/"),
    };
    (dir != "/").then_some(dir)
}

/// Repetition, title length, dates and summaries, less the siblings that are no
/// entries. A page's own listing shows summaries where side boxes of other news
/// show titles and dates alone, so a summary weighs as much as a date; and its
/// entries link under the page's own section, where a box of notices links to
/// another.
fn score(g: &Group<'_>, section: Option<&str>) -> f64 {
    let n = g.entries.len() as f64;
    let title_words = g.entries.iter().map(|e| words(&e.title)).sum::<usize>() as f64 / n;
    let dated = g.entries.iter().filter(|e| e.date.is_some()).count() as f64 / n;
    let summarised = g.entries.iter().filter(|e| e.summary.is_some()).count() as f64 / n;
    let entries_share = n / g.members as f64;
    let in_section =
        section.map_or(0, |s| g.entries.iter().filter(|e| e.href.path().starts_with(s)).count()) as f64 / n;
    (1.0 + in_section)
        * n
        * (0.3 + 0.7 * (title_words / 10.0).min(1.0))
        * (1.0 + dated)
        * (1.0 + summarised)
        * entries_share.sqrt()
}

/// The selectors that read the winning block, tried on the page with the
/// reading code of html sources; with the block's leading entry when one in
/// other markup comes just before it (a portal's featured first article).
fn selectors(doc: &Html, g: &Group<'_>, page: &Url, tz: FixedOffset) -> Result<Found, String> {
    let leads = leads(g, page, tz);
    if !leads.is_empty() {
        if let Ok(found) = read_with(doc, g, &leads, page, tz) {
            return Ok(found);
        }
    }
    let mut found = read_with(doc, g, &[], page, tz)?;
    if let Some(lead) = leads.first() {
        found.notes.push(format!(
            "the entry before the block, \"{}\", is in other markup that no one set of selectors reads with the rest: \
             it is left out",
            lead.title
        ));
    }
    Ok(found)
}

/// Entries just before the block, outside it, with a date or a summary (a
/// heading's link to the section has neither), in page order.
fn leads<'a>(g: &Group<'a>, page: &Url, tz: FixedOffset) -> Vec<Entry<'a>> {
    let hrefs: HashSet<&Url> = g.entries.iter().map(|e| &e.href).collect();
    let mut out: Vec<Entry<'a>> = g
        .parent
        .prev_siblings()
        .filter_map(ElementRef::wrap)
        .take(2)
        .filter(|x| !css::is_furniture(*x))
        .filter_map(|x| entry(x, page, tz))
        .filter(|e| (e.date.is_some() || e.summary.is_some()) && !hrefs.contains(&e.href))
        .collect();
    out.reverse();
    out
}

/// Selectors for the block's entries and `leads`, the item selector naming the
/// leads apart.
fn read_with(doc: &Html, g: &Group<'_>, leads: &[Entry<'_>], page: &Url, tz: FixedOffset) -> Result<Found, String> {
    let all: Vec<Entry<'_>> = leads.iter().chain(&g.entries).cloned().collect();
    let first = &g.entries[0];
    let (link, link_candidates) = link_selector(g, leads, &all, page)?;
    let title = title_selector(first, &link_candidates, &all)?;
    let mut notes = Vec::new();
    let date = field(
        &all,
        |e| e.date,
        |e, found| found.is_some_and(|f| e.date.is_some_and(|d| element_text(d) == element_text(f))),
    );
    let dated_entries = all.iter().filter(|e| e.date.is_some()).count();
    if date.is_none() {
        notes.push(undated_note(first, dated_entries, tz));
    }
    let summary = field(
        &all,
        |e| e.summary,
        |e, found| found.is_some_and(|f| e.summary.is_some_and(|s| element_text(s) == element_text(f))),
    );
    let expected: HashSet<&Url> = all.iter().map(|e| &e.href).collect();
    let lead_names = lead_names(doc, leads);
    let items = item_candidates(g)
        .into_iter()
        .chain(structural_item(doc, g))
        .flat_map(|c| lead_names.iter().map(move |l| format!("{c}{l}")));
    for item in items {
        let sel = HtmlSelectors {
            item: item.clone(),
            link: link.clone(),
            title: title.clone(),
            date: date.clone(),
            summary: summary.clone(),
            article: None,
        };
        let Ok(listing) = listing_of(doc, &sel) else { continue };
        // Link, title and date of each entry whose link resolves, in page order.
        let read_entries: Vec<(Url, String, Option<DateTime<Utc>>)> = listing
            .entries
            .iter()
            .filter_map(|e| {
                let url = crate::normalize::link::absolute(&e.link, page)?;
                let date = e.date.as_deref().and_then(|d| crate::util::date::parse(d, tz));
                Some((url, e.title.clone(), date))
            })
            .collect();
        let read: HashSet<&Url> = read_entries.iter().map(|(u, ..)| u).collect();
        // Every entry of the block, and nothing from elsewhere but entries of the
        // same shape (a blog's leading article in its own container).
        if !expected.iter().all(|u| read.contains(u))
            || !shaped_alike(doc, &sel, g, &all, page, tz)
            || nested(doc, &sel.item)
        {
            continue;
        }
        let dates: Vec<Option<DateTime<Utc>>> = read_entries.iter().map(|(.., d)| *d).collect();
        let dated = dates.iter().flatten().count();
        let titles = read_entries.iter().map(|(_, t, _)| t.clone()).collect();
        let links = read_entries.into_iter().map(|(u, ..)| u).collect();
        return Ok(Found { selectors: sel, links, titles, dates, dated, notes });
    }
    Err(format!("no item selector reads the block {} alone", g.label()))
}

/// The link selector that reaches every entry's link, leads included, and the
/// candidates it was picked from (the title may be the link itself).
fn link_selector(
    g: &Group<'_>,
    leads: &[Entry<'_>],
    all: &[Entry<'_>],
    page: &Url,
) -> Result<(String, Vec<String>), String> {
    let first = &g.entries[0];
    let mut link_candidates = css::relative_candidates(first.anchor, first.el);
    // A lead in other markup (`h2 a` over the list's `h3 a`): both, as one selector.
    if let Some(lead) = leads.first() {
        // Each side qualified, so that neither takes the other's links (a bare `a`
        // would take the lead's picture link first).
        let qualified = |c: &str| c.contains([' ', '.', '#']) && !c.contains(":nth-of-type");
        let theirs = css::relative_candidates(lead.anchor, lead.el);
        link_candidates.extend(unions(&link_candidates, &theirs, qualified));
    }
    let link = pick(&link_candidates, all, |e, sel| {
        link_of(e.el, sel).and_then(|h| site_link(h, page)).as_ref() == Some(&e.href)
    })
    .ok_or("no selector reaches every entry's link")?;
    Ok((link, link_candidates))
}

/// The title selector that reaches every entry's title.
fn title_selector(first: &Entry<'_>, link_candidates: &[String], all: &[Entry<'_>]) -> Result<String, String> {
    let mut title_candidates = if first.title_el.id() == first.anchor.id() {
        link_candidates.to_vec()
    } else {
        css::relative_candidates(first.title_el, first.el)
    };
    if let Some(heading) = first.anchor.parent().and_then(ElementRef::wrap).filter(|p| element_text(*p) == first.title)
    {
        title_candidates.extend(css::relative_candidates(heading, first.el));
    }
    let title = pick(&title_candidates, all, |e, sel| {
        e.el.select(sel).next().map(title_text).as_deref() == Some(e.title.as_str())
    })
    .ok_or("no selector reaches every entry's title")?;
    Ok(title)
}

/// Why the block gives no date selector, for the operator.
fn undated_note(first: &Entry<'_>, dated_entries: usize, tz: FixedOffset) -> String {
    let own_text: String = first.el.children().filter_map(|n| n.value().as_text()).map(|t| t.trim()).collect();
    if dated_entries == 0 && reads_as_date(&own_text, tz) {
        format!(
            "the entries write their date (\"{own_text}\") in their own text, outside any element a selector \
             can name: items are dated by their article, else when first seen"
        )
    } else if dated_entries == 0 {
        "the entries show no date: items are dated by their article, else when first seen".to_string()
    } else {
        format!("{dated_entries} entries show a date, but no one selector reads it in each")
    }
}

/// The suffixes that add the leads to an item selector (`, .lead`), or one empty
/// suffix when there are none.
fn lead_names(doc: &Html, leads: &[Entry<'_>]) -> Vec<String> {
    match leads.first() {
        None => vec![String::new()],
        Some(lead) => css::descriptions(lead.el)
            .into_iter()
            .filter(|d| d.contains(['.', '#']))
            .filter(|d| {
                css::compile(d).is_some_and(|sel| leads.iter().all(|l| doc.select(&sel).any(|m| m.id() == l.el.id())))
            })
            .map(|d| format!(", {d}"))
            .collect(),
    }
}

/// Whether an item selector matches an element inside another it matches: the
/// entry would be read twice.
fn nested(doc: &Html, item: &str) -> bool {
    let Some(sel) = css::compile(item) else { return true };
    let matched: HashSet<NodeId> = doc.select(&sel).map(|e| e.id()).collect();
    doc.select(&sel).any(|e| e.ancestors().any(|a| matched.contains(&a.id())))
}

/// Every element the item selector matches beyond the block is an entry of the
/// same tag outside the page's furniture, or holds no link the reader would take.
fn shaped_alike(
    doc: &Html,
    sel: &HtmlSelectors,
    g: &Group<'_>,
    all: &[Entry<'_>],
    page: &Url,
    tz: FixedOffset,
) -> bool {
    let (Some(item), Some(link)) = (css::compile(&sel.item), css::compile(&sel.link)) else { return false };
    let ours: HashSet<NodeId> = all.iter().map(|e| e.el.id()).collect();
    doc.select(&item).filter(|el| !ours.contains(&el.id())).all(|el| {
        let takes_a_link = link_of(el, &link).is_some();
        !takes_a_link || (el.value().name() == g.tag && !css::in_furniture(el) && entry(el, page, tz).is_some())
    })
}

/// The first candidate selector that holds for every entry.
fn pick(candidates: &[String], entries: &[Entry<'_>], holds: impl Fn(&Entry<'_>, &Selector) -> bool) -> Option<String> {
    candidates.iter().find(|c| css::compile(c).is_some_and(|sel| entries.iter().all(|e| holds(e, &sel)))).cloned()
}

/// A selector for an optional field (date, summary): one that reads it in every
/// entry that has it, found from the first entry that has it; else, when one
/// entry writes it in other markup (a featured first article's `div.date` over
/// the list's `span.date`), both names as one selector.
fn field<'a>(
    entries: &[Entry<'a>],
    target: impl Fn(&Entry<'a>) -> Option<ElementRef<'a>>,
    holds: impl Fn(&Entry<'a>, Option<ElementRef<'a>>) -> bool,
) -> Option<String> {
    let with: Vec<&Entry<'a>> = entries.iter().filter(|e| target(e).is_some()).collect();
    let holds_all =
        |c: &String| css::compile(c).is_some_and(|sel| with.iter().all(|e| holds(e, e.el.select(&sel).next())));
    let candidates = |e: &Entry<'a>| target(e).map(|t| css::relative_candidates(t, e.el)).unwrap_or_default();
    let first = with.first()?;
    let ours = candidates(first);
    if let Some(c) = ours.iter().find(|c| holds_all(c)) {
        return Some(c.clone());
    }
    let own = css::compile(ours.first()?)?;
    let odd = with.iter().find(|e| !holds(e, e.el.select(&own).next()))?;
    let qualified = |c: &str| c.contains(['.', '#']) && !c.contains(":nth-of-type");
    let theirs = candidates(odd);
    unions(&ours, &theirs, qualified).into_iter().find(|c| holds_all(c))
}

/// Two markups' selectors for one field as one (`a, b`): the first three of each
/// side that `qualified` keeps, every pair of two different ones.
fn unions(ours: &[String], theirs: &[String], qualified: impl Fn(&str) -> bool) -> Vec<String> {
    let firsts = |side: &[String]| side.iter().filter(|c| qualified(c)).take(3).cloned().collect::<Vec<String>>();
    let theirs = firsts(theirs);
    firsts(ours).iter().flat_map(|a| theirs.iter().filter(move |b| *b != a).map(move |b| format!("{a}, {b}"))).collect()
}

/// The item selector of last resort, for a block nothing names (an old portal's
/// `<table>` in a layout table): the block's structural path, then its tag.
fn structural_item(doc: &Html, g: &Group<'_>) -> Option<String> {
    Some(format!("{} > {}", css::path(doc, g.parent)?, g.tag))
}

/// Item selectors for the block, most telling first: the entries' shared
/// classes, alone then under a named ancestor; the tag under a named ancestor;
/// and the union of the entries' class sets (GridView's `RowStyle` and
/// `AlternatingRowStyle`).
fn item_candidates(g: &Group<'_>) -> Vec<String> {
    let tag = &g.tag;
    let class_sets: Vec<Vec<String>> = g.entries.iter().map(|e| css::stable_classes(e.el)).collect();
    let common: Vec<String> =
        class_sets[0].iter().filter(|c| class_sets.iter().all(|s| s.contains(c))).take(2).cloned().collect();
    let scopes: Vec<(String, bool)> = std::iter::once(g.parent)
        .chain(g.parent.ancestors().filter_map(ElementRef::wrap))
        .take(3)
        .enumerate()
        .flat_map(|(depth, a)| {
            css::descriptions(a).into_iter().filter(|d| d.contains(['.', '#'])).map(move |d| (d, depth == 0))
        })
        .collect();
    let mut out = Vec::new();
    let own = if common.is_empty() { None } else { Some(format!("{tag}.{}", common.join("."))) };
    if let Some(own) = &own {
        out.push(own.clone());
        for (scope, _) in &scopes {
            out.push(format!("{scope} {own}"));
        }
    }
    for (scope, direct) in &scopes {
        out.push(if *direct { format!("{scope} > {tag}") } else { format!("{scope} {tag}") });
    }
    let mut sets: Vec<String> = class_sets.iter().filter_map(|s| s.first().cloned()).collect();
    sets.sort();
    sets.dedup();
    if own.is_none() && (2..=3).contains(&sets.len()) && class_sets.iter().all(|s| !s.is_empty()) {
        out.push(sets.iter().map(|c| format!("{tag}.{c}")).collect::<Vec<_>>().join(", "));
        for (scope, _) in &scopes {
            out.push(sets.iter().map(|c| format!("{scope} {tag}.{c}")).collect::<Vec<_>>().join(", "));
        }
    }
    let mut seen = HashSet::new();
    out.retain(|s| seen.insert(s.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).unwrap()
    }

    fn page() -> Url {
        Url::parse("https://sotuphap.example.vn/tin-tuc").unwrap()
    }

    fn titles(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("Hội nghị tổng kết công tác tư pháp năm 2022 lần thứ {i}")).collect()
    }

    #[test]
    fn entries_in_two_containers_of_one_shape_are_read_together() {
        // Joomla 4's category blog: the leading article in its own container.
        let item = |i: usize, t: &str| {
            format!(
                "<div class=\"com-content-category-blog__item blog-item\"><h2><a href=\"/tin-tuc/{i}-bai\">{t}</a></h2>\
                 <time>0{i}/08/2022</time><p>Tóm tắt bài viết số {i} với đủ chữ để làm một đoạn tóm tắt dài.</p></div>"
            )
        };
        let t = titles(5);
        let html = format!(
            "<html><body><div class=\"blog-items items-leading\">{}</div><div class=\"blog-items\">{}</div></body></html>",
            item(1, &t[0]),
            (2..=5).map(|i| item(i, &t[i - 1])).collect::<String>()
        );
        let found = find(&Html::parse_document(&html), &page(), tz()).unwrap();
        assert_eq!(found.links.len(), 5, "{:?}", found.selectors);
        assert_eq!(found.dated, 5);
    }

    #[test]
    fn a_featured_first_entry_in_other_markup_is_read_with_the_list() {
        let t = titles(5);
        let rest: String = (1..5)
            .map(|i| {
                format!("<li><a href=\"/tin/{i}.html\">{}</a> <span class=\"date\">(0{i}/08/2022)</span></li>", t[i])
            })
            .collect();
        let html = format!(
            "<div class=\"category\"><h2 class=\"cat-title\"><a href=\"/tin-tuc\">Tin tức sự kiện của sở tư pháp</a></h2>\
             <div class=\"news-first\"><a href=\"/tin/0.html\"><img src=\"/a.jpg\" alt=\"\"></a><h2><a href=\"/tin/0.html\">{}</a></h2>\
             <div class=\"time\">(05/08/2022)</div><p class=\"sapo\">Sáng nay sở tư pháp tổ chức hội nghị tổng kết công tác năm với nhiều đại biểu.</p></div>\
             <ul class=\"list-news\">{rest}</ul></div>",
            t[0]
        );
        let found = find(&Html::parse_document(&html), &page(), tz()).unwrap();
        assert_eq!(found.links.len(), 5, "{:?} {:?}", found.selectors, found.notes);
        assert_eq!(found.links[0].path(), "/tin/0.html");
        assert_eq!(found.dated, 5);
        assert_eq!(found.selectors.item, "ul.list-news > li, div.news-first");
    }

    #[test]
    fn a_side_box_of_titles_and_dates_does_not_rival_the_listing() {
        let t = titles(10);
        let main: String = (0..8)
            .map(|i| {
                format!(
                    "<div class=\"item\"><h3><a href=\"/tin/{i}.html\">{}</a></h3><span>0{}/08/2022</span>\
                     <p>Tóm tắt tin số {i} với đủ chữ để làm một đoạn tóm tắt dài dòng.</p></div>",
                    t[i],
                    i + 1
                )
            })
            .collect();
        let side: String = (0..8)
            .map(|i| format!("<li><a href=\"/khac/{i}.html\">{} (bên)</a> <span>0{}/07/2022</span></li>", t[i], i + 1))
            .collect();
        let html =
            format!("<div class=\"main\">{main}</div><div class=\"col-right\"><h3>Hoạt động</h3><ul>{side}</ul></div>");
        let found = find(&Html::parse_document(&html), &page(), tz()).unwrap();
        assert_eq!(found.selectors.item, "div.item");
        assert_eq!(found.links.len(), 8);
    }

    #[test]
    fn a_title_apart_from_its_xem_chi_tiet_link_is_read_from_its_heading() {
        let items: String = titles(4)
            .iter()
            .enumerate()
            .map(|(i, t)| {
                format!(
                    "<div class=\"news-item\"><h3 class=\"news-title\">{t}</h3><span class=\"date\">0{}/08/2022</span>\
                     <a class=\"readmore\" href=\"/tin/{i}.html\">Xem chi tiết »</a></div>",
                    i + 1
                )
            })
            .collect();
        let found = find(&Html::parse_document(&format!("<div class=\"list\">{items}</div>")), &page(), tz()).unwrap();
        assert_eq!(found.titles, titles(4));
        assert_eq!(found.selectors.title, "h3.news-title");
        assert_eq!(found.selectors.link, "a.readmore");
        assert_eq!(found.dated, 4);
        // Without the headings, "Xem chi tiết »" is no title: "»" is no word.
        let bare = items.replace("<h3", "<b").replace("</h3>", "</b>").replace("news-title", "x");
        assert!(find(&Html::parse_document(&format!("<div class=\"list\">{bare}</div>")), &page(), tz()).is_err());
    }

    #[test]
    fn of_two_blocks_alike_the_one_linking_under_the_page_s_section_is_its_listing() {
        let block = |cls: &str, dir: &str| {
            let lis: String = titles(8)
                .iter()
                .enumerate()
                .map(|(i, t)| format!("<li><a href=\"/{dir}/{i}.html\">{t}</a> <span>(0{}/08/2022)</span></li>", i + 1))
                .collect();
            format!("<div class=\"{cls}\"><ul>{lis}</ul></div>")
        };
        let html = format!("{}{}", block("center", "tin-tuc"), block("right", "thong-bao"));
        let doc = Html::parse_document(&html);
        let found = find(&doc, &page(), tz()).unwrap();
        assert_eq!(found.selectors.item, "div.center li");
        assert!(found.links.iter().all(|l| l.path().starts_with("/tin-tuc/")));
        // From the site's root nothing tells them apart: no guess.
        let root = Url::parse("https://sotuphap.example.vn/").unwrap();
        assert!(find(&doc, &root, tz()).unwrap_err()[0].contains("none stands out"));
    }

    #[test]
    fn a_list_laid_out_in_columns_is_one_listing_but_headed_boxes_are_sections() {
        let t = titles(8);
        let column = |from: usize, heading: &str| {
            let lis: String = (from..from + 4)
                .map(|i| format!("<li><a href=\"/tin/{i}.html\">{}</a> <span>(0{}/08/2022)</span></li>", t[i], i + 1))
                .collect();
            format!("<div class=\"col\">{heading}<ul class=\"list\">{lis}</ul></div>")
        };
        let html = format!("<div class=\"row\">{}{}</div>", column(0, ""), column(4, ""));
        let found = find(&Html::parse_document(&html), &page(), tz()).unwrap();
        assert_eq!(found.links.len(), 8, "{:?}", found.selectors);
        assert_eq!(found.dated, 8);
        let boxes = format!(
            "<div class=\"row\">{}{}</div>",
            column(0, "<h3>Tin hoạt động</h3>"),
            column(4, "<h3>Thông báo</h3>")
        );
        assert!(find(&Html::parse_document(&boxes), &page(), tz()).unwrap_err()[0].contains("none stands out"));
    }

    #[test]
    fn a_date_in_the_entry_s_own_text_is_said_to_be_unreadable() {
        let lis: String = titles(4)
            .iter()
            .enumerate()
            .map(|(i, t)| format!("<li><a href=\"/tin/{i}.html\">{t}</a> (0{}/08/2022)</li>", i + 1))
            .collect();
        let found = find(&Html::parse_document(&format!("<ul class=\"news\">{lis}</ul>")), &page(), tz()).unwrap();
        assert_eq!(found.selectors.date, None);
        assert!(found.notes[0].contains("(01/08/2022)\") in their own text"), "{:?}", found.notes);
    }

    #[test]
    fn menus_and_other_news_boxes_are_no_listing() {
        let lis = |cls: &str| {
            titles(6)
                .iter()
                .enumerate()
                .map(|(i, t)| format!("<li class=\"{cls}\"><a href=\"/p/{i}\">{t}</a></li>"))
                .collect::<String>()
        };
        for page_html in [
            format!("<nav><ul>{}</ul></nav>", lis("x")),
            format!("<ul class=\"main-menu\">{}</ul>", lis("x")),
            format!("<div><h3>Tin khác</h3><ul>{}</ul></div>", lis("x")),
            format!("<ul>{}</ul>", lis("menu-item")),
        ] {
            let why = find(&Html::parse_document(&page_html), &page(), tz()).unwrap_err();
            assert!(why[0].contains("nothing repeats"), "{page_html}: {why:?}");
        }
    }

    #[test]
    fn short_links_and_links_elsewhere_are_no_entries() {
        let html = "<ul><li><a href=\"/a\">Giới thiệu</a></li><li><a href=\"/b\">Liên hệ</a></li><li><a href=\"/c\">Sơ đồ</a></li></ul>\
                    <ul><li><a href=\"https://other.vn/1\">Một tin của trang khác rất dài tiêu đề</a></li>\
                    <li><a href=\"https://other.vn/2\">Hai tin của trang khác rất dài tiêu đề</a></li>\
                    <li><a href=\"https://other.vn/3\">Ba tin của trang khác rất dài tiêu đề</a></li></ul>";
        assert!(find(&Html::parse_document(html), &page(), tz()).is_err());
        let www = Url::parse("https://www.sotuphap.example.vn/tin-tuc").unwrap();
        let lis: String = titles(4)
            .iter()
            .enumerate()
            .map(|(i, t)| format!("<li><a href=\"https://sotuphap.example.vn/{i}.html\">{t}</a></li>"))
            .collect();
        let found = find(&Html::parse_document(&format!("<ul class=\"list-news\">{lis}</ul>")), &www, tz()).unwrap();
        assert_eq!(found.links.len(), 4, "the site with and without www is one site");
        assert_eq!(found.selectors.item, "ul.list-news > li");
    }
}
