//! `loa export --out DIR`: every published document as static files, so nginx, a
//! CDN or object storage can serve audiences one machine cannot.
//!
//! Each file is written beside its final name and renamed into place, so a web
//! server reading the directory never serves half a file. Feeds get a `.gz`
//! twin for `gzip_static`. The store is only read.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::model::FeedKind;
use crate::publish::{opml, Coding, Publisher, Query, Settings, STYLESHEET};
use crate::store::Store;

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

/// Writes every feed (with up to `max_pages` pages each), the index page, the
/// OPML files and the stylesheet under `out`.
pub fn export(config: &Config, store: &Store, out: &Path, max_pages: usize) -> Result<Summary, ExportError> {
    let publisher = Publisher::new(Settings::from_config(config), config.agencies.clone());
    publisher.render_all(store)?;
    let mut summary = Summary::default();
    let mut write = |rel: &str, bytes: &[u8]| write_atomic(out, rel, bytes, &mut summary);
    for (scope, _, _) in publisher.scopes() {
        for kind in FeedKind::ALL {
            let mut query = Query::default();
            for page in 0..max_pages.max(1) {
                let Some(doc) = publisher.query(store, &scope, kind, &query)? else { break };
                let path = match &query.before {
                    None => Settings::path(&scope, kind),
                    Some(c) => Settings::page_path(&scope, kind, c),
                };
                write(&path, doc.body(Coding::Identity))?;
                write(&format!("{path}.gz"), doc.body(Coding::Gzip))?;
                // The next page is the one this page links to.
                match &doc.next {
                    Some(c) if page + 1 < max_pages => query = Query::new(Some(c.clone()), None, None),
                    _ => break,
                }
            }
        }
    }
    let statuses = crate::serve::source_statuses(config, store);
    write("/index.html", crate::serve::index_page(&publisher, &statuses).as_bytes())?;
    write("/feeds.opml", opml::feeds(&publisher).as_bytes())?;
    write("/sources.opml", opml::sources(config, publisher.settings()).as_bytes())?;
    write("/feed.xsl", STYLESHEET.as_bytes())?;
    Ok(summary)
}

fn write_atomic(out: &Path, rel: &str, bytes: &[u8], summary: &mut Summary) -> Result<(), ExportError> {
    let path = out.join(rel.trim_start_matches('/'));
    let err = |source| ExportError::Write { path: path.clone(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    crate::atomic::write_bytes(&path, bytes, |path, source| ExportError::Write { path: path.to_path_buf(), source })?;
    summary.files += 1;
    summary.bytes += bytes.len() as u64;
    Ok(())
}
