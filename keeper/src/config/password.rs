//! `keeper.password`: where the keystore password comes from, never the
//! password itself.
//!
//! Messages here never quote the value: someone who writes their password in
//! this field by mistake must not find it in the logs as well.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use super::path::RawPath;
use super::resolve::Resolver;
use crate::keys::{PasswordSource, PASSWORD_ENV};

const ACCEPTED: &str = "\"prompt\", { env = \"VARIABLE\" } or { file = \"path\" }";
const NOT_THE_PASSWORD: &str = "the config says where the password is, never the password itself";

/// `keeper.password` as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawPassword {
    Prompt,
    Env(String),
    File(RawPath),
}

impl Default for RawPassword {
    fn default() -> Self {
        RawPassword::Env(PASSWORD_ENV.to_owned())
    }
}

impl RawPassword {
    pub(crate) fn validate(self, r: &Resolver<'_>) -> PasswordSource {
        match self {
            RawPassword::Prompt => PasswordSource::Prompt,
            RawPassword::Env(var) => PasswordSource::Env(var),
            RawPassword::File(path) => PasswordSource::File(r.path(path.as_path())),
        }
    }
}

impl<'de> Deserialize<'de> for RawPassword {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PasswordVisitor)
    }
}

struct PasswordVisitor;

fn refuse<E: de::Error>(what: &str) -> E {
    E::custom(format!("{what}; use {ACCEPTED} ({NOT_THE_PASSWORD})"))
}

impl<'de> Visitor<'de> for PasswordVisitor {
    type Value = RawPassword;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ACCEPTED)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<RawPassword, E> {
        match text {
            "prompt" => Ok(RawPassword::Prompt),
            _ => Err(refuse("the only string accepted here is \"prompt\"")),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawPassword, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            let source = match key.as_str() {
                "env" => {
                    let var: String = map.next_value()?;
                    if var.is_empty() || var.contains(['=', '\0']) {
                        return Err(de::Error::custom(format!(
                            "`env` must name an environment variable (no `=`, not empty), such as {PASSWORD_ENV}"
                        )));
                    }
                    RawPassword::Env(var)
                }
                "file" => RawPassword::File(map.next_value()?),
                _ => return Err(refuse(&format!("`{key}` is not a password source"))),
            };
            if found.replace(source).is_some() {
                return Err(refuse("give only one of `env` and `file`"));
            }
        }
        found.ok_or_else(|| refuse("the table is empty"))
    }

    // Anything else is refused without quoting it: it may be the password.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<RawPassword, E> {
        Err(refuse("a boolean is not a password source"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<RawPassword, E> {
        Err(refuse("a number is not a password source"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<RawPassword, E> {
        Err(refuse("a number is not a password source"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<RawPassword, E> {
        Err(refuse("a number is not a password source"))
    }

    fn visit_char<E: de::Error>(self, _: char) -> Result<RawPassword, E> {
        Err(refuse("the only string accepted here is \"prompt\""))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<RawPassword, A::Error> {
        Err(refuse("a list is not a password source"))
    }
}
