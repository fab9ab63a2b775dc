//! A 32-byte chain account, as `pallet-contracts` and ink! see it.

use core::fmt;
use core::str::FromStr;

/// A 32-byte account id (`AccountId32` on Substrate). Shown and parsed as
/// `0x`-prefixed hex.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AccountId(pub [u8; 32]);

impl AccountId {
    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl From<[u8; 32]> for AccountId {
    fn from(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a string is not an account id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseAccountError {
    /// Not `0x` followed by exactly 64 hex digits; holds the length seen.
    WrongLength(usize),
    /// A character that is not a hex digit.
    NotHex,
}

impl fmt::Display for ParseAccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongLength(n) => write!(f, "an account id is 0x followed by 64 hex digits; got {n} digits"),
            Self::NotHex => f.write_str("an account id is 0x followed by 64 hex digits; found a non-hex character"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ParseAccountError {}

impl FromStr for AccountId {
    type Err = ParseAccountError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix("0x").unwrap_or(s).as_bytes();
        if digits.len() != 64 {
            return Err(ParseAccountError::WrongLength(digits.len()));
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let hi = hex_val(pair[0]).ok_or(ParseAccountError::NotHex)?;
            let lo = hex_val(pair[1]).ok_or(ParseAccountError::NotHex)?;
            *byte = (hi << 4) | lo;
        }
        Ok(Self(out))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::string::String as serde::Deserialize>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => c.checked_sub(b'0'),
        b'a'..=b'f' => c.checked_sub(b'a').and_then(|v| v.checked_add(10)),
        b'A'..=b'F' => c.checked_sub(b'A').and_then(|v| v.checked_add(10)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        let id = AccountId([0xab; 32]);
        let text = id.to_string();
        assert_eq!(text.len(), 66);
        assert_eq!(text.parse::<AccountId>(), Ok(id));
    }

    #[test]
    fn malformed_ids_are_rejected_with_reason() {
        assert_eq!("0x12".parse::<AccountId>(), Err(ParseAccountError::WrongLength(2)));
        let bad = format!("0x{}", "zz".repeat(32));
        assert_eq!(bad.parse::<AccountId>(), Err(ParseAccountError::NotHex));
    }
}
