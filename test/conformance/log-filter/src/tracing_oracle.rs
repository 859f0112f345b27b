//! tracing-subscriber 0.3's EnvFilter decision for each record of the corpus.
//!
//! Spans and events are made at run time (names and targets come from the
//! corpus), each with its own leaked callsite registered with tracing-core, and
//! enabled exactly as tracing's macros do it: the global max level, then the
//! callsite's cached Interest, then `Dispatch::enabled`. Enabled spans are
//! entered (outermost first) around the event, so EnvFilter sees the same span
//! scope a real program would.
mod corpus;

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU8, Ordering};

use once_cell_free::OnceMeta;
use tracing_core::callsite::{self, Callsite};
use tracing_core::field::{FieldSet, Value};
use tracing_core::metadata::{Kind, LevelFilter, Metadata};
use tracing_core::subscriber::Interest;
use tracing_core::{Dispatch, Level};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Registry};

mod once_cell_free {
    use std::cell::UnsafeCell;
    use tracing_core::metadata::Metadata;
    /// Set once, right after the callsite is leaked and before it is registered.
    pub struct OnceMeta(UnsafeCell<Option<Metadata<'static>>>);
    unsafe impl Sync for OnceMeta {}
    impl OnceMeta {
        pub fn new() -> Self {
            OnceMeta(UnsafeCell::new(None))
        }
        pub fn set(&self, m: Metadata<'static>) {
            unsafe { *self.0.get() = Some(m) }
        }
        pub fn get(&self) -> &Metadata<'static> {
            unsafe { (*self.0.get()).as_ref().expect("metadata set") }
        }
    }
}

/// A callsite made at run time; caches its Interest the way tracing's macro callsites do.
struct DynCallsite {
    meta: OnceMeta,
    interest: AtomicU8, // 0 never, 1 sometimes, 2 always
}

impl Callsite for DynCallsite {
    fn set_interest(&self, interest: Interest) {
        let v = if interest.is_never() { 0 } else if interest.is_always() { 2 } else { 1 };
        self.interest.store(v, Ordering::SeqCst);
    }
    fn metadata(&self) -> &Metadata<'_> {
        self.meta.get()
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn level(s: &str) -> Level {
    match s {
        "error" => Level::ERROR,
        "warn" => Level::WARN,
        "info" => Level::INFO,
        "debug" => Level::DEBUG,
        _ => Level::TRACE,
    }
}

type Key = (bool, String, String, String, Vec<String>);

#[derive(Default)]
struct Callsites(HashMap<Key, &'static DynCallsite>);

impl Callsites {
    fn get(&mut self, span: bool, name: &str, target: &str, lvl: &str, fields: Vec<String>) -> &'static DynCallsite {
        let key = (span, name.to_owned(), target.to_owned(), lvl.to_owned(), fields.clone());
        if let Some(cs) = self.0.get(&key) {
            return cs;
        }
        let cs: &'static DynCallsite = Box::leak(Box::new(DynCallsite { meta: OnceMeta::new(), interest: AtomicU8::new(0) }));
        let names: &'static [&'static str] = Box::leak(fields.iter().map(|f| leak(f)).collect::<Vec<_>>().into_boxed_slice());
        let kind = if span { Kind::SPAN } else { Kind::EVENT };
        let meta = Metadata::new(leak(name), leak(target), level(lvl), Some("corpus"), Some(0), None, FieldSet::new(names, callsite::Identifier(cs)), kind);
        cs.meta.set(meta);
        callsite::register(cs);
        self.0.insert(key, cs);
        cs
    }
}

/// What tracing's macros check before making a span or an event.
fn enabled(cs: &'static DynCallsite, dispatch: &Dispatch) -> bool {
    let meta = cs.meta.get();
    if *meta.level() > LevelFilter::current() {
        return false;
    }
    match cs.interest.load(Ordering::SeqCst) {
        0 => false,
        2 => true,
        _ => dispatch.enabled(meta),
    }
}

enum FieldValue {
    S(String),
    U(u64),
    I(i64),
    F(f64),
    B(bool),
}

impl FieldValue {
    fn of(f: &corpus::Field) -> FieldValue {
        match f.kind {
            'u' => FieldValue::U(f.value.parse().expect("u64")),
            'i' => FieldValue::I(f.value.parse().expect("i64")),
            'f' => FieldValue::F(f.value.parse().expect("f64")),
            'b' => FieldValue::B(f.value == "true"),
            _ => FieldValue::S(f.value.clone()),
        }
    }
    fn value(&self) -> &dyn Value {
        match self {
            FieldValue::S(s) => s,
            FieldValue::U(v) => v,
            FieldValue::I(v) => v,
            FieldValue::F(v) => v,
            FieldValue::B(v) => v,
        }
    }
}

/// A new span (child of the current one) with its fields recorded.
fn new_span(cs: &'static DynCallsite, values: &[FieldValue]) -> tracing::Span {
    let meta = cs.meta.get();
    let fs = meta.fields();
    let names: Vec<_> = fs.iter().collect();
    let v = |i: usize| (&names[i], Some(values[i].value()));
    match values.len() {
        0 => tracing::Span::new(meta, &fs.value_set(&[] as &[(&tracing_core::field::Field, Option<&dyn Value>); 0])),
        1 => tracing::Span::new(meta, &fs.value_set(&[v(0)])),
        2 => tracing::Span::new(meta, &fs.value_set(&[v(0), v(1)])),
        3 => tracing::Span::new(meta, &fs.value_set(&[v(0), v(1), v(2)])),
        _ => panic!("at most 3 fields per span"),
    }
}

fn main() {
    let out = io::stdout();
    let mut out = io::BufWriter::new(out.lock());
    let items = corpus::read();
    let mut sites = Callsites::default();
    // Every callsite first, so each new dispatcher sees them all when it registers.
    for item in &items {
        if let corpus::Item::Record(r) = item {
            for s in &r.spans {
                sites.get(true, &s.name, &s.target, &s.level, s.fields.iter().map(|f| f.name.clone()).collect());
            }
            sites.get(false, "event corpus:0", &r.target, &r.level, vec!["message".into()]);
        }
    }
    let mut dispatch: Option<Dispatch> = None;
    for item in &items {
        match item {
            corpus::Item::Filter(f) => {
                drop(dispatch.take()); // the old one must be gone before the next registers
                dispatch = Some(Dispatch::new(Registry::default().with(EnvFilter::new(f))));
            }
            corpus::Item::Record(r) => {
                let d = dispatch.as_ref().expect("a filter before the first record");
                let on = tracing_core::dispatcher::with_default(d, || {
                    let mut entered = Vec::new();
                    for s in &r.spans {
                        let cs = sites.get(true, &s.name, &s.target, &s.level, s.fields.iter().map(|f| f.name.clone()).collect());
                        if enabled(cs, d) {
                            let values: Vec<FieldValue> = s.fields.iter().map(FieldValue::of).collect();
                            entered.push(new_span(cs, &values).entered());
                        }
                    }
                    let cs = sites.get(false, "event corpus:0", &r.target, &r.level, vec!["message".into()]);
                    let on = enabled(cs, d);
                    while let Some(e) = entered.pop() {
                        drop(e);
                    }
                    on
                });
                writeln!(out, "{}", if on { 1 } else { 0 }).unwrap();
            }
        }
    }
}
