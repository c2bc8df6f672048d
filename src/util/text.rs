//! Plain text as readers should see it: one decoding of stray entities, NFC,
//! no control characters (Windows-1252's C1 range read as Windows-1252), no
//! markup in titles, single spaces.

use unicode_normalization::UnicodeNormalization;

/// Cleans a title or other plain-text field.
///
/// Entities still present after XML parsing (`&amp;amp;` in CDATA, `&#038;`,
/// `&aacute;`, `&nbsp;`) are decoded once — never repeatedly, so that a title
/// about "&amp;" written on purpose keeps one level.
pub fn clean(text: &str) -> String {
    if text.contains('&') {
        settle(&html_escape::decode_html_entities(text))
    } else {
        settle(text)
    }
}

/// `clean` for text whose entities are decoded already: NFC, plain characters,
/// single spaces.
pub fn settle(text: &str) -> String {
    // Most text arrives in NFC already; checking is much cheaper than recomposing.
    if is_nfc(text) {
        if ordinary(text) {
            // What `collapse` does, a word at a time rather than a character.
            let mut out = String::with_capacity(text.len());
            for word in text.split_whitespace() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
            return out;
        }
        collapse(text.chars().map(plain_char))
    } else {
        collapse(text.nfc().map(plain_char))
    }
}

/// Whether `text` holds nothing `plain_char` or `collapse` treat otherwise than
/// as a letter or a space: no control character but tab and line breaks, no
/// zero-width space or BOM, no noncharacter U+FFFE/U+FFFF. Told from the bytes.
fn ordinary(text: &str) -> bool {
    let b = text.as_bytes();
    !b.iter().enumerate().any(|(i, &c)| match c {
        0..=0x1F => !matches!(c, b'\t' | b'\n' | b'\r'),
        0x7F => true,
        // C1 controls.
        0xC2 => b.get(i + 1).is_some_and(|&next| next < 0xA0),
        // U+200B.
        0xE2 => b.get(i + 1..i + 3) == Some(&[0x80, 0x8B]),
        // U+FEFF, U+FFFE, U+FFFF.
        0xEF => matches!(b.get(i + 1..i + 3), Some([0xBB, 0xBF] | [0xBF, 0xBE] | [0xBF, 0xBF])),
        _ => false,
    })
}

/// Whether `text` is in NFC for certain (`unicode_normalization::is_nfc_quick`
/// answers Yes). Vietnamese is written with the letters of the Latin blocks and a
/// little punctuation, all starters NFC allows wherever they stand: a text of those
/// alone is told without looking each character up.
pub fn is_nfc(text: &str) -> bool {
    text.chars().all(|c| matches!(c, '\0'..='\u{2FF}' | '\u{1E00}'..='\u{1EFF}' | '\u{2010}'..='\u{2027}'))
        || unicode_normalization::is_nfc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes
}

/// Windows-1252's characters at 0x80–0x9F, where Latin-1 has C1 controls; a space
/// where Windows-1252 has none either.
const WINDOWS_1252: [char; 32] = [
    '€', ' ', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', ' ', 'Ž', ' ', //
    ' ', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', ' ', 'ž', 'Ÿ',
];

/// A character as text should hold it. A C1 control is a Windows-1252 byte that
/// went through Latin-1 (`&#146;`, old CMSs): it is read as Windows-1252, as HTML5
/// reads `&#146;`. Any other control stands between words, so it becomes a space
/// rather than gluing them. Tabs and line breaks stay.
fn plain_char(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' => c,
        '\u{80}'..='\u{9F}' => WINDOWS_1252[c as usize - 0x80],
        c if c.is_control() => ' ',
        c => c,
    }
}

/// `text` with every character through `plain_char`; borrowed when nothing changes.
pub fn plain_chars(text: &str) -> std::borrow::Cow<'_, str> {
    // Bytes first: a control is an ASCII byte below 0x20 or 0x7F, or C2 80–C2 9F.
    let b = text.as_bytes();
    let suspect = b.iter().enumerate().any(|(i, &c)| {
        (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r'))
            || c == 0x7F
            || (c == 0xC2 && b.get(i + 1).is_some_and(|&next| next < 0xA0))
    });
    if suspect {
        text.chars().map(plain_char).collect::<String>().into()
    } else {
        text.into()
    }
}

/// Cleans a title, then removes what content systems glue onto titles: markup
/// (Atom `type="html"`, tags in CDATA, escaped tags), a leaked `null` before it, a
/// "New"/"Mới" badge after it.
pub fn title(text: &str) -> String {
    let mut t = clean(text);
    // After `clean`, so escaped tags (`&lt;i&gt;`) go too.
    if has_markup(&t) {
        t = collapse(strip_tags(&t).chars());
    }
    let mut t = unify_tones(&t);
    for prefix in ["null ", "NULL ", "null", "undefined "] {
        if let Some(rest) = t.strip_prefix(prefix) {
            // "nullPhó Bí thư…": only when what follows starts a word; "null Phó…"
            // only before a Vietnamese title, as with badges ("NULL pointers" stays).
            let glued = !prefix.ends_with(' ') && rest.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit());
            if glued || prefix.ends_with(' ') && !rest.is_ascii() {
                t = rest.trim_start().to_string();
                break;
            }
        }
    }
    for badge in ["New", "NEW", "new", "Mới", "MỚI"] {
        let Some(rest) = t.strip_suffix(badge) else {
            continue;
        };
        let glued_to = rest.chars().next_back();
        // Glued to a digit, a Vietnamese letter or punctuation ("…2022New"), or
        // after a space in a Vietnamese title: a badge, not an English word.
        let badge_like = match glued_to {
            Some(c) if c.is_whitespace() => !rest.is_ascii() && badge != "Mới" && badge != "MỚI",
            Some(c) => !(c.is_ascii_alphabetic() || badge.starts_with('M') && c.is_alphabetic()),
            None => false,
        };
        if badge_like {
            t = rest.trim_end().to_string();
            break;
        }
    }
    t
}

/// Puts tone marks where most provincial portals put them: on the first vowel of
/// an open `oa`, `oe`, `uy` (`uỷ`→`ủy`, `hoà`→`hòa`, `khoẻ`→`khỏe`), so one title
/// reads the same whichever site carried it. Closed syllables (`hoàn`) and `qu`
/// (`quý`) are left as they are: there the placement is not a matter of style.
pub fn unify_tones(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut word: Vec<char> = Vec::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_alphabetic() {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            move_tone(&mut word);
            out.extend(word.drain(..));
        }
        out.push(c);
    }
    out.pop();
    out
}

/// The five Vietnamese tone marks, as combining characters (NFD).
pub const TONES: [char; 5] = ['\u{0300}', '\u{0301}', '\u{0303}', '\u{0309}', '\u{0323}'];

/// A combining mark of the Unicode blocks text in the wild uses (NFD tones and
/// vowel marks, and their rarer extensions).
pub fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}')
}

fn move_tone(word: &mut [char]) {
    let n = word.len();
    // Only a bare `o` or `u` before the last letter can start an open pair: most
    // words stop here, before any decomposing.
    if n < 2 || !matches!(word[n - 2], 'o' | 'O' | 'u' | 'U') {
        return;
    }
    // Split the last two letters into base and tone.
    let split = |c: char| -> (char, Option<char>, String) {
        let mut base = None;
        let mut tone = None;
        let mut other = String::new();
        for d in std::iter::once(c).nfd() {
            if base.is_none() {
                base = Some(d);
            } else if TONES.contains(&d) {
                tone = Some(d);
            } else {
                other.push(d);
            }
        }
        (base.unwrap_or(c), tone, other)
    };
    let (b1, t1, o1) = split(word[n - 2]);
    let (b2, t2, o2) = split(word[n - 1]);
    let pair = (b1.to_ascii_lowercase(), b2.to_ascii_lowercase());
    let after_q = n >= 3 && word[n - 3].eq_ignore_ascii_case(&'q');
    let open_pair = matches!(pair, ('o', 'a') | ('o', 'e')) || (pair == ('u', 'y') && !after_q);
    if !open_pair || !o1.is_empty() || !o2.is_empty() || t1.is_some() {
        return;
    }
    let Some(tone) = t2 else { return };
    let compose = |base: char, tone: Option<char>| -> char {
        let s: String = std::iter::once(base).chain(tone).collect::<String>().nfc().collect();
        s.chars().next().unwrap_or(base)
    };
    word[n - 2] = compose(b1, Some(tone));
    word[n - 1] = compose(b2, None);
}

/// Removes a source tag that portals put before a summary: `(DVTU) - `, `CTTĐT - `,
/// `BĐK – `. Works on HTML: the tag is looked for in the first text.
pub fn strip_summary_prefix(html: &str) -> String {
    // Skip leading tags to the first text.
    let mut start = 0;
    while html[start..].starts_with('<') {
        match html[start..].find('>') {
            Some(end) => start += end + 1,
            None => return html.to_string(),
        }
    }
    let text = &html[start..];
    let (token, rest) = match text.strip_prefix('(') {
        Some(inner) => match inner.split_once(')') {
            Some((tok, rest)) => (tok, rest),
            None => return html.to_string(),
        },
        None => match text.find([' ', '-', '–', '—']) {
            Some(i) => (&text[..i], &text[i..]),
            None => return html.to_string(),
        },
    };
    let is_tag = (2..=12).contains(&token.chars().count())
        && token.chars().all(|c| c.is_uppercase() || c.is_ascii_digit() || c == '&' || c == '.');
    let rest = rest.trim_start();
    let Some(after) = rest.strip_prefix(['-', '–', '—', ':']) else {
        return html.to_string();
    };
    if !is_tag || !after.starts_with(char::is_whitespace) {
        return html.to_string();
    }
    format!("{}{}", &html[..start], after.trim_start())
}

/// Control characters removed and whitespace (and zero-width spaces) collapsed;
/// no NFC: callers that need it normalize first.
pub fn collapse(chars: impl Iterator<Item = char>) -> String {
    // A `Chars` promises at least a quarter of its bytes: room for all of them.
    let mut out = String::with_capacity(chars.size_hint().0.saturating_mul(4));
    let mut space = false;
    for c in chars {
        if c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}' {
            space = true;
        } else if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') {
            continue;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

/// Removes characters XML 1.0 forbids, keeping tabs and newlines.
pub fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    // Bytes first: every illegal character is an ASCII control or starts EF BF.
    let suspect = text.bytes().any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF);
    if suspect && text.chars().any(is_xml_illegal) {
        text.chars().filter(|c| !is_xml_illegal(*c)).collect::<String>().into()
    } else {
        text.into()
    }
}

fn is_xml_illegal(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// The text of some HTML, for titles derived from content and for search.
pub fn html_to_text(html: &str) -> String {
    clean(&strip_tags(html))
}

/// Whether a title holds HTML rather than a literal `<`: a tag of an element titles
/// carry (`<i>`, `</b>`, `<br/>`), a comment or a CDATA section. "a < b", "<3",
/// "Vec<T>" and "Name <email>" are text.
fn has_markup(text: &str) -> bool {
    const TITLE_TAGS: &[&str] = &[
        "a", "abbr", "b", "big", "br", "cite", "code", "del", "dfn", "div", "em", "font", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "ins", "kbd", "mark", "p", "q", "s", "small", "span", "strike", "strong", "sub", "sup",
        "tt", "u", "var", "wbr",
    ];
    text.match_indices('<').any(|(i, _)| {
        let after = &text[i + 1..];
        let tag = after.strip_prefix('/').unwrap_or(after);
        let name = tag_name(tag);
        let rest = &tag[name.len()..];
        after.starts_with("!--")
            || after.starts_with("![CDATA[")
            || (rest.starts_with(['>', '/', ' ', '\t', '\n'])
                && TITLE_TAGS.iter().any(|t| t.eq_ignore_ascii_case(name)))
    })
}

/// HTML with its tags taken out: an inline tag or a comment leaves nothing, so
/// "H<sub>2</sub>O" stays one word, any other tag a space. A `<` that opens no tag
/// (not followed by a letter, `/`, `!` or `?`, or never closed) is text, as in HTML;
/// a CDATA section (titles wrapped twice by a CMS) keeps its text and markup.
/// Entities and spacing are left as they are.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        if let Some(inner) = after.strip_prefix("![CDATA[") {
            rest = inner;
            continue;
        }
        if !after.starts_with(|c: char| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?')) {
            out.push('<');
            rest = after;
            continue;
        }
        let Some(gt) = tag_end(after) else {
            // Nothing closes it: the rest is text.
            out.push_str(&rest[lt..]);
            rest = "";
            break;
        };
        if !is_inline(&after[..gt]) {
            out.push(' ');
        }
        rest = &after[gt + 1..];
    }
    out.push_str(rest);
    // The end of a CDATA section; never in sanitized HTML, where `>` is escaped.
    if out.contains("]]>") {
        out = out.replace("]]>", "");
    }
    out
}

/// Where the tag that `tag` starts (just after its `<`) ends: the first `>` outside
/// a quoted attribute value, so `alt="a<br>b"` stays within its tag.
pub(crate) fn tag_end(tag: &str) -> Option<usize> {
    let b = tag.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'>' => return Some(i),
            // A quote opens a value only right after `=`, as in HTML: `href=x"` is no quote.
            b'=' if !tag.starts_with('!') => {
                i += 1;
                while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                    i += 1;
                }
                if let Some(&quote @ (b'"' | b'\'')) = b.get(i) {
                    i += 1 + tag[i + 1..].find(char::from(quote))? + 1;
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Whether a tag (its text between `<` and `>`) is one of the inline elements that
/// sit inside words, or a comment.
fn is_inline(tag: &str) -> bool {
    if tag.starts_with('!') {
        return true;
    }
    const INLINE: &[&str] = &[
        "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins", "kbd",
        "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
    ];
    let name = tag_name(tag.strip_prefix('/').unwrap_or(tag));
    INLINE.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// The element name a tag's text starts with (after `<` or `</`).
pub(crate) fn tag_name(tag: &str) -> &str {
    &tag[..tag.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(tag.len())]
}

/// Elements that never nest: void ones, and those a next sibling closes (`<p>` and
/// `<li>` are often never closed in old pages, and do not nest when they are not).
const FLAT: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr", "p",
    "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot", "colgroup", "rb", "rt", "rp",
];

/// How deep the elements of some HTML nest, at most, counting start and end tags
/// as written (one linear pass; a closing tag of nothing open counts nothing).
pub fn nesting_depth(html: &str) -> usize {
    let (mut depth, mut deepest, mut pos) = (0usize, 0usize, 0);
    while let Some(lt) = html[pos..].find('<') {
        let at = pos + lt + 1;
        let rest = &html[at..];
        let Some(gt) = tag_end(rest) else { break };
        let tag = &rest[..gt];
        pos = at + gt + 1;
        let (closing, tag) = match tag.strip_prefix('/') {
            Some(name) => (true, name),
            None => (false, tag),
        };
        let name = tag_name(tag);
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        if FLAT.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else if !tag.ends_with('/') {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_titles() {
        assert_eq!(clean("Sở NN&amp;PTNT"), "Sở NN&PTNT");
        assert_eq!(clean("A &#038; B&nbsp;C"), "A & B C");
        assert_eq!(clean("  Ho\u{0300}a\n\t bi\u{0300}nh \u{7} "), "Hòa bình");
        assert_eq!(clean("&amp;amp;"), "&amp;");
    }

    #[test]
    fn nfc_is_told_without_the_tables_only_for_starters_nfc_allows() {
        use unicode_normalization::char::canonical_combining_class;
        use unicode_normalization::{is_nfc_quick, IsNormalized};
        let told = ['\0'..='\u{2FF}', '\u{1E00}'..='\u{1EFF}', '\u{2010}'..='\u{2027}'];
        for c in told.into_iter().flatten() {
            assert_eq!(canonical_combining_class(c), 0, "{c:?}");
            assert_eq!(is_nfc_quick(std::iter::once(c)), IsNormalized::Yes, "{c:?}");
            assert!(is_nfc(&format!("Tỉnh {c} ủy")), "{c:?}");
        }
        assert!(is_nfc("Phó Bí thư Thường trực Tỉnh ủy “dự” hội nghị – 2022…"));
        assert!(!is_nfc("Ho\u{300}a bi\u{300}nh"));
        assert!(!is_nfc("a\u{301}\u{323}"));
        assert!(!is_nfc("\u{2126}"), "a singleton");
        assert!(is_nfc("日本 ✓"));
    }

    #[test]
    fn ordinary_text_collapses_a_word_at_a_time_as_character_by_character() {
        let pieces = [
            "chữ", "x", " ", "  ", "\t", "\n", "\r\n", "\u{A0}", "\u{3000}", "\u{2028}", "\u{85}", "\u{92}", "\u{1}",
            "\u{B}", "\u{7F}", "\u{200B}", "\u{FEFF}", "\u{FFFE}", "\u{FFFF}", "\u{1F}", "ủy", "—", "\u{2060}",
        ];
        let mut seed = 7;
        let (mut fast, mut slow) = (0, 0);
        for _ in 0..20_000 {
            let mut text = String::new();
            seed = crate::util::hash::splitmix64(seed);
            for _ in 0..seed % 12 {
                seed = crate::util::hash::splitmix64(seed);
                text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            let by_char = collapse(text.chars().map(plain_char));
            assert_eq!(settle(&text), by_char, "{text:?}");
            if ordinary(&text) {
                fast += 1;
            } else {
                slow += 1;
            }
        }
        assert!(fast > 1_000 && slow > 1_000, "{fast} ordinary, {slow} not");
    }

    #[test]
    fn unifies_tone_placement() {
        assert_eq!(unify_tones("Tỉnh uỷ"), "Tỉnh ủy");
        assert_eq!(unify_tones("HOÀ BÌNH, khoẻ, Thuỷ"), "HÒA BÌNH, khỏe, Thủy");
        assert_eq!(unify_tones("hoàn thành quý tuỳ"), "hoàn thành quý tùy");
        assert_eq!(unify_tones("Ủy ban"), "Ủy ban");
        assert_eq!(title("Phó Bí thư Thường trực Tỉnh uỷ dự hội nghị"), "Phó Bí thư Thường trực Tỉnh ủy dự hội nghị");
    }

    #[test]
    fn strips_cms_artifacts() {
        assert_eq!(title("Hội nghị năm 2022New"), "Hội nghị năm 2022");
        assert_eq!(title("Hội nghị dân vận New"), "Hội nghị dân vận");
        assert_eq!(title("nullPhó Bí thư dự hội nghị"), "Phó Bí thư dự hội nghị");
        assert_eq!(title("null Phó Bí thư dự hội nghị"), "Phó Bí thư dự hội nghị");
        assert_eq!(title("NULL pointers considered harmful"), "NULL pointers considered harmful");
        assert_eq!(title("undefined behavior in C"), "undefined behavior in C");
        assert_eq!(title("What is New"), "What is New");
        assert_eq!(title("Nông thôn mới"), "Nông thôn mới");
        assert_eq!(title("Xây dựng nông thôn Mới"), "Xây dựng nông thôn Mới");
        assert_eq!(strip_summary_prefix("<p>(DVTU) - Chiều 04/8/2022"), "<p>Chiều 04/8/2022");
        assert_eq!(strip_summary_prefix("CTTĐT - Sáng nay"), "Sáng nay");
        assert_eq!(strip_summary_prefix("BĐK – Sáng nay"), "Sáng nay");
        assert_eq!(strip_summary_prefix("Sáng 5/8 - hội nghị"), "Sáng 5/8 - hội nghị");
        assert_eq!(strip_summary_prefix("(Ảnh) - x"), "(Ảnh) - x");
    }

    #[test]
    fn html_to_text_drops_tags() {
        assert_eq!(html_to_text("<p>Xin <b>chào</b></p><p>bạn</p>"), "Xin chào bạn");
        assert_eq!(html_to_text("H<sub>2</sub>O<br>x<br/>y"), "H2O x y");
        assert_eq!(strip_tags("a < b, <3, x<y"), "a < b, <3, x<y");
        assert_eq!(strip_tags(r#"cat<img alt="a<br>b" src=x>dog <a href=x">y</a><a href=>z</a>"#), "cat dog yz");
        assert_eq!(strip_tags(&"<".repeat(100_000)).len(), 100_000);
    }

    #[test]
    fn titles_are_plain_text() {
        assert_eq!(title("Gene regulation in <i>E. coli</i>"), "Gene regulation in E. coli");
        assert_eq!(title("Study of &lt;em&gt;Homo&lt;/em&gt; fossils"), "Study of Homo fossils");
        assert_eq!(title("H<sub>2</sub>O <b>và</b> <span class=\"a\">CO<sub>2</sub></span>"), "H2O và CO2");
        assert_eq!(title("Tom &amp; Jerry &lt;3"), "Tom & Jerry <3");
        assert_eq!(title("a < b và b > c"), "a < b và b > c");
        assert_eq!(title("1 <2 và x<y"), "1 <2 và x<y");
        assert_eq!(title("Vec<T> và Name <email>"), "Vec<T> và Name <email>");
        assert_eq!(title("&lt;![CDATA[Tin <b>mới</b>]]&gt;"), "Tin mới");
        assert_eq!(title("<![CDATA[Tin]]> <b"), "Tin <b");
        assert_eq!(title("Tin<!-- x -->mới<br/>hôm nay"), "Tinmới hôm nay");
    }

    #[test]
    fn c1_controls_are_windows_1252_and_other_controls_spaces() {
        assert_eq!(clean("Don&#146;t stop &#150; &#147;quoted&#148;"), "Don’t stop – “quoted”");
        assert_eq!(clean("Price: &#128;10 &#133;"), "Price: €10 …");
        assert_eq!(clean("Don\u{92}t \u{85}"), "Don’t …");
        assert_eq!(clean("Unit\u{1F}separator\u{7F}x\u{0}y"), "Unit separator x y");
        assert_eq!(plain_chars("a\u{96}b\u{1}"), "a–b ");
        assert_eq!(plain_chars("Việt\tNam\n"), "Việt\tNam\n");
        assert!(matches!(plain_chars("Việt Nam ©"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn xml_safe_removes_controls() {
        assert_eq!(xml_safe("a\u{1}b\nc"), "ab\nc");
    }
}
