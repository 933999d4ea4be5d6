//! The per-document Typst world: the engine's sources and fonts, plus one data
//! file. It is a sandbox: no system files, no packages, no network, no clock.

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, World};

use super::Engine;

/// What one render sees.
pub(super) struct DocWorld<'a> {
    engine: &'a Engine,
    main: FileId,
    data: Bytes,
}

impl<'a> DocWorld<'a> {
    pub(super) fn new(engine: &'a Engine, main: FileId, data: Bytes) -> Self {
        Self { engine, main, data }
    }
}

impl World for DocWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.engine.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.engine.book()
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.engine.sources.get(&id).cloned().ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.engine.data_id {
            return Ok(self.data.clone());
        }
        if let Some(source) = self.engine.sources.get(&id) {
            return Ok(Bytes::from_string(source.clone()));
        }
        self.engine.files.get(&id).cloned().ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        // FontStore::font returns None for out-of-range indices, which Typst
        // may ask for during incremental validation.
        self.engine.fonts.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // No clock: every date in an act comes from its data.
        None
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.get().vpath().get_with_slash().into())
}
