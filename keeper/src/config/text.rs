//! Config values written as text (URLs, addresses, device names, filters),
//! parsed by their own `FromStr`. Going through serde means figment reports a
//! bad one with its field path and source, in the parser's own words.

use std::fmt::{self, Display};
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};

/// A value the config writes as a string.
pub(crate) trait TextValue: FromStr<Err: Display> {
    /// What is accepted, for "expected …, found …" when the value is not a string.
    const EXPECTING: &'static str;
}

/// Deserializes a [`TextValue`] from a string.
pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: TextValue>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_str(TextVisitor(PhantomData))
}

struct TextVisitor<T>(PhantomData<T>);

impl<T: TextValue> Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(E::custom)
    }
}

/// Implements `Deserialize` through [`deserialize`].
macro_rules! deserialize_as_text {
    ($ty:ty) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::config::text::deserialize(deserializer)
            }
        }
    };
}
pub(crate) use deserialize_as_text;
