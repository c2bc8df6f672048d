//! The news listing of a page: the block of sibling elements that repeats with a
//! link to a page of the same site, a title-like text and, ideally, a date, and
//! the selectors that read it.
//!
//! Every group of same-tag siblings is a candidate; menus, footers, pagers and
//! "tin khác" boxes are left out, and so is a block whose entries each hold a
//! repeated block (a home page's sections). The candidates are scored by
//! repetition, title length, dates and summaries; a winner must stand out, or the
//! page is said to mix several blocks. Selectors are then tried on the page with
//! the reading code of `kind = "html"` sources itself, so what is printed is what
//! a poll reads. Nothing here fetches.

use std::collections::{HashMap, HashSet};

use chrono::FixedOffset;
use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::css::{self, contains, short_text};
use crate::config::HtmlSelectors;
use crate::parse::html::{element_text, href_of, listing_of};

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
    /// Entries whose date the selectors read.
    pub dated: usize,
    /// What was left out or could not be had, for the operator.
    pub notes: Vec<String>,
}

/// One entry of a candidate block.
#[derive(Clone)]
struct Entry<'a> {
    el: ElementRef<'a>,
    href: Url,
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
    for g in &mut groups {
        g.score = score(g);
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
    static A: std::sync::LazyLock<Selector> =
        std::sync::LazyLock::new(|| Selector::parse("a[href]").expect("a valid selector"));
    let mut hrefs = HashSet::new();
    let mut best: Option<((bool, usize), ElementRef<'a>, Url, String)> = None;
    for a in el.select(&A) {
        let Some(url) = site_link(a.attr("href").unwrap_or_default(), page) else { continue };
        hrefs.insert(url.to_string());
        let text = link_text(a);
        // The title's link: in a heading or a title-named element if any (a
        // "Xem tiếp về …" link can be longer), else the longest.
        let rank = (titled(a, el), text.chars().count());
        if best.as_ref().is_none_or(|(r, ..)| rank > *r) {
            best = Some((rank, a, url, text));
        }
    }
    let (_, anchor, href, title) = best?;
    let words = title.split_whitespace().count();
    if hrefs.len() > MAX_ENTRY_LINKS || words < MIN_TITLE_WORDS || title.chars().count() > 400 {
        return None;
    }
    let date = date_in(el, anchor, tz);
    let summary = summary_in(el, anchor, date, &title, &href, page);
    Some(Entry { el, href, title, date, summary })
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

/// The deepest short element of the entry whose text is a date loa reads.
fn date_in<'a>(el: ElementRef<'a>, anchor: ElementRef<'a>, tz: FixedOffset) -> Option<ElementRef<'a>> {
    let is_date = |e: ElementRef<'_>| {
        short_text(e, 60).is_some_and(|t| t.chars().any(|c| c.is_ascii_digit()) && reads_as_date(&t, tz))
    };
    let outside = |e: &ElementRef<'_>| !contains(*e, anchor) && !contains(anchor, *e);
    let mut found = el.descendent_elements().filter(|e| e.id() != el.id()).filter(outside).find(|e| is_date(*e))?;
    // The innermost element that still holds the whole date.
    while let Some(inner) = found.child_elements().filter(outside).find(|e| is_date(*e)) {
        found = inner;
    }
    Some(found)
}

/// Whether text is a date loa reads, and mostly a date: "(05/08/2022 - 16:30)",
/// "Ngày đăng: 05 Tháng 8 2022", not a sentence that mentions one.
pub fn reads_as_date(text: &str, tz: FixedOffset) -> bool {
    text.split_whitespace().count() <= 8 && crate::normalize::date::parse(text, tz).is_some()
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

/// Repetition, title length, dates and summaries, less the siblings that are no
/// entries. A page's own listing shows summaries where side boxes of other news
/// show titles and dates alone, so a summary weighs as much as a date.
fn score(g: &Group<'_>) -> f64 {
    let n = g.entries.len() as f64;
    let words = g.entries.iter().map(|e| e.title.split_whitespace().count()).sum::<usize>() as f64 / n;
    let dated = g.entries.iter().filter(|e| e.date.is_some()).count() as f64 / n;
    let summarised = g.entries.iter().filter(|e| e.summary.is_some()).count() as f64 / n;
    let entries_share = n / g.members as f64;
    n * (0.3 + 0.7 * (words / 10.0).min(1.0)) * (1.0 + dated) * (1.0 + summarised) * entries_share.sqrt()
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
    let anchor = anchor_of(first, page).ok_or("the first entry's link could not be found again")?;
    let mut link_candidates = css::relative_candidates(anchor, first.el);
    // A lead in other markup (`h2 a` over the list's `h3 a`): both, as one selector.
    if let Some((lead, lead_anchor)) = leads.first().and_then(|l| Some((l, anchor_of(l, page)?))) {
        // Each side qualified, so that neither takes the other's links (a bare `a`
        // would take the lead's picture link first).
        let qualified = |c: &&String| c.contains([' ', '.', '#']) && !c.contains(":nth-of-type");
        let ours: Vec<String> = link_candidates.iter().filter(qualified).take(3).cloned().collect();
        let theirs: Vec<String> =
            css::relative_candidates(lead_anchor, lead.el).iter().filter(qualified).take(3).cloned().collect();
        let unions: Vec<String> = ours
            .iter()
            .flat_map(|a| theirs.iter().filter(move |b| *b != a).map(move |b| format!("{a}, {b}")))
            .collect();
        link_candidates.extend(unions);
    }
    let link = pick(&link_candidates, &all, |e, sel| {
        e.el.select(sel).find_map(href_of).and_then(|h| site_link(h, page)).as_ref() == Some(&e.href)
    })
    .ok_or("no selector reaches every entry's link")?;
    let mut title_candidates = link_candidates.clone();
    if let Some(heading) = anchor.parent().and_then(ElementRef::wrap).filter(|p| element_text(*p) == first.title) {
        title_candidates.extend(css::relative_candidates(heading, first.el));
    }
    let title = pick(&title_candidates, &all, |e, sel| {
        e.el.select(sel).next().map(link_text).as_deref() == Some(e.title.as_str())
    })
    .ok_or("no selector reaches every entry's title")?;
    let mut notes = Vec::new();
    let date = field(
        &all,
        |e| e.date,
        |e, found| found.is_some_and(|f| e.date.is_some_and(|d| element_text(d) == element_text(f))),
    );
    let dated_entries = all.iter().filter(|e| e.date.is_some()).count();
    if date.is_none() {
        let own_text: String = first.el.children().filter_map(|n| n.value().as_text()).map(|t| t.trim()).collect();
        notes.push(if dated_entries == 0 && reads_as_date(&own_text, tz) {
            format!(
                "the entries write their date (\"{own_text}\") in their own text, outside any element a selector \
                 can name: items are dated by their article, else when first seen"
            )
        } else if dated_entries == 0 {
            "the entries show no date: items are dated by their article, else when first seen".to_string()
        } else {
            format!("{dated_entries} entries show a date, but no one selector reads it in each")
        });
    }
    let summary = field(
        &all,
        |e| e.summary,
        |e, found| found.is_some_and(|f| e.summary.is_some_and(|s| element_text(s) == element_text(f))),
    );
    let expected: HashSet<&Url> = all.iter().map(|e| &e.href).collect();
    let lead_names = match leads.first() {
        None => vec![String::new()],
        Some(lead) => css::descriptions(lead.el)
            .into_iter()
            .filter(|d| d.contains(['.', '#']))
            .filter(|d| {
                css::compile(d).is_some_and(|sel| leads.iter().all(|l| doc.select(&sel).any(|m| m.id() == l.el.id())))
            })
            .map(|d| format!(", {d}"))
            .collect(),
    };
    let items = item_candidates(g).into_iter().flat_map(|c| lead_names.iter().map(move |l| format!("{c}{l}")));
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
        let links: Vec<Url> =
            listing.entries.iter().filter_map(|e| crate::normalize::link::absolute(&e.link, page)).collect();
        let read: HashSet<&Url> = links.iter().collect();
        // Every entry of the block, and nothing from elsewhere but entries of the
        // same shape (a blog's leading article in its own container).
        if !expected.iter().all(|u| read.contains(u))
            || !shaped_alike(doc, &sel, g, &all, page, tz)
            || nested(doc, &sel.item)
        {
            continue;
        }
        let dated = listing
            .entries
            .iter()
            .filter(|e| e.date.as_deref().is_some_and(|d| crate::normalize::date::parse(d, tz).is_some()))
            .count();
        let titles = listing.entries.iter().map(|e| e.title.clone()).collect();
        return Ok(Found { selectors: sel, links, titles, dated, notes });
    }
    Err(format!("no item selector reads the block {} alone", g.label()))
}

/// Whether an item selector matches an element inside another it matches: the
/// entry would be read twice.
fn nested(doc: &Html, item: &str) -> bool {
    let Some(sel) = css::compile(item) else { return true };
    let matched: HashSet<NodeId> = doc.select(&sel).map(|e| e.id()).collect();
    doc.select(&sel).any(|e| e.ancestors().any(|a| matched.contains(&a.id())))
}

/// The link an entry was found by.
fn anchor_of<'a>(e: &Entry<'a>, page: &Url) -> Option<ElementRef<'a>> {
    e.el.descendent_elements().find(|a| {
        a.value().name() == "a"
            && a.attr("href").and_then(|h| site_link(h, page)).as_ref() == Some(&e.href)
            && link_text(*a) == e.title
    })
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
        let takes_a_link = el.select(&link).find_map(href_of).is_some();
        !takes_a_link || (el.value().name() == g.tag && !css::in_furniture(el) && entry(el, page, tz).is_some())
    })
}

/// A link's text as the reader takes it: its text, else its `title`.
fn link_text(el: ElementRef<'_>) -> String {
    let t = element_text(el);
    if t.is_empty() {
        el.attr("title").unwrap_or_default().to_string()
    } else {
        t
    }
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
    let qualified = |c: &&String| c.contains(['.', '#']) && !c.contains(":nth-of-type");
    let theirs: Vec<String> = candidates(odd).iter().filter(qualified).take(3).cloned().collect();
    ours.iter()
        .filter(qualified)
        .take(3)
        .flat_map(|a| theirs.iter().filter(move |b| *b != a).map(move |b| format!("{a}, {b}")))
        .find(|c| holds_all(c))
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
