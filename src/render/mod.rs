//! Rendering: Typst templates + JSON data → PDF/A-2b bytes.
//!
//! The [`Engine`] is built once and shared: it holds the embedded fonts, the
//! standard library and every template source, parsed. Each render builds a
//! short-lived [`world::DocWorld`] that serves those sources plus the request's
//! data as the virtual file `/data.json`, which templates read with
//! `json("/data.json")`. Data therefore reaches Typst as *values*, never as
//! markup: a field holding `#panic("x")` is printed as written.
//!
//! Determinism: fonts come only from the binary, `datetime.today()` is an error,
//! and the PDF's date, identifier and creator are fixed by the caller, so the
//! same input always renders to the same bytes (what the seal relies on).
//!
//! Rendering is CPU-bound (≈10 ms per page): async callers must run it on the
//! blocking pool, through the fair [`schedule::Scheduler`], within the limits
//! of [`limits::RenderSettings`].

mod diagnostics;
pub mod limits;
pub mod schedule;
mod world;

pub use limits::{RenderSettings, Weight};

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::FontBook;
use typst::utils::LazyHash;
use typst::{Library, LibraryExt};
use typst_kit::fonts::FontStore;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::assets::FileTree;
use crate::domain::TemplateId;

/// Family of the font every template sets its text in.
pub const BODY_FONT: &str = "Libertinus Serif";
/// Virtual path of the per-document data file.
pub const DATA_PATH: &str = "/data.json";
/// `/Creator` written in every PDF, fixed so that bytes do not change with
/// acta's version.
const CREATOR: &str = "acta";
/// Evict Typst's global memoization cache every this many renders: without it
/// the cache grows by about 1 MB per distinct document. What a cache entry is
/// worth: the layout of what acts share (letterhead, recours…), reused by the
/// next act of the same template and collectivité if it comes within 20–40
/// renders. Measured (`acta bench render`, 2 threads): every 10 renders, 164–194
/// one-page acts/s and 99 MB peak; every 20, 220–278 acts/s and 120 MB (172 MB
/// over all 13 templates, under the 200 MB budget).
const EVICT_EVERY: usize = 20;
/// Age (in evictions) of cache entries kept at each eviction.
const EVICT_MAX_AGE: usize = 1;
/// A document of this many pages empties the memo cache once rendered: its
/// layout (tens to hundreds of MB for hundreds of pages) will not be reused,
/// and the next one-page acts rebuild what they share in milliseconds.
const EVICT_ALL_FROM_PAGES: usize = 10;

/// What to render.
#[derive(Debug, Clone)]
pub struct RenderJob<'a> {
    /// Template to render.
    pub template: &'a TemplateId,
    /// The JSON document served as `/data.json`.
    pub data: &'a [u8],
    /// Date written into the PDF metadata (creation date), in UTC.
    pub timestamp: time::PrimitiveDateTime,
    /// Stable document identifier (the act id), hashed into the PDF `/ID`.
    pub ident: &'a str,
    /// The PDF's title. Title and author are set here rather than by the
    /// template's `set document`: a per-act value in the styles would defeat Typst's
    /// layout cache for every paragraph (see `templates/lib/acte.typ`).
    pub title: &'a str,
    /// The PDF's author (the collectivité).
    pub author: &'a str,
}

/// A render failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No such template.
    #[error("unknown template {0}")]
    UnknownTemplate(TemplateId),
    /// A business rule of the template refused the data (a `panic()` in the
    /// template, by convention its way of saying "this act cannot be issued").
    /// `paths` are the JSON pointers the message starts with, if it names some.
    #[error("refused by the template: {message}")]
    Refused {
        /// Faulty fields, e.g. `/data/date_fin`, when the message names them.
        paths: Vec<String>,
        /// French explanation for the person who filled the form.
        message: String,
    },
    /// The act needs a part of the collectivité's profile that it lacks (the
    /// mediator of the médiation préalable obligatoire…): a template's
    /// `panic` naming a `/collectivite/…` pointer. Only whoever maintains the
    /// profiles can fix it.
    #[error("the collectivité profile lacks {field}: {message}")]
    ProfileIncomplete {
        /// The missing part, e.g. `/collectivite/mediateur`.
        field: String,
        /// French explanation.
        message: String,
    },
    /// The template failed on this data (a bug in the template). Each line is
    /// `file:line:col: message`.
    #[error("template error:\n{}", .0.join("\n"))]
    Template(Vec<String>),
    /// The document could not be written as PDF/A-2b.
    #[error("PDF export failed:\n{}", .0.join("\n"))]
    Export(Vec<String>),
    /// The engine could not be set up (bad template file, bad timestamp).
    #[error("render engine: {0}")]
    Setup(String),
    /// The document has more pages than allowed (laid out, not exported).
    #[error("{pages} pages, more than the {max} allowed")]
    TooManyPages {
        /// Pages of the laid-out document.
        pages: usize,
        /// The limit.
        max: usize,
    },
}

/// The shared rendering engine.
pub struct Engine {
    library: LazyHash<Library>,
    fonts: FontStore,
    sources: HashMap<FileId, Source>,
    files: HashMap<FileId, Bytes>,
    data_id: FileId,
    renders: AtomicUsize,
    printable: Vec<u32>,
    max_pages: usize,
    threads: rayon::ThreadPool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("sources", &self.sources.len()).finish_non_exhaustive()
    }
}

fn file_id(path: &str) -> Result<FileId, RenderError> {
    let vpath = VirtualPath::new(path).map_err(|e| RenderError::Setup(format!("{path}: {e:?}")))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

impl Engine {
    /// Parse every `.typ` file of `templates` and load the embedded fonts.
    /// Other files (images such as logos) are served as bytes.
    pub fn new(templates: &FileTree) -> Result<Self, RenderError> {
        Self::with_logos(templates, &FileTree::default())
    }

    /// Like [`Engine::new`], with the collectivités' logos served under
    /// `/logos/<file>`.
    pub fn with_logos(templates: &FileTree, logos: &FileTree) -> Result<Self, RenderError> {
        let embedded: Vec<_> = typst_kit::fonts::embedded().collect();
        // What the body font can print: data with other characters (emoji,
        // scripts it lacks) would come out as empty boxes, so it is refused.
        // Sorted code points, for a binary search per character (a Coverage
        // lookup walks its runs linearly: too slow for every character of
        // every request).
        let mut printable: Vec<u32> = embedded
            .iter()
            .filter(|(_, info)| info.family == BODY_FONT)
            .flat_map(|(_, info)| info.coverage.iter())
            .collect();
        // A space is printable when any embedded font draws it: the layout
        // falls back to that font, and a space shows no glyph anyway.
        printable.extend(
            embedded
                .iter()
                .flat_map(|(_, info)| info.coverage.iter())
                .filter(|&c| char::from_u32(c).is_some_and(char::is_whitespace)),
        );
        printable.sort_unstable();
        printable.dedup();
        let mut fonts = FontStore::new();
        fonts.extend(embedded);
        let mut sources = HashMap::new();
        let mut files = HashMap::new();
        for (path, bytes) in templates.iter() {
            let id = file_id(path)?;
            if path.ends_with(".typ") {
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| RenderError::Setup(format!("{path}: not UTF-8")))?;
                sources.insert(id, Source::new(id, text));
            } else {
                files.insert(id, Bytes::new(bytes.to_vec()));
            }
        }
        for (path, bytes) in logos.iter() {
            files.insert(file_id(&format!("/logos{path}"))?, Bytes::new(bytes.to_vec()));
        }
        Ok(Self {
            library: LazyHash::new(Library::default()),
            fonts,
            sources,
            files,
            data_id: file_id(DATA_PATH)?,
            renders: AtomicUsize::new(0),
            printable,
            max_pages: usize::MAX,
            threads: render_threads(0)?,
        })
    }

    /// Refuse documents of more than `max` pages ([`RenderError::TooManyPages`]).
    #[must_use]
    pub fn with_max_pages(mut self, max: usize) -> Self {
        self.max_pages = max;
        self
    }

    /// Run renders on `n` threads (at least 1; 0: one per CPU), the render
    /// slots (`render.slots`).
    pub fn with_threads(mut self, n: usize) -> Result<Self, RenderError> {
        self.threads = render_threads(n)?;
        Ok(self)
    }

    /// Whether the body font has a glyph for `c`. The ASCII white space the
    /// layout consumes always passes; any other space needs a glyph in some
    /// embedded font (the PDF/A export refuses a space it cannot draw: U+1680).
    pub fn can_print(&self, c: char) -> bool {
        matches!(c, ' ' | '\t' | '\n' | '\r') || self.printable.binary_search(&u32::from(c)).is_ok()
    }

    /// Render one document to PDF/A-2b.
    pub fn render(&self, job: &RenderJob<'_>) -> Result<Vec<u8>, RenderError> {
        self.render_counted(job).map(|(pdf, _)| pdf)
    }

    /// Render one document to PDF/A-2b; also its number of pages.
    pub fn render_counted(&self, job: &RenderJob<'_>) -> Result<(Vec<u8>, usize), RenderError> {
        self.laid_out(job, |document, world| {
            let options = pdf_options(job)?;
            typst_pdf::pdf(document, &options)
                .map_err(|errs| RenderError::Export(diagnostics::format(world, &errs)))
        })
    }

    /// Render page `page` (from 0) of one document as a PNG, `pixel_per_pt`
    /// pixels per point (the « Aperçu » images); also its number of pages.
    /// A page past the last renders the last one.
    pub fn render_png(
        &self,
        job: &RenderJob<'_>,
        page: usize,
        pixel_per_pt: f32,
    ) -> Result<(Vec<u8>, usize), RenderError> {
        self.laid_out(job, |document, _| {
            let pages = document.pages();
            let Some(chosen) = pages.get(page.min(pages.len().saturating_sub(1))) else {
                return Err(RenderError::Export(vec!["the document has no page".into()]));
            };
            let options = typst_render::RenderOptions {
                pixel_per_pt: f64::from(pixel_per_pt).into(),
                ..typst_render::RenderOptions::default()
            };
            typst_render::render(chosen, &options)
                .encode_png()
                .map_err(|e| RenderError::Export(vec![format!("PNG encoding: {e}")]))
        })
    }

    /// Compile and lay out `job`, within the page limit, then `export` it.
    fn laid_out(
        &self,
        job: &RenderJob<'_>,
        export: impl FnOnce(&PagedDocument, &world::DocWorld<'_>) -> Result<Vec<u8>, RenderError> + Send,
    ) -> Result<(Vec<u8>, usize), RenderError> {
        self.threads.install(|| self.laid_out_here(job, export))
    }

    /// [`Engine::laid_out`], on the calling thread.
    fn laid_out_here(
        &self,
        job: &RenderJob<'_>,
        export: impl FnOnce(&PagedDocument, &world::DocWorld<'_>) -> Result<Vec<u8>, RenderError> + Send,
    ) -> Result<(Vec<u8>, usize), RenderError> {
        let main = file_id(&format!("/{}.typ", job.template))?;
        if !self.sources.contains_key(&main) {
            return Err(RenderError::UnknownTemplate(job.template.clone()));
        }
        let world = world::DocWorld::new(self, main, Bytes::new(job.data.to_vec()));
        let compiled = typst::compile::<PagedDocument>(&world);
        let mut document = compiled.output.map_err(|errs| match diagnostics::refusal(&errs) {
            Some((diagnostics::Refusal::Data(paths), message)) => RenderError::Refused { paths, message },
            Some((diagnostics::Refusal::Profile(field), message)) => {
                RenderError::ProfileIncomplete { field, message }
            }
            None => RenderError::Template(diagnostics::format(&world, &errs)),
        })?;
        let pages = document.pages().len();
        if pages > self.max_pages {
            // Checked before the export, the other half of the cost.
            self.maybe_evict(pages);
            return Err(RenderError::TooManyPages { pages, max: self.max_pages });
        }
        let info = document.info_mut();
        info.title = Some(job.title.into());
        info.author = vec![job.author.into()];
        let out = export(&document, &world)?;
        drop(document);
        self.maybe_evict(pages);
        Ok((out, pages))
    }

    /// Evaluate a document's source without laying it out: what the template
    /// refuses while building the document (its business rules, the `panic`s
    /// of its top-level code and of the functions that code calls), at a
    /// fraction of a render. Rules checked inside show rules or `context`
    /// blocks need [`Engine::check`].
    pub fn evaluate(&self, job: &RenderJob<'_>) -> Result<(), RenderError> {
        use typst::World;
        use typst::comemo::Track;
        let main = file_id(&format!("/{}.typ", job.template))?;
        if !self.sources.contains_key(&main) {
            return Err(RenderError::UnknownTemplate(job.template.clone()));
        }
        let world = world::DocWorld::new(self, main, Bytes::new(job.data.to_vec()));
        let source = world.source(main).map_err(|e| RenderError::Setup(e.to_string()))?;
        let mut sink = typst::engine::Sink::new();
        let evaluated = typst_eval::eval(
            (&world as &dyn World).track(),
            world.library(),
            typst::engine::Traced::default().track(),
            sink.track_mut(),
            typst::engine::Route::default().track(),
            &source,
        );
        let result = evaluated.map(drop).map_err(|errs| match diagnostics::refusal(&errs) {
            Some((diagnostics::Refusal::Data(paths), message)) => RenderError::Refused { paths, message },
            Some((diagnostics::Refusal::Profile(field), message)) => {
                RenderError::ProfileIncomplete { field, message }
            }
            None => RenderError::Template(diagnostics::format(&world, &errs)),
        });
        self.maybe_evict(1);
        result
    }

    /// Evaluate and lay out a document without writing its PDF: what the
    /// template refuses (its business rules) and the page limit, without the
    /// export, half of the cost. Returns the number of pages. The check of a
    /// campaign (`crate::campaign`) runs it for every row before any act is made.
    pub fn check(&self, job: &RenderJob<'_>) -> Result<usize, RenderError> {
        self.threads.install(|| self.check_here(job))
    }

    /// [`Engine::check`], on the calling thread.
    fn check_here(&self, job: &RenderJob<'_>) -> Result<usize, RenderError> {
        let main = file_id(&format!("/{}.typ", job.template))?;
        if !self.sources.contains_key(&main) {
            return Err(RenderError::UnknownTemplate(job.template.clone()));
        }
        let world = world::DocWorld::new(self, main, Bytes::new(job.data.to_vec()));
        let compiled = typst::compile::<PagedDocument>(&world);
        let document = compiled.output.map_err(|errs| match diagnostics::refusal(&errs) {
            Some((diagnostics::Refusal::Data(paths), message)) => RenderError::Refused { paths, message },
            Some((diagnostics::Refusal::Profile(field), message)) => {
                RenderError::ProfileIncomplete { field, message }
            }
            None => RenderError::Template(diagnostics::format(&world, &errs)),
        })?;
        let pages = document.pages().len();
        drop(document);
        self.maybe_evict(pages);
        if pages > self.max_pages {
            return Err(RenderError::TooManyPages { pages, max: self.max_pages });
        }
        Ok(pages)
    }

    fn maybe_evict(&self, pages: usize) {
        if pages >= EVICT_ALL_FROM_PAGES {
            typst::comemo::evict(0);
        } else if self.renders.fetch_add(1, Ordering::Relaxed) % EVICT_EVERY == EVICT_EVERY - 1 {
            typst::comemo::evict(EVICT_MAX_AGE);
        }
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }
}

/// The render threads: a rayon pool of `n` threads (0: one per CPU).
///
/// Typst lays out pages, and its PDF writer compresses page streams, as rayon
/// tasks. Called from an ordinary thread (a Tokio blocking thread, a
/// benchmark's), each render handed that work to rayon's global pool and
/// waited for it: two to four thread hand-offs per act, wake-ups that a
/// loaded machine delays, and a render using more cores than its slot. A
/// render run *inside* this pool does that work on its own thread (rayon runs
/// a worker's nested tasks in place), or on an idle render thread. Measured
/// (`acta bench render`, 2 CPUs under load 15, debug build): 16 656 → 7 784
/// involuntary and 1 045 → 1 259 voluntary context switches, 5.8–6.0 → 5.3 ms
/// of CPU per one-page act, peak RSS 152 → 125 MB (fewer threads allocate).
fn render_threads(n: usize) -> Result<rayon::ThreadPool, RenderError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("acta-render-{i}"))
        .build()
        .map_err(|e| RenderError::Setup(format!("render threads: {e}")))
}

fn pdf_options(job: &RenderJob<'_>) -> Result<PdfOptions, RenderError> {
    let standards = PdfStandards::new(&[PdfStandard::A_2b])
        .map_err(|e| RenderError::Setup(format!("PDF/A-2b: {}", e.message())))?;
    let t = job.timestamp;
    let datetime =
        Datetime::from_ymd_hms(t.year(), t.month().into(), t.day(), t.hour(), t.minute(), t.second())
            .ok_or_else(|| RenderError::Setup(format!("timestamp out of range: {t}")))?;
    Ok(PdfOptions {
        ident: Smart::Custom(job.ident.to_owned()),
        creator: Smart::Custom(Some(CREATOR.to_owned())),
        timestamp: Some(Timestamp::new_utc(datetime)),
        standards,
        ..PdfOptions::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(files: &[(&str, &str)]) -> Engine {
        let tree = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = tree.path().join(path.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        Engine::new(&FileTree::from_dir(tree.path()).unwrap()).unwrap()
    }

    fn job<'a>(template: &'a TemplateId, data: &'a [u8]) -> RenderJob<'a> {
        let timestamp = time::macros::datetime!(2026-03-02 10:00);
        RenderJob { template, data, timestamp, ident: "test", title: "Titre", author: "Auteur" }
    }

    fn render(e: &Engine, name: &str) -> Result<Vec<u8>, RenderError> {
        let id: TemplateId = name.parse().unwrap();
        e.render(&job(&id, br#"{"x": "v"}"#))
    }

    #[test]
    fn a_template_cannot_read_outside_its_own_files() {
        let e = engine(&[
            ("/abs.typ", r#"#read("/etc/passwd")"#),
            ("/up.typ", r#"#read("../../../../etc/passwd")"#),
            ("/pkg.typ", r#"#import "@preview/cetz:0.3.0": *"#),
        ]);
        for name in ["abs", "up", "pkg"] {
            assert!(matches!(render(&e, name), Err(RenderError::Template(_))), "{name} escaped");
        }
    }

    #[test]
    fn template_errors_are_located_by_file_line_and_column() {
        let e = engine(&[
            ("/lib/l.typ", "#let f(d) = d.missing\n"),
            ("/t.typ", "#import \"/lib/l.typ\": f\n\n#f(json(\"/data.json\"))\n"),
        ]);
        let Err(RenderError::Template(lines)) = render(&e, "t") else { panic!("should fail") };
        assert!(lines[0].starts_with("/lib/l.typ:1:15: dictionary does not contain key"), "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("/t.typ:3:")), "no trace to the caller: {lines:?}");
    }

    #[test]
    fn a_panic_in_a_template_is_a_refusal_naming_the_field() {
        let e = engine(&[
            ("/t.typ", "#panic(\"/data/date_fin : doit être postérieure à « date_debut » \\\"x\\\"\")"),
            ("/u.typ", "#panic(\"Quorum non atteint : 3 présents pour 11\")"),
            ("/v.typ", "#panic(\"/data/seance/date,/data/poursuite/date_saisine : plus de deux mois\")"),
            ("/w.typ", "#panic(\"/collectivite/mediateur : coordonnées du médiateur manquantes\")"),
        ]);
        match render(&e, "t") {
            Err(RenderError::Refused { paths, message }) => {
                assert_eq!(paths, ["/data/date_fin"]);
                assert_eq!(message, "doit être postérieure à « date_debut » \"x\"");
            }
            other => panic!("{other:?}"),
        }
        match render(&e, "u") {
            Err(RenderError::Refused { paths, message }) => {
                assert!(paths.is_empty());
                assert_eq!(message, "Quorum non atteint : 3 présents pour 11");
            }
            other => panic!("{other:?}"),
        }
        match render(&e, "v") {
            Err(RenderError::Refused { paths, message }) => {
                assert_eq!(paths, ["/data/seance/date", "/data/poursuite/date_saisine"]);
                assert_eq!(message, "plus de deux mois");
            }
            other => panic!("{other:?}"),
        }
        match render(&e, "w") {
            Err(RenderError::ProfileIncomplete { field, message }) => {
                assert_eq!(field, "/collectivite/mediateur");
                assert_eq!(message, "coordonnées du médiateur manquantes");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn french_text_is_printable_and_emoji_are_not() {
        let e = engine(&[]);
        assert!("Œuvre « cœur » à l’été — 1 940,50 € ÇÀÉÈÊËÎÏÔÙÛÜŸ".chars().all(|c| e.can_print(c)));
        assert!(!e.can_print('😀'));
    }

    /// A space the body font lacks (U+1680 OGHAM SPACE MARK) once passed the
    /// check and failed the PDF/A export: a 500 instead of a 422 naming it.
    /// (U+3000, which no embedded font draws, is refused too: it only comes
    /// from pasted East Asian text.)
    #[test]
    fn every_space_the_check_lets_through_renders() {
        let e = engine(&[(
            "/t.typ",
            "#set text(font: \"Libertinus Serif\")\n#let d = json(\"/data.json\")\n#d.x",
        )]);
        let id: TemplateId = "t".parse().unwrap();
        let spaces = (0..=0x10FFFF_u32).filter_map(char::from_u32).filter(|c| c.is_whitespace());
        for c in spaces.filter(|c| !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}')) {
            let data = serde_json::json!({ "x": format!("a{c}b") }).to_string();
            let rendered = e.render(&job(&id, data.as_bytes()));
            if e.can_print(c) {
                assert!(rendered.is_ok(), "U+{:04X}: {:?}", u32::from(c), rendered.err());
            }
        }
        // The spaces of French typography stay printable.
        assert!(['\u{00A0}', '\u{202F}', '\u{2009}', '\u{2007}'].iter().all(|&c| e.can_print(c)));
    }

    #[test]
    fn a_document_over_the_page_limit_is_refused_with_its_page_count() {
        let e = engine(&[("/t.typ", "#for i in range(5) [Page #i #pagebreak()]")]).with_max_pages(3);
        match render(&e, "t") {
            Err(RenderError::TooManyPages { pages: 6, max: 3 }) => {}
            other => panic!("{other:?}"),
        }
        let e = e.with_max_pages(6);
        let id: TemplateId = "t".parse().unwrap();
        assert_eq!(e.render_counted(&job(&id, b"{}")).unwrap().1, 6);
    }

    #[test]
    fn the_clock_is_not_available_to_templates() {
        let e = engine(&[("/t.typ", "#datetime.today().display()")]);
        assert!(render(&e, "t").is_err());
    }

    #[test]
    fn the_same_job_renders_the_same_bytes() {
        let e = engine(&[("/t.typ", "#let d = json(\"/data.json\")\n= Titre\n#d.x")]);
        let a = render(&e, "t").unwrap();
        let b = render(&e, "t").unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with(b"%PDF-"));
    }
}
