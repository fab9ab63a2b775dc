//! Names a runtime `DispatchError` from its SCALE bytes, using the node's
//! metadata for module errors (`Contracts::ContractReverted`).

use scale::{Decode, Input};
use subxt::Metadata;

/// A readable name for the `sp_runtime::DispatchError` at the start of
/// `bytes`; what follows it is ignored.
pub fn describe(mut bytes: &[u8], metadata: &Metadata) -> String {
    let Ok(tag) = bytes.read_byte() else { return "an undecodable dispatch error".into() };
    const NAMES: [&str; 15] = [
        "Other",
        "CannotLookup",
        "BadOrigin",
        "Module",
        "ConsumerRemaining",
        "NoProviders",
        "TooManyConsumers",
        "Token",
        "Arithmetic",
        "Transactional",
        "Exhausted",
        "Corruption",
        "Unavailable",
        "RootNotAllowed",
        "Trie",
    ];
    // `sp_runtime::TokenError` and `ArithmeticError`, whose variant says what to fix.
    const TOKEN: [&str; 10] = [
        "FundsUnavailable",
        "OnlyProvider",
        "BelowMinimum",
        "CannotCreate",
        "UnknownAsset",
        "Frozen",
        "Unsupported",
        "CannotCreateHold",
        "NotExpendable",
        "Blocked",
    ];
    const ARITHMETIC: [&str; 3] = ["Underflow", "Overflow", "DivisionByZero"];
    match tag {
        3 => {}
        7 => return variant("Token", &TOKEN, &mut bytes),
        8 => return variant("Arithmetic", &ARITHMETIC, &mut bytes),
        _ => return NAMES.get(usize::from(tag)).map_or_else(|| format!("dispatch error {tag}"), |n| (*n).to_owned()),
    }
    let Ok((index, error)) = <(u8, [u8; 4])>::decode(&mut bytes) else { return "Module (undecodable)".into() };
    match metadata.pallet_by_index(index) {
        Some(pallet) => match pallet.error_variant_by_index(error[0]) {
            Some(v) => format!("{}::{}", pallet.name(), v.name),
            None => format!("{}::error #{}", pallet.name(), error[0]),
        },
        None => format!("pallet #{index} error #{}", error[0]),
    }
}

/// `kind::Variant` from the variant's index at the start of `bytes`, or `kind` alone.
fn variant(kind: &str, names: &[&str], bytes: &mut &[u8]) -> String {
    match bytes.read_byte().ok().and_then(|i| names.get(usize::from(i))) {
        Some(name) => format!("{kind}::{name}"),
        None => kind.to_owned(),
    }
}
