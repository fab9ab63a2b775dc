//! `[schedule]`: named periodic jobs as cron expressions with seconds, in
//! tokio-cron-scheduler's format. Duties look their job up by name.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use tokio_cron_scheduler::Job;

use super::text::{deserialize_as_text, TextValue};

/// The example in messages.
const EXAMPLE: &str = "\"0 */5 * * * *\" (every five minutes)";

/// A job's name: letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct JobName(String);

/// Not a job name.
#[derive(Debug, thiserror::Error)]
#[error("\"{0}\" is not a job name; use 1 to 64 letters, digits, `-` and `_`")]
pub struct BadJobName(String);

impl JobName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for JobName {
    type Err = BadJobName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let ok = (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(JobName(text.to_owned()))
        } else {
            Err(BadJobName(text.escape_debug().to_string()))
        }
    }
}

// Orders as the `String` inside, so map look-ups by `&str` agree with `Ord`.
impl Borrow<str> for JobName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TextValue for JobName {
    const EXPECTING: &'static str = "a job name";
}

deserialize_as_text!(JobName);

/// A cron expression that tokio-cron-scheduler accepts: six fields, seconds first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSchedule(String);

/// Not a cron expression the scheduler accepts.
#[derive(Debug, thiserror::Error)]
#[error("\"{text}\" is not a cron schedule{hint}; give 6 fields, second minute hour day-of-month month day-of-week, e.g. {EXAMPLE}")]
pub struct BadCronSchedule {
    text: String,
    hint: String,
}

impl CronSchedule {
    /// The expression, as `tokio_cron_scheduler::Job::new` takes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CronSchedule {
    type Err = BadCronSchedule;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // The scheduler's own parser, so that what passes here also schedules.
        if Job::new(text, |_, _| {}).is_ok() {
            return Ok(CronSchedule(text.to_owned()));
        }
        let fields = text.split_whitespace().count();
        let hint = if fields == 5 { " (it has 5 fields: add the second first)".to_owned() } else { String::new() };
        Err(BadCronSchedule { text: text.escape_debug().to_string(), hint })
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TextValue for CronSchedule {
    const EXPECTING: &'static str = "a cron expression with seconds, such as \"0 */5 * * * *\"";
}

deserialize_as_text!(CronSchedule);

/// The named jobs, each with its schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Schedule(BTreeMap<JobName, CronSchedule>);

impl Schedule {
    /// The schedule of the job `name`, if the config sets one.
    pub fn get(&self, name: &str) -> Option<&CronSchedule> {
        self.0.get(name)
    }

    /// All jobs, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&JobName, &CronSchedule)> {
        self.0.iter()
    }

    /// Whether no job is scheduled.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_field_cron_expressions_parse() {
        for good in ["0 */5 * * * *", "*/10 * * * * *", "0 0 3 * * Mon"] {
            assert_eq!(good.parse::<CronSchedule>().unwrap().as_str(), good);
        }
    }

    #[test]
    fn bad_expressions_say_what_is_accepted() {
        let five = "*/5 * * * *".parse::<CronSchedule>().unwrap_err().to_string();
        assert!(five.contains("5 fields") && five.contains("6 fields"), "{five}");
        for bad in ["", "every minute", "99 * * * * *"] {
            let e = bad.parse::<CronSchedule>().unwrap_err().to_string();
            assert!(e.contains("is not a cron schedule"), "{bad}: {e}");
        }
    }

    #[test]
    fn job_names_are_plain() {
        assert!("reconcile".parse::<JobName>().is_ok());
        assert!("daily-report_2".parse::<JobName>().is_ok());
        for bad in ["", "a b", "a.b", &"x".repeat(65)] {
            assert!(bad.parse::<JobName>().is_err(), "{bad}");
        }
    }
}
