//! Sign-in, sign-up, sign-out, the admin gate, CSRF refusals and the
//! failed-sign-in throttle, over HTTP, on both stores.

use kiqlab::engine::job::{Job, Retry};
use kiqlab::engine::store::SetKind;
use serde_json::json;

use super::harness::{dash_test, Dash, PASSWORD};

async fn anonymous_visitors_are_sent_to_sign_in_and_come_back(d: Dash) {
    d.user("ada@example.com", true).await;
    let mut b = d.browser();
    assert_eq!(
        b.location("/sidekiq/retries?page=2").await.as_deref(),
        Some("/sign_in?next=%2Fsidekiq%2Fretries%3Fpage%3D2")
    );
    let (s, body) = b.get("/sidekiq/stats").await;
    assert_eq!(s, 303, "{body}");
    let (s, body) = b.get("/sign_in?next=/sidekiq/busy").await;
    assert_eq!(s, 200);
    assert!(body.contains("value=\"&#x2F;sidekiq&#x2F;busy\""), "{body}");
    let (s, loc) = b
        .post(
            "/sign_in",
            &[
                ("email", "ADA@example.com"),
                ("password", PASSWORD),
                ("next", "/sidekiq/busy"),
            ],
        )
        .await;
    assert_eq!((s, loc.as_str()), (303, "/sidekiq/busy"));
    let (s, body, headers) = b.get_full("/sidekiq/busy").await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("ada@example.com"));
    assert_eq!(headers["cache-control"], "private, no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    // An off-site `next` is ignored.
    let mut other = d.browser();
    other.get("/sign_in").await;
    let (_, loc) = other
        .post(
            "/sign_in",
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(loc, "/sidekiq");
    d.stop().await;
}

async fn the_session_cookie_is_http_only_and_lax_and_renewed_on_sign_in(d: Dash) {
    d.user("ada@example.com", true).await;
    let mut b = d.browser();
    let (_, _, h) = b.get_full("/sign_in").await;
    let anon = h["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        anon.contains("HttpOnly") && anon.contains("SameSite=Lax") && anon.contains("Path=/"),
        "{anon}"
    );
    let token = b.token.clone().unwrap();
    let body = format!(
        "authenticity_token={}&email=ada%40example.com&password={}",
        token,
        PASSWORD.replace(' ', "+")
    );
    let (s, _, h) = b.post_raw("/sign_in", body).await;
    assert_eq!(s, 303);
    let signed = h["set-cookie"].to_str().unwrap().to_owned();
    assert_ne!(
        anon.split(';').next(),
        signed.split(';').next(),
        "a new session on sign-in"
    );
    let (s, _) = b.get("/sidekiq").await;
    assert_eq!(s, 200);
    // Signing out ends the session server-side.
    let stolen = signed.split(';').next().unwrap().to_owned();
    let (s, loc) = b.post("/sign_out", &[]).await;
    assert_eq!((s, loc.as_str()), (303, "/sign_in"));
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/sidekiq", d.address))
        .header("Cookie", stolen)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "the old cookie opens nothing");
    d.stop().await;
}

async fn non_admins_get_a_403_page_and_sign_up_makes_non_admins(d: Dash) {
    let mut b = d.browser();
    let (s, _) = b.get("/sign_up").await;
    assert_eq!(s, 200);
    let (s, body) = b
        .post(
            "/sign_up",
            &[
                ("email", "new@example.com"),
                ("password", "short"),
                ("password_confirmation", "short"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("at least 10 characters"), "{body}");
    let (s, body) = b
        .post(
            "/sign_up",
            &[
                ("email", "not an email"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let (s, body) = b
        .post(
            "/sign_up",
            &[
                ("email", "new@example.com"),
                ("password", PASSWORD),
                ("password_confirmation", "something else entirely"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("differ"));
    let (s, loc) = b
        .post(
            "/sign_up",
            &[
                ("email", "new@example.com"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!((s, loc.as_str()), (303, "/account"));
    // A new account lands on a page that says how an admin grants access.
    let (s, body) = b.get("/account").await;
    assert_eq!(s, 200);
    assert!(
        body.contains("kiqlab admin grant new@example.com"),
        "{body}"
    );
    assert!(body.contains("id=\"not-admin\""), "{body}");
    // Every page's header says who is signed in, with a sign-out button.
    let (_, page) = b.get("/snippets").await;
    assert!(
        page.contains("signed in as <a href=\"/account\" id=\"account-user\">new@example.com</a>"),
        "{page}"
    );
    assert!(page.contains("id=\"sign-out\""));
    let (_, anonymous) = d.browser().get("/snippets").await;
    assert!(anonymous.contains("id=\"sign-in-link\""), "{anonymous}");
    let (s, body) = b.get("/sidekiq").await;
    assert_eq!(s, 403);
    assert!(
        body.contains("not an admin") && body.contains("kiqlab admin grant new@example.com"),
        "{body}"
    );
    let (s, _) = b.get("/sidekiq/stats").await;
    assert_eq!(s, 403);
    // A second sign-up with the same address is refused.
    let mut again = d.browser();
    again.get("/sign_up").await;
    let (s, body) = again
        .post(
            "/sign_up",
            &[
                ("email", "NEW@example.com"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("already has an account"));
    d.stop().await;
}

async fn state_changes_without_a_valid_csrf_token_are_refused(d: Dash) {
    let job = Job::new(
        "Doomed",
        vec![json!(1)],
        "default".parse().unwrap(),
        Retry::Default,
    );
    d.store.add_entry(SetKind::Retry, 1e9, &job).await.unwrap();
    let mut b = d.admin().await;
    b.get("/sidekiq/retries").await;
    let (s, body, _) = b
        .post_raw("/sidekiq/retries/all/delete", String::new())
        .await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("CSRF"));
    let (s, _, _) = b
        .post_raw(
            "/sidekiq/retries/all/delete",
            "authenticity_token=forged".into(),
        )
        .await;
    assert_eq!(s, 403);
    // Another session's token is no good either.
    let mut other = d.browser();
    other.get("/sign_in").await;
    let foreign = other.token.clone().unwrap();
    let (s, _, _) = b
        .post_raw(
            "/sidekiq/retries/all/delete",
            format!("authenticity_token={foreign}"),
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(
        d.store.set_size(SetKind::Retry).await.unwrap(),
        1,
        "nothing changed"
    );
    // The sign-in and sign-out forms are guarded too.
    let mut fresh = d.browser();
    fresh.get("/sign_in").await;
    let (s, _, _) = fresh
        .post_raw(
            "/sign_in",
            format!(
                "email=boss%40example.com&password={}",
                PASSWORD.replace(' ', "+")
            ),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _, _) = b.post_raw("/sign_out", String::new()).await;
    assert_eq!(s, 403);
    // And with the token, it works.
    let (s, _) = b.post("/sidekiq/retries/all/delete", &[]).await;
    assert_eq!(s, 303);
    assert_eq!(d.store.set_size(SetKind::Retry).await.unwrap(), 0);
    d.stop().await;
}

async fn repeated_failed_sign_ins_are_throttled_per_account(d: Dash) {
    d.user("ada@example.com", true).await;
    let mut b = d.browser();
    b.get("/sign_in").await;
    for _ in 0..5 {
        let (s, body) = b
            .post(
                "/sign_in",
                &[
                    ("email", "ada@example.com"),
                    ("password", "wrong wrong wrong"),
                ],
            )
            .await;
        assert_eq!(s, 401, "{body}");
        assert!(body.contains("Wrong email or password"));
    }
    let (s, body) = b
        .post(
            "/sign_in",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(s, 429, "even the right password waits");
    assert!(body.contains("Too many failed sign-ins"));
    // Another account from the same address is still fine (under the IP limit).
    d.user("bob@example.com", true).await;
    let (s, _) = b
        .post(
            "/sign_in",
            &[("email", "bob@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(s, 303);
    d.stop().await;
}

async fn repeated_failed_sign_ins_are_throttled_per_address(d: Dash) {
    d.user("ada@example.com", true).await;
    let mut b = d.browser();
    b.get("/sign_in").await;
    for i in 0..kiqlab::web::auth::throttle::PER_IP {
        let who = format!("nobody{i}@example.com");
        let (s, _) = b
            .post(
                "/sign_in",
                &[("email", &who), ("password", "whatever it is")],
            )
            .await;
        assert_eq!(s, 401);
    }
    let (s, _) = b
        .post(
            "/sign_in",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(s, 429);
    d.stop().await;
}

async fn the_dashboard_assets_and_the_nav_link_are_served(d: Dash) {
    let mut b = d.browser();
    for (f, ty) in [
        ("dashboard.js", "javascript"),
        ("uPlot.iife.min.js", "javascript"),
        ("dashboard.css", "css"),
        ("uPlot.LICENSE", "text/plain"),
    ] {
        let (s, _, h) = b.get_full(&format!("/sidekiq/assets/{f}")).await;
        assert_eq!(s, 200, "{f}");
        assert!(h["content-type"].to_str().unwrap().contains(ty));
    }
    assert_eq!(b.get("/sidekiq/assets/nope.js").await.0, 404);
    let (_, home) = b.get("/").await;
    assert!(home.contains("href=\"/sidekiq\""));
    d.stop().await;
}

/// Issue 14: the throttle counts an attempt before it checks the password,
/// atomically, so 40 guesses at once check at most the limit (5); the rest get
/// 429 without a hash, and so does the right password after them.
async fn parallel_guesses_for_one_account_check_at_most_the_limit(d: Dash) {
    use kiqlab::web::auth::throttle::PER_ACCOUNT;
    d.user("ada@example.com", true).await;
    let mut b = d.browser();
    b.get("/sign_in").await;
    let guesses = (0..40).map(|i| {
        let mut b = b.clone();
        tokio::spawn(async move {
            let guess = format!("guess number {i}");
            b.post(
                "/sign_in",
                &[("email", "ada@example.com"), ("password", &guess)],
            )
            .await
            .0
        })
    });
    let mut statuses = Vec::new();
    for g in guesses.collect::<Vec<_>>() {
        statuses.push(g.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    eprintln!("guess race: 40 at once: {checked} checked (401), {refused} refused (429)");
    assert_eq!(checked + refused, 40, "only 401s and 429s: {statuses:?}");
    assert!(
        checked as u64 <= PER_ACCOUNT,
        "{checked} guesses were checked"
    );
    assert!(checked >= 1, "the first guesses are checked: {statuses:?}");
    let (s, body) = b
        .post(
            "/sign_in",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(s, 429, "the right password after the flood waits: {body}");
    d.stop().await;
}

/// Sign-up is limited per address: each costs a password hash.
async fn sign_ups_are_limited_per_address(d: Dash) {
    use kiqlab::web::auth::throttle::SIGN_UPS_PER_IP;
    let mut b = d.browser();
    for i in 0..SIGN_UPS_PER_IP {
        b.get("/sign_up").await;
        let email = format!("student{i}@example.com");
        let (s, body) = b
            .post(
                "/sign_up",
                &[
                    ("email", &email),
                    ("password", PASSWORD),
                    ("password_confirmation", PASSWORD),
                ],
            )
            .await;
        assert_eq!(s, 303, "sign-up {i}: {body}");
        b.post("/sign_out", &[]).await;
    }
    b.get("/sign_up").await;
    let (s, body) = b
        .post(
            "/sign_up",
            &[
                ("email", "one.too.many@example.com"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(s, 429, "{body}");
    assert!(
        body.contains("Too many sign-ups from your address"),
        "{body}"
    );
    d.stop().await;
}

dash_test!(
    anonymous_visitors_are_sent_to_sign_in_and_come_back,
    the_session_cookie_is_http_only_and_lax_and_renewed_on_sign_in,
    non_admins_get_a_403_page_and_sign_up_makes_non_admins,
    state_changes_without_a_valid_csrf_token_are_refused,
    repeated_failed_sign_ins_are_throttled_per_account,
    repeated_failed_sign_ins_are_throttled_per_address,
    parallel_guesses_for_one_account_check_at_most_the_limit,
    sign_ups_are_limited_per_address,
    the_dashboard_assets_and_the_nav_link_are_served,
);
