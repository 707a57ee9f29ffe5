//! The instansi as a whole: its units (list, add, rename, retire, copy targets), the
//! unit chooser, and the roll-up of every unit's progress and LKE readiness.

pub mod pages;
pub mod rollup;
