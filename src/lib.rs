#![no_std]
#[cfg(not(windows))]
extern crate std;
pub mod sys;
