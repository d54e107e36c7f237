//! The blocks behind shared cells: a block is freed exactly once, by the
//! last of its carver's abandon and its cells' frees, and a cell is handed
//! out again only after its free.

// Calls the blocks' own `unsafe` functions, each on a cell carved once and
// freed once.
#![allow(unsafe_code)]

use std::ptr::NonNull;

use crate::loom::check::{model, spawn};
use crate::shared::blocks::{BLOCK, CELLS, Carver, release};

/// A carved cell, moved to the thread that frees it.
struct Cell(NonNull<u8>);

// SAFETY: the cell's memory is owned by whoever holds this; one thread at a
// time.
unsafe impl Send for Cell {}

/// The block a cell belongs to.
fn block(cell: NonNull<u8>) -> usize {
    cell.as_ptr() as usize & !(BLOCK - 1)
}

impl Cell {
    /// Frees the cell; true if that freed its block.
    fn free(self) -> bool {
        // SAFETY: carved by the model, freed once, unused.
        unsafe { release(self.0) }
    }
}

#[test]
fn loom_blocks_abandon_vs_last_free() {
    model(|| {
        let mut carver = Carver::new();
        let cell = Cell(carver.carve());
        let freer = spawn(move || cell.free());
        let by_abandon = carver.abandon();
        let by_free = freer.join().expect("freer");
        assert!(by_abandon ^ by_free, "block freed by abandon: {by_abandon}, by the free: {by_free}");
    });
}

#[test]
fn loom_blocks_reuse_vs_free() {
    model(|| {
        let mut carver = Carver::new();
        let mut cells: Vec<Cell> = (0..CELLS).map(|_| Cell(carver.carve())).collect();
        let first_block = block(cells[0].0);
        let (a, b) = (cells.pop().expect("cell"), cells.pop().expect("cell"));
        let freed = [a.0, b.0];
        let freer = spawn(move || [a.free(), b.free()]);
        // The block is full: the carver takes back what was freed so far, or
        // starts a new block.
        let next = carver.carve();
        let reused = block(next) == first_block;
        if reused {
            assert!(freed.contains(&next), "handed out a cell that was never freed");
        }
        let by_freer = freer.join().expect("freer");
        assert!(!by_freer.contains(&true), "freed a block its carver holds");
        // Everything else goes back: each block is freed once.
        let mut blocks_freed = Cell(next).free() as usize;
        blocks_freed += cells.into_iter().map(Cell::free).filter(|&f| f).count();
        blocks_freed += carver.abandon() as usize;
        let blocks_made = if reused { 1 } else { 2 };
        assert_eq!(blocks_freed, blocks_made);
    });
}
