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
