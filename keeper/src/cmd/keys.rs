//! `lode keys`: create, import, list and inspect the keeper's V3 keystores.
//!
//! Secrets never come from the command line, where they would land in shell
//! history and `ps`: a hex secret is read from a file or stdin, passwords from a
//! file, an environment variable or the terminal.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use alloy_primitives::Address;
use anyhow::{bail, Context, Result};
use zeroize::{Zeroize, Zeroizing};

use crate::chain::AccountId;
use crate::keys::{secret_bytes, ss58, KeyFile, Keystore, KeystoreError, PasswordSource, SecretInput, Signer, PASSWORD_ENV};

/// A hex secret is 66 characters at most; anything far larger is the wrong file.
const MAX_SECRET_FILE_BYTES: u64 = 4096;

/// Options of `lode keys`.
#[derive(Debug, Clone, clap::Args)]
pub struct KeysArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: KeysCommand,
}

/// `lode keys` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum KeysCommand {
    /// Generate a key and write it to an encrypted keystore, `<dir>/<name>.json`.
    New(NewArgs),
    /// Import a secret key from a hex file (or stdin) or from another keystore.
    Import(ImportArgs),
    /// List the keystores in a directory, without decrypting them.
    List(ListArgs),
    /// Decrypt a keystore and print its chain account and Ethereum address.
    Address(AddressArgs),
}

/// Where the password comes from. Without either option: the environment
/// variable `LODE_KEYSTORE_PASSWORD` if set, else the terminal.
#[derive(Debug, Clone, clap::Args)]
pub struct PasswordArgs {
    /// Read the keystore password from this file (one trailing newline is dropped).
    /// Without this or --password-env: $LODE_KEYSTORE_PASSWORD if set, else the terminal.
    #[arg(long, value_name = "FILE", conflicts_with = "password_env")]
    pub password_file: Option<PathBuf>,
    /// Read the keystore password from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

impl PasswordArgs {
    /// The source these options name.
    pub fn source(&self) -> PasswordSource {
        match (&self.password_file, &self.password_env) {
            (Some(file), _) => PasswordSource::File(file.clone()),
            (None, Some(var)) => PasswordSource::Env(var.clone()),
            (None, None) if std::env::var_os(PASSWORD_ENV).is_some() => PasswordSource::Env(PASSWORD_ENV.to_owned()),
            (None, None) => PasswordSource::Prompt,
        }
    }
}

/// Options of `lode keys new`.
#[derive(Debug, Clone, clap::Args)]
pub struct NewArgs {
    /// The key's name: the file is `<dir>/<name>.json`.
    pub name: String,
    /// The keystore directory (created, mode 0700, if missing).
    #[arg(long, value_name = "DIR", default_value = "keys")]
    pub dir: PathBuf,
    /// The new keystore's password.
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Options of `lode keys import`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("secret").required(true).args(["secret_file", "from_keystore"])))]
pub struct ImportArgs {
    /// The key's name: the file is `<dir>/<name>.json`.
    pub name: String,
    /// The keystore directory (created, mode 0700, if missing).
    #[arg(long, value_name = "DIR", default_value = "keys")]
    pub dir: PathBuf,
    /// Read the secret key, 64 hex digits with or without 0x, from this file; `-`: stdin.
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    /// Take the key from this V3 keystore (geth, eth-account, alloy or lode).
    #[arg(long, value_name = "FILE")]
    pub from_keystore: Option<PathBuf>,
    /// The source keystore's password file (default: asked on the terminal).
    #[arg(long, value_name = "FILE", requires = "from_keystore", conflicts_with = "from_password_env")]
    pub from_password_file: Option<PathBuf>,
    /// The environment variable holding the source keystore's password.
    #[arg(long, value_name = "VAR", requires = "from_keystore")]
    pub from_password_env: Option<String>,
    /// The new keystore's password.
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Options of `lode keys list`.
#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    /// The keystore directory.
    #[arg(long, value_name = "DIR", default_value = "keys")]
    pub dir: PathBuf,
}

/// Options of `lode keys address`.
#[derive(Debug, Clone, clap::Args)]
pub struct AddressArgs {
    /// The keystore file.
    pub file: PathBuf,
    /// Its password.
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Runs `lode keys`.
pub fn run(args: KeysArgs) -> Result<()> {
    match args.command {
        KeysCommand::New(args) => new(&args),
        KeysCommand::Import(args) => import(&args),
        KeysCommand::List(args) => list(&args),
        KeysCommand::Address(args) => address(&args),
    }
}

fn new(args: &NewArgs) -> Result<()> {
    refuse_existing(&args.dir, &args.name)?;
    let password = args.password.source().resolve_new()?;
    let written = Keystore::new_key(&args.dir, &args.name, &password)?;
    print_written("created", &written);
    Ok(())
}

fn import(args: &ImportArgs) -> Result<()> {
    refuse_existing(&args.dir, &args.name)?;
    let secret = match (&args.secret_file, &args.from_keystore) {
        (Some(file), _) => SecretInput::Hex(read_secret(file)?),
        (None, Some(source)) => {
            let from = match (&args.from_password_file, &args.from_password_env) {
                (Some(file), _) => PasswordSource::File(file.clone()),
                (None, Some(var)) => PasswordSource::Env(var.clone()),
                (None, None) => {
                    if std::io::stdin().is_terminal() {
                        eprintln!("The password of {}:", source.display());
                    }
                    PasswordSource::Prompt
                }
            };
            SecretInput::keystore(source, from.resolve()?)
        }
        // clap requires one of the two.
        (None, None) => bail!("give --secret-file <file> or --from-keystore <file>"),
    };
    let new_source = args.password.source();
    if new_source == PasswordSource::Prompt && std::io::stdin().is_terminal() {
        eprintln!("The password of the new keystore {}:", Keystore::path_of(&args.dir, &args.name).display());
    }
    let password = new_source.resolve_new()?;
    let written = Keystore::import(&args.dir, &args.name, &secret, &password)?;
    print_written("imported into", &written);
    Ok(())
}

fn list(args: &ListArgs) -> Result<()> {
    let entries = Keystore::list(&args.dir)?;
    if entries.is_empty() {
        println!("no keystores in {}", args.dir.display());
        return Ok(());
    }
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    for entry in &entries {
        let what = match &entry.address {
            Ok(Some(address)) => format!("{address}"),
            Ok(None) => "(no address recorded)".to_owned(),
            Err(e) => format!("broken: {e}"),
        };
        println!("{:<width$}  {what}  {}", entry.name, entry.path.display());
    }
    // The chain account is blake2 of the public key, which only decryption gives.
    eprintln!("note: these are Ethereum addresses; `lode keys address <file>` decrypts a keystore and shows its SS58 chain account");
    Ok(())
}

fn address(args: &AddressArgs) -> Result<()> {
    // Checked before asking for a password that would be wasted.
    if let Err(e) = std::fs::metadata(&args.file) {
        return Err(KeystoreError::io(&args.file)(e).into());
    }
    let password = args.password.source().resolve()?;
    let key = Keystore::open(&args.file, &password)?;
    let label = args.file.file_stem().map_or_else(|| "key".to_owned(), |s| s.to_string_lossy().into_owned());
    let signer = Signer::from_secret(label, &secret_bytes(&key))?;
    let ethereum = alloy_signer::utils::secret_key_to_address(&key);
    println!("keystore {}", args.file.display());
    print_accounts(&signer.account_id(), &ethereum);
    Ok(())
}

fn print_written(verb: &str, written: &KeyFile) {
    println!("{verb} {}", written.path.display());
    print_accounts(&AccountId(written.account), &written.address);
}

fn print_accounts(account: &AccountId, ethereum: &Address) {
    println!("  account (SS58):   {}", ss58(account));
    println!("  account (hex):    {account}");
    println!("  Ethereum address: {ethereum}");
}

/// Fails early, before any password is asked, if the keystore would be overwritten.
fn refuse_existing(dir: &Path, name: &str) -> Result<()> {
    let path = Keystore::path_of(dir, name);
    if path.symlink_metadata().is_ok() {
        return Err(KeystoreError::Exists { path }.into());
    }
    Ok(())
}

/// The hex secret from `file`, or from stdin for `-` (without echo on a terminal).
/// Messages never quote what was read.
fn read_secret(file: &Path) -> Result<Zeroizing<String>> {
    if file == Path::new("-") {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            let typed = rpassword::prompt_password("Secret key (64 hex digits, not echoed): ")
                .context("reading the secret key from the terminal")?;
            return Ok(Zeroizing::new(typed));
        }
        return read_limited(stdin.lock(), "stdin");
    }
    let meta = std::fs::metadata(file).map_err(KeystoreError::io(file))?;
    if !meta.is_file() {
        bail!("secret file {} is not a regular file; give a file holding the key as 64 hex digits", file.display());
    }
    let handle = std::fs::File::open(file).map_err(KeystoreError::io(file))?;
    read_limited(handle, &file.display().to_string())
}

fn read_limited(reader: impl Read, name: &str) -> Result<Zeroizing<String>> {
    // Capacity for the whole limit up front, so the buffer never reallocates and
    // leaves an unwiped copy of the secret behind.
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_SECRET_FILE_BYTES as usize + 1));
    reader.take(MAX_SECRET_FILE_BYTES + 1).read_to_end(&mut bytes).with_context(|| format!("reading the secret key from {name}"))?;
    if bytes.len() as u64 > MAX_SECRET_FILE_BYTES {
        bail!("{name} is over {MAX_SECRET_FILE_BYTES} bytes, too large to hold a secret key; give a file with just the 64 hex digits");
    }
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            e.into_bytes().zeroize();
            bail!("{name} is not text; write the secret key as 64 hex digits")
        }
    }
}
