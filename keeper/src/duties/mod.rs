//! The keeper's duties, one module each. Each implements
//! [`crate::runtime::Duty`].

pub mod console;
pub mod demo;
pub mod heartbeat;
pub mod mining;
pub mod settle;
