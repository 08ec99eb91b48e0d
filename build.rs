//! Lists every file under `templates/` and `static/` into
//! `$OUT_DIR/embedded_files.rs` (see `src/assets.rs`), so a new template or
//! stylesheet is embedded in the binary without anyone counting an array.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

fn main() -> io::Result<()> {
    let root =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").ok_or_else(|| {
            io::Error::other("CARGO_MANIFEST_DIR is not set (run through cargo)")
        })?);
    let out = PathBuf::from(
        std::env::var_os("OUT_DIR").ok_or_else(|| io::Error::other("OUT_DIR is not set"))?,
    );
    println!("cargo:rerun-if-changed=build.rs");
    let mut code =
        String::from("// Written by build.rs: the files under templates/ and static/.\n");
    for (folder, name, include) in [
        ("templates", "TEMPLATES", "include_str"),
        ("static", "STATIC", "include_bytes"),
    ] {
        let dir = root.join(folder);
        // A folder given to rerun-if-changed is scanned whole: new files count.
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        walk(&dir, &mut files)?;
        files.sort();
        let ty = if include == "include_str" {
            "&str"
        } else {
            "&[u8]"
        };
        let _ = writeln!(code, "pub static {name}: &[(&str, {ty})] = &[");
        for path in files {
            let rel = path
                .strip_prefix(&dir)
                .map_err(io::Error::other)?
                .to_str()
                .ok_or_else(|| io::Error::other(format!("{} is not UTF-8", path.display())))?
                .replace(std::path::MAIN_SEPARATOR, "/");
            let abs = path
                .to_str()
                .ok_or_else(|| io::Error::other(format!("{} is not UTF-8", path.display())))?;
            let _ = writeln!(code, "    ({rel:?}, {include}!({abs:?})),");
        }
        code.push_str("];\n");
    }
    std::fs::write(out.join("embedded_files.rs"), code)
}

/// Every file below `dir`, hidden ones (editor droppings) left out.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}
