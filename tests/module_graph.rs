//! The driver's top-level modules depend one way (docs/architecture.md, "The driver's modules"):
//! `driver` → `adapter` → {`lower`, `nbl`} → {`sync`, `pool`, `work_item`, ...} → `sys`. This test
//! reads `src/` and fails on any import cycle between top-level modules, naming the cycle, and on
//! any reference from `sys` (the OS facade, the floor) to another module of the driver.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> =
        fs::read_dir(dir).expect("src/ is readable").flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/adapter/send.rs` → `adapter`, `src/sync.rs` →
/// `sync`); `None` for the crate root.
fn top_level_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_owned())
}

/// The code of a file without comments and string literals, so that a path in a doc comment or a
/// message is not taken for a dependency.
fn code_only(text: &str) -> String {
    let mut code = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        code.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                let mut previous = ' ';
                for next in chars.by_ref() {
                    if previous == '*' && next == '/' {
                        break;
                    }
                    previous = next;
                }
            }
            '"' => {
                let mut escaped = false;
                for next in chars.by_ref() {
                    if !escaped && next == '"' {
                        break;
                    }
                    escaped = !escaped && next == '\\';
                }
                code.push_str("\"\"");
            }
            _ => code.push(c),
        }
    }
    code
}

/// The top-level modules a file's code names through `crate::name` (and, in a file directly under
/// `src/`, through `super::name`, which is the crate root there).
fn referenced_modules(code: &str, at_top: bool) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut prefixes = vec!["crate::"];
    if at_top {
        prefixes.push("super::");
    }
    for prefix in prefixes {
        for (start, _) in code.match_indices(prefix) {
            let preceded_by_ident =
                code[..start].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_');
            if preceded_by_ident {
                continue;
            }
            let rest = &code[start + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c};`
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    let name: String =
                        item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() {
                        found.insert(name);
                    }
                }
            } else {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        }
    }
    found
}

/// module → the other top-level modules it uses, with one file that does so for each edge.
fn module_graph() -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|file| top_level_module(&src, file)).collect();
    let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> =
        modules.iter().map(|module| (module.clone(), BTreeMap::new())).collect();
    for file in &files {
        let Some(module) = top_level_module(&src, file) else { continue };
        let at_top = file.parent() == Some(src.as_path());
        let code = code_only(&fs::read_to_string(file).expect("source is readable"));
        for used in referenced_modules(&code, at_top) {
            if used != module && modules.contains(&used) {
                graph.entry(module.clone()).or_default().entry(used).or_insert_with(|| file.clone());
            }
        }
    }
    graph
}

/// A cycle in `graph`, as the list of modules along it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeMap<String, PathBuf>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, PathBuf>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_owned(), Mark::OnPath);
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(|edges| edges.keys()) {
            match marks.get(next.as_str()).copied().unwrap_or(Mark::New) {
                Mark::OnPath => {
                    let start = path.iter().position(|module| module == next).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, graph, marks, path) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if marks.get(node.as_str()).copied().unwrap_or(Mark::New) == Mark::New
            && let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new())
        {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn top_level_modules_form_no_cycle() {
    let graph = module_graph();
    if let Some(cycle) = find_cycle(&graph) {
        let edges: Vec<String> = cycle
            .windows(2)
            .map(|pair| {
                let via = graph.get(&pair[0]).and_then(|edges| edges.get(&pair[1]));
                format!(
                    "{} -> {} (in {})",
                    pair[0],
                    pair[1],
                    via.map_or(String::new(), |p| p.display().to_string())
                )
            })
            .collect();
        panic!("import cycle between the driver's top-level modules:\n  {}", edges.join("\n  "));
    }
}

#[test]
fn the_facade_depends_on_no_other_module() {
    let graph = module_graph();
    let uses = graph.get("sys").expect("src/sys exists");
    assert!(uses.is_empty(), "src/sys must only make OS calls, but it uses {uses:?}");
}

#[test]
fn the_checker_sees_references_and_cycles() {
    // The parser: paths in code count, in comments and strings they do not.
    let code = code_only(
        "use crate::{adapter, nbl::send};\n// crate::pool\nlet s = \"crate::sync\";\ncrate::lower::x();",
    );
    assert_eq!(
        referenced_modules(&code, false),
        ["adapter", "lower", "nbl"].into_iter().map(String::from).collect()
    );
    assert_eq!(referenced_modules("super::sync::SpinLock", true), ["sync".to_owned()].into());
    assert!(referenced_modules("super::sync::SpinLock", false).is_empty());
    // The cycle finder: a two-module cycle is found, a chain is not.
    let edge = |from: &str, to: &str| (from.to_owned(), [(to.to_owned(), PathBuf::new())].into());
    let cyclic: BTreeMap<_, _> = [edge("a", "b"), edge("b", "a")].into();
    assert_eq!(find_cycle(&cyclic), Some(vec!["a".to_owned(), "b".to_owned(), "a".to_owned()]));
    let chain: BTreeMap<_, _> = [edge("a", "b"), edge("b", "c")].into();
    assert_eq!(find_cycle(&chain), None);
}
