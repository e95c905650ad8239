//! Integration tests of the repository.

mod backend;
mod corruption;
mod crash;
mod formats;
mod repo;
mod retention;
mod support;
