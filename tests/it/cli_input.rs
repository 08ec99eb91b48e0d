//! Bad command-line input is a clear error (exit 2, a message naming the
//! value and what is expected), and nothing reaches the store: an empty or
//! spaced job class for `kiqlab enqueue`, a queue weight of 0 for `kiqlab
//! worker`.

use std::process::Command;

use crate::support::{kiqlab_bin, temp_dir};

fn refused(args: &[&str], expect: &str) {
    let dir = temp_dir();
    let db = dir.path().join("jobs.db");
    let store = format!("sqlite://{}", db.display());
    let o = Command::new(kiqlab_bin())
        .args(&args[..1])
        .args(["--store", &store])
        .args(&args[1..])
        .output()
        .expect("run kiqlab");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(expect), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!db.exists(), "{args:?} touched the store");
}

#[test]
fn empty_class_names_and_zero_weights_are_refused() {
    refused(&["enqueue", ""], "a job class is needed");
    refused(&["enqueue", "Demo Worker", "1"], "is not a class name");
    refused(&["worker", "-q", "default,0"], "queue weight 0");
    refused(
        &["worker", "-q", "urgent,10", "-q", "low,0"],
        "a weight is 1 or more",
    );
}
