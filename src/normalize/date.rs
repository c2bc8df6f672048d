//! Dates as provincial portals write them, read into UTC.
//!
//! One tolerant reader instead of a list of formats: it finds a date part
//! (`05/08/2022`, `2022-08-05`, `5 Aug 2022`, `ngày 5 tháng 8 năm 2022`), a time part
//! (`10:15`, `3:15:00.250 PM`) and a zone (`+0700`, `+07:00`, `GMT+7`, `Z`, `ICT`),
//! and ignores the rest (weekdays in either language, "lúc", "Cập nhật", brackets).
//! Numeric dates are day first, as Vietnamese write them, unless that is impossible
//! or the time is in the US AM/PM form. A date without a zone is in the configured
//! offset.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(u32, usize),
    Word(String),
    Sym(char),
}

/// Reads a date; `None` when no plausible date is found.
pub fn parse(text: &str, default_offset: FixedOffset) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() || text.len() > 200 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    let toks = tokenize(text);
    // year, first number, second number, and whether the order is ambiguous (all numeric)
    let mut date: Option<(i32, u32, u32, bool)> = None;
    let mut time: Option<(u32, u32, u32, u32)> = None; // h, m, s, nanos
    let mut meridiem: Option<(bool, bool)> = None; // (pm, english)
    let mut offset: Option<i32> = None;
    let mut i = 0;
    while i < toks.len() {
        let rest = &toks[i..];
        // yyyy-mm-dd or yyyy/mm/dd
        if date.is_none() {
            if let [Tok::Num(y, 4), Tok::Sym(s1), Tok::Num(m, _), Tok::Sym(s2), Tok::Num(d, _), ..] = rest {
                if s1 == s2 && matches!(s1, '-' | '/' | '.') {
                    date = Some((*y as i32, *d, *m, false));
                    i += 5;
                    continue;
                }
            }
            // d/m/y, d-m-y, d.m.y
            if let [Tok::Num(a, _), Tok::Sym(s1), Tok::Num(b, _), Tok::Sym(s2), Tok::Num(y, yl), ..] = rest {
                if s1 == s2 && matches!(s1, '-' | '/' | '.') && (*yl == 4 || *yl == 2) {
                    date = Some((full_year(*y, *yl), *a, *b, true));
                    i += 5;
                    continue;
                }
            }
            // 5 Aug 2022
            if let [Tok::Num(d, _), Tok::Word(mon), Tok::Num(y, yl), ..] = rest {
                if let Some(m) = month_name(mon) {
                    if *yl == 4 || *yl == 2 {
                        date = Some((full_year(*y, *yl), *d, m, false));
                        i += 3;
                        continue;
                    }
                }
            }
            // Aug 5, 2022 and Aug 5 2022
            if let [Tok::Word(mon), Tok::Num(d, 1 | 2), more @ ..] = rest {
                let year = match more {
                    [Tok::Sym(','), Tok::Num(y, 4), ..] => Some((*y, 4)),
                    [Tok::Num(y, 4), ..] => Some((*y, 3)),
                    _ => None,
                };
                if let (Some(m), Some((y, used))) = (month_name(mon), year) {
                    date = Some((y as i32, *d, m, false));
                    i += used;
                    continue;
                }
            }
            // (ngày) 5 tháng 8 năm 2022
            if let [Tok::Num(d, _), Tok::Word(th), Tok::Num(m, _), Tok::Word(nam), Tok::Num(y, 4), ..] = rest {
                if th == "tháng" && nam == "năm" {
                    date = Some((*y as i32, *d, *m, false));
                    i += 5;
                    continue;
                }
            }
        }
        // hh:mm(:ss(.fff))
        if time.is_none() {
            if let [Tok::Num(h, _), Tok::Sym(':'), Tok::Num(m, 2), ..] = rest {
                let mut s = 0;
                let mut nanos = 0;
                let mut used = 3;
                if let [Tok::Sym(':'), Tok::Num(sec, 2), ..] = &rest[3..] {
                    s = *sec;
                    used += 2;
                    if let [Tok::Sym('.' | ','), Tok::Num(frac, fl), ..] = &rest[used..] {
                        nanos = fraction_nanos(*frac, *fl);
                        used += 2;
                    }
                }
                time = Some((*h, *m, s, nanos));
                i += used;
                continue;
            }
        }
        match &rest[0] {
            Tok::Word(w) if time.is_some() && meridiem.is_none() && matches!(w.as_str(), "am" | "pm" | "a" | "p") => {
                meridiem = Some((w.starts_with('p'), true));
            }
            // .NET's vi-VN culture: SA (sáng) and CH (chiều).
            Tok::Word(w) if time.is_some() && meridiem.is_none() && matches!(w.as_str(), "sa" | "ch") => {
                meridiem = Some((w == "ch", false));
            }
            Tok::Word(w) if offset.is_none() && matches!(w.as_str(), "gmt" | "utc" | "ut" | "z") => {
                // GMT alone, or GMT+7 / UTC+07:00
                if let Some((o, used)) = signed_offset(&toks[i + 1..]) {
                    offset = Some(o);
                    i += used;
                } else {
                    offset = Some(0);
                }
            }
            Tok::Word(w) if offset.is_none() && named_zone(w).is_some() => offset = named_zone(w),
            Tok::Sym('+' | '-') if time.is_some() && offset.is_none() => {
                if let Some((o, used)) = signed_offset(rest) {
                    offset = Some(o);
                    i += used;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }

    let (year, first, second, ambiguous) = date?;
    let (mut h, m, s, nanos) = time.unwrap_or((0, 0, 0, 0));
    if let Some((pm, _)) = meridiem {
        if h == 0 || h > 12 {
            return None;
        }
        h = match (pm, h) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
    }
    let us_form = matches!(meridiem, Some((_, true)));
    let (day, month) =
        if ambiguous && ((us_form && first <= 12) || second > 12) { (second, first) } else { (first, second) };
    let naive =
        NaiveDateTime::new(NaiveDate::from_ymd_opt(year, month, day)?, NaiveTime::from_hms_nano_opt(h, m, s, nanos)?);
    let off = match offset {
        Some(secs) => FixedOffset::east_opt(secs)?,
        None => default_offset,
    };
    off.from_local_datetime(&naive).single().map(|d| d.with_timezone(&Utc))
}

fn tokenize(text: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_ascii_digit() {
            let mut end = start + 1;
            while let Some(&(j, d)) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = j + 1;
                chars.next();
            }
            let digits = &text[start..end];
            // Fractions of a second can be long; keep their first nine digits.
            let kept = &digits[..digits.len().min(9)];
            toks.push(Tok::Num(kept.parse().unwrap_or(u32::MAX), digits.len()));
        } else if c.is_alphabetic() {
            let mut end = start + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if !d.is_alphabetic() && !super::text::is_combining_mark(d) {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            toks.push(Tok::Word(text[start..end].to_lowercase()));
        } else if !c.is_whitespace() {
            toks.push(Tok::Sym(c));
        }
    }
    // ISO's "2022-08-05T10:15": the 'T' is its own word; drop it where it separates.
    toks.retain(|t| !matches!(t, Tok::Word(w) if w == "t"));
    toks
}

/// `+0700`, `+07:00`, `+7`, `-03:30` at the start of `toks`; returns seconds east
/// and the number of tokens used.
fn signed_offset(toks: &[Tok]) -> Option<(i32, usize)> {
    let sign = match toks.first()? {
        Tok::Sym('+') => 1,
        Tok::Sym('-') => -1,
        _ => return None,
    };
    match &toks[1..] {
        [Tok::Num(h, 1 | 2), Tok::Sym(':'), Tok::Num(m, 2), ..] if *h <= 14 && *m < 60 => {
            Some((sign * (*h as i32 * 3600 + *m as i32 * 60), 4))
        }
        [Tok::Num(hm, 4), ..] if hm / 100 <= 14 && hm % 100 < 60 => {
            Some((sign * ((hm / 100) as i32 * 3600 + (hm % 100) as i32 * 60), 2))
        }
        [Tok::Num(h, 1 | 2), ..] if *h <= 14 => Some((sign * *h as i32 * 3600, 2)),
        _ => None,
    }
}

fn named_zone(w: &str) -> Option<i32> {
    let h = match w {
        "ict" => 7,
        "edt" => -4,
        "est" | "cdt" => -5,
        "cst" | "mdt" => -6,
        "mst" | "pdt" => -7,
        "pst" => -8,
        _ => return None,
    };
    Some(h * 3600)
}

fn month_name(w: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    if w.len() < 3 {
        return None;
    }
    let m = MONTHS.iter().position(|m| w.starts_with(m))? as u32 + 1;
    // "march" and "mar" yes, "marchers" no: a month name is at most its full length.
    (w.len() <= 9).then_some(m)
}

fn full_year(y: u32, digits: usize) -> i32 {
    match digits {
        2 if y < 70 => 2000 + y as i32,
        2 => 1900 + y as i32,
        _ => y as i32,
    }
}

fn fraction_nanos(frac: u32, digits: usize) -> u32 {
    let digits = digits.min(9) as u32;
    frac.saturating_mul(10u32.pow(9 - digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).unwrap()
    }

    fn at(s: &str) -> String {
        parse(s, vn()).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default()
    }

    #[test]
    fn every_date_variant_fixture_is_the_same_instant() {
        let xml = include_str!("../../tests/fixtures/date-variants-rss.xml");
        let mut n = 0;
        for part in xml.split("<pubDate>").skip(1) {
            let value = part.split("</pubDate>").next().unwrap();
            assert_eq!(at(value), "2022-08-05T03:15:00Z", "{value}");
            n += 1;
        }
        assert_eq!(n, 10);
    }

    #[test]
    fn portal_forms() {
        for s in [
            "05/08/2022 10:15",
            "Thứ Sáu, 05/08/2022 - 10:15",
            "8/5/2022 10:15:00 AM",
            "Fri, 05 Aug 2022 10:15:00 GMT+7",
            "2022-08-05T10:15:00",
            "2022-08-05 10:15:00.000",
            "2022-08-05T03:15:00.123456Z",
            "Cập nhật lúc: 10:15 | 05/08/2022",
            "(05/08/2022 - 10:15)",
            "05-08-2022 10:15",
            "Friday, August 5, 2022 10:15 AM",
            "ngày 05 tháng 8 năm 2022 10:15",
            "05/08/2022 10:15:00 SA",
            "Fri, 05 Aug 2022 10:15:00 ICT",
        ] {
            assert_eq!(&at(s)[..16], "2022-08-05T03:15", "{s}");
        }
        assert_eq!(at("Thứ tư, 03/8/2022 - 8:45"), "2022-08-03T01:45:00Z");
        assert_eq!(at("05/08/2022 15:20"), "2022-08-05T08:20:00Z");
        assert_eq!(at("(05/08/2022)"), "2022-08-04T17:00:00Z");
        // Impossible as day-first: read month-first.
        assert_eq!(at("08/25/2022 10:15"), "2022-08-25T03:15:00Z");
        assert_eq!(at("12/5/2022 1:00:00 PM"), "2022-12-05T06:00:00Z");
    }

    #[test]
    fn nonsense_is_none() {
        for s in ["", "null", "Đang cập nhật", "32/13/2022", "10:15", "99999999999999999999", "2022-02-30"] {
            assert_eq!(parse(s, vn()), None, "{s}");
        }
    }
}
