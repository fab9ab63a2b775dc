//! Built contract artifacts and what the suite reads from their metadata.

use std::path::{Path, PathBuf};

use blake2::{digest::consts::U32, Blake2b, Digest};
use serde::Deserialize;

use crate::DeployError;

/// A 4-byte ink! selector.
pub type Selector = [u8; 4];

/// One contract's build output, loaded.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// Short contract name (`token`).
    pub name: String,
    /// The optimised WASM code.
    pub wasm: Vec<u8>,
    /// `blake2_256(wasm)`: the code hash `pallet-contracts` will report.
    pub code_hash: [u8; 32],
    /// Selectors and events, from the `.json` metadata.
    pub metadata: ContractMetadata,
    /// Where the `.wasm` lies.
    pub wasm_path: PathBuf,
    /// Where the `.json` metadata lies.
    pub metadata_path: PathBuf,
    /// Where the `.contract` bundle (code + metadata) lies.
    pub bundle_path: PathBuf,
}

impl Artifact {
    /// Loads the artifacts named `<stem>.{wasm,json,contract}` in `dir`.
    pub fn load(name: &str, dir: &Path, stem: &str) -> Result<Self, DeployError> {
        let wasm_path = dir.join(format!("{stem}.wasm"));
        let metadata_path = dir.join(format!("{stem}.json"));
        let bundle_path = dir.join(format!("{stem}.contract"));
        let wasm = std::fs::read(&wasm_path).map_err(DeployError::io(&wasm_path))?;
        let json = std::fs::read(&metadata_path).map_err(DeployError::io(&metadata_path))?;
        if !bundle_path.is_file() {
            return Err(DeployError::Io {
                path: bundle_path,
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "bundle missing; rebuild with --force"),
            });
        }
        let metadata = ContractMetadata::from_json(name, &json)?;
        Ok(Self { name: name.to_owned(), code_hash: code_hash(&wasm), wasm, metadata, wasm_path, metadata_path, bundle_path })
    }
}

/// `blake2_256`, the hash `pallet-contracts` uses for code hashes.
pub fn code_hash(wasm: &[u8]) -> [u8; 32] {
    Blake2b::<U32>::digest(wasm).into()
}

/// The parts of ink! metadata (`.json`, version 5) that deployment and event
/// decoding need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractMetadata {
    /// Contract name as the metadata states it.
    pub contract: String,
    /// Constructors by label.
    pub constructors: Vec<(String, Selector)>,
    /// Messages by label; trait messages are labelled `Trait::message`.
    pub messages: Vec<(String, Selector)>,
    /// Events that carry a signature topic.
    pub events: Vec<EventSpec>,
}

/// An event the contract can emit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSpec {
    /// Event name, e.g. `Transfer`.
    pub label: String,
    /// First topic of every emission: `blake2_256` of the event signature.
    pub signature_topic: [u8; 32],
}

#[derive(Deserialize)]
struct RawMetadata {
    contract: RawContract,
    spec: RawSpec,
}
#[derive(Deserialize)]
struct RawContract {
    name: String,
}
#[derive(Deserialize)]
struct RawSpec {
    constructors: Vec<RawCallable>,
    messages: Vec<RawCallable>,
    events: Vec<RawEvent>,
}
#[derive(Deserialize)]
struct RawCallable {
    label: String,
    selector: String,
}
#[derive(Deserialize)]
struct RawEvent {
    label: String,
    signature_topic: Option<String>,
}

impl ContractMetadata {
    /// Parses ink! v5 metadata JSON.
    pub fn from_json(contract: &str, json: &[u8]) -> Result<Self, DeployError> {
        let bad = |reason: String| DeployError::Metadata { contract: contract.to_owned(), reason };
        let raw: RawMetadata = serde_json::from_slice(json).map_err(|e| bad(format!("metadata is not ink! v5 JSON: {e}")))?;
        let callables = |list: Vec<RawCallable>| -> Result<Vec<(String, Selector)>, DeployError> {
            list.into_iter()
                .map(|c| {
                    let sel = decode_hex::<4>(&c.selector).ok_or_else(|| bad(format!("selector of `{}` is not 4 hex bytes", c.label)))?;
                    Ok((c.label, sel))
                })
                .collect()
        };
        let events = raw
            .spec
            .events
            .into_iter()
            .filter_map(|e| {
                let topic = e.signature_topic?;
                Some(
                    decode_hex::<32>(&topic)
                        .map(|signature_topic| EventSpec { label: e.label.clone(), signature_topic })
                        .ok_or_else(|| bad(format!("signature topic of event `{}` is not 32 hex bytes", e.label))),
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            contract: raw.contract.name,
            constructors: callables(raw.spec.constructors)?,
            messages: callables(raw.spec.messages)?,
            events,
        })
    }

    /// Selector of the constructor `label`.
    pub fn constructor(&self, label: &str) -> Result<Selector, DeployError> {
        find(&self.constructors, label).ok_or_else(|| self.missing("constructor", label, &self.constructors))
    }

    /// Selector of the message `label` (`PSP22::transfer` for trait messages).
    pub fn message(&self, label: &str) -> Result<Selector, DeployError> {
        find(&self.messages, label).ok_or_else(|| self.missing("message", label, &self.messages))
    }

    /// The event whose signature topic is `topic`, if this contract declares one.
    pub fn event_by_topic(&self, topic: &[u8; 32]) -> Option<&EventSpec> {
        self.events.iter().find(|e| &e.signature_topic == topic)
    }

    fn missing(&self, what: &str, label: &str, list: &[(String, Selector)]) -> DeployError {
        DeployError::Metadata {
            contract: self.contract.clone(),
            reason: format!(
                "no {what} `{label}` (has: {}); the contract and the deploy suite disagree, rebuild both",
                list.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

fn find(list: &[(String, Selector)], label: &str) -> Option<Selector> {
    list.iter().find(|(l, _)| l == label).map(|(_, s)| *s)
}

fn decode_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let bytes = hex::decode(s.strip_prefix("0x")?).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "source": {"hash": "0x00"},
      "contract": {"name": "lode-token", "version": "0.1.0"},
      "spec": {
        "constructors": [{"label": "new", "selector": "0x9bae9d5e", "args": []}],
        "messages": [{"label": "PSP22::transfer", "selector": "0xdb20f9f5", "args": []}],
        "events": [
          {"label": "Transfer", "signature_topic": "0xb5b61a3e6a21a16be4f044b517c28ac692492f73c5bfd3f60178ad98c767f4cb"},
          {"label": "Anon", "signature_topic": null}
        ]
      }
    }"#;

    #[test]
    fn reads_selectors_and_event_topics() {
        let m = ContractMetadata::from_json("token", SAMPLE.as_bytes()).unwrap();
        assert_eq!(m.constructor("new").unwrap(), [0x9b, 0xae, 0x9d, 0x5e]);
        assert_eq!(m.message("PSP22::transfer").unwrap(), [0xdb, 0x20, 0xf9, 0xf5]);
        assert_eq!(m.events.len(), 1, "anonymous events have no topic to match");
        let topic = m.events[0].signature_topic;
        assert_eq!(m.event_by_topic(&topic).unwrap().label, "Transfer");
    }

    #[test]
    fn missing_message_names_what_exists() {
        let m = ContractMetadata::from_json("token", SAMPLE.as_bytes()).unwrap();
        let err = m.message("mine").unwrap_err().to_string();
        assert!(err.contains("no message `mine`") && err.contains("PSP22::transfer"), "{err}");
    }

    #[test]
    fn malformed_metadata_is_rejected() {
        let err = ContractMetadata::from_json("token", b"{}").unwrap_err().to_string();
        assert!(err.contains("not ink! v5 JSON"), "{err}");
        let bad_sel = SAMPLE.replace("0x9bae9d5e", "0x9bae");
        let err = ContractMetadata::from_json("token", bad_sel.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("selector of `new`"), "{err}");
    }
}
