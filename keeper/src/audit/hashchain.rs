//! Tamper-evident, hash-chained audit log.
//!
//! The keeper records every consequential act (a submission, a payout, a key use, ...) as a row in
//! its SQL store. A row is only worth something to an auditor if a later edit, deletion or
//! reordering of rows can be detected, so each row commits to the row before it through a hash:
//! changing any row changes its hash, which no longer matches the `prev_hash` stored in the next
//! row. Deleting rows from the *end* of the log leaves a shorter but self-consistent chain; that is
//! why the keeper periodically anchors the head hash on chain and checks it with [`verify_anchor`].
//!
//! This module is pure logic: it builds rows ([`append`]), checks a stream of rows ([`verify`]),
//! checks an on-chain anchor against the log ([`verify_anchor`]) and produces and re-checks a
//! self-contained JSON export ([`export`], [`verify_export`]). The store, the clock and the chain
//! client live elsewhere.

use std::fmt;
use std::str::FromStr;

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest as _};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A 32-byte BLAKE2b-256 output; the unit in which rows commit to each other and to the chain.
pub type Digest = [u8; 32];

/// The `prev_hash` of sequence 1: the first row has no predecessor, and a fixed, well-known value
/// lets an auditor check that nothing was deleted from the *start* of the log.
pub const GENESIS: Digest = [0u8; 32];

/// Domain tag hashed in front of every row so that a row hash can never be confused with a hash
/// the keeper computes for any other purpose (and so that a future layout can use a new tag).
const DOMAIN: &[u8] = b"lode-audit-v1";

/// The value of [`Export::format`]: names the row layout an export was made with, so that a
/// verifier refuses files it would otherwise misread.
pub const EXPORT_FORMAT: &str = "lode-audit-v1";

/// The value of [`Export::hash`]: names the hash function, so an auditor knows what to recompute.
pub const EXPORT_HASH: &str = "blake2b-256";

// `link` hashes `entry.len()` as a u64; this guarantees the `as u64` conversion there is lossless.
const _: () = assert!(usize::BITS <= 64);

/// What kind of act an audit entry records.
///
/// A closed set rather than free text, so that audit queries ("every payout last week") cannot
/// miss rows because of a spelling variant, and so that a reviewer sees every category here.
/// The snake_case names are part of the canonical bytes and therefore of every row hash: never
/// rename a variant's string form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The keeper sent an extrinsic (a settlement batch).
    Submission,
    /// An extrinsic the keeper sent was seen in a block.
    Inclusion,
    /// An alert passed its rule (whatever sinks it then reached).
    Alert,
    /// An extrinsic of a payout list (`lode payout`, `POST /payouts`) was finalized.
    Payout,
    /// A signing key was used.
    KeyUse,
    /// A settlement batch of this keeper's was confirmed.
    Settlement,
    /// The log head was anchored on chain.
    Anchor,
}

impl Action {
    /// Every action, in declaration order; used to list the accepted names in parse errors.
    pub const ALL: [Action; 7] =
        [Action::Submission, Action::Inclusion, Action::Alert, Action::Payout, Action::KeyUse, Action::Settlement, Action::Anchor];

    /// The stable name that goes into the canonical bytes and the SQL `action` column; it equals
    /// the serde name, so JSON and SQL agree.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submission => "submission",
            Action::Inclusion => "inclusion",
            Action::Alert => "alert",
            Action::Payout => "payout",
            Action::KeyUse => "key_use",
            Action::Settlement => "settlement",
            Action::Anchor => "anchor",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not an [`Action`]; carries the rejected text so that an operator who typed it
/// (for example in `lode audit list --action`) sees what was wrong and what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit action {value:?}: expected one of submission, inclusion, alert, payout, key_use, settlement, anchor")]
pub struct UnknownAction {
    /// The text that did not name an action.
    pub value: String,
}

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL.into_iter().find(|a| a.as_str() == s).ok_or_else(|| UnknownAction { value: s.to_owned() })
    }
}

/// One audited act, before it is turned into bytes.
///
/// `detail` is free-form so each action can carry what an auditor needs without a schema change;
/// numbers in it must be integers (see [`append`]); amounts and fractions go in as JSON strings,
/// which also keeps them exact in any JSON tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// What happened.
    pub action: Action,
    /// When, in Unix milliseconds, as read from the keeper's clock.
    pub at_ms: u64,
    /// The SS58 address of the keeper that acted, so logs from several keepers can be merged.
    pub keeper: String,
    /// Action-specific facts (amounts, destinations, block numbers, ...).
    pub detail: Value,
}

impl Entry {
    /// The exact bytes that are stored and hashed.
    ///
    /// Hashing needs one byte string per entry, independent of how a map happened to be built, so
    /// this writes compact JSON (no whitespace) with the keys of every object, at every depth,
    /// sorted by their UTF-8 bytes: `{"action":…,"at_ms":…,"detail":…,"keeper":…}`.
    ///
    /// The sorting is done here rather than relied upon from `serde_json::Map`, so the bytes stay
    /// the same even if some crate in the build turns on serde_json's `preserve_order` feature.
    /// Strings are escaped as serde_json does (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other
    /// control characters as `\u00xx`, everything else literal UTF-8); numbers use serde_json's
    /// formatting (only integers are accepted in a stored entry; see [`append`]).
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = String::new();
        out.push_str("{\"action\":");
        write_json_str(&mut out, self.action.as_str());
        out.push_str(",\"at_ms\":");
        out.push_str(&self.at_ms.to_string());
        out.push_str(",\"detail\":");
        write_canonical_value(&mut out, &self.detail);
        out.push_str(",\"keeper\":");
        write_json_str(&mut out, &self.keeper);
        out.push('}');
        out.into_bytes()
    }
}

/// Appends `v` as compact JSON with object keys sorted recursively.
fn write_canonical_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_json_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut fields: Vec<(&String, &Value)> = map.iter().collect();
            fields.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, val)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_str(out, k);
                out.push(':');
                write_canonical_value(out, val);
            }
            out.push('}');
        }
    }
}

/// Appends `s` as a JSON string literal, escaping exactly as serde_json's compact writer does.
fn write_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One stored row, as the keeper keeps it in SQL.
///
/// The entry is kept as its canonical bytes, not as a parsed [`Entry`], because the hash covers
/// bytes: re-serializing on read could silently "repair" an edited row and hide the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Position in the log, starting at 1 with no gaps, so a deleted row shows as a gap.
    pub seq: u64,
    /// The previous row's `hash` ([`GENESIS`] for seq 1); this is the chain.
    pub prev_hash: Digest,
    /// [`Entry::canonical`] bytes.
    pub entry: Vec<u8>,
    /// [`link`]`(seq, prev_hash, entry)`.
    pub hash: Digest,
}

/// Computes a row's hash: the value stored in `Row::hash` and in the next row's `prev_hash`.
///
/// The hash is BLAKE2b with a 32-byte digest (BLAKE2b-256: digest length parameter 32, no key, no
/// salt, no personalization; *not* BLAKE2b-512 truncated) over the concatenation, with no
/// separators, of:
///
/// | bytes | field                                                    |
/// |-------|----------------------------------------------------------|
/// | 13    | the ASCII domain tag `lode-audit-v1` (no length, no NUL) |
/// | 8     | `seq` as an unsigned 64-bit big-endian integer           |
/// | 32    | `prev_hash` (the raw 32 bytes)                           |
/// | 8     | `entry.len()` as an unsigned 64-bit big-endian integer   |
/// | n     | `entry`, the canonical entry bytes                       |
///
/// The sequence number is hashed so that a row cannot be moved to another position, and the
/// length prefix makes the encoding unambiguous. In Python:
/// `hashlib.blake2b(b"lode-audit-v1" + seq.to_bytes(8, "big") + prev + len(e).to_bytes(8, "big") + e, digest_size=32)`.
pub fn link(seq: u64, prev_hash: &Digest, entry: &[u8]) -> Digest {
    let mut h = Blake2b::<U32>::new();
    h.update(DOMAIN);
    h.update(seq.to_be_bytes());
    h.update(prev_hash);
    // Lossless: usize has at most 64 bits (asserted at compile time above).
    h.update((entry.len() as u64).to_be_bytes());
    h.update(entry);
    h.finalize().into()
}

/// The last row of a log, which is all a writer needs to append and all an anchor needs to commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Sequence number of the last row (0 for an empty log).
    pub seq: u64,
    /// Hash of the last row ([`GENESIS`] for an empty log).
    pub hash: Digest,
}

impl Head {
    /// The head of an empty log, so that appending the first row needs no special case.
    pub fn genesis() -> Head {
        Head { seq: 0, hash: GENESIS }
    }
}

/// Why a row could not be appended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppendError {
    /// The log already holds `u64::MAX` rows; unreachable in practice, but refusing is better than
    /// wrapping to a sequence number that would break the chain.
    #[error("audit log is full: sequence {seq} is the last possible one; start a new log and anchor the old head")]
    SequenceExhausted {
        /// The head's sequence number.
        seq: u64,
    },
    /// The entry would not verify when read back: its `detail` holds a non-integer number, whose
    /// text serde_json does not always parse back to the same value. Refused at write time so that
    /// the log never contains a row that [`verify`] rejects.
    #[error("audit entry cannot be recorded: {why}; put numbers with fractions in `detail` as strings")]
    NotCanonical {
        /// What went wrong when the bytes were read back.
        why: String,
    },
}

/// Builds the row that follows `head`.
///
/// The caller stores the returned row and keeps `Head { seq: row.seq, hash: row.hash }` for the
/// next append. The row is checked exactly as [`verify`] will check it, so a row this returns
/// always verifies; in particular an entry whose `detail` holds a non-integer number anywhere is
/// refused with [`AppendError::NotCanonical`].
pub fn append(head: &Head, entry: &Entry) -> Result<Row, AppendError> {
    let seq = head.seq.checked_add(1).ok_or(AppendError::SequenceExhausted { seq: head.seq })?;
    let bytes = entry.canonical();
    check_canonical(&bytes).map_err(|why| AppendError::NotCanonical { why })?;
    let hash = link(seq, &head.hash, &bytes);
    Ok(Row { seq, prev_hash: head.hash, entry: bytes, hash })
}

/// Parses entry bytes and confirms they are exactly the canonical form of what they parse to.
///
/// Accepting any JSON that parses would let two different byte strings (and so two different
/// hashes) stand for the same entry, and would let a reader's view of an entry differ from what
/// was hashed.
fn check_canonical(bytes: &[u8]) -> Result<Entry, String> {
    let entry: Entry = serde_json::from_slice(bytes).map_err(|e| format!("the entry is not a valid audit entry ({e})"))?;
    if let Some(n) = first_fraction(&entry.detail) {
        return Err(format!("the entry's detail holds the non-integer number {n}, which has no stable canonical form"));
    }
    if entry.canonical() != bytes {
        return Err("the entry is valid JSON but not in canonical form (key order, whitespace or escaping differ)".to_owned());
    }
    Ok(entry)
}

/// Finds a JSON number that is not an integer, anywhere in `v`.
///
/// serde_json (without its `float_roundtrip` feature) may parse a float's text to a neighbouring
/// value, so a float written today may re-serialize to different bytes when read back and make a
/// genuine row look tampered with. Integers always round-trip, so they alone are allowed; this is
/// a fixed rule rather than a per-value round-trip test so that a writer learns of it on the first
/// float it records, not on the rare one that happens not to round-trip.
fn first_fraction(v: &Value) -> Option<&serde_json::Number> {
    match v {
        Value::Number(n) if n.is_f64() => Some(n),
        Value::Array(items) => items.iter().find_map(first_fraction),
        Value::Object(map) => map.values().find_map(first_fraction),
        _ => None,
    }
}

/// The first thing found wrong in a log, named by the sequence number where it shows.
///
/// Verification stops at the first break because everything after it is unverifiable: an
/// operator needs to know where to start comparing against a backup, not a cascade of errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    /// A row has the wrong sequence number: rows were deleted, inserted or reordered.
    #[error(
        "audit log broken at sequence {seq}: expected sequence {expected} here, so rows were deleted, inserted or reordered; \
         restore the store from a backup and compare with `lode audit export`"
    )]
    Gap {
        /// The sequence number found.
        seq: u64,
        /// The sequence number that should have been there.
        expected: u64,
    },
    /// A row's `prev_hash` is not the previous row's hash: the previous row was rewritten (with a
    /// recomputed hash) or this row was spliced in from elsewhere.
    #[error(
        "audit log broken at sequence {seq}: its prev_hash does not match the previous row's hash, so an earlier row was \
         rewritten or this row was moved; restore the store from a backup and compare with `lode audit export`"
    )]
    PrevMismatch {
        /// The row whose `prev_hash` does not link.
        seq: u64,
    },
    /// A row's stored hash does not recompute: its entry or its hash was altered.
    #[error(
        "audit log broken at sequence {seq}: the stored hash does not match the row's contents, so the entry or the hash was \
         altered; restore the store from a backup and compare with `lode audit export`"
    )]
    HashMismatch {
        /// The row whose hash does not recompute.
        seq: u64,
    },
    /// A row's hash is intact but its entry does not parse as an [`Entry`] or is not canonical:
    /// the row was written by something other than [`append`].
    #[error(
        "audit log broken at sequence {seq}: {why}; the row was not written by this keeper's audit code, so restore the store \
         from a backup and compare with `lode audit export`"
    )]
    Unreadable {
        /// The row whose entry cannot be read.
        seq: u64,
        /// What is wrong with the entry.
        why: String,
    },
    /// An export declares a format or hash this module does not implement, so none of its rows
    /// can be checked. Carries no sequence number because no row was looked at.
    #[error(
        "audit export has format {format:?} and hash {hash:?}, but only {EXPORT_FORMAT:?} with {EXPORT_HASH:?} can be \
         verified; export again with `lode audit export`"
    )]
    UnsupportedExport {
        /// The export's `format` field.
        format: String,
        /// The export's `hash` field.
        hash: String,
    },
}

/// Streaming checker shared by [`verify`], [`export`] and [`verify_export`], so all three apply
/// exactly the same rules.
struct Verifier {
    head: Head,
}

impl Verifier {
    fn new() -> Verifier {
        Verifier { head: Head::genesis() }
    }

    /// Checks one row against the head so far and, if it is good, makes it the head. Returns the
    /// parsed entry so an exporter need not parse it again.
    fn push(&mut self, row: &Row) -> Result<Entry, Break> {
        // The check order decides which break is reported when several apply: position first,
        // then the link to the previous row, then the row's own hash, then its contents. Checking
        // the hash before parsing means an edited entry is reported as an edit, not as bad JSON.
        let expected = self.head.seq.checked_add(1).ok_or(Break::Gap { seq: row.seq, expected: self.head.seq })?;
        if row.seq != expected {
            return Err(Break::Gap { seq: row.seq, expected });
        }
        if row.prev_hash != self.head.hash {
            return Err(Break::PrevMismatch { seq: row.seq });
        }
        if link(row.seq, &row.prev_hash, &row.entry) != row.hash {
            return Err(Break::HashMismatch { seq: row.seq });
        }
        let entry = check_canonical(&row.entry).map_err(|why| Break::Unreadable { seq: row.seq, why })?;
        self.head = Head { seq: row.seq, hash: row.hash };
        Ok(entry)
    }
}

/// Checks a whole log and returns its head.
///
/// `rows` must be every row, in the order the store returns them when ordered by `seq`; each row
/// is checked as it arrives and dropped, so a cursor over millions of rows needs constant memory.
/// Checks, in order, that sequence numbers run 1, 2, 3, … without gaps, that each `prev_hash` is
/// the previous row's hash ([`GENESIS`] for the first), that each hash recomputes with [`link`],
/// and that each entry parses and is canonical. An empty log verifies to [`Head::genesis`].
///
/// A log truncated at the end still verifies; compare the returned head with the chain anchor
/// using [`verify_anchor`] to detect that.
pub fn verify(rows: impl IntoIterator<Item = Row>) -> Result<Head, Break> {
    let mut v = Verifier::new();
    for row in rows {
        v.push(&row)?;
    }
    Ok(v.head)
}

/// Why a verified log disagrees with a head hash anchored on chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorMismatch {
    /// The anchor commits to a row the log no longer has.
    #[error(
        "the chain anchors sequence {seq} but the log ends before it: rows were deleted from the end; restore the store from \
         a backup and compare with `lode audit export`"
    )]
    Missing {
        /// The anchored sequence number.
        seq: u64,
    },
    /// The log has the anchored row but with another hash.
    #[error(
        "the log's hash at sequence {seq} differs from the one anchored on chain: the log was rewritten; restore the store \
         from a backup and compare with `lode audit export`"
    )]
    Differs {
        /// The anchored sequence number.
        seq: u64,
    },
}

/// Checks a verified log against a hash anchored on chain.
///
/// [`verify`] proves the log is internally consistent, but a rewrite from some row onwards, or a
/// deletion of the last rows, produces a log that is just as consistent. The anchor is the
/// outside reference that catches both. `head_at(seq)` must return the hash of row `seq` of a log
/// that has passed [`verify`], or `None` if the log has no such row. Sequence 0 is the empty log,
/// whose hash is [`GENESIS`] by definition, so `head_at` is not asked for it.
pub fn verify_anchor(head_at: impl Fn(u64) -> Option<Digest>, anchor_to_seq: u64, anchor_hash: &Digest) -> Result<(), AnchorMismatch> {
    let found = if anchor_to_seq == 0 { Some(GENESIS) } else { head_at(anchor_to_seq) };
    match found {
        None => Err(AnchorMismatch::Missing { seq: anchor_to_seq }),
        Some(h) if h == *anchor_hash => Ok(()),
        Some(_) => Err(AnchorMismatch::Differs { seq: anchor_to_seq }),
    }
}

/// A self-contained JSON copy of the log that an auditor can check without the keeper, its
/// database or this code: every field needed to recompute every hash is in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Export {
    /// Always [`EXPORT_FORMAT`]; lets a verifier refuse a file with a layout it does not know.
    pub format: String,
    /// Always [`EXPORT_HASH`]; tells an auditor which function to recompute.
    pub hash: String,
    /// Every row, in sequence order.
    pub rows: Vec<ExportRow>,
}

/// One row of an [`Export`].
///
/// Carries the entry twice: as parsed JSON for people and tools to read, and as the exact hashed
/// bytes, because re-serializing the readable form is not guaranteed to reproduce those bytes in
/// every JSON library. [`verify_export`] checks that the two agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRow {
    /// The row's sequence number.
    pub seq: u64,
    /// `0x` followed by 64 lowercase hex digits.
    pub prev_hash: String,
    /// The entry, readable.
    pub entry: Value,
    /// The exact canonical entry bytes (always valid UTF-8), which are what [`link`] hashes.
    pub entry_canonical: String,
    /// `0x` followed by 64 lowercase hex digits.
    pub hash: String,
}

fn to_hex(d: &Digest) -> String {
    format!("0x{}", hex::encode(d))
}

fn from_hex(s: &str) -> Result<Digest, String> {
    let digits = s.strip_prefix("0x").ok_or_else(|| format!("{s:?} does not start with 0x"))?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(digits, &mut out).map_err(|e| format!("{s:?} is not 32 bytes of hex ({e})"))?;
    Ok(out)
}

/// Verifies the log and returns it as an [`Export`].
///
/// Verifying while exporting means an export never certifies a broken log: if a row is bad, the
/// export fails with the same [`Break`] that [`verify`] would give.
pub fn export(rows: impl IntoIterator<Item = Row>) -> Result<Export, Break> {
    let mut v = Verifier::new();
    let mut out = Vec::new();
    for row in rows {
        let entry = v.push(&row)?;
        let entry_value = serde_json::to_value(&entry)
            .map_err(|e| Break::Unreadable { seq: row.seq, why: format!("the entry cannot be converted to JSON ({e})") })?;
        let entry_canonical =
            String::from_utf8(row.entry).map_err(|e| Break::Unreadable { seq: row.seq, why: format!("the entry is not UTF-8 ({e})") })?;
        out.push(ExportRow {
            seq: row.seq,
            prev_hash: to_hex(&row.prev_hash),
            entry: entry_value,
            entry_canonical,
            hash: to_hex(&row.hash),
        });
    }
    Ok(Export { format: EXPORT_FORMAT.to_owned(), hash: EXPORT_HASH.to_owned(), rows: out })
}

/// Re-checks an export file on its own and returns the head it certifies.
///
/// Applies every rule of [`verify`] to the hex-decoded hashes and the `entry_canonical` bytes,
/// and also checks that the readable `entry` is the same entry as `entry_canonical`, so that a
/// reader of the readable field is not shown something other than what was hashed.
pub fn verify_export(e: &Export) -> Result<Head, Break> {
    if e.format != EXPORT_FORMAT || e.hash != EXPORT_HASH {
        return Err(Break::UnsupportedExport { format: e.format.clone(), hash: e.hash.clone() });
    }
    let mut v = Verifier::new();
    for r in &e.rows {
        let unreadable = |why: String| Break::Unreadable { seq: r.seq, why };
        let prev_hash = from_hex(&r.prev_hash).map_err(|w| unreadable(format!("prev_hash {w}")))?;
        let hash = from_hex(&r.hash).map_err(|w| unreadable(format!("hash {w}")))?;
        let row = Row { seq: r.seq, prev_hash, entry: r.entry_canonical.as_bytes().to_vec(), hash };
        v.push(&row)?;
        let readable: Entry = serde_json::from_value(r.entry.clone())
            .map_err(|err| unreadable(format!("the readable entry is not a valid audit entry ({err})")))?;
        if readable.canonical() != row.entry {
            return Err(unreadable("the readable entry differs from entry_canonical".to_owned()));
        }
    }
    Ok(v.head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

    fn entry(action: Action, at_ms: u64, detail: Value) -> Entry {
        Entry { action, at_ms, keeper: ALICE.to_owned(), detail }
    }

    fn build(entries: &[Entry]) -> Vec<Row> {
        let mut head = Head::genesis();
        let mut rows = Vec::new();
        for e in entries {
            let row = append(&head, e).unwrap();
            head = Head { seq: row.seq, hash: row.hash };
            rows.push(row);
        }
        rows
    }

    fn sample(n: u64) -> Vec<Row> {
        let entries: Vec<Entry> = (0..n)
            .map(|i| entry(Action::ALL[(i % 7) as usize], 1_700_000_000_000 + i, json!({"i": i, "note": format!("row {i}")})))
            .collect();
        build(&entries)
    }

    #[test]
    fn append_three_then_verify_gives_last_head() {
        let rows = sample(3);
        assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(rows[0].prev_hash, GENESIS);
        assert_eq!(rows[1].prev_hash, rows[0].hash);
        assert_eq!(rows[2].prev_hash, rows[1].hash);
        let last = rows[2].hash;
        assert_eq!(verify(rows).unwrap(), Head { seq: 3, hash: last });
    }

    #[test]
    fn empty_log_verifies_to_genesis() {
        assert_eq!(verify(Vec::new()).unwrap(), Head::genesis());
        assert_eq!(Head::genesis(), Head { seq: 0, hash: GENESIS });
    }

    #[test]
    fn known_answer() {
        let e = entry(Action::Payout, 1_700_000_000_000, json!({"to": "x", "amount": "10"}));
        let expected: &[u8] = br#"{"action":"payout","at_ms":1700000000000,"detail":{"amount":"10","to":"x"},"keeper":"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"}"#;
        assert_eq!(e.canonical(), expected);
        // Computed independently with:
        // python3 -c 'import hashlib;e=b"{\"action\":\"payout\",\"at_ms\":1700000000000,\"detail\":{\"amount\":\"10\",\"to\":\"x\"},\"keeper\":\"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY\"}";print(hashlib.blake2b(b"lode-audit-v1"+(1).to_bytes(8,"big")+bytes(32)+len(e).to_bytes(8,"big")+e,digest_size=32).hexdigest())'
        let expected_hash = "6647b5cac21126a9fde43be72aec43c0e3d8a6a2ffbbec44d1e0656c799825ba";
        let row = append(&Head::genesis(), &e).unwrap();
        assert_eq!(hex::encode(row.hash), expected_hash);
        assert_eq!(hex::encode(link(1, &GENESIS, expected)), expected_hash);
    }

    #[test]
    fn detail_key_order_does_not_change_canonical_bytes() {
        // Build the same detail twice with keys inserted in opposite orders, at two depths and
        // inside an array, through both the Map API and the parser.
        let mut inner_a = serde_json::Map::new();
        inner_a.insert("z".into(), json!(1));
        inner_a.insert("a".into(), json!(2));
        let mut a = serde_json::Map::new();
        a.insert("zeta".into(), Value::Object(inner_a.clone()));
        a.insert("alpha".into(), json!([Value::Object(inner_a)]));

        let mut inner_b = serde_json::Map::new();
        inner_b.insert("a".into(), json!(2));
        inner_b.insert("z".into(), json!(1));
        let mut b = serde_json::Map::new();
        b.insert("alpha".into(), json!([Value::Object(inner_b.clone())]));
        b.insert("zeta".into(), Value::Object(inner_b));

        let c: Value = serde_json::from_str(r#"{"zeta":{"z":1,"a":2},"alpha":[{"z":1,"a":2}]}"#).unwrap();
        let ca = entry(Action::Alert, 5, Value::Object(a)).canonical();
        let cb = entry(Action::Alert, 5, Value::Object(b)).canonical();
        let cc = entry(Action::Alert, 5, c).canonical();
        assert_eq!(ca, cb);
        assert_eq!(ca, cc);
        let expected: &[u8] = br#"{"action":"alert","at_ms":5,"detail":{"alpha":[{"a":2,"z":1}],"zeta":{"a":2,"z":1}},"keeper":"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"}"#;
        assert_eq!(ca, expected);
    }

    #[test]
    fn canonical_escapes_like_serde_json() {
        let s = "q\"b\\\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}é😀/";
        let e = entry(Action::KeyUse, 0, json!({ s: s }));
        let mut expected = String::from("{\"action\":\"key_use\",\"at_ms\":0,\"detail\":{");
        let quoted = serde_json::to_string(s).unwrap();
        expected.push_str(&format!("{quoted}:{quoted}}},\"keeper\":\"{ALICE}\"}}"));
        assert_eq!(String::from_utf8(e.canonical()).unwrap(), expected);
        assert_eq!(check_canonical(&e.canonical()).unwrap(), e);
    }

    #[test]
    fn tampered_entry_byte_is_hash_mismatch_at_that_row() {
        let mut rows = sample(5);
        let i = rows[2].entry.len() / 2;
        rows[2].entry[i] ^= 1;
        assert_eq!(verify(rows), Err(Break::HashMismatch { seq: 3 }));
    }

    #[test]
    fn tampered_stored_hash_is_hash_mismatch_at_that_row() {
        // Row 3's own check runs before row 4's: its seq and prev_hash are intact, and its stored
        // hash no longer equals link(3, prev, entry), so row 3 fails with HashMismatch before
        // row 4's PrevMismatch (its prev_hash still holds the old hash) is ever reached.
        let mut rows = sample(5);
        rows[2].hash[0] ^= 1;
        assert_eq!(verify(rows), Err(Break::HashMismatch { seq: 3 }));
    }

    #[test]
    fn consistently_rewritten_row_is_prev_mismatch_at_the_next_row() {
        // Rewriting row 3 *and* recomputing its hash makes row 3 self-consistent; what breaks is
        // row 4's link to it.
        let mut rows = sample(5);
        let forged = entry(Action::Payout, 1, json!({"to": "attacker"})).canonical();
        rows[2].entry = forged;
        rows[2].hash = link(3, &rows[2].prev_hash, &rows[2].entry);
        assert_eq!(verify(rows), Err(Break::PrevMismatch { seq: 4 }));
    }

    #[test]
    fn rewritten_last_row_is_caught_only_by_the_anchor() {
        let original = sample(4);
        let anchored = original[3].hash;
        let mut rows = original.clone();
        rows[3].entry = entry(Action::Payout, 1, json!({"to": "attacker"})).canonical();
        rows[3].hash = link(4, &rows[3].prev_hash, &rows[3].entry);
        let head = verify(rows.clone()).unwrap();
        assert_eq!(head.seq, 4);
        let head_at = |s: u64| rows.iter().find(|r| r.seq == s).map(|r| r.hash);
        assert_eq!(verify_anchor(head_at, 4, &anchored), Err(AnchorMismatch::Differs { seq: 4 }));
    }

    #[test]
    fn wrong_genesis_is_prev_mismatch_at_one() {
        let mut rows = sample(2);
        rows[0].prev_hash = [1; 32];
        rows[0].hash = link(1, &rows[0].prev_hash, &rows[0].entry);
        assert_eq!(verify(rows), Err(Break::PrevMismatch { seq: 1 }));
    }

    #[test]
    fn deleted_middle_row_is_gap_at_the_next_seq() {
        let mut rows = sample(5);
        rows.remove(2);
        assert_eq!(verify(rows), Err(Break::Gap { seq: 4, expected: 3 }));
    }

    #[test]
    fn deleted_first_row_is_gap_at_two() {
        let mut rows = sample(3);
        rows.remove(0);
        assert_eq!(verify(rows), Err(Break::Gap { seq: 2, expected: 1 }));
    }

    #[test]
    fn swapped_rows_are_gap_at_the_first_swapped_position() {
        let mut rows = sample(5);
        rows.swap(1, 3);
        // Position 2 now holds row 4.
        assert_eq!(verify(rows), Err(Break::Gap { seq: 4, expected: 2 }));
    }

    #[test]
    fn duplicated_row_is_gap() {
        let mut rows = sample(3);
        rows.insert(1, rows[0].clone());
        assert_eq!(verify(rows), Err(Break::Gap { seq: 1, expected: 2 }));
    }

    #[test]
    fn non_canonical_entry_with_correct_hash_is_unreadable() {
        let mut rows = sample(3);
        let text = String::from_utf8(rows[1].entry.clone()).unwrap().replacen(',', ", ", 1);
        rows[1].entry = text.into_bytes();
        assert!(serde_json::from_slice::<Entry>(&rows[1].entry).is_ok(), "still valid JSON");
        rows[1].hash = link(2, &rows[1].prev_hash, &rows[1].entry);
        rows[2].prev_hash = rows[1].hash;
        rows[2].hash = link(3, &rows[2].prev_hash, &rows[2].entry);
        match verify(rows) {
            Err(Break::Unreadable { seq: 2, why }) => assert!(why.contains("not in canonical form"), "{why}"),
            other => panic!("expected Unreadable at 2, got {other:?}"),
        }
    }

    #[test]
    fn garbage_entry_with_correct_hash_is_unreadable() {
        for bad in [&b"not json"[..], br#"{"action":"steal","at_ms":1,"detail":null,"keeper":"k"}"#, &[0xff, 0xfe]] {
            let mut row = Row { seq: 1, prev_hash: GENESIS, entry: bad.to_vec(), hash: GENESIS };
            row.hash = link(1, &GENESIS, &row.entry);
            assert!(matches!(verify([row]), Err(Break::Unreadable { seq: 1, .. })));
        }
    }

    #[test]
    fn break_messages_name_the_sequence_and_the_remedy() {
        let breaks = [
            Break::Gap { seq: 7, expected: 6 },
            Break::PrevMismatch { seq: 7 },
            Break::HashMismatch { seq: 7 },
            Break::Unreadable { seq: 7, why: "x".into() },
        ];
        for b in breaks {
            let msg = b.to_string();
            assert!(msg.starts_with("audit log broken at sequence 7: "), "{msg}");
            assert!(msg.contains("`lode audit export`"), "{msg}");
        }
        assert!(AnchorMismatch::Missing { seq: 9 }
            .to_string()
            .starts_with("the chain anchors sequence 9 but the log ends before it: rows were deleted from the end"));
        assert!(AnchorMismatch::Differs { seq: 9 }
            .to_string()
            .starts_with("the log's hash at sequence 9 differs from the one anchored on chain: the log was rewritten"));
    }

    #[test]
    fn anchor_ok_missing_and_differs() {
        let rows = sample(5);
        let head_at = |s: u64| rows.iter().find(|r| r.seq == s).map(|r| r.hash);
        assert_eq!(verify_anchor(head_at, 3, &rows[2].hash), Ok(()));
        assert_eq!(verify_anchor(head_at, 6, &[9; 32]), Err(AnchorMismatch::Missing { seq: 6 }));
        assert_eq!(verify_anchor(head_at, 3, &rows[3].hash), Err(AnchorMismatch::Differs { seq: 3 }));
        assert_eq!(verify_anchor(|_| None, 0, &GENESIS), Ok(()));
        assert_eq!(verify_anchor(|_| None, 0, &[1; 32]), Err(AnchorMismatch::Differs { seq: 0 }));
    }

    #[test]
    fn truncated_log_verifies_but_fails_the_anchor() {
        let rows = sample(5);
        let anchored = rows[4].hash;
        let truncated: Vec<Row> = rows[..3].to_vec();
        assert_eq!(verify(truncated.clone()).unwrap().seq, 3);
        let head_at = |s: u64| truncated.iter().find(|r| r.seq == s).map(|r| r.hash);
        assert_eq!(verify_anchor(head_at, 5, &anchored), Err(AnchorMismatch::Missing { seq: 5 }));
    }

    #[test]
    fn floats_are_refused_on_append_and_on_verify() {
        // This float does not survive serde_json's parser unless some crate in the build turns
        // on `float_roundtrip` (found by the canonical fixpoint proptest before floats were
        // refused): whether a log verifies must not depend on the build, so floats are refused.
        let f = -1.017_178_143_222_892_8e198_f64;
        for detail in [json!({ "a": f }), json!({"ok": 1, "deep": [{"x": 0.5}]}), json!(1.0)] {
            let e = entry(Action::Alert, 0, detail);
            assert!(matches!(append(&Head::genesis(), &e), Err(AppendError::NotCanonical { why }) if why.contains("non-integer")));
            let row = Row { seq: 1, prev_hash: GENESIS, entry: e.canonical(), hash: link(1, &GENESIS, &e.canonical()) };
            assert!(matches!(verify([row]), Err(Break::Unreadable { seq: 1, why }) if why.contains("non-integer")));
        }
        assert!(append(&Head::genesis(), &entry(Action::Alert, 0, json!({"n": -5, "m": u64::MAX, "s": "0.5"}))).is_ok());
    }

    #[test]
    fn append_refuses_sequence_overflow() {
        let head = Head { seq: u64::MAX, hash: GENESIS };
        assert_eq!(append(&head, &entry(Action::Anchor, 0, Value::Null)), Err(AppendError::SequenceExhausted { seq: u64::MAX }));
    }

    #[test]
    fn export_round_trips_and_reverifies() {
        let rows = sample(4);
        let head = verify(rows.clone()).unwrap();
        let ex = export(rows).unwrap();
        assert_eq!(ex.format, "lode-audit-v1");
        assert_eq!(ex.hash, "blake2b-256");
        assert_eq!(ex.rows[0].prev_hash, format!("0x{}", "00".repeat(32)));
        let text = serde_json::to_string_pretty(&ex).unwrap();
        let back: Export = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ex);
        assert_eq!(verify_export(&back), Ok(head));
        assert_eq!(verify_export(&Export { format: EXPORT_FORMAT.into(), hash: EXPORT_HASH.into(), rows: vec![] }), Ok(Head::genesis()));
    }

    #[test]
    fn export_of_broken_log_fails_like_verify() {
        let mut rows = sample(4);
        rows[1].hash[5] ^= 0x80;
        assert_eq!(export(rows).unwrap_err(), Break::HashMismatch { seq: 2 });
    }

    #[test]
    fn tampered_export_is_caught() {
        let ex = export(sample(4)).unwrap();

        let mut t = ex.clone();
        t.rows[2].entry_canonical = t.rows[2].entry_canonical.replace("row 2", "row 9");
        assert_eq!(verify_export(&t), Err(Break::HashMismatch { seq: 3 }));

        let mut t = ex.clone();
        t.rows[1].entry["detail"]["note"] = json!("edited");
        assert!(matches!(verify_export(&t), Err(Break::Unreadable { seq: 2, why }) if why.contains("differs from entry_canonical")));

        let mut t = ex.clone();
        let mut h = from_hex(&t.rows[1].hash).unwrap();
        h[31] ^= 1;
        t.rows[1].hash = to_hex(&h);
        assert_eq!(verify_export(&t), Err(Break::HashMismatch { seq: 2 }));

        let mut t = ex.clone();
        t.rows[0].prev_hash = "00".repeat(32);
        assert!(matches!(verify_export(&t), Err(Break::Unreadable { seq: 1, .. })));

        let mut t = ex.clone();
        t.rows.remove(1);
        assert_eq!(verify_export(&t), Err(Break::Gap { seq: 3, expected: 2 }));

        let mut t = ex;
        t.format = "lode-audit-v2".into();
        assert!(matches!(verify_export(&t), Err(Break::UnsupportedExport { .. })));
    }

    #[test]
    fn action_names_round_trip_and_match_serde() {
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>(), Ok(a));
            assert_eq!(serde_json::to_value(a).unwrap(), json!(a.as_str()));
        }
        let err = "Payout".parse::<Action>().unwrap_err().to_string();
        assert!(err.contains("\"Payout\""), "{err}");
        for a in Action::ALL {
            assert!(err.contains(a.as_str()), "{err} should list {a}");
        }
    }

    fn arb_action() -> impl Strategy<Value = Action> {
        prop::sample::select(Action::ALL.to_vec())
    }

    fn arb_detail() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            "[a-z\"\\\\\n\u{1}é😀 ]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(2, 12, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                // A Vec of pairs, inserted in generated order, so insertion order varies.
                prop::collection::vec(("[a-e]{1,3}", inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn arb_entry() -> impl Strategy<Value = Entry> {
        (arb_action(), any::<u64>(), "[1-9A-HJ-NP-Za-km-z]{0,48}", arb_detail()).prop_map(|(action, at_ms, keeper, detail)| Entry {
            action,
            at_ms,
            keeper,
            detail,
        })
    }

    #[derive(Debug, Clone)]
    enum Tamper {
        EntryByte { row: usize, byte: usize, mask: u8 },
        HashByte { row: usize, byte: usize, mask: u8 },
        Delete { row: usize },
        SwapWithNext { row: usize },
    }

    /// A tamper drawn independently of the log; [`TamperSeed::resolve`] fixes positions once the
    /// log's length is known.
    #[derive(Debug, Clone)]
    struct TamperSeed {
        kind: u8,
        row: prop::sample::Index,
        byte: prop::sample::Index,
        mask: u8,
    }

    fn arb_tamper() -> impl Strategy<Value = TamperSeed> {
        (0u8..4, any::<prop::sample::Index>(), any::<prop::sample::Index>(), 1u8..=255).prop_map(|(kind, row, byte, mask)| TamperSeed {
            kind,
            row,
            byte,
            mask,
        })
    }

    impl TamperSeed {
        /// Picks concrete positions for a log of `rows`; `None` when the tamper does not apply
        /// (a swap needs two rows).
        fn resolve(&self, rows: &[Row]) -> Option<Tamper> {
            let n = rows.len();
            let row = self.row.index(n);
            Some(match self.kind {
                0 => Tamper::EntryByte { row, byte: self.byte.index(rows[row].entry.len()), mask: self.mask },
                1 => Tamper::HashByte { row, byte: self.byte.index(32), mask: self.mask },
                2 => Tamper::Delete { row },
                _ if n >= 2 => Tamper::SwapWithNext { row: self.row.index(n - 1) },
                _ => return None,
            })
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn appended_logs_verify(entries in prop::collection::vec(arb_entry(), 0..40)) {
            let rows = build(&entries);
            let last = rows.last().map_or(GENESIS, |r| r.hash);
            let head = verify(rows.clone()).unwrap();
            prop_assert_eq!(head, Head { seq: entries.len() as u64, hash: last });
            let ex = export(rows).unwrap();
            let back: Export = serde_json::from_str(&serde_json::to_string(&ex).unwrap()).unwrap();
            prop_assert_eq!(verify_export(&back), Ok(head));
        }

        #[test]
        fn canonical_is_a_fixpoint(e in arb_entry()) {
            let bytes = e.canonical();
            let parsed: Entry = serde_json::from_slice(&bytes).unwrap();
            prop_assert_eq!(parsed.canonical(), bytes);
        }

        /// Bound proved: with `p` the 1-based sequence number of the tampered row (for a swap, the
        /// first of the two), verify fails naming exactly `p` for an entry or hash byte flip
        /// (HashMismatch) and exactly `p + 1` with `expected == p` for a deletion or swap (Gap).
        /// So the named seq is always in `p ..= p + 1`. The one exception is deleting the last
        /// row, which leaves a valid shorter log; there the anchor of the old head reports Missing.
        #[test]
        fn any_tamper_is_caught(entries in prop::collection::vec(arb_entry(), 1..40), t in arb_tamper()) {
            let original = build(&entries);
            let n = original.len();
            let Some(tamper) = t.resolve(&original) else { return Ok(()); };
            let mut rows = original.clone();
            let (Tamper::EntryByte { row, .. } | Tamper::HashByte { row, .. } | Tamper::Delete { row } | Tamper::SwapWithNext { row }) = tamper;
            let p = row as u64 + 1;
            match tamper {
                Tamper::EntryByte { row, byte, mask } => rows[row].entry[byte] ^= mask,
                Tamper::HashByte { row, byte, mask } => rows[row].hash[byte] ^= mask,
                Tamper::Delete { row } => drop(rows.remove(row)),
                Tamper::SwapWithNext { row } => rows.swap(row, row + 1),
            }
            let result = verify(rows.clone());
            match tamper {
                Tamper::EntryByte { .. } | Tamper::HashByte { .. } => prop_assert_eq!(result, Err(Break::HashMismatch { seq: p })),
                Tamper::Delete { row } if row + 1 == n => {
                    let old_head = original[n - 1].hash;
                    prop_assert_eq!(result.map(|h| h.seq), Ok(p - 1));
                    let head_at = |s: u64| rows.iter().find(|r| r.seq == s).map(|r| r.hash);
                    prop_assert_eq!(verify_anchor(head_at, p, &old_head), Err(AnchorMismatch::Missing { seq: p }));
                }
                Tamper::Delete { .. } | Tamper::SwapWithNext { .. } => {
                    prop_assert_eq!(result, Err(Break::Gap { seq: p + 1, expected: p }));
                }
            }
        }
    }
}
