//! The Retries, Scheduled, Dead and Failures tabs on both stores: every
//! action, on selected rows, from the detail page and on all, changes the
//! store as Sidekiq's would.

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::job::{Job, Retry};
use kiqlab::engine::store::{Page, SetKind, SetQuery, SortedEntry};
use serde_json::{json, Value};

use super::harness::{dash_test, Dash};

dash_test!(
    retries_retry_delete_and_kill_selected_rows,
    retries_all_actions_work_in_batches,
    scheduled_add_to_queue_and_delete,
    dead_jobs_retry_from_the_detail_page,
    failures_show_the_error_and_reset_the_counter,
    failures_show_the_backtrace_of_a_real_failure,
    lists_page_filter_and_escape,
);

fn failed(i: usize, arg: Value) -> Job {
    let mut j = Job::new(
        "HardWorker",
        vec![arg, json!(i)],
        "default".parse().unwrap(),
        Retry::Default,
    );
    j.set("error_class", json!("RuntimeError"));
    j.set("error_message", json!(format!("boom {i}")));
    j.set("retry_count", json!(2));
    j.set("failed_at", json!(now_secs() - 60.0));
    j
}

async fn seed(d: &Dash, set: SetKind, n: usize) -> Vec<SortedEntry> {
    let now = now_secs();
    let entries: Vec<(f64, Job)> = (0..n)
        .map(|i| (now + 100.0 + i as f64, failed(i, json!("x"))))
        .collect();
    d.store.add_entries(set, &entries).await.unwrap();
    d.store
        .set_entries(&SetQuery::new(set, Page::oldest(0, 1000)))
        .await
        .unwrap()
}

async fn queued(d: &Dash) -> Vec<Job> {
    d.store
        .queue_jobs(&"default".parse().unwrap(), Page::oldest(0, 10_000))
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.job.unwrap())
        .collect()
}

async fn retries_retry_delete_and_kill_selected_rows(d: Dash) {
    let e = seed(&d, SetKind::Retry, 4).await;
    let mut b = d.admin().await;
    let (s, page) = b.get("/sidekiq/retries").await;
    assert_eq!(s, 200);
    assert!(page.contains("boom 3") && page.contains("RuntimeError"));
    let k = |i: usize| e[i].key().to_string();
    let (s, loc) = b
        .post(
            "/sidekiq/retries",
            &[("key[]", &k(0)), ("key[]", &k(1)), ("action", "retry")],
        )
        .await;
    assert_eq!((s, loc.as_str()), (303, "/sidekiq/retries"));
    let q = queued(&d).await;
    assert_eq!(q.len(), 2);
    assert!(
        q.iter().all(|j| j.get("retry_count") == Some(&json!(1))),
        "one retry given back"
    );
    assert!(q.iter().all(|j| j.enqueued_at().is_some()));
    b.get("/sidekiq/retries").await;
    let (s, _) = b
        .post("/sidekiq/retries", &[("key[]", &k(2)), ("kill", "Kill")])
        .await;
    assert_eq!(s, 303);
    assert_eq!(d.store.set_size(SetKind::Dead).await.unwrap(), 1);
    b.get("/sidekiq/retries").await;
    let (s, _) = b
        .post(
            "/sidekiq/retries",
            &[("key[]", &k(3)), ("action", "delete")],
        )
        .await;
    assert_eq!(s, 303);
    assert_eq!(d.store.set_size(SetKind::Retry).await.unwrap(), 0);
    // Gone now: the detail page and a second action say so.
    let (s, body) = b.get(&format!("/sidekiq/retries/{}", k(3))).await;
    assert_eq!(s, 404, "{body}");
    let (s, _) = b
        .post(
            &format!("/sidekiq/retries/{}", k(3)),
            &[("action", "retry")],
        )
        .await;
    assert_eq!(s, 404);
    // Not allowed here, and nonsense keys.
    let (s, body) = b
        .post("/sidekiq/morgue", &[("key[]", &k(0)), ("action", "kill")])
        .await;
    assert_eq!(s, 400, "{body}");
    let (s, _) = b
        .post(
            "/sidekiq/retries",
            &[("key[]", "nonsense"), ("action", "retry")],
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = b.post("/sidekiq/retries", &[("action", "retry")]).await;
    assert_eq!(s, 400);
    d.stop().await;
}

async fn retries_all_actions_work_in_batches(d: Dash) {
    seed(&d, SetKind::Retry, 1500).await;
    let mut b = d.admin().await;
    b.get("/sidekiq/retries").await;
    let (s, _) = b.post("/sidekiq/retries/all/retry", &[]).await;
    assert_eq!(s, 303);
    assert_eq!(d.store.set_size(SetKind::Retry).await.unwrap(), 0);
    assert_eq!(queued(&d).await.len(), 1500);
    seed(&d, SetKind::Retry, 3).await;
    b.get("/sidekiq/retries").await;
    let (s, _) = b.post("/sidekiq/retries/all/kill", &[]).await;
    assert_eq!(s, 303);
    assert_eq!(d.store.set_size(SetKind::Dead).await.unwrap(), 3);
    b.get("/sidekiq/morgue").await;
    let (s, _) = b.post("/sidekiq/morgue/all/delete", &[]).await;
    assert_eq!(s, 303);
    assert_eq!(d.store.set_size(SetKind::Dead).await.unwrap(), 0);
    let (s, _) = b.post("/sidekiq/morgue/all/kill", &[]).await;
    assert_eq!(s, 400);
    d.stop().await;
}

async fn scheduled_add_to_queue_and_delete(d: Dash) {
    let e = seed(&d, SetKind::Schedule, 3).await;
    let mut b = d.admin().await;
    let (s, page) = b.get("/sidekiq/scheduled").await;
    assert_eq!(s, 200);
    assert!(page.contains("Add To Queue"));
    let (s, _) = b
        .post(
            "/sidekiq/scheduled",
            &[
                ("key[]", &e[0].key().to_string()),
                ("action", "add_to_queue"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let q = queued(&d).await;
    assert_eq!(q.len(), 1);
    assert_eq!(
        q[0].get("retry_count"),
        Some(&json!(2)),
        "add to queue gives nothing back"
    );
    b.get("/sidekiq/scheduled").await;
    let (s, _) = b
        .post(
            &format!("/sidekiq/scheduled/{}", e[1].key()),
            &[("action", "delete")],
        )
        .await;
    assert_eq!(s, 303);
    b.get("/sidekiq/scheduled").await;
    let (s, _) = b.post("/sidekiq/scheduled/all/add_to_queue", &[]).await;
    assert_eq!(s, 303);
    assert_eq!(queued(&d).await.len(), 2);
    assert_eq!(d.store.set_size(SetKind::Schedule).await.unwrap(), 0);
    d.stop().await;
}

async fn dead_jobs_retry_from_the_detail_page(d: Dash) {
    let e = seed(&d, SetKind::Dead, 2).await;
    let mut b = d.admin().await;
    let path = format!("/sidekiq/morgue/{}", e[0].key());
    let (s, page) = b.get(&path).await;
    assert_eq!(s, 200, "{page}");
    for f in [
        "HardWorker",
        "boom 0",
        "RuntimeError",
        "Originally Failed",
        e[0].jid(),
    ] {
        assert!(page.contains(f), "{f} on the detail page");
    }
    let (s, loc) = b.post(&path, &[("action", "retry")]).await;
    assert_eq!((s, loc.as_str()), (303, "/sidekiq/morgue"));
    assert_eq!(queued(&d).await[0].jid(), e[0].jid());
    assert_eq!(d.store.set_size(SetKind::Dead).await.unwrap(), 1);
    assert_eq!(b.get("/sidekiq/morgue/not-a-key").await.0, 400);
    assert_eq!(b.get("/sidekiq/nowhere").await.0, 404);
    d.stop().await;
}

async fn failures_show_the_error_and_reset_the_counter(d: Dash) {
    let mut j = failed(0, json!("x"));
    j.set("processor", json!("worker-01:42"));
    j.set(
        "error_backtrace",
        json!(["app/jobs/hard.rb:3:in `perform'", "lib/sidekiq.rb:1"]),
    );
    d.store
        .add_entry(SetKind::Failed, now_secs(), &j)
        .await
        .unwrap();
    let key = d
        .store
        .set_entries(&SetQuery::new(SetKind::Failed, Page::oldest(0, 1)))
        .await
        .unwrap()[0]
        .key();
    let mut b = d.admin().await;
    let (s, page) = b.get("/sidekiq/failures").await;
    assert_eq!(s, 200);
    assert!(page.contains("worker-01:42") && page.contains("Reset Counter"));
    let (_, detail) = b.get(&format!("/sidekiq/failures/{key}")).await;
    assert!(detail.contains("hard.rb:3:in `perform&#x27;"), "{detail}");
    // A failed execution to count, then the counter reset.
    super::harness::run_one(&d, false).await;
    assert_eq!(d.store.stats(now_secs()).await.unwrap().failed, 1);
    let (s, _) = b.post("/sidekiq/failures/all/reset", &[]).await;
    assert_eq!(s, 303);
    let stats = d.store.stats(now_secs()).await.unwrap();
    assert_eq!(stats.failed, 0);
    b.get("/sidekiq/failures").await;
    let (s, _) = b
        .post(&format!("/sidekiq/failures/{key}"), &[("action", "retry")])
        .await;
    assert_eq!(s, 303);
    assert_eq!(queued(&d).await.len(), 1);
    // The one this test failed is still listed; the retried one is gone.
    let left = d
        .store
        .set_entries(&SetQuery::new(SetKind::Failed, Page::oldest(0, 10)))
        .await
        .unwrap();
    assert!(left.iter().all(|e| e.jid() != key.jid));
    d.stop().await;
}

async fn lists_page_filter_and_escape(d: Dash) {
    let now = now_secs();
    let mut entries: Vec<(f64, Job)> = (0..30)
        .map(|i| (now + i as f64, failed(i, json!("plain"))))
        .collect();
    entries.push((now + 100.0, failed(99, json!("<script>alert(1)</script>"))));
    d.store.add_entries(SetKind::Retry, &entries).await.unwrap();
    let mut b = d.admin().await;
    let (s, p1) = b.get("/sidekiq/retries").await;
    assert_eq!(s, 200);
    assert_eq!(p1.matches("name=\"key[]\"").count(), 25);
    let (_, p2) = b.get("/sidekiq/retries?page=2").await;
    assert_eq!(p2.matches("name=\"key[]\"").count(), 6);
    assert!(!p2.contains("<script>alert"), "arguments are escaped");
    assert!(p2.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
    let (_, filtered) = b.get("/sidekiq/retries?substr=alert").await;
    assert_eq!(filtered.matches("name=\"key[]\"").count(), 1);
    let (_, desc) = b.get("/sidekiq/retries?direction=desc&count=1").await;
    assert!(desc.contains("alert"), "newest first");
    for bad in [
        "?page=0",
        "?page=abc",
        "?count=5000",
        "?direction=sideways",
        "?page=99999999999999999999",
    ] {
        let (s, body) = b.get(&format!("/sidekiq/retries{bad}")).await;
        assert_eq!(s, 400, "{bad}: {body}");
    }
    let (s, loc) = b
        .post("/sidekiq/filter/retries", &[("substr", "a b")])
        .await;
    assert_eq!((s, loc.as_str()), (303, "/sidekiq/retries?substr=a+b"));
    d.stop().await;
}

/// A job a real worker fails: its Failures entry carries a backtrace (the
/// handler and the worker that ran it), shown on the detail page.
async fn failures_show_the_backtrace_of_a_real_failure(mut d: Dash) {
    d.worker("failing-worker").await;
    let job = Job::new(
        "DemoWorker",
        vec![json!("not"), json!("the"), json!("arguments"), json!(4)],
        "default".parse().unwrap(),
        Retry::Count(0),
    );
    d.store.push(std::slice::from_ref(&job)).await.unwrap();
    let entry = crate::support::eventually(
        std::time::Duration::from_secs(20),
        "the failure",
        || async {
            d.store
                .set_entries(&SetQuery::new(SetKind::Failed, Page::oldest(0, 10)))
                .await
                .ok()?
                .into_iter()
                .find(|e| e.jid() == job.jid())
        },
    )
    .await;
    let mut b = d.admin().await;
    let (s, detail) = b.get(&format!("/sidekiq/failures/{}", entry.key())).await;
    assert_eq!(s, 200);
    assert!(detail.contains("Error Backtrace"), "{detail}");
    let bt = &detail[detail.find("class=\"backtrace\"").expect("a backtrace")..];
    assert!(
        bt.contains(&format!(
            "in DemoWorker#perform (jid {}, queue default)",
            job.jid()
        )),
        "{bt}"
    );
    assert!(bt.contains("on failing-worker ("), "{bt}");
    assert!(detail.contains("ArgumentError"), "{detail}");
    d.stop().await;
}
