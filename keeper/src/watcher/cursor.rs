//! Where the watcher keeps its resume point, so a restart delivers what it
//! missed.

use crate::chain::BlockRef;

/// The watcher's persisted position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The last block announced as confirmed. A restart announces every
    /// canonical block after it.
    pub confirmed: BlockRef,
    /// The last finalized block seen.
    pub finalized: Option<BlockRef>,
}

/// Persistence for the cursor; the SQL store implements it.
#[async_trait::async_trait]
pub trait CursorStore: Send + Sync {
    /// The saved cursor, if any.
    async fn load(&self) -> Result<Option<Cursor>, Box<dyn std::error::Error + Send + Sync>>;
    /// Replaces the saved cursor.
    async fn save(&self, cursor: &Cursor) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}
