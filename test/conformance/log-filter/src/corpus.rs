#![allow(dead_code)]
//! The corpus both oracles read: one item per line, tab-separated, with `\\`,
//! `\t` and `\n` escaped in every column. The driver that writes it is
//! test/conformance/log-filter-corpus.ts.
//!
//!   F <filter>                              a directive string; the records after it use it
//!   R <target> <level> <message> <spans>    a record inside <spans> spans (outermost first)
//!   P <name> <target> <level> <fields>      one span of the record above
//!   V <name> <s|u|i|f|b> <value>            one field of the span above
//!
//! Each oracle prints one line per R: 1 (the record is enabled) or 0.
use std::io::{self, BufRead};

pub struct Field {
    pub name: String,
    pub kind: char,
    pub value: String,
}

pub struct SpanSpec {
    pub name: String,
    pub target: String,
    pub level: String,
    pub fields: Vec<Field>,
}

pub struct Record {
    pub target: String,
    pub level: String,
    pub message: String,
    pub spans: Vec<SpanSpec>,
}

pub enum Item {
    Filter(String),
    Record(Record),
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn columns(line: &str) -> Vec<String> {
    line.split('\t').map(unescape).collect()
}

fn count(s: &str) -> usize {
    s.parse().expect("a count")
}

/// Reads the whole corpus from stdin.
pub fn read() -> Vec<Item> {
    let stdin = io::stdin();
    let mut lines = stdin.lock().lines().map(|l| l.expect("stdin"));
    let mut items = Vec::new();
    while let Some(line) = lines.next() {
        let c = columns(&line);
        match c[0].as_str() {
            "F" => items.push(Item::Filter(c[1].clone())),
            "R" => {
                let mut spans = Vec::new();
                for _ in 0..count(&c[4]) {
                    let p = columns(&lines.next().expect("a span line"));
                    assert_eq!(p[0], "P");
                    let mut fields = Vec::new();
                    for _ in 0..count(&p[4]) {
                        let v = columns(&lines.next().expect("a field line"));
                        assert_eq!(v[0], "V");
                        fields.push(Field { name: v[1].clone(), kind: v[2].chars().next().unwrap_or('s'), value: v[3].clone() });
                    }
                    spans.push(SpanSpec { name: p[1].clone(), target: p[2].clone(), level: p[3].clone(), fields });
                }
                items.push(Item::Record(Record { target: c[1].clone(), level: c[2].clone(), message: c[3].clone(), spans }));
            }
            "" => {}
            other => panic!("unknown corpus line kind {:?}", other),
        }
    }
    items
}
