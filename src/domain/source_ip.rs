//! A worker's own source address (`kiqlab worker --source-ip`): an IP this
//! machine really has, checked by binding a socket to it, so every outgoing
//! connection of the worker can start from it and the worker reports it as
//! its IP. On Linux all of 127.0.0.0/8 is local, which gives each demo
//! worker an address of its own (`loopback_for`) with no set-up.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};

use super::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceIp(IpAddr);

impl SourceIp {
    /// `ip` if a socket can be bound to it here; else why not, in words.
    pub fn check(ip: IpAddr) -> Result<SourceIp, Invalid> {
        if ip.is_unspecified() || ip.is_multicast() {
            return Err(Invalid::new(format!(
                "{ip} cannot be a source address: give one address of this machine (127.0.0.11, 10.0.0.5…)"
            )));
        }
        match TcpListener::bind(SocketAddr::new(ip, 0)) {
            Ok(_) => Ok(SourceIp(ip)),
            Err(e) => Err(Invalid::new(format!(
                "{ip} is not an address of this machine (binding a socket to it failed: {e})"
            ))),
        }
    }

    /// Parses and checks an address as typed.
    pub fn parse(s: &str) -> Result<SourceIp, Invalid> {
        let ip: IpAddr = s.trim().parse().map_err(|_| {
            Invalid::new(format!(
                "{s:?} is not an IP address (write it as 127.0.0.11 or ::1)"
            ))
        })?;
        SourceIp::check(ip)
    }

    /// The demo's address for worker number `n` (1-based): 127.0.0.11 for
    /// worker-01, 127.0.0.12 for worker-02… Not checked: see `check`.
    pub fn loopback_for(n: u16) -> Option<IpAddr> {
        let last = u8::try_from(10 + u32::from(n)).ok().filter(|l| *l < 255)?;
        Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
    }

    pub fn ip(self) -> IpAddr {
        self.0
    }
}

impl fmt::Display for SourceIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for SourceIp {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<SourceIp, Invalid> {
        SourceIp::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_addresses_pass_and_others_say_why() {
        assert_eq!(
            SourceIp::parse("127.0.0.1").unwrap().ip(),
            IpAddr::from([127, 0, 0, 1])
        );
        let e = SourceIp::parse("0.0.0.0").unwrap_err();
        assert!(e.0.contains("cannot be a source address"), "{e}");
        let e = SourceIp::parse("nope").unwrap_err();
        assert!(e.0.contains("not an IP address"), "{e}");
        // TEST-NET-3 is never assigned to a machine.
        let e = SourceIp::parse("203.0.113.77").unwrap_err();
        assert!(e.0.contains("not an address of this machine"), "{e}");
    }

    #[test]
    fn demo_workers_get_consecutive_loopback_addresses() {
        assert_eq!(
            SourceIp::loopback_for(1),
            Some(IpAddr::from([127, 0, 0, 11]))
        );
        assert_eq!(
            SourceIp::loopback_for(99),
            Some(IpAddr::from([127, 0, 0, 109]))
        );
        assert_eq!(SourceIp::loopback_for(300), None);
    }
}
