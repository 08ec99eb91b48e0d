//! The files under `templates/` and `static/`, embedded in the binary (so one
//! file can be copied to a VM) by the list `build.rs` writes: a new file is
//! embedded without code. Looked up by their path below those folders.

mod generated {
    include!(concat!(env!("OUT_DIR"), "/embedded_files.rs"));
}

/// The templates directly in `templates/<folder>` (`""`: the top folder,
/// not its subfolders), as (name, text); a name is the path below
/// `templates/`, e.g. `sidekiq/busy.html`.
pub fn templates_in(folder: &str) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    generated::TEMPLATES
        .iter()
        .copied()
        .filter(move |(name, _)| parent(name) == folder)
}

/// The file at `path` below `static/`, e.g. `sidekiq/dashboard.js`.
pub fn static_file(path: &str) -> Option<&'static [u8]> {
    generated::STATIC
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, body)| *body)
}

/// The `Content-Type` a static file is served with, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "text/plain; charset=utf-8",
    }
}

/// Every embedded template name and static path (for the tests that check
/// nothing is missing).
pub fn all() -> impl Iterator<Item = String> {
    let t = generated::TEMPLATES
        .iter()
        .map(|(n, _)| format!("templates/{n}"));
    let s = generated::STATIC.iter().map(|(n, _)| format!("static/{n}"));
    t.chain(s)
}

fn parent(name: &str) -> &str {
    name.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn files_under(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let p = e.path();
            if p.is_dir() {
                files_under(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_str().unwrap();
                out.push(rel.replace(std::path::MAIN_SEPARATOR, "/"));
            }
        }
    }

    #[test]
    fn every_file_under_templates_and_static_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut on_disk = Vec::new();
        for folder in ["templates", "static"] {
            files_under(root, &root.join(folder), &mut on_disk);
        }
        on_disk.sort();
        let mut embedded: Vec<String> = all().collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
        for path in &on_disk {
            let rel = path.split_once('/').unwrap().1;
            let bytes = std::fs::read(root.join(path)).unwrap();
            if path.starts_with("static/") {
                assert_eq!(static_file(rel), Some(&bytes[..]), "{path}");
            }
        }
    }

    #[test]
    fn folders_and_types() {
        let top: Vec<&str> = templates_in("").map(|(n, _)| n).collect();
        assert!(top.contains(&"base.html"), "{top:?}");
        assert!(top.iter().all(|n| !n.contains('/')));
        let dash: Vec<&str> = templates_in("sidekiq").map(|(n, _)| n).collect();
        assert!(dash.contains(&"sidekiq/busy.html"), "{dash:?}");
        assert!(static_file("nope.css").is_none());
        assert_eq!(content_type("a/b.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("uPlot.LICENSE"), "text/plain; charset=utf-8");
    }
}
