//! Connection flags → a validated `ConnSpec`. Every check that would otherwise reach a confusing
//! broker refusal happens here, before any network traffic.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;

mod options;
mod url;

use super::tls;
use crate::exit::{Failure, Result};
use crate::limits::{check_field, check_string};
use crate::properties::PropertySets;
use crate::random::random_u64;
use crate::report::quote;
use crate::topic;
pub use options::ConnOptions;
use url::BrokerUrl;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    V311,
    V5,
}

#[derive(Clone)]
pub enum Endpoint {
    Tcp {
        host: String,
        port: u16,
    },
    Unix(PathBuf),
    /// `ws://host:port/path`: the whole URL for the handshake, and where to connect.
    WebSocket {
        url: String,
        host: String,
        port: u16,
    },
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Endpoint::Tcp { host, port } => write!(f, "{host}:{port}"),
            Endpoint::Unix(path) => write!(f, "unix socket {}", path.display()),
            Endpoint::WebSocket { url, .. } => f.write_str(url),
        }
    }
}

/// A password that never shows itself in Debug output or messages.
#[derive(Clone)]
pub struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub username: String,
    pub password: Option<Password>,
}

#[derive(Debug, Clone)]
pub struct Will {
    pub topic: String,
    pub payload: Bytes,
    pub qos: u8,
    pub retain: bool,
}

#[derive(Clone)]
pub struct ConnSpec {
    pub endpoint: Endpoint,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub protocol: Protocol,
    pub client_id: String,
    pub keep_alive: u16,
    pub clean_start: bool,
    /// MQTT 5 only.
    pub session_expiry: Option<u32>,
    pub credentials: Option<Credentials>,
    pub will: Option<Will>,
    pub max_inflight: u16,
    pub debug: bool,
    /// How long to keep trying the first connection while the broker is not there yet.
    pub start_retry: Option<std::time::Duration>,
    /// The topic part of an `mqtt(s)://` URL given with -L.
    pub url_topic: Option<String>,
    /// MQTT 5 properties from -D, for every packet they belong to.
    pub properties: PropertySets,
    /// What the caller should tell the user (e.g. that a certificate goes unverified).
    pub warnings: Vec<String>,
}

impl ConnSpec {
    /// Validate the connection settings; `default` is the protocol when -V is not given.
    pub fn new(args: &ConnOptions, default: Protocol) -> Result<ConnSpec> {
        let mut warnings = Vec::new();
        // As mosquitto 2.1: -x is an MQTT 5 option, so it implies -V 5 unless -V says otherwise.
        let default = match args.session_expiry {
            Some(_) => Protocol::V5,
            None => default,
        };
        let protocol = parse_protocol(args.protocol_version.as_deref(), default)?;
        let properties = PropertySets::parse(&args.property)?;
        if protocol == Protocol::V311 && !properties.is_empty() {
            return Err(Failure::usage(
                "-D (properties) is an MQTT 5 feature: add -V 5",
            ));
        }
        let url = args.url.as_deref().map(BrokerUrl::parse).transpose()?;
        let tls_wanted = url.as_ref().is_some_and(|u| u.scheme.is_tls());
        refuse_conflicts(args, url.as_ref(), tls_wanted)?;
        // --no-tls overrides TLS options from a config or option file, as in mosquitto 2.1.
        let tls = if args.no_tls {
            None
        } else {
            tls::client_config(&args.tls(), tls_wanted, &mut warnings)?
        };
        if tls.is_some() && args.unix.is_some() {
            return Err(Failure::usage(
                "TLS over --unix sockets is not supported: drop the TLS options",
            ));
        }

        let (endpoint, url_topic) = endpoint(args, url.as_ref(), tls.is_some())?;
        // The clap parsers enforce these ranges; ConnArgs built in code (bench) must too.
        let keep_alive = match args.keepalive {
            5..=65535 => args.keepalive,
            other => {
                return Err(Failure::usage(format!(
                    "invalid keep-alive {other} (-k): it must be between 5 and 65535 seconds"
                )));
            }
        };
        let max_inflight = match args.max_inflight {
            1..=65535 => args.max_inflight,
            other => {
                return Err(Failure::usage(format!(
                    "invalid max inflight {other} (-M): it must be between 1 and 65535"
                )));
            }
        };

        let client_id = client_id(args)?;
        let clean_start = !args.disable_clean_session;
        // A random id could never resume the session, so -c needs one given (as mosquitto).
        if !clean_start && (client_id.is_empty() || (args.id.is_none() && args.id_prefix.is_none()))
        {
            return Err(Failure::usage(
                "-c (persistent session) needs a client id: add -i ID",
            ));
        }
        let session_expiry =
            session_expiry(args, protocol)?.or(properties.connect.session_expiry_interval);

        let credentials = credentials(args, url.as_ref(), protocol)?;
        let will = will(args, &properties)?;

        Ok(ConnSpec {
            warnings,
            endpoint,
            tls,
            protocol,
            client_id,
            keep_alive,
            clean_start,
            session_expiry,
            credentials,
            will,
            max_inflight,
            debug: args.debug,
            start_retry: args.retry,
            url_topic,
            properties,
        })
    }
}

/// Flags that contradict each other or the -L URL (`tls_wanted`: it is mqtts:// or wss://).
fn refuse_conflicts(args: &ConnOptions, url: Option<&BrokerUrl>, tls_wanted: bool) -> Result<()> {
    if url.is_some() && (args.host.is_some() || args.port.is_some() || args.unix.is_some()) {
        return Err(Failure::usage(
            "-L gives the broker address already: drop -h, -p and --unix",
        ));
    }
    if args.unix.is_some() && (args.host.is_some() || args.port.is_some()) {
        return Err(Failure::usage(
            "--unix connects to a socket file: drop -h and -p",
        ));
    }
    if args.no_tls && tls_wanted {
        return Err(Failure::usage(
            "--no-tls turns TLS off, but the -L URL is mqtts:// or wss://: use mqtt:// or ws://",
        ));
    }
    if args.ws && (url.is_some() || args.unix.is_some()) {
        return Err(Failure::usage(
            "--ws connects to -h/-p over websockets: drop -L and --unix (or write ws:// in -L)",
        ));
    }
    Ok(())
}

/// The user name and password, from -u/-P or the -L URL.
fn credentials(
    args: &ConnOptions,
    url: Option<&BrokerUrl>,
    protocol: Protocol,
) -> Result<Option<Credentials>> {
    let username = args
        .username
        .clone()
        .or_else(|| url.and_then(|u| u.username.clone()));
    let password = args
        .password
        .clone()
        .or_else(|| url.and_then(|u| u.password.clone()));
    if let Some(username) = &username {
        check_string("the user name (-u)", username).map_err(Failure::usage)?;
    }
    if let Some(password) = &password {
        check_field("the password (-P)", password.len()).map_err(Failure::usage)?;
    }
    match (username, password) {
        (None, None) => Ok(None),
        (None, Some(_)) if protocol == Protocol::V311 => Err(Failure::usage(
            "a password (-P) needs a user name (-u) in MQTT 3.1.1; add -u or use -V 5",
        )),
        // rumqttc leaves an empty user name out of CONNECT, and a 3.1.1 password without a
        // user name is a protocol error the broker answers by hanging up.
        (Some(user), Some(_)) if user.is_empty() && protocol == Protocol::V311 => {
            let why = if args.username.is_some() {
                "the user name (-u) is empty"
            } else {
                "the -L URL has a password but no user name"
            };
            Err(Failure::usage(format!(
                "{why}: a password needs a user name in MQTT 3.1.1; give one, or use -V 5"
            )))
        }
        (username, password) => Ok(Some(Credentials {
            username: username.unwrap_or_default(),
            password: password.map(Password),
        })),
    }
}

/// The will, from --will-*; -D will properties need one.
fn will(args: &ConnOptions, properties: &PropertySets) -> Result<Option<Will>> {
    if args.will_topic.is_none() && properties.will != Default::default() {
        return Err(Failure::usage(
            "-D will ... sets properties of a will: add --will-topic",
        ));
    }
    match &args.will_topic {
        None => Ok(None),
        Some(topic) => {
            topic::validate_topic(topic).map_err(|why| {
                Failure::usage(format!("invalid --will-topic {}: {why}", quote(topic)))
            })?;
            if let Some(payload) = &args.will_payload {
                check_field("the will payload (--will-payload)", payload.len())
                    .map_err(Failure::usage)?;
            }
            Ok(Some(Will {
                topic: topic.clone(),
                payload: Bytes::from(args.will_payload.clone().unwrap_or_default()),
                qos: args.will_qos.unwrap_or(0),
                retain: args.will_retain,
            }))
        }
    }
}

fn parse_protocol(given: Option<&str>, default: Protocol) -> Result<Protocol> {
    match given {
        None => Ok(default),
        Some("311") | Some("mqttv311") => Ok(Protocol::V311),
        Some("5") | Some("mqttv5") => Ok(Protocol::V5),
        Some("31") | Some("mqttv31") => Err(Failure::usage(
            "MQTT 3.1 (-V 31) is not supported: moth speaks 3.1.1 and 5; use -V 311 or -V 5",
        )),
        Some(other) => Err(Failure::usage(format!(
            "invalid protocol version {} (-V): use 311, 5, mqttv311 or mqttv5",
            quote(other)
        ))),
    }
}

/// `localhost:1883` or `[::1]:1883` given to -h: (host, port). An IPv6 address alone is none.
fn host_with_port(host: &str) -> Option<(&str, &str)> {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let (name, port) = host.rsplit_once(':')?;
    let name = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    let port_like = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    (port_like && !name.is_empty() && !name.contains(':') || port_like && host.starts_with('['))
        .then_some((name, port))
}

fn endpoint(
    args: &ConnOptions,
    url: Option<&BrokerUrl>,
    tls: bool,
) -> Result<(Endpoint, Option<String>)> {
    if let Some(path) = &args.unix {
        return Ok((Endpoint::Unix(path.clone()), None));
    }
    let Some(url) = url else {
        let host = args.host.clone().unwrap_or_else(|| "localhost".to_string());
        if let Some((name, port)) = host_with_port(&host) {
            let in_url = match name.contains(':') {
                true => format!("[{name}]"),
                false => name.to_string(),
            };
            return Err(Failure::usage(format!(
                "-h takes a host name or address, not {}: give the port with -p (-h {name} -p {port}) or use a URL (-L mqtt://{in_url}:{port})",
                quote(&host)
            )));
        }
        let port = args.port.unwrap_or(if tls { 8883 } else { 1883 });
        if port == 0 {
            return Err(Failure::usage("invalid port 0 (-p): use 1 to 65535"));
        }
        if args.ws {
            // mosquitto 2.1's --ws keeps -h/-p and their defaults, and asks for the path /mqtt.
            let scheme = if tls { "wss" } else { "ws" };
            let bracketed = if host.contains(':') {
                format!("[{host}]")
            } else {
                host.clone()
            };
            let url = format!("{scheme}://{bracketed}:{port}/mqtt");
            return Ok((Endpoint::WebSocket { url, host, port }, None));
        }
        return Ok((Endpoint::Tcp { host, port }, None));
    };
    if url.scheme.is_websocket() {
        let scheme = if tls { "wss" } else { "ws" };
        let host = if url.host.contains(':') {
            format!("[{}]", url.host)
        } else {
            url.host.clone()
        };
        let path = if url.path.is_empty() {
            "mqtt"
        } else {
            &url.path
        };
        let ws_url = format!("{scheme}://{host}:{}/{path}", url.port);
        return Ok((
            Endpoint::WebSocket {
                url: ws_url,
                host: url.host.clone(),
                port: url.port,
            },
            None,
        ));
    }
    let topic = (!url.path.is_empty()).then(|| url.path.clone());
    Ok((
        Endpoint::Tcp {
            host: url.host.clone(),
            port: url.port,
        },
        topic,
    ))
}

fn client_id(args: &ConnOptions) -> Result<String> {
    let id = match (&args.id, &args.id_prefix) {
        (Some(id), _) => id.clone(),
        (None, Some(prefix)) => format!("{prefix}{}", std::process::id()),
        (None, None) => format!("moth-{:016x}", random_u64()),
    };
    let what = if args.id.is_some() {
        "the client id (-i)"
    } else {
        "the client id (-I and the process id)"
    };
    check_string(what, &id).map_err(Failure::usage)?;
    Ok(id)
}

fn session_expiry(args: &ConnOptions, protocol: Protocol) -> Result<Option<u32>> {
    let given = args.session_expiry;
    match protocol {
        Protocol::V311 if given.is_some() => Err(Failure::usage(
            "-x (session expiry) is an MQTT 5 feature: add -V 5",
        )),
        Protocol::V311 => Ok(None),
        // As mosquitto, a session that never expires needs a client id to come back to it.
        Protocol::V5
            if given == Some(u32::MAX) && args.id.is_none() && args.id_prefix.is_none() =>
        {
            Err(Failure::usage(
                "-x -1 (a session that never expires) needs a client id: add -i ID",
            ))
        }
        // As mosquitto: -c alone means a session that never expires.
        Protocol::V5 => Ok(given.or(args.disable_clean_session.then_some(u32::MAX))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, try_parse_from};

    fn spec(extra: &[&str]) -> Result<ConnSpec> {
        let mut argv = vec!["moth", "sub", "-t", "a"];
        argv.extend_from_slice(extra);
        let Command::Sub(args) = try_parse_from(argv).unwrap().command else {
            unreachable!()
        };
        ConnSpec::new(&args.conn.options()?, Protocol::V311)
    }

    fn err(extra: &[&str]) -> String {
        spec(extra).err().expect("should fail").message
    }

    #[test]
    fn defaults() {
        let spec = spec(&[]).unwrap();
        assert_eq!(spec.endpoint.to_string(), "localhost:1883");
        assert_eq!(spec.protocol, Protocol::V311);
        assert_eq!(spec.keep_alive, 60);
        assert!(spec.client_id.starts_with("moth-"));
        assert!(spec.tls.is_none());
    }

    #[test]
    fn invalid_values_are_refused_before_they_reach_rumqttc() {
        assert!(err(&["-c"]).contains("needs a client id"));
        assert!(err(&["-V", "31"]).contains("3.1 (-V 31) is not supported"));
        assert!(err(&["-V", "4"]).contains("invalid protocol version"));
        assert!(err(&["-V", "311", "-x", "10"]).contains("MQTT 5"));
        assert!(err(&["-P", "pw"]).contains("needs a user name"));
        assert_eq!(
            err(&["-u", "", "-P", "pw"]),
            "the user name (-u) is empty: a password needs a user name in MQTT 3.1.1; give one, or use -V 5"
        );
        assert_eq!(
            err(&["-L", "mqtt://:pw@h"]),
            "the -L URL has a password but no user name: a password needs a user name in MQTT 3.1.1; give one, or use -V 5"
        );
        assert!(spec(&["-V", "5", "-L", "mqtt://:pw@h"]).is_ok());
        let long = "u".repeat(65_536);
        assert_eq!(
            err(&["-u", &long]),
            "the user name (-u) is 65536 bytes long; MQTT allows at most 65535"
        );
        assert!(err(&["-u", "u", "-P", &long]).starts_with("the password (-P) is 65536 bytes"));
        assert!(err(&["-i", &long]).starts_with("the client id (-i) is 65536 bytes"));
        assert!(
            err(&["--will-topic", "w", "--will-payload", &long])
                .starts_with("the will payload (--will-payload) is 65536 bytes")
        );
        assert!(err(&["--will-topic", "a/#"]).contains("--will-topic"));
        assert!(err(&["--psk", "00"]).contains("--psk is not supported"));
        assert!(err(&["-L", "mqtt://h", "-p", "1"]).contains("drop -h"));
    }

    #[test]
    fn session_expiry_follows_mosquitto() {
        assert_eq!(
            spec(&["-V", "5", "-c", "-i", "x"]).unwrap().session_expiry,
            Some(u32::MAX)
        );
        assert_eq!(
            spec(&["-V", "5", "-x", "-1", "-i", "x"])
                .unwrap()
                .session_expiry,
            Some(u32::MAX)
        );
        assert_eq!(
            spec(&["-V", "mqttv5", "-x", "30"]).unwrap().session_expiry,
            Some(30)
        );
        assert_eq!(spec(&["-V", "5"]).unwrap().session_expiry, None);
        // mosquitto 2.1: -x alone switches to MQTT 5.
        let spec = spec(&["-x", "30"]).unwrap();
        assert_eq!(
            (spec.protocol, spec.session_expiry),
            (Protocol::V5, Some(30))
        );
    }

    #[test]
    fn ws_connects_to_host_and_port_over_websockets() {
        let ws = spec(&["--ws", "-h", "broker", "-p", "9001"]).unwrap();
        assert_eq!(ws.endpoint.to_string(), "ws://broker:9001/mqtt");
        assert_eq!(
            spec(&["--ws"]).unwrap().endpoint.to_string(),
            "ws://localhost:1883/mqtt"
        );
    }

    #[test]
    fn no_tls_overrides_tls_options() {
        let plain = spec(&["--no-tls", "--cafile", "/nonexistent/ca.pem"]).unwrap();
        assert!(plain.tls.is_none());
        assert_eq!(plain.endpoint.to_string(), "localhost:1883");
        assert!(err(&["--no-tls", "-L", "mqtts://h"]).contains("--no-tls"));
    }

    #[test]
    fn url_sets_address_credentials_and_topic() {
        let spec = spec(&["-L", "mqtt://bob:pw@[::1]:1999/x/y"]).unwrap();
        assert_eq!(spec.endpoint.to_string(), "[::1]:1999");
        let creds = spec.credentials.unwrap();
        assert_eq!(creds.username, "bob");
        assert_eq!(format!("{:?}", creds.password), "Some(****)");
        assert_eq!(spec.url_topic.as_deref(), Some("x/y"));
    }

    #[test]
    fn id_prefix_appends_the_process_id() {
        let spec = spec(&["-I", "pre-"]).unwrap();
        assert_eq!(spec.client_id, format!("pre-{}", std::process::id()));
    }
}
