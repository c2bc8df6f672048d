//! Bytes to UTF-8, as provincial portals actually encode them.
//!
//! Order of evidence: a byte-order mark; UTF-16/32 recognised by the shape of the
//! first characters; bytes that are valid UTF-8 are UTF-8 whatever a label says
//! (a declared ISO-8859-1 that is really UTF-8 is common); then the HTTP charset,
//! the XML declaration or the HTML `<meta>`; then the legacy Vietnamese font
//! encodings recognised by their font names (TCVN3 is mapped, VNI is reported);
//! windows-1252 last, as browsers do. The XML declaration of the result is
//! rewritten to say UTF-8, so that no later stage decodes it twice.

use std::borrow::Cow;

use encoding_rs::Encoding;
use unicode_normalization::UnicodeNormalization;

/// A document in UTF-8 and the encoding it came in.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    /// The encoding read: `UTF-8`, `windows-1258`, `TCVN3`…
    pub encoding: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum CharsetError {
    #[error("the document uses the legacy VNI font encoding, which loa cannot map; the site must publish Unicode")]
    Vni,
}

/// Decodes a document; `http_charset` is the `charset` of its Content-Type.
pub fn to_utf8(bytes: &[u8], http_charset: Option<&str>) -> Result<Decoded, CharsetError> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        // UTF-32 BOMs start like UTF-16 LE's; look at them first.
        if let Some(d) = utf32(bytes) {
            return Ok(d);
        }
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Ok(finish(text, enc.name()));
    }
    if let Some(d) = utf32(bytes) {
        return Ok(d);
    }
    match bytes {
        [b'<' | b' ' | b'\n' | b'\r' | b'\t', 0, c, 0, ..] if *c != 0 => {
            return Ok(finish(encoding_rs::UTF_16LE.decode_without_bom_handling(bytes).0, "UTF-16LE"))
        }
        [0, b'<' | b' ' | b'\n' | b'\r' | b'\t', 0, c, ..] if *c != 0 => {
            return Ok(finish(encoding_rs::UTF_16BE.decode_without_bom_handling(bytes).0, "UTF-16BE"))
        }
        _ => {}
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(finish(Cow::Borrowed(s), "UTF-8"));
    }
    let head = &bytes[..bytes.len().min(2048)];
    let label = http_charset.map(str::to_string).or_else(|| declared(head));
    if let Some(enc) = label.as_deref().and_then(|l| Encoding::for_label(l.trim().as_bytes())) {
        // A label of UTF-8 on bytes that are not: keep what can be read.
        let (text, _, _) = enc.decode(bytes);
        return Ok(finish(text, enc.name()));
    }
    // The legacy encodings are fonts: the page names them. Rare enough to scan whole.
    let lower = bytes.to_ascii_lowercase();
    if font_named(&lower, b"vni-") {
        return Err(CharsetError::Vni);
    }
    if font_named(&lower, b".vn") {
        // .VnTime, .VnArial…: the fonts of the TCVN3 (ABC) encoding.
        return Ok(finish(Cow::Owned(bytes.iter().map(|b| tcvn3(*b)).collect()), "TCVN3"));
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
    Ok(finish(text, "windows-1252"))
}

/// NFC (legacy encodings such as windows-1258 produce combining tone marks), and an
/// XML declaration that says what the text now is.
fn finish(text: Cow<'_, str>, encoding: &'static str) -> Decoded {
    let nfc = if crate::util::text::is_nfc(&text) { text.into_owned() } else { text.nfc().collect() };
    Decoded { text: relabel_declaration(nfc), encoding }
}

fn relabel_declaration(text: String) -> String {
    let start = text.len() - text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']).len();
    let rest = &text[start..];
    if !rest.starts_with("<?xml") {
        return text;
    }
    let Some(end) = rest.find("?>") else { return text };
    let decl = &rest[..end];
    let Some(at) = decl.find("encoding") else { return text };
    let after = &decl[at + "encoding".len()..];
    let Some(q) = after.find(['"', '\'']) else { return text };
    let quote = after.as_bytes()[q] as char;
    let Some(close) = after[q + 1..].find(quote) else { return text };
    let value_start = start + at + "encoding".len() + q + 1;
    let value_end = value_start + close;
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..value_start]);
    out.push_str("utf-8");
    out.push_str(&text[value_end..]);
    out
}

/// Whether `prefix` starts a font name: after a quote, `=`, `,`, `:` or a space, and
/// followed by a letter (so the `.vn` of `bentre.gov.vn` does not count).
fn font_named(lower: &[u8], prefix: &[u8]) -> bool {
    lower.windows(prefix.len() + 2).any(|w| {
        matches!(w[0], b'"' | b'\'' | b'=' | b',' | b':' | b' ')
            && &w[1..=prefix.len()] == prefix
            && w[prefix.len() + 1].is_ascii_alphabetic()
    })
}

/// The charset an XML declaration or an HTML `<meta>` declares.
fn declared(head: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(head).to_ascii_lowercase();
    let value_after = |s: &str, key: &str| -> Option<String> {
        let at = s.find(key)? + key.len();
        let v = s[at..].trim_start_matches(['=', ' ', '"', '\'']);
        let end = v.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' || c == ':'))?;
        (end > 0).then(|| v[..end].to_string())
    };
    if s.trim_start().starts_with("<?xml") {
        if let Some(decl) = s.split("?>").next() {
            if let Some(v) = value_after(decl, "encoding") {
                return Some(v);
            }
        }
    }
    value_after(&s, "charset")
}

fn utf32(bytes: &[u8]) -> Option<Decoded> {
    let (le, skip) = match bytes {
        [0xFF, 0xFE, 0, 0, ..] => (true, 4),
        [0, 0, 0xFE, 0xFF, ..] => (false, 4),
        [b'<', 0, 0, 0, ..] => (true, 0),
        [0, 0, 0, b'<', ..] => (false, 0),
        _ => return None,
    };
    let text: String = bytes[skip..]
        .chunks_exact(4)
        .map(|c| {
            let n = if le {
                u32::from_le_bytes([c[0], c[1], c[2], c[3]])
            } else {
                u32::from_be_bytes([c[0], c[1], c[2], c[3]])
            };
            char::from_u32(n).unwrap_or('\u{FFFD}')
        })
        .collect();
    Some(finish(Cow::Owned(text), if le { "UTF-32LE" } else { "UTF-32BE" }))
}

/// Bytes 0x80–0xFF of TCVN3, in order.
const TCVN3_HIGH: &str = "ÀẢÃÁẠẶẬÈẺẼÉẸỆÌỈĨÍỊÒỎÕÓỌỘỜỞỠỚỢÙỦŨ\u{a0}ĂÂÊÔƠƯĐăâêôơưđẰ\u{300}\u{309}\u{303}\u{301}\u{323}àảãáạẲằẳẵắẴẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịòỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ";

/// TCVN 5712:1993 VN3 (the ABC fonts): ASCII, a few control codes reused for
/// capitals, and 0x80–0xFF for the letters with diacritics.
fn tcvn3(b: u8) -> char {
    const LOW: [(u8, char); 12] = [
        (0x01, 'Ú'),
        (0x02, 'Ụ'),
        (0x04, 'Ừ'),
        (0x05, 'Ử'),
        (0x06, 'Ữ'),
        (0x11, 'Ứ'),
        (0x12, 'Ự'),
        (0x13, 'Ỳ'),
        (0x14, 'Ỷ'),
        (0x15, 'Ỹ'),
        (0x16, 'Ý'),
        (0x17, 'Ỵ'),
    ];
    match b {
        0x80.. => TCVN3_HIGH.chars().nth((b - 0x80) as usize).unwrap_or('\u{FFFD}'),
        _ => LOW.iter().find(|(k, _)| *k == b).map(|(_, c)| *c).unwrap_or(b as char),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("tests/fixtures/broken/{name}")).unwrap()
    }

    #[test]
    fn tcvn3_table_has_128_letters() {
        // A decomposed letter in the table would shift every mapping after it.
        assert_eq!(TCVN3_HIGH.chars().count(), 128);
        assert_eq!((0x80..=0xFFu8).map(tcvn3).filter(|c| *c != '\u{FFFD}').count(), 128);
        assert_eq!(tcvn3(0xA9), 'â');
        assert_eq!(tcvn3(0xF1), 'ủ');
    }

    #[test]
    fn legacy_and_mislabelled_documents() {
        let d = to_utf8(&fixture("tcvn3-legacy.html"), None).unwrap();
        assert_eq!(d.encoding, "TCVN3");
        assert!(d.text.contains("Ban Dân vận Tỉnh ủy"), "{}", &d.text[..200]);
        let d = to_utf8(&fixture("windows-1258.xml"), None).unwrap();
        assert_eq!(d.encoding, "windows-1258");
        assert!(d.text.contains("Sở Tư pháp"), "{}", &d.text[..300]);
        assert!(d.text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
        let d = to_utf8(&fixture("declared-latin1-actually-utf8.xml"), None).unwrap();
        assert_eq!(d.encoding, "UTF-8");
        assert!(d.text.contains("Hội Nông dân"));
        assert!(!d.text.contains("Há»"));
    }

    #[test]
    fn utf16_and_utf32_with_and_without_bom() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>Sở Y tế</title></channel></rss>";
        let le: Vec<u8> = xml.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = xml.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let le32: Vec<u8> = xml.chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
        let be32: Vec<u8> = xml.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        for (bytes, bom) in [
            (le, &[0xFF, 0xFE][..]),
            (be, &[0xFE, 0xFF][..]),
            (le32, &[0xFF, 0xFE, 0, 0][..]),
            (be32, &[0, 0, 0xFE, 0xFF][..]),
        ] {
            for with_bom in [false, true] {
                let input = if with_bom { [bom, &bytes].concat() } else { bytes.clone() };
                let d = to_utf8(&input, None).unwrap();
                assert!(d.text.contains("<title>Sở Y tế</title>"), "{} bom={with_bom}", d.encoding);
                assert!(d.text.contains("encoding=\"utf-8\""), "{}", d.text);
            }
        }
    }

    #[test]
    fn http_charset_and_vni() {
        let latin1 = b"<rss version=\"2.0\"><channel><title>Caf\xe9</title></channel></rss>";
        assert!(to_utf8(latin1, Some("iso-8859-1")).unwrap().text.contains("Café"));
        assert!(matches!(to_utf8(b"<font face=\"VNI-Times\">Vi\xe4t</font>", None), Err(CharsetError::Vni)));
    }
}
