//! `[http]`: the metrics and status server.

use std::net::SocketAddr;
use std::str::FromStr;

use serde::Deserialize;

use super::password::RawPassword;
use super::resolve::Resolver;
use super::text::{deserialize_as_text, TextValue};
use crate::keys::PasswordSource;

/// The HTTP server's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Serve `/metrics`, `/health` and `/status` here; `None`: no server.
    pub listen: Option<SocketAddr>,
    /// Where the bearer token of `POST /payouts` comes from; `None`: the
    /// payout routes are not served. They pay from the keeper's account, so
    /// they are never open without one.
    pub payout_token: Option<PasswordSource>,
}

/// `[http]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawHttp {
    listen: Option<ListenAddr>,
    payout_token: Option<RawPassword>,
}

impl RawHttp {
    pub(crate) fn validate(self, r: &Resolver<'_>) -> HttpConfig {
        HttpConfig { listen: self.listen.map(|l| l.0), payout_token: self.payout_token.map(|t| t.validate(r)) }
    }
}

/// An IP address and port.
#[derive(Debug)]
struct ListenAddr(SocketAddr);

/// Not an IP address and port.
#[derive(Debug, thiserror::Error)]
#[error("\"{0}\" is not an IP address and port; give e.g. \"127.0.0.1:9615\", \"0.0.0.0:9615\" or \"[::1]:9615\" (host names are not resolved), or leave `listen` out for no server")]
struct BadListen(String);

impl FromStr for ListenAddr {
    type Err = BadListen;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(ListenAddr).map_err(|_| BadListen(text.escape_debug().to_string()))
    }
}

impl TextValue for ListenAddr {
    const EXPECTING: &'static str = "an IP address and port such as \"127.0.0.1:9615\"";
}

deserialize_as_text!(ListenAddr);
