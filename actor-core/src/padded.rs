//! A value on cache lines of its own.

use std::ops::Deref;

/// Keeps a value on cache lines of its own (128 bytes: adjacent lines are
/// fetched in pairs), so that writes to it from one thread do not evict
/// unrelated fields that other threads read, and the other way round.
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

impl<T> Deref for Padded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
