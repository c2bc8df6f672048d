//! The published documents kept beside the store (`loa-published`), so that a
//! start whose store has not changed since the last render installs them from one
//! file instead of reading thousands of scattered stories from sled.
//!
//! Owns the file's format: a magic and a version, the `Tag` that says what the
//! documents were rendered from, length-prefixed records (every first page with
//! its encodings and validators, the agency names learned from bylines; what lists
//! the scopes is rendered again from these), and a CRC-32 of all of it. Reading trusts nothing:
//! a damaged, truncated or foreign file is an error that says why, and the caller
//! renders from the store as without the file. Read back, every document's bodies
//! are slices of the one buffer the file was read into. It never reads the store
//! and never decides when the documents are valid.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::{DocHeaders, Document, Format};
use crate::model::FeedKind;
use crate::store::{Cursor, Scope};

/// The file's name, in the store's directory.
pub const FILE: &str = "loa-published";

const MAGIC: &[u8; 8] = b"loa-pub\n";
/// 1: the first layout; 2: without the agencies page and `/feeds.opml`.
const VERSION: u32 = 2;

/// What the documents were rendered from: while the store is at this generation
/// with these counts and the digest of settings, registry and templates is this
/// one, rendering again would give the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    pub generation: u64,
    pub stories: u64,
    pub items: u64,
    pub digest: [u8; 32],
}

/// The first pages a render of every scope installs, and the names they were
/// rendered with.
#[derive(Default)]
pub struct Published {
    pub feeds: Vec<((Scope, FeedKind), Arc<Document>)>,
    pub pages: Vec<(Scope, Arc<Document>)>,
    /// (slug, name) of bodies the registry does not know.
    pub learned: Vec<(String, String)>,
}

/// 9999-12-31T23:59:59Z, the last second an HTTP date can name.
const LAST_HTTP_DATE: i64 = 253_402_300_799;

const FEED: u8 = 1;
const PAGE: u8 = 2;
const LEARNED: u8 = 3;

/// Writes `published` under `tag` to `path`, whole or not at all.
pub fn write(path: &Path, tag: &Tag, published: &Published) -> std::io::Result<()> {
    crate::util::atomic::write_then_rename(
        path,
        |out| {
            out.write_all(MAGIC)?;
            out.write_all(&VERSION.to_le_bytes())?;
            let mut w = Checked { out, crc: flate2::Crc::new() };
            w.u64(tag.generation)?;
            w.u64(tag.stories)?;
            w.u64(tag.items)?;
            w.put(&tag.digest)?;
            for ((scope, _), doc) in &published.feeds {
                w.u8(FEED)?;
                w.scope(scope)?;
                w.document(doc)?;
            }
            for (scope, doc) in &published.pages {
                w.u8(PAGE)?;
                w.scope(scope)?;
                w.document(doc)?;
            }
            for (slug, name) in &published.learned {
                w.u8(LEARNED)?;
                w.bytes(slug.as_bytes())?;
                w.bytes(name.as_bytes())?;
            }
            let sum = w.crc.sum();
            out.write_all(&sum.to_le_bytes())
        },
        |_, e| e,
    )
}

/// Reads what `write` wrote to `path`: the tag, and the documents as slices of the
/// one buffer the file is read into. An error says what is wrong with the file.
pub fn read(path: &Path) -> Result<(Tag, Published), String> {
    let data = Bytes::from(std::fs::read(path).map_err(|e| e.to_string())?);
    let head = MAGIC.len() + 4;
    if data.len() < head + 4 || &data[..MAGIC.len()] != MAGIC {
        return Err("not a file of published documents".into());
    }
    let version = u32::from_le_bytes(data[MAGIC.len()..head].try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(format!("layout {version}, this build reads {VERSION}"));
    }
    let end = data.len() - 4;
    let sum = u32::from_le_bytes(data[end..].try_into().expect("4 bytes"));
    let mut crc = flate2::Crc::new();
    crc.update(&data[head..end]);
    if crc.sum() != sum {
        return Err("damaged or truncated (its checksum does not match)".into());
    }
    let mut r = Reader { data: data.slice(head..end), at: 0 };
    r.parse().ok_or_else(|| "damaged (a record does not read)".to_string())
}

/// The payload's writer: everything it writes is counted in the checksum.
struct Checked<'a, W: Write> {
    out: &'a mut W,
    crc: flate2::Crc,
}

impl<W: Write> Checked<'_, W> {
    fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.crc.update(b);
        self.out.write_all(b)
    }

    fn u8(&mut self, v: u8) -> std::io::Result<()> {
        self.put(&[v])
    }

    fn u64(&mut self, v: u64) -> std::io::Result<()> {
        self.put(&v.to_le_bytes())
    }

    fn bytes(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.u64(b.len() as u64)?;
        self.put(b)
    }

    fn scope(&mut self, scope: &Scope) -> std::io::Result<()> {
        match scope {
            Scope::All => self.u8(0),
            Scope::Agency(slug) => {
                self.u8(1)?;
                self.bytes(slug.as_bytes())
            }
        }
    }

    fn document(&mut self, doc: &Document) -> std::io::Result<()> {
        self.u8(match doc.format {
            Format::Feed(kind) => FeedKind::ALL.iter().position(|k| *k == kind).expect("every kind is in ALL") as u8,
            Format::Html => 10,
            Format::Css => 11,
        })?;
        self.bytes(&doc.bytes)?;
        self.bytes(&doc.gzip)?;
        self.bytes(&doc.brotli)?;
        self.bytes(doc.digest.as_bytes())?;
        match doc.last_modified {
            None => self.u8(0)?,
            Some(t) => {
                self.u8(1)?;
                self.put(&t.timestamp().to_le_bytes())?;
                self.u64(u64::from(t.timestamp_subsec_nanos()))?;
            }
        }
        self.u64(doc.entries as u64)?;
        self.bytes(doc.next.as_ref().map(Cursor::to_hex).unwrap_or_default().as_bytes())?;
        self.bytes(doc.headers.link.as_ref().map(|l| l.as_bytes()).unwrap_or_default())
    }
}

/// The payload's reader: `None` for anything that does not read as written.
struct Reader {
    data: Bytes,
    at: usize,
}

impl Reader {
    fn take(&mut self, n: usize) -> Option<Bytes> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len())?;
        let b = self.data.slice(self.at..end);
        self.at = end;
        Some(b)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|b| u64::from_le_bytes(b[..].try_into().expect("8 bytes")))
    }

    fn bytes(&mut self) -> Option<Bytes> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }

    fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }

    fn scope(&mut self) -> Option<Scope> {
        match self.u8()? {
            0 => Some(Scope::All),
            1 => Some(Scope::Agency(self.string()?)),
            _ => None,
        }
    }

    fn document(&mut self) -> Option<Document> {
        let format = match self.u8()? {
            10 => Format::Html,
            11 => Format::Css,
            k => Format::Feed(*FeedKind::ALL.get(usize::from(k))?),
        };
        let (bytes, gzip, brotli) = (self.bytes()?, self.bytes()?, self.bytes()?);
        let digest = self.string()?;
        if digest.is_empty() || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let last_modified = match self.u8()? {
            0 => None,
            1 => {
                let secs = i64::from_le_bytes(self.take(8)?[..].try_into().ok()?);
                // What an HTTP date can say (httpdate panics on anything after 9999).
                if secs > LAST_HTTP_DATE {
                    return None;
                }
                let nanos = u32::try_from(self.u64()?).ok()?;
                Some(DateTime::<Utc>::from_timestamp(secs, nanos)?)
            }
            _ => return None,
        };
        let entries = usize::try_from(self.u64()?).ok()?;
        let next = match self.string()? {
            c if c.is_empty() => None,
            c => Some(Cursor::from_hex(&c)?),
        };
        let link = self.bytes()?;
        let link = if link.is_empty() { None } else { Some(axum::http::HeaderValue::from_maybe_shared(link).ok()?) };
        let headers = DocHeaders::new(&digest, last_modified, link);
        Some(Document { format, bytes, gzip, brotli, digest, last_modified, entries, next, headers })
    }

    fn parse(&mut self) -> Option<(Tag, Published)> {
        let (generation, stories, items) = (self.u64()?, self.u64()?, self.u64()?);
        let digest = self.take(32)?[..].try_into().ok()?;
        let tag = Tag { generation, stories, items, digest };
        let mut p = Published::default();
        while self.at < self.data.len() {
            match self.u8()? {
                FEED => {
                    let scope = self.scope()?;
                    let doc = self.document()?;
                    let Format::Feed(kind) = doc.format else { return None };
                    p.feeds.push(((scope, kind), Arc::new(doc)));
                }
                PAGE => {
                    let scope = self.scope()?;
                    p.pages.push((scope, Arc::new(self.document()?)));
                }
                LEARNED => p.learned.push((self.string()?, self.string()?)),
                _ => return None,
            }
        }
        // A render always leaves the merged feed.
        p.feeds.iter().any(|((s, _), _)| *s == Scope::All).then_some((tag, p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(format: Format, text: &str, next: Option<Cursor>) -> Arc<Document> {
        let when = DateTime::<Utc>::from_timestamp(1_659_668_400, 123).unwrap();
        Arc::new(Document::new(format, text.as_bytes().to_vec(), Some(when), 3, next, "<http://loa.test/feed.atom>"))
    }

    fn published() -> Published {
        let cursor = Cursor::from_hex("00ff10").unwrap();
        Published {
            feeds: vec![
                ((Scope::All, FeedKind::Atom), doc(Format::Feed(FeedKind::Atom), "<feed/>", Some(cursor))),
                ((Scope::Agency("so-y-te".into()), FeedKind::Json), doc(Format::Feed(FeedKind::Json), "{}", None)),
            ],
            pages: vec![
                (Scope::All, doc(Format::Html, "<html>tin</html>", None)),
                (Scope::Agency("so-y-te".into()), doc(Format::Html, "<html>cơ quan</html>", None)),
            ],
            learned: vec![("ban-dan-van".into(), "Ban Dân vận".into())],
        }
    }

    const TAG: Tag = Tag { generation: 7, stories: 12, items: 14, digest: [9; 32] };

    #[test]
    fn documents_read_back_as_written_in_one_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let p = published();
        write(&path, &TAG, &p).unwrap();
        let (tag, read) = read(&path).unwrap();
        assert_eq!(tag, TAG);
        let feeds = p.feeds.iter().zip(&read.feeds).map(|(a, b)| (&a.1, &b.1));
        for (a, b) in feeds.chain(p.pages.iter().zip(&read.pages).map(|(a, b)| (&a.1, &b.1))) {
            assert_eq!((a.format, &a.bytes, &a.gzip, &a.brotli), (b.format, &b.bytes, &b.gzip, &b.brotli));
            assert_eq!(
                (&a.digest, a.last_modified, a.entries, &a.next),
                (&b.digest, b.last_modified, b.entries, &b.next)
            );
            assert_eq!(format!("{:?}", a.headers), format!("{:?}", b.headers));
        }
        assert_eq!(
            read.feeds.iter().map(|f| &f.0).collect::<Vec<_>>(),
            p.feeds.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        assert_eq!(
            read.pages.iter().map(|f| &f.0).collect::<Vec<_>>(),
            p.pages.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        assert_eq!(read.learned, p.learned);
        // Every body is a slice of one buffer: the file's bytes are held once.
        let file = std::fs::metadata(&path).unwrap().len() as usize;
        let (first, last) = (read.feeds[0].1.bytes.as_ptr() as usize, read.pages[1].1.brotli.as_ptr() as usize);
        assert!(last > first && last - first < file);
    }

    #[test]
    fn anything_that_does_not_read_as_written_is_an_error_never_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        write(&path, &TAG, &published()).unwrap();
        let kept = std::fs::read(&path).unwrap();
        let mut cases: Vec<Vec<u8>> = (0..kept.len()).map(|n| kept[..n].to_vec()).collect();
        cases.extend((0..kept.len()).map(|i| {
            let mut b = kept.clone();
            b[i] ^= 0x20;
            b
        }));
        // A length past the end behind a checksum that matches: the first body's
        // (after the header, the tag, and the record's kind, scope and format).
        let at = 12 + 56 + 3;
        let mut b = kept.clone();
        b[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        let n = b.len();
        let mut crc = flate2::Crc::new();
        crc.update(&b[12..n - 4]);
        b[n - 4..].copy_from_slice(&crc.sum().to_le_bytes());
        cases.push(b);
        for (i, bytes) in cases.iter().enumerate() {
            std::fs::write(&path, bytes).unwrap();
            assert!(read(&path).is_err(), "case {i} read");
        }
        std::fs::write(&path, &kept).unwrap();
        assert!(read(&path).is_ok());
    }

    #[test]
    fn a_document_dated_before_1970_has_no_last_modified_and_reads_back_as_written() {
        let when = DateTime::<Utc>::from_timestamp(-315_619_200, 0).unwrap();
        let old = Arc::new(Document::new(Format::Html, b"<html>1960</html>".to_vec(), Some(when), 1, None, ""));
        assert!(old.headers.last_modified.is_none());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let mut p = published();
        p.pages.push((Scope::Agency("luu-tru".into()), old));
        write(&path, &TAG, &p).unwrap();
        let (_, read) = read(&path).unwrap();
        assert_eq!(read.pages[2].1.last_modified, Some(when));
        assert!(read.pages[2].1.headers.last_modified.is_none());
    }

    #[test]
    fn a_date_no_http_date_can_say_is_an_error_never_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        write(&path, &TAG, &published()).unwrap();
        let mut b = std::fs::read(&path).unwrap();
        // Every document's Last-Modified (the helper's) moved past 9999, behind a
        // checksum that matches.
        let secs = 1_659_668_400u64.to_le_bytes();
        let far = 300_000_000_000u64.to_le_bytes();
        let mut moved = 0;
        for at in 0..b.len() - 8 {
            if b[at..at + 8] == secs {
                b[at..at + 8].copy_from_slice(&far);
                moved += 1;
            }
        }
        assert!(moved > 0);
        let n = b.len();
        let mut crc = flate2::Crc::new();
        crc.update(&b[12..n - 4]);
        b[n - 4..].copy_from_slice(&crc.sum().to_le_bytes());
        std::fs::write(&path, &b).unwrap();
        assert!(read(&path).is_err());
    }
}
