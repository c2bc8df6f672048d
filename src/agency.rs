//! The registry of publishing agencies: slugs, names, aliases, successors.
//!
//! The built-in registry is `config/agencies.json`, compiled in; `[[agency]]` entries
//! of the config add to it or override it. Lookups are insensitive to case, Unicode
//! form and tone placement, because every portal writes names its own way. A name the
//! registry does not know is never forced onto a known agency: it gets its own slug.

use std::collections::HashMap;

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

/// A publishing body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Agency {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The bodies that took over after a merger, if any.
    #[serde(default, rename = "successor", deserialize_with = "one_or_many")]
    pub successors: Vec<String>,
}

/// `"successor": "a"` and `"successor": ["a", "b"]` both occur in the registry.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

#[derive(Deserialize)]
struct RegistryFile {
    agencies: Vec<Agency>,
}

const BUILTIN: &str = include_str!("../config/agencies.json");

/// All known agencies, with an index from every folded name and alias to a slug.
#[derive(Debug, Clone)]
pub struct Registry {
    agencies: Vec<Agency>,
    by_slug: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
}

impl Registry {
    /// The registry compiled into the binary.
    pub fn builtin() -> Registry {
        let file: RegistryFile = serde_json::from_str(BUILTIN)
            .expect("config/agencies.json is valid (checked by tests)");
        let mut reg = Registry {
            agencies: Vec::new(),
            by_slug: HashMap::new(),
            by_name: HashMap::new(),
        };
        for a in file.agencies {
            reg.insert(a);
        }
        reg
    }

    /// Adds an agency, or replaces the one with the same slug.
    pub fn insert(&mut self, agency: Agency) {
        let idx = match self.by_slug.get(&agency.slug) {
            Some(&i) => {
                self.agencies[i] = agency;
                i
            }
            None => {
                self.agencies.push(agency);
                self.agencies.len() - 1
            }
        };
        let a = &self.agencies[idx];
        self.by_slug.insert(a.slug.clone(), idx);
        for name in std::iter::once(&a.name).chain(&a.aliases) {
            self.by_name.insert(slug(name), idx);
        }
    }

    pub fn get(&self, slug: &str) -> Option<&Agency> {
        self.by_slug.get(slug).map(|&i| &self.agencies[i])
    }

    pub fn contains(&self, slug: &str) -> bool {
        self.by_slug.contains_key(slug)
    }

    /// The agency a name or alias denotes, whatever its case, form or tone placement.
    pub fn find(&self, name: &str) -> Option<&Agency> {
        self.by_name.get(&slug(name)).map(|&i| &self.agencies[i])
    }

    /// The display name of a slug: the registry's name, else the slug itself.
    pub fn name_of<'a>(&'a self, slug: &'a str) -> &'a str {
        self.get(slug).map(|a| a.name.as_str()).unwrap_or(slug)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Agency> {
        self.agencies.iter()
    }
}

/// An ASCII slug: NFC-insensitive, tones stripped, `đ→d`, words joined by `-`.
///
/// ```
/// use loa::agency::slug;
/// assert_eq!(slug("Ban Dân vận Tỉnh uỷ"), "ban-dan-van-tinh-uy");
/// assert_eq!(slug("BAN DÂN VẬN TỈNH ỦY"), "ban-dan-van-tinh-uy");
/// assert_eq!(slug("Sở NN&PTNT"), "so-nn-ptnt");
/// ```
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.nfd() {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if is_combining_mark(c) => continue,
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            // Punctuation, spaces and letters outside ASCII all separate words.
            pending_dash = true;
        }
    }
    out
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_vectors_hold() {
        let tsv = include_str!("../tests/fixtures/slug-vectors.tsv");
        let mut n = 0;
        for line in tsv.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let (input, expected) = line.split_once('\t').expect("tab-separated row");
            assert_eq!(slug(input), expected, "slug of {input:?}");
            n += 1;
        }
        assert!(n >= 15, "read {n} vectors");
    }

    #[test]
    fn builtin_registry_loads_and_finds_aliases() {
        let reg = Registry::builtin();
        assert!(reg.contains("ban-dan-van-tinh-uy"));
        assert_eq!(
            reg.find("UBKT Tỉnh uỷ").unwrap().slug,
            "uy-ban-kiem-tra-tinh-uy"
        );
        assert_eq!(
            reg.find("hội lhpn TỈNH").unwrap().slug,
            "hoi-lien-hiep-phu-nu-tinh"
        );
        assert!(reg.find("Huyện ủy Giồng Trôm").is_none());
    }

    #[test]
    fn config_entries_override_by_slug() {
        let mut reg = Registry::builtin();
        reg.insert(Agency {
            slug: "tinh-uy".into(),
            name: "Tỉnh ủy Vĩnh Long".into(),
            aliases: vec![],
            successors: vec![],
        });
        assert_eq!(reg.name_of("tinh-uy"), "Tỉnh ủy Vĩnh Long");
        assert_eq!(reg.iter().filter(|a| a.slug == "tinh-uy").count(), 1);
    }
}
