//! The blocks behind shared cells: a block is freed exactly once, by the
//! last of its carver's abandon and its cells' frees, never while listed
//! for adoption; a cell is handed out again only after its free; a
//! half-empty abandoned block is either adopted or freed, never both.

// Calls the blocks' own `unsafe` functions, each on a cell carved once and
// freed once.
#![allow(unsafe_code)]

use std::ptr::NonNull;

use crate::loom::check::{model, spawn};
use crate::loom::sync::Arc;
use crate::shared::blocks::{Adoptable, BLOCK, CELLS, Carver, LIST_AT, release};

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
    fn free(self, list: &Adoptable) -> bool {
        // SAFETY: carved by the model, freed once, unused.
        unsafe { release(self.0, list) }
    }
}

/// Frees the cells; how many blocks that freed.
fn free_all(cells: Vec<Cell>, list: &Adoptable) -> usize {
    cells.into_iter().map(|c| usize::from(c.free(list))).sum()
}

/// A full block, abandoned by its carver, with `held` of its cells still
/// out (returned) and the rest freed.
fn abandoned_block(held: usize, list: &Adoptable) -> Vec<Cell> {
    let mut carver = Carver::new();
    let mut cells: Vec<Cell> = (0..CELLS).map(|_| Cell(carver.carve(list))).collect();
    assert!(!carver.abandon(list));
    let kept = cells.split_off(CELLS - held);
    assert_eq!(free_all(cells, list), 0);
    kept
}

/// Another thread's carver takes one cell (adopting a listed block, or
/// making a new one), frees it and lets its block go. Returns whether it
/// adopted, and whether that freed a block. (Comparing block addresses
/// would not tell: a new block may get the address of one just freed.)
fn carve_one_elsewhere(list: &Adoptable) -> (bool, usize) {
    let mut carver = Carver::new();
    let cell = carver.carve(list);
    let adopted = carver.is_reusing();
    let freed = usize::from(Cell(cell).free(list)) + usize::from(carver.abandon(list));
    (adopted, freed)
}

#[test]
fn loom_blocks_abandon_vs_last_free() {
    model(|| {
        let list = Arc::new(Adoptable::new());
        let mut carver = Carver::new();
        let cell = Cell(carver.carve(&list));
        let freer = {
            let list = list.clone();
            spawn(move || cell.free(&list))
        };
        let by_abandon = carver.abandon(&list);
        let by_free = freer.join().expect("freer");
        assert!(by_abandon ^ by_free, "block freed by abandon: {by_abandon}, by the free: {by_free}");
        assert!(list.is_empty());
    });
}

#[test]
fn loom_blocks_reuse_vs_free() {
    model(|| {
        let list = Arc::new(Adoptable::new());
        let mut carver = Carver::new();
        let mut cells: Vec<Cell> = (0..CELLS).map(|_| Cell(carver.carve(&list))).collect();
        let first_block = block(cells[0].0);
        let (a, b) = (cells.pop().expect("cell"), cells.pop().expect("cell"));
        let freed = [a.0, b.0];
        let freer = {
            let list = list.clone();
            spawn(move || [a.free(&list), b.free(&list)])
        };
        // The block is full: the carver takes back what was freed so far, or
        // starts a new block.
        let next = carver.carve(&list);
        let reused = block(next) == first_block;
        if reused {
            assert!(freed.contains(&next), "handed out a cell that was never freed");
        }
        let by_freer = freer.join().expect("freer");
        assert!(!by_freer.contains(&true), "freed a block its carver holds");
        // Everything else goes back: each block is freed once.
        let mut blocks_freed = usize::from(Cell(next).free(&list)) + free_all(cells, &list);
        blocks_freed += usize::from(carver.abandon(&list));
        let blocks_made = if reused { 1 } else { 2 };
        assert_eq!(blocks_freed, blocks_made);
        assert!(list.is_empty());
    });
}

/// One of the `held` cells still out in an abandoned block is freed while
/// another carver looks for a block to adopt, then the rest are freed:
/// every block is freed once, never while listed, and nothing stays
/// listed.
fn free_while_adopting(held: usize) {
    model(move || {
        let list = Arc::new(Adoptable::new());
        let mut rest = abandoned_block(held, &list);
        let freer = {
            let (list, cell) = (list.clone(), rest.pop().expect("cell"));
            spawn(move || cell.free(&list))
        };
        let adopter = {
            let list = list.clone();
            spawn(move || carve_one_elsewhere(&list))
        };
        let by_freer = usize::from(freer.join().expect("freer"));
        let (adopted, by_adopter) = adopter.join().expect("adopter");
        if !rest.is_empty() {
            assert_eq!(by_freer, 0, "freed a block with cells out");
        }
        let blocks_made = if adopted { 1 } else { 2 };
        assert_eq!(by_freer + by_adopter + free_all(rest, &list), blocks_made);
        assert!(list.is_empty(), "a freed block is still listed");
    });
}

/// The free that lists a half-empty abandoned block races with another
/// carver looking for a block to adopt.
#[test]
fn loom_blocks_listing_vs_adoption() {
    free_while_adopting(LIST_AT + 1);
}

/// The last cell of a listed block leaves while another carver adopts it:
/// the block is freed once (by that free, or by the adopter's abandon
/// later), and never handed out after.
#[test]
fn loom_blocks_last_free_vs_adoption() {
    free_while_adopting(1);
}
