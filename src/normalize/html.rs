//! HTML from the sources, made safe to republish.
//!
//! An explicit ammonia policy: no script, style, event attributes or
//! `javascript:`/`data:` links; iframes only from YouTube; images, links and tables
//! kept; relative URLs made absolute against the item's page first. Control
//! characters are read as the text does (`text::plain_chars`): C1 as Windows-1252.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;

use url::Url;

use crate::util::text;
use crate::util::xml::esc;

/// Hosts whose embedded players may stay.
const IFRAME_HOSTS: &[&str] = &["www.youtube.com", "youtube.com", "www.youtube-nocookie.com", "youtube-nocookie.com"];

thread_local! {
    /// The base of the document being cleaned, read by the policy's URL resolver.
    static BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
    /// The policy, built once per thread: building it allocates more than most
    /// items cost to clean.
    static POLICY: ammonia::Builder<'static> = policy();
}

/// Sanitizes HTML; `base` resolves relative links and images.
pub fn sanitize(html: &str, base: &Url) -> String {
    BASE.with(|b| *b.borrow_mut() = Some(base.clone()));
    // html5ever reads `&#146;` as Windows-1252 but keeps a raw U+0092 (what the XML
    // parser makes of the same reference): both must read alike.
    let html = text::plain_chars(html);
    as_text(&html).unwrap_or_else(|| parsed(&html))
}

/// `sanitize` through html5ever and ammonia, for a body that `as_text` cannot read.
fn parsed(html: &str) -> String {
    // Nesting deeper than MAX_DEPTH takes more than MAX_DEPTH tags: most bodies
    // have fewer, and need no closer look.
    let tags = html.bytes().filter(|&b| b == b'<').count();
    if tags > MAX_DEPTH && text::nesting_depth(html) > MAX_DEPTH {
        let text = text::html_to_text(html);
        return format!("<p>{}</p>", esc(&text));
    }
    let html = split_long_text(html);
    let cleaned = POLICY.with(|p| p.clean(&html).to_string());
    text::xml_safe(cleaned.trim()).into_owned()
}

/// A body that holds no markup and no reference (no `<`, no `&`) is text: what
/// html5ever and ammonia would make of it, without parsing it. Line breaks are
/// normalized as the tokenizer does them, and `>` and no-break spaces are escaped
/// as the serializer does. `None` where the parse could do more: a leading BOM
/// (dropped by the tokenizer) or a text long enough for `split_long_text`.
fn as_text(html: &str) -> Option<String> {
    if html.len() > LONG_RUN || html.starts_with('\u{FEFF}') || html.bytes().any(|b| b == b'<' || b == b'&') {
        return None;
    }
    let mut out = String::with_capacity(html.len() + 8);
    let mut rest = html;
    while let Some(at) = rest.find(['>', '\r', '\u{A0}']) {
        out.push_str(&rest[..at]);
        let c = rest[at..].chars().next()?;
        rest = &rest[at + c.len_utf8()..];
        match c {
            '>' => out.push_str("&gt;"),
            '\u{A0}' => out.push_str("&nbsp;"),
            _ => {
                rest = rest.strip_prefix('\n').unwrap_or(rest);
                out.push('\n');
            }
        }
    }
    out.push_str(rest);
    Some(text::xml_safe(out.trim()).into_owned())
}

/// Elements nested deeper than any article nests them (`<ul><li>` twenty thousand
/// times) are read as plain text: html5ever's tree builder looks through every
/// open element for each tag, so such nesting costs its depth squared.
const MAX_DEPTH: usize = 256;

/// The longest run of text `split_long_text` leaves as it is.
const LONG_RUN: usize = 16 << 10;

/// Elements whose content html5ever reads as text up to their end tag (RCDATA,
/// RAWTEXT, script data; plaintext to the end): a span inside would be shown, or
/// change the script.
const RAW_TEXT: &[&str] =
    &["textarea", "title", "script", "style", "xmp", "noscript", "iframe", "noembed", "noframes", "plaintext"];

/// html5ever's serializer looks for the next `<` or `>` of a text anew after each
/// character it escapes (`&`, nbsp, U+0080–U+00BF), so a long text dense with them
/// costs its length squared: a few MB of `&nbsp;` took minutes. An empty `<span>`
/// before such a character every 16 KB of text without a tag bounds that and
/// changes nothing a reader sees. Only in text: the scan follows the tokenizer far
/// enough to know tags (with quoted values, which may hold `>`), comments and the
/// raw-text elements, where a span would become part of a value or of the text.
fn split_long_text(html: &str) -> Cow<'_, str> {
    // One state machine over the bytes, kept whole although long: each state's
    // transitions only make sense read beside the others.
    #[derive(Clone, Copy)]
    enum At {
        Text,
        /// Inside a tag: the quote of the value we are in, whether a value may
        /// start here (after `=`), and the raw-text element the tag opens.
        Tag {
            quote: Option<u8>,
            after_eq: bool,
            opens: Option<&'static str>,
        },
        /// `<!-- … -->`; where its `<!` ends.
        Comment(usize),
        /// `<!…>`, `<?…>`, `</ …>`: up to the first `>`.
        Bogus,
        Raw(&'static str),
    }
    if html.len() <= LONG_RUN {
        return Cow::Borrowed(html);
    }
    let bytes = html.as_bytes();
    let mut out = String::new();
    let (mut run_start, mut copied) = (0, 0);
    let mut at = At::Text;
    for (i, &b) in bytes.iter().enumerate() {
        let next = &bytes[i + 1..];
        at = match (at, b) {
            (At::Text, b'<') => {
                run_start = i + 1;
                match next {
                    [c, ..] if c.is_ascii_alphabetic() => {
                        let opens = RAW_TEXT.iter().copied().find(|name| tag_name_is(next, name));
                        At::Tag { quote: None, after_eq: false, opens }
                    }
                    [b'/', c, ..] if c.is_ascii_alphabetic() => At::Tag { quote: None, after_eq: false, opens: None },
                    [b'!', b'-', b'-', ..] => At::Comment(i + 2),
                    [b'!' | b'?' | b'/', ..] => At::Bogus,
                    _ => At::Text,
                }
            }
            (At::Text, b'>') => {
                run_start = i + 1;
                At::Text
            }
            // Before `&` or a lead byte C2: never inside an entity or a character.
            (At::Text, b'&' | 0xC2) if i - run_start >= LONG_RUN => {
                out.push_str(&html[copied..i]);
                out.push_str("<span></span>");
                (run_start, copied) = (i, i);
                At::Text
            }
            (At::Tag { quote: Some(q), opens, .. }, _) if b == q => At::Tag { quote: None, after_eq: false, opens },
            (At::Tag { quote: Some(_), .. }, _) => at,
            (At::Tag { opens, .. }, b'>') => {
                run_start = i + 1;
                opens.map_or(At::Text, At::Raw)
            }
            (At::Tag { after_eq: true, opens, .. }, b'"' | b'\'') => At::Tag { quote: Some(b), after_eq: false, opens },
            (At::Tag { after_eq, opens, .. }, _) => {
                At::Tag { quote: None, after_eq: b == b'=' || (after_eq && b.is_ascii_whitespace()), opens }
            }
            // `-->`, `--!>`, and the abrupt `<!-->` and `<!--->`.
            (At::Comment(start), b'>') => {
                let seen = &bytes[start..i];
                if seen.ends_with(b"--") || (seen.len() >= 5 && seen.ends_with(b"--!")) {
                    run_start = i + 1;
                    At::Text
                } else {
                    at
                }
            }
            (At::Bogus, b'>') => {
                run_start = i + 1;
                At::Text
            }
            (At::Raw(name), b'<')
                if name != "plaintext" && next.first() == Some(&b'/') && tag_name_is(&next[1..], name) =>
            {
                At::Tag { quote: None, after_eq: false, opens: None }
            }
            _ => at,
        };
    }
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

/// Whether `rest` starts with the tag name `name`, in any case.
fn tag_name_is(rest: &[u8], name: &str) -> bool {
    rest.len() > name.len()
        && rest[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        && matches!(rest[name.len()], b'\t' | b'\n' | b'\x0C' | b'\r' | b' ' | b'/' | b'>')
}

fn policy() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_tags(["iframe", "figure", "figcaption", "video", "audio", "source"])
        .add_tag_attributes("iframe", ["src", "width", "height", "allowfullscreen", "title"])
        .add_tag_attributes("img", ["width", "height", "loading"])
        .add_tag_attributes("video", ["src", "controls", "width", "height", "poster"])
        .add_tag_attributes("audio", ["src", "controls"])
        .add_tag_attributes("source", ["src", "type"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("th", ["colspan", "rowspan"])
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .url_relative(ammonia::UrlRelative::Custom(Box::new(resolve_relative)))
        .link_rel(Some("noopener noreferrer"))
        // Raw-text elements ammonia would unwrap into text: nothing of an article,
        // and a long one dense with escapes costs the serializer its length squared.
        .add_clean_content_tags(["textarea", "xmp", "plaintext", "noembed", "noframes"])
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // No real URL, alt or title is this long; serializing one is quadratic.
            _ if value.len() > MAX_ATTRIBUTE => None,
            ("iframe", "src") => allowed_iframe(value).then_some(Cow::Borrowed(value)),
            _ => Some(Cow::Borrowed(value)),
        });
    b
}

/// The longest attribute value kept, in bytes.
const MAX_ATTRIBUTE: usize = 8 << 10;

/// Makes a relative URL absolute against the current document's base; drops it
/// when there is no base or the result is not http(s).
fn resolve_relative(url: &str) -> Option<Cow<'_, str>> {
    BASE.with(|b| {
        let base = b.borrow();
        let joined = base.as_ref()?.join(url).ok()?;
        matches!(joined.scheme(), "http" | "https").then(|| Cow::Owned(joined.to_string()))
    })
}

fn allowed_iframe(src: &str) -> bool {
    let src = if src.starts_with("//") { Cow::Owned(format!("https:{src}")) } else { Cow::Borrowed(src) };
    Url::parse(&src)
        .ok()
        .filter(|u| u.scheme() == "https" || u.scheme() == "http")
        .and_then(|u| u.host_str().map(|h| IFRAME_HOSTS.contains(&h)))
        .unwrap_or(false)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Bodies as sources write them, for checking that a shortcut reads them as the
    /// long way does: every summary, content and title of the fixture feeds, every
    /// fixture page whole, each of them as plain text too, inputs known to be tricky,
    /// and random mixes of what parsers treat specially.
    pub(crate) fn bodies() -> Vec<String> {
        let mut out: Vec<String> = TRICKY.iter().map(|s| s.to_string()).collect();
        out.extend([
            "x".repeat(LONG_RUN),
            "x".repeat(LONG_RUN + 1),
            "a\u{A0}".repeat(9_000),
            "chữ > ".repeat(3_000),
            format!("<p>{}</p>", "đoạn văn dài &amp; ".repeat(2_000)),
            "<ul><li>".repeat(300) + "sâu",
            "<b>".repeat(300) + "đậm",
        ]);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut files = vec![dir];
        let mut fixtures = Vec::new();
        while let Some(path) = files.pop() {
            match std::fs::read_dir(&path) {
                Ok(entries) => files.extend(entries.flatten().map(|e| e.path())),
                Err(_) => fixtures.extend(std::fs::read(&path).ok().map(|b| String::from_utf8_lossy(&b).into_owned())),
            }
        }
        assert!(fixtures.len() > 40, "the fixtures were not found");
        for text in fixtures {
            let tz = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
            if let Ok(feed) = crate::parse::parse_feed(&text, tz, 1000) {
                for item in feed.items {
                    out.extend([item.title, item.summary, item.content].into_iter().flatten());
                }
            }
            out.push(text);
        }
        let plain: Vec<String> =
            out.iter().map(|b| text::strip_tags(b).replace('&', " ")).filter(|p| p.len() <= 4 * LONG_RUN).collect();
        out.extend(plain);
        let mut seed = 18;
        for _ in 0..3_000 {
            seed = crate::util::hash::splitmix64(seed);
            let len = seed % 40;
            let mut body = String::new();
            for _ in 0..len {
                seed = crate::util::hash::splitmix64(seed);
                body.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
            }
            out.push(body.replace(['<', '&'], ""));
            out.push(body);
        }
        out
    }

    const TRICKY: &[&str] = &[
        "",
        "   ",
        "Chỉ có chữ",
        "a > b và c",
        "x\u{A0}y\u{A0}\u{A0}z",
        "\u{A0}\u{A0}đầu",
        "dòng 1\r\ndòng 2\rdòng 3\n",
        "text\r",
        "\r\ntext",
        "\u{FEFF}BOM trước",
        "giữa\u{FEFF}BOM",
        "tab\tở đây",
        "zero\u{200B}width",
        "sai\u{FFFF}ký tự",
        "\u{3000}ideo\u{3000}",
        "Ho\u{300}a bi\u{300}nh",
        "a\u{301}\u{323} ngược",
        "x\u{92}y \u{85} z\u{1}w\u{7F}",
        "Sở NN&amp;PTNT",
        "&lt;b&gt;không đậm&lt;/b&gt;",
        "&amp;amp; hai lần",
        "&#146;ngoặc&#148; &#8217;",
        "&nbsp;",
        "&",
        "&amp",
        "<",
        ">",
        "<<>>",
        "a ]]> b",
        "<![CDATA[bên trong <b>x</b>]]> sau",
        "<p>H<sub>2</sub>O <b>và</b> <i><u>lồng</u></i></p>",
        "a < b, <3, x<y",
        "<p>a</p><script>alert('<p>x</p>')</script><p>b</p>",
        r#"<iframe src="https://www.youtube.com/embed/x">t &amp; <b>u</b></iframe>"#,
        "<noscript>&lt;b&gt;n</noscript>",
        "<textarea>&amp;</textarea>t",
        "<style>p{}</style>s",
        "<p title='a>b'>t</p>",
        "<img src=x onerror=alert(1)>",
        "<a href='/tuong-doi'>liên kết</a>",
        "<p>a</p>\r\n<p>b</p>",
        "<br>",
        "<!-- chú thích -->chữ",
        "Dòng ký tên\n(Ban Dân vận Tỉnh ủy)",
        "<p>Nội dung</p><p><strong>Nguyễn Hiếu (Ban Dân vận Tỉnh ủy)</strong></p>",
        "(DVTU) - Chiều 04/8/2022 nội dung",
    ];

    const PIECES: &[&str] = &[
        "<p>",
        "</p>",
        "<b>",
        "</b>",
        "<i>",
        "</i>",
        "<br/>",
        "<div>",
        "</div>",
        "<span>",
        "</span>",
        "<script>",
        "</script>",
        "<!-- c -->",
        "<![CDATA[",
        "]]>",
        "&amp;",
        "&nbsp;",
        "&#146;",
        "&lt;",
        "&",
        "<",
        ">",
        "\u{A0}",
        "\u{92}",
        "\u{1}",
        "\u{FEFF}",
        "\u{200B}",
        "\r\n",
        "\r",
        "\n",
        "\t",
        " ",
        "  ",
        "x",
        "chữ",
        "a\u{301}",
        "đ",
        "Tỉnh uỷ",
        "\u{FFFF}",
        "\"",
        "'",
    ];

    #[test]
    fn text_without_markup_reads_as_the_parse_reads_it() {
        let base = Url::parse("https://bentre.dcs.vn/tin/a.html").unwrap();
        BASE.with(|b| *b.borrow_mut() = Some(base.clone()));
        let mut fast = 0;
        for body in bodies() {
            let body = text::plain_chars(&body);
            let parsed = parsed(&body);
            match as_text(&body) {
                Some(text) => {
                    assert_eq!(text, parsed, "{body:?}");
                    fast += 1;
                }
                None => assert_eq!(sanitize(&body, &base), parsed, "{body:?}"),
            }
        }
        assert!(fast > 3_000, "only {fast} bodies were read as text");
    }

    #[test]
    fn strips_active_content_and_resolves_links() {
        let base = Url::parse("https://bentre.dcs.vn/tin/a.html").unwrap();
        let out = sanitize(
            r#"<p onclick="x()"><img src="/up/a.jpg" onerror="this.src='x'"><script>alert(1)</script><style>p{}</style><a href="javascript:void(0)">x</a><a href="rel.html">y</a></p><iframe src="https://www.youtube.com/embed/abc"></iframe><iframe src="https://evil.example/x"></iframe>"#,
            &base,
        );
        for bad in ["<script", "onerror", "onclick", "javascript:", "<style", "evil.example"] {
            assert!(!out.contains(bad), "{bad} survived: {out}");
        }
        assert!(out.contains(r#"src="https://bentre.dcs.vn/up/a.jpg""#), "{out}");
        assert!(out.contains(r#"href="https://bentre.dcs.vn/tin/rel.html""#), "{out}");
        assert!(out.contains("youtube.com/embed/abc"), "{out}");
        assert!(out.contains(r#"rel="noopener noreferrer""#), "{out}");
    }

    #[test]
    fn long_texts_dense_with_escapes_cost_little() {
        let base = Url::parse("https://bentre.dcs.vn/").unwrap();
        // 600 KB: half a minute without the split (bench/hostile-rss.sh times it).
        let html = format!("<p>{}</p>", "x&nbsp;&amp;".repeat(50_000));
        let split = split_long_text(&html);
        let longest = split.split(['<', '>']).map(str::len).max().unwrap_or(0);
        assert!(longest <= (16 << 10) + 8, "a tagless run of {longest} bytes");
        let out = sanitize(&html, &base);
        let text = text::html_to_text(&out);
        assert_eq!(text, "x &".repeat(50_000));
        assert_eq!(sanitize("<p>Sở NN&amp;PTNT&nbsp;</p>", &base), "<p>Sở NN&amp;PTNT&nbsp;</p>");
    }

    #[test]
    fn long_texts_are_split_only_in_text() {
        let base = Url::parse("https://bentre.dcs.vn/").unwrap();
        let dense = "x&amp;".repeat(8_000);
        // Values (quoted ones may hold `>`) and raw-text elements, in any case.
        let untouched = format!(
            r#"<p><a href="/?q={dense}" title='a > b {dense}'>a</a><img alt={dense} src="/a.jpg"></p><!-- > {dense} --><TEXTAREA rows=3>{dense}</TEXTAREA><title>{dense}</title><script>"{dense}</script><xmp>{dense}</xmp><noscript>{dense}</noscript><style>{dense}</style>"#
        );
        assert!(matches!(split_long_text(&untouched), Cow::Borrowed(_)), "split inside a tag or raw text");
        let out = sanitize(&untouched, &base);
        assert!(!out.contains("span"), "{}", &out[..200]);
        // Text after them is still split.
        let html = format!("{untouched}<p>{dense}</p>");
        let split = split_long_text(&html);
        assert!(split.starts_with(&untouched) && split.contains("<span></span>"));
        assert_eq!(split.replace("<span></span>", ""), html);
    }

    #[test]
    fn attributes_longer_than_any_real_one_and_textareas_go() {
        let base = Url::parse("https://bentre.dcs.vn/").unwrap();
        let long = format!("<a href=\"https://a.vn/{}\">x</a><p>ok</p>", "\u{bb}\u{bf}".repeat(10_000));
        assert_eq!(sanitize(&long, &base), "<a rel=\"noopener noreferrer\">x</a><p>ok</p>");
        let short = "<a href=\"https://a.vn/b\">x</a>";
        assert_eq!(sanitize(short, &base), "<a href=\"https://a.vn/b\" rel=\"noopener noreferrer\">x</a>");
        assert_eq!(sanitize("<p>a</p><textarea>&amp;&amp;</textarea><p>b</p>", &base), "<p>a</p><p>b</p>");
    }

    #[test]
    fn nesting_deeper_than_any_article_is_read_as_text() {
        let base = Url::parse("https://bentre.dcs.vn/").unwrap();
        assert_eq!(text::nesting_depth("<div><span>a<br>b<img src=x></span><p>c</p></div><hr/>"), 2);
        // Old pages leave <p> and <li> open by the hundred: they do not nest.
        assert_eq!(text::nesting_depth(&format!("<div>{}</div>", "<p>đoạn<li>mục".repeat(500))), 1);
        // 20 000 levels: seconds to minutes through html5ever's tree builder.
        let deep = "<ul><li></p>".repeat(20_000) + "chữ & nghĩa";
        assert!(text::nesting_depth(&deep) > MAX_DEPTH);
        assert_eq!(sanitize(&deep, &base), "<p>chữ &amp; nghĩa</p>");
        // An ordinary article keeps its markup.
        assert_eq!(sanitize("<ul><li><p>a</p></li></ul>", &base), "<ul><li><p>a</p></li></ul>");
    }

    #[test]
    fn c1_controls_read_as_windows_1252() {
        let base = Url::parse("https://bentre.dcs.vn/").unwrap();
        assert_eq!(sanitize("<p>Don\u{92}t &#146;x&#146; \u{93}y\u{94}</p>", &base), "<p>Don’t ’x’ “y”</p>");
        assert_eq!(sanitize("<p>Unit\u{1F}separator</p>", &base), "<p>Unit separator</p>");
    }
}
