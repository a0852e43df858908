//! `-L` URLs: `scheme://[user[:password]@]host[:port][/path]`, as mosquitto's clients take them.

use crate::exit::{Failure, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Mqtt,
    Mqtts,
    Ws,
    Wss,
}

impl Scheme {
    pub fn is_tls(self) -> bool {
        matches!(self, Scheme::Mqtts | Scheme::Wss)
    }

    pub fn is_websocket(self) -> bool {
        matches!(self, Scheme::Ws | Scheme::Wss)
    }

    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Mqtt => 1883,
            Scheme::Mqtts => 8883,
            Scheme::Ws => 80,
            Scheme::Wss => 443,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    pub scheme: Scheme,
    pub username: Option<String>,
    pub password: Option<String>,
    pub host: String,
    pub port: u16,
    /// Percent-decoded path without its leading `/`; empty when absent. For mqtt(s) it is a topic,
    /// for ws(s) the websocket path.
    pub path: String,
}

impl BrokerUrl {
    pub fn parse(url: &str) -> Result<BrokerUrl> {
        let bad = |why: &str| {
            Failure::usage(format!(
                "invalid -L URL {}: {why}; expected mqtt://[user[:password]@]host[:port]/topic",
                crate::report::quote(&crate::report::redact_url(url))
            ))
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "mqtt" => Scheme::Mqtt,
            "mqtts" => Scheme::Mqtts,
            "ws" => Scheme::Ws,
            "wss" => Scheme::Wss,
            _ => return Err(bad("the scheme must be mqtt, mqtts, ws or wss")),
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(info) => match info.split_once(':') {
                Some((user, pass)) => (Some(decode(user, &bad)?), Some(decode(pass, &bad)?)),
                None => (Some(decode(info, &bad)?), None),
            },
        };
        let (host, port) = split_host_port(hostport).map_err(|why| {
            if why == BAD_PORT && userinfo.is_none() && path.contains('@') {
                bad(&format!("{why} (write a / in a password as %2F)"))
            } else if why == BAD_PORT && userinfo.is_none() {
                bad(&format!("{why} (user:password needs an @ before the host)"))
            } else {
                bad(why)
            }
        })?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(BrokerUrl {
            scheme,
            username,
            password,
            host: host.to_string(),
            port: port.unwrap_or(scheme.default_port()),
            path: decode(path, &bad)?,
        })
    }
}

const BAD_PORT: &str = "the port is not a number from 1 to 65535";

/// `host`, `host:port`, `[v6]` or `[v6]:port`. The brackets of an IPv6 literal are removed.
fn split_host_port(hostport: &str) -> std::result::Result<(&str, Option<u16>), &'static str> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("the [ of an IPv6 address has no ]")?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or(BAD_PORT)?)),
        }
    } else {
        match hostport.split_once(':') {
            Some((host, port)) if port.contains(':') => {
                return Err(if host.parse::<std::net::Ipv4Addr>().is_ok() {
                    "a port is given twice"
                } else {
                    "an IPv6 address must be in brackets, as in mqtt://[::1]:1883"
                });
            }
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    match port {
        None => Ok((host, None)),
        Some(port) => match port.parse::<u16>() {
            Ok(0) | Err(_) => Err(BAD_PORT),
            Ok(port) => Ok((host, Some(port))),
        },
    }
}

fn decode(text: &str, bad: &dyn Fn(&str) -> Failure) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .ok_or_else(|| bad("a % escape is cut short"))?;
            let hex = std::str::from_utf8(hex).map_err(|_| bad("a % escape is not hexadecimal"))?;
            out.push(
                u8::from_str_radix(hex, 16).map_err(|_| bad("a % escape is not hexadecimal"))?,
            );
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad("a % escape decodes to text that is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_url() {
        let url =
            BrokerUrl::parse("mqtts://al%40ice:s3:cr%2Ft@broker.example:8884/a/b%20c").unwrap();
        assert_eq!(url.scheme, Scheme::Mqtts);
        assert_eq!(url.username.as_deref(), Some("al@ice"));
        assert_eq!(url.password.as_deref(), Some("s3:cr/t"));
        assert_eq!(url.host, "broker.example");
        assert_eq!(url.port, 8884);
        assert_eq!(url.path, "a/b c");
    }

    #[test]
    fn defaults_and_ipv6() {
        let url = BrokerUrl::parse("mqtt://[::1]").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("::1", 1883, "")
        );
        let url = BrokerUrl::parse("wss://[::1]:9443/mqtt").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("::1", 9443, "mqtt")
        );
        assert_eq!(BrokerUrl::parse("mqtts://h").unwrap().port, 8883);
    }

    #[test]
    fn errors_name_the_problem_and_hide_the_password() {
        let err = BrokerUrl::parse("http://u:secret@h").unwrap_err();
        assert!(err.message.contains("scheme must be"), "{}", err.message);
        assert!(!err.message.contains("secret"), "{}", err.message);
        assert!(BrokerUrl::parse("mqtt://h:99999").is_err());
        assert!(BrokerUrl::parse("mqtt://h:0").is_err());
        assert!(BrokerUrl::parse("mqtt://:1883").is_err());
        assert!(BrokerUrl::parse("broker:1883").is_err());
        assert!(BrokerUrl::parse("mqtt://h/%zz").is_err());
        let why = |url: &str| BrokerUrl::parse(url).unwrap_err().message;
        assert_eq!(
            why("mqtt://u:p@127.0.0.1:1883:9/t"),
            "invalid -L URL 'mqtt://u:***@127.0.0.1:1883:9/t': a port is given twice; expected mqtt://[user[:password]@]host[:port]/topic"
        );
        assert!(why("mqtt://::1/t").contains("an IPv6 address must be in brackets"));
        assert!(why("mqtt://[::1/t").contains("the [ of an IPv6 address has no ]"));
        assert!(why("mqtt://alice:s3cr3t").contains(
            "'mqtt://alice:***': the port is not a number from 1 to 65535 (user:password needs an @ before the host)"
        ));
        let err = BrokerUrl::parse("mqtt://u:se/cr@et@h/t").unwrap_err();
        assert_eq!(
            err.message,
            "invalid -L URL 'mqtt://u:***@h/t': the port is not a number from 1 to 65535 (write a / in a password as %2F); expected mqtt://[user[:password]@]host[:port]/topic"
        );
    }
}
