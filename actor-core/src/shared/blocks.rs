//! Blocks of cells: the memory of [`Shared`](super::Shared) values of up to
//! [`CELL`] bytes (every actor's shared cell is one).
//!
//! A block is [`BLOCK`] bytes aligned to its size, so a cell finds its
//! block's header by masking its own address. It holds a header and
//! [`CELLS`] cells.
//!
//! Each thread carves cells out of its own current block ([`Carver`]):
//! first the cells it took back, then the ones never handed out, then it
//! takes back every cell freed since it last looked. When none is left, it
//! abandons the block and adopts one from the [`Adoptable`] list, or else
//! starts a new one. Any thread frees a cell by pushing it onto its block's
//! stack of freed cells. An abandoned block goes on the adoptable list once
//! at most half its cells are in use ([`LIST_AT`]), and back to the
//! allocator once none is.
//!
//! So a thread that makes and frees actors in turn keeps reusing the cells
//! of one block, and the cells freed in abandoned blocks are reused too: a
//! block is held for a few long-lived cells only while no thread needs a
//! block.
//!
//! # Invariants
//!
//! - `live` counts the block's cells that are not on its freed stack:
//!   handed out (and not yet freed) or held by the carver, which pushes
//!   those it still holds onto the stack when it lets the block go. (A
//!   block made for one cell when a thread's carver is gone is the
//!   exception: it is never listed, and goes with that cell.) So an
//!   adopted block has every free cell on its stack. Its [`ABANDONED`]
//!   bit says no carver holds the block, its [`LISTED`] bit that the block
//!   is on the adoptable list (only an abandoned block is). Every cell is
//!   counted before it is handed out, and counted out by its free after it
//!   is on the stack, so while a block is abandoned its count only falls.
//! - Whoever brings the count of an abandoned block to zero (a free, or the
//!   abandon) frees the block, once, after unlinking it if it was listed:
//!   nobody holds a cell and no carver holds it.
//! - The `LISTED` bit changes under the adoptable list's lock only, with
//!   the list itself: listing (a free or an abandon that leaves between one
//!   and `LIST_AT` cells held in an abandoned block), taking the last cell
//!   of a listed block (which unlinks it, then frees it) and adoption
//!   (which unlinks it and clears both bits). The abandon sets `ABANDONED`,
//!   under the lock only when it lists the block; a step that only moves
//!   the count takes no lock. So a listed block is never freed while on
//!   the list, and the lock orders its unlinking against its adoption.
//! - Any thread pushes onto the freed stack; only the block's carver takes
//!   from it, and always the whole stack at once (a swap), so a push never
//!   races with a pop of the cell under it (no ABA).
//! - A cell's first word links the freed stack; it is written only after
//!   the value in the cell was dropped and its memory released.
//!
//! # Soundness
//!
//! The block is a raw allocation; the header is written when the block is
//! made and dropped when it is freed. Cells are disjoint ranges of the
//! block, each handed out to one owner at a time (the invariants above),
//! and each large and aligned enough for the layouts that [`fits`] accepts.
//! A step reads the header only while its caller holds a cell of the block,
//! carves from it, or holds the list's lock with the block on the list.

use std::alloc::{self, Layout};
use std::ptr::{self, NonNull};

use crate::loom::cell::UnsafeCell;
use crate::loom::lock;
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// The size and alignment of a block.
pub(crate) const BLOCK: usize = 16 << 10;
/// The room of one cell: an actor's cell with its two counts.
pub(crate) const CELL: usize = 192;
/// The header's room: one cache line, so cells start on lines.
const HEADER: usize = 64;
/// Cells per block.
pub(crate) const CELLS: usize = (BLOCK - HEADER) / CELL;
/// An abandoned block with at most this many cells in use is listed for
/// adoption.
pub(crate) const LIST_AT: usize = CELLS / 2;
/// In `live`: no carver holds the block.
const ABANDONED: usize = 1 << (usize::BITS - 1);
/// In `live`: the block is on the adoptable list.
const LISTED: usize = 1 << (usize::BITS - 2);
/// In `live`: the count of cells.
const COUNT: usize = LISTED - 1;

/// A block's header, at its start.
struct Header {
    live: AtomicUsize,
    /// The freed stack, linked through the cells' first word.
    freed: AtomicPtr<Free>,
    /// The adoptable list's links, under its lock.
    prev: UnsafeCell<*mut Header>,
    next: UnsafeCell<*mut Header>,
}

/// A cell on the freed stack.
struct Free {
    next: *mut Free,
}

/// Whether a value with this layout is carved from blocks. (Under
/// `--cfg actor_loom` none is: the models build their own blocks.)
#[cfg(not(actor_loom))]
pub(crate) fn fits(layout: Layout) -> bool {
    layout.size() <= CELL && layout.align() <= HEADER
}

fn block_layout() -> Layout {
    // A power of two, far below `isize::MAX`.
    Layout::from_size_align(BLOCK, BLOCK).expect("block layout")
}

/// A fresh block whose header counts `live`.
fn new_block(live: usize) -> NonNull<Header> {
    // SAFETY: a non-zero size.
    let raw = unsafe { alloc::alloc(block_layout()) };
    let Some(block) = NonNull::new(raw.cast::<Header>()) else { alloc::handle_alloc_error(block_layout()) };
    let header = Header {
        live: AtomicUsize::new(live),
        freed: AtomicPtr::new(ptr::null_mut()),
        prev: UnsafeCell::new(ptr::null_mut()),
        next: UnsafeCell::new(ptr::null_mut()),
    };
    // SAFETY: fresh memory, aligned for the header.
    unsafe { block.write(header) };
    block
}

/// Frees a block nobody holds a cell of.
///
/// # Safety
///
/// `block` came from `new_block` and its `live` reached `ABANDONED` (or,
/// with `LISTED`, it was then unlinked).
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

/// The header of a block.
///
/// # Safety
///
/// The block is not freed while the reference is used (see the module's
/// soundness section).
unsafe fn header<'a>(block: NonNull<Header>) -> &'a Header {
    // SAFETY: the caller's.
    unsafe { block.as_ref() }
}

/// Abandoned blocks with room, for carvers to adopt: a list linked through
/// the blocks' headers.
pub(crate) struct Adoptable {
    first: Mutex<Links>,
}

/// The first listed block.
struct Links(*mut Header);

// SAFETY: the pointer is only followed under the list's lock, to blocks
// that stay allocated while listed.
unsafe impl Send for Links {}

impl Adoptable {
    #[cfg(not(actor_loom))]
    pub(crate) const fn new() -> Self {
        Adoptable { first: Mutex::new(Links(ptr::null_mut())) }
    }

    #[cfg(actor_loom)]
    pub(crate) fn new() -> Self {
        Adoptable { first: Mutex::new(Links(ptr::null_mut())) }
    }

    /// True if no block is listed.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        lock(&self.first).0.is_null()
    }

    /// Takes a listed block and makes it the caller's: both bits cleared,
    /// its count kept.
    fn adopt(&self) -> Option<NonNull<Header>> {
        let mut first = lock(&self.first);
        let block = NonNull::new(first.0)?;
        // SAFETY: listed, under the lock.
        unsafe { unlink(&mut first, block) };
        // SAFETY: as above; from here the caller carves from it.
        let header = unsafe { header(block) };
        // `AcqRel`: after the frees that counted cells out (their stack
        // pushes come before, and the carver's take is `Acquire` anyway).
        header.live.fetch_sub(ABANDONED | LISTED, Ordering::AcqRel);
        Some(block)
    }
}

/// Links `block` first in the list.
///
/// # Safety
///
/// Under the list's lock (`first`), with `block` alive and on no list.
unsafe fn link(first: &mut Links, block: NonNull<Header>) {
    // SAFETY: the caller's; links are touched under the lock only.
    unsafe {
        let header = header(block);
        header.prev.with_mut(|p| *p = ptr::null_mut());
        header.next.with_mut(|n| *n = first.0);
        if let Some(old) = NonNull::new(first.0) {
            self::header(old).prev.with_mut(|p| *p = block.as_ptr());
        }
    }
    first.0 = block.as_ptr();
}

/// Takes `block` off the list.
///
/// # Safety
///
/// Under the list's lock (`first`), with `block` on the list.
unsafe fn unlink(first: &mut Links, block: NonNull<Header>) {
    // SAFETY: the caller's; listed blocks stay allocated.
    unsafe {
        let header = header(block);
        let (prev, next) = (header.prev.with(|p| *p), header.next.with(|n| *n));
        match NonNull::new(prev) {
            Some(prev) => self::header(prev).next.with_mut(|n| *n = next),
            None => first.0 = next,
        }
        if let Some(next) = NonNull::new(next) {
            self::header(next).prev.with_mut(|p| *p = prev);
        }
    }
}

/// Applies `step` to `block`'s `live`, with the list and the bits kept in
/// step (see the module's invariants). True if this freed the block.
///
/// # Safety
///
/// The caller holds a cell of the block, or carves from it, and gives that
/// up with this step.
unsafe fn settle(block: NonNull<Header>, list: &Adoptable, step: impl Fn(usize) -> usize) -> bool {
    // SAFETY: the caller's hold keeps the block until the step lands;
    // after it, only the lock (for a listed block) or the block's own
    // decision to free it keep it.
    let header = unsafe { header(block) };
    let mut guard = None;
    let mut now = header.live.load(Ordering::Relaxed);
    loop {
        let mut next = step(now);
        let count = next & COUNT;
        let list_it = next & (ABANDONED | LISTED) == ABANDONED && (1..=LIST_AT).contains(&count);
        let unlist_it = next & LISTED != 0 && count == 0;
        if list_it {
            next |= LISTED;
        }
        if (list_it || unlist_it) && guard.is_none() {
            guard = Some(lock(&list.first));
            now = header.live.load(Ordering::Relaxed);
            continue;
        }
        // `AcqRel`: the step that frees the block comes after every other
        // step (and the uses of the cells before them).
        match header.live.compare_exchange_weak(now, next, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => {
                if let Some(first) = guard.as_mut() {
                    if list_it {
                        // SAFETY: under the lock; listed by this step, so on
                        // no list yet, and kept alive by the bit.
                        unsafe { link(first, block) };
                    } else if unlist_it {
                        // SAFETY: under the lock; listed until now.
                        unsafe { unlink(first, block) };
                    }
                }
                drop(guard);
                if next & ABANDONED != 0 && count == 0 {
                    // SAFETY: abandoned, no cell held, on no list.
                    unsafe { free_block(block) };
                    return true;
                }
                return false;
            }
            Err(seen) => now = seen,
        }
    }
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

    /// True if the current block has no cell left that was never handed
    /// out: it was adopted, or this carver used it up once.
    #[cfg(test)]
    pub(crate) fn is_reusing(&self) -> bool {
        self.block.is_some() && self.untouched == CELLS
    }

    /// A cell, counted in its block.
    pub(crate) fn carve(&mut self, list: &Adoptable) -> NonNull<u8> {
        let mut adopted = false;
        loop {
            let Some(block) = self.block else {
                match list.adopt() {
                    // Its free cells are all on its stack, taken below.
                    Some(block) => {
                        self.block = Some(block);
                        adopted = true;
                    }
                    None => {
                        self.block = Some(new_block(CELLS));
                        self.untouched = 0;
                    }
                }
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
            // A listed block has at least half its cells on its stack; one
            // with none would be listed again and adopted again, forever.
            debug_assert!(!(adopted && taken.is_null()), "an adopted block had no free cell");
            if !taken.is_null() {
                let mut len = 0;
                let mut at = taken;
                while !at.is_null() {
                    len += 1;
                    // SAFETY: a cell of the stack just taken.
                    at = unsafe { (*at).next };
                }
                // `Relaxed`: the cells are counted back in before they are
                // handed out; the steps that decide are `AcqRel`.
                header.live.fetch_add(len, Ordering::Relaxed);
                self.taken = taken;
                self.taken_len = len;
                continue;
            }
            self.abandon(list);
        }
    }

    /// Lets the current block go. True if this freed it (nobody held a
    /// cell of it).
    pub(crate) fn abandon(&mut self, list: &Adoptable) -> bool {
        let Some(block) = self.block.take() else { return false };
        let unissued = CELLS - self.untouched + self.taken_len;
        // The cells it holds unissued go on the freed stack, as one chain:
        // whoever adopts the block finds every free cell there.
        let (mut first, mut last) = (self.taken, self.taken);
        // SAFETY: the taken cells and their links (null-ended, as the stack
        // they came from), this carver's.
        while !last.is_null() && unsafe { !(*last).next.is_null() } {
            // SAFETY: as above.
            last = unsafe { (*last).next };
        }
        for i in self.untouched..CELLS {
            let free = cell(block, i).cast::<Free>().as_ptr();
            // SAFETY: a cell never handed out, this carver's.
            unsafe { (*free).next = first };
            first = free;
            if last.is_null() {
                last = free;
            }
        }
        (self.taken, self.taken_len, self.untouched) = (ptr::null_mut(), 0, CELLS);
        // SAFETY: this carver's block, until the step below.
        let header = unsafe { header(block) };
        if !first.is_null() {
            push_freed(header, first, last);
        }
        // SAFETY: this carver's block, given up by this step. The cells it
        // held unissued are counted out (`unissued <= count`).
        unsafe { settle(block, list, |live| live + ABANDONED - unissued) }
    }
}

/// Gives a cell back to its block. True if this freed the block.
///
/// # Safety
///
/// `cell` came from [`Carver::carve`] (or [`alloc`]), is freed once, and
/// nothing uses its memory any more.
pub(crate) unsafe fn release(cell: NonNull<u8>, list: &Adoptable) -> bool {
    let block = block_of(cell);
    // SAFETY: the caller holds a cell of the block until the step below.
    let header = unsafe { header(block) };
    let free = cell.cast::<Free>().as_ptr();
    push_freed(header, free, free);
    // SAFETY: the caller's cell, counted out by this step.
    unsafe { settle(block, list, |live| live - 1) }
}

/// Pushes the chain of cells `first` to `last` (linked through their first
/// word) onto the block's freed stack. The cells are the caller's, their
/// memory unused.
fn push_freed(header: &Header, first: *mut Free, last: *mut Free) {
    let mut head = header.freed.load(Ordering::Relaxed);
    loop {
        // SAFETY: the last cell is the caller's, large enough for a link.
        unsafe { (*last).next = head };
        // `Release`: the links and the caller's last uses of the cells come
        // before the carver's `Acquire` take; `Relaxed` on failure, which
        // only retries.
        match header.freed.compare_exchange_weak(head, first, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => break,
            Err(now) => head = now,
        }
    }
}

/// The process's adoptable blocks.
#[cfg(not(actor_loom))]
static ADOPTABLE: Adoptable = Adoptable::new();

/// This thread's carver, which abandons its block when the thread exits.
#[cfg(not(actor_loom))]
struct ThreadCarver(Carver);

#[cfg(not(actor_loom))]
impl Drop for ThreadCarver {
    fn drop(&mut self) {
        self.0.abandon(&ADOPTABLE);
    }
}

#[cfg(not(actor_loom))]
thread_local! {
    static CARVER: std::cell::RefCell<ThreadCarver> =
        const { std::cell::RefCell::new(ThreadCarver(Carver::new())) };
}

/// Memory for a value with this layout.
pub(crate) fn alloc(layout: Layout) -> NonNull<u8> {
    #[cfg(not(actor_loom))]
    if fits(layout) {
        // The thread is exiting and its carver is gone: a block of its own,
        // abandoned at once, with one cell out.
        return CARVER
            .try_with(|c| c.borrow_mut().0.carve(&ADOPTABLE))
            .unwrap_or_else(|_| cell(new_block(ABANDONED + 1), 0));
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
    #[cfg(not(actor_loom))]
    if fits(layout) {
        // SAFETY: the caller's; carved, since it fits.
        unsafe { release(ptr, &ADOPTABLE) };
        return;
    }
    // SAFETY: the caller's.
    unsafe { alloc::dealloc(ptr.as_ptr(), layout) };
}

#[cfg(all(test, not(actor_loom)))]
mod tests {
    use std::collections::HashSet;
    use std::ptr::NonNull;

    use super::{Adoptable, CELLS, Carver, LIST_AT, release};

    /// Cell addresses can cross threads in the tests.
    struct Cells(Vec<NonNull<u8>>);

    // SAFETY: the tests hand each cell to one thread, which frees it.
    unsafe impl Send for Cells {}

    /// Frees the cells; how many blocks that freed.
    fn free_all(cells: Cells, list: &Adoptable) -> usize {
        // SAFETY: each cell was carved and is freed once, unused.
        cells.0.into_iter().filter(|&c| unsafe { release(c, list) }).count()
    }

    fn carve(carver: &mut Carver, n: usize, list: &Adoptable) -> Vec<NonNull<u8>> {
        (0..n).map(|_| carver.carve(list)).collect()
    }

    // Freed cells must be handed out again by their block's carver, or a
    // thread that spawns and stops actors in turn keeps taking new blocks.
    #[test]
    fn freed_cells_are_reused() {
        let list = Adoptable::new();
        let mut carver = Carver::new();
        let first = carve(&mut carver, CELLS, &list);
        let addresses: HashSet<_> = first.iter().copied().collect();
        assert_eq!(addresses.len(), CELLS, "a cell was handed out twice");
        assert_eq!(free_all(Cells(first), &list), 0, "freed a block its carver holds");
        let again = carve(&mut carver, CELLS, &list);
        assert!(again.iter().all(|c| addresses.contains(c)), "took a new block while the old one had room");
        assert_eq!(free_all(Cells(again), &list), 0);
        assert!(carver.abandon(&list), "the abandon of an unused block must free it");
    }

    // Every block is freed exactly once, whether its last cell or its
    // abandon comes last, with cells freed on other threads.
    #[test]
    fn blocks_are_freed_once_by_the_last_of_their_users() {
        let list = Adoptable::new();
        let mut carver = Carver::new();
        let cells = carve(&mut carver, 10 * CELLS + 7, &list);
        let blocks = 11;
        let (odd, even): (Vec<_>, Vec<_>) = cells.into_iter().enumerate().partition(|(i, _)| i % 2 == 1);
        let [odd, even] = [odd, even].map(|v| Cells(v.into_iter().map(|(_, c)| c).collect()));
        let freed = std::thread::scope(|scope| {
            let other = scope.spawn(|| free_all(odd, &list));
            free_all(even, &list) + other.join().expect("freeing thread")
        });
        // The carver still holds the last block.
        assert_eq!(freed, blocks - 1);
        assert!(list.is_empty(), "a freed block is still listed");
        assert!(carver.abandon(&list));
    }

    // A block abandoned with a cell out is freed by that cell's release.
    #[test]
    fn the_last_cell_out_frees_an_abandoned_block() {
        let list = Adoptable::new();
        let mut carver = Carver::new();
        let cell = carver.carve(&list);
        assert!(!carver.abandon(&list), "freed a block with a cell out");
        // SAFETY: carved above, freed once.
        assert!(unsafe { release(cell, &list) });
    }

    // An abandoned block whose cells mostly left must be reused by the
    // next thread that needs a block, or a few long-lived actors keep
    // 16 KiB each; once its last cell leaves it is freed, not kept listed.
    #[test]
    fn half_empty_abandoned_blocks_are_adopted_then_freed() {
        let list = Adoptable::new();
        let mut first = Carver::new();
        let mut cells = carve(&mut first, CELLS + 1, &list);
        // The first block is full and abandoned; free just over half of it.
        let leaving: Vec<_> = cells.drain(..=CELLS - LIST_AT - 1).collect();
        let left: HashSet<_> = leaving.iter().copied().collect();
        assert!(list.is_empty());
        assert_eq!(free_all(Cells(leaving), &list), 0);
        assert!(!list.is_empty(), "a half-empty abandoned block was not listed");
        let mut second = Carver::new();
        let adopted = carve(&mut second, CELLS - LIST_AT, &list);
        assert!(adopted.iter().all(|c| left.contains(c)), "the adopted block's freed cells were not reused");
        assert!(list.is_empty());
        // Everything back: every block freed once, nothing left listed.
        let mut freed = free_all(Cells(adopted), &list) + free_all(Cells(cells), &list);
        freed += usize::from(first.abandon(&list)) + usize::from(second.abandon(&list));
        assert_eq!(freed, 2);
        assert!(list.is_empty());
    }

    /// Another carver adopts the listed block of `held` and must get its
    /// `free` free cells, each once and none of those held; then everything
    /// goes back and the adopter's abandon frees the block.
    fn adopt_and_check(list: &Adoptable, held: Vec<NonNull<u8>>, free: usize) {
        assert!(!list.is_empty(), "the block was not listed");
        let mut adopter = Carver::new();
        let carved = carve(&mut adopter, free, list);
        let block = super::block_of(held[0]);
        assert!(
            carved.iter().all(|&c| super::block_of(c) == block && !held.contains(&c)),
            "not the block's free cells"
        );
        assert_eq!(carved.iter().collect::<HashSet<_>>().len(), free, "a cell was handed out twice");
        assert_eq!(free_all(Cells(carved), list) + free_all(Cells(held), list), 0);
        assert!(adopter.abandon(list));
        assert!(list.is_empty());
    }

    // A block let go before it was used up (its thread exited) must be
    // adopted with its never-used cells, or its adopter finds nothing to
    // carve and lists it again, forever.
    #[test]
    fn a_block_let_go_early_is_adopted_with_all_its_room() {
        let list = Adoptable::new();
        let mut exited = Carver::new();
        let kept = carve(&mut exited, 3, &list);
        let taken = Cells(vec![exited.carve(&list)]);
        assert_eq!(free_all(taken, &list), 0);
        assert!(!exited.abandon(&list));
        adopt_and_check(&list, kept, CELLS - 3);
    }

    // Cells a carver took back but did not hand out again must go back on
    // the stack when it lets the block go, or they are lost to adopters.
    #[test]
    fn cells_taken_back_but_unused_return_to_the_stack() {
        let list = Adoptable::new();
        let mut first = Carver::new();
        let mut cells = carve(&mut first, CELLS, &list);
        assert_eq!(free_all(Cells(cells.drain(..10).collect()), &list), 0);
        // Takes the ten back, hands out one, lets the block go with nine.
        cells.push(first.carve(&list));
        assert!(!first.abandon(&list));
        assert_eq!(free_all(Cells(cells.drain(..40).collect()), &list), 0);
        adopt_and_check(&list, cells, 49);
    }

    // A listed block whose last cell leaves is taken off the list and
    // freed.
    #[test]
    fn a_listed_block_is_freed_by_its_last_cell() {
        let list = Adoptable::new();
        let mut carver = Carver::new();
        let mut cells = carve(&mut carver, CELLS, &list);
        assert!(!carver.abandon(&list));
        let last = Cells(vec![cells.pop().expect("a cell")]);
        assert_eq!(free_all(Cells(cells), &list), 0);
        assert!(!list.is_empty());
        assert_eq!(free_all(last, &list), 1);
        assert!(list.is_empty());
    }
}
