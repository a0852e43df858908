//! Integration tests: the built `moth` binary against a real Mosquitto that each test starts.

mod support;

mod bench;
mod config;
mod connection;
mod errors;
mod faults;
mod generated;
mod idle;
mod limits;
mod ls;
mod output;
mod pubsub;
mod replay;
mod rr;
mod sub_options;
mod template_rate;
mod tls;
mod tls_malformed;
mod tls_openssl;
mod ui;
