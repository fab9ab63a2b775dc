//! Account addresses as people see them: SS58 (what polkadot.js and wallets
//! show), with hex accepted wherever an address is read.

use std::str::FromStr;

use subxt::utils::AccountId32;

use crate::chain::AccountId;

/// `account` in SS58 with the generic Substrate prefix (42), as dev chains use.
pub fn ss58(account: &AccountId) -> String {
    AccountId32(account.0).to_string()
}

/// An address that is neither valid SS58 nor 32 bytes of hex.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("`{input}` is not an account: give an SS58 address (5…) or 32 bytes of hex (0x + 64 digits)")]
pub struct BadAddress {
    /// What was given.
    pub input: String,
}

/// Reads an SS58 address or `0x`-prefixed hex.
pub fn parse_account(input: &str) -> Result<AccountId, BadAddress> {
    let bad = || BadAddress { input: input.to_owned() };
    let trimmed = input.trim();
    if let Some(digits) = trimmed.strip_prefix("0x") {
        let bytes: [u8; 32] = hex::decode(digits).ok().and_then(|b| b.try_into().ok()).ok_or_else(bad)?;
        return Ok(AccountId(bytes));
    }
    AccountId32::from_str(trimmed).map(|a| AccountId(a.0)).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ss58_and_hex_name_the_same_account() {
        // `subkey inspect //Alice`: the well-known sr25519 dev account.
        let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
        let hex = "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
        let a = parse_account(alice).unwrap();
        assert_eq!(a, parse_account(hex).unwrap());
        assert_eq!(ss58(&a), alice);
    }

    #[test]
    fn bad_addresses_say_what_is_accepted() {
        for input in ["", "0x1234", "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ", "alice"] {
            let e = parse_account(input).unwrap_err();
            assert!(e.to_string().contains("SS58") && e.to_string().contains(input), "{e}");
        }
    }
}
