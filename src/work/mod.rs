//! The work the sample apps' jobs do, free of any job or web plumbing, so the
//! worker and the web node's inline ("sync") path run exactly the same code:
//!
//! - `highlighter`: syntect HTML for a snippet
//! - `fibonacci`: the sequence with big integers
//! - `sequence_mail`: FibTastic's mail, built and sent over SMTP with lettre
//! - `tagger_client`: asks an OpenCalais-shaped tagging API for tags

pub mod fibonacci;
pub mod highlighter;
pub mod sequence_mail;
pub mod tagger_client;
