//! A payees file for `lode deploy --payees`: one `account,share` per line
//! (SS58 or 0x hex; `#` starts a comment), checked whole before anything is
//! deployed.

use std::path::Path;

use lode_splitter::MAX_PAYEES;

use crate::chain::AccountId;
use crate::keys::{parse_account, ss58};

/// A bad payees file: the first problem, by line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct BadPayees {
    file: String,
    problem: String,
}

/// Reads `path`: payees and their shares, in file order.
pub fn read(path: &Path) -> Result<Vec<(AccountId, u32)>, BadPayees> {
    let bad = |problem: String| BadPayees { file: path.display().to_string(), problem };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    parse(&text).map_err(bad)
}

fn parse(text: &str) -> Result<Vec<(AccountId, u32)>, String> {
    let mut payees: Vec<(AccountId, u32)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let Some((account, share)) = content.split_once(',') else {
            return Err(format!("line {line}: expected `account,share`, found {content:?}"));
        };
        let account = parse_account(account).map_err(|e| format!("line {line}: {e}"))?;
        let share: u32 = share
            .trim()
            .parse()
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| format!("line {line}: the share {:?} is not a whole number from 1 to {}", share.trim(), u32::MAX))?;
        if let Some(first) = payees.iter().position(|(a, _)| *a == account) {
            return Err(format!("line {line}: {} is already payee {}; list each payee once", ss58(&account), first + 1));
        }
        if account == AccountId([0; 32]) {
            return Err(format!("line {line}: the zero account cannot be paid"));
        }
        payees.push((account, share));
    }
    if payees.is_empty() {
        return Err("no payees; give one `account,share` per line".into());
    }
    if payees.len() > MAX_PAYEES {
        return Err(format!("{} payees, more than the splitter's {MAX_PAYEES}", payees.len()));
    }
    Ok(payees)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

    #[test]
    fn reads_ss58_and_hex_with_comments_and_blank_lines() {
        let text = format!("# who, share\n{ALICE}, 3\n\n0x{} ,1 # the other\n", "01".repeat(32));
        let payees = parse(&text).unwrap();
        assert_eq!(payees.len(), 2);
        assert_eq!(payees[0].1, 3);
        assert_eq!(payees[1], (AccountId([1; 32]), 1));
    }

    #[test]
    fn each_bad_line_is_named_with_its_reason() {
        let hex = |b: u8| format!("0x{}", hex::encode([b; 32]));
        for (text, says) in [
            (format!("{ALICE}\n"), "line 1: expected `account,share`"),
            ("nobody,1\n".to_owned(), "line 1: "),
            (format!("{ALICE},0\n"), "line 1: the share \"0\" is not a whole number"),
            (format!("{ALICE},-2\n"), "line 1: the share \"-2\""),
            (format!("{},1\n{},2\n", hex(1), hex(1)), "line 2: "),
            (format!("{},1\n", hex(0)), "line 1: the zero account"),
            ("# nothing\n".to_owned(), "no payees"),
            ((1..=201u8).map(|i| format!("{},1\n", hex(i))).collect::<String>(), "201 payees, more than the splitter's 200"),
        ] {
            let err = parse(&text).expect_err(&text);
            assert!(err.contains(says), "{err} should say {says}");
        }
    }
}
