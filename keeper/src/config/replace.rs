//! Environment overrides replace a table-valued field whole.
//!
//! figment merges tables key by key, so `LODE_KEEPER__PASSWORD='{file="…"}'`
//! over a file's `password = { env = "…" }` would give both keys, which is an
//! error. The file's value is dropped instead when the environment sets the field.

use figment::value::{Dict, Map, Value};
use figment::{Error, Metadata, Profile, Provider};

use super::env_overrides;

/// Fields whose value is a table that an override replaces rather than merges into.
const REPLACED_WHOLE: &[(&str, &str)] = &[("keeper", "password")];

/// `inner` without the table-valued fields that the environment overrides.
pub(crate) struct UnlessOverridden<P> {
    inner: P,
}

impl<P: Provider> UnlessOverridden<P> {
    pub(crate) fn new(inner: P) -> Self {
        UnlessOverridden { inner }
    }
}

impl<P: Provider> Provider for UnlessOverridden<P> {
    fn metadata(&self) -> Metadata {
        self.inner.metadata()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, Error> {
        let mut data = self.inner.data()?;
        let overridden: Vec<String> = env_overrides().iter().map(|(key, _)| key.as_str().to_owned()).collect();
        for (section, field) in REPLACED_WHOLE {
            let dotted = format!("{section}.{field}");
            if !overridden.iter().any(|k| k == &dotted || k.starts_with(&format!("{dotted}."))) {
                continue;
            }
            for dict in data.values_mut() {
                if let Some(Value::Dict(_, table)) = dict.get_mut(*section) {
                    table.remove(*field);
                }
            }
        }
        Ok(data)
    }

    fn profile(&self) -> Option<Profile> {
        self.inner.profile()
    }
}
