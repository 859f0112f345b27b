//! env_logger 0.9's decision for each record of the corpus (spans ignored:
//! env_logger has none): its directives and its `/regex` on the message.
mod corpus;

use std::io::{self, Write};

fn level(s: &str) -> log::Level {
    match s {
        "error" => log::Level::Error,
        "warn" => log::Level::Warn,
        "info" => log::Level::Info,
        "debug" => log::Level::Debug,
        _ => log::Level::Trace,
    }
}

fn main() {
    let out = io::stdout();
    let mut out = io::BufWriter::new(out.lock());
    let mut logger = env_logger::Builder::new().build();
    for item in corpus::read() {
        match item {
            corpus::Item::Filter(f) => logger = env_logger::Builder::new().parse_filters(&f).build(),
            corpus::Item::Record(r) => {
                // Logger::matches is env_logger's whole decision: level, target and the message regex.
                let on = logger.matches(&log::Record::builder().args(format_args!("{}", r.message)).level(level(&r.level)).target(&r.target).build());
                writeln!(out, "{}", if on { 1 } else { 0 }).unwrap();
            }
        }
    }
}
