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
    if tag != 3 {
        return NAMES.get(usize::from(tag)).map_or_else(|| format!("dispatch error {tag}"), |n| (*n).to_owned());
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
