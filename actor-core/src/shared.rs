//! [`Shared`]: a reference-counted pointer like `std::sync::Arc`, whose
//! memory is carved out of blocks instead of taken from the allocator one
//! value at a time.
//!
//! Every actor has one shared cell (its status word, the sending side of
//! its mailbox, its counters), made at spawn and freed with the last of its
//! handles: the `ActorRef`s, the actor's context, the system's table. As one
//! allocation each, these cells made a spawn-and-stop cycle of 100,000
//! bare tokio tasks about 40% slower (with one more 192-byte allocation per
//! task); carved out of blocks, less than half of that was left, the cost
//! of writing the cells. [`blocks`] hands them out of 16 KiB blocks.
//!
//! The counting is `Arc`'s: strong handles own the value; the weak count
//! holds the weak handles plus one for all the strong ones together, and
//! owns the memory. [`SharedDyn`] is a strong handle whose type is
//! forgotten behind a trait object (the system's table of actors of every
//! type), which `Arc<dyn Trait>` gives through unsizing.
//!
//! # Soundness
//!
//! - While a strong handle lives, `strong > 0`: the value is initialised
//!   and not dropped. Handles hand out `&T` only, and are `Send` and `Sync`
//!   only when `T` is both, as `Arc`'s: they share `&T` across threads and
//!   the last one drops `T` on whatever thread it runs.
//! - The value is dropped once, by the handle whose decrement takes
//!   `strong` from 1 to 0. Its `Acquire` fence pairs with every other
//!   handle's `Release` decrement, so all their uses happen before the drop.
//!   The memory is freed once, the same way, by the decrement that takes
//!   `weak` to 0; the strong handles' shared weak count is released only
//!   after the value is dropped.
//! - A weak handle reads the counts through raw field pointers, never
//!   through a reference to the whole cell, whose value may be dropped.
//!   `upgrade` increments `strong` only from a non-zero count, so it never
//!   revives a dropped value.
//! - More than `isize::MAX` handles abort the process, as with `Arc`, so the
//!   counts never wrap.
//! - [`SharedDyn`] keeps the cell's pointer and three functions made for its
//!   concrete type (view, clone, drop); each rebuilds the typed handle it
//!   was made from, so every count and the value are handled as above.

#![allow(unsafe_code)]

use std::alloc::Layout;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;

use crate::loom::counts::{AtomicUsize, Ordering, fence};

// Under `--cfg actor_loom` values are allocated one by one, and only the
// block models use the blocks.
#[cfg_attr(actor_loom, allow(dead_code))]
pub(crate) mod blocks;

/// More handles than this abort the process.
const MAX_COUNT: usize = isize::MAX as usize;

/// The memory behind the handles.
#[repr(C)]
struct Counted<T> {
    strong: AtomicUsize,
    weak: AtomicUsize,
    value: T,
}

/// A strong handle: the value lives while one does.
pub(crate) struct Shared<T> {
    ptr: NonNull<Counted<T>>,
    owns: PhantomData<Counted<T>>,
}

// SAFETY: as `Arc<T>` (see the module docs).
unsafe impl<T: Send + Sync> Send for Shared<T> {}
// SAFETY: as `Arc<T>` (see the module docs).
unsafe impl<T: Send + Sync> Sync for Shared<T> {}

impl<T> Shared<T> {
    /// `N` strong handles to a new value, counted at once (cloning would
    /// cost an atomic read-modify-write each).
    pub(crate) fn new<const N: usize>(value: T) -> [Self; N] {
        const { assert!(N > 0, "a value needs a handle") };
        let ptr = blocks::alloc(Layout::new::<Counted<T>>()).cast::<Counted<T>>();
        // SAFETY: fresh memory with `Counted<T>`'s layout.
        unsafe { ptr.write(Counted { strong: AtomicUsize::new(N), weak: AtomicUsize::new(1), value }) };
        [(); N].map(|()| Shared { ptr, owns: PhantomData })
    }

    fn counted(&self) -> &Counted<T> {
        // SAFETY: this strong handle keeps the memory and the value alive.
        unsafe { self.ptr.as_ref() }
    }

    /// True if values of this type are carved from blocks (they fit a
    /// cell); the rest are allocated one by one.
    #[cfg(all(test, not(actor_loom)))]
    pub(crate) fn is_carved() -> bool {
        blocks::fits(Layout::new::<Counted<T>>())
    }

    /// A weak handle to the same value.
    pub(crate) fn downgrade(this: &Self) -> WeakShared<T> {
        increment(&this.counted().weak);
        WeakShared { ptr: this.ptr, owns: PhantomData }
    }

    pub(crate) fn ptr_eq(this: &Self, other: &Self) -> bool {
        this.ptr == other.ptr
    }

    /// Gives up the handle without releasing its count.
    fn into_raw(this: Self) -> NonNull<()> {
        ManuallyDrop::new(this).ptr.cast()
    }

    /// Takes back a handle given up by [`Shared::into_raw`].
    ///
    /// # Safety
    ///
    /// `raw` comes from `Shared::<T>::into_raw`, and each such call is taken
    /// back once.
    unsafe fn from_raw(raw: NonNull<()>) -> Self {
        Shared { ptr: raw.cast(), owns: PhantomData }
    }
}

/// Counts one more handle, made from a live one.
fn increment(count: &AtomicUsize) {
    // `Relaxed`, as `Arc::clone`: the handle it is made from keeps the
    // memory alive, and the decrements order the uses.
    if count.fetch_add(1, Ordering::Relaxed) > MAX_COUNT {
        std::process::abort();
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        increment(&self.counted().strong);
        Shared { ptr: self.ptr, owns: PhantomData }
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.counted().value
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // `Release`: this handle's uses of the value happen before the last
        // handle's `Acquire` fence, and so before the value is dropped.
        if self.counted().strong.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        // SAFETY: the last strong handle: nothing else reads the value, and
        // it is dropped once.
        unsafe { std::ptr::drop_in_place(&raw mut (*self.ptr.as_ptr()).value) };
        // The strong handles' weak count.
        drop(WeakShared::<T> { ptr: self.ptr, owns: PhantomData });
    }
}

/// A handle that keeps the memory, not the value.
pub(crate) struct WeakShared<T> {
    ptr: NonNull<Counted<T>>,
    owns: PhantomData<Counted<T>>,
}

// SAFETY: as `std::sync::Weak<T>` (see the module docs).
unsafe impl<T: Send + Sync> Send for WeakShared<T> {}
// SAFETY: as `std::sync::Weak<T>` (see the module docs).
unsafe impl<T: Send + Sync> Sync for WeakShared<T> {}

impl<T> WeakShared<T> {
    fn strong(&self) -> &AtomicUsize {
        // SAFETY: this handle's weak count keeps the memory; the field is
        // reached without a reference to the (maybe dropped) value.
        unsafe { &(*self.ptr.as_ptr()).strong }
    }

    fn weak(&self) -> &AtomicUsize {
        // SAFETY: as in `strong`.
        unsafe { &(*self.ptr.as_ptr()).weak }
    }

    /// A strong handle, unless the value was dropped.
    pub(crate) fn upgrade(&self) -> Option<Shared<T>> {
        let strong = self.strong();
        let mut n = strong.load(Ordering::Relaxed);
        loop {
            if n == 0 {
                return None;
            }
            if n > MAX_COUNT {
                std::process::abort();
            }
            // `Acquire` on success, as `Weak::upgrade`: the new handle sees
            // the value as the handles it counts along with; `Relaxed` on
            // failure, which only retries.
            match strong.compare_exchange_weak(n, n + 1, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return Some(Shared { ptr: self.ptr, owns: PhantomData }),
                Err(now) => n = now,
            }
        }
    }
}

impl<T> Clone for WeakShared<T> {
    fn clone(&self) -> Self {
        increment(self.weak());
        WeakShared { ptr: self.ptr, owns: PhantomData }
    }
}

impl<T> Drop for WeakShared<T> {
    fn drop(&mut self) {
        // `Release`/`Acquire`: as in `Shared::drop`, for the memory.
        if self.weak().fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        // SAFETY: the last handle of either kind: the value was dropped
        // before the strong handles released their weak count, and the
        // memory is freed once, with the layout it was allocated with.
        unsafe { blocks::dealloc(self.ptr.cast(), Layout::new::<Counted<T>>()) };
    }
}

/// How a value is seen once its type is forgotten: `Inner<A>` as
/// `dyn ActorCell`.
pub(crate) trait Erase<D: ?Sized> {
    fn erase(&self) -> &D;
}

/// A strong handle seen as `D`, whatever the value's type.
pub(crate) struct SharedDyn<D: ?Sized + 'static> {
    raw: NonNull<()>,
    vtable: &'static DynVtable<D>,
}

/// The functions of one concrete type behind a [`SharedDyn`].
struct DynVtable<D: ?Sized> {
    view: unsafe fn(NonNull<()>) -> *const D,
    clone: unsafe fn(NonNull<()>),
    drop: unsafe fn(NonNull<()>),
}

/// The vtable of `T` seen as `D`.
struct VtableOf<T, D: ?Sized>(PhantomData<fn(T) -> *const D>);

impl<T: Erase<D>, D: ?Sized> VtableOf<T, D> {
    const VTABLE: DynVtable<D> = DynVtable { view: Self::view, clone: Self::clone, drop: Self::drop };

    /// # Safety
    ///
    /// `raw` is a `Shared<T>` given up by `into_raw` and not taken back yet.
    unsafe fn view(raw: NonNull<()>) -> *const D {
        // SAFETY: the caller's handle; borrowed, not released.
        let typed = ManuallyDrop::new(unsafe { Shared::<T>::from_raw(raw) });
        T::erase(&typed) as *const D
    }

    /// # Safety
    ///
    /// As `view`.
    unsafe fn clone(raw: NonNull<()>) {
        // SAFETY: the caller's handle; borrowed, not released.
        let typed = ManuallyDrop::new(unsafe { Shared::<T>::from_raw(raw) });
        increment(&typed.counted().strong);
    }

    /// # Safety
    ///
    /// As `view`; the handle is released.
    unsafe fn drop(raw: NonNull<()>) {
        // SAFETY: the caller gives its handle back, once.
        drop(unsafe { Shared::<T>::from_raw(raw) });
    }
}

// SAFETY: made only from a `Shared<T>` with `T: Send + Sync` (`new`), and
// seen only as `D`, which must be `Send + Sync` to share as `&D`.
unsafe impl<D: ?Sized + Send + Sync> Send for SharedDyn<D> {}
// SAFETY: as `Send`.
unsafe impl<D: ?Sized + Send + Sync> Sync for SharedDyn<D> {}

impl<D: ?Sized + 'static> SharedDyn<D> {
    pub(crate) fn new<T: Erase<D> + Send + Sync + 'static>(typed: Shared<T>) -> Self {
        SharedDyn { raw: Shared::into_raw(typed), vtable: &VtableOf::<T, D>::VTABLE }
    }
}

impl<D: ?Sized + 'static> Deref for SharedDyn<D> {
    type Target = D;

    fn deref(&self) -> &D {
        // SAFETY: `raw` is this handle's own, made by `new` for the vtable's
        // type; the value lives as long as the handle.
        unsafe { &*(self.vtable.view)(self.raw) }
    }
}

impl<D: ?Sized + 'static> Clone for SharedDyn<D> {
    fn clone(&self) -> Self {
        // SAFETY: as in `deref`; the new count belongs to the new handle.
        unsafe { (self.vtable.clone)(self.raw) };
        SharedDyn { raw: self.raw, vtable: self.vtable }
    }
}

impl<D: ?Sized + 'static> Drop for SharedDyn<D> {
    fn drop(&mut self) {
        // SAFETY: as in `deref`; this handle's count is released once.
        unsafe { (self.vtable.drop)(self.raw) }
    }
}

#[cfg(all(test, not(actor_loom)))]
mod tests {
    use super::{Erase, Shared, SharedDyn, WeakShared};
    use crate::loom::sync::Arc;
    use crate::loom::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its drops.
    struct Tracked(Arc<AtomicUsize>);

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    trait Named: Send + Sync + 'static {
        fn name(&self) -> &'static str;
    }

    impl Named for Tracked {
        fn name(&self) -> &'static str {
            "tracked"
        }
    }

    impl Erase<dyn Named> for Tracked {
        fn erase(&self) -> &dyn Named {
            self
        }
    }

    fn tracked() -> (Shared<Tracked>, Arc<AtomicUsize>) {
        let drops = Arc::new(AtomicUsize::new(0));
        let [shared] = Shared::new(Tracked(drops.clone()));
        (shared, drops)
    }

    // A handle that drops the value twice, or never, or too early, fails.
    #[test]
    fn the_value_is_dropped_once_with_the_last_strong_handle() {
        let (a, drops) = tracked();
        let b = a.clone();
        let weak = Shared::downgrade(&a);
        drop(a);
        assert_eq!(drops.load(Ordering::Relaxed), 0);
        assert!(weak.upgrade().is_some(), "a strong handle is left");
        drop(b);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        assert!(weak.upgrade().is_none(), "upgraded a dropped value");
        let weak2: WeakShared<Tracked> = weak.clone();
        drop(weak);
        assert!(weak2.upgrade().is_none());
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    // Handles made together must each count: one too few drops the value
    // while a handle still reads it.
    #[test]
    fn handles_made_together_each_count() {
        let drops = Arc::new(AtomicUsize::new(0));
        let [a, b, c] = Shared::new(Tracked(drops.clone()));
        drop(a);
        drop(c);
        assert_eq!(drops.load(Ordering::Relaxed), 0);
        assert!(Shared::ptr_eq(&b, &b.clone()));
        drop(b);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    // An erased handle that lost or doubled a count would drop the value
    // early or never.
    #[test]
    fn an_erased_handle_counts_as_a_strong_one() {
        let (typed, drops) = tracked();
        let erased: SharedDyn<dyn Named> = SharedDyn::new(typed.clone());
        let erased2 = erased.clone();
        assert_eq!(erased2.name(), "tracked");
        drop(typed);
        drop(erased);
        assert_eq!(drops.load(Ordering::Relaxed), 0);
        assert_eq!(erased2.name(), "tracked");
        drop(erased2);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    // Handles racing on several threads must still drop the value once.
    #[test]
    fn handles_on_many_threads_drop_the_value_once() {
        let (shared, drops) = tracked();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let mine = shared.clone();
                let weak = Shared::downgrade(&shared);
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        let again = weak.upgrade().expect("a strong handle is alive");
                        drop(mine.clone());
                        drop(again);
                    }
                })
            })
            .collect();
        drop(shared);
        for t in threads {
            t.join().expect("thread");
        }
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }
}
