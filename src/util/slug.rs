//! Slugs: the ASCII form of a name that agency ids, URLs and folded search text use.

use unicode_normalization::UnicodeNormalization;

use super::text::is_combining_mark;

/// An ASCII slug: NFC-insensitive, tones stripped, `đ→d`, words joined by `-`.
///
/// ```
/// use loa::util::slug::slug;
/// assert_eq!(slug("Ban Dân vận Tỉnh uỷ"), "ban-dan-van-tinh-uy");
/// assert_eq!(slug("BAN DÂN VẬN TỈNH ỦY"), "ban-dan-van-tinh-uy");
/// assert_eq!(slug("Sở NN&PTNT"), "so-nn-ptnt");
/// ```
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if !fold_char(c, &mut word) {
            push_word(&mut out, &mut word);
        }
    }
    push_word(&mut out, &mut word);
    out
}

/// Appends a finished word to a slug, after a dash unless it is the first.
fn push_word(out: &mut String, word: &mut String) {
    if !word.is_empty() {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(word);
        word.clear();
    }
}

/// Appends `c` folded as `slug` folds it (tones stripped, `đ→d`, lower case);
/// false when it separates words: punctuation, spaces and letters outside ASCII.
/// Combining marks belong to their word and add nothing.
pub(crate) fn fold_char(c: char, out: &mut String) -> bool {
    match c {
        'đ' | 'Đ' => out.push('d'),
        c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
        c if c.is_ascii() => return false,
        c if is_combining_mark(c) => {}
        c => {
            let before = out.len();
            out.extend(std::iter::once(c).nfd().filter(char::is_ascii_alphanumeric).map(|d| d.to_ascii_lowercase()));
            return out.len() > before;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_vectors_hold() {
        let tsv = include_str!("../../tests/fixtures/slug-vectors.tsv");
        let mut n = 0;
        for line in tsv.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let (input, expected) = line.split_once('\t').expect("tab-separated row");
            assert_eq!(slug(input), expected, "slug of {input:?}");
            n += 1;
        }
        assert!(n >= 15, "read {n} vectors");
    }
}
