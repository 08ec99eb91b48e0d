//! Sign-in for the dashboard (the tutorial guards Sidekiq::Web with Devise
//! and an admin flag).
//!
//! # Layout
//!
//! - `session`: server-side sessions behind an HttpOnly, SameSite=Lax cookie
//! - `csrf`: per-session secrets, masked tokens, their check
//! - `hashing`: argon2id on a pool of one thread per core, with a bounded wait
//! - `throttle`: counting sign-ins (account and IP) and sign-ups (IP) before they are checked
//! - `guard`: the `/sidekiq` gate (sign in, admins only, CSRF) and `Admin`
//! - `pages`: `/sign_in`, `/sign_up`, `/sign_out`
//! - `account`: who is signed in (the header of every page) and `/account`

mod account;
pub mod csrf;
mod guard;
pub mod hashing;
mod pages;
pub mod session;
pub mod throttle;

use actix_web::web;

pub use account::provide_account;
pub use guard::{require_admin, Admin};

/// The sign-in pages' templates (`templates/auth/`).
pub const TEMPLATES: crate::web::templates::Part = crate::web::templates::Part::folder("auth");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sign_in", web::get().to(pages::sign_in_page))
        .route("/sign_in", web::post().to(pages::sign_in))
        .route("/sign_up", web::get().to(pages::sign_up_page))
        .route("/sign_up", web::post().to(pages::sign_up))
        .route("/sign_out", web::post().to(pages::sign_out))
        .route("/account", web::get().to(account::page));
}
