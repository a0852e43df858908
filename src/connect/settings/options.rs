//! The connection settings `ConnSpec` is built from, as plain data: the command line (and the
//! config layer behind it) fill this in at the edge, so that nothing here knows about clap.

use std::path::PathBuf;

/// Connection settings before validation; `ConnSpec::new` checks every one of them.
#[derive(Clone, Default)]
pub struct ConnOptions {
    /// Broker host name or IP address (default localhost).
    pub host: Option<String>,
    /// Broker port (default 1883, or 8883 with TLS).
    pub port: Option<u16>,
    /// `mqtt(s)://` or `ws(s)://` URL, with optional credentials and topic.
    pub url: Option<String>,
    /// A unix socket instead of TCP.
    pub unix: Option<PathBuf>,
    /// `311`, `5` or mosquitto's other spellings.
    pub protocol_version: Option<String>,
    /// Client id.
    pub id: Option<String>,
    /// Client id prefix; the process id is appended.
    pub id_prefix: Option<String>,
    /// Keep-alive in seconds (5 to 65535).
    pub keepalive: u16,
    /// Resume (or keep) the broker's session for this client id.
    pub disable_clean_session: bool,
    /// MQTT 5 session expiry in seconds.
    pub session_expiry: Option<u32>,
    /// User name.
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Websockets on host and port.
    pub ws: bool,
    /// Messages in flight at most (1 to 65535).
    pub max_inflight: u16,
    /// `-D COMMAND NAME [VALUE]` groups, as given.
    pub property: Vec<Vec<String>>,
    /// Print packets and settings (`-d`).
    pub debug: bool,
    /// How long to keep trying the first connection (`--retry`).
    pub retry: Option<std::time::Duration>,
    /// Will topic.
    pub will_topic: Option<String>,
    /// Will payload.
    pub will_payload: Option<String>,
    /// Will QoS.
    pub will_qos: Option<u8>,
    /// Retain the will.
    pub will_retain: bool,
    /// CA certificates (PEM file).
    pub cafile: Option<PathBuf>,
    /// A directory of CA certificates.
    pub capath: Option<PathBuf>,
    /// Client certificate (PEM).
    pub cert: Option<PathBuf>,
    /// Client key (PEM).
    pub key: Option<PathBuf>,
    /// Skip the host-name check (and with no CA, all verification).
    pub insecure: bool,
    /// Trust the operating system's CAs too.
    pub tls_use_os_certs: bool,
    /// ALPN protocol.
    pub tls_alpn: Option<String>,
    /// `tlsv1.2` or `tlsv1.3`.
    pub tls_version: Option<String>,
    /// Write TLS secrets here (SSLKEYLOGFILE format).
    pub tls_keylog: Option<PathBuf>,
    /// The name the broker's certificate must hold, instead of the host connected to.
    pub tls_server_name: Option<String>,
    /// Never use TLS, whatever else says so.
    pub no_tls: bool,
}

impl ConnOptions {
    /// The TLS flags, as the TLS layer takes them.
    pub fn tls(&self) -> crate::connect::tls::TlsOptions<'_> {
        crate::connect::tls::TlsOptions {
            cafile: self.cafile.as_deref(),
            capath: self.capath.as_deref(),
            cert: self.cert.as_deref(),
            key: self.key.as_deref(),
            insecure: self.insecure,
            os_certs: self.tls_use_os_certs,
            alpn: self.tls_alpn.as_deref(),
            version: self.tls_version.as_deref(),
            keylog: self.tls_keylog.as_deref(),
            server_name: self.tls_server_name.as_deref(),
            debug: self.debug,
        }
    }
}
