//! A counting global allocator for the `spawn` bench: a thin wrapper over
//! the system allocator that, while a measurement window is open, keeps the
//! net number of bytes allocated minus bytes freed.
//!
//! The counter runs only inside the window, so the timed benches pay one
//! relaxed load per allocation and nothing else. That is still exact: the
//! live bytes at the window's end minus those at its start are the bytes
//! allocated inside the window minus the bytes freed inside it, whoever
//! allocated them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

/// Whether a window is open. Relaxed: the window is opened and closed by
/// the measuring task between whole phases that are joined through tokio
/// (which synchronises), so no allocation of a phase can miss it.
static COUNTING: AtomicBool = AtomicBool::new(false);
/// Net bytes allocated since the window opened. Relaxed: a plain counter,
/// read after the phases it counts were joined.
static NET: AtomicIsize = AtomicIsize::new(0);
/// Net number of live allocations since the window opened. Relaxed, as
/// [`NET`].
static BLOCKS: AtomicIsize = AtomicIsize::new(0);

/// The counting allocator; install with `#[global_allocator]`.
#[derive(Debug)]
pub(crate) struct CountingAlloc;

/// Counts `bytes` more (or fewer) live bytes in `blocks` more (or fewer)
/// live allocations, if a window is open.
fn count(bytes: isize, blocks: isize) {
    if COUNTING.load(Ordering::Relaxed) {
        NET.fetch_add(bytes, Ordering::Relaxed);
        BLOCKS.fetch_add(blocks, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments,
// which upholds the `GlobalAlloc` contract; the counting touches only
// atomics and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize, 1);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds the contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize, 1);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize), -1);
        // SAFETY: forwarded unchanged; `ptr` came from this allocator,
        // which is `System`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds the contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize, 0);
        }
        p
    }
}

/// Opens a measurement window: net bytes and allocations start at 0.
pub(crate) fn start() {
    NET.store(0, Ordering::Relaxed);
    BLOCKS.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
}

/// Net bytes allocated since [`start`] (the window stays open).
pub(crate) fn net() -> isize {
    NET.load(Ordering::Relaxed)
}

/// Net live allocations since [`start`] (the window stays open).
pub(crate) fn blocks() -> isize {
    BLOCKS.load(Ordering::Relaxed)
}

/// Closes the window and returns the net bytes.
pub(crate) fn stop() -> isize {
    COUNTING.store(false, Ordering::Relaxed);
    NET.load(Ordering::Relaxed)
}
