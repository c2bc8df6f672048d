//! Taking a lock whose holder panicked.
//!
//! Owns the one rule for poisoned locks: every guarded value in loa stays valid between statements (counters,
//! caches, handles), so a panic elsewhere must not take the daemon down with it; the guard is taken as it is.
//! Depends on nothing of the crate; it must never hold policy about what the guarded values mean.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks `m`, taking the value as it is if a holder panicked.
pub fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Read-locks `l`, taking the value as it is if a writer panicked.
pub fn read<T: ?Sized>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

/// Write-locks `l`, taking the value as it is if a writer panicked.
pub fn write<T: ?Sized>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}
