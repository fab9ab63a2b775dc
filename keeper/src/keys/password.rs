//! Keystore passwords and where they come from.
//!
//! A password lives in a [`Zeroizing`] string so that it is wiped when dropped,
//! and it never prints: `Debug` shows `Password(***)` and there is no `Display`.

use std::fmt;
use std::io::IsTerminal;
use std::path::PathBuf;

use zeroize::Zeroizing;

use super::KeystoreError;

/// The environment variable that error messages suggest for the password.
pub const PASSWORD_ENV: &str = "LODE_KEYSTORE_PASSWORD";

/// A keystore password. Wiped from memory on drop; never printed.
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a password. The `String` is moved in, so no unwiped copy is left
    /// behind by this call (a `&str` argument is copied and the original is the
    /// caller's to wipe).
    pub fn new(password: impl Into<String>) -> Self {
        Password(Zeroizing::new(password.into()))
    }

    /// Whether the password is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Where to get a keystore password from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// Ask on the terminal, without echo. Fails when stdin is not a terminal.
    Prompt,
    /// Read it from this environment variable, as is.
    Env(String),
    /// Read it from this file; one trailing newline (`\n` or `\r\n`) is dropped.
    File(PathBuf),
}

impl PasswordSource {
    /// The password for an existing keystore.
    pub fn resolve(&self) -> Result<Password, KeystoreError> {
        self.resolve_with(std::io::stdin().is_terminal(), false)
    }

    /// The password for a new keystore: on a terminal it is asked twice and the
    /// two must match. Emptiness is checked by [`super::Keystore::new_key`] and
    /// [`super::Keystore::import`], whatever the source.
    pub fn resolve_new(&self) -> Result<Password, KeystoreError> {
        self.resolve_with(std::io::stdin().is_terminal(), true)
    }

    // `stdin_is_tty` is a parameter so tests do not depend on how they were run.
    fn resolve_with(&self, stdin_is_tty: bool, confirm: bool) -> Result<Password, KeystoreError> {
        match self {
            PasswordSource::Prompt => prompt(stdin_is_tty, confirm),
            PasswordSource::Env(var) => from_env(var),
            PasswordSource::File(path) => from_file(path),
        }
    }
}

fn prompt(stdin_is_tty: bool, confirm: bool) -> Result<Password, KeystoreError> {
    if !stdin_is_tty {
        return Err(KeystoreError::Password(format!(
            "cannot prompt for the keystore password: stdin is not a terminal; pass --password-file <file> or set {PASSWORD_ENV}"
        )));
    }
    let first = ask("Keystore password: ")?;
    if confirm {
        let again = ask("Repeat the password: ")?;
        if first.0 != again.0 {
            return Err(KeystoreError::Password("the two passwords differ; run the command again".into()));
        }
    }
    Ok(first)
}

fn ask(prompt: &str) -> Result<Password, KeystoreError> {
    rpassword::prompt_password(prompt).map(Password::new).map_err(|e| {
        KeystoreError::Password(format!("reading the password from the terminal failed ({e}); try again, or use --password-file"))
    })
}

fn from_env(var: &str) -> Result<Password, KeystoreError> {
    match std::env::var(var) {
        Ok(value) => Ok(Password::new(value)),
        Err(std::env::VarError::NotPresent) => Err(KeystoreError::Password(format!(
            "environment variable {var} is not set; set it to the keystore password, or use --password-file"
        ))),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(KeystoreError::Password(format!("environment variable {var} is not valid UTF-8; set it to the keystore password")))
        }
    }
}

fn from_file(path: &std::path::Path) -> Result<Password, KeystoreError> {
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| KeystoreError::Password(format!("cannot read password file {}: {e}; check --password-file", path.display())))?,
    );
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| KeystoreError::Password(format!("password file {} is not UTF-8 text; write the password as text", path.display())))?;
    // Editors and `echo` add one newline; anything more is part of the password.
    let text = text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n')).unwrap_or(text);
    Ok(Password::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_password(contents: &[u8]) -> Result<Password, KeystoreError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, contents).unwrap();
        PasswordSource::File(path).resolve()
    }

    #[test]
    fn file_drops_exactly_one_trailing_newline() {
        assert_eq!(file_password(b"hunter2\n").unwrap().as_bytes(), b"hunter2");
        assert_eq!(file_password(b"hunter2\r\n").unwrap().as_bytes(), b"hunter2");
        assert_eq!(file_password(b"hunter2\n\n").unwrap().as_bytes(), b"hunter2\n");
        assert_eq!(file_password(b"hunter2").unwrap().as_bytes(), b"hunter2");
        assert_eq!(file_password(b" hunter2 \n").unwrap().as_bytes(), b" hunter2 ");
    }

    #[test]
    fn missing_or_binary_password_file_is_a_clear_error() {
        let missing = PasswordSource::File("/nonexistent/lode/pw".into()).resolve().unwrap_err().to_string();
        assert!(missing.contains("/nonexistent/lode/pw") && missing.contains("--password-file"), "{missing}");
        let binary = file_password(&[0xff, 0xfe]).unwrap_err().to_string();
        assert!(binary.contains("not UTF-8"), "{binary}");
    }

    #[test]
    fn env_reads_the_variable_and_names_it_when_missing() {
        let var = "LODE_KEYSTORE_TEST_PASSWORD_PRESENT";
        std::env::set_var(var, "from env\n");
        assert_eq!(PasswordSource::Env(var.into()).resolve().unwrap().as_bytes(), b"from env\n");
        std::env::remove_var(var);

        let missing = "LODE_KEYSTORE_TEST_PASSWORD_UNSET";
        let msg = PasswordSource::Env(missing.into()).resolve().unwrap_err().to_string();
        assert!(msg.contains(missing) && msg.contains("not set"), "{msg}");
    }

    #[test]
    fn prompt_without_a_terminal_says_what_to_use_instead() {
        let msg = PasswordSource::Prompt.resolve_with(false, false).unwrap_err().to_string();
        assert!(msg.contains("--password-file") && msg.contains(PASSWORD_ENV), "{msg}");
    }

    #[test]
    fn debug_hides_the_password() {
        let shown = format!("{:?}", Password::new("hunter2"));
        assert_eq!(shown, "Password(***)");
    }
}
