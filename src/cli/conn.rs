//! Connection flags shared by every subcommand, named and spelt as mosquitto's clients spell them.

use std::path::PathBuf;

use crate::connect::ConnOptions;
use clap::Args;

use super::values;

const CONNECTION: &str = "Connection";
const TLS: &str = "TLS";
const WILL: &str = "Will";
const REFUSED: &str = "Accepted for mosquitto compatibility, refused at run time";
/// clap's id of -D, to read its values grouped per occurrence.
pub const PROPERTY_ID: &str = "property_words";

#[derive(Debug, Clone, Default, Args)]
pub struct ConnArgs {
    #[command(flatten)]
    pub endpoint: EndpointArgs,

    /// Broker URL: mqtt://, mqtts://, ws:// or wss://, with optional user:pass@ and /topic
    #[arg(short = 'L', long, value_name = "URL", help_heading = CONNECTION, value_hint = clap::ValueHint::Url)]
    pub url: Option<String>,

    /// MQTT protocol version: 311 (default) or 5; also mqttv311, mqttv5
    #[arg(short = 'V', long = "protocol-version", value_name = "VERSION", help_heading = CONNECTION, value_parser = values::protocol_version())]
    pub protocol_version: Option<String>,

    /// Client id [default: moth- and a random suffix]
    #[arg(short = 'i', long = "id", value_name = "ID", conflicts_with = "id_prefix", allow_hyphen_values = true, help_heading = CONNECTION, value_hint = clap::ValueHint::Other)]
    pub id: Option<String>,

    /// Client id prefix; the process id is appended
    #[arg(short = 'I', long = "id-prefix", value_name = "PREFIX", allow_hyphen_values = true, help_heading = CONNECTION, value_hint = clap::ValueHint::Other)]
    pub id_prefix: Option<String>,

    /// Seconds between keep-alive pings, 5 to 65535
    #[arg(short = 'k', long, value_name = "SECONDS", default_value_t = 60, allow_negative_numbers = true,
        value_parser = values::whole::<u16>(5, 65535, "whole seconds"), help_heading = CONNECTION)]
    pub keepalive: u16,

    /// Keep the session after disconnecting (needs -i or -I)
    #[arg(short = 'c', long = "disable-clean-session", help_heading = CONNECTION)]
    pub disable_clean_session: bool,

    /// MQTT 5 session expiry in seconds; -1 or ∞ for never [default: ∞ with -c, else 0]
    #[arg(short = 'x', long = "session-expiry", value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::session_expiry(), help_heading = CONNECTION)]
    pub session_expiry: Option<u32>,

    #[command(flatten)]
    pub auth: AuthArgs,

    /// Use this profile of the config file ([profile.NAME]) [env: MOTH_PROFILE]
    #[arg(long, value_name = "NAME", help_heading = CONNECTION, value_hint = clap::ValueHint::Other)]
    pub profile: Option<String>,

    /// moth's config file [env: MOTH_CONFIG] [default: $XDG_CONFIG_HOME/moth/config.toml]
    #[arg(long, value_name = "FILE", help_heading = CONNECTION)]
    pub config: Option<PathBuf>,

    /// Read mosquitto options from FILE (one per line) instead of ~/.config/mosquitto_pub, _sub
    /// or _rr
    #[arg(short = 'o', long = "options-file", value_name = "FILE", help_heading = CONNECTION)]
    pub options_file: Option<PathBuf>,

    /// Maximum QoS 1 and 2 messages in flight at once. Above the broker's limit (mosquitto's
    /// max_inflight_messages, 20 by default) an MQTT 3.1.1 broker may drop QoS 2 messages unsaid
    #[arg(short = 'M', long = "max-inflight", value_name = "COUNT", default_value_t = 20, allow_negative_numbers = true,
        value_parser = values::whole::<u16>(1, 65535, "a count"), help_heading = CONNECTION)]
    pub max_inflight: u16,

    /// Accepted for mosquitto compatibility: moth always sends at once (it writes whole batches
    /// itself, so Nagle's delay would only hold back the last packet of one)
    #[arg(long, hide = true, help_heading = CONNECTION)]
    pub nodelay: bool,

    /// MQTT 5 property: -D COMMAND NAME VALUE (user-property: NAME KEY VALUE), repeatable;
    /// COMMAND is connect, publish, subscribe, unsubscribe or will
    #[arg(id = PROPERTY_ID, short = 'D', long = "property", value_names = ["COMMAND", "NAME", "VALUE"], num_args = 3..=4, action = clap::ArgAction::Append, help_heading = CONNECTION)]
    pub property_words: Vec<String>,

    /// The -D occurrences, each `[COMMAND, NAME, VALUE...]` (filled from clap's occurrences:
    /// derive flattens them).
    #[arg(skip)]
    pub property: Vec<Vec<String>>,

    /// Print packets sent and received on stderr (passwords are never shown)
    #[arg(short = 'd', long, help_heading = CONNECTION)]
    pub debug: bool,

    /// Print no runtime errors or warnings (the exit code still tells)
    #[arg(long, help_heading = CONNECTION)]
    pub quiet: bool,

    /// At start, wait up to this many seconds for the broker (fractions allowed), trying again
    /// while it is down or its name does not resolve yet: for scripts that start before it
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true,
        value_parser = values::positive_seconds(), help_heading = CONNECTION)]
    pub retry: Option<std::time::Duration>,

    #[command(flatten)]
    pub will: WillArgs,

    #[command(flatten)]
    pub tls: TlsArgs,

    #[command(flatten)]
    pub refused: RefusedArgs,
}

/// Where the broker is: shared by every command that connects (bench included; its URL flag
/// is apart, as bench's -L is its message limit).
#[derive(Debug, Clone, Default, Args)]
pub struct EndpointArgs {
    /// Broker host name or IP address [default: localhost]
    #[arg(short = 'h', long, value_name = "HOST", help_heading = CONNECTION, value_hint = clap::ValueHint::Hostname)]
    pub host: Option<String>,

    /// Broker port [default: 1883, or 8883 with TLS]
    #[arg(short = 'p', long, value_name = "PORT", allow_negative_numbers = true,
        value_parser = values::whole::<u16>(1, 65535, "a port"), help_heading = CONNECTION)]
    pub port: Option<u16>,

    /// Connect over a unix domain socket instead of TCP
    #[arg(long, value_name = "PATH", help_heading = CONNECTION)]
    pub unix: Option<PathBuf>,

    /// Connect over websockets to -h/-p (path /mqtt)
    #[arg(long, conflicts_with_all = ["url", "unix"], help_heading = CONNECTION)]
    pub ws: bool,
}

/// What the broker publishes if this client vanishes.
#[derive(Debug, Clone, Default, Args)]
pub struct WillArgs {
    /// Topic of the will, published by the broker if this client vanishes
    #[arg(long = "will-topic", value_name = "TOPIC", allow_hyphen_values = true, help_heading = WILL, value_hint = clap::ValueHint::Other)]
    pub will_topic: Option<String>,

    /// Payload of the will [default: empty]
    #[arg(long = "will-payload", value_name = "PAYLOAD", requires = "will_topic", allow_hyphen_values = true, help_heading = WILL, value_hint = clap::ValueHint::Other)]
    pub will_payload: Option<String>,

    /// QoS of the will
    #[arg(long = "will-qos", value_name = "QOS", requires = "will_topic", allow_negative_numbers = true,
        value_parser = values::qos(), help_heading = WILL)]
    pub will_qos: Option<u8>,

    /// Retain the will
    #[arg(long = "will-retain", requires = "will_topic", help_heading = WILL)]
    pub will_retain: bool,
}

/// Who the client is to the broker: shared by every command that connects (bench included).
#[derive(Debug, Clone, Default, Args)]
pub struct AuthArgs {
    /// User name
    #[arg(short = 'u', long, value_name = "USER", allow_hyphen_values = true, help_heading = CONNECTION, value_hint = clap::ValueHint::Other)]
    pub username: Option<String>,

    /// Password (may begin with -: whatever follows -P is the password). Other users can read it
    /// with ps: prefer --pw-file, --pw-prompt, MOTH_PASSWORD or pw-command in a profile
    #[arg(short = 'P', long = "pw", value_name = "PASSWORD", allow_hyphen_values = true, help_heading = CONNECTION, value_hint = clap::ValueHint::Other)]
    pub password: Option<String>,

    /// Read the password from the first line of FILE
    #[arg(long = "pw-file", value_name = "FILE", conflicts_with = "password", help_heading = CONNECTION)]
    pub pw_file: Option<PathBuf>,

    /// Ask for the password on the terminal, without echo
    #[arg(long = "pw-prompt", conflicts_with_all = ["password", "pw_file"], help_heading = CONNECTION)]
    pub pw_prompt: bool,
}

/// How the broker is verified and the client proves itself: shared by every command that
/// connects (bench included).
#[derive(Debug, Clone, Default, Args)]
pub struct TlsArgs {
    /// PEM file of CA certificates that verify the broker (turns TLS on)
    #[arg(long, value_name = "FILE", help_heading = TLS)]
    pub cafile: Option<PathBuf>,

    /// Directory of PEM CA certificates (turns TLS on)
    #[arg(long, value_name = "DIR", help_heading = TLS)]
    pub capath: Option<PathBuf>,

    /// Client certificate, PEM (needs --key)
    #[arg(long, value_name = "FILE", requires = "key", help_heading = TLS)]
    pub cert: Option<PathBuf>,

    /// Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)
    #[arg(long, value_name = "FILE", requires = "cert", help_heading = TLS)]
    pub key: Option<PathBuf>,

    /// Do not check the broker's host name; without --cafile/--capath, accept any certificate
    #[arg(long, help_heading = TLS)]
    pub insecure: bool,

    /// Trust the operating system's CA certificates (turns TLS on)
    #[arg(long = "tls-use-os-certs", help_heading = TLS)]
    pub tls_use_os_certs: bool,

    /// ALPN protocol to offer, e.g. x-amzn-mqtt-ca
    #[arg(long = "tls-alpn", value_name = "PROTOCOL", help_heading = TLS)]
    pub tls_alpn: Option<String>,

    /// TLS version to use: tlsv1.3 or tlsv1.2 [default: either]
    #[arg(long = "tls-version", value_name = "VERSION", help_heading = TLS, value_parser = values::tls_version())]
    pub tls_version: Option<String>,

    /// Append the TLS session secrets to FILE (SSLKEYLOGFILE format, for Wireshark); debugging
    /// only: whoever reads FILE can decrypt the traffic
    #[arg(long = "tls-keylog", value_name = "FILE", help_heading = TLS)]
    pub tls_keylog: Option<PathBuf>,

    /// Check the broker's certificate for NAME instead of the host connected to (a tunnel, a
    /// port-forward, an IP address)
    #[arg(long = "tls-server-name", value_name = "NAME", help_heading = TLS, value_hint = clap::ValueHint::Other)]
    pub tls_server_name: Option<String>,

    /// Turn TLS off, whatever TLS options a config or option file gives
    #[arg(long = "no-tls", help_heading = TLS)]
    pub no_tls: bool,
}

impl ConnArgs {
    /// The connection settings as plain data, once no flag moth refuses is present.
    pub fn options(&self) -> crate::exit::Result<ConnOptions> {
        if let Some((flag, why)) = self.refused.first_refused() {
            return Err(crate::exit::Failure::usage(format!(
                "{flag} is not supported: {why}"
            )));
        }
        Ok(ConnOptions {
            host: self.endpoint.host.clone(),
            port: self.endpoint.port,
            url: self.url.clone(),
            unix: self.endpoint.unix.clone(),
            protocol_version: self.protocol_version.clone(),
            id: self.id.clone(),
            id_prefix: self.id_prefix.clone(),
            keepalive: self.keepalive,
            disable_clean_session: self.disable_clean_session,
            session_expiry: self.session_expiry,
            username: self.auth.username.clone(),
            password: self.auth.password.clone(),
            ws: self.endpoint.ws,
            max_inflight: self.max_inflight,
            property: self.property.clone(),
            debug: self.debug,
            retry: self.retry,
            will_topic: self.will.will_topic.clone(),
            will_payload: self.will.will_payload.clone(),
            will_qos: self.will.will_qos,
            will_retain: self.will.will_retain,
            cafile: self.tls.cafile.clone(),
            capath: self.tls.capath.clone(),
            cert: self.tls.cert.clone(),
            key: self.tls.key.clone(),
            insecure: self.tls.insecure,
            tls_use_os_certs: self.tls.tls_use_os_certs,
            tls_alpn: self.tls.tls_alpn.clone(),
            tls_version: self.tls.tls_version.clone(),
            tls_keylog: self.tls.tls_keylog.clone(),
            tls_server_name: self.tls.tls_server_name.clone(),
            no_tls: self.tls.no_tls,
        })
    }
}

/// Options mosquitto has that moth cannot honour: accepted so that a mosquitto script fails with a
/// clear message instead of a confusing "unexpected argument".
#[derive(Debug, Clone, Default, Args)]
pub struct RefusedArgs {
    /// TLS pre-shared key (rustls has no PSK support)
    #[arg(long, value_name = "HEX", help_heading = REFUSED, hide = true)]
    pub psk: Option<String>,

    /// TLS-PSK identity (rustls has no PSK support)
    #[arg(long = "psk-identity", value_name = "IDENTITY", help_heading = REFUSED, hide = true)]
    pub psk_identity: Option<String>,

    /// OpenSSL cipher list (rustls picks its own safe suites)
    #[arg(long, value_name = "CIPHERS", help_heading = REFUSED, hide = true)]
    pub ciphers: Option<String>,

    /// OpenSSL engine
    #[arg(long = "tls-engine", value_name = "ENGINE", help_heading = REFUSED, hide = true)]
    pub tls_engine: Option<String>,

    /// OpenSSL key form
    #[arg(long, value_name = "FORM", help_heading = REFUSED, hide = true)]
    pub keyform: Option<String>,

    /// OpenSSL engine key password
    #[arg(long = "tls-engine-kpass-sha1", value_name = "SHA1", help_heading = REFUSED, hide = true)]
    pub tls_engine_kpass_sha1: Option<String>,

    /// SOCKS5 proxy URL
    #[arg(long, value_name = "URL", help_heading = REFUSED, hide = true, value_hint = clap::ValueHint::Url)]
    pub proxy: Option<String>,

    /// Local address to bind to
    #[arg(short = 'A', value_name = "ADDRESS", help_heading = REFUSED, hide = true)]
    pub bind_address: Option<String>,

    /// DNS SRV lookup of the broker
    #[arg(short = 'S', help_heading = REFUSED, hide = true)]
    pub srv: bool,
}

impl RefusedArgs {
    /// The first refused option given, with the reason moth cannot honour it.
    pub fn first_refused(&self) -> Option<(&'static str, &'static str)> {
        let given = [
            (
                self.psk.is_some(),
                "--psk",
                "TLS-PSK is not supported by rustls; use certificates",
            ),
            (
                self.psk_identity.is_some(),
                "--psk-identity",
                "TLS-PSK is not supported by rustls; use certificates",
            ),
            (
                self.ciphers.is_some(),
                "--ciphers",
                "OpenSSL cipher lists do not apply to rustls, which only offers safe suites; drop the option",
            ),
            (
                self.tls_engine.is_some(),
                "--tls-engine",
                "OpenSSL engines are not supported",
            ),
            (
                self.keyform.is_some(),
                "--keyform",
                "only PEM key files are supported; drop the option",
            ),
            (
                self.tls_engine_kpass_sha1.is_some(),
                "--tls-engine-kpass-sha1",
                "OpenSSL engines are not supported",
            ),
            (
                self.proxy.is_some(),
                "--proxy",
                "SOCKS proxies are not supported yet",
            ),
            (
                self.bind_address.is_some(),
                "-A",
                "binding a local address is not supported; the OS picks the route",
            ),
            (
                self.srv,
                "-S",
                "DNS SRV lookups are not supported; give the host with -h",
            ),
        ];
        given
            .into_iter()
            .find(|(on, _, _)| *on)
            .map(|(_, flag, why)| (flag, why))
    }
}
