//! Node endpoints: WebSocket URLs, checked when the config is read, and a list
//! of them that is never empty and never names a node twice.

use std::fmt;
use std::str::FromStr;

use axum::http::Uri;

use super::text::{deserialize_as_text, TextValue};

const EXAMPLE: &str = "give a WebSocket URL such as ws://127.0.0.1:9944";

/// A node's WebSocket URL (`ws://` or `wss://`, with a host).
///
/// `Display` hides a password in the URL's user info; [`Endpoint::as_str`] is
/// the URL to connect to.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
    /// Scheme, host and port in lower case with the default port filled in, and
    /// the path: two spellings of one node compare equal.
    key: String,
}

/// A string that is not a WebSocket URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{shown} {why}")]
pub struct BadEndpoint {
    /// The input, quoted, with any password in it hidden.
    shown: String,
    /// What is wrong with it.
    why: String,
}

impl Endpoint {
    /// The URL as written, to connect to.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// Whether the connection is TLS (`wss://`).
    pub fn is_secure(&self) -> bool {
        self.key.starts_with("wss://")
    }

    fn same_node(&self, other: &Endpoint) -> bool {
        self.key == other.key
    }
}

impl FromStr for Endpoint {
    type Err = BadEndpoint;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| BadEndpoint { shown: format!("\"{}\"", redact(text)), why: why.to_owned() };
        if text.trim() != text || text.is_empty() {
            return Err(bad(&format!("is empty or has spaces around it; {EXAMPLE}")));
        }
        let uri: Uri = text.parse().map_err(|_| bad(&format!("is not a URL; {EXAMPLE}")))?;
        let scheme = match uri.scheme_str().map(str::to_ascii_lowercase) {
            Some(s) if s == "ws" || s == "wss" => s,
            Some(_) => return Err(bad("is not a WebSocket URL; use ws:// or wss://")),
            None => return Err(bad("has no scheme; use ws:// or wss://, e.g. ws://127.0.0.1:9944")),
        };
        let authority = uri.authority().ok_or_else(|| bad(&format!("has no host; {EXAMPLE}")))?;
        if uri.host().is_none_or(str::is_empty) {
            return Err(bad(&format!("has no host; {EXAMPLE}")));
        }
        // Read here rather than with `Authority::port`, which takes a port over
        // 65535 for no port at all.
        let host_port = authority.as_str().rsplit_once('@').map_or(authority.as_str(), |(_, hp)| hp);
        let after_host = host_port.rsplit_once(']').map_or(host_port, |(_, rest)| rest);
        let port = match after_host.rsplit_once(':') {
            Some((_, digits)) => match digits.parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(bad("has a port that is not a number from 1 to 65535")),
            },
            None if scheme == "wss" => 443,
            None => 80,
        };
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let path = if path.is_empty() { "/" } else { path };
        Ok(Endpoint { url: text.to_owned(), key: format!("{scheme}://{host}:{port}{path}") })
    }
}

impl TextValue for Endpoint {
    const EXPECTING: &'static str = "a WebSocket URL such as \"ws://127.0.0.1:9944\"";
}

deserialize_as_text!(Endpoint);

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.url))
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Endpoint").field(&redact(&self.url)).finish()
    }
}

/// `ws://user:***@host/…` for `ws://user:secret@host/…`: node providers put API
/// credentials there, and endpoints are printed.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let hidden = if userinfo.contains(':') { format!("{user}:***") } else { user.to_owned() };
            format!("{scheme}://{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// One or more endpoints, tried in order; no node appears twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints(Vec<Endpoint>);

/// Why a list of endpoints is refused: the index of the offending entry and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EndpointsError {
    /// The list is empty.
    Empty,
    /// Entry `index` names the same node as entry `first`.
    Duplicate {
        /// The later entry.
        index: usize,
        /// The earlier entry naming the same node.
        first: usize,
        /// The later entry as displayed.
        shown: String,
    },
}

impl Endpoints {
    /// Checks that `list` is not empty and has no node twice.
    pub(crate) fn new(list: Vec<Endpoint>) -> Result<Endpoints, EndpointsError> {
        if list.is_empty() {
            return Err(EndpointsError::Empty);
        }
        for (index, endpoint) in list.iter().enumerate() {
            if let Some(first) = list[..index].iter().position(|e| e.same_node(endpoint)) {
                return Err(EndpointsError::Duplicate { index, first, shown: endpoint.to_string() });
            }
        }
        Ok(Endpoints(list))
    }

    /// The first endpoint, tried first.
    pub fn primary(&self) -> &Endpoint {
        // `new` refuses an empty list.
        &self.0[0]
    }

    /// All endpoints in the order they are tried.
    pub fn as_slice(&self) -> &[Endpoint] {
        &self.0
    }

    /// How many there are (at least one).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false; here because `len` is.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The endpoints in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Endpoint> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a Endpoints {
    type Item = &'a Endpoint;
    type IntoIter = std::slice::Iter<'a, Endpoint>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(text: &str) -> Endpoint {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn websocket_urls_parse() {
        for url in ["ws://127.0.0.1:9944", "wss://rpc.example.org", "ws://[::1]:9944/path?x=1", "WSS://Node.Example:443/"] {
            assert_eq!(ep(url).as_str(), url);
        }
        assert!(ep("wss://a").is_secure() && !ep("ws://a").is_secure());
    }

    #[test]
    fn other_strings_are_refused_with_the_accepted_schemes() {
        for (text, why) in [
            ("http://x", "\"http://x\" is not a WebSocket URL; use ws:// or wss://"),
            ("127.0.0.1:9944", "use ws:// or wss://"),
            ("ws://", "not a URL; give a WebSocket URL such as ws://127.0.0.1:9944"),
            ("", "empty"),
            (" ws://a", "spaces"),
            ("ws://a:99999", "port"),
            ("ws://a:", "port"),
            ("ws://[::1]:0/", "port"),
        ] {
            let e = text.parse::<Endpoint>().unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn passwords_in_urls_are_not_shown() {
        let e = ep("wss://me:s3cret@rpc.example/v1");
        assert_eq!(e.to_string(), "wss://me:***@rpc.example/v1");
        assert!(!format!("{e:?}").contains("s3cret"));
        let bad = "https://me:s3cret@rpc.example".parse::<Endpoint>().unwrap_err().to_string();
        assert!(!bad.contains("s3cret"), "{bad}");
    }

    #[test]
    fn lists_are_non_empty_and_name_each_node_once() {
        assert_eq!(Endpoints::new(vec![]), Err(EndpointsError::Empty));
        let dup = Endpoints::new(vec![ep("ws://a:9944"), ep("ws://b:9944"), ep("WS://A:9944/")]);
        assert_eq!(dup, Err(EndpointsError::Duplicate { index: 2, first: 0, shown: "WS://A:9944/".into() }));
        let dup = Endpoints::new(vec![ep("wss://a"), ep("wss://a:443")]);
        assert_eq!(dup, Err(EndpointsError::Duplicate { index: 1, first: 0, shown: "wss://a:443".into() }));
        let ok = Endpoints::new(vec![ep("ws://a:9944"), ep("ws://a:9945")]).unwrap();
        assert_eq!(ok.primary().as_str(), "ws://a:9944");
        assert_eq!(ok.len(), 2);
    }
}
