//! The SIP writer: a zip holding `manifest.xml` at the root and every object
//! under `content/`.
//!
//! Objects are *stored* (PDFs are already compressed) and streamed one at a
//! time from the [`ObjectSource`] into the zip, through a hasher: the SHA-512
//! and size written in the manifest are those of the bytes actually packed,
//! and the PDF's are checked against the act's seal record. Memory stays
//! constant in the size of the documents and in their number: each act's
//! descriptions (its object groups and its unit) are written as XML fragments
//! to anonymous temporary files as it is packed, and copied into the manifest,
//! written as the last entry (zip readers use the central directory, so entry
//! order does not matter). Only a séance's few units stay in memory, to be
//! wrapped in their parent unit. The output is any
//! `Write + Seek` (a file), because the zip format patches each entry's header
//! once its size and CRC are known.

use std::collections::HashSet;
use std::io::{BufWriter, Read, Seek, Write};

use sha2::{Digest, Sha512};
use time::OffsetDateTime;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::SedaError;
use super::assemble::{self, Streamed};
use super::input::{ArchivedAct, ObjectSource, Selection, TransferRequest};
use super::manifest::{Spooled, write_group, write_manifest_with, write_unit};
use super::names::{MANIFEST_NAME, entry_name};
use super::rules::{ActKind, ManagementRules};
use super::units::ArchiveUnit;

/// Copy buffer: large enough for disk throughput, small enough to ignore.
const COPY_BUFFER: usize = 256 * 1024;
/// Entries at least this large need zip64 headers.
const ZIP64_THRESHOLD: u64 = u32::MAX as u64 - 1;

/// What a written SIP contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipSummary {
    /// Total size of the zip in bytes.
    pub bytes_written: u64,
    /// Acts described.
    pub acts: usize,
    /// Files under `content/`.
    pub objects: usize,
    /// The act units' ids, in manifest order (`AU-<act id>`).
    pub act_units: Vec<String>,
}

/// Write the SIP of `request` into `out` and return `out` with a summary.
///
/// Everything that can be checked before writing is (rules for every act,
/// blank titles or identifiers, duplicate acts), so a bad selection fails
/// before the first byte. A PDF that does not match its seal record, or an
/// I/O error, fails mid-way: the output is then incomplete and must be discarded.
pub fn write_sip<W: Write + Seek>(
    out: W,
    request: &TransferRequest,
    rules: &ManagementRules,
    source: &mut dyn ObjectSource,
) -> Result<(W, SipSummary), SedaError> {
    let kinds = preflight(request, rules)?;
    let mut packer = Packer {
        zip: ZipWriter::new(out),
        names: HashSet::new(),
        groups: Spool::new()?,
        objects: 0,
        buf: vec![0; COPY_BUFFER],
    };
    // A séance's units are wrapped in one parent unit at the end (a few
    // acts); any other selection's are spooled like the groups.
    let seance = matches!(request.selection, Selection::Seance(_));
    let mut units_spool = Spool::new()?;
    let mut act_units = Vec::new();
    let mut units = Vec::new();
    for (act, kind) in request.selection.acts().zip(&kinds) {
        let unit = packer.pack_act(act, kind, request, source)?;
        act_units.push(unit.id.to_string());
        if seance {
            units.push(unit);
        } else {
            write_unit(&unit, &mut units_spool.file)?;
        }
    }
    if let Selection::Seance(seance) = &request.selection {
        units = vec![assemble::seance_unit(seance, units, &request.agencies)];
    }
    let Packer { mut zip, groups, objects, .. } = packer;
    let transfer = assemble::transfer(request, units);
    zip.start_file(MANIFEST_NAME, entry_options(Some(request.date), 0))?;
    {
        let (mut groups, mut units) = (groups.reader()?, units_spool.reader()?);
        let spooled = Spooled { groups: &mut groups, units: &mut units };
        let mut w = BufWriter::with_capacity(COPY_BUFFER, &mut zip);
        write_manifest_with(&transfer, Some(spooled), &mut w)?;
        w.flush()?;
    }
    let mut out = zip.finish()?;
    let bytes_written = out.stream_position()?;
    Ok((out, SipSummary { bytes_written, acts: act_units.len(), objects, act_units }))
}

/// Check the request and resolve each act's rules, in selection order.
fn preflight(request: &TransferRequest, rules: &ManagementRules) -> Result<Vec<ActKind>, SedaError> {
    let blank = |what: &str, v: &str| {
        if v.trim().is_empty() { Err(SedaError::Blank { what: what.to_owned() }) } else { Ok(()) }
    };
    blank("MessageIdentifier", &request.message_identifier)?;
    let a = &request.agencies;
    blank("ArchivalAgreement", &a.archival_agreement)?;
    blank("ArchivalAgency", &a.archival_agency.identifier)?;
    blank("TransferringAgency", &a.transferring_agency.identifier)?;
    blank("OriginatingAgency", &a.originating_agency.identifier)?;
    if let Selection::Seance(s) = &request.selection {
        blank("titre de la séance", &s.title)?;
        blank("identifiant de la séance", &s.id)?;
    }
    let mut seen = HashSet::new();
    let mut kinds = Vec::new();
    for act in request.selection.acts() {
        blank(&format!("titre de l'acte {}", act.number), &act.title)?;
        if !seen.insert(act.id) {
            return Err(SedaError::DuplicateId(act.id.to_string()));
        }
        kinds.push(rules.rules_for(act)?);
    }
    if kinds.is_empty() {
        return Err(SedaError::EmptySelection);
    }
    Ok(kinds)
}

struct Packer<W: Write + Seek> {
    zip: ZipWriter<W>,
    names: HashSet<String>,
    /// `DataObjectGroup` fragments, written as each act is packed.
    groups: Spool,
    objects: usize,
    buf: Vec<u8>,
}

/// An anonymous temporary file (deleted by the OS when closed) receiving XML
/// fragments, so that memory stays constant whatever the number of acts.
struct Spool {
    file: BufWriter<std::fs::File>,
}

impl Spool {
    fn new() -> Result<Self, SedaError> {
        Ok(Self { file: BufWriter::with_capacity(COPY_BUFFER, tempfile::tempfile()?) })
    }

    /// Everything written, from the start.
    fn reader(self) -> Result<std::io::BufReader<std::fs::File>, SedaError> {
        let mut file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.seek(std::io::SeekFrom::Start(0))?;
        Ok(std::io::BufReader::with_capacity(COPY_BUFFER, file))
    }
}

impl<W: Write + Seek> Packer<W> {
    fn pack_act(
        &mut self,
        act: &ArchivedAct,
        kind: &ActKind,
        request: &TransferRequest,
        source: &mut dyn ObjectSource,
    ) -> Result<ArchiveUnit, SedaError> {
        let stem = act.number.to_string();
        let uri = self.unique_name(&stem, "pdf");
        let pdf = self.stream(&uri, act.sealed_at, act.size, &mut *source.pdf(act)?)?;
        if pdf.sha512 != act.sha512.as_str() {
            return Err(mismatch(act, "SHA-512", act.sha512.to_string(), pdf.sha512));
        }
        if pdf.size != act.size {
            return Err(mismatch(act, "taille", act.size.to_string(), pdf.size.to_string()));
        }
        write_group(&assemble::pdf_group(act, request.profile, pdf), &mut self.groups.file)?;
        self.objects += 1;
        let with_proof = match source.proof(act)? {
            Some(mut reader) => {
                let uri = self.unique_name(&format!("{stem}.preuve"), "json");
                let proof = self.stream(&uri, act.sealed_at, 0, &mut *reader)?;
                write_group(&assemble::proof_group(act, request.profile, proof), &mut self.groups.file)?;
                self.objects += 1;
                true
            }
            None => false,
        };
        Ok(assemble::act_unit(act, kind, &request.agencies, with_proof))
    }

    fn unique_name(&mut self, stem: &str, ext: &str) -> String {
        let mut name = entry_name(stem, ext);
        let mut n = 2;
        while !self.names.insert(name.clone()) {
            name = entry_name(&format!("{stem}-{n}"), ext);
            n += 1;
        }
        name
    }

    /// Copy `reader` into a new stored entry, hashing on the way.
    fn stream(
        &mut self,
        uri: &str,
        at: OffsetDateTime,
        size_hint: u64,
        reader: &mut dyn Read,
    ) -> Result<Streamed, SedaError> {
        self.zip.start_file(uri, entry_options(Some(at), size_hint))?;
        let mut hasher = Sha512::new();
        let mut size = 0u64;
        loop {
            let n = match reader.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            hasher.update(&self.buf[..n]);
            self.zip.write_all(&self.buf[..n])?;
            size += n as u64;
        }
        if size == 0 {
            return Err(SedaError::EmptyObject(uri.to_owned()));
        }
        Ok(Streamed { uri: uri.to_owned(), sha512: hex::encode(hasher.finalize()), size })
    }
}

fn mismatch(act: &ArchivedAct, what: &'static str, expected: String, actual: String) -> SedaError {
    SedaError::SealMismatch { number: act.number.to_string(), what, expected, actual }
}

/// Stored, dated (zip dates start in 1980; earlier ones keep the default), zip64 when needed.
fn entry_options(at: Option<OffsetDateTime>, size_hint: u64) -> SimpleFileOptions {
    let mut options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .unix_permissions(0o644)
        .large_file(size_hint >= ZIP64_THRESHOLD);
    if let Some(t) = at.map(|t| t.to_offset(time::UtcOffset::UTC)) {
        let zip_time = u16::try_from(t.year()).ok().and_then(|y| {
            DateTime::from_date_and_time(y, t.month() as u8, t.day(), t.hour(), t.minute(), t.second()).ok()
        });
        if let Some(zt) = zip_time {
            options = options.last_modified_time(zt);
        }
    }
    options
}
