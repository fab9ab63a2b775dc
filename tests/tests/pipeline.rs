//! The contract pipeline: real release builds, artifacts, and no rebuild of
//! unchanged sources.

use lode_deploy::{BuildEvent, BuildOptions, Builder};

#[test]
fn every_contract_builds_to_wasm_metadata_and_bundle() {
    let artifacts = lode_tests::artifacts();
    let ws = lode_tests::repository();
    assert_eq!(artifacts.len(), ws.contracts.len());
    for a in artifacts {
        assert_eq!(&a.wasm[..4], b"\0asm", "{} is WASM", a.name);
        assert!(a.metadata_path.is_file() && a.bundle_path.is_file());
        let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(&a.bundle_path).unwrap()).unwrap();
        let code = bundle["source"]["wasm"].as_str().expect("the .contract bundle embeds the code");
        assert_eq!(code, format!("0x{}", hex::encode(&a.wasm)), "{}: bundle code is the built code", a.name);
    }
}

#[test]
fn unchanged_sources_are_not_rebuilt() {
    lode_tests::artifacts(); // make sure a build exists
    let ws = lode_tests::repository();
    let builder = Builder::new(ws).unwrap();
    let mut events = Vec::new();
    builder.build_all(BuildOptions { force: false, quiet: true }, &mut |e| events.push(e)).unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| matches!(e, BuildEvent::Reused { .. })), "{events:?}");
}
