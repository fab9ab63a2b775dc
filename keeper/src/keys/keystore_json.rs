//! Reads a V3 keystore's JSON and checks its shape without decrypting it.
//!
//! alloy's decryption (through `eth-keystore` 0.5) trusts the file: a `dklen`
//! under 32 or an IV under 16 bytes makes it panic, an `n` that is not a power of
//! two silently becomes another `n` (and then a misleading MAC mismatch), a huge
//! `n` asks for any amount of memory, and `cipher` and `prf` are ignored. Every
//! file is checked here first, so user input never reaches those paths.
//!
//! Messages never quote field values, only field names: the file may not be a
//! keystore at all but, say, a hex secret saved under the wrong name.

use std::io::Read;
use std::path::Path;

use alloy_primitives::Address;
use serde_json::{Map, Value};

use super::KeystoreError;

/// Real keystores are under 1 KiB; anything far larger is not one.
const MAX_FILE_BYTES: u64 = 64 * 1024;
/// scrypt needs `128 * r * n` bytes; geth's "standard" parameters need 256 MiB.
const MAX_SCRYPT_MEMORY: u64 = 1 << 30;

/// What a structurally valid V3 keystore says about itself.
#[derive(Debug)]
pub(crate) struct V3Summary {
    /// The `address` field, if the file has one (geth, eth-account and our own
    /// files do; plain alloy/eth-keystore files do not).
    pub(crate) address: Option<Address>,
}

/// Reads `path` and checks that it is a V3 keystore we can decrypt.
pub(crate) fn check_file(path: &Path) -> Result<V3Summary, KeystoreError> {
    let meta = std::fs::metadata(path).map_err(KeystoreError::io(path))?;
    // Opening a FIFO would block; a directory fails below with the OS's own words.
    if !meta.is_file() && !meta.is_dir() {
        return Err(KeystoreError::corrupt(path, "it is not a regular file"));
    }
    let file = std::fs::File::open(path).map_err(KeystoreError::io(path))?;
    let mut bytes = Vec::new();
    // Reads one byte past the limit to tell "too large" from "exactly at it".
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(KeystoreError::io(path))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(KeystoreError::corrupt(path, format!("the file is over {} KiB, far too large for a keystore", MAX_FILE_BYTES / 1024)));
    }
    check_bytes(&bytes).map_err(|why| KeystoreError::corrupt(path, why))
}

/// Checks the contents of a keystore; `Err` is the reason, without the file's name.
pub(crate) fn check_bytes(bytes: &[u8]) -> Result<V3Summary, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the file is empty".into());
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Eof => format!("the JSON ends early at line {}, column {} (truncated file?)", e.line(), e.column()),
        _ => format!("it is not valid JSON (error at line {}, column {})", e.line(), e.column()),
    })?;
    let root = value.as_object().ok_or("it is JSON but not an object, so not a V3 keystore")?;
    match root.get("version").and_then(Value::as_u64) {
        Some(3) => {}
        Some(_) => return Err("its `version` is not 3 (only V3 keystores are supported)".into()),
        None => return Err("it has no numeric `version`, so it is not a V3 keystore".into()),
    }
    if !root.get("id").is_some_and(Value::is_string) {
        return Err("it has no `id` string, which a V3 keystore needs".into());
    }
    let crypto = match (root.get("crypto"), root.get("Crypto")) {
        (Some(Value::Object(c)), _) => c,
        (None, Some(_)) => {
            return Err("it uses the old capitalised `Crypto` key, which alloy cannot read (renaming it to `crypto` fixes it)".into())
        }
        _ => return Err("it has no `crypto` object, so it is not a V3 keystore".into()),
    };
    check_crypto(crypto)?;
    let address = match root.get("address") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_address(v).ok_or("its `address` is not a 20-byte hex address")?),
    };
    Ok(V3Summary { address })
}

fn check_crypto(crypto: &Map<String, Value>) -> Result<(), String> {
    if crypto.get("cipher").and_then(Value::as_str) != Some("aes-128-ctr") {
        return Err("its `crypto.cipher` is not aes-128-ctr, the only V3 cipher supported".into());
    }
    let iv = crypto.get("cipherparams").and_then(|p| p.get("iv"));
    hex_field(iv, "crypto.cipherparams.iv", Some(16))?;
    hex_field(crypto.get("ciphertext"), "crypto.ciphertext", Some(32))?;
    hex_field(crypto.get("mac"), "crypto.mac", Some(32))?;
    let params = crypto.get("kdfparams").and_then(Value::as_object).ok_or("it has no `crypto.kdfparams` object")?;
    if uint(params, "dklen")? != 32 {
        return Err("its `crypto.kdfparams.dklen` is not 32".into());
    }
    hex_field(params.get("salt"), "crypto.kdfparams.salt", None)?;
    match crypto.get("kdf").and_then(Value::as_str) {
        Some("scrypt") => check_scrypt(params),
        Some("pbkdf2") => check_pbkdf2(params),
        Some(_) => Err("its `crypto.kdf` is not supported (only scrypt and pbkdf2 are)".into()),
        None => Err("it has no `crypto.kdf` string".into()),
    }
}

fn check_scrypt(params: &Map<String, Value>) -> Result<(), String> {
    let (n, r, p) = (uint(params, "n")?, uint(params, "r")?, uint(params, "p")?);
    if n < 2 || !n.is_power_of_two() || n > u64::from(u32::MAX) {
        return Err("its scrypt `n` is not a power of two from 2 to 2^31".into());
    }
    if r == 0 || p == 0 || r > u64::from(u32::MAX) || p > u64::from(u32::MAX) {
        return Err("its scrypt `r` or `p` is zero or too large".into());
    }
    // RFC 7914 requires n < 2^(16 r), and alloy's scrypt crate refuses anything
    // else. Old eth-keyfile releases wrote n = 2^18 with r = 1, p = 8, which breaks it.
    if u64::from(n.trailing_zeros()) >= 16 * r || r.saturating_mul(p) >= 1 << 30 {
        return Err(format!(
            "its scrypt parameters (n = 2^{}, r = {r}, p = {p}) break RFC 7914's rule n < 2^(16 r), which alloy enforces \
             (eth-account wrote such files with eth-keyfile before 0.7; re-encrypting with r = 8 fixes it)",
            n.trailing_zeros()
        ));
    }
    if n.saturating_mul(r).saturating_mul(128) > MAX_SCRYPT_MEMORY {
        return Err(format!("its scrypt parameters need over {} MiB of memory", MAX_SCRYPT_MEMORY >> 20));
    }
    Ok(())
}

fn check_pbkdf2(params: &Map<String, Value>) -> Result<(), String> {
    let c = uint(params, "c")?;
    if c == 0 || c > u64::from(u32::MAX) {
        return Err("its pbkdf2 iteration count `c` is zero or too large".into());
    }
    // eth-keystore always uses HMAC-SHA256, whatever the file says.
    if params.get("prf").and_then(Value::as_str) != Some("hmac-sha256") {
        return Err("its pbkdf2 `prf` is not hmac-sha256, the only one supported".into());
    }
    Ok(())
}

fn uint(params: &Map<String, Value>, name: &str) -> Result<u64, String> {
    params.get(name).and_then(Value::as_u64).ok_or_else(|| format!("its `crypto.kdfparams.{name}` is missing or not a whole number"))
}

/// Checks a hex string field (no `0x`, as V3 writes them) and its byte length.
fn hex_field(value: Option<&Value>, name: &str, len: Option<usize>) -> Result<(), String> {
    let text = value.and_then(Value::as_str).ok_or_else(|| format!("its `{name}` is missing or not a string"))?;
    let ok = text.len() % 2 == 0 && text.bytes().all(|b| b.is_ascii_hexdigit()) && len.is_none_or(|n| text.len() == 2 * n);
    match (ok, len) {
        (true, _) => Ok(()),
        (false, Some(n)) => Err(format!("its `{name}` is not {n} bytes of hex")),
        (false, None) => Err(format!("its `{name}` is not hex")),
    }
}

fn parse_address(value: &Value) -> Option<Address> {
    let text = value.as_str()?;
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let mut bytes = [0u8; 20];
    hex::decode_to_slice(digits, &mut bytes).ok()?;
    Some(Address::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like the Web3 Secret Storage scrypt test vector, with geth's
    /// `r = 8, p = 1` (the vector's own `r = 1` breaks RFC 7914; see below).
    fn valid() -> Value {
        serde_json::json!({
            "address": "008aeeda4d805471df9b2a5b0f38a0c3bcba786b",
            "crypto": {
                "cipher": "aes-128-ctr",
                "cipherparams": { "iv": "83dbcc02d8ccb40e466191a123791e0e" },
                "ciphertext": "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
                "kdf": "scrypt",
                "kdfparams": { "dklen": 32, "n": 262144, "p": 1, "r": 8,
                               "salt": "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19" },
                "mac": "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"
            },
            "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
            "version": 3
        })
    }

    fn check(value: &Value) -> Result<V3Summary, String> {
        check_bytes(value.to_string().as_bytes())
    }

    fn with(pointer: &str, new: Value) -> Value {
        let mut v = valid();
        *v.pointer_mut(pointer).unwrap() = new;
        v
    }

    #[test]
    fn valid_file_yields_its_address() {
        let summary = check(&valid()).unwrap();
        assert_eq!(summary.address.unwrap().to_string().to_lowercase(), "0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b");
        let mut no_address = valid();
        no_address.as_object_mut().unwrap().remove("address");
        assert!(check(&no_address).unwrap().address.is_none());
    }

    #[test]
    fn shapes_that_would_panic_or_mislead_alloy_are_rejected() {
        let cases = [
            (with("/crypto/kdfparams/dklen", 16.into()), "dklen"),
            (with("/crypto/cipherparams/iv", "00".into()), "iv"),
            (with("/crypto/kdfparams/n", 1000.into()), "power of two"),
            (with("/crypto/kdfparams/n", (1u64 << 21).into()), "memory"),
            (with("/crypto/kdfparams/r", 0.into()), "`r` or `p`"),
            (with("/crypto/kdfparams/r", 1.into()), "RFC 7914"),
            (with("/crypto/kdf", "argon2id".into()), "not supported"),
            (with("/crypto/cipher", "aes-128-cbc".into()), "cipher"),
            (with("/crypto/mac", "zz".into()), "crypto.mac"),
            (with("/version", 1.into()), "version"),
            (with("/address", "0x1234".into()), "address"),
        ];
        for (value, want) in cases {
            let why = check(&value).unwrap_err();
            assert!(why.contains(want), "{want}: {why}");
        }
    }

    #[test]
    fn pbkdf2_needs_hmac_sha256() {
        let mut v = with("/crypto/kdf", "pbkdf2".into());
        let params = v.pointer_mut("/crypto/kdfparams").unwrap().as_object_mut().unwrap();
        params.insert("c".into(), 262144.into());
        params.insert("prf".into(), "hmac-sha256".into());
        check(&v).unwrap();
        *v.pointer_mut("/crypto/kdfparams/prf").unwrap() = "hmac-sha512".into();
        assert!(check(&v).unwrap_err().contains("prf"));
    }

    #[test]
    fn non_keystores_are_described_without_quoting_them() {
        let secret = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
        for text in [format!("\"{secret}\""), secret.to_string(), format!("{{\"version\": 3, \"id\": \"{secret}\"}}")] {
            let why = check_bytes(text.as_bytes()).unwrap_err();
            assert!(!why.contains(&secret[..8]), "{why}");
        }
        assert!(check_bytes(b"").unwrap_err().contains("empty"));
        assert!(check_bytes(b" \n").unwrap_err().contains("empty"));
        assert!(check_bytes(br#"{"version": 3, "cry"#).unwrap_err().contains("ends early"));
    }
}
