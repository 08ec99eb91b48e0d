//! Who the demo's workers are: worker-01, worker-02… and, where this machine
//! has them, addresses of their own (127.0.0.11, 127.0.0.12…; on Linux all
//! of 127.0.0.0/8 is local), so each looks like a separate machine on the
//! pages, the dashboard and in Redis. Where there are none (macOS has only
//! 127.0.0.1) or something the workers reach is not on the loopback (a
//! remote Redis), the reason is given and every worker keeps this machine's.

use std::net::IpAddr;

use crate::domain::SourceIp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub source_ip: Option<SourceIp>,
}

/// The identities of `n` workers, and why they share this machine's
/// address if they do. `hosts` are the hosts the workers connect to.
pub async fn identities(n: u16, hosts: &[String]) -> (Vec<Identity>, Option<String>) {
    let names = (1..=n).map(|i| format!("worker-{i:02}"));
    match own_addresses(n, hosts).await {
        Ok(ips) => (
            names
                .zip(ips)
                .map(|(name, ip)| Identity {
                    name,
                    source_ip: Some(ip),
                })
                .collect(),
            None,
        ),
        Err(why) => (
            names
                .map(|name| Identity {
                    name,
                    source_ip: None,
                })
                .collect(),
            Some(why),
        ),
    }
}

async fn own_addresses(n: u16, hosts: &[String]) -> Result<Vec<SourceIp>, String> {
    let mut ips = Vec::with_capacity(usize::from(n));
    for i in 1..=n {
        let ip = SourceIp::loopback_for(i)
            .ok_or_else(|| format!("there are loopback addresses for 244 workers, not {n}"))?;
        ips.push(SourceIp::check(ip).map_err(|e| e.0)?);
    }
    for host in hosts {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<IpAddr> = tokio::net::lookup_host((bare, 0))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .map(|a| a.ip())
            .collect();
        // A connection from 127.0.0.x can only reach the loopback (IPv4).
        if !addrs.iter().any(|a| a.is_ipv4() && a.is_loopback()) {
            return Err(format!(
                "{host} is not on this machine's IPv4 loopback, which a connection from 127.0.0.x cannot leave"
            ));
        }
    }
    Ok(ips)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_targets_give_own_addresses_and_others_a_reason() {
        let (ids, why) = identities(2, &["127.0.0.1".into(), "localhost".into()]).await;
        assert_eq!(ids[1].name, "worker-02");
        if cfg!(target_os = "linux") {
            assert_eq!(why, None);
            let ips: Vec<String> = ids
                .iter()
                .map(|i| i.source_ip.unwrap().to_string())
                .collect();
            assert_eq!(ips, ["127.0.0.11", "127.0.0.12"]);
        }
        let (ids, why) = identities(2, &["192.0.2.1".into()]).await;
        assert!(ids.iter().all(|i| i.source_ip.is_none()));
        let why = why.unwrap();
        assert!(
            why.contains("192.0.2.1") || why.contains("127.0.0.11"),
            "{why}"
        );
    }
}
