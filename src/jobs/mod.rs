//! Every job class this binary can run: the engine's built-ins plus the
//! sample apps' jobs. Workers and the web node's client use this registry.

use crate::engine::builtin;
use crate::engine::registry::Registry;

pub fn registry() -> Registry {
    let mut r = Registry::new();
    builtin::register(&mut r);
    r
}
