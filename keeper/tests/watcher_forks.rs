//! The watcher against scripted block trees: a dev node cannot fork, so fork
//! switches, gaps and finality are driven by a source that serves exactly the
//! tree a test builds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lode_keeper::chain::{Block, BlockHash, BlockInfo, BlockSource, ChainError, Head, HeadStream};
use lode_keeper::runtime::shutdown;
use lode_keeper::watcher::{ChainNotification, Confirmation, Notifications, Watcher, WatcherMetrics};
use proptest::prelude::*;
use tokio::sync::{broadcast, mpsc};

/// A block tree served over the [`BlockSource`] interface.
#[derive(Default)]
struct ScriptedSource {
    state: Mutex<Tree>,
}

#[derive(Default)]
struct Tree {
    blocks: HashMap<BlockHash, Block>,
    best: Option<BlockInfo>,
    finalized: Option<BlockInfo>,
    follower: Option<mpsc::UnboundedSender<Result<Head, ChainError>>>,
    follows: u32,
}

impl ScriptedSource {
    fn add(&self, info: BlockInfo) {
        self.state.lock().unwrap().blocks.insert(info.hash, Block { info, events: Vec::new() });
    }

    /// Makes `head` the best block and announces it, unless `silent` (a
    /// notification lost on the way).
    fn set_best(&self, head: BlockInfo, silent: bool) {
        let mut t = self.state.lock().unwrap();
        t.best = Some(head);
        if !silent {
            if let Some(f) = &t.follower {
                let _ = f.send(Ok(Head::Best(head)));
            }
        }
    }

    fn set_finalized(&self, block: BlockInfo) {
        let mut t = self.state.lock().unwrap();
        t.finalized = Some(block);
        if let Some(f) = &t.follower {
            let _ = f.send(Ok(Head::Finalized(block)));
        }
    }

    /// Ends the current subscription, as a dropped connection does.
    fn drop_subscription(&self) {
        self.state.lock().unwrap().follower = None;
    }

    fn follows(&self) -> u32 {
        self.state.lock().unwrap().follows
    }
}

#[async_trait::async_trait]
impl BlockSource for ScriptedSource {
    async fn head(&self) -> Result<BlockInfo, ChainError> {
        self.state.lock().unwrap().best.ok_or(ChainError::Stopped)
    }
    async fn finalized(&self) -> Result<BlockInfo, ChainError> {
        self.state.lock().unwrap().finalized.ok_or(ChainError::Stopped)
    }
    async fn block(&self, hash: BlockHash) -> Result<Option<Block>, ChainError> {
        Ok(self.state.lock().unwrap().blocks.get(&hash).cloned())
    }
    async fn block_hash(&self, _number: u64) -> Result<Option<BlockHash>, ChainError> {
        Err(ChainError::BadInput("the watcher must not look blocks up by number".into()))
    }
    async fn follow(&self) -> Result<HeadStream, ChainError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut t = self.state.lock().unwrap();
        t.follower = Some(tx);
        t.follows += 1;
        Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|h| (h, rx)) })))
    }
}

/// Builds the tree: each block's hash is unique, made from a counter.
struct Builder {
    source: Arc<ScriptedSource>,
    next_id: u64,
    /// The canonical chain, from genesis.
    best: Vec<BlockInfo>,
    finalized: usize,
    /// Under a depth rule, the highest block the watcher may have confirmed:
    /// forks must start above it.
    depth: Option<usize>,
    floor: usize,
}

impl Builder {
    fn new() -> Self {
        let source = Arc::new(ScriptedSource::default());
        let genesis = BlockInfo { number: 0, hash: [0xff; 32], parent_hash: [0; 32], timestamp_ms: 0 };
        source.add(genesis);
        source.set_best(genesis, true);
        source.set_finalized(genesis);
        Builder { source, next_id: 1, best: vec![genesis], finalized: 0, depth: None, floor: 0 }
    }

    fn child(&mut self, parent: BlockInfo) -> BlockInfo {
        let mut hash = [0u8; 32];
        hash[..8].copy_from_slice(&self.next_id.to_le_bytes());
        self.next_id += 1;
        let info = BlockInfo { number: parent.number + 1, hash, parent_hash: parent.hash, timestamp_ms: parent.number * 6_000 };
        self.source.add(info);
        info
    }

    fn tip(&self) -> BlockInfo {
        *self.best.last().unwrap()
    }

    fn apply(&mut self, op: Op) {
        self.apply_op(op);
        if let Some(depth) = self.depth {
            self.floor = self.floor.max(self.best.len().saturating_sub(1 + depth));
        }
    }

    fn apply_op(&mut self, op: Op) {
        match op {
            Op::Extend { blocks, silent } => {
                for _ in 0..blocks {
                    let b = self.child(self.tip());
                    self.best.push(b);
                }
                self.source.set_best(self.tip(), silent);
            }
            Op::Fork { back, len } => {
                let anchor = self.best.len().saturating_sub(1 + back).max(self.finalized).max(self.floor);
                self.best.truncate(anchor + 1);
                for _ in 0..len {
                    let b = self.child(self.tip());
                    self.best.push(b);
                }
                self.source.set_best(self.tip(), false);
            }
            Op::Finalize { back } => {
                let at = self.best.len().saturating_sub(1 + back).max(self.finalized);
                self.finalized = at;
                self.source.set_finalized(self.best[at]);
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Extend { blocks: usize, silent: bool },
    Fork { back: usize, len: usize },
    Finalize { back: usize },
}

fn op(max_back: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1..4usize, proptest::bool::weighted(0.3)).prop_map(|(blocks, silent)| Op::Extend { blocks, silent }),
        2 => (0..=max_back, 1..6usize).prop_map(|(back, len)| Op::Fork { back, len }),
        2 => (0..4usize).prop_map(|back| Op::Finalize { back }),
    ]
}

/// What duties would conclude from the notifications.
#[derive(Debug, Default)]
struct Replay {
    canonical: Vec<BlockInfo>,
    confirmed: Vec<BlockInfo>,
    finalized: Vec<BlockInfo>,
    reorgs: usize,
}

impl Replay {
    fn apply(&mut self, n: ChainNotification) {
        match n {
            ChainNotification::NewBlock(b) => {
                if let Some(tip) = self.canonical.last() {
                    assert_eq!(b.info.parent_hash, tip.hash, "a new block extends the tip");
                }
                self.canonical.push(b.info);
            }
            ChainNotification::Reorg { retracted, enacted } => {
                self.reorgs += 1;
                assert!(!retracted.is_empty());
                for r in &retracted {
                    assert_eq!(self.canonical.pop().as_ref(), Some(r), "retracted blocks are the tip, newest first");
                }
                for b in enacted {
                    if let Some(tip) = self.canonical.last() {
                        assert_eq!(b.info.parent_hash, tip.hash, "enacted blocks connect");
                    }
                    self.canonical.push(b.info);
                }
            }
            ChainNotification::Confirmed(b) => {
                if let Some(last) = self.confirmed.last() {
                    assert_eq!(b.info.number, last.number + 1, "confirmations come once per height, in order");
                    assert_eq!(b.info.parent_hash, last.hash);
                }
                self.confirmed.push(b.info);
            }
            ChainNotification::Finalized(f) => {
                if let Some(last) = self.finalized.last() {
                    assert!(f.number > last.number, "finality never goes back or repeats");
                }
                self.finalized.push(f);
            }
        }
    }
}

fn watcher(source: &Arc<ScriptedSource>, rule: Confirmation) -> (Watcher, broadcast::Receiver<ChainNotification>) {
    let out = Notifications::default();
    let rx = out.subscribe();
    let w = Watcher::new(source.clone(), out, rule, None, WatcherMetrics::default());
    (w, rx)
}

/// Drains notifications until the replayed tip is the tree's best block
/// (when `tip` asks for it: a lost announcement leaves the watcher behind
/// until the next one) and finality has reached the tree's.
async fn settle(rx: &mut broadcast::Receiver<ChainNotification>, replay: &mut Replay, tree: &Builder, tip: bool) {
    let want_tip = tree.tip();
    let want_final = tree.best[tree.finalized];
    tokio::time::timeout(Duration::from_secs(3), async {
        while (tip && replay.canonical.last() != Some(&want_tip)) || replay.finalized.last().map_or(0, |f| f.number) < want_final.number {
            replay.apply(rx.recv().await.expect("the watcher publishes"));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the watcher did not reach {want_tip:?} / final {want_final:?}; it has {:?}", replay.canonical.last()));
}

fn run_script(ops: Vec<Op>, rule: Confirmation) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut tree = Builder::new();
        if let Confirmation::Depth(d) = rule {
            tree.depth = Some(d as usize);
        }
        let first = tree.child(tree.tip());
        tree.best.push(first);
        tree.source.set_best(first, true);
        let (mut w, mut rx) = watcher(&tree.source, rule);
        let (stopper, mut shutdown, _drain) = shutdown::channel();
        let task = tokio::spawn(async move { w.watch(&mut shutdown).await });
        let mut replay = Replay::default();
        settle(&mut rx, &mut replay, &tree, true).await;
        for op in ops {
            tree.apply(op);
            settle(&mut rx, &mut replay, &tree, !matches!(op, Op::Extend { silent: true, .. } | Op::Finalize { .. })).await;
        }
        // A lost notification is made good by the next one.
        tree.apply(Op::Extend { blocks: 1, silent: false });
        settle(&mut rx, &mut replay, &tree, true).await;
        stopper.fire();
        task.await.unwrap().expect("the watcher stops cleanly");

        // The replayed chain is the tree's canonical chain from the first block delivered.
        let start = replay.canonical[0].number as usize;
        assert_eq!(replay.canonical, tree.best[start..].to_vec(), "duties see exactly the canonical chain");
        // Confirmed blocks are canonical, and under finality all final.
        for c in &replay.confirmed {
            assert_eq!(tree.best.get(c.number as usize), Some(c), "confirmed blocks stay canonical");
        }
        if let (Confirmation::Finality, Some(last)) = (rule, replay.confirmed.last()) {
            assert!(last.number <= tree.best[tree.finalized].number);
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_fork_trees_under_finality(ops in proptest::collection::vec(op(6), 1..40)) {
        run_script(ops, Confirmation::Finality);
    }

    /// Under a depth rule, forks start above the confirmed depth (deeper ones
    /// are refused: see the next test).
    #[test]
    fn random_fork_trees_under_a_depth_rule(ops in proptest::collection::vec(op(6), 1..40)) {
        run_script(ops, Confirmation::Depth(3));
    }
}

#[tokio::test]
async fn a_fork_below_a_confirmed_block_stops_the_watcher_with_a_clear_error() {
    let mut tree = Builder::new();
    tree.apply(Op::Extend { blocks: 5, silent: true });
    let (mut w, _rx) = watcher(&tree.source, Confirmation::Depth(1));
    let (_stopper, mut shutdown, _drain) = shutdown::channel();
    let source = tree.source.clone();
    let task = tokio::spawn(async move { w.watch(&mut shutdown).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    tree.apply(Op::Extend { blocks: 3, silent: false });
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Fork off 4 blocks back: block tip-1 was confirmed at depth 1.
    tree.apply(Op::Fork { back: 4, len: 6 });
    let err = tokio::time::timeout(Duration::from_secs(5), task).await.expect("the watcher stops").unwrap().unwrap_err();
    assert!(err.to_string().contains("already confirmed or final"), "{err}");
    assert_eq!(source.follows(), 1);
}

#[tokio::test]
async fn a_dropped_subscription_is_followed_again_and_the_gap_filled() {
    let mut tree = Builder::new();
    let (mut w, mut rx) = watcher(&tree.source, Confirmation::Finality);
    let (stopper, mut shutdown, _drain) = shutdown::channel();
    let task = tokio::spawn(async move { w.watch(&mut shutdown).await });
    let mut replay = Replay::default();
    tree.apply(Op::Extend { blocks: 1, silent: false });
    settle(&mut rx, &mut replay, &tree, true).await;
    tree.source.drop_subscription();
    // Blocks while nobody listens, including a fork.
    tree.apply(Op::Extend { blocks: 4, silent: true });
    tree.apply(Op::Fork { back: 2, len: 3 });
    tree.apply(Op::Finalize { back: 1 });
    settle(&mut rx, &mut replay, &tree, true).await;
    assert_eq!(tree.source.follows(), 2, "followed again once");
    let start = replay.canonical[0].number as usize;
    assert_eq!(replay.canonical, tree.best[start..].to_vec());
    assert_eq!(replay.confirmed.last(), Some(&tree.best[tree.finalized]), "confirmed up to finality");
    stopper.fire();
    task.await.unwrap().unwrap();
}
