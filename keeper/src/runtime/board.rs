//! Each duty's state, for `/status` and `lode status`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

/// Where a duty stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DutyState {
    /// Doing its work.
    Running,
    /// Failed; runs again after a pause.
    Restarting {
        /// Which restart this will be.
        attempt: u32,
        /// Why it failed.
        error: String,
    },
    /// Returned after shutdown, or with its work done.
    Stopped,
    /// Failed for good.
    Failed {
        /// Why.
        error: String,
    },
}

/// Shared board of duty states, written by the supervisor.
#[derive(Debug, Clone, Default)]
pub struct DutyBoard {
    states: Arc<Mutex<BTreeMap<&'static str, DutyState>>>,
    notes: Arc<Mutex<BTreeMap<&'static str, String>>>,
}

impl DutyBoard {
    /// Records `duty`'s state.
    pub fn set(&self, duty: &'static str, state: DutyState) {
        self.states.lock().unwrap_or_else(PoisonError::into_inner).insert(duty, state);
    }

    /// Every duty's state, by name.
    pub fn snapshot(&self) -> BTreeMap<&'static str, DutyState> {
        self.states.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Records what `duty` is doing now, for people (`/status`'s `progress`).
    pub fn note(&self, duty: &'static str, text: String) {
        self.notes.lock().unwrap_or_else(PoisonError::into_inner).insert(duty, text);
    }

    /// Every duty's latest note, by name.
    pub fn notes(&self) -> BTreeMap<&'static str, String> {
        self.notes.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}
