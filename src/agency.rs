//! The registry of publishing agencies: slugs, names, aliases, successors.
//!
//! The built-in registry is `config/agencies.json`, compiled in; `[[agency]]` entries
//! of the config add to it or override it. Lookups are insensitive to case, Unicode
//! form and tone placement, because every portal writes names its own way. A name the
//! registry does not know is never forced onto a known agency: it gets its own slug.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
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
    /// The last month the body existed under this name (`2025-03`), if it ended.
    #[serde(default)]
    pub until: Option<String>,
}

/// Why an item was credited to its agency, for `loa inspect` and the logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Evidence {
    /// An author or `dc:creator` of the form `Tên (Cơ quan)`.
    AuthorByline(String),
    /// An author or `dc:creator` that is itself a body.
    AuthorOrganisation(String),
    /// A byline `Tên (Cơ quan)` closing the content.
    ContentByline(String),
    /// A title that starts with a body's name.
    TitlePrefix(String),
    /// Nothing named another body: the source's own agency.
    SourceDefault,
    /// A body the registry does not know, named past the number of such bodies one
    /// source may add as agencies: the source's own agency (the first evidence kept).
    PastCap { named: String, cap: usize },
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Evidence::AuthorByline(s) => write!(f, "author byline \"{s}\""),
            Evidence::AuthorOrganisation(s) => write!(f, "author is the body \"{s}\""),
            Evidence::ContentByline(s) => write!(f, "byline closing the content \"{s}\""),
            Evidence::TitlePrefix(s) => write!(f, "title starts with \"{s}\""),
            Evidence::SourceDefault => f.write_str("the source's default agency"),
            Evidence::PastCap { named, cap } => write!(
                f,
                "the source's default agency: {named} names a body the registry does not know, and this source already added {cap} such agencies (add it with [[agency]] to credit it)"
            ),
        }
    }
}

/// The first words of names that denote a body, as slugs: a name in a byline that
/// starts so is an organisation even when the registry does not know it (a district
/// committee), and gets its own slug rather than a wrong one.
const ORG_HEADS: &[&str] = &[
    "ban",
    "so",
    "hoi",
    "uy-ban",
    "ubnd",
    "hdnd",
    "ubmttq",
    "mttq",
    "mat-tran",
    "huyen-uy",
    "thanh-uy",
    "thi-uy",
    "tinh-uy",
    "quan-uy",
    "dang-uy",
    "dang-bo",
    "chi-bo",
    "doan",
    "tinh-doan",
    "huyen-doan",
    "thanh-doan",
    "van-phong",
    "bao",
    "dai",
    "truong",
    "trung-tam",
    "lien-doan",
    "lien-hiep",
    "thanh-tra",
    "phong",
    "chi-cuc",
    "cuc",
    "cong-an",
    "bo-chi-huy",
    "vien",
    "benh-vien",
    "kho-bac",
    "toa-an",
    "ngan-hang",
    "hoi-dong",
    "ubkt",
    "quy",
    "bch",
    "btv",
    "thuong-truc",
    "tong-cong-ty",
    "cong-ty",
    "hop-tac-xa",
    "bo",
];

/// The most characters a body's name has: the longest in the registry has about
/// forty, so anything far longer (a paragraph in an author field) is not a name.
const MAX_NAME_CHARS: usize = 100;

/// Whether a name reads as a body rather than a person or a photo credit.
pub fn looks_like_organisation(name: &str) -> bool {
    if name.chars().nth(MAX_NAME_CHARS).is_some() || name.contains(':') {
        return false;
    }
    let s = slug(name);
    if s.is_empty() {
        return false;
    }
    ORG_HEADS.iter().any(|h| s == *h || (s.starts_with(h) && s.as_bytes().get(h.len()) == Some(&b'-')))
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
    /// Short one-word abbreviations (`TU`, `STP`), by slug: in titles they only
    /// count when written exactly so, or "Tu bổ…" would be the Party Committee.
    abbreviations: HashMap<String, String>,
    /// The length of the longest key of `by_name`: no longer title prefix can match.
    longest: usize,
}

impl Registry {
    /// The registry compiled into the binary.
    pub fn builtin() -> Registry {
        let file: RegistryFile =
            serde_json::from_str(BUILTIN).expect("config/agencies.json is valid (checked by tests)");
        let mut reg = Registry {
            agencies: Vec::new(),
            by_slug: HashMap::new(),
            by_name: HashMap::new(),
            abbreviations: HashMap::new(),
            longest: 0,
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
        // A replaced agency's old names and aliases no longer denote it.
        self.by_name.retain(|_, i| *i != idx);
        let a = &self.agencies[idx];
        self.by_slug.insert(a.slug.clone(), idx);
        for name in std::iter::once(&a.name).chain(&a.aliases) {
            let key = slug(name);
            if !name.contains(' ') && name.chars().count() <= 6 {
                self.abbreviations.insert(key.clone(), name.clone());
            }
            self.longest = self.longest.max(key.len());
            self.by_name.insert(key, idx);
        }
        self.abbreviations.retain(|key, _| self.by_name.contains_key(key));
    }

    /// The agency a body's name denotes on `date`: a known one (followed to its
    /// successor when it had ended by then), or a new one named after a name that
    /// reads as a body. `None` for a person or anything else.
    pub fn resolve(&self, name: &str, date: DateTime<Utc>) -> Option<(String, String)> {
        match self.find(name) {
            Some(a) => {
                let a = self.successor_on(a, date);
                Some((a.slug.clone(), a.name.clone()))
            }
            None if looks_like_organisation(name) => Some((slug(name), crate::normalize::text::clean(name))),
            None => None,
        }
    }

    /// The agency whose name or alias opens a title, longest match first.
    pub fn title_prefix(&self, title: &str, date: DateTime<Utc>) -> Option<(&Agency, String)> {
        let s = slug(title);
        // Only prefixes as long as a known name can match: a long title costs one
        // slug, not a lookup (and a hash of the prefix) per word.
        let ends: Vec<usize> = s
            .match_indices('-')
            .map(|(i, _)| i)
            .chain(std::iter::once(s.len()))
            .take_while(|&end| end <= self.longest)
            .collect();
        for end in ends.into_iter().rev() {
            let key = &s[..end];
            let Some(&i) = self.by_name.get(key) else {
                continue;
            };
            if let Some(abbr) = self.abbreviations.get(key) {
                let exact = title.trim_start().strip_prefix(abbr.as_str());
                if exact.is_none_or(|rest| rest.starts_with(char::is_alphanumeric)) {
                    continue;
                }
            }
            let matched: String = title.split_whitespace().take(key.split('-').count()).collect::<Vec<_>>().join(" ");
            return Some((self.successor_on(&self.agencies[i], date), matched));
        }
        None
    }

    /// A body that had ended by `date` is credited to its one successor; with
    /// several successors the old name stays, since which one is a guess.
    fn successor_on<'a>(&'a self, a: &'a Agency, date: DateTime<Utc>) -> &'a Agency {
        let ended = a.until.as_deref().and_then(parse_month).is_some_and(|(y, m)| (date.year(), date.month()) > (y, m));
        match (ended, a.successors.as_slice()) {
            (true, [one]) => self.get(one).unwrap_or(a),
            _ => a,
        }
    }

    pub fn get(&self, slug: &str) -> Option<&Agency> {
        self.by_slug.get(slug).map(|&i| &self.agencies[i])
    }

    pub fn contains(&self, slug: &str) -> bool {
        self.by_slug.contains_key(slug)
    }

    /// The agency a name or alias denotes, whatever its case, form or tone
    /// placement; an abbreviation only as written (`TU`, not the name `Tú`).
    pub fn find(&self, name: &str) -> Option<&Agency> {
        let key = slug(name);
        if self.abbreviations.get(&key).is_some_and(|abbr| abbr != name.trim()) {
            return None;
        }
        self.by_name.get(&key).map(|&i| &self.agencies[i])
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
            c if crate::normalize::text::is_combining_mark(c) => continue,
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

/// `2025-03` (or `2025-3`) → (2025, 3); `None` for anything else.
pub fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || !(1..=2).contains(&m.len()) {
        return None;
    }
    let (y, m) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some((y, m))
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
        assert_eq!(reg.find("UBKT Tỉnh uỷ").unwrap().slug, "uy-ban-kiem-tra-tinh-uy");
        assert_eq!(reg.find("hội lhpn TỈNH").unwrap().slug, "hoi-lien-hiep-phu-nu-tinh");
        assert!(reg.find("Huyện ủy Giồng Trôm").is_none());
    }

    #[test]
    fn resolves_unknown_bodies_to_their_own_slug_and_never_people() {
        let reg = Registry::builtin();
        let d: DateTime<Utc> = "2022-08-05T00:00:00Z".parse().unwrap();
        assert_eq!(reg.resolve("Huyện ủy Giồng Trôm", d).unwrap().0, "huyen-uy-giong-trom");
        assert_eq!(reg.resolve("Sở NN&PTNT", d).unwrap().0, "so-nong-nghiep-va-phat-trien-nong-thon");
        assert_eq!(reg.resolve("Nguyễn Hiếu", d), None);
        assert_eq!(reg.resolve("Ảnh: Nguyễn Diễm", d), None);
        assert_eq!(reg.resolve("Cổng TTĐT tỉnh", d), None);
        assert_eq!(reg.resolve("TU", d).unwrap().0, "tinh-uy");
        for person in ["Tú", "Tư", "tu"] {
            assert_eq!(reg.resolve(person, d), None, "{person} is a name, not the abbreviation TU");
        }
    }

    #[test]
    fn builtin_end_months_are_months() {
        for a in Registry::builtin().iter() {
            if let Some(until) = &a.until {
                assert!(parse_month(until).is_some(), "{}: until = {until:?}", a.slug);
            }
        }
        assert_eq!(parse_month("2025-03"), Some((2025, 3)));
        assert_eq!(parse_month("2025-3"), Some((2025, 3)));
        for bad in ["2025-13", "2025-00", "2025-03-15", "25-03", "March 2025"] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }

    #[test]
    fn ended_bodies_pass_to_their_successor() {
        let reg = Registry::builtin();
        let before: DateTime<Utc> = "2024-05-01T00:00:00Z".parse().unwrap();
        let after: DateTime<Utc> = "2025-09-01T00:00:00Z".parse().unwrap();
        assert_eq!(reg.resolve("Ban Dân vận Tỉnh ủy", before).unwrap().0, "ban-dan-van-tinh-uy");
        assert_eq!(reg.resolve("Ban Dân vận Tỉnh ủy", after).unwrap().0, "ban-tuyen-giao-va-dan-van-tinh-uy");
    }

    #[test]
    fn title_prefixes_respect_word_boundaries_and_abbreviation_case() {
        let reg = Registry::builtin();
        let d: DateTime<Utc> = "2022-08-05T00:00:00Z".parse().unwrap();
        let p = |t: &str| reg.title_prefix(t, d).map(|(a, m)| (a.slug.clone(), m));
        assert_eq!(p("UBND tỉnh họp phiên thường kỳ tháng 7/2022").unwrap(), ("ubnd-tinh".into(), "UBND tỉnh".into()));
        assert_eq!(p("Sở NN&PTNT triển khai kế hoạch").unwrap().0, "so-nong-nghiep-va-phat-trien-nong-thon");
        assert_eq!(p("Thường trực HĐND tỉnh giám sát").unwrap().0, "hdnd-tinh");
        assert_eq!(p("Tu bổ di tích đình Phú Lễ"), None);
        assert_eq!(p("Ban Dân vận Huyện ủy Giồng Trôm sơ kết"), None);
        assert_eq!(p("Nông dân Chợ Lách tất bật"), None);
    }

    #[test]
    fn long_titles_and_authors_cost_little() {
        let reg = Registry::builtin();
        let d: DateTime<Utc> = "2022-08-05T00:00:00Z".parse().unwrap();
        // 100 000 words: one lookup per word prefix took minutes here (timed by
        // bench/hostile-rss.sh, never by a test).
        let title = format!("UBND tỉnh {}", "họp ".repeat(100_000));
        assert_eq!(reg.title_prefix(&title, d).unwrap().0.slug, "ubnd-tinh");
        assert_eq!(reg.title_prefix(&"Ban-".repeat(100_000), d), None);
        // A paragraph in an author field is not a body, whatever its first word.
        assert_eq!(reg.resolve(&"Ban chỉ đạo ".repeat(50), d), None);
        assert!(looks_like_organisation("Ban Chỉ huy Quân sự huyện Giồng Trôm"));
    }

    #[test]
    fn config_entries_override_by_slug() {
        let mut reg = Registry::builtin();
        reg.insert(Agency {
            slug: "tinh-uy".into(),
            name: "Tỉnh ủy Vĩnh Long".into(),
            aliases: vec![],
            successors: vec![],
            until: None,
        });
        assert_eq!(reg.name_of("tinh-uy"), "Tỉnh ủy Vĩnh Long");
        assert_eq!(reg.iter().filter(|a| a.slug == "tinh-uy").count(), 1);
        assert!(reg.find("TU").is_none(), "an alias the override dropped no longer matches");
        assert_eq!(reg.find("Tỉnh ủy Vĩnh Long").unwrap().slug, "tinh-uy");
    }
}
