//! The module order: every top-level module of `src/` uses (outside its tests) only
//! the modules drawn before it in `ORDER`, the list ARCHITECTURE.md draws. A stage
//! that needs something of a later one is the sign that a helper or a type belongs
//! lower down (in `util` or `model`), or that the caller should pass it in.

use std::collections::BTreeSet;
use std::path::Path;

/// The top-level modules of `src/`, each allowed to use only those before it.
const ORDER: &[&str] = &[
    "util",
    "model",
    "agency",
    "config",
    "schedule",
    "fetch",
    "parse",
    "normalize",
    "read",
    "store",
    "dedupe",
    "publish",
    "metrics",
    "serve",
    "upkeep",
    "export",
    "import",
    "daemon",
    "inspect",
    "discover",
    "demo",
];

/// The source with comments and `#[cfg(test)]` items removed.
fn non_test_code(src: &str) -> String {
    let lines: Vec<&str> = src.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
    let text = lines.join("\n");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        rest = skip_item(&rest[at + "#[cfg(test)]".len()..]);
    }
    out.push_str(rest);
    out
}

/// What follows the item at the start of `s`: up to its `;`, or its balanced braces.
fn skip_item(s: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            ';' if depth == 0 => return &s[i + 1..],
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &s[i + 1..];
                }
            }
            _ => {}
        }
    }
    ""
}

fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules named by `crate::x` paths and `use crate::{x, y::z}` groups.
fn uses(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let after = &code[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 0usize;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        found.insert(ident(&group[i..]).to_string());
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(after).to_string());
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every backward use in `src/`, as "file: module uses later".
fn backward_uses() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_str().unwrap().trim_end_matches(".rs");
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(rank) = ORDER.iter().position(|m| *m == top) else {
            wrong.push(format!("{}: module `{top}` is not in ORDER (tests/architecture.rs)", rel.display()));
            continue;
        };
        let code = non_test_code(&std::fs::read_to_string(&file).unwrap());
        for used in uses(&code) {
            match ORDER.iter().position(|m| *m == used) {
                Some(r) if r > rank => {
                    wrong.push(format!("{}: `{top}` uses `{used}`, which is drawn after it", rel.display()))
                }
                None if used != "self" && used != "super" => {
                    wrong.push(format!("{}: `{top}` uses `{used}`, which is not in ORDER", rel.display()))
                }
                _ => {}
            }
        }
    }
    wrong
}

#[test]
fn modules_use_only_those_drawn_before_them() {
    let wrong = backward_uses();
    assert!(wrong.is_empty(), "module order broken (move the shared part down, or pass it in):\n{}", wrong.join("\n"));
}

#[test]
fn order_names_every_module_of_lib_rs() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let declared: BTreeSet<&str> =
        lib.lines().filter_map(|l| l.strip_prefix("pub mod ")).map(|l| l.trim_end_matches(';')).collect();
    let ordered: BTreeSet<&str> = ORDER.iter().copied().collect();
    assert_eq!(declared, ordered, "src/lib.rs and ORDER in tests/architecture.rs must name the same modules");
}

#[test]
fn the_check_sees_uses_in_every_form() {
    let code = "use crate::{model::Item, fetch::{self, Fetcher}};\nfn f() { crate::store::open(); }\n\
                #[cfg(test)]\nmod tests { use crate::serve; }\n// crate::daemon in a comment\n";
    let found = uses(&non_test_code(code));
    assert_eq!(found, ["fetch", "model", "store"].into_iter().map(String::from).collect());
}

#[test]
fn architecture_md_lists_the_modules_in_this_order() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md")).unwrap();
    let rows: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(rows, ORDER, "ARCHITECTURE.md's module table and ORDER in tests/architecture.rs must agree");
}
