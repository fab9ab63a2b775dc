//! Writing a new keystore file: mode 0600, never over an existing file, and never
//! seen half-written.
//!
//! alloy writes keystores with `File::create`, which follows the umask (usually
//! 0644) and truncates whatever is at the path. So alloy writes into a private
//! 0700 staging directory next to the destination; the final contents go to a
//! 0600 file there, which is then hard-linked into place. `link(2)` fails if the
//! name exists, so two writers cannot overwrite each other either.

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::KeystoreError;

/// A private directory beside the destination, removed when dropped.
pub(crate) struct Stage {
    dir: PathBuf,
}

impl Stage {
    /// The file name alloy is told to write inside the stage.
    pub(crate) const ALLOY_FILE: &'static str = "alloy.json";

    /// Creates `dir` (0700, with parents) if missing, then a fresh hidden stage
    /// in it. An existing `dir` keeps its permissions.
    pub(crate) fn new(dir: &Path, name: &str) -> Result<Self, KeystoreError> {
        DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(KeystoreError::io(dir))?;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let unique = format!(".{name}.json.{}-{}.tmp", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let stage = dir.join(unique);
        DirBuilder::new().mode(0o700).create(&stage).map_err(KeystoreError::io(&stage))?;
        Ok(Stage { dir: stage })
    }

    /// The directory alloy writes into.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `contents` to `dest` with mode 0600; fails with
    /// [`KeystoreError::Exists`] if anything is already there.
    pub(crate) fn publish(&self, contents: &[u8], dest: &Path) -> Result<(), KeystoreError> {
        let staged = self.dir.join("final.json");
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&staged).map_err(KeystoreError::io(&staged))?;
        file.write_all(contents).and_then(|()| file.sync_all()).map_err(KeystoreError::io(&staged))?;
        std::fs::hard_link(&staged, dest).map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => KeystoreError::Exists { path: dest.to_path_buf() },
            _ => KeystoreError::Io { path: dest.to_path_buf(), source },
        })?;
        // The new name must survive a crash too; a failure here loses nothing now.
        if let Some(parent) = dest.parent() {
            let _ = std::fs::File::open(parent).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        // Holds at most an encrypted keystore; a leftover is hidden and harmless.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
