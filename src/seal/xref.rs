//! Reading a classic-xref PDF for the seal's incremental update: the xref
//! sections (newest first, through `/Prev`), the trailer, and the objects
//! they locate. Offsets and numbers come from the file and are never trusted:
//! an offset is only a [`Lexer`] position (clamped to the file), numbers are
//! converted with `try_from` and added with `checked_add`, and the number of
//! sections and entries is bounded (see [`super::limits`]).

use std::collections::BTreeMap;

use super::limits::{Budget, Limit, MAX_XREF_ENTRIES, MAX_XREF_SECTIONS};
use super::pdf::{PdfError, malformed};
use super::syntax::{Lexer, Node, Obj};

/// The original file's cross-reference data. Every offset and number in it
/// comes from the file: offsets are only ever used as a [`Lexer`] position
/// (clamped to the file) and numbers are converted with `try_from`.
pub(super) struct Original<'a> {
    pub src: &'a [u8],
    budget: &'a Budget,
    /// Offset of the newest xref section.
    pub startxref: usize,
    /// The newest trailer.
    pub trailer: Node,
    offsets: BTreeMap<u32, (u16, usize)>,
}

impl<'a> Original<'a> {
    /// Read the xref sections from the last `startxref` back through `/Prev`.
    pub fn read(src: &'a [u8], budget: &'a Budget) -> Result<Self, PdfError> {
        if !src.starts_with(b"%PDF-") {
            return Err(malformed(0, "%PDF-"));
        }
        let tail = src.len().saturating_sub(1024);
        let at = find_last(src.get(tail..).unwrap_or_default(), b"startxref")
            .map(|i| tail + i)
            .ok_or_else(|| malformed(src.len(), "startxref"))?;
        let mut lx = Lexer::at(src, at + b"startxref".len(), budget);
        let startxref = usize::try_from(lx.uint()?).map_err(|_| malformed(at, "a startxref offset"))?;
        let mut offsets = BTreeMap::new();
        let mut trailer = None;
        let mut next = Some(startxref);
        let mut seen = 0;
        while let Some(pos) = next {
            seen += 1;
            if seen > MAX_XREF_SECTIONS {
                return Err(PdfError::TooComplex(Limit::XrefSections));
            }
            if pos >= src.len() {
                return Err(malformed(pos, "a reachable xref section"));
            }
            let t = read_section(src, pos, budget, &mut offsets)?;
            if t.get(b"Encrypt").is_some() {
                return Err(PdfError::Encrypted);
            }
            if t.get(b"XRefStm").is_some() {
                return Err(PdfError::XrefStream);
            }
            next = match t.get(b"Prev") {
                None => None,
                Some(prev) => Some(
                    t.get_int(b"Prev")
                        .and_then(|p| usize::try_from(p).ok())
                        .ok_or_else(|| malformed(prev.span.start, "a /Prev offset"))?,
                ),
            };
            trailer.get_or_insert(t);
        }
        let trailer = trailer.ok_or_else(|| malformed(startxref, "a trailer"))?;
        Ok(Self { src, budget, startxref, trailer, offsets })
    }

    /// The object `n` (its dictionary or array) and its generation.
    pub fn object(&self, n: u32) -> Result<(u16, Node), PdfError> {
        let &(gen_, at) = self.offsets.get(&n).ok_or_else(|| malformed(0, "an object listed in the xref"))?;
        let mut lx = Lexer::at(self.src, at, self.budget);
        let (found, _) = lx.object_header()?;
        if found != n {
            return Err(PdfError::Malformed { at, what: "the object the xref points to" });
        }
        Ok((gen_, lx.value()?))
    }

    /// The bytes of `node` as written.
    pub fn raw(&self, node: &Node) -> &'a [u8] {
        node.raw(self.src)
    }

    /// The first page: follow `/Kids[0]` down the page tree.
    pub fn first_page(&self, catalog: &Node) -> Result<(u32, u16, Node), PdfError> {
        let bad = PdfError::Malformed { at: catalog.span.start, what: "a page tree" };
        let (mut n, _) = catalog.get_ref(b"Pages").ok_or(bad)?;
        for _ in 0..32 {
            let (g, node) = self.object(n)?;
            if !node.name_is(b"Type", b"Pages", self.src) {
                return Ok((n, g, node));
            }
            let kid = match node.get(b"Kids").map(|k| &k.obj) {
                Some(Obj::Array(kids)) => kids.first().and_then(|k| match k.obj {
                    Obj::Ref(n, _) => Some(n),
                    _ => None,
                }),
                _ => None,
            };
            n = kid.ok_or(PdfError::Malformed { at: node.span.start, what: "/Kids" })?;
        }
        Err(PdfError::Malformed { at: 0, what: "a page tree of reasonable depth" })
    }
}

/// Read the xref section at `pos` into `offsets` (entries already known from
/// a newer section win) and return its trailer.
fn read_section(
    src: &[u8],
    pos: usize,
    budget: &Budget,
    offsets: &mut BTreeMap<u32, (u16, usize)>,
) -> Result<Node, PdfError> {
    let mut lx = Lexer::at(src, pos, budget);
    if lx.keyword("xref").is_err() {
        // `n g obj << /Type /XRef … >> stream`: a cross-reference stream.
        let mut lx = Lexer::at(src, pos, budget);
        if lx.object_header().is_ok() && lx.value().is_ok_and(|d| d.name_is(b"Type", b"XRef", src)) {
            return Err(PdfError::XrefStream);
        }
        return Err(malformed(pos, "xref"));
    }
    let mut entries = 0_u64;
    loop {
        if lx.keyword("trailer").is_ok() {
            return Ok(lx.value()?);
        }
        let at = lx.pos();
        let first = u32::try_from(lx.uint()?).map_err(|_| malformed(at, "an object number"))?;
        let count = lx.uint()?;
        entries = entries.saturating_add(count);
        if entries > MAX_XREF_ENTRIES {
            return Err(PdfError::TooComplex(Limit::XrefEntries));
        }
        for i in 0..count {
            let at = lx.pos();
            let n = u32::try_from(i)
                .ok()
                .and_then(|i| first.checked_add(i))
                .ok_or_else(|| malformed(at, "an object number"))?;
            let offset = usize::try_from(lx.uint()?).map_err(|_| malformed(at, "an xref offset"))?;
            let gen_ = u16::try_from(lx.uint()?).map_err(|_| malformed(at, "a generation number"))?;
            match lx.token()? {
                b"n" => {
                    offsets.entry(n).or_insert((gen_, offset));
                }
                b"f" => {}
                _ => return Err(malformed(lx.pos(), "an xref entry type (n or f)")),
            }
        }
    }
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}
