//! The per-document item cap (`[poll].max_items`), applied to the text before
//! feed-rs builds its model of every entry.
//!
//! A feed-rs `Entry` costs far more memory than a tiny `<item>` takes in the text,
//! so a 10 MiB document of 100 000 items must never reach it whole. The entries of
//! the text are found in two linear passes (the XML scanner for `<item>`/`<entry>`,
//! a small structural walk for a JSON Feed's `items`): the first ranks them by date
//! in a heap of `max_items` places, the second copies the document without the
//! entries ranked below the last one kept. Memory is bounded by the cap, never by
//! the number of entries. This module only cuts text: it reads no entry's content.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;

use chrono::{DateTime, FixedOffset, Utc};

use super::scan::{self, Kind};
use crate::util::date;

/// A document with at most the cap's number of entries.
pub struct Capped {
    pub text: String,
    /// Entries left out.
    pub dropped: usize,
}

/// Keeps the `max` newest entries of a feed document (by their published date,
/// else their updated one; undated entries rank below dated ones, and among equals
/// the earlier in the document wins, as feeds list the newest first). `None` when
/// the document has no more than `max` entries: it is used as it is.
pub fn newest(body: &str, max: usize, tz: FixedOffset) -> Option<Capped> {
    // A cheap bound first, as most documents have far fewer entries than the cap:
    // each XML entry names itself, each JSON element after the first needs a comma.
    let bound = if body.starts_with('{') {
        body.matches(',').count() + 1
    } else {
        body.matches("item").count() + body.matches("entry").count()
    };
    if bound <= max {
        return None;
    }
    let mut kept: BinaryHeap<Reverse<Rank>> = BinaryHeap::with_capacity(max + 1);
    let mut total = 0;
    for (i, e) in entries(body, tz)?.enumerate() {
        total += 1;
        kept.push(Reverse(Rank { date: e.date, first: Reverse(i) }));
        if kept.len() > max {
            kept.pop();
        }
    }
    if total <= max {
        return None;
    }
    let Reverse(lowest) = kept.pop()?;
    drop(kept);
    // Grown as needed: what is kept is usually a small part of the document.
    let mut text = String::new();
    let mut from = 0;
    let mut joined = 0;
    for (i, e) in entries(body, tz)?.enumerate() {
        let keep = Rank { date: e.date, first: Reverse(i) } >= lowest;
        // The text between XML entries stays; a JSON array's elements are joined
        // again with commas, so only the text before its first one stays.
        if !e.json || i == 0 {
            text.push_str(&body[from..e.span.start]);
        }
        if keep {
            if e.json && joined > 0 {
                text.push(',');
            }
            text.push_str(&body[e.span.clone()]);
            joined += 1;
        }
        from = e.span.end;
    }
    text.push_str(&body[from..]);
    Some(Capped { text, dropped: total - max })
}

/// How an entry ranks: newer first, then earlier in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    date: Option<DateTime<Utc>>,
    first: Reverse<usize>,
}

/// One entry of a document: its bytes and its date.
struct Entry {
    span: Range<usize>,
    date: Option<DateTime<Utc>>,
    /// An element of a JSON array, not an XML element.
    json: bool,
}

/// The entries of a document, in order; `None` when it is neither XML nor JSON
/// whose structure can be walked.
fn entries(body: &str, tz: FixedOffset) -> Option<Box<dyn Iterator<Item = Entry> + '_>> {
    if body.starts_with('{') {
        let start = json::items_array(body.as_bytes())?;
        let elements = json::Elements { b: body.as_bytes(), pos: start, done: false };
        Some(Box::new(elements.map(move |span| Entry { date: json_date(&body[span.clone()], tz), span, json: true })))
    } else {
        Some(Box::new(XmlEntries { scan: scan::markup(body), body, tz }))
    }
}

/// Elements whose text dates an entry, in order of preference.
const PUBLISHED: [&str; 4] = ["pubDate", "published", "date", "issued"];
const UPDATED: [&str; 2] = ["updated", "modified"];

/// The `<item>`s and `<entry>`s of an XML document (in any namespace), outside
/// comments and CDATA. An entry never closed runs to the end of the text.
struct XmlEntries<'a> {
    scan: scan::Scan<'a>,
    body: &'a str,
    tz: FixedOffset,
}

impl Iterator for XmlEntries<'_> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        let (name, start) = loop {
            let m = self.scan.next()?;
            if let Kind::Start(t) = m.kind {
                if !t.empty && matches!(t.local_name(), "item" | "entry") {
                    break (t.local_name(), m.start);
                }
            }
        };
        let (mut nested, mut published, mut updated) = (0usize, None, None);
        // The element whose text is being waited for, and where its text starts.
        let mut dating: Option<(bool, usize)> = None;
        let mut end = self.body.len();
        for m in self.scan.by_ref() {
            if let Some((is_published, from)) = dating.take() {
                let text = match m.kind {
                    Kind::Other if self.body[m.start..m.end].starts_with("<![CDATA[") => {
                        self.body[m.start + 9..m.end].strip_suffix("]]>").unwrap_or(&self.body[m.start + 9..m.end])
                    }
                    _ => &self.body[from..m.start],
                };
                let slot = if is_published { &mut published } else { &mut updated };
                if slot.is_none() {
                    *slot = date::parse(text.trim(), self.tz);
                }
            }
            match m.kind {
                Kind::Start(t) if t.local_name() == name && !t.empty => nested += 1,
                Kind::Start(t) if !t.empty && PUBLISHED.contains(&t.local_name()) => dating = Some((true, m.end)),
                Kind::Start(t) if !t.empty && UPDATED.contains(&t.local_name()) => dating = Some((false, m.end)),
                Kind::End(n) if n.rsplit(':').next() == Some(name) => {
                    if nested == 0 {
                        end = m.end;
                        break;
                    }
                    nested -= 1;
                }
                _ => {}
            }
        }
        Some(Entry { span: start..end, date: published.or(updated), json: false })
    }
}

/// A JSON Feed item's date: `date_published`, else `date_modified`.
fn json_date(element: &str, tz: FixedOffset) -> Option<DateTime<Utc>> {
    #[derive(serde::Deserialize)]
    struct Dates {
        date_published: Option<String>,
        date_modified: Option<String>,
    }
    let d: Dates = serde_json::from_str(element).ok()?;
    d.date_published.or(d.date_modified).and_then(|s| date::parse(&s, tz))
}

/// A structural walk of JSON text: where values start and end, without building them.
mod json {
    use std::ops::Range;

    fn ws(b: &[u8], mut i: usize) -> usize {
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        i
    }

    /// The end of the string opening at `i` (after its closing quote).
    fn string_end(b: &[u8], mut i: usize) -> usize {
        i += 1;
        while let Some(&c) = b.get(i) {
            match c {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        b.len()
    }

    /// The end of the value starting at `i`.
    pub fn value_end(b: &[u8], i: usize) -> usize {
        match b.get(i) {
            Some(b'"') => string_end(b, i),
            Some(b'{' | b'[') => {
                let (mut depth, mut j) = (0usize, i);
                while let Some(&c) = b.get(j) {
                    match c {
                        b'"' => {
                            j = string_end(b, j);
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return j + 1;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                b.len()
            }
            _ => {
                let mut j = i;
                while b.get(j).is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace()) {
                    j += 1;
                }
                j.max(i + 1).min(b.len())
            }
        }
    }

    /// Where the content of the top-level `"items"` array starts (after its `[`).
    pub fn items_array(b: &[u8]) -> Option<usize> {
        let mut i = ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return None;
        }
        i += 1;
        loop {
            i = ws(b, i);
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let key_end = string_end(b, i);
            let key = &b[i + 1..key_end.saturating_sub(1).max(i + 1)];
            i = ws(b, key_end);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = ws(b, i + 1);
            if key == b"items" {
                return (b.get(i) == Some(&b'[')).then_some(i + 1);
            }
            i = ws(b, value_end(b, i));
            match b.get(i) {
                Some(b',') => i += 1,
                _ => return None,
            }
        }
    }

    /// The spans of an array's elements, from its content's start.
    pub struct Elements<'a> {
        pub b: &'a [u8],
        pub pos: usize,
        pub done: bool,
    }

    impl Iterator for Elements<'_> {
        type Item = Range<usize>;

        fn next(&mut self) -> Option<Self::Item> {
            if self.done {
                return None;
            }
            let mut i = ws(self.b, self.pos);
            if self.b.get(i) == Some(&b',') {
                i = ws(self.b, i + 1);
            }
            match self.b.get(i) {
                None | Some(b']') => {
                    self.done = true;
                    None
                }
                Some(_) => {
                    let end = value_end(self.b, i);
                    self.pos = end;
                    Some(i..end)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).unwrap()
    }

    #[test]
    fn the_newest_entries_are_kept_and_the_rest_counted() {
        // Listed out of order, one undated, one in CDATA, an <item> inside a comment.
        let doc = "<rss version=\"2.0\"><channel><title>t</title>\
            <item><title>old</title><pubDate>01/01/2024 08:00</pubDate></item>\
            <!-- <item>not one</item> -->\
            <item><title>new</title><pubDate><![CDATA[03/01/2024 08:00]]></pubDate></item>\
            <item><title>undated</title></item>\
            <rss:item><title>mid</title><dc:date>2024-01-02T08:00:00+07:00</dc:date></rss:item>\
            </channel></rss>";
        let capped = newest(doc, 2, vn()).unwrap();
        assert_eq!(capped.dropped, 2);
        assert!(capped.text.contains("<title>new</title>") && capped.text.contains("<title>mid</title>"));
        assert!(!capped.text.contains("<title>old</title>") && !capped.text.contains("undated"));
        assert!(capped.text.contains("<!-- <item>not one</item> -->") && capped.text.ends_with("</channel></rss>"));
        assert!(newest(doc, 4, vn()).is_none(), "four entries fit a cap of four");
        // Undated entries: the first in the document are kept.
        let undated = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id></entry>\
                       <entry><id>2</id><entry><id>inner</id></entry></entry><entry><id>3</id></entry></feed>";
        let capped = newest(undated, 1, vn()).unwrap();
        assert_eq!(capped.text, "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id></entry></feed>");
    }

    #[test]
    fn json_feed_items_are_capped_too() {
        let doc = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [
            {"id": "1", "title": "a ] \" {", "date_published": "2024-01-01T08:00:00+07:00"},
            {"id": "2", "date_modified": "2024-01-03T08:00:00+07:00"},
            {"id": "3", "date_published": "2024-01-02T08:00:00+07:00", "tags": [{"x": []}]}
        ], "home_page_url": "https://a.vn/"}"#;
        let capped = newest(doc, 2, vn()).unwrap();
        assert_eq!(capped.dropped, 1);
        let v: serde_json::Value = serde_json::from_str(&capped.text).unwrap();
        let ids: Vec<&str> = v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["2", "3"]);
        assert_eq!(v["home_page_url"], "https://a.vn/");
        let capped = newest(doc, 1, vn()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&capped.text).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 1);
    }
}
