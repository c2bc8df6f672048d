//! `loa import-opml`: a feed reader's OPML list turned into `[[source]]` tables of a config.
//!
//! Owns choosing each new source's id and agency and editing the config's text with its formatting and comments
//! kept; the result is validated as `loa check` would, so a config that was valid stays valid. It never writes
//! the file (the command does, through `util::atomic`) and never touches the network.

use std::collections::HashSet;

use crate::config::{parse_http_url, Config, ConfigError, Diagnostic};
use crate::model::Outline;

/// What `loa import-opml` did to a config.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// The config text with the new sources appended, its own text untouched.
    pub text: String,
    /// (id, url) of each source added.
    pub added: Vec<(String, String)>,
    /// (url, why) of each feed left out.
    pub skipped: Vec<(String, String)>,
}

/// Appends a `[[source]]` for every feed of an OPML list that the config does not
/// poll yet. Each source's agency is the body its title names, else `agency`;
/// a feed with neither is left out and said so. The result is validated before it
/// is returned, so a config that was valid stays valid.
pub fn import_opml(
    text: &str,
    file: &str,
    outlines: &[Outline],
    agency: Option<&str>,
) -> Result<Imported, ConfigError> {
    let config = Config::parse(text, file)?;
    if let Some(a) = agency {
        if !config.agencies.contains(a) {
            return Err(ConfigError::Invalid(vec![Diagnostic {
                file: "--agency".into(),
                line: 1,
                col: 1,
                message: format!("unknown agency \"{a}\""),
            }]));
        }
    }
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        ConfigError::Invalid(vec![Diagnostic { file: file.into(), line: 1, col: 1, message: e.to_string() }])
    })?;
    let mut ids: HashSet<String> = config.sources.iter().map(|s| s.id.clone()).collect();
    let mut urls: HashSet<String> = config.sources.iter().map(|s| s.url.to_string()).collect();
    let mut out = Imported::default();
    let now = chrono::Utc::now();
    for o in outlines {
        let Some(url) = parse_http_url(&o.xml_url) else {
            out.skipped.push((o.xml_url.clone(), "not an http(s) URL".into()));
            continue;
        };
        if !urls.insert(url.to_string()) {
            out.skipped.push((url.to_string(), "already a source".into()));
            continue;
        }
        let named = config.agencies.find(&o.title).map(|a| a.slug.clone());
        let prefixed = config.agencies.title_prefix(&o.title, now).map(|m| m.agency.slug.clone());
        let Some(agency) = named.or(prefixed).or(agency.map(str::to_string)) else {
            out.skipped.push((url.to_string(), format!("no agency: \"{}\" names none; give --agency SLUG", o.title)));
            continue;
        };
        let base = {
            let s = crate::util::slug::slug(&o.title);
            let s: String = s.chars().take(40).collect::<String>().trim_end_matches('-').to_string();
            if s.is_empty() {
                url.host_str().map(crate::util::slug::slug).unwrap_or_else(|| "source".into())
            } else {
                s
            }
        };
        let mut id = base.clone();
        let mut n = 2;
        while !ids.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        let mut t = toml_edit::Table::new();
        t.insert("id", toml_edit::value(id.clone()));
        t.insert("url", toml_edit::value(url.to_string()));
        t.insert("agency", toml_edit::value(agency));
        match doc.get_mut("source").and_then(|i| i.as_array_of_tables_mut()) {
            Some(array) => array.push(t),
            None => {
                let mut array = toml_edit::ArrayOfTables::new();
                array.push(t);
                doc.insert("source", toml_edit::Item::ArrayOfTables(array));
            }
        }
        out.added.push((id, url.to_string()));
    }
    out.text = doc.to_string();
    Config::parse(&out.text, file)?;
    Ok(out)
}
