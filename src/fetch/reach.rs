//! Where a fetch may go: the network reach is the operator's choice, never a
//! source's.
//!
//! A source's configured URL may be on any address the operator wrote. Anything a
//! source leads to (a redirect, an article link) may reach a non-public address
//! (loopback, private, link-local, shared, unique-local…) only when the configured
//! URL is on that same address. The check is made on the address actually
//! connected to: IP literals before each hop, names in the DNS resolver that reqwest
//! calls for the connection, so a name that resolves elsewhere the second time
//! cannot smuggle a request in. The `Authorization` header it sends comes from
//! `config::authorization`, which reads the secret when it is needed.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // Shared address space (carrier-grade NAT), benchmarking, reserved.
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    // NAT64 (64:ff9b::/96) carries an IPv4 address: judged by it.
    if ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., a, b, c, d] = ip.octets();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)) // documentation
}

/// The non-public addresses a fetch may connect to: those of the configured URL.
pub type Allowed = Arc<BTreeSet<IpAddr>>;

/// Why a hop was refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{target} is on the non-public address {ip}, which the source's configured URL is not on")]
pub struct Refused {
    pub target: String,
    pub ip: IpAddr,
}

/// The IP literal of a URL's host, if it is one.
pub fn literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        Host::Domain(_) => None,
    }
}

/// Refuses a URL whose host is a non-public IP literal not in `allowed` (names are
/// checked by `Guard` when they are resolved).
pub fn check_literal(url: &Url, allowed: &BTreeSet<IpAddr>) -> Result<(), Refused> {
    match literal(url) {
        Some(ip) if !is_public(ip) && !allowed.contains(&ip) => Err(Refused { target: url.to_string(), ip }),
        _ => Ok(()),
    }
}

/// The DNS resolver of a client: a name's non-public addresses are dropped unless
/// allowed; a name left with none is refused.
pub struct Guard {
    pub allowed: Allowed,
}

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.allowed.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (ok, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
                found.into_iter().partition(|a| is_public(a.ip()) || allowed.contains(&a.ip()));
            match (ok.is_empty(), refused.first()) {
                (true, Some(r)) => Err(Box::new(Refused { target: host, ip: r.ip() }) as _),
                _ => Ok(Box::new(ok.into_iter()) as Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_non_public_addresses() {
        for ip in ["8.8.8.8", "203.162.4.191", "2001:4860:4860::8888", "::ffff:8.8.8.8"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.2",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn literals_are_checked_against_what_is_allowed() {
        let allowed: BTreeSet<IpAddr> = ["127.0.0.1".parse().unwrap()].into();
        assert!(check_literal(&Url::parse("http://127.0.0.1:8080/a").unwrap(), &allowed).is_ok());
        assert!(check_literal(&Url::parse("http://example.vn/a").unwrap(), &allowed).is_ok());
        let err = check_literal(&Url::parse("http://127.0.0.2:8080/a").unwrap(), &allowed).unwrap_err();
        assert_eq!(err.ip.to_string(), "127.0.0.2");
        assert!(check_literal(&Url::parse("http://[::1]/").unwrap(), &allowed).is_err());
        assert!(check_literal(&Url::parse("http://2130706434/").unwrap(), &allowed).is_err(), "127.0.0.2 as a number");
    }
}
