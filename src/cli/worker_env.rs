//! The one contract between a parent and the `kiqlab worker` children it
//! starts (the demo's workers, the autoscaler's local worker): the store, the
//! web node's URL and token, and what the apps' jobs reach, passed in the
//! environment (secrets never go on a command line). `to_env` writes it; the
//! worker's own flags read it back (`KIQLAB_STORE` through `config`, the
//! rest through `WebApiArgs` and `JobsArgs`), as the test below checks.

use crate::apps::JobsConfig;
use crate::engine::store::url::StoreUrl;

#[derive(Debug, Clone)]
pub struct WorkerEnv {
    pub store: StoreUrl,
    /// With the web node's URL and internal token.
    pub jobs: JobsConfig,
}

impl WorkerEnv {
    /// The variables, values included (they may be secrets: never log them).
    pub fn to_env(&self) -> Vec<(String, String)> {
        let j = &self.jobs;
        let mut env = vec![
            ("KIQLAB_EXIT_WITH_PARENT", "true".to_owned()),
            ("KIQLAB_STORE", self.store.for_child()),
            ("KIQLAB_WEB_URL", j.web_url.to_string()),
            ("KIQLAB_SMTP", j.smtp.to_string()),
            ("KIQLAB_TAGGER_URL", j.tagger_url.to_string()),
            ("KIQLAB_HTTP_TIMEOUT", secs(j.http_timeout)),
            ("KIQLAB_SMTP_TIMEOUT", secs(j.smtp_timeout)),
            ("KIQLAB_HIGHLIGHT_DELAY", secs(j.highlight_delay)),
        ];
        if let Some(t) = &j.internal_token {
            env.push(("KIQLAB_INTERNAL_TOKEN", t.expose().to_owned()));
        }
        if let Some(k) = &j.tagger_key {
            env.push(("KIQLAB_TAGGER_KEY", k.expose().to_owned()));
        }
        env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

fn secs(d: std::time::Duration) -> String {
    super::jobs_args::format_duration(d)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::{ArgAction, CommandFactory, Parser};

    use super::*;
    use crate::secret::Secret;

    #[derive(Parser)]
    struct Worker {
        #[command(flatten)]
        args: crate::cli::worker::Args,
    }

    /// Parses the worker's flags as if `env` were its environment: each
    /// variable a flag reads becomes that flag (clap reads the process's own
    /// environment, which a test must not change). Returns the flags and the
    /// variables no flag reads.
    fn parse_as_worker(env: &[(String, String)]) -> (Worker, Vec<String>) {
        let cmd = Worker::command();
        let mut argv = vec!["kiqlab-worker".to_owned()];
        let mut unread: Vec<String> = env.iter().map(|(k, _)| k.clone()).collect();
        for arg in cmd.get_arguments() {
            let (Some(var), Some(long)) = (arg.get_env(), arg.get_long()) else {
                continue;
            };
            let Some((k, v)) = env.iter().find(|(k, _)| var == k.as_str()) else {
                continue;
            };
            unread.retain(|u| u != k);
            match arg.get_action() {
                ArgAction::SetTrue if v == "true" => argv.push(format!("--{long}")),
                ArgAction::SetTrue => {}
                _ => argv.push(format!("--{long}={v}")),
            }
        }
        (Worker::try_parse_from(argv).unwrap(), unread)
    }

    #[test]
    fn the_worker_reads_back_what_to_env_writes() {
        let jobs = JobsConfig {
            web_url: url::Url::parse("http://127.0.0.1:4321/").unwrap(),
            internal_token: Some(Secret::new("tok")),
            smtp: "127.0.0.1:2525".parse().unwrap(),
            tagger_url: url::Url::parse("http://127.0.0.1:4321/tagger/enrich").unwrap(),
            tagger_key: Some(Secret::new("key")),
            http_timeout: Duration::from_millis(1500),
            smtp_timeout: Duration::from_secs(7),
            highlight_delay: Duration::from_secs(2),
            source_ip: None,
        };
        for store in [
            "redis://:pw@127.0.0.1:6379/0",
            "sqlite:///tmp/kiqlab/jobs.db",
        ] {
            let we = WorkerEnv {
                store: StoreUrl::parse(store).unwrap(),
                jobs: jobs.clone(),
            };
            let env = we.to_env();
            let (w, unread) = parse_as_worker(&env);
            assert_eq!(unread, ["KIQLAB_STORE"], "every other variable has a flag");
            let lookup = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let read_store = crate::config::resolve_store(None, &lookup).unwrap();
            assert_eq!(read_store, we.store);
            assert_eq!(w.args.jobs.config(Some(&w.args.api)), jobs);
            assert!(w.args.exit_with_parent);
        }
        let none = WorkerEnv {
            store: StoreUrl::parse("sqlite://rel/jobs.db").unwrap(),
            jobs: JobsConfig::default(),
        }
        .to_env();
        let store = &none.iter().find(|(k, _)| k == "KIQLAB_STORE").unwrap().1;
        assert!(store.starts_with("sqlite:///"), "made absolute: {store}");
        assert!(!none.iter().any(|(k, _)| k == "KIQLAB_INTERNAL_TOKEN"));
    }
}
