//! Dates as provincial portals write them, read into UTC.
//!
//! One tolerant reader instead of a list of formats: it finds a date part
//! (`05/08/2022`, `2022-08-05`, `5 Aug 2022`, `06 févr. 2025`, `ngày 5 tháng 8 năm
//! 2022`, `20250106T100000Z`, asctime's `Jan  6 … 2025` around the time), a time
//! part (`10:15`, `3:15:00.250 PM`, `24:00` as the next day's start) and a zone
//! (`+0700`, `+07:00`, `GMT+7`, `Z`, `ICT`, `CET`, `MEZ`), and ignores the rest
//! (weekdays in any language, "lúc", "Cập nhật", brackets). Numeric dates are day
//! first, as Vietnamese write them, unless that is impossible or the time is in the
//! US AM/PM form.
//!
//! A date without a zone is in the configured offset: Vietnamese portals mostly
//! write none and mean local time. A zone *name* we do not know (three to five
//! capitals ending in T or Z, the shape of zone abbreviations, right after a date's
//! time: `6 Jan 2025 10:00:00 XYZT`, not `10:00 HRS`) is read as UTC, as RFC 2822
//! §4.3 asks and feedparser does: whoever names a zone is not writing local
//! Vietnamese time by omission, and a portal writing ours writes ICT or GMT+7,
//! which are known.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A number and how many digits it was written with.
    Num(u32, usize),
    /// A word, lower-cased, and whether it was written in capitals.
    Word(String, bool),
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
    let mut found = Found::default();
    let mut i = 0;
    while i < toks.len() {
        if found.date.is_none() {
            if let Some(used) = found.date_at(&toks, i) {
                i += used;
                continue;
            }
        }
        if found.time.is_none() {
            if let Some(used) = found.clock_at(&toks, i) {
                i += used;
                continue;
            }
        }
        i += found.zone_at_token(&toks, i);
    }
    found.assemble(default_offset)
}

/// What the tokens of a text say, gathered in one pass from left to right: each part
/// is taken where it is first found, and the zone only where it may stand.
#[derive(Default)]
struct Found {
    /// Year, first number, second number, and whether their order is ambiguous (all numeric).
    date: Option<(i32, u32, u32, bool)>,
    /// Hours, minutes, seconds, nanoseconds.
    time: Option<(u32, u32, u32, u32)>,
    /// (pm, written in English).
    meridiem: Option<(bool, bool)>,
    /// Seconds east of UTC.
    offset: Option<i32>,
    /// Where a zone name may follow: just after the time (and its AM/PM).
    zone_at: Option<usize>,
    /// asctime's month and day, whose year comes after the time (and zone).
    year_after_time: Option<(u32, u32)>,
}

impl Found {
    /// A date part starting at token `i`: how many tokens it took.
    fn date_at(&mut self, toks: &[Tok], i: usize) -> Option<usize> {
        let rest = &toks[i..];
        // yyyy-mm-dd or yyyy/mm/dd
        if let [Tok::Num(y, 4), Tok::Sym(s1), Tok::Num(m, _), Tok::Sym(s2), Tok::Num(d, _), ..] = rest {
            if s1 == s2 && matches!(s1, '-' | '/' | '.') {
                self.date = Some((*y as i32, *d, *m, false));
                return Some(5);
            }
        }
        // d/m/y, d-m-y, d.m.y
        if let [Tok::Num(a, _), Tok::Sym(s1), Tok::Num(b, _), Tok::Sym(s2), Tok::Num(y, yl), ..] = rest {
            if s1 == s2 && matches!(s1, '-' | '/' | '.') && (*yl == 4 || *yl == 2) {
                self.date = Some((full_year(*y, *yl), *a, *b, true));
                return Some(5);
            }
        }
        // 20250106T100000Z, ISO 8601's basic format (its 'T' is dropped), or
        // 20250106 alone: a lone number of eight digits elsewhere is no date.
        if let [Tok::Num(ymd, 8), more @ ..] = rest {
            let clock = basic_time(more);
            if clock.is_some() || toks.len() == 1 {
                self.date = Some(((ymd / 10_000) as i32, ymd % 100, ymd / 100 % 100, false));
                let Some((hms, used)) = clock else { return Some(1) };
                self.time = Some(hms);
                self.zone_at = Some(i + 1 + used);
                return Some(1 + used);
            }
        }
        // 5 Aug 2022
        if let [Tok::Num(d, _), Tok::Word(mon, _), Tok::Num(y, yl), ..] = rest {
            if let Some(m) = month_name(mon) {
                if *yl == 4 || *yl == 2 {
                    self.date = Some((full_year(*y, *yl), *d, m, false));
                    return Some(3);
                }
            }
        }
        // Aug 5, 2022 and Aug 5 2022
        if let [Tok::Word(mon, _), Tok::Num(d, 1 | 2), more @ ..] = rest {
            let year = match more {
                [Tok::Sym(','), Tok::Num(y, 4), ..] => Some((*y, 4)),
                [Tok::Num(y, 4), ..] => Some((*y, 3)),
                _ => None,
            };
            if let (Some(m), Some((y, used))) = (month_name(mon), year) {
                self.date = Some((y as i32, *d, m, false));
                return Some(used);
            }
            // asctime: Jan  6 10:00:00 (ICT) 2025
            if let (Some(m), [Tok::Num(_, 1 | 2), Tok::Sym(':'), ..]) = (month_name(mon), more) {
                self.year_after_time = Some((*d, m));
                return Some(2);
            }
        }
        // (ngày) 5 tháng 8 năm 2022, 5 tháng 8, 2022
        if let [Tok::Num(d, _), Tok::Word(th, _), Tok::Num(m, _), sep, Tok::Num(y, 4), ..] = rest {
            if th == "tháng" && (matches!(sep, Tok::Sym(',')) || matches!(sep, Tok::Word(w, _) if w == "năm")) {
                self.date = Some((*y as i32, *d, *m, false));
                return Some(5);
            }
        }
        None
    }

    /// A time of day, hh:mm(:ss(.fff)), starting at token `i`: how many tokens it took.
    fn clock_at(&mut self, toks: &[Tok], i: usize) -> Option<usize> {
        let rest = &toks[i..];
        let [Tok::Num(h, _), Tok::Sym(':'), Tok::Num(m, 2), ..] = rest else { return None };
        let (mut s, mut nanos, mut used) = (0, 0, 3);
        if let [Tok::Sym(':'), Tok::Num(sec, 2), ..] = &rest[3..] {
            s = *sec;
            used += 2;
            if let [Tok::Sym('.' | ','), Tok::Num(frac, fl), ..] = &rest[used..] {
                nanos = fraction_nanos(*frac, *fl);
                used += 2;
            }
        }
        self.time = Some((*h, *m, s, nanos));
        self.zone_at = Some(i + used);
        Some(used)
    }

    /// Token `i` as AM/PM, a zone, or asctime's year; how many tokens to move on
    /// (at least one: a token that says none of these is skipped).
    fn zone_at_token(&mut self, toks: &[Tok], i: usize) -> usize {
        match &toks[i] {
            Tok::Word(w, _)
                if self.time.is_some() && self.meridiem.is_none() && matches!(w.as_str(), "am" | "pm" | "a" | "p") =>
            {
                self.meridiem = Some((w.starts_with('p'), true));
                self.zone_at = Some(i + 1);
            }
            // .NET's vi-VN culture: SA (sáng) and CH (chiều).
            Tok::Word(w, _) if self.time.is_some() && self.meridiem.is_none() && matches!(w.as_str(), "sa" | "ch") => {
                self.meridiem = Some((w == "ch", false));
                self.zone_at = Some(i + 1);
            }
            Tok::Word(w, _) if self.offset.is_none() && matches!(w.as_str(), "gmt" | "utc" | "ut" | "z") => {
                // GMT alone, or GMT+7 / UTC+07:00
                let (offset, used) = signed_offset(&toks[i + 1..]).unwrap_or((0, 0));
                self.offset = Some(offset);
                return used + 1;
            }
            Tok::Word(w, _) if self.offset.is_none() && named_zone(w).is_some() => self.offset = named_zone(w),
            // An unknown zone name where RFC 822 puts the zone, after the date and
            // time: UTC (see the module's doc).
            Tok::Word(w, true)
                if self.offset.is_none()
                    && (self.date.is_some() || self.year_after_time.is_some())
                    && self.zone_at == Some(i)
                    && looks_like_zone(w) =>
            {
                self.offset = Some(0)
            }
            // asctime's year: right after the time, or after a word (its zone) there.
            Tok::Num(y, 4)
                if self.date.is_none()
                    && self.year_after_time.is_some()
                    && self.zone_at.is_some_and(|z| i == z || (i == z + 1 && matches!(toks[z], Tok::Word(..)))) =>
            {
                self.date = self.year_after_time.map(|(d, m)| (*y as i32, d, m, false));
            }
            Tok::Sym('+' | '-') if self.time.is_some() && self.offset.is_none() => {
                if let Some((o, used)) = signed_offset(&toks[i..]) {
                    self.offset = Some(o);
                    return used;
                }
            }
            _ => {}
        }
        1
    }

    /// The instant the parts name: day/month order settled, AM/PM and 24:00 applied,
    /// the zone (else the configured offset) taken away.
    fn assemble(self, default_offset: FixedOffset) -> Option<DateTime<Utc>> {
        let (year, first, second, ambiguous) = self.date?;
        let (mut h, m, s, nanos) = self.time.unwrap_or((0, 0, 0, 0));
        // ISO 8601's end of the day, 24:00, is the next day's start.
        let end_of_day = h == 24 && (m, s, nanos) == (0, 0, 0);
        if end_of_day {
            h = 0;
        }
        if let Some((pm, _)) = self.meridiem {
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
        let us_form = matches!(self.meridiem, Some((_, true)));
        let (day, month) =
            if ambiguous && ((us_form && first <= 12) || second > 12) { (second, first) } else { (first, second) };
        let mut ymd = NaiveDate::from_ymd_opt(year, month, day)?;
        if end_of_day {
            ymd = ymd.succ_opt()?;
        }
        let naive = NaiveDateTime::new(ymd, NaiveTime::from_hms_nano_opt(h, m, s, nanos)?);
        let off = match self.offset {
            Some(secs) => FixedOffset::east_opt(secs)?,
            None => default_offset,
        };
        off.from_local_datetime(&naive).single().map(|d| d.with_timezone(&Utc))
    }
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
                if !d.is_alphabetic() && !crate::util::text::is_combining_mark(d) {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            let word = &text[start..end];
            toks.push(Tok::Word(word.to_lowercase(), !word.chars().any(char::is_lowercase)));
        } else if c == '.' && matches!(toks.last(), Some(Tok::Word(w, _)) if month_name(w).is_some()) {
            // "janv.", "Aug.": the dot of an abbreviated month.
        } else if !c.is_whitespace() {
            toks.push(Tok::Sym(c));
        }
    }
    // ISO's "2022-08-05T10:15": the 'T' is its own word; drop it where it separates.
    toks.retain(|t| !matches!(t, Tok::Word(w, _) if w == "t"));
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

/// `100000`, `1000` (and `100000.250`) after a basic-format date; the time and the
/// number of tokens used.
fn basic_time(toks: &[Tok]) -> Option<((u32, u32, u32, u32), usize)> {
    let (hms, used) = match toks {
        [Tok::Num(hms, 6), ..] => (*hms, 1),
        [Tok::Num(hm, 4), ..] => (hm * 100, 1),
        _ => return None,
    };
    let nanos = match &toks[used..] {
        [Tok::Sym('.' | ','), Tok::Num(frac, fl), ..] => Some(fraction_nanos(*frac, *fl)),
        _ => None,
    };
    let time = (hms / 10_000, hms / 100 % 100, hms % 100, nanos.unwrap_or(0));
    Some((time, used + if nanos.is_some() { 2 } else { 0 }))
}

/// Seconds east of UTC of the zone names feeds use. Where a name is ambiguous the
/// reading of most feeds wins: `CST` is US Central, `IST` India, `BST` British.
fn named_zone(w: &str) -> Option<i32> {
    let minutes = match w {
        "hst" => -10 * 60,
        "akst" => -9 * 60,
        "akdt" | "pst" => -8 * 60,
        "mst" | "pdt" => -7 * 60,
        "cst" | "mdt" => -6 * 60,
        "est" | "cdt" => -5 * 60,
        "ast" | "edt" => -4 * 60,
        "adt" | "brt" => -3 * 60,
        "nst" => -(3 * 60 + 30),
        "wet" | "wez" => 0,
        "west" | "bst" | "cet" | "met" | "mez" | "wesz" => 60,
        "cest" | "mest" | "eet" | "sast" | "mesz" | "oez" => 2 * 60,
        "eest" | "msk" | "oesz" => 3 * 60,
        "pkt" => 5 * 60,
        "ist" => 5 * 60 + 30,
        "ict" | "wib" => 7 * 60,
        "hkt" | "sgt" | "pht" | "myt" | "awst" | "wita" => 8 * 60,
        "jst" | "kst" => 9 * 60,
        "acst" => 9 * 60 + 30,
        "aest" => 10 * 60,
        "acdt" => 10 * 60 + 30,
        "aedt" => 11 * 60,
        "nzst" => 12 * 60,
        "nzdt" => 13 * 60,
        _ => return None,
    };
    Some(minutes * 60)
}

/// Whether an unknown capitalized word has the shape of a zone abbreviation: three
/// to five letters ending in T (…ST, …DT) or Z (German …Z, …SZ). "HRS", "UHR" or
/// "GIO" after a time name none.
fn looks_like_zone(w: &str) -> bool {
    (3..=5).contains(&w.len()) && w.is_ascii() && (w.ends_with('t') || w.ends_with('z'))
}

/// The month an English name or prefix ("Aug", "August", "Sept") or a common
/// German, French, Spanish, Dutch, Portuguese, Italian or Russian name or
/// abbreviation denotes.
fn month_name(w: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    // Those English prefixes do not cover; exact words only, so no longer word
    // that merely starts like one is a month.
    const OTHERS: [&[&str]; 12] = [
        &["ene", "enero", "janv", "janvier", "gen", "gennaio", "jän", "jänner", "янв", "января", "январь"],
        &["févr", "fevr", "fév", "fev", "février", "fevereiro", "febrero", "фев", "февраля", "февраль"],
        &["mär", "märz", "mrt", "мар", "марта", "март"],
        &["avr", "avril", "abr", "abril", "апр", "апреля", "апрель"],
        &["mai", "mei", "maio", "mag", "maggio", "мая", "май"],
        &["juin", "giu", "giugno", "июн", "июня", "июнь"],
        &["juil", "juillet", "lug", "luglio", "июл", "июля", "июль"],
        &["août", "aout", "ago", "agosto", "авг", "августа", "август"],
        &["set", "setembro", "settembre", "septiembre", "сен", "сент", "сентября", "сентябрь"],
        &["okt", "oktober", "out", "outubro", "ott", "ottobre", "окт", "октября", "октябрь"],
        &["ноя", "нояб", "ноября", "ноябрь"],
        &[
            "dez",
            "dezember",
            "dezembro",
            "déc",
            "décembre",
            "dic",
            "diciembre",
            "dicembre",
            "дек",
            "декабря",
            "декабрь",
        ],
    ];
    if let Some(m) = OTHERS.iter().position(|names| names.contains(&w)) {
        return Some(m as u32 + 1);
    }
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
    fn zone_names() {
        for (s, utc) in [
            ("Mon, 06 Jan 2025 10:00:00 CET", "2025-01-06T09:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 CEST", "2025-01-06T08:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 BST", "2025-01-06T09:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 JST", "2025-01-06T01:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 IST", "2025-01-06T04:30:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 AEST", "2025-01-06T00:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 NZDT", "2025-01-05T21:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 ICT", "2025-01-06T03:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 +0100 (CET)", "2025-01-06T09:00:00Z"),
            ("Jan 6, 2025 10:00 AM EST", "2025-01-06T15:00:00Z"),
            // Unknown names are UTC; no zone at all is the configured offset.
            ("Mon, 06 Jan 2025 10:00:00 XYZT", "2025-01-06T10:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 PM XYZ", "2025-01-06T22:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00", "2025-01-06T03:00:00Z"),
            ("10:00 NGAY 06/01/2025", "2025-01-06T03:00:00Z"),
            ("10:00 ngày 06/01/2025", "2025-01-06T03:00:00Z"),
            ("10:00 VN 06/01/2025", "2025-01-06T03:00:00Z"),
        ] {
            assert_eq!(at(s), utc, "{s}");
        }
    }

    #[test]
    fn basic_iso_and_localized_months() {
        assert_eq!(at("20250106T100000Z"), "2025-01-06T10:00:00Z");
        assert_eq!(at("20250106T1000+0100"), "2025-01-06T09:00:00Z");
        assert_eq!(at("20250106T100000.5Z"), "2025-01-06T10:00:00Z");
        assert_eq!(at("20250106"), "2025-01-05T17:00:00Z");
        assert_eq!(parse("Tin số 20250106 của tỉnh", vn()), None);
        for (s, utc) in [
            ("Do, 06 Mär 2025 10:00:00 +0100", "2025-03-06T09:00:00Z"),
            ("Mi, 01 Okt 2025 10:00:00 +0200", "2025-10-01T08:00:00Z"),
            ("Fr, 05 Dez 2025 10:00:00 +0100", "2025-12-05T09:00:00Z"),
            ("lun., 06 janv. 2025 10:00:00 +0100", "2025-01-06T09:00:00Z"),
            ("jeu., 06 févr. 2025 10:00:00 +0100", "2025-02-06T09:00:00Z"),
            ("lun, 06 ene 2025 10:00:00 +0100", "2025-01-06T09:00:00Z"),
            ("mar, 06 may 2025 10:00:00 +0200", "2025-05-06T08:00:00Z"),
            ("ma, 06 mrt 2025 10:00:00 +0100", "2025-03-06T09:00:00Z"),
            ("Seg, 06 Fev 2025 10:00:00 -0300", "2025-02-06T13:00:00Z"),
            ("Пн, 06 янв 2025 10:00:00 +0300", "2025-01-06T07:00:00Z"),
            ("Thu, 06 Sept 2025 10:00:00 +0100", "2025-09-06T09:00:00Z"),
            ("Aug. 5, 2022 10:15", "2022-08-05T03:15:00Z"),
        ] {
            assert_eq!(at(s), utc, "{s}");
        }
    }

    #[test]
    fn asctime_and_end_of_day() {
        for (s, utc) in [
            ("Mon Jan  6 10:00:00 2025", "2025-01-06T03:00:00Z"),
            ("Mon Jan 06 10:00:00 ICT 2025", "2025-01-06T03:00:00Z"),
            ("Mon Jan 06 10:00:00 XYZT 2025", "2025-01-06T10:00:00Z"),
            ("2025-01-06 24:00:00", "2025-01-06T17:00:00Z"),
            ("31/12/2024 24:00 +0000", "2025-01-01T00:00:00Z"),
        ] {
            assert_eq!(at(s), utc, "{s}");
        }
        for s in ["Mon Jan  6 10:00:00 tin số 2025", "2025-01-06 24:30:00", "2025-01-06 24:00:01"] {
            assert_eq!(parse(s, vn()), None, "{s}");
        }
    }

    #[test]
    fn words_after_the_time_that_name_no_zone() {
        for (s, utc) in [
            ("Mon, 06 Jan 2025 10:00:00 MEZ", "2025-01-06T09:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 MESZ", "2025-01-06T08:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 OEZ", "2025-01-06T08:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 OESZ", "2025-01-06T07:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 WEZ", "2025-01-06T10:00:00Z"),
            ("Mon, 06 Jan 2025 10:00:00 WESZ", "2025-01-06T09:00:00Z"),
            // Not zone names: the configured offset.
            ("06/01/2025 10:00 HRS", "2025-01-06T03:00:00Z"),
            ("06.01.2025 10:00 UHR", "2025-01-06T03:00:00Z"),
            ("06/01/2025 10:00 GIO", "2025-01-06T03:00:00Z"),
        ] {
            assert_eq!(at(s), utc, "{s}");
        }
    }

    #[test]
    fn thang_with_a_comma() {
        assert_eq!(at("06 tháng 01, 2025 | 10:00"), "2025-01-06T03:00:00Z");
        assert_eq!(at("Thứ Hai, 06 Tháng 01, 2025 | 10:00"), "2025-01-06T03:00:00Z");
    }

    #[test]
    fn nonsense_is_none() {
        for s in ["", "null", "Đang cập nhật", "32/13/2022", "10:15", "99999999999999999999", "2022-02-30"] {
            assert_eq!(parse(s, vn()), None, "{s}");
        }
    }
}
