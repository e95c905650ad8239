//! Integration tests of the repository.

mod azurite;
mod backend;
mod corruption;
mod crash;
mod formats;
mod locking_s3;
mod repo;
mod retention;
mod support;
