//! The shape of `src/`, kept by a test rather than a promise:
//! - imports between top-level modules point one way: every `use crate::…`, `crate::a::b`
//!   path, `super::…` and `pub use` re-export (those of `lib.rs` too) is resolved to the
//!   module that defines the name, and a circle between top-level modules fails the test
//!   naming its imports — except the one allowed knot, `auth`/`routes`/`state` (the router
//!   type names the state, the state the session store);
//! - the bottom layer (identity, the write path, the audit trail) imports nothing above it;
//! - no source file holds more than 600 lines of code (blank lines, comment lines and the
//!   `#[cfg(test)]` items do not count);
//! - no query joins the catalogue's levels (step > indicator > area > component, where the
//!   unit is) itself: the `unit_areas`/`unit_indicators`/`unit_steps` views of the
//!   migrations hold those joins, so the unit boundary is written once.
//!
//! Unit tests (`#[cfg(test)]`) are not part of the graph: they may use whatever they test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use syn::visit::Visit;

/// Top-level modules that may import each other (the router type's knot).
const ALLOWED_KNOT: &[&str] = &["auth", "routes", "state"];

/// The bottom layer and what each of its modules may import (nothing above it).
const BOTTOM: &[(&str, &[&str])] = &[
    ("error", &["fmt"]),
    ("clock", &[]),
    ("fmt", &[]),
    ("random", &[]),
    ("config", &["clock", "error"]),
    ("private_files", &["random"]),
    ("link_key", &["private_files", "random"]),
    ("identity", &["error"]),
    ("audit", &["identity", "error", "clock", "fmt"]),
    (
        "db",
        &[
            "audit",
            "identity",
            "error",
            "clock",
            "config",
            "private_files",
            "link_key",
        ],
    ),
];

const MAX_CODE_LINES: usize = 600;

type ModPath = Vec<String>;

/// One reference from code to a crate path.
#[derive(Clone, Debug)]
struct Reference {
    from: ModPath,
    file: String,
    line: usize,
    path: Vec<String>,
    text: String,
}

#[derive(Default)]
struct Crate {
    modules: BTreeSet<ModPath>,
    /// Names defined by items in each module (functions, types, constants, …).
    defined: BTreeMap<ModPath, BTreeSet<String>>,
    /// `pub use` re-exports: module → name → absolute target path.
    reexports: BTreeMap<ModPath, BTreeMap<String, Vec<String>>>,
    /// `pub use x::*` re-exports: module → target modules.
    globs: BTreeMap<ModPath, Vec<Vec<String>>>,
    references: Vec<Reference>,
    /// Code lines per file (outside `#[cfg(test)]` items).
    code_lines: BTreeMap<String, usize>,
}

fn module_of(rel: &str) -> Option<ModPath> {
    let rel = rel.strip_suffix(".rs")?;
    if rel == "main" {
        return None; // the binary uses the library by its crate name
    }
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if parts.last().map(String::as_str) == Some("mod") || parts == ["lib"] {
        parts.pop();
    }
    Some(parts)
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && {
            let text = quote::ToTokens::to_token_stream(&a.meta).to_string();
            text.contains("test") && !text.contains("not")
        }
    })
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    use syn::Item::*;
    match item {
        Const(i) => &i.attrs,
        Enum(i) => &i.attrs,
        ExternCrate(i) => &i.attrs,
        Fn(i) => &i.attrs,
        ForeignMod(i) => &i.attrs,
        Impl(i) => &i.attrs,
        Macro(i) => &i.attrs,
        Mod(i) => &i.attrs,
        Static(i) => &i.attrs,
        Struct(i) => &i.attrs,
        Trait(i) => &i.attrs,
        TraitAlias(i) => &i.attrs,
        Type(i) => &i.attrs,
        Union(i) => &i.attrs,
        Use(i) => &i.attrs,
        _ => &[],
    }
}

fn item_name(item: &syn::Item) -> Option<String> {
    use syn::Item::*;
    Some(match item {
        Const(i) => i.ident.to_string(),
        Enum(i) => i.ident.to_string(),
        Fn(i) => i.sig.ident.to_string(),
        Mod(i) => i.ident.to_string(),
        Static(i) => i.ident.to_string(),
        Struct(i) => i.ident.to_string(),
        Trait(i) => i.ident.to_string(),
        Type(i) => i.ident.to_string(),
        Union(i) => i.ident.to_string(),
        Macro(i) => i.ident.as_ref()?.to_string(),
        _ => return None,
    })
}

/// Expands a use tree into (name it is known by, path) pairs; `*` is the name of a glob.
fn expand_use(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(String, Vec<String>)>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            expand_use(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                if let Some(last) = prefix.last() {
                    out.push((last.clone(), prefix.clone()));
                }
            } else {
                let mut path = prefix.clone();
                path.push(name.clone());
                out.push((name, path));
            }
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            out.push((r.rename.to_string(), path));
        }
        syn::UseTree::Glob(_) => out.push(("*".into(), prefix.clone())),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                expand_use(t, prefix, out);
            }
        }
    }
}

/// Collects `crate::`/`super::`/`self::` paths in code (macro bodies included).
struct PathCollector<'a> {
    found: &'a mut Vec<(Vec<String>, usize)>,
}

impl<'ast> Visit<'ast> for PathCollector<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if matches!(
            segs.first().map(String::as_str),
            Some("crate" | "super" | "self")
        ) && segs.len() > 1
        {
            let line = path.segments[0].ident.span().start().line;
            self.found.push((segs, line));
        }
        syn::visit::visit_path(self, path);
    }
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        scan_tokens(mac.tokens.clone(), self.found);
        syn::visit::visit_macro(self, mac);
    }
    fn visit_item(&mut self, item: &'ast syn::Item) {
        // Nested modules and uses are walked by `collect_items` with their own path.
        if matches!(item, syn::Item::Mod(_) | syn::Item::Use(_)) || is_cfg_test(item_attrs(item)) {
            return;
        }
        syn::visit::visit_item(self, item);
    }
}

/// `crate :: a :: b` inside a macro's tokens (format strings and templates aside).
fn scan_tokens(tokens: proc_macro2::TokenStream, found: &mut Vec<(Vec<String>, usize)>) {
    use proc_macro2::TokenTree;
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < trees.len() {
        match &trees[i] {
            TokenTree::Group(g) => scan_tokens(g.stream(), found),
            TokenTree::Ident(id) if id == "crate" || id == "super" => {
                let line = id.span().start().line;
                let mut segs = vec![id.to_string()];
                let mut j = i + 1;
                loop {
                    let colons = matches!(trees.get(j), Some(TokenTree::Punct(p)) if p.as_char() == ':')
                        && matches!(trees.get(j + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':');
                    match (colons, trees.get(j + 2)) {
                        (true, Some(TokenTree::Ident(next))) => {
                            segs.push(next.to_string());
                            j += 3;
                        }
                        _ => break,
                    }
                }
                if segs.len() > 1 {
                    found.push((segs, line));
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

impl Crate {
    fn read(files: &[(String, String)]) -> Crate {
        let mut krate = Crate::default();
        for (rel, _) in files {
            if let Some(m) = module_of(rel) {
                krate.modules.insert(m);
            }
        }
        for (rel, source) in files {
            let Some(module) = module_of(rel) else {
                continue;
            };
            let file = syn::parse_file(source).unwrap_or_else(|e| panic!("{rel}: {e}"));
            let mut test_lines = BTreeSet::new();
            krate.collect_items(&file.items, &module, rel, source, &mut test_lines);
            let code = source
                .lines()
                .enumerate()
                .filter(|(i, l)| {
                    let t = l.trim();
                    !t.is_empty() && !t.starts_with("//") && !test_lines.contains(&(i + 1))
                })
                .count();
            krate.code_lines.insert(rel.clone(), code);
        }
        krate
    }

    fn collect_items(
        &mut self,
        items: &[syn::Item],
        module: &ModPath,
        rel: &str,
        source: &str,
        test_lines: &mut BTreeSet<usize>,
    ) {
        let lines: Vec<&str> = source.lines().collect();
        for item in items {
            if is_cfg_test(item_attrs(item)) {
                let span = syn::spanned::Spanned::span(item);
                let first = item_attrs(item).first().map_or(span.start().line, |a| {
                    syn::spanned::Spanned::span(a).start().line
                });
                test_lines.extend(first..=span.end().line);
                continue;
            }
            if let Some(name) = item_name(item) {
                self.defined.entry(module.clone()).or_default().insert(name);
            }
            match item {
                syn::Item::Mod(m) => {
                    let mut inner = module.clone();
                    inner.push(m.ident.to_string());
                    self.modules.insert(inner.clone());
                    if let Some((_, content)) = &m.content {
                        self.collect_items(content, &inner, rel, source, test_lines);
                    }
                }
                syn::Item::Use(u) => {
                    let line = u.use_token.span.start().line;
                    let text = lines.get(line - 1).map_or("", |l| l.trim()).to_string();
                    let mut pairs = Vec::new();
                    expand_use(&u.tree, &mut Vec::new(), &mut pairs);
                    let public = !matches!(u.vis, syn::Visibility::Inherited);
                    for (name, path) in pairs {
                        let Some(abs) = self.absolute(module, &path) else {
                            continue;
                        };
                        if public {
                            if name == "*" {
                                self.globs
                                    .entry(module.clone())
                                    .or_default()
                                    .push(abs.clone());
                            } else {
                                self.reexports
                                    .entry(module.clone())
                                    .or_default()
                                    .insert(name, abs.clone());
                            }
                        }
                        self.references.push(Reference {
                            from: module.clone(),
                            file: rel.to_string(),
                            line,
                            path: abs,
                            text: text.clone(),
                        });
                    }
                }
                _ => {
                    let mut found = Vec::new();
                    PathCollector { found: &mut found }.visit_item(item);
                    for (path, line) in found {
                        let Some(abs) = self.absolute(module, &path) else {
                            continue;
                        };
                        let text = lines.get(line - 1).map_or("", |l| l.trim()).to_string();
                        self.references.push(Reference {
                            from: module.clone(),
                            file: rel.to_string(),
                            line,
                            path: abs,
                            text,
                        });
                    }
                }
            }
        }
    }

    /// The path from the crate root, or None for another crate's path.
    fn absolute(&self, module: &ModPath, path: &[String]) -> Option<Vec<String>> {
        let mut base = module.clone();
        let mut rest = path;
        match path.first().map(String::as_str) {
            Some("crate") => {
                base.clear();
                rest = &path[1..];
            }
            Some("self") => rest = &path[1..],
            Some("super") => {
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop();
                    rest = &rest[1..];
                }
            }
            Some(first) => {
                let mut child = module.clone();
                child.push(first.to_string());
                if !self.modules.contains(&child) {
                    return None;
                }
            }
            None => return None,
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The module that defines what `path` names, following re-exports.
    fn defining_module(&self, path: &[String]) -> ModPath {
        let mut path = path.to_vec();
        for _ in 0..16 {
            let mut module: ModPath = Vec::new();
            let mut i = 0;
            while i < path.len() {
                let mut next = module.clone();
                next.push(path[i].clone());
                if !self.modules.contains(&next) {
                    break;
                }
                module = next;
                i += 1;
            }
            let Some(name) = path.get(i) else {
                return module;
            };
            if self.defined.get(&module).is_some_and(|d| d.contains(name)) {
                return module;
            }
            if let Some(target) = self.reexports.get(&module).and_then(|r| r.get(name)) {
                let mut next = target.clone();
                next.extend(path[i + 1..].iter().cloned());
                path = next;
                continue;
            }
            let via_glob = self.globs.get(&module).and_then(|globs| {
                globs.iter().find(|g| {
                    self.defined.get(*g).is_some_and(|d| d.contains(name))
                        || self.reexports.get(*g).is_some_and(|r| r.contains_key(name))
                })
            });
            match via_glob {
                Some(g) => {
                    let mut next = g.clone();
                    next.extend(path[i..].iter().cloned());
                    path = next;
                }
                None => return module,
            }
        }
        Vec::new()
    }

    /// Top-level module → top-level module, with the references behind each edge.
    fn top_level_edges(&self) -> BTreeMap<(String, String), Vec<Reference>> {
        let mut edges: BTreeMap<(String, String), Vec<Reference>> = BTreeMap::new();
        for r in &self.references {
            let target = self.defining_module(&r.path);
            let (Some(from), Some(to)) = (r.from.first(), target.first()) else {
                continue;
            };
            if from != to {
                edges
                    .entry((from.clone(), to.clone()))
                    .or_default()
                    .push(r.clone());
            }
        }
        edges
    }
}

/// Strongly connected components (Tarjan), each sorted.
fn components(nodes: &BTreeSet<String>, edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    struct T<'a> {
        edges: &'a BTreeSet<(String, String)>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on: BTreeSet<String>,
        out: Vec<Vec<String>>,
    }
    fn visit(t: &mut T, v: &str) {
        let n = t.index.len();
        t.index.insert(v.into(), n);
        t.low.insert(v.into(), n);
        t.stack.push(v.into());
        t.on.insert(v.into());
        let next: Vec<String> = t
            .edges
            .iter()
            .filter(|(a, _)| a == v)
            .map(|(_, b)| b.clone())
            .collect();
        for w in next {
            if !t.index.contains_key(&w) {
                visit(t, &w);
                let lw = t.low[&w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(&w) {
                let iw = t.index[&w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(&w);
                let done = w == v;
                comp.push(w);
                if done {
                    break;
                }
            }
            comp.sort();
            t.out.push(comp);
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in nodes {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

/// Every problem with the graph, one line per import that closes a circle.
fn graph_problems(krate: &Crate) -> Vec<String> {
    let edges = krate.top_level_edges();
    let pairs: BTreeSet<(String, String)> = edges.keys().cloned().collect();
    let nodes: BTreeSet<String> = krate
        .modules
        .iter()
        .filter_map(|m| m.first().cloned())
        .collect();
    let mut problems = Vec::new();
    for comp in components(&nodes, &pairs) {
        if comp.len() < 2 || comp.iter().all(|m| ALLOWED_KNOT.contains(&m.as_str())) {
            continue;
        }
        let mut lines = vec![format!(
            "circle between top-level modules: {}",
            comp.join(", ")
        )];
        for ((a, b), refs) in &edges {
            if comp.contains(a) && comp.contains(b) {
                // ARCHITECTURE_ALL=1 lists every reference behind an edge, not the first.
                let all = std::env::var_os("ARCHITECTURE_ALL").is_some();
                for r in refs.iter().take(if all { refs.len() } else { 1 }) {
                    let more = if refs.len() > 1 && !all {
                        format!(" (+{} more)", refs.len() - 1)
                    } else {
                        String::new()
                    };
                    lines.push(format!(
                        "  {a} → {b}: src/{}:{} `{}`{more}",
                        r.file, r.line, r.text
                    ));
                }
            }
        }
        problems.push(lines.join("\n"));
    }
    for (module, allowed) in BOTTOM {
        for ((a, b), refs) in &edges {
            if a == module && !allowed.contains(&b.as_str()) {
                let r = &refs[0];
                problems.push(format!(
                    "{a} is in the bottom layer but imports {b}: src/{}:{} `{}`",
                    r.file, r.line, r.text
                ));
            }
        }
    }
    problems
}

fn size_problems(krate: &Crate) -> Vec<String> {
    krate
        .code_lines
        .iter()
        .filter(|(_, n)| **n > MAX_CODE_LINES)
        .map(|(f, n)| format!("src/{f}: {n} lines of code (at most {MAX_CODE_LINES})"))
        .collect()
}

fn read_src(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_src(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

fn our_crate() -> Crate {
    // ARCHITECTURE_SRC checks another checkout's `src/` with the same rules.
    let root = std::env::var_os("ARCHITECTURE_SRC")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut files = Vec::new();
    read_src(&root, &root, &mut files);
    files.sort();
    Crate::read(&files)
}

#[test]
fn top_level_modules_import_one_way() {
    let problems = graph_problems(&our_crate());
    assert!(
        problems.is_empty(),
        "the module graph no longer points down:\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_source_file_holds_more_than_600_lines_of_code() {
    let problems = size_problems(&our_crate());
    assert!(
        problems.is_empty(),
        "split these files by flow:\n{}",
        problems.join("\n")
    );
}

/// The catalogue's levels, joined only inside the `unit_*` views (see the migrations).
const CATALOGUE_TABLES: &[&str] = &["components", "areas", "indicators", "action_steps"];

/// Lines that join a catalogue level directly, as "file:line: text".
fn hierarchy_join_problems(files: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (rel, text) in files {
        for (n, line) in text.lines().enumerate() {
            let words: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
            let joins = words
                .windows(2)
                .any(|w| w[0] == "join" && CATALOGUE_TABLES.contains(&w[1].as_str()));
            if joins {
                out.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    out
}

#[test]
fn queries_reach_the_catalogue_through_the_unit_views() {
    let sample = [(
        "x.rs".to_string(),
        "\"SELECT 1 FROM unit_steps s\n JOIN areas a ON a.id = s.area_id\"".to_string(),
    )];
    assert_eq!(hierarchy_join_problems(&sample).len(), 1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_src(&root, &root, &mut files);
    let problems = hierarchy_join_problems(&files);
    assert!(
        problems.is_empty(),
        "read these through unit_areas, unit_indicators or unit_steps:\n{}",
        problems.join("\n")
    );
}

/// The checker itself: a circle closed through a re-export, a grouped `use`, a `super::`
/// path and a path inside a macro is found, each naming its import.
#[test]
fn the_checker_finds_circles_through_every_kind_of_path() {
    let files = |b_source: &str| {
        vec![
            (
                "lib.rs".to_string(),
                "pub mod a; pub mod b; pub mod c; pub use a::f as top_f;".to_string(),
            ),
            (
                "a/mod.rs".to_string(),
                "pub mod inner; pub fn f() {}".to_string(),
            ),
            (
                "a/inner.rs".to_string(),
                "use super::super::b::g; pub fn h() { g(); }".to_string(),
            ),
            ("b.rs".to_string(), b_source.to_string()),
            (
                "c.rs".to_string(),
                "pub struct Thing; pub use crate::a::f as af;".to_string(),
            ),
        ]
    };
    // b does not import back: no circle.
    let clean = Crate::read(&files("pub fn g() {}"));
    assert_eq!(graph_problems(&clean), Vec::<String>::new());
    for (how, b_source) in [
        ("a re-export in lib.rs", "pub fn g() { crate::top_f(); }"),
        (
            "a re-export in a module",
            "use crate::c::af; pub fn g() { af(); }",
        ),
        (
            "a grouped use",
            "use crate::{c::Thing, a::{f}}; pub fn g() { f(); let _ = Thing; }",
        ),
        (
            "a path in a macro",
            "pub fn g() { println!(\"{:?}\", crate::a::inner::h()); }",
        ),
        (
            "a use of the module",
            "use crate::a; pub fn g() { a::f(); }",
        ),
    ] {
        let problems = graph_problems(&Crate::read(&files(b_source)));
        let text = problems.join("\n");
        assert!(
            text.contains("circle between top-level modules: a, b"),
            "{how}: {text}"
        );
        assert!(text.contains("b → a: src/b.rs:1"), "{how}: {text}");
        assert!(
            text.contains("a → b: src/a/inner.rs:1 `use super::super::b::g;"),
            "{how}: {text}"
        );
    }
    // A re-export through a glob is followed, and a unit test's import is not an edge.
    let glob = Crate::read(&[
        ("lib.rs".into(), "pub mod a; pub mod b; pub mod c;".into()),
        ("a.rs".into(), "use crate::b::g; pub fn f() { g() }".into()),
        (
            "b.rs".into(),
            "pub fn g() { crate::c::f() }\n#[cfg(test)]\nmod tests { use crate::a::f; }".into(),
        ),
        ("c.rs".into(), "pub use crate::a::*;".into()),
    ]);
    let text = graph_problems(&glob).join("\n");
    assert!(
        text.contains("circle between top-level modules: a, b"),
        "{text}"
    );
    assert!(!text.contains("tests"), "{text}");
}

/// The size rule counts code only: a file of 700 lines is fine when 200 are its tests.
#[test]
fn the_size_rule_counts_code_outside_tests() {
    let body = |n: usize| {
        (0..n)
            .map(|i| format!("pub fn f{i}() {{}}\n"))
            .collect::<String>()
    };
    let fine = format!(
        "{}\n// a comment\n\n#[cfg(test)]\nmod tests {{\n{}}}\n",
        body(600),
        body(200)
    );
    let over = body(601);
    let krate = Crate::read(&[
        ("lib.rs".into(), "pub mod fine; pub mod over;".into()),
        ("fine.rs".into(), fine),
        ("over.rs".into(), over),
    ]);
    assert_eq!(
        size_problems(&krate),
        vec!["src/over.rs: 601 lines of code (at most 600)".to_string()]
    );
}
