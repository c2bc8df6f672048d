//! Who an item is credited to, in eight provinces whose configs declare the agencies
//! they poll by slug and name only, as an operator would: bylines, author fields,
//! titles and content closing lines naming bodies by full name, abbreviation,
//! official's title and with the province's name, read through the same
//! normalization the daemon runs. Each form is one written the way the named portal
//! family writes it (Party sites on `*.dcs.vn`, province portals on `*.gov.vn`, the
//! provincial newspapers), with invented people.

mod common;

use chrono::{DateTime, Utc};
use loa::config::Config;
use loa::normalize::{self, Context};
use loa::parse::RawItem;

/// Bến Tre before the 2025 merger: the Party Committee's portal and the People's
/// Committee's, the Ban Dân vận portal, the Justice department and the newspaper.
const BEN_TRE: &str = r#"
[province]
name = "Bến Tre"

[[agency]]
slug = "tinh-uy"
name = "Tỉnh ủy Bến Tre"

[[agency]]
slug = "ban-dan-van-tinh-uy"
name = "Ban Dân vận Tỉnh ủy"

[[agency]]
slug = "ubnd-tinh"
name = "UBND tỉnh"

[[agency]]
slug = "so-tu-phap"
name = "Sở Tư pháp"

[[agency]]
slug = "bao-dong-khoi"
name = "Báo Đồng Khởi"

[[source]]
id = "portal"
url = "https://www.bentre.gov.vn/rss"
agency = "ubnd-tinh"
"#;

/// Gia Lai after Bình Định merged into it (1/7/2025).
const GIA_LAI: &str = r#"
[province]
name = "Gia Lai"
former = ["Bình Định"]

[[agency]]
slug = "tinh-uy"
name = "Tỉnh ủy Gia Lai"

[[agency]]
slug = "ubnd-tinh"
name = "UBND tỉnh Gia Lai"

[[agency]]
slug = "ban-tuyen-giao-va-dan-van-tinh-uy"
name = "Ban Tuyên giáo và Dân vận Tỉnh ủy"

[[agency]]
slug = "so-giao-duc-va-dao-tao"
name = "Sở Giáo dục và Đào tạo"

[[agency]]
slug = "bao-gia-lai"
name = "Báo Gia Lai"

[[source]]
id = "portal"
url = "https://gialai.gov.vn/rss"
agency = "ubnd-tinh"
"#;

/// Vĩnh Long after Bến Tre and Trà Vinh merged into it, declared with slugs of the
/// operator's own: each denotes a built-in body by its name.
const VINH_LONG: &str = r#"
[province]
name = "Vĩnh Long"
former = ["Bến Tre", "Trà Vinh"]

[[agency]]
slug = "tinh-uy-vinh-long"
name = "Tỉnh ủy Vĩnh Long"

[[agency]]
slug = "ubnd-vinh-long"
name = "UBND tỉnh Vĩnh Long"

[[agency]]
slug = "so-yte"
name = "Sở Y tế"

[[agency]]
slug = "mttq-vinh-long"
name = "Ủy ban MTTQ Việt Nam tỉnh Vĩnh Long"

[[agency]]
slug = "bao-vinh-long"
name = "Báo Vĩnh Long"

[[source]]
id = "portal"
url = "https://vinhlong.gov.vn/rss"
agency = "ubnd-vinh-long"
"#;

/// Quảng Ngãi, with no `[province]`: its name is read from the declared names.
const QUANG_NGAI: &str = r#"
[[agency]]
slug = "ubnd-tinh"
name = "UBND tỉnh Quảng Ngãi"

[[agency]]
slug = "tinh-uy"
name = "Tỉnh ủy Quảng Ngãi"

[[agency]]
slug = "so-nong-nghiep-va-moi-truong"
name = "Sở Nông nghiệp và Môi trường"

[[agency]]
slug = "hoi-nong-dan-tinh"
name = "Hội Nông dân tỉnh"

[[agency]]
slug = "bao-quang-ngai"
name = "Báo Quảng Ngãi"

[[source]]
id = "portal"
url = "https://quangngai.gov.vn/rss"
agency = "ubnd-tinh"
"#;

/// Nghệ An after the 2025 reorganisation, with slugs of the operator's own.
const NGHE_AN: &str = r#"
[province]
name = "Nghệ An"

[[agency]]
slug = "tinh-uy-nghe-an"
name = "Tỉnh ủy Nghệ An"

[[agency]]
slug = "ubnd-nghe-an"
name = "UBND tỉnh Nghệ An"

[[agency]]
slug = "ban-tgdv"
name = "Ban Tuyên giáo và Dân vận Tỉnh ủy Nghệ An"

[[agency]]
slug = "so-nnmt"
name = "Sở Nông nghiệp và Môi trường Nghệ An"

[[agency]]
slug = "bao-nghe-an"
name = "Báo Nghệ An"

[[source]]
id = "portal"
url = "https://nghean.gov.vn/rss"
agency = "ubnd-nghe-an"
"#;

/// Đắk Lắk after Phú Yên merged into it (1/7/2025): bodies the registry does not
/// know (Công an tỉnh) beside ones it does.
const DAK_LAK: &str = r#"
[province]
name = "Đắk Lắk"
former = ["Phú Yên"]

[[agency]]
slug = "cong-an-tinh"
name = "Công an tỉnh Đắk Lắk"

[[agency]]
slug = "mttq-tinh"
name = "Ủy ban MTTQ Việt Nam tỉnh Đắk Lắk"

[[agency]]
slug = "hoi-phu-nu"
name = "Hội Liên hiệp Phụ nữ tỉnh"

[[agency]]
slug = "tinh-doan"
name = "Tỉnh đoàn Đắk Lắk"

[[agency]]
slug = "bao-dak-lak"
name = "Báo Đắk Lắk"

[[source]]
id = "portal"
url = "https://daklak.gov.vn/rss"
agency = "mttq-tinh"
"#;

/// Cà Mau after Bạc Liêu merged into it.
const CA_MAU: &str = r#"
[province]
name = "Cà Mau"
former = ["Bạc Liêu"]

[[agency]]
slug = "bo-chqs-tinh"
name = "Bộ Chỉ huy Quân sự tỉnh Cà Mau"

[[agency]]
slug = "ldld-tinh"
name = "Liên đoàn Lao động tỉnh Cà Mau"

[[agency]]
slug = "thanh-tra-tinh"
name = "Thanh tra tỉnh"

[[agency]]
slug = "dang-uy-ubnd-tinh"
name = "Đảng ủy UBND tỉnh"

[[agency]]
slug = "bao-ca-mau"
name = "Báo Cà Mau"

[[source]]
id = "portal"
url = "https://camau.gov.vn/rss"
agency = "thanh-tra-tinh"
"#;

/// Hà Tĩnh in 2023, with no `[province]`: the Party commissions' portals.
const HA_TINH: &str = r#"
[[agency]]
slug = "ban-dan-van"
name = "Ban Dân vận Tỉnh ủy Hà Tĩnh"

[[agency]]
slug = "ban-noi-chinh"
name = "Ban Nội chính Tỉnh ủy"

[[agency]]
slug = "ban-to-chuc"
name = "Ban Tổ chức Tỉnh ủy"

[[agency]]
slug = "ubkt"
name = "UBKT Tỉnh ủy Hà Tĩnh"

[[agency]]
slug = "doan-dbqh"
name = "Đoàn ĐBQH tỉnh Hà Tĩnh"

[[source]]
id = "portal"
url = "https://hatinh.dcs.vn/rss"
agency = "ban-to-chuc"
"#;

/// Where a case's name is written.
#[derive(Clone, Copy, Debug)]
enum At {
    /// The whole author or `dc:creator` field.
    Author,
    /// The last line of the content.
    Content,
    /// The title (nothing else names a body).
    Title,
}

/// (config, where, text, credited slug, where the form was seen)
type Case = (&'static str, At, &'static str, &'static str, &'static str);

const CASES: &[Case] = &[
    // --- Bến Tre, August 2022 ---
    (BEN_TRE, At::Author, "Nguyễn Hiếu (Ban Dân vận Tỉnh ủy)", "ban-dan-van-tinh-uy", "bentre.dcs.vn <author>"),
    (BEN_TRE, At::Author, "Ngọc Trâm (Ban DV Tỉnh ủy)", "ban-dan-van-tinh-uy", "danvan.bentre.dcs.vn div.author"),
    (BEN_TRE, At::Content, "Thanh Tâm (UBKT Tỉnh ủy)", "uy-ban-kiem-tra-tinh-uy", "bentre.dcs.vn, last <p><em>"),
    (BEN_TRE, At::Author, "Ban Tuyên giáo Tỉnh ủy", "ban-tuyen-giao-tinh-uy", "bentre.dcs.vn dc:creator"),
    (BEN_TRE, At::Content, "Hoài Phong (BTG Tỉnh ủy)", "ban-tuyen-giao-tinh-uy", "bentre.dcs.vn closing line"),
    (
        BEN_TRE,
        At::Title,
        "Sở KH&CN tổ chức hội thảo khoa học về dừa",
        "so-khoa-hoc-va-cong-nghe",
        "bentre.gov.vn titles",
    ),
    (BEN_TRE, At::Title, "Sở KH&ĐT thẩm định dự án đầu tư công", "so-ke-hoach-va-dau-tu", "bentre.gov.vn titles"),
    (BEN_TRE, At::Author, "Sở LĐ-TB&XH", "so-lao-dong-thuong-binh-va-xa-hoi", "bentre.gov.vn author field"),
    (BEN_TRE, At::Author, "Sở VHTT&DL", "so-van-hoa-the-thao-va-du-lich", "bentre.gov.vn author field"),
    (BEN_TRE, At::Content, "Thu Hà (Sở TN&MT)", "so-tai-nguyen-va-moi-truong", "baodongkhoi.vn trailing text"),
    (BEN_TRE, At::Author, "Sở TTTT Bến Tre", "so-thong-tin-va-truyen-thong", "bentre.gov.vn author field"),
    (BEN_TRE, At::Author, "Sở GT-VT", "so-giao-thong-van-tai", "bentre.gov.vn author field"),
    (BEN_TRE, At::Author, "Hội ND tỉnh", "hoi-nong-dan-tinh", "baodongkhoi.vn author"),
    (BEN_TRE, At::Content, "Minh Triết (Hội Nông dân Bến Tre)", "hoi-nong-dan-tinh", "baodongkhoi.vn trailing text"),
    (BEN_TRE, At::Content, "Thu Trang (Hội LHPN tỉnh)", "hoi-lien-hiep-phu-nu-tinh", "baodongkhoi.vn last <p>"),
    (BEN_TRE, At::Author, "LĐLĐ tỉnh", "lien-doan-lao-dong-tinh", "bentre.gov.vn author field"),
    (BEN_TRE, At::Author, "Văn phòng TU", "van-phong-tinh-uy", "bentre.dcs.vn dc:creator"),
    (BEN_TRE, At::Author, "Đoàn ĐBQH tỉnh Bến Tre", "doan-dbqh-tinh", "bentre.gov.vn author field"),
    (BEN_TRE, At::Title, "Chánh Văn phòng UBND tỉnh chủ trì họp báo", "ubnd-tinh", "bentre.gov.vn titles"),
    (BEN_TRE, At::Author, "Sở Tư pháp tỉnh Bến Tre", "so-tu-phap", "stp.bentre.gov.vn author field"),
    (BEN_TRE, At::Author, "STP", "so-tu-phap", "stp.bentre.gov.vn author field"),
    (BEN_TRE, At::Author, "Báo Đồng Khởi", "bao-dong-khoi", "baodongkhoi.vn author"),
    (BEN_TRE, At::Title, "Bí thư Tỉnh ủy Bến Tre tiếp công dân định kỳ", "tinh-uy", "bentre.dcs.vn titles"),
    (
        BEN_TRE,
        At::Title,
        "Thường trực HĐND tỉnh giám sát công tác chuẩn bị năm học",
        "hdnd-tinh",
        "bentre.gov.vn titles",
    ),
    // Bodies apart: a district committee, a people (Tú, Tư) who are not TU, a verb.
    (BEN_TRE, At::Content, "Lê Thanh (Huyện ủy Giồng Trôm)", "huyen-uy-giong-trom", "bentre.dcs.vn closing line"),
    (BEN_TRE, At::Author, "Tú", "ubnd-tinh", "bentre.gov.vn author field (a writer's given name)"),
    (BEN_TRE, At::Author, "TƯ", "ubnd-tinh", "baodongkhoi.vn author in capitals"),
    (BEN_TRE, At::Title, "Tu bổ di tích đình Phú Lễ", "ubnd-tinh", "bentre.gov.vn titles"),
    // --- Gia Lai, September 2025 ---
    (
        GIA_LAI,
        At::Author,
        "Hồng Thi (Ban TG&DV Tỉnh ủy)",
        "ban-tuyen-giao-va-dan-van-tinh-uy",
        "gialai.dcs.vn <author>",
    ),
    (
        GIA_LAI,
        At::Author,
        "Ban Tuyên giáo và Dân vận Tỉnh ủy Gia Lai",
        "ban-tuyen-giao-va-dan-van-tinh-uy",
        "gialai.dcs.vn dc:creator",
    ),
    (GIA_LAI, At::Content, "Minh Châu (BTG&DV Tỉnh ủy)", "ban-tuyen-giao-va-dan-van-tinh-uy", "gialai.dcs.vn closing"),
    (GIA_LAI, At::Author, "Sở GD&ĐT", "so-giao-duc-va-dao-tao", "gialai.gov.vn author field"),
    (
        GIA_LAI,
        At::Author,
        "Sở Giáo dục và Đào tạo tỉnh Gia Lai",
        "so-giao-duc-va-dao-tao",
        "gialai.gov.vn author field",
    ),
    (
        GIA_LAI,
        At::Title,
        "Giám đốc Sở GD&ĐT kiểm tra công tác chuẩn bị năm học mới",
        "so-giao-duc-va-dao-tao",
        "gialai.gov.vn titles",
    ),
    (GIA_LAI, At::Title, "Bí thư Tỉnh ủy Gia Lai tiếp công dân định kỳ tháng 9", "tinh-uy", "gialai.dcs.vn titles"),
    (GIA_LAI, At::Title, "Chủ tịch UBND tỉnh kiểm tra tiến độ cao tốc Quy Nhơn - Pleiku", "ubnd-tinh", "gialai.gov.vn"),
    (GIA_LAI, At::Title, "Phó Chủ tịch HĐND tỉnh giám sát tại xã Ia Grai", "hdnd-tinh", "gialai.gov.vn titles"),
    (
        GIA_LAI,
        At::Title,
        "Trưởng Ban Tuyên giáo và Dân vận Tỉnh ủy làm việc với Đảng ủy phường Pleiku",
        "ban-tuyen-giao-va-dan-van-tinh-uy",
        "gialai.dcs.vn titles",
    ),
    (
        GIA_LAI,
        At::Title,
        "Ban TG&DV Tỉnh ủy tổ chức hội nghị báo cáo viên",
        "ban-tuyen-giao-va-dan-van-tinh-uy",
        "gialai.dcs.vn titles",
    ),
    (GIA_LAI, At::Content, "Phương Vy (Tỉnh Đoàn Gia Lai)", "tinh-doan", "baogialai.com.vn closing line"),
    (GIA_LAI, At::Author, "UBND tỉnh Gia Lai", "ubnd-tinh", "gialai.gov.vn author field"),
    (GIA_LAI, At::Author, "Văn phòng UBND tỉnh", "ubnd-tinh", "gialai.gov.vn author field"),
    (GIA_LAI, At::Author, "Báo Gia Lai", "bao-gia-lai", "gialai.gov.vn author field (reposts)"),
    (GIA_LAI, At::Content, "Đức Thụy (Báo Gia Lai)", "bao-gia-lai", "gialai.gov.vn closing line"),
    (GIA_LAI, At::Author, "Hội LHPN tỉnh Bình Định", "hoi-lien-hiep-phu-nu-tinh", "binhdinh.gov.vn archive, merged"),
    (GIA_LAI, At::Author, "Sở NN&MT", "so-nong-nghiep-va-moi-truong", "gialai.gov.vn author field"),
    (GIA_LAI, At::Author, "UBMTTQ Việt Nam tỉnh Gia Lai", "uy-ban-mttq-viet-nam-tinh", "gialai.gov.vn author field"),
    (GIA_LAI, At::Author, "Sở KH&CN", "so-khoa-hoc-va-cong-nghe", "gialai.gov.vn author field"),
    (GIA_LAI, At::Author, "Sở VH-TT&DL tỉnh Gia Lai", "so-van-hoa-the-thao-va-du-lich", "gialai.gov.vn author"),
    (GIA_LAI, At::Content, "Nhật Hạ (Sở Tư pháp Gia Lai)", "so-tu-phap", "stp.gialai.gov.vn closing line"),
    (
        GIA_LAI,
        At::Content,
        "Minh Nguyệt (Ban TG&DV)",
        "ban-tuyen-giao-va-dan-van-tinh-uy",
        "tgdv.gialai.dcs.vn closing",
    ),
    (GIA_LAI, At::Title, "[Video] Bí thư Tỉnh ủy đối thoại với thanh niên", "tinh-uy", "baogialai.com.vn labels"),
    (GIA_LAI, At::Author, "Theo Báo Gia Lai", "bao-gia-lai", "gialai.gov.vn author field (reposts)"),
    (
        GIA_LAI,
        At::Author,
        "Hồng Thi - Ban TG&DV Tỉnh ủy",
        "ban-tuyen-giao-va-dan-van-tinh-uy",
        "gialai.dcs.vn <author>",
    ),
    // Bodies apart: a commune's committee, the newspaper of a former province, a writer.
    (GIA_LAI, At::Author, "UBND xã Ia Grai", "ubnd-xa-ia-grai", "gialai.gov.vn author field"),
    (GIA_LAI, At::Author, "Hồng Thi", "ubnd-tinh", "gialai.gov.vn author field (a writer)"),
    (GIA_LAI, At::Content, "(Theo Báo Nhân Dân)", "ubnd-tinh", "gialai.gov.vn reposts of national papers"),
    (GIA_LAI, At::Author, "Ban Biên tập", "ubnd-tinh", "gialai.gov.vn author field (the portal's editors)"),
    // --- Vĩnh Long, October 2025, slugs of the operator's own ---
    (VINH_LONG, At::Author, "UBND tỉnh Vĩnh Long", "ubnd-vinh-long", "vinhlong.gov.vn author field"),
    (VINH_LONG, At::Author, "Văn phòng UBND tỉnh", "ubnd-vinh-long", "vinhlong.gov.vn author field"),
    (VINH_LONG, At::Title, "Bí thư Tỉnh ủy Vĩnh Long dự lễ khánh thành cầu", "tinh-uy-vinh-long", "vinhlong.dcs.vn"),
    (
        VINH_LONG,
        At::Title,
        "Phó Bí thư Thường trực Tỉnh ủy làm việc với Đảng ủy xã Long Hồ",
        "tinh-uy-vinh-long",
        "vinhlong.dcs.vn titles",
    ),
    (VINH_LONG, At::Content, "Ngọc Hân (Sở Y tế tỉnh Vĩnh Long)", "so-yte", "vinhlong.gov.vn closing line"),
    (VINH_LONG, At::Author, "SYT", "so-yte", "soyte.vinhlong.gov.vn author field"),
    (VINH_LONG, At::Content, "đạt 95% kế hoạch. Nguồn: Sở Y tế", "so-yte", "vinhlong.gov.vn closing line"),
    (VINH_LONG, At::Author, "UBMTTQ tỉnh", "mttq-vinh-long", "vinhlong.gov.vn author field"),
    (VINH_LONG, At::Content, "Kim Ngân (MTTQ tỉnh Bến Tre)", "mttq-vinh-long", "dongkhoi.baovinhlong.vn, former"),
    (VINH_LONG, At::Author, "Báo Vĩnh Long", "bao-vinh-long", "vinhlong.gov.vn author field"),
    (VINH_LONG, At::Author, "Sở LĐ-TB&XH", "so-noi-vu", "vinhlong.gov.vn, the department merged into Nội vụ (3/2025)"),
    (
        VINH_LONG,
        At::Author,
        "Ban Dân vận Tỉnh ủy",
        "ban-tuyen-giao-va-dan-van-tinh-uy",
        "vinhlong.dcs.vn dc:creator, after the March 2025 merger of the commissions",
    ),
    (VINH_LONG, At::Author, "Báo Trà Vinh", "bao-tra-vinh", "vinhlong.gov.vn reposts, the former newspaper"),
    (VINH_LONG, At::Author, "UBND phường Phước Hậu", "ubnd-phuong-phuoc-hau", "vinhlong.gov.vn author field"),
    (VINH_LONG, At::Title, "Nông dân Long Hồ thu hoạch lúa Thu Đông", "ubnd-vinh-long", "vinhlong.gov.vn titles"),
    // --- Quảng Ngãi, November 2025, no [province] ---
    (QUANG_NGAI, At::Content, "Thanh Nhị (Tỉnh Đoàn Quảng Ngãi)", "tinh-doan", "baoquangngai.vn closing line"),
    (QUANG_NGAI, At::Author, "Sở NN&MT Quảng Ngãi", "so-nong-nghiep-va-moi-truong", "quangngai.gov.vn author field"),
    (QUANG_NGAI, At::Author, "Hội ND Quảng Ngãi", "hoi-nong-dan-tinh", "quangngai.gov.vn author field"),
    (QUANG_NGAI, At::Title, "Chủ tịch UBND tỉnh Quảng Ngãi kiểm tra đê biển", "ubnd-tinh", "quangngai.gov.vn titles"),
    (QUANG_NGAI, At::Author, "Báo Quảng Ngãi", "bao-quang-ngai", "quangngai.gov.vn author field (reposts)"),
    // --- Nghệ An, October 2025, slugs of the operator's own ---
    (NGHE_AN, At::Author, "Phan Quỳnh (Ban TG&DV Tỉnh ủy)", "ban-tgdv", "nghean.dcs.vn <author>"),
    (NGHE_AN, At::Author, "BDV", "ban-tgdv", "nghean.dcs.vn author field, the commission before its merger"),
    (NGHE_AN, At::Author, "Ban Tuyên giáo và Dân vận Tỉnh uỷ", "ban-tgdv", "nghean.dcs.vn, old tone placement"),
    (NGHE_AN, At::Author, "ban tuyên giáo và dân vận tỉnh ủy nghệ an", "ban-tgdv", "nghean.gov.vn, lower case"),
    (NGHE_AN, At::Author, "Theo Báo Nghệ An", "bao-nghe-an", "nghean.gov.vn author field (reposts)"),
    (NGHE_AN, At::Author, "Theo baonghean.vn", "bao-nghe-an", "nghean.gov.vn author field, the paper's address"),
    (NGHE_AN, At::Content, "Nguồn: baonghean.vn", "bao-nghe-an", "nghean.gov.vn closing line"),
    (NGHE_AN, At::Author, "Văn phòng UBND tỉnh", "ubnd-nghe-an", "nghean.gov.vn author field"),
    (NGHE_AN, At::Author, "Văn phòng Ủy ban nhân dân tỉnh", "ubnd-nghe-an", "nghean.gov.vn, UBND spelled out"),
    (NGHE_AN, At::Author, "Sở NN&MT", "so-nnmt", "snnmt.nghean.gov.vn author field"),
    (NGHE_AN, At::Author, "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG NGHỆ AN", "so-nnmt", "nghean.gov.vn, capitals"),
    (NGHE_AN, At::Content, "Hải Vương (Sở NN và MT)", "so-nnmt", "baonghean.vn closing line"),
    (NGHE_AN, At::Title, "Giám đốc Sở Nông nghiệp và Môi trường kiểm tra đê", "so-nnmt", "nghean.gov.vn"),
    (NGHE_AN, At::Title, "Ban Thường vụ Tỉnh ủy Nghệ An cho ý kiến", "tinh-uy-nghe-an", "nghean.dcs.vn titles"),
    (NGHE_AN, At::Title, "UBND TỈNH NGHỆ AN HỌP PHIÊN THƯỜNG KỲ", "ubnd-nghe-an", "nghean.gov.vn, capitals"),
    (NGHE_AN, At::Author, "Báo Nghệ An điện tử", "bao-nghe-an", "nghean.gov.vn author field (reposts)"),
    // Writers whose names fold like a body's head (Bảo/Báo, Trương/Trường,
    // Văn Phong/Văn phòng, Phóng viên/Phòng) or are the surname Đoàn.
    (NGHE_AN, At::Author, "Bảo Anh", "ubnd-nghe-an", "baonghean.vn author field (a pen name)"),
    (NGHE_AN, At::Author, "Trương Thị Hằng", "ubnd-nghe-an", "nghean.gov.vn author field"),
    (NGHE_AN, At::Author, "Văn Phong", "ubnd-nghe-an", "baonghean.vn author field"),
    (NGHE_AN, At::Author, "Đoàn Văn Hậu", "ubnd-nghe-an", "nghean.gov.vn author field"),
    (NGHE_AN, At::Author, "Phóng viên", "ubnd-nghe-an", "nghean.gov.vn author field"),
    (NGHE_AN, At::Author, "UBND huyện Quỳnh Lưu", "ubnd-huyen-quynh-luu", "nghean.gov.vn archive, a district"),
    (NGHE_AN, At::Title, "Bí thư Huyện ủy Quỳnh Lưu tiếp công dân", "ubnd-nghe-an", "nghean.dcs.vn, a district"),
    // --- Đắk Lắk, October 2025 ---
    (DAK_LAK, At::Author, "Công an tỉnh", "cong-an-tinh", "congan.daklak.gov.vn author field"),
    (DAK_LAK, At::Author, "Công an tỉnh Phú Yên", "cong-an-tinh", "daklak.gov.vn, the former province"),
    (DAK_LAK, At::Author, "Công an tỉnh Đăk Lăk", "cong-an-tinh", "baodaklak.vn, the province spelled Đăk Lăk"),
    (DAK_LAK, At::Title, "Phó Giám đốc Công an tỉnh dự lễ ra quân", "cong-an-tinh", "daklak.gov.vn titles"),
    (DAK_LAK, At::Author, "Phòng CSGT Công an tỉnh", "phong-csgt-cong-an-tinh", "congan.daklak.gov.vn"),
    (DAK_LAK, At::Author, "Uỷ ban MTTQ Việt Nam tỉnh Đắk Lắk", "mttq-tinh", "mattran.daklak.gov.vn author field"),
    (DAK_LAK, At::Author, "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", "mttq-tinh", "daklak.gov.vn, spelled out"),
    (DAK_LAK, At::Author, "Mặt trận Tổ quốc tỉnh", "mttq-tinh", "baodaklak.vn author field"),
    (DAK_LAK, At::Title, "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh thăm hộ nghèo", "mttq-tinh", "daklak.gov.vn"),
    (DAK_LAK, At::Author, "Hội LHPN tỉnh Phú Yên", "hoi-phu-nu", "phunu.daklak.gov.vn, the former province"),
    (DAK_LAK, At::Author, "Hội Phụ nữ tỉnh", "hoi-phu-nu", "baodaklak.vn author field"),
    (DAK_LAK, At::Title, "Thường trực Hội LHPN tỉnh làm việc với xã Ea Kao", "hoi-phu-nu", "daklak.gov.vn titles"),
    (DAK_LAK, At::Author, "TỈNH ĐOÀN ĐẮK LẮK", "tinh-doan", "tinhdoan.daklak.gov.vn, capitals"),
    (DAK_LAK, At::Author, "Ban Thường vụ Tỉnh đoàn", "tinh-doan", "tinhdoan.daklak.gov.vn author field"),
    (DAK_LAK, At::Author, "Đoàn Thanh niên tỉnh", "tinh-doan", "baodaklak.vn author field"),
    (DAK_LAK, At::Title, "Bí thư Tỉnh đoàn làm việc với Đoàn xã Ea Kao", "tinh-doan", "tinhdoan.daklak.gov.vn"),
    (DAK_LAK, At::Author, "Đoàn Thanh niên xã Ea Kao", "doan-thanh-nien-xa-ea-kao", "tinhdoan.daklak.gov.vn"),
    (DAK_LAK, At::Author, "Báo Phú Yên", "bao-phu-yen", "daklak.gov.vn reposts, the former newspaper"),
    (DAK_LAK, At::Author, "Đoàn Minh", "mttq-tinh", "baodaklak.vn author field (a writer)"),
    (DAK_LAK, At::Title, "Công an Đắk Lắk bắt đối tượng trộm cắp", "cong-an-tinh", "baodaklak.vn titles"),
    (DAK_LAK, At::Title, "Công an xã Ea Kao ra mắt mô hình", "mttq-tinh", "baodaklak.vn titles, a commune's police"),
    // --- Cà Mau, October 2025 ---
    (CA_MAU, At::Author, "BCH Quân sự tỉnh", "bo-chqs-tinh", "camau.gov.vn author field"),
    (CA_MAU, At::Author, "Bộ CHQS tỉnh Bạc Liêu", "bo-chqs-tinh", "baocamau.vn, the former province"),
    (CA_MAU, At::Title, "Chỉ huy trưởng Bộ CHQS tỉnh kiểm tra huấn luyện", "bo-chqs-tinh", "baocamau.vn titles"),
    (CA_MAU, At::Author, "LĐLĐ tỉnh Cà Mau", "ldld-tinh", "congdoan.camau.gov.vn author field"),
    (CA_MAU, At::Title, "Ban Thường vụ LĐLĐ tỉnh họp phiên thường kỳ", "ldld-tinh", "camau.gov.vn titles"),
    (CA_MAU, At::Title, "Chánh Thanh tra tỉnh tiếp công dân", "thanh-tra-tinh", "thanhtra.camau.gov.vn titles"),
    (CA_MAU, At::Author, "Đảng uỷ UBND tỉnh Cà Mau", "dang-uy-ubnd-tinh", "camau.dcs.vn, old tone placement"),
    (CA_MAU, At::Author, "Đảng ủy Ủy ban nhân dân tỉnh", "dang-uy-ubnd-tinh", "camau.dcs.vn, UBND spelled out"),
    (CA_MAU, At::Author, "Theo baocamau.vn", "bao-ca-mau", "camau.gov.vn author field (reposts)"),
    (CA_MAU, At::Author, "Thanh Trà", "thanh-tra-tinh", "baocamau.vn author field (a writer)"),
    (CA_MAU, At::Author, "Thanh tra huyện Đầm Dơi", "thanh-tra-huyen-dam-doi", "camau.gov.vn archive, a district"),
    // --- Hà Tĩnh, May 2023, no [province] ---
    (HA_TINH, At::Author, "Phan Trâm (Ban Dân vận Tỉnh ủy)", "ban-dan-van", "hatinh.dcs.vn <author>"),
    (HA_TINH, At::Title, "Trưởng Ban Dân vận Tỉnh ủy Hà Tĩnh làm việc", "ban-dan-van", "hatinh.dcs.vn titles"),
    (HA_TINH, At::Content, "Thu Hà (Ban Nội chính TU)", "ban-noi-chinh", "hatinh.dcs.vn closing line"),
    (HA_TINH, At::Title, "Phó Trưởng Ban Nội chính Tỉnh ủy dự hội nghị", "ban-noi-chinh", "hatinh.dcs.vn titles"),
    (HA_TINH, At::Author, "Ban TC Tỉnh ủy", "ban-to-chuc", "hatinh.dcs.vn author field"),
    (HA_TINH, At::Author, "Ủy ban Kiểm tra Tỉnh uỷ Hà Tĩnh", "ubkt", "hatinh.dcs.vn author field"),
    (HA_TINH, At::Title, "Chủ nhiệm UBKT Tỉnh ủy Hà Tĩnh kiểm tra", "ubkt", "hatinh.dcs.vn titles"),
    (HA_TINH, At::Author, "Đoàn đại biểu Quốc hội tỉnh Hà Tĩnh", "doan-dbqh", "hatinh.gov.vn author field"),
    (HA_TINH, At::Title, "Trưởng Đoàn ĐBQH tỉnh tiếp xúc cử tri", "doan-dbqh", "hatinh.gov.vn titles"),
    (HA_TINH, At::Author, "Ban Tổ chức Huyện ủy Can Lộc", "ban-to-chuc-huyen-uy-can-loc", "hatinh.dcs.vn, a district"),
    (HA_TINH, At::Author, "Đoàn Thị Hương", "ban-to-chuc", "hatinh.dcs.vn author field (a writer)"),
];

/// Each config and the date of its items (the month its forms were seen).
const PROVINCES: &[(&str, &str)] = &[
    (BEN_TRE, "2022-08-05T03:00:00Z"),
    (GIA_LAI, "2025-09-10T03:00:00Z"),
    (VINH_LONG, "2025-10-15T03:00:00Z"),
    (QUANG_NGAI, "2025-11-03T03:00:00Z"),
    (NGHE_AN, "2025-10-15T03:00:00Z"),
    (DAK_LAK, "2025-10-15T03:00:00Z"),
    (CA_MAU, "2025-10-15T03:00:00Z"),
    (HA_TINH, "2023-05-05T03:00:00Z"),
];

/// The date of a config's items.
fn date_of(config: &str) -> DateTime<Utc> {
    PROVINCES.iter().find(|(text, _)| *text == config).unwrap().1.parse().unwrap()
}

/// The item a case describes, normalized as a poll would.
fn credit(config: &Config, text: &str, at: At, date: DateTime<Utc>) -> loa::model::Item {
    let source = config.source("portal").unwrap();
    let mut raw = RawItem {
        title: Some("Tin hoạt động".into()),
        link: Some("https://example.gov.vn/tin/1.html".into()),
        content: Some("<p>Nội dung bản tin.</p>".into()),
        published: Some(date),
        ..Default::default()
    };
    match at {
        At::Author => raw.authors = vec![text.to_string()],
        At::Content => raw.content = Some(format!("<p>Nội dung bản tin.</p><p>{text}</p>")),
        At::Title => raw.title = Some(text.to_string()),
    }
    let cx = Context {
        source,
        document_url: &source.url,
        home: None,
        document_title: None,
        authors: &[],
        now: date,
        registry: &config.agencies,
    };
    normalize::item(raw, &cx).unwrap()
}

#[test]
fn bylines_and_titles_credit_the_declared_or_builtin_agency() {
    let configs: Vec<(&str, Config)> =
        PROVINCES.iter().map(|&(text, _)| (text, Config::parse(text, "test.toml").unwrap())).collect();
    // A body the config or the registry knows is never credited under a new slug.
    let unknown = [
        "huyen-uy-giong-trom",
        "ubnd-xa-ia-grai",
        "bao-tra-vinh",
        "ubnd-phuong-phuoc-hau",
        "ubnd-huyen-quynh-luu",
        "phong-csgt-cong-an-tinh",
        "doan-thanh-nien-xa-ea-kao",
        "bao-phu-yen",
        "thanh-tra-huyen-dam-doi",
        "ban-to-chuc-huyen-uy-can-loc",
    ];
    let mut wrong = Vec::new();
    for &(text, at, name, expected, seen) in CASES {
        let config = &configs.iter().find(|(t, _)| *t == text).unwrap().1;
        let item = credit(config, name, at, date_of(text));
        if item.agency != expected {
            wrong.push(format!("{at:?} {name:?} ({seen}): {} by {}, expected {expected}", item.agency, item.evidence));
        }
        assert_eq!(config.agencies.contains(&item.agency), !unknown.contains(&expected), "{name:?}: {}", item.agency);
    }
    assert!(CASES.len() >= 40);
    assert!(wrong.is_empty(), "{} of {} cases credited wrong:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

#[test]
fn evidence_says_how_a_name_was_read() {
    let config = Config::parse(GIA_LAI, "test.toml").unwrap();
    let d = date_of(GIA_LAI);
    let item = credit(&config, "Hồng Thi (Ban TG&DV Tỉnh ủy)", At::Author, d);
    assert_eq!(
        item.evidence.to_string(),
        "author byline \"Hồng Thi (Ban TG&DV Tỉnh ủy)\" → abbreviation of \"Ban Tuyên giáo và Dân vận Tỉnh ủy\""
    );
    let item = credit(&config, "Bí thư Tỉnh ủy Gia Lai tiếp công dân", At::Title, d);
    assert_eq!(
        item.evidence.to_string(),
        "title starts with \"Bí thư Tỉnh ủy Gia Lai\" → an official of \"Tỉnh ủy Gia Lai\""
    );
    let item = credit(&config, "(Tỉnh Đoàn Gia Lai)", At::Content, d);
    assert_eq!(item.evidence.to_string(), "byline closing the content \"(Tỉnh Đoàn Gia Lai)\" → read as \"Tỉnh Đoàn\"");
}

#[test]
fn check_says_what_each_declared_agency_merged_with() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loa.toml");
    std::fs::write(&path, VINH_LONG).unwrap();
    let run = |args: &[&str]| common::loa(args, &path);
    let quiet = run(&["check"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(quiet.stderr.is_empty(), "no warning: {}", String::from_utf8_lossy(&quiet.stderr));
    let out = run(&["check", "-v"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "no warning: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("province Vĩnh Long (formerly also Bến Tre, Trà Vinh)"), "{stdout}");
    assert!(stdout.contains("agency ubnd-vinh-long: merged with the built-in ubnd-tinh (\"UBND tỉnh\""), "{stdout}");
    assert!(stdout.contains("agency so-yte: merged with the built-in so-y-te"), "{stdout}");
    assert!(stdout.contains("agency bao-vinh-long: new"), "{stdout}");
}
