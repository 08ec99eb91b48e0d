//! Every result page tells its own time: a submit's 303 carries its number
//! in a cookie for the page it lands on, which shows the submit's time, its
//! steps (from its `Server-Timing` entries) and the ratio to the async
//! median so far; `/timings` draws a linear axis (log as an option) and the
//! ratio.

use super::helpers::{spawn_app, web_test, TestApp, TestStore};

/// POSTs a snippet; its Location, Server-Timing and submit cookie.
async fn submit(app: &TestApp, mode: &str) -> (String, String, String) {
    let r = app
        .post_form(
            "/snippets",
            &[("language", "ruby"), ("code", "puts 1"), ("mode", mode)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let h = |n: &str| r.headers()[n].to_str().unwrap().to_owned();
    let cookie = h("set-cookie");
    (h("location"), h("server-timing"), cookie)
}

async fn a_result_page_shows_its_submits_steps_and_ratio(store: TestStore) {
    let app = spawn_app(store).await;
    // Before any async submit, there is nothing to compare with.
    let (loc, timing, cookie) = submit(&app, "sync").await;
    assert!(timing.contains("work;dur="), "{timing}");
    assert!(timing.contains("load;dur="), "{timing}");
    assert!(
        cookie.starts_with("kiqlab_submit=") && cookie.contains(&format!("Path={loc};")),
        "{cookie}"
    );
    let value = cookie.split(';').next().unwrap().to_owned();
    let landing = |loc: String, value: String| {
        let http = app.http.clone();
        let url = app.url(&loc);
        async move {
            let r = http.get(url).header("Cookie", value).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.text().await.unwrap()
        }
    };
    let page = landing(loc.clone(), value.clone()).await;
    assert!(page.contains("id=\"submit-time\""), "{page}");
    assert!(page.contains("data-mode=\"sync\""));
    assert!(page.contains("data-step=\"work\"") && page.contains("data-step=\"load\""));
    assert!(page.contains("No async submit of this app yet"));
    assert!(!page.contains("kiqlab:submit-time"), "marker left in");
    // Without the cookie (another visitor), no panel.
    let (_, plain) = app.page(&loc).await;
    assert!(!plain.contains("id=\"submit-time\""));

    let (aloc, atiming, acookie) = submit(&app, "async").await;
    assert!(atiming.contains("enqueue;dur=") && !atiming.contains("work;dur="));
    let avalue = acookie.split(';').next().unwrap().to_owned();
    let apage = landing(aloc, avalue).await;
    assert!(apage.contains("data-mode=\"async\"") && apage.contains("data-step=\"enqueue\""));
    // The sync result page now compares with the async median.
    let page = landing(loc, value).await;
    assert!(page.contains("class=\"ratio-value\""), "{page}");
    assert!(page.contains("the async median so far"));

    let (_, linear) = app.page("/timings").await;
    assert!(linear.contains("<strong>linear</strong>"));
    assert!(linear.contains("data-scale=\"linear\""));
    let row = &linear[linear.find("data-app=\"snippets\"").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("class=\"ratio\">") && row.contains('×'),
        "{row}"
    );
    let (_, log) = app.page("/timings?scale=log").await;
    assert!(log.contains("<strong>logarithmic</strong>") && log.contains("data-scale=\"log\""));
    app.stop().await;
}

web_test!(a_result_page_shows_its_submits_steps_and_ratio);
