//! `/blog`: posts with hand-edited and automatic tags (`posts`: `/blog`,
//! `/blog/posts/…`) and posts by tag (`tags`: `/blog/tags/{name}`).

pub mod posts;
pub mod tags;
