//! Blocks of cells: the memory of [`Shared`](super::Shared) values of up to
//! [`CELL`] bytes (every actor's shared cell is one).
//!
//! A block is [`BLOCK`] bytes aligned to its size, so a cell finds its
//! block's header by masking its own address. It holds a header and
//! [`CELLS`] cells.
//!
//! Each thread carves cells out of its own current block ([`Carver`]):
//! first the cells it took back, then the ones never handed out, then it
//! takes back every cell freed since it last looked; when none is left, it
//! abandons the block and starts a new one. Any thread frees a cell by
//! pushing it onto its block's stack of freed cells. A block goes back to
//! the allocator when it is abandoned and its last cell is freed.
//!
//! So a thread that makes and frees actors in turn keeps reusing the cells
//! of one block. Memory is held longer only when a block is abandoned with
//! cells in use: a cell that outlives every other cell of its block keeps
//! the block's 16 KiB.
//!
//! # Invariants
//!
//! - `live` is the number of the block's cells that are not on its freed
//!   stack: handed out (and not yet freed) or held by the carver, plus
//!   [`ABANDONED`] once the carver let the block go. Every cell is counted
//!   before it is handed out, and counted out by its free after it is on
//!   the stack. So once the block is abandoned nothing raises `live` again,
//!   and `live == ABANDONED` means nobody holds a cell: whichever operation
//!   (a free, or the abandon) brings it there frees the block, once.
//! - Any thread pushes onto the freed stack; only the carver takes from it,
//!   and always the whole stack at once (a swap), so a push never races
//!   with a pop of the cell under it (no ABA).
//! - A cell's first word links the freed stack; it is written only after
//!   the value in the cell was dropped and its memory released.
//!
//! # Soundness
//!
//! The block is a raw allocation; the header is written when the block is
//! made and dropped when it is freed. Cells are disjoint ranges of the
//! block, each handed out to one owner at a time (the invariants above),
//! and each large and aligned enough for the layouts that [`fits`] accepts.

use std::alloc::{self, Layout};
use std::cell::RefCell;
use std::ptr::{self, NonNull};

use crate::loom::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// The size and alignment of a block.
pub(crate) const BLOCK: usize = 16 << 10;
/// The room of one cell: an actor's cell with its two counts.
pub(crate) const CELL: usize = 192;
/// The header's room: one cache line, so cells start on lines.
const HEADER: usize = 64;
/// Cells per block.
pub(crate) const CELLS: usize = (BLOCK - HEADER) / CELL;
/// In `live`: the carver let the block go.
const ABANDONED: usize = 1 << (usize::BITS - 1);

/// A block's header, at its start.
struct Header {
    live: AtomicUsize,
    /// The freed stack, linked through the cells' first word.
    freed: AtomicPtr<Free>,
}

/// A cell on the freed stack.
struct Free {
    next: *mut Free,
}

/// Whether a value with this layout is carved from blocks. Never under
/// `--cfg actor_loom`: the models build their own blocks.
pub(crate) fn fits(layout: Layout) -> bool {
    !cfg!(actor_loom) && layout.size() <= CELL && layout.align() <= HEADER
}

fn block_layout() -> Layout {
    // A power of two, far below `isize::MAX`.
    Layout::from_size_align(BLOCK, BLOCK).expect("block layout")
}

/// A fresh block whose header counts `live` cells.
fn new_block(live: usize) -> NonNull<Header> {
    // SAFETY: a non-zero size.
    let raw = unsafe { alloc::alloc(block_layout()) };
    let Some(block) = NonNull::new(raw.cast::<Header>()) else { alloc::handle_alloc_error(block_layout()) };
    // SAFETY: fresh memory, aligned for the header.
    unsafe { block.write(Header { live: AtomicUsize::new(live), freed: AtomicPtr::new(ptr::null_mut()) }) };
    block
}

/// Frees a block nobody holds a cell of.
///
/// # Safety
///
/// `block` came from `new_block` and its `live` reached `ABANDONED`.
unsafe fn free_block(block: NonNull<Header>) {
    // SAFETY: the caller's; the header was written by `new_block`.
    unsafe {
        ptr::drop_in_place(block.as_ptr());
        alloc::dealloc(block.as_ptr().cast(), block_layout());
    }
}

/// The `i`th cell of `block`.
fn cell(block: NonNull<Header>, i: usize) -> NonNull<u8> {
    debug_assert!(i < CELLS);
    // SAFETY: `HEADER + i * CELL + CELL <= BLOCK`: inside the block.
    unsafe { block.cast::<u8>().add(HEADER + i * CELL) }
}

/// The block `cell` belongs to.
fn block_of(cell: NonNull<u8>) -> NonNull<Header> {
    let at = cell.as_ptr() as usize & !(BLOCK - 1);
    // The block's start: below the cell, so not null.
    cell.with_addr(std::num::NonZeroUsize::new(at).expect("block address")).cast()
}

/// The header of a block whose cells are still counted.
///
/// # Safety
///
/// The caller holds a cell of `block`, or is its carver.
unsafe fn header<'a>(block: NonNull<Header>) -> &'a Header {
    // SAFETY: the caller's: the block is not freed meanwhile.
    unsafe { block.as_ref() }
}

/// One thread's current block.
pub(crate) struct Carver {
    block: Option<NonNull<Header>>,
    /// The next cell never handed out.
    untouched: usize,
    /// Cells taken back from the freed stack, not handed out again yet.
    taken: *mut Free,
    taken_len: usize,
}

impl Carver {
    pub(crate) const fn new() -> Self {
        Carver { block: None, untouched: CELLS, taken: ptr::null_mut(), taken_len: 0 }
    }

    /// A cell, counted in its block.
    pub(crate) fn carve(&mut self) -> NonNull<u8> {
        loop {
            let Some(block) = self.block else {
                self.block = Some(new_block(CELLS));
                self.untouched = 0;
                continue;
            };
            if let Some(free) = NonNull::new(self.taken) {
                // SAFETY: a cell of the stack this carver took: its link is
                // what its freer wrote (the take's `Acquire`).
                self.taken = unsafe { free.as_ref().next };
                self.taken_len -= 1;
                return free.cast();
            }
            if self.untouched < CELLS {
                self.untouched += 1;
                return cell(block, self.untouched - 1);
            }
            // SAFETY: this carver's block.
            let header = unsafe { header(block) };
            // `Acquire`: pairs with the pushes' `Release`, so the freers'
            // last uses of the cells and their links come before reuse.
            let taken = header.freed.swap(ptr::null_mut(), Ordering::Acquire);
            if !taken.is_null() {
                let mut len = 0;
                let mut at = taken;
                while !at.is_null() {
                    len += 1;
                    // SAFETY: a cell of the stack just taken.
                    at = unsafe { (*at).next };
                }
                // `Relaxed`: the cells are counted back in before they are
                // handed out; the count's last step is `AcqRel`.
                header.live.fetch_add(len, Ordering::Relaxed);
                self.taken = taken;
                self.taken_len = len;
                continue;
            }
            self.abandon();
        }
    }

    /// Lets the current block go. True if this freed it (nobody held a
    /// cell of it).
    pub(crate) fn abandon(&mut self) -> bool {
        let Some(block) = self.block.take() else { return false };
        let unissued = CELLS - self.untouched + self.taken_len;
        (self.taken, self.taken_len, self.untouched) = (ptr::null_mut(), 0, CELLS);
        // SAFETY: this carver's block, until the line below lets it go.
        let header = unsafe { header(block) };
        // `AcqRel`: the last step of the count frees the block, after every
        // other step (see `release`). `unissued <= live`, so this adds
        // `ABANDONED` and subtracts what the carver held.
        let before = header.live.fetch_add(ABANDONED - unissued, Ordering::AcqRel);
        if before + ABANDONED - unissued == ABANDONED {
            // SAFETY: abandoned, and nobody holds a cell.
            unsafe { free_block(block) };
            return true;
        }
        false
    }
}

impl Drop for Carver {
    fn drop(&mut self) {
        self.abandon();
    }
}

/// Gives a cell back to its block. True if this freed the block.
///
/// # Safety
///
/// `cell` came from [`Carver::carve`] (or [`alloc`]), is freed once, and
/// nothing uses its memory any more.
pub(crate) unsafe fn release(cell: NonNull<u8>) -> bool {
    let block = block_of(cell);
    // SAFETY: the caller holds a cell of the block until the count below.
    let header = unsafe { header(block) };
    let free = cell.cast::<Free>().as_ptr();
    let mut head = header.freed.load(Ordering::Relaxed);
    loop {
        // SAFETY: the cell is the caller's, and large enough for a link.
        unsafe { (*free).next = head };
        // `Release`: the link and the caller's last uses of the cell come
        // before the carver's `Acquire` take; `Relaxed` on failure, which
        // only retries.
        match header.freed.compare_exchange_weak(head, free, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => break,
            Err(now) => head = now,
        }
    }
    // `AcqRel`: whoever frees the block (this free or another, or the
    // abandon) does so after every other step of the count.
    if header.live.fetch_sub(1, Ordering::AcqRel) == ABANDONED + 1 {
        // SAFETY: abandoned, and this was the last cell held.
        unsafe { free_block(block) };
        return true;
    }
    false
}

thread_local! {
    static CARVER: RefCell<Carver> = const { RefCell::new(Carver::new()) };
}

/// Memory for a value with this layout.
pub(crate) fn alloc(layout: Layout) -> NonNull<u8> {
    if fits(layout) {
        // The thread is exiting and its carver is gone: a block of its own,
        // abandoned at once, with one cell out.
        return CARVER.try_with(|c| c.borrow_mut().carve()).unwrap_or_else(|_| cell(new_block(ABANDONED + 1), 0));
    }
    // SAFETY: `Counted` has two counts: never zero-sized.
    let raw = unsafe { alloc::alloc(layout) };
    NonNull::new(raw).unwrap_or_else(|| alloc::handle_alloc_error(layout))
}

/// Frees memory from [`alloc`].
///
/// # Safety
///
/// `ptr` came from `alloc(layout)`, is freed once, and nothing uses it any
/// more.
pub(crate) unsafe fn dealloc(ptr: NonNull<u8>, layout: Layout) {
    if fits(layout) {
        // SAFETY: the caller's; carved, since it fits.
        unsafe { release(ptr) };
    } else {
        // SAFETY: the caller's.
        unsafe { alloc::dealloc(ptr.as_ptr(), layout) };
    }
}

#[cfg(all(test, not(actor_loom)))]
mod tests {
    use std::collections::HashSet;
    use std::ptr::NonNull;

    use super::{CELLS, Carver, release};

    /// Cell addresses can cross threads in the tests.
    struct Cells(Vec<NonNull<u8>>);

    // SAFETY: the tests hand each cell to one thread, which frees it.
    unsafe impl Send for Cells {}

    fn free_all(cells: Cells) -> usize {
        // SAFETY: each cell was carved and is freed once, unused.
        cells.0.into_iter().filter(|&c| unsafe { release(c) }).count()
    }

    // Freed cells must be handed out again by their block's carver, or a
    // thread that spawns and stops actors in turn keeps taking new blocks.
    #[test]
    fn freed_cells_are_reused() {
        let mut carver = Carver::new();
        let first: Vec<_> = (0..CELLS).map(|_| carver.carve()).collect();
        let addresses: HashSet<_> = first.iter().copied().collect();
        assert_eq!(addresses.len(), CELLS, "a cell was handed out twice");
        assert_eq!(free_all(Cells(first)), 0, "freed a block its carver holds");
        let again: Vec<_> = (0..CELLS).map(|_| carver.carve()).collect();
        assert!(again.iter().all(|c| addresses.contains(c)), "took a new block while the old one had room");
        assert_eq!(free_all(Cells(again)), 0);
        assert!(carver.abandon(), "the abandon of an unused block must free it");
    }

    // Every block is freed exactly once, whether its last cell or its
    // abandon comes last, with cells freed on other threads.
    #[test]
    fn blocks_are_freed_once_by_the_last_of_their_users() {
        let mut carver = Carver::new();
        let cells: Vec<_> = (0..10 * CELLS + 7).map(|_| carver.carve()).collect();
        let blocks = 11;
        let (odd, even): (Vec<_>, Vec<_>) = cells.into_iter().enumerate().partition(|(i, _)| i % 2 == 1);
        let [odd, even] = [odd, even].map(|v| Cells(v.into_iter().map(|(_, c)| c).collect()));
        let other = std::thread::spawn(move || free_all(odd));
        let mut freed = free_all(even);
        freed += other.join().expect("freeing thread");
        // The carver still holds the last block.
        assert_eq!(freed, blocks - 1);
        assert!(carver.abandon());
    }

    // A block abandoned with a cell out is freed by that cell's release.
    #[test]
    fn the_last_cell_out_frees_an_abandoned_block() {
        let mut carver = Carver::new();
        let cell = carver.carve();
        assert!(!carver.abandon(), "freed a block with a cell out");
        // SAFETY: carved above, freed once.
        assert!(unsafe { release(cell) });
    }
}
