//! The PSP22 token standard's error type, shared by the token that returns it
//! and the contracts that call a PSP22 token and decode its answers.

use alloc::string::String;

/// Kept apart so one lint allowance covers only derive output: for enum variants
/// that carry data, parity-scale-codec's derive emits `index as u8`, which
/// `contract-build`'s mandatory `-D clippy::cast_possible_truncation` reports as
/// our code. Indices here are 0..=5.
#[allow(clippy::cast_possible_truncation)]
mod error {
    use super::String;

    /// The standard PSP22 error type (same variants and order as the PSP22
    /// standard, so encodings match other PSP22 tokens).
    #[derive(Debug, PartialEq, Eq, Clone, scale::Encode, scale::Decode, scale_info::TypeInfo)]
    pub enum PSP22Error {
        /// Custom error type for implementation-based errors.
        Custom(String),
        /// Returned when an account does not have enough tokens to complete the operation.
        InsufficientBalance,
        /// Returned if there is not enough allowance to complete the operation.
        InsufficientAllowance,
        /// Returned if recipient's address is zero.
        ZeroRecipientAddress,
        /// Returned if sender's address is zero.
        ZeroSenderAddress,
        /// Returned if a safe transfer check failed.
        SafeTransferCheckFailed(String),
    }
}

pub use error::PSP22Error;
