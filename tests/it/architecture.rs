//! The layering rules of docs/architecture.md, checked on the source tree:
//! no import circle between sibling modules anywhere in `src/`, and the
//! arrows that must not exist (the web node never reaches the store except
//! through `engine::api`; the engine knows nothing of the apps, the web
//! node or the CLI). A new circle fails here with the modules that form it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path, e.g. `["web", "dashboard", "busy"]`; the crate root is `[]`.
type ModPath = Vec<String>;

struct Tree {
    /// Every module that is a file, with its source (tests stripped).
    files: BTreeMap<ModPath, String>,
}

impl Tree {
    fn load(src: &Path) -> Tree {
        let mut files = BTreeMap::new();
        let mut stack = vec![src.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let module = module_path(src, &path);
                    let text = std::fs::read_to_string(&path).unwrap();
                    files.insert(module, strip_tests(&text));
                }
            }
        }
        Tree { files }
    }

    /// The longest prefix of `path` that is a module file.
    fn resolve(&self, path: &[String]) -> Option<ModPath> {
        (1..=path.len())
            .rev()
            .map(|i| path[..i].to_vec())
            .find(|p| self.files.contains_key(p))
    }

    /// File-level edges from `use`/paths starting with `crate::` or `super::`.
    fn edges(&self) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
        let mut out = BTreeMap::new();
        for (module, text) in &self.files {
            let mut targets = BTreeSet::new();
            for path in referenced_paths(text) {
                let (base, rest) = match path.first().map(String::as_str) {
                    Some("crate") => (Vec::new(), &path[1..]),
                    Some("super") => {
                        let mut base = module[..module.len().saturating_sub(1)].to_vec();
                        let mut rest = &path[1..];
                        while rest.first().is_some_and(|s| s == "super") {
                            base.pop();
                            rest = &rest[1..];
                        }
                        (base, rest)
                    }
                    _ => continue,
                };
                let full: Vec<String> = base.into_iter().chain(rest.iter().cloned()).collect();
                if let Some(t) = self.resolve(&full) {
                    if &t != module {
                        targets.insert(t);
                    }
                }
            }
            out.insert(module.clone(), targets);
        }
        out
    }
}

fn module_path(src: &Path, file: &Path) -> ModPath {
    let rel: PathBuf = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

/// The source without its `#[cfg(test)] mod tests { … }` tail (tests may
/// reach anywhere).
fn strip_tests(text: &str) -> String {
    match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => text[..i].to_owned(),
        None => text.to_owned(),
    }
}

/// Every `crate::a::b` / `super::a` path in the text, as segments; a `use`
/// group (`crate::a::{b, c::d}`) yields each of its members.
fn referenced_paths(text: &str) -> Vec<Vec<String>> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &code[i..];
        let starts_word = i == 0 || !is_ident(bytes[i - 1]);
        let root = ["crate::", "super::"]
            .into_iter()
            .find(|r| rest.starts_with(r));
        match root {
            Some(r) if starts_word => {
                let root = &r[..r.len() - 2];
                let (paths, used) = parse_path(&rest[r.len()..], vec![root.to_owned()]);
                out.extend(paths);
                i += r.len() + used.max(1);
            }
            _ => i += 1,
        }
    }
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Parses `a::b::{c, d::e}` after a prefix; returns the full paths and the
/// bytes consumed.
fn parse_path(s: &str, prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let b = s.as_bytes();
    let mut segs = prefix;
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        if i > start {
            segs.push(s[start..i].to_owned());
        }
        if s[i..].starts_with("::{") {
            i += 3;
            let mut out = Vec::new();
            loop {
                while i < b.len() && (b[i] == b' ' || b[i] == b'\n' || b[i] == b',') {
                    i += 1;
                }
                if i >= b.len() || b[i] == b'}' {
                    return (out, i + 1);
                }
                let (paths, used) = parse_path(&s[i..], segs.clone());
                out.extend(paths);
                i += used.max(1);
            }
        } else if s[i..].starts_with("::") {
            i += 2;
        } else {
            return (vec![segs], i);
        }
    }
}

/// Strongly connected components of more than one node.
fn circles<N: Ord + Clone>(graph: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    struct State<N> {
        index: BTreeMap<N, usize>,
        low: BTreeMap<N, usize>,
        stack: Vec<N>,
        on: BTreeSet<N>,
        out: Vec<Vec<N>>,
    }
    fn visit<N: Ord + Clone>(v: &N, g: &BTreeMap<N, BTreeSet<N>>, st: &mut State<N>) {
        let n = st.index.len();
        st.index.insert(v.clone(), n);
        st.low.insert(v.clone(), n);
        st.stack.push(v.clone());
        st.on.insert(v.clone());
        for w in g.get(v).into_iter().flatten() {
            if !st.index.contains_key(w) {
                visit(w, g, st);
                let lw = st.low[w];
                let lv = st.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if st.on.contains(w) {
                let iw = st.index[w];
                let lv = st.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if st.low[v] == st.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = st.stack.pop() {
                st.on.remove(&w);
                let done = &w == v;
                comp.push(w);
                if done {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                st.out.push(comp);
            }
        }
    }
    let mut st = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !st.index.contains_key(v) {
            visit(v, graph, &mut st);
        }
    }
    st.out
}

fn src_tree() -> Tree {
    Tree::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn no_import_circle_between_sibling_modules() {
    let tree = src_tree();
    let edges = tree.edges();
    let parents: BTreeSet<ModPath> = tree
        .files
        .keys()
        .filter(|m| !m.is_empty())
        .map(|m| m[..m.len() - 1].to_vec())
        .collect();
    let mut found = Vec::new();
    for parent in parents {
        let depth = parent.len() + 1;
        let under = |m: &ModPath| m.len() >= depth && m[..parent.len()] == parent[..];
        // Siblings are the parent's direct children; a file counts for the
        // child it lives under.
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, tos) in &edges {
            if !under(from) {
                continue;
            }
            let a = from[depth - 1].clone();
            graph.entry(a.clone()).or_default();
            for to in tos.iter().filter(|t| under(t)) {
                let b = to[depth - 1].clone();
                if a != b {
                    graph.entry(a.clone()).or_default().insert(b);
                }
            }
        }
        for c in circles(&graph) {
            let name = if parent.is_empty() {
                "crate".to_owned()
            } else {
                parent.join("::")
            };
            found.push(format!("{name}: {}", c.join(" <-> ")));
        }
    }
    assert!(
        found.is_empty(),
        "import circles between sibling modules:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn the_web_node_reaches_the_store_only_through_engine_api() {
    let tree = src_tree();
    let offenders: Vec<String> = tree
        .files
        .iter()
        .filter(|(m, _)| m.first().is_some_and(|s| s == "web" || s == "apps"))
        .filter(|(_, text)| text.contains("engine::store"))
        .map(|(m, _)| m.join("::"))
        .collect();
    assert!(
        offenders.is_empty(),
        "these name engine::store (use engine::api): {offenders:?}"
    );
}

#[test]
fn the_engine_knows_nothing_of_what_is_built_on_it() {
    let tree = src_tree();
    let edges = tree.edges();
    let above = ["apps", "web", "cli", "autoscale", "bench"];
    let mut offenders = Vec::new();
    for (from, tos) in &edges {
        if from.first().is_none_or(|s| s != "engine") {
            continue;
        }
        for to in tos {
            if to.first().is_some_and(|s| above.contains(&s.as_str())) {
                offenders.push(format!("{} -> {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(offenders.is_empty(), "engine imports upward: {offenders:?}");
}

#[test]
fn the_parser_sees_groups_and_super() {
    let paths = referenced_paths(
        "use crate::a::{b, c::{d, e}};\nuse super::super::f::G;\nlet x = crate::h::i();\n// use crate::z;\n",
    );
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        joined,
        [
            "crate::a::b",
            "crate::a::c::d",
            "crate::a::c::e",
            "super::super::f::G",
            "crate::h::i"
        ]
    );
    let mut g = BTreeMap::new();
    g.insert(1, BTreeSet::from([2]));
    g.insert(2, BTreeSet::from([1, 3]));
    g.insert(3, BTreeSet::new());
    assert_eq!(circles(&g), vec![vec![1, 2]]);
}
