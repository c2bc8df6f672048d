//! `loa export --out DIR`: every published document as static files — the feeds
//! and the reading view's pages, with the page of every story they list — so
//! nginx, a CDN or object storage can serve audiences one machine cannot.
//!
//! Each file is written beside its final name and renamed into place, so a web
//! server reading the directory never serves half a file. Feeds and pages get a
//! `.gz` twin for `gzip_static`; a page whose path ends in `/` is written as its
//! `index.html`. Search needs loa itself. The store is only read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::publish::{opml, page, Coding, Document, Publisher, Settings, STYLESHEET};
use crate::store::{Cursor, Store};

/// What an export wrote.
#[derive(Debug, Default)]
pub struct Summary {
    pub files: usize,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Writes every feed and every stream page (with up to `max_pages` pages each), the
/// page of every story they list, the agencies page, the OPML files and the
/// stylesheets under `out`.
pub fn export(config: &Config, store: &Store, out: &Path, max_pages: usize) -> Result<Summary, ExportError> {
    let publisher = Publisher::new(Settings::from_config(config), config.agencies.clone());
    publisher.render_all(store)?;
    let mut summary = Summary::default();
    let mut write = |rel: &str, bytes: &[u8]| write_atomic(out, rel, bytes, &mut summary);
    let mut stories = BTreeSet::new();
    for (scope, _, _) in publisher.scopes() {
        let mut before: Option<Cursor> = None;
        for page in 0..max_pages.max(1) {
            let Some(listing) = publisher.listing(store, &scope, before.as_ref())? else { break };
            for (kind, doc) in &listing.feeds {
                let path = match &before {
                    None => Settings::path(&scope, *kind),
                    Some(c) => Settings::page_path(&scope, *kind, c),
                };
                write_page(&mut write, &path, doc)?;
            }
            write_page(&mut write, &page::stream_path(&scope, before.as_ref()), &listing.page)?;
            stories.extend(listing.stories);
            // The next page is the one this page links to.
            match listing.page.next {
                Some(c) if page + 1 < max_pages => before = Some(c),
                _ => break,
            }
        }
    }
    for id in &stories {
        if let Some(doc) = publisher.story_page(store, id)? {
            write_page(&mut write, &page::story_path(id), &doc)?;
        }
    }
    if let Some(doc) = publisher.agencies_page() {
        write_page(&mut write, page::AGENCIES_PATH, &doc)?;
    }
    write_page(&mut write, "/404.html", &publisher.not_found_page())?;
    write_page(&mut write, page::STYLE_PATH, &publisher.style())?;
    write("/feeds.opml", opml::feeds(&publisher).as_bytes())?;
    write("/sources.opml", opml::sources(config, publisher.settings()).as_bytes())?;
    write("/feed.xsl", STYLESHEET.as_bytes())?;
    Ok(summary)
}

/// A document and its `.gz` twin; a path ending in `/` as its `index.html`.
fn write_page(
    write: &mut impl FnMut(&str, &[u8]) -> Result<(), ExportError>,
    path: &str,
    doc: &Document,
) -> Result<(), ExportError> {
    let file = if path.ends_with('/') { format!("{path}index.html") } else { path.to_string() };
    write(&file, doc.body(Coding::Identity))?;
    write(&format!("{file}.gz"), doc.body(Coding::Gzip))
}

fn write_atomic(out: &Path, rel: &str, bytes: &[u8], summary: &mut Summary) -> Result<(), ExportError> {
    let path = out.join(rel.trim_start_matches('/'));
    let err = |source| ExportError::Write { path: path.clone(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    crate::util::atomic::write_bytes(&path, bytes, |path, source| ExportError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    summary.files += 1;
    summary.bytes += bytes.len() as u64;
    Ok(())
}
