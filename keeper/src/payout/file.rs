//! Payout files for `lode payout FILE.csv`: parsing and validation.
//!
//! A payout file pays many accounts from one payer. A half-paid file is hard to repair
//! (which rows went out? which must be re-sent?), so the whole file is validated before
//! anything is sent, and every bad row is reported at once, by its physical line, so the
//! operator can fix the file in one pass instead of one error per run.
//!
//! Each row is `account,amount,asset[,reference]`; an optional header row, `#` comments and
//! blank lines are allowed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

use lode_primitives::DECIMALS;
use lode_splitter::Asset;

use crate::chain::AccountId;
use crate::keys::parse_account;

/// Most payment rows one file may hold.
///
/// Bounds the memory and the time of one run, and a file this large is more likely a wrong
/// export than a real payout; larger payouts can be split into several files.
pub const MAX_ROWS: usize = 100_000;

/// Most characters a reference may have.
///
/// References are copied into the receipt and shown to the operator, so they must stay short.
pub const MAX_REFERENCE_LEN: usize = 128;

/// Units in one whole LODE or native token. Computed at compile time, so an overflow here
/// would fail the build rather than a payout. (`as` widens u8 to u32 losslessly; `From` is
/// not usable in a const.)
const SCALE: u128 = 10u128.pow(DECIMALS as u32);

/// The row shapes a payout file accepts, as shown in error messages.
const EXPECTED_SHAPE: &str = "`account,amount,asset` or `account,amount,asset,reference`";

/// Names of the columns, in order; also the header row's fields.
const COLUMNS: [&str; 4] = ["account", "amount", "asset", "reference"];

/// Most characters of file content quoted in one error message; a stray multi-kilobyte field
/// would otherwise drown out the list of errors.
const MAX_SHOWN_CHARS: usize = 40;

/// The UTF-8 byte-order mark that spreadsheet programs put at the start of exported files.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One validated payment of a payout file: the row the store keeps.
pub use crate::store::NewPayoutRow as PayoutRow;

/// Why one row of a payout file is bad.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct RowError {
    /// Physical line (1-based) where the bad row starts.
    pub line: u64,
    /// What is wrong with the row and how to fix it. Never contains a line break or a raw
    /// control character, so it is safe to print on a terminal.
    pub reason: String,
}

/// Why a payout file was refused as a whole. In every case nothing was paid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The file holds no payment rows (only a header, comments or blank lines, if anything).
    #[error("the payout file has no payment rows; nothing was paid. Add one row per payment: `account,amount,asset[,reference]`")]
    Empty,
    /// The file holds more than [`MAX_ROWS`] payment rows.
    #[error("the payout file has {rows} payment rows but at most {max} are allowed; nothing was paid. Split it into several files", max = MAX_ROWS)]
    TooManyRows {
        /// How many payment rows the file holds.
        rows: usize,
    },
    /// Some rows are bad; every bad row is listed, sorted by line.
    #[error("{}", render_row_errors(.0))]
    Rows(Vec<RowError>),
}

/// Parses and validates a whole payout file paid by `payer`.
///
/// Returns every payment row in file order, or, if any row is bad, the list of all bad rows
/// so the operator can fix them in one go. Nothing in the file is trusted to be UTF-8: a row
/// that is not valid UTF-8 is reported as that row's error instead of failing the whole file
/// with no line to look at.
pub fn parse(bytes: &[u8], payer: AccountId) -> Result<Vec<PayoutRow>, FileError> {
    // Excel and friends start UTF-8 exports with a BOM; without stripping it the header row
    // would not be recognised, or the first account would be reported as invalid.
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let bytes = lone_cr_to_lf(bytes);
    let bytes = bytes.as_ref();
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).comment(Some(b'#')).from_reader(bytes);

    let mut validator = Validator::new(payer);
    let mut lines = LineCounter::new(bytes);
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.record_line(record.position());
                validator.record(line, &record);
            }
            Err(err) => {
                // With flexible byte records the reader only fails on I/O, which a byte slice
                // cannot cause; still, report it rather than lose it.
                let reason = format!("the file could not be read as CSV here ({}); check the quotes on this line", shown(&err.to_string()));
                let known = err.position().is_some();
                let line = lines.record_line(err.position());
                validator.data_rows = validator.data_rows.saturating_add(1);
                validator.errors.push(RowError { line, reason });
                if !known {
                    // Without a position the reader may not have moved past the problem, so
                    // reading on could loop; stop with what we know.
                    break;
                }
            }
        }
    }
    validator.finish()
}

/// Validates rows that arrived as fields rather than CSV (`POST /payouts`),
/// by the same rules as [`parse`]: `rows` gives each row's number and its
/// `account, amount, asset[, reference]` fields.
pub fn check_rows<'a>(rows: impl IntoIterator<Item = (u64, Vec<&'a str>)>, payer: AccountId) -> Result<Vec<PayoutRow>, FileError> {
    let mut validator = Validator::new(payer);
    for (line, fields) in rows {
        validator.data_rows = validator.data_rows.saturating_add(1);
        if validator.data_rows > MAX_ROWS {
            continue;
        }
        let record = csv::ByteRecord::from(fields);
        match validator.row(line, &record, false) {
            Ok(row) => validator.rows.push(row),
            Err(reason) => validator.errors.push(RowError { line, reason }),
        }
    }
    validator.finish()
}

/// Parses an amount written in whole units, e.g. `12.5`, into smallest units.
///
/// Accepts only plain decimal digits with at most one `.` and at most [`DECIMALS`] digits
/// after it, and the amount must be greater than zero. Anything looser (signs, exponents,
/// thousands separators, spaces, `1.` or `.5`) is refused rather than guessed at, because a
/// misread amount is paid out and cannot be taken back. The error says what is wrong and
/// how to write the amount instead.
pub fn parse_amount(text: &str) -> Result<u128, String> {
    let quoted = shown(text);
    if text.is_empty() {
        return Err("amount is empty; write an amount such as `12.5`".to_string());
    }
    if text.starts_with('-') {
        return Err(format!("amount `{quoted}` is negative; write a positive amount without a sign, e.g. `12.5`"));
    }
    if text.starts_with('+') {
        return Err(format!("amount `{quoted}` has a sign; write the amount without `+`, e.g. `12.5`"));
    }
    if let Some(bad) = text.chars().find(|c| !c.is_ascii_digit() && *c != '.') {
        return Err(bad_amount_char(text, &quoted, bad));
    }
    let (whole, fraction) = match text.split_once('.') {
        None => (text, ""),
        Some((whole, fraction)) => {
            if fraction.contains('.') {
                return Err(format!("amount `{quoted}` has more than one `.`; write one decimal point, e.g. `1000.5`"));
            }
            if whole.is_empty() {
                return Err(format!("amount `{quoted}` has no digits before `.`; write `0{quoted}`"));
            }
            if fraction.is_empty() {
                return Err(format!("amount `{quoted}` has no digits after `.`; write `{whole}` or `{whole}.0`"));
            }
            (whole, fraction)
        }
    };
    let decimals = usize::from(DECIMALS);
    if fraction.len() > decimals {
        return Err(format!(
            "amount `{quoted}` has {} decimal places; {} and {} amounts have at most {decimals}",
            fraction.len(),
            asset_name(Asset::Lode),
            asset_name(Asset::Native),
        ));
    }
    // Scaling by appending zeros keeps the whole computation in integers: no float ever
    // touches an amount, so no rounding can change what is paid.
    let padding = std::iter::repeat_n('0', decimals.saturating_sub(fraction.len()));
    let mut units: u128 = 0;
    for c in whole.chars().chain(fraction.chars()).chain(padding) {
        let digit = c.to_digit(10).map(u128::from);
        units = match digit.and_then(|d| units.checked_mul(10)?.checked_add(d)) {
            Some(units) => units,
            None => {
                return Err(format!("amount `{quoted}` is too large; one row can pay at most `{}`", format_amount(u128::MAX)));
            }
        };
    }
    if units == 0 {
        return Err(format!("amount `{quoted}` is zero; every row must pay more than zero, so remove the row"));
    }
    Ok(units)
}

/// Formats smallest units as whole units, the inverse of [`parse_amount`]: `1.5`, `1`,
/// `0.000000000001`. Trailing zeros are dropped so the text is canonical: equal amounts
/// always print the same.
pub fn format_amount(units: u128) -> String {
    // SCALE is a non-zero constant, so neither division can panic.
    let whole = units / SCALE;
    let fraction = units % SCALE;
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:0width$}", width = usize::from(DECIMALS));
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// The name of an asset as written in payout files and shown to operators.
pub fn asset_name(asset: Asset) -> &'static str {
    match asset {
        Asset::Lode => "LODE",
        Asset::Native => "native",
    }
}

/// Parses an asset name, ignoring case: `LODE` or `native`.
///
/// Case is ignored because spreadsheets and people write `lode`, `Lode` and `NATIVE`, and no
/// two assets differ only in case.
pub fn parse_asset(text: &str) -> Result<Asset, String> {
    const ASSETS: [Asset; 2] = [Asset::Lode, Asset::Native];
    if let Some(asset) = ASSETS.into_iter().find(|a| text.eq_ignore_ascii_case(asset_name(*a))) {
        return Ok(asset);
    }
    let choices = format!("write `{}` or `{}`", asset_name(Asset::Lode), asset_name(Asset::Native));
    if text.is_empty() {
        Err(format!("asset is empty; {choices}"))
    } else {
        Err(format!("asset `{}` is not known; {choices}", shown(text)))
    }
}

/// The error for an amount containing `bad`, a character other than a digit or `.`, with
/// the fix for the usual ways amounts get written in spreadsheets and by hand.
fn bad_amount_char(text: &str, quoted: &str, bad: char) -> String {
    let looks_like_exponent = text.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    match bad {
        c if c.is_whitespace() => format!("amount `{quoted}` contains a space; write digits only, e.g. `1000.5`"),
        ',' | '_' | '\'' => format!(
            "amount `{quoted}` contains `{bad}`; write it without thousands separators and with `.` as the decimal point, e.g. `1000.5`"
        ),
        'e' | 'E' if looks_like_exponent => {
            format!("amount `{quoted}` uses an exponent; write it out in full, e.g. `1000` instead of `1e3`")
        }
        _ => format!("amount `{quoted}` contains `{}`; write plain digits with an optional `.`, e.g. `12.5`", shown(&bad.to_string())),
    }
}

/// Turns every `\r` that is not part of `\r\n` into `\n`; borrows when there is none.
///
/// Old Mac files end lines with a lone `\r`. The reader splits records on it, but a `#`
/// comment runs to the next `\n` only, so in such a file one comment would silently swallow
/// every row after it. Every lone `\r` is a line break to the operator's editor too, so line
/// numbers are unchanged.
fn lone_cr_to_lf(bytes: &[u8]) -> Cow<'_, [u8]> {
    let is_lone_cr = |i: usize| bytes.get(i) == Some(&b'\r') && bytes.get(i.saturating_add(1)) != Some(&b'\n');
    if !(0..bytes.len()).any(is_lone_cr) {
        return Cow::Borrowed(bytes);
    }
    Cow::Owned(bytes.iter().enumerate().map(|(i, &b)| if is_lone_cr(i) { b'\n' } else { b }).collect())
}

/// Finds the physical line on which each record starts.
///
/// The reader's own `Position::line` is where it *began looking* for the record: blank lines,
/// comment lines and the `\n` of a CRLF ending that come before the record are skipped only
/// after that, so the reported line can be several lines too early. The byte offset is just as
/// early, so this skips what the reader skips and counts line breaks up to the record's real
/// first byte.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Offset up to which line breaks have been counted.
    offset: usize,
    /// Line (1-based) on which `offset` lies.
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, offset: 0, line: 1 }
    }

    /// The line of the record whose reader position is `position`. Without a position (never
    /// seen in practice) it answers the line after the last one, the best remaining guess.
    fn record_line(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(position) = position else {
            return self.line.saturating_add(1);
        };
        let mut at = usize::try_from(position.byte()).unwrap_or(usize::MAX).min(self.bytes.len());
        // Skip what the reader skips before a record starts: line terminators, and comment
        // lines, which run to the next `\n` only.
        loop {
            match self.bytes.get(at) {
                Some(b'\r' | b'\n') => at = at.saturating_add(1),
                Some(b'#') => {
                    let rest = self.bytes.get(at..).unwrap_or_default();
                    at = rest.iter().position(|&b| b == b'\n').map_or(self.bytes.len(), |i| at.saturating_add(i).saturating_add(1));
                }
                _ => break,
            }
        }
        if at < self.offset {
            // Positions only move forward; if one ever did not, count again from the start
            // rather than report a wrong line.
            self.offset = 0;
            self.line = 1;
        }
        let counted = self.bytes.get(self.offset..at).unwrap_or_default().iter().filter(|&&b| b == b'\n').count();
        self.line = self.line.saturating_add(u64::try_from(counted).unwrap_or(u64::MAX));
        self.offset = at;
        self.line
    }
}

/// State kept across the records of one file.
struct Validator {
    payer: AccountId,
    rows: Vec<PayoutRow>,
    errors: Vec<RowError>,
    /// First line of every reference seen so far, to name it when a reference repeats.
    references: HashMap<String, u64>,
    /// Payment rows seen, good or bad, including those past [`MAX_ROWS`].
    data_rows: usize,
    /// Whether a non-blank record has been seen; only the first one may be a header.
    seen_first: bool,
}

impl Validator {
    fn new(payer: AccountId) -> Self {
        Self { payer, rows: Vec::new(), errors: Vec::new(), references: HashMap::new(), data_rows: 0, seen_first: false }
    }

    /// Handles one CSV record starting at physical line `line`.
    fn record(&mut self, line: u64, record: &csv::ByteRecord) {
        if is_blank(record) || is_indented_comment(record) {
            return;
        }
        let first = !self.seen_first;
        self.seen_first = true;
        if first && is_header(record) {
            return;
        }
        self.data_rows = self.data_rows.saturating_add(1);
        // Past the limit the file is refused anyway; keep counting so the error can say how
        // many rows there are, but skip the validation work.
        if self.data_rows > MAX_ROWS {
            return;
        }
        match self.row(line, record, first) {
            Ok(row) => self.rows.push(row),
            Err(reason) => self.errors.push(RowError { line, reason }),
        }
    }

    /// Validates one payment row; the error is the row's first problem.
    /// `first` says whether this is the file's first record, the only place a header may be.
    fn row(&mut self, line: u64, record: &csv::ByteRecord, first: bool) -> Result<PayoutRow, String> {
        let fields = utf8_fields(record)?;
        if !(3..=4).contains(&fields.len()) {
            return Err(shape_error(&fields));
        }
        let field = |i: usize| fields.get(i).copied().unwrap_or("");
        if line_looks_like_header(&fields) {
            return Err(if first {
                format!("this looks like a header row, but a header must be exactly {EXPECTED_SHAPE}; fix it or delete it")
            } else {
                "this looks like a header row, but only the first row may be a header; delete it".to_string()
            });
        }

        // The reference is registered before the other fields are checked, so a repeat is
        // caught even when the earlier row has some other error: fixing that error must not
        // reveal a new one on the next run.
        let reference = parse_reference(field(3));
        let earlier = match &reference {
            Ok(Some(text)) => self.register_reference(text, line),
            _ => None,
        };

        let account_text = field(0);
        if account_text.is_empty() {
            return Err("account is empty; write the account to pay".to_string());
        }
        let account = parse_account(account_text).map_err(|_| {
            format!("account `{}` is not valid: give an SS58 address (5…) or 32 bytes of hex (0x + 64 digits)", shown(account_text))
        })?;
        if account == self.payer {
            return Err(format!("row pays the payer itself (`{}`); remove the row or pay from another account", shown(account_text)));
        }
        let amount = parse_amount(field(1))?;
        let asset = parse_asset(field(2))?;
        let reference = reference?;
        if let (Some(text), Some(earlier)) = (&reference, earlier) {
            return Err(format!("reference `{}` is already used on line {earlier}: give each payment its own reference", shown(text)));
        }
        Ok(PayoutRow { line, account, amount, asset, reference })
    }

    /// Records that `reference` is used on `line`; returns the earlier line if it was used
    /// before. The first use keeps its line, so every repeat names the same original.
    fn register_reference(&mut self, reference: &str, line: u64) -> Option<u64> {
        match self.references.get(reference) {
            Some(&earlier) => Some(earlier),
            None => {
                self.references.insert(reference.to_string(), line);
                None
            }
        }
    }

    fn finish(mut self) -> Result<Vec<PayoutRow>, FileError> {
        // The row limit wins over row errors: fixing rows is wasted work on a file that must
        // be split anyway.
        if self.data_rows > MAX_ROWS {
            return Err(FileError::TooManyRows { rows: self.data_rows });
        }
        if !self.errors.is_empty() {
            // Records arrive in file order, but sort anyway so the promise holds even if the
            // reader ever reports an error out of order. Stable, so one line keeps its order.
            self.errors.sort_by_key(|e| e.line);
            return Err(FileError::Rows(self.errors));
        }
        if self.rows.is_empty() {
            return Err(FileError::Empty);
        }
        Ok(self.rows)
    }
}

/// Decodes every field as UTF-8, naming the first field that is not.
fn utf8_fields(record: &csv::ByteRecord) -> Result<Vec<&str>, String> {
    record
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            std::str::from_utf8(bytes).map_err(|_| {
                let name = COLUMNS.get(i).map_or_else(|| format!("field {}", i.saturating_add(1)), |c| format!("the {c}"));
                format!("{name} is not valid UTF-8 text; save the file as UTF-8")
            })
        })
        .collect()
}

/// The error for a row with the wrong number of fields, with a hint at the likely cause.
fn shape_error(fields: &[&str]) -> String {
    let count = fields.len();
    let noun = if count == 1 { "field" } else { "fields" };
    let mut reason = format!("row has {count} {noun}; expected {EXPECTED_SHAPE}");
    // A quote that is never closed swallows the following lines into one field, which then
    // shows up here as a wrong field count far from the real mistake.
    if fields.iter().any(|f| f.contains(['\n', '\r'])) {
        reason.push_str("; a `\"` quote on this line is probably not closed");
    } else if count > 4 {
        reason.push_str("; put a reference that contains a comma in double quotes");
    }
    reason
}

/// Parses the optional reference column: empty means no reference.
fn parse_reference(text: &str) -> Result<Option<String>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    // Line breaks are checked before the length: an unclosed quote makes the reference both
    // long and multi-line, and the quote is the real mistake.
    if text.contains(['\n', '\r']) {
        return Err(
            "reference contains a line break; keep it on one line, and check that every `\"` quote on this line is closed".to_string()
        );
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(format!("reference `{}` contains the control character U+{:04X}; remove it", shown(text), u32::from(c)));
    }
    let len = text.chars().count();
    if len > MAX_REFERENCE_LEN {
        return Err(format!("reference `{}` is {len} characters long; shorten it to at most {MAX_REFERENCE_LEN}", shown(text)));
    }
    Ok(Some(text.to_string()))
}

/// Whether a record is a blank line. Lines of only spaces reach us as one empty field
/// (fields are trimmed); truly empty lines are skipped by the reader itself.
fn is_blank(record: &csv::ByteRecord) -> bool {
    record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty)
}

/// Whether a record is a comment indented by spaces: the reader only treats `#` in the very
/// first column as a comment, and no account starts with `#`.
fn is_indented_comment(record: &csv::ByteRecord) -> bool {
    record.get(0).is_some_and(|f| f.starts_with(b"#"))
}

/// Whether a record is the optional header row, ignoring case.
fn is_header(record: &csv::ByteRecord) -> bool {
    (3..=4).contains(&record.len()) && record.iter().zip(COLUMNS).all(|(field, name)| field.eq_ignore_ascii_case(name.as_bytes()))
}

/// Whether a data row looks like a header: a header pasted in twice, or two files joined.
fn line_looks_like_header(fields: &[&str]) -> bool {
    fields.iter().zip(COLUMNS).take(2).all(|(field, name)| field.eq_ignore_ascii_case(name))
}

/// File content made safe to quote in an error: control and invisible bidirectional
/// characters are escaped, so a crafted file cannot rewrite the operator's terminal or hide
/// text, and long text is cut short.
fn shown(text: &str) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count >= MAX_SHOWN_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() || is_invisible_format(c) {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Zero-width and bidirectional-override characters, which change how text looks without
/// being visible themselves.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// The text of [`FileError::Rows`]: a count, then one indented line per bad row.
fn render_row_errors(errors: &[RowError]) -> String {
    let noun = if errors.len() == 1 { "row" } else { "rows" };
    let mut out = format!("{} bad {noun}; nothing was paid:", errors.len());
    for error in errors {
        // Writing to a String cannot fail.
        let _ = write!(out, "\n  {error}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An account whose 32 bytes are all `n`, and its hex text.
    fn account(n: u8) -> AccountId {
        AccountId([n; 32])
    }

    fn hex_of(n: u8) -> String {
        format!("0x{}", hex::encode([n; 32]))
    }

    const PAYER: u8 = 0xaa;

    fn parse_str(text: &str) -> Result<Vec<PayoutRow>, FileError> {
        parse(text.as_bytes(), account(PAYER))
    }

    /// The row errors of a file that must fail, as `(line, reason)`.
    fn row_errors(text: &str) -> Vec<(u64, String)> {
        match parse_str(text) {
            Err(FileError::Rows(errors)) => errors.into_iter().map(|e| (e.line, e.reason)).collect(),
            other => panic!("expected row errors, got {other:?}"),
        }
    }

    /// The one row error of a file with one bad row; asserts its line.
    fn only_error(text: &str, line: u64) -> String {
        let errors = row_errors(text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, line, "{errors:?}");
        errors[0].1.clone()
    }

    #[test]
    fn good_file_with_header_comments_and_blank_lines() {
        let text = format!(
            "# payout for March\n\
             Account, Amount, Asset, Reference\n\
             \n\
             {a1},1.5,LODE,inv-1\n\
             # a comment between rows\n\
             {a2}, 2 ,native\n\
             \x20\x20\n\
             {a3},0.000000000001,Native,\"inv, with comma\"\n\
             \x20\x20# indented comment\n\
             {a1},10,lode,\n",
            a1 = hex_of(1),
            a2 = hex_of(2),
            a3 = hex_of(3),
        );
        let rows = parse_str(&text).unwrap();
        assert_eq!(
            rows,
            vec![
                PayoutRow { line: 4, account: account(1), amount: 1_500_000_000_000, asset: Asset::Lode, reference: Some("inv-1".into()) },
                PayoutRow { line: 6, account: account(2), amount: 2_000_000_000_000, asset: Asset::Native, reference: None },
                PayoutRow { line: 8, account: account(3), amount: 1, asset: Asset::Native, reference: Some("inv, with comma".into()) },
                PayoutRow { line: 10, account: account(1), amount: 10_000_000_000_000, asset: Asset::Lode, reference: None },
            ]
        );
    }

    #[test]
    fn ss58_accounts_are_read_and_json_rows_follow_the_same_rules() {
        // `subkey inspect //Alice`.
        let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
        let rows = parse_str(&format!("{alice},3,LODE\n")).unwrap();
        assert_eq!(rows[0].account, parse_account(alice).unwrap());

        let good = check_rows([(1, vec![alice, "2.5", "native", "r-1"])], account(PAYER)).unwrap();
        assert_eq!(good[0].amount, 2_500_000_000_000);
        let payer = hex_of(PAYER);
        let bad = check_rows(
            [
                (1, vec![alice, "1", "LODE", "dup"]),
                (2, vec![alice, "1", "LODE", "dup"]),
                (3, vec![payer.as_str(), "1", "LODE"]),
                (4, vec![alice, "0", "LODE"]),
            ],
            account(PAYER),
        );
        let Err(FileError::Rows(errors)) = bad else { panic!("refused: {bad:?}") };
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4], "{errors:?}");
        assert!(errors[0].reason.contains("already used on line 1"), "{errors:?}");
        assert!(errors[1].reason.contains("payer itself"), "{errors:?}");
        assert!(matches!(check_rows(Vec::<(u64, Vec<&str>)>::new(), account(PAYER)), Err(FileError::Empty)));
    }

    #[test]
    fn header_without_reference_column_and_no_header() {
        let with = format!("account,amount,asset\n{},1,LODE\n", hex_of(1));
        assert_eq!(parse_str(&with).unwrap()[0].line, 2);
        let without = format!("{},1,LODE\n", hex_of(1));
        assert_eq!(parse_str(&without).unwrap()[0].line, 1);
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let text = format!("\u{FEFF}account,amount,asset\r\n{},1,LODE\r\n{},2,LODE\r\n", hex_of(1), hex_of(2));
        let rows = parse_str(&text).unwrap();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3]);
    }

    #[test]
    fn multi_line_quoted_field_keeps_physical_lines() {
        // A reference with a quoted line break is refused, and the next row's line number
        // still counts physical lines, not records.
        let text = format!("{},1,LODE,\"a\nb\"\n{},1,LODE,c\n{},x,LODE\n", hex_of(1), hex_of(2), hex_of(3));
        let errors = row_errors(&text);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].0, 1);
        assert!(errors[0].1.contains("line break"), "{errors:?}");
        assert_eq!(errors[1].0, 4);
    }

    #[test]
    fn lone_cr_line_endings() {
        // A comment must end at its lone `\r`, not swallow the rest of the file.
        let text = format!("account,amount,asset\r# comment\r{},1,LODE\r\r{},x,LODE\r", hex_of(1), hex_of(2));
        let reason = only_error(&text, 5);
        assert!(reason.starts_with("amount `x`"), "{reason}");
        let text = format!("# comment\r{},1,LODE\r", hex_of(1));
        assert_eq!(parse_str(&text).unwrap()[0].line, 2);
    }

    #[test]
    fn lines_after_comments_and_blank_lines() {
        // The reader's own line numbers are too early after skipped lines; these pin ours.
        let a = hex_of(1);
        assert_eq!(
            only_error(&format!("\n\n\n{a},x,LODE\n"), 4),
            "amount `x` contains `x`; write plain digits with an optional `.`, e.g. `12.5`"
        );
        only_error(&format!("# a\n# b\r\n\r\n{a},x,LODE\n"), 4);
        only_error(&format!("{a},1,LODE\r\n\r\n# c\r\n{a},x,LODE\r\n"), 4);
        only_error(&format!("{a},1,LODE\n  \n\t\n{a},x,LODE"), 4);
        let errors = row_errors(&format!("{a},1,LODE,\"multi\nline\"\n# c\n{a},x,LODE"));
        assert_eq!(errors.iter().map(|e| e.0).collect::<Vec<_>>(), vec![1, 4]);
    }

    #[test]
    fn later_header_and_first_bad_row() {
        let text = format!("{},1,LODE\naccount,amount,asset\n", hex_of(1));
        assert!(only_error(&text, 2).contains("looks like a header row"));
        // A first row that is almost a header is a data row.
        let reason = only_error("account,amount,assets\n", 1);
        assert!(reason.starts_with("this looks like a header row, but a header must be exactly"), "{reason}");
        let reason = only_error("acct,amount,asset\n", 1);
        assert!(reason.starts_with("account `acct` is not valid"), "{reason}");
    }

    #[test]
    fn wrong_field_counts() {
        let a = hex_of(1);
        let reason = only_error(&format!("{a},1\n"), 1);
        assert_eq!(reason, "row has 2 fields; expected `account,amount,asset` or `account,amount,asset,reference`");
        let reason = only_error(&format!("\n{a}\n"), 2);
        assert!(reason.starts_with("row has 1 field; expected"), "{reason}");
        let reason = only_error(&format!("{a},1,LODE,inv,7\n"), 1);
        assert!(reason.starts_with("row has 5 fields; expected"), "{reason}");
        assert!(reason.ends_with("put a reference that contains a comma in double quotes"), "{reason}");
    }

    #[test]
    fn unclosed_quote_is_reported_at_its_line() {
        let text = format!("{},1,LODE,ok\n{},\"1,LODE\n{},2,LODE\n", hex_of(1), hex_of(2), hex_of(3));
        let reason = only_error(&text, 2);
        assert!(reason.contains("quote on this line is probably not closed"), "{reason}");
    }

    #[test]
    fn bad_accounts() {
        let reason = only_error("0x1234,1,LODE\n", 1);
        assert!(reason.starts_with("account `0x1234` is not valid: "), "{reason}");
        assert!(reason.contains("SS58") && reason.contains("64 digits"), "{reason}");
        let reason = only_error(",1,LODE\n", 1);
        assert_eq!(reason, "account is empty; write the account to pay");
    }

    #[test]
    fn paying_the_payer_is_refused() {
        let text = format!("{},1,LODE\n{},1,LODE\n", hex_of(1), hex_of(PAYER));
        let reason = only_error(&text, 2);
        assert!(reason.contains("pays the payer itself"), "{reason}");
    }

    #[test]
    fn bad_amount_and_asset_in_a_file() {
        let a = hex_of(1);
        let reason = only_error(&format!("{a},1.0000000000001,LODE\n"), 1);
        assert_eq!(reason, "amount `1.0000000000001` has 13 decimal places; LODE and native amounts have at most 12");
        let reason = only_error(&format!("{a},0,LODE\n"), 1);
        assert!(reason.starts_with("amount `0` is zero"), "{reason}");
        let reason = only_error(&format!("{a},1,DOT\n"), 1);
        assert_eq!(reason, "asset `DOT` is not known; write `LODE` or `native`");
        let reason = only_error(&format!("{a},1,\n"), 1);
        assert_eq!(reason, "asset is empty; write `LODE` or `native`");
    }

    #[test]
    fn bad_references() {
        let a = hex_of(1);
        let long = "r".repeat(MAX_REFERENCE_LEN + 1);
        let reason = only_error(&format!("{a},1,LODE,{long}\n"), 1);
        assert!(reason.ends_with("is 129 characters long; shorten it to at most 128"), "{reason}");
        assert!(reason.contains('…'), "long text is cut short: {reason}");
        // Exactly the limit is fine, counted in characters, not bytes.
        let limit = "é".repeat(MAX_REFERENCE_LEN);
        assert_eq!(parse_str(&format!("{a},1,LODE,{limit}\n")).unwrap()[0].reference.as_deref(), Some(limit.as_str()));
        let reason = only_error(&format!("{a},1,LODE,inv\x07x\n"), 1);
        assert_eq!(reason, "reference `inv\\u{0007}x` contains the control character U+0007; remove it");
    }

    #[test]
    fn duplicate_references_name_the_first_line() {
        let text = format!(
            "account,amount,asset,reference\n{a},1,LODE,inv-6\n{a},1,LODE,inv-7\n{b},2,native,inv-7\n{c},3,LODE,inv-7\n{c},3,LODE,INV-7\n",
            a = hex_of(1),
            b = hex_of(2),
            c = hex_of(3),
        );
        let errors = row_errors(&text);
        let expected = "reference `inv-7` is already used on line 3: give each payment its own reference";
        assert_eq!(errors, vec![(4, expected.to_string()), (5, expected.to_string())]);
    }

    #[test]
    fn duplicate_of_a_bad_row_is_still_a_duplicate() {
        let text = format!("{},x,LODE,inv-1\n{},1,LODE,inv-1\n", hex_of(1), hex_of(2));
        let errors = row_errors(&text);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[1], (2, "reference `inv-1` is already used on line 1: give each payment its own reference".into()));
    }

    #[test]
    fn all_errors_are_collected_in_line_order() {
        let text = format!(
            "account,amount,asset,reference\n\
             {good},1,LODE,a\n\
             0xzz,1,LODE\n\
             {good},-1,LODE\n\
             # comment\n\
             {good},1,gold\n\
             {good},1,LODE,a\n\
             {good}\n\
             {payer},1,native\n",
            good = hex_of(1),
            payer = hex_of(PAYER),
        );
        let err = parse_str(&text).unwrap_err();
        let FileError::Rows(errors) = &err else { panic!("{err:?}") };
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![3, 4, 6, 7, 8, 9]);
        let display = err.to_string();
        assert!(display.starts_with("6 bad rows; nothing was paid:\n  line 3: account `0xzz` is not valid: "), "{display}");
        assert!(display.contains("\n  line 4: amount `-1` is negative;"), "{display}");
        assert!(display.contains("\n  line 7: reference `a` is already used on line 2:"), "{display}");
        assert!(display.contains("\n  line 9: row pays the payer itself"), "{display}");
        assert_eq!(display.lines().count(), 7);
    }

    #[test]
    fn one_bad_row_is_singular() {
        let err = parse_str("0x,1,LODE\n").unwrap_err();
        assert!(err.to_string().starts_with("1 bad row; nothing was paid:\n  line 1: "), "{err}");
    }

    #[test]
    fn invalid_utf8_is_an_error_on_its_row_only() {
        let mut bytes = format!("{},1,LODE,ok\n", hex_of(1)).into_bytes();
        bytes.extend_from_slice(format!("{},1,LODE,bad", hex_of(2)).as_bytes());
        bytes.extend_from_slice(b"\xff\xfe\n");
        bytes.extend_from_slice(format!("{},2,LODE\n", hex_of(4)).as_bytes());
        let err = parse(&bytes, account(PAYER)).unwrap_err();
        let FileError::Rows(errors) = err else { panic!("{err:?}") };
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, 2);
        assert_eq!(errors[0].reason, "the reference is not valid UTF-8 text; save the file as UTF-8");

        let mut bytes = format!("{},1,", hex_of(1)).into_bytes();
        bytes.extend_from_slice(b"LOD\xc3\n");
        let errors = match parse(&bytes, account(PAYER)) {
            Err(FileError::Rows(errors)) => errors,
            other => panic!("{other:?}"),
        };
        assert_eq!(errors, vec![RowError { line: 1, reason: "the asset is not valid UTF-8 text; save the file as UTF-8".into() }]);
    }

    #[test]
    fn empty_files() {
        for text in ["", "\n\n", "# only a comment\n", "account,amount,asset,reference\n", "\u{FEFF}", "   \n# x\n"] {
            assert_eq!(parse_str(text), Err(FileError::Empty), "{text:?}");
        }
        assert!(FileError::Empty.to_string().contains("nothing was paid"));
    }

    #[test]
    fn too_many_rows() {
        let row = format!("{},1,LODE\n", hex_of(1));
        let at_limit = row.repeat(MAX_ROWS);
        assert_eq!(parse_str(&at_limit).map(|rows| rows.len()), Ok(MAX_ROWS));
        let over = row.repeat(MAX_ROWS + 2);
        assert_eq!(parse_str(&over), Err(FileError::TooManyRows { rows: MAX_ROWS + 2 }));
        // The limit wins over row errors, and over the bad rows beyond it.
        let over_and_bad = format!("0x,1,LODE\n{}", row.repeat(MAX_ROWS));
        assert_eq!(parse_str(&over_and_bad), Err(FileError::TooManyRows { rows: MAX_ROWS + 1 }));
    }

    #[test]
    fn hostile_text_is_escaped_in_errors() {
        let text = "\u{1b}[2J0x,1,LODE\n\u{202E}gold,1,LODE\n";
        let errors = row_errors(text);
        for (_, reason) in &errors {
            assert!(!reason.chars().any(|c| c.is_control() || is_invisible_format(c)), "{reason:?}");
        }
        assert!(errors[0].1.starts_with("account `\\u{001b}[2J0x` is not valid"), "{errors:?}");
    }

    #[test]
    fn amount_edge_cases() {
        let ok = |text: &str| parse_amount(text).unwrap();
        let err = |text: &str| parse_amount(text).unwrap_err();
        assert_eq!(ok("1"), SCALE);
        assert_eq!(ok("0.000000000001"), 1);
        assert_eq!(ok("1.000000000001"), SCALE + 1);
        assert_eq!(ok("007.50"), 7_500_000_000_000);
        assert_eq!(ok("0.5"), SCALE / 2);
        assert_eq!(err("0"), "amount `0` is zero; every row must pay more than zero, so remove the row");
        assert!(err("0.0").starts_with("amount `0.0` is zero"));
        assert!(err("0.000000000000").starts_with("amount `0.000000000000` is zero"));
        assert_eq!(err("1."), "amount `1.` has no digits after `.`; write `1` or `1.0`");
        assert_eq!(err(".5"), "amount `.5` has no digits before `.`; write `0.5`");
        assert_eq!(err("."), "amount `.` has no digits before `.`; write `0.`");
        assert!(err("-1").starts_with("amount `-1` is negative"));
        assert!(err("+1").starts_with("amount `+1` has a sign"));
        assert_eq!(err("1e3"), "amount `1e3` uses an exponent; write it out in full, e.g. `1000` instead of `1e3`");
        assert!(err("1.5E-3").starts_with("amount `1.5E-3` uses an exponent"));
        assert!(err(" 1").starts_with("amount ` 1` contains a space"));
        assert!(err("1 000").starts_with("amount `1 000` contains a space"));
        assert!(err("1,000").starts_with("amount `1,000` contains `,`; write it without thousands separators"));
        assert!(err("1_000").starts_with("amount `1_000` contains `_`"));
        assert!(err("1.2.3").starts_with("amount `1.2.3` has more than one `.`"));
        assert!(err("12abc").starts_with("amount `12abc` contains `a`; write plain digits"));
        assert!(err("١").starts_with("amount `١` contains `١`"), "non-ASCII digits are refused");
        assert!(err("inf").starts_with("amount `inf` contains `i`"));
        assert_eq!(err(""), "amount is empty; write an amount such as `12.5`");
        assert_eq!(err("1.0000000000001"), "amount `1.0000000000001` has 13 decimal places; LODE and native amounts have at most 12");
    }

    #[test]
    fn amount_limits() {
        let max_text = format_amount(u128::MAX);
        assert_eq!(max_text, "340282366920938463463374607.431768211455");
        assert_eq!(parse_amount(&max_text), Ok(u128::MAX));
        // u128::MAX written as whole units overflows only once scaled.
        let reason = parse_amount("340282366920938463463374607431768211455").unwrap_err();
        assert_eq!(reason, format!("amount `340282366920938463463374607431768211455` is too large; one row can pay at most `{max_text}`"));
        assert!(parse_amount("340282366920938463463374607.431768211456").unwrap_err().contains("is too large"));
        assert!(parse_amount("340282366920938463463374608").unwrap_err().contains("is too large"));
        assert_eq!(parse_amount("340282366920938463463374607"), Ok(340_282_366_920_938_463_463_374_607 * SCALE));
        // Leading zeros never overflow.
        assert_eq!(parse_amount(&format!("{}1", "0".repeat(200))), Ok(SCALE));
        let long = "9".repeat(1000);
        assert!(parse_amount(&long).unwrap_err().contains('…'), "long text is cut short");
    }

    #[test]
    fn format_amount_examples() {
        assert_eq!(format_amount(0), "0");
        assert_eq!(format_amount(1), "0.000000000001");
        assert_eq!(format_amount(SCALE), "1");
        assert_eq!(format_amount(SCALE + SCALE / 2), "1.5");
        assert_eq!(format_amount(10 * SCALE), "10");
        assert_eq!(format_amount(123_456_789_000_000), "123.456789");
    }

    #[test]
    fn asset_names_round_trip() {
        for asset in [Asset::Lode, Asset::Native] {
            assert_eq!(parse_asset(asset_name(asset)), Ok(asset));
            assert_eq!(parse_asset(&asset_name(asset).to_uppercase()), Ok(asset));
            assert_eq!(parse_asset(&asset_name(asset).to_lowercase()), Ok(asset));
        }
        assert_eq!(parse_asset("NaTiVe"), Ok(Asset::Native));
        assert!(parse_asset("LODE ").is_err());
    }

    #[test]
    fn error_display() {
        let e = RowError { line: 7, reason: "bad".into() };
        assert_eq!(e.to_string(), "line 7: bad");
        let e = FileError::TooManyRows { rows: 100_001 };
        assert_eq!(
            e.to_string(),
            "the payout file has 100001 payment rows but at most 100000 are allowed; nothing was paid. Split it into several files"
        );
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(units in 1u128..=u128::MAX) {
            prop_assert_eq!(parse_amount(&format_amount(units)), Ok(units));
        }

        #[test]
        fn canonical_text_round_trips(whole in "0|[1-9][0-9]{0,25}", fraction in proptest::option::of("[0-9]{0,11}[1-9]")) {
            let text = match fraction {
                Some(fraction) => format!("{whole}.{fraction}"),
                None => whole,
            };
            // "0" alone is the only canonical text that is refused, as zero.
            prop_assume!(text != "0");
            let units = parse_amount(&text).map_err(TestCaseError::fail)?;
            prop_assert_eq!(format_amount(units), text);
        }

        #[test]
        fn parse_amount_never_panics(text in "\\PC{0,60}") {
            let _ = parse_amount(&text);
        }

        #[test]
        fn parse_never_panics_and_reports_lines_in_order(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Err(FileError::Rows(errors)) = parse(&bytes, account(PAYER)) {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.windows(2).all(|w| w[0].line <= w[1].line));
                prop_assert!(errors.iter().all(|e| e.line >= 1 && !e.reason.contains('\n')));
            }
        }

        #[test]
        fn line_numbers_match_physical_lines(kinds in proptest::collection::vec((0..7u8, any::<bool>()), 0..40)) {
            // Build a file of known lines and check that exactly the rows expected to be bad
            // are reported, each at the line it was written on.
            let mut text = String::new();
            let mut bad_lines = Vec::new();
            for (i, (kind, crlf)) in kinds.iter().enumerate() {
                let line = u64::try_from(i).unwrap() + 1;
                let body = match kind {
                    0 => String::new(),
                    1 => "  \t".to_string(),
                    2 => "# comment, with \"quote".to_string(),
                    3 => "   # indented".to_string(),
                    4 => format!("{},1,LODE", hex_of(1)),
                    5 => format!("{},1,native,\"ref, {line}\"", hex_of(2)),
                    _ => {
                        bad_lines.push(line);
                        format!("{},{line}x,LODE", hex_of(3))
                    }
                };
                text.push_str(&body);
                text.push_str(if *crlf { "\r\n" } else { "\n" });
            }
            match parse_str(&text) {
                Err(FileError::Rows(errors)) => prop_assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), bad_lines),
                Ok(_) | Err(FileError::Empty) => prop_assert!(bad_lines.is_empty()),
                Err(other) => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn good_rows_parse_back(amounts in proptest::collection::vec(1u128..=u128::MAX, 1..20)) {
            let text: String = amounts
                .iter()
                .enumerate()
                .map(|(i, units)| format!("{},{},native,ref-{i}\n", hex_of(1), format_amount(*units)))
                .collect();
            let rows = parse_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(rows.iter().map(|r| r.amount).collect::<Vec<_>>(), amounts);
            prop_assert!(rows.iter().enumerate().all(|(i, r)| r.line == u64::try_from(i).unwrap() + 1));
        }
    }
}
