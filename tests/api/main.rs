//! The one integration-test binary: a real acta server on a random port with a
//! temporary data directory, driven over HTTP, plus the real `acta` binary.
//! External validators (poppler's pdfinfo, pdffonts, pdftotext, pdftohtml) are installed
//! by `scripts/test.sh`; a missing tool fails the test, it is never skipped.
//!
//! Where to put a new test: with the capability it checks (`acts` for the act
//! lifecycle, `validation` for refused input, `pdf` for what the document
//! says and is, `legal` and `legal_rules` for the law an act's wording and
//! dates obey, `typography` for the French typography of every fixture,
//! `search`, `cli`; `access` for who may call which route, `tenancy` for what
//! a scoped token never sees, `fuzz` for hostile bodies, `openapi` for the
//! API description; `web` for the pages over HTTP, `browser` for the same in
//! Chromium with axe-core).

mod access;
mod acts;
mod archivist;
mod attack;
mod body_budget;
mod browser;
mod browser_acts;
mod browser_campaign;
mod browser_find;
mod browser_newcomer;
mod caching;
mod campaign_files;
mod campaigns;
mod campaigns_acceptance;
mod campaigns_reclassement;
mod campaigns_upload;
mod career_rules;
mod characters;
mod cli;
mod connections;
mod crash;
mod durability;
mod fuzz;
mod helpers;
mod hostile_pdf;
mod legal;
mod legal_rh;
mod legal_rules;
mod log_races;
mod natural_search;
mod object_lock;
mod openapi;
mod parameters;
mod pdf;
mod personal_data;
mod pipeline;
mod register;
mod render_limits;
mod s3;
mod seal;
mod search;
mod seaweed;
mod seda;
mod store_stream;
mod templates;
mod tenancy;
mod tlog;
mod transfer_replies;
mod transfers;
mod typography;
mod validation;
mod web;
mod web_acts;
mod web_campaigns;
mod web_find;
mod web_mappings;
mod web_rest;
