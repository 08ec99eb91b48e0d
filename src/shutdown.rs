//! The one shutdown signal every long-running task listens to: a cloneable
//! latch that is triggered once and stays triggered. Owners keep one and call
//! `trigger`; tasks get clones (or `child()`ren, which a parent's trigger also
//! ends) and `wait` on them in a `select!`.

use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Default)]
pub struct Shutdown(CancellationToken);

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Tells every clone to stop. Idempotent.
    pub fn trigger(&self) {
        self.0.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Completes once `trigger` has been called (at once if it already was).
    pub async fn wait(&self) {
        self.0.cancelled().await;
    }

    /// A signal that `trigger` on this one (or on the child itself) ends.
    pub fn child(&self) -> Shutdown {
        Shutdown(self.0.child_token())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_trigger_reaches_clones_and_children_but_not_parents() {
        let parent = Shutdown::new();
        let clone = parent.clone();
        let child = parent.child();
        let grandchild_only = child.child();
        assert!(!clone.is_triggered());
        grandchild_only.trigger();
        assert!(!child.is_triggered() && !parent.is_triggered());
        parent.trigger();
        clone.wait().await;
        child.wait().await;
        assert!(clone.is_triggered() && child.is_triggered());
        parent.trigger(); // idempotent
    }
}
