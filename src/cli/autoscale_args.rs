//! `kiqlab web --autoscale` and its flags: which queues to watch, the idle
//! time, and how to get a worker (local child processes, or
//! `--scale-up-cmd`/`--scale-down-cmd` shell commands).

use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::jobs_args::parse_secs;
use super::worker_env::WorkerEnv;
use crate::autoscale::{
    Autoscaler, AutoscalerConfig, CommandScaler, LocalScaler, LocalWorkerSpec, Queues, Scaler,
};
use crate::engine::queue::WeightedQueue;
use crate::engine::store::SharedStore;

#[derive(Debug, Clone, Args)]
pub struct AutoscaleArgs {
    /// Start a worker when jobs wait and none is alive; let it go after
    /// --autoscale-idle without work (the autoscaler gem)
    #[arg(long, env = "KIQLAB_AUTOSCALE")]
    pub autoscale: bool,

    /// How long without work before the worker goes: 60s (the gem's 60), 5s, 1m
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "60s",
        value_parser = parse_secs,
        env = "KIQLAB_AUTOSCALE_IDLE"
    )]
    pub autoscale_idle: f64,

    /// Queue to watch, and for local workers to serve (repeatable)
    #[arg(
        long = "autoscale-queue",
        value_name = "NAME[,WEIGHT]",
        default_values = ["urgent,10", "default,1"]
    )]
    pub autoscale_queues: Vec<WeightedQueue>,

    /// Jobs a local autoscaled worker runs at once
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub autoscale_concurrency: u16,

    /// Shell command that starts a worker, instead of a local process
    /// (e.g. "vagrant up worker-02"); KIQLAB_AUTOSCALE_WAITING is set for it
    #[arg(long, value_name = "COMMAND", env = "KIQLAB_SCALE_UP_CMD")]
    pub scale_up_cmd: Option<String>,

    /// Shell command that stops the worker after the idle time
    /// (e.g. "vagrant halt worker-02")
    #[arg(
        long,
        value_name = "COMMAND",
        env = "KIQLAB_SCALE_DOWN_CMD",
        requires = "scale_up_cmd"
    )]
    pub scale_down_cmd: Option<String>,

    /// How long a started worker has to send its first heartbeat (300s, 10m)
    #[arg(long, value_name = "DURATION", default_value = "300s", value_parser = parse_secs)]
    pub autoscale_start_timeout: f64,

    /// Time between looks at the store
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_secs, hide = true)]
    pub autoscale_interval: f64,
}

fn positive(name: &str, v: f64) -> anyhow::Result<Duration> {
    if v.is_finite() && v > 0.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        anyhow::bail!("--{name} must be more than 0 (500ms, 5s, 1m)")
    }
}

impl AutoscaleArgs {
    pub fn config(&self) -> anyhow::Result<AutoscalerConfig> {
        Ok(AutoscalerConfig {
            queues: Queues::Only(
                self.autoscale_queues
                    .iter()
                    .map(|q| q.name.clone())
                    .collect(),
            ),
            idle: positive("autoscale-idle", self.autoscale_idle)?,
            interval: positive("autoscale-interval", self.autoscale_interval)?,
            start_timeout: positive("autoscale-start-timeout", self.autoscale_start_timeout)?,
            ..AutoscalerConfig::default()
        })
    }

    /// The command line of a local worker (without `--name`).
    pub fn local_worker(&self, child: &WorkerEnv) -> anyhow::Result<LocalWorkerSpec> {
        let exe = std::env::current_exe().context("cannot find this program's path")?;
        let mut args = vec![
            "worker".to_owned(),
            "-c".to_owned(),
            self.autoscale_concurrency.to_string(),
            "--idle-exit".to_owned(),
            super::jobs_args::format_secs(self.autoscale_idle),
        ];
        for q in &self.autoscale_queues {
            args.push("-q".into());
            args.push(format!("{},{}", q.name, q.weight));
        }
        let env = child.to_env();
        Ok(LocalWorkerSpec { exe, args, env })
    }

    /// Starts the autoscaler when `--autoscale` is given.
    pub fn start(
        &self,
        store: SharedStore,
        child: &WorkerEnv,
    ) -> anyhow::Result<Option<Autoscaler>> {
        if !self.autoscale {
            return Ok(None);
        }
        let cfg = self.config()?;
        let scaler: Box<dyn Scaler> = match &self.scale_up_cmd {
            Some(up) => Box::new(CommandScaler::new(up.clone(), self.scale_down_cmd.clone())),
            None => Box::new(LocalScaler::new(
                self.local_worker(child)?,
                Duration::from_secs(30),
            )),
        };
        Ok(Some(Autoscaler::start(store, scaler, cfg)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::JobsConfig;
    use crate::engine::store::url::StoreUrl;
    use crate::secret::Secret;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: AutoscaleArgs,
    }

    #[test]
    fn flags_make_the_config_and_the_local_command_line() {
        let t = T::try_parse_from(["x", "--autoscale", "--autoscale-idle", "2500ms"]).unwrap();
        let c = t.a.config().unwrap();
        assert_eq!(c.idle, Duration::from_millis(2500));
        assert!(c.queues.includes("urgent") && c.queues.includes("default"));
        assert!(!c.queues.includes("low"));
        let child = WorkerEnv {
            store: StoreUrl::parse("redis://:pw@127.0.0.1:6379/0").unwrap(),
            jobs: JobsConfig {
                internal_token: Some(Secret::new("tok")),
                ..JobsConfig::default()
            },
        };
        let spec = t.a.local_worker(&child).unwrap();
        let line = spec.args.join(" ");
        assert_eq!(
            line,
            "worker -c 5 --idle-exit 2500ms -q urgent,10 -q default,1"
        );
        // Secrets go through the environment, never the command line.
        assert!(spec
            .env
            .iter()
            .any(|(k, v)| k == "KIQLAB_STORE" && v.contains(":pw@")));
        assert!(!line.contains("pw") && !line.contains("tok"));

        assert!(T::try_parse_from(["x", "--scale-down-cmd", "true"]).is_err());
        let t = T::try_parse_from(["x", "--autoscale-idle", "0"]).unwrap();
        assert!(t.a.config().is_err());
    }
}
