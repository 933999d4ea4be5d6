//! acta: the official acts of French local government.
//!
//! A request (template + collectivité + data) is validated against the
//! template's JSON Schema ([`catalog`]), rendered to PDF/A-2b by embedded Typst
//! ([`render`]), numbered in its collectivité's register ([`register`]),
//! sealed ([`seal`]), kept create-only in object storage ([`store`]) and
//! indexed for search ([`search`]). [`service::Acta`] owns these parts and
//! offers the use cases; [`http`] (the JSON API), [`web`] (the pages people
//! use) and [`cli`] are thin layers over it, started through
//! [`startup::Application`].
//!
//! Dependencies point downward only: `http`/`web`/`cli` → `service` → the parts →
//! [`domain`]. See `docs/architecture.md`.

pub mod act;
pub mod assets;
pub mod auth;
pub mod bench;
pub mod campaign;
pub mod catalog;
pub mod cli;
pub mod collectivite;
pub mod config;
pub mod domain;
pub mod http;
pub mod keys;
pub mod register;
pub mod render;
pub mod seal;
pub mod search;
pub mod seda;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tlog;
pub mod web;
