//! Writing an [`ArchiveTransfer`] as XML with quick-xml's `Writer`.
//!
//! The writer emits elements in XSD sequence order, in the default namespace
//! [`SEDA_NAMESPACE`], indented by two spaces, and skips every absent or blank
//! optional element. It writes straight into any `io::Write` (a zip entry), so
//! the manifest is never held in memory as a whole.

use std::borrow::Cow;
use std::io::{Read, Write};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event as XmlEvent};

use super::SedaError;
use super::model::{
    ArchiveTransfer, BinaryDataObject, CodeListVersions, DataObjectGroup, ManagementMetadata, Organization,
    SEDA_1_NAMESPACE, SEDA_NAMESPACE,
};
use super::names::{xml_safe, xsd_date, xsd_date_time};
use super::units::{ArchiveUnit, Content, Event, Management};

/// Write `transfer` as a complete XML document into `out`.
pub fn write_manifest<W: Write>(transfer: &ArchiveTransfer, out: W) -> Result<(), SedaError> {
    write_manifest_with(transfer, None, out)
}

/// Groups and units already written as XML fragments (by [`write_group`]
/// and [`write_unit`]) to spool files, so that a large transfer's
/// descriptions are not held in memory: they are copied in place, after the
/// transfer's own (in-memory) groups and units.
pub struct Spooled<'a> {
    /// `DataObjectGroup` fragments.
    pub groups: &'a mut dyn Read,
    /// `ArchiveUnit` fragments.
    pub units: &'a mut dyn Read,
}

/// One `DataObjectGroup` as an XML fragment (for [`Spooled`]), indented as
/// in the manifest.
pub fn write_group<W: Write>(group: &DataObjectGroup, out: W) -> Result<(), SedaError> {
    fragment(2, out, |x| object_group(x, group))
}

/// One `ArchiveUnit` as an XML fragment (for [`Spooled`]), indented as in the
/// manifest.
pub fn write_unit<W: Write>(unit: &ArchiveUnit, out: W) -> Result<(), SedaError> {
    fragment(3, out, |x| archive_unit(x, unit))
}

/// Write what `body` writes as if it were `depth` elements deep in the
/// manifest: it is written inside `depth` wrapper elements, which are then
/// cut off, so the fragment (which starts with its own line break) is
/// byte for byte what the manifest writer would have written there. Text
/// content is never touched.
fn fragment<W: Write>(
    depth: usize,
    mut out: W,
    body: impl FnOnce(&mut Xml<&mut Vec<u8>>) -> Result<(), SedaError>,
) -> Result<(), SedaError> {
    let mut buf = Vec::with_capacity(4096);
    {
        let mut x = Xml(Writer::new_with_indent(&mut buf, b' ', 2));
        for _ in 0..depth {
            x.start("w")?;
        }
        let opened = x.0.get_ref().len();
        body(&mut x)?;
        let closed = x.0.get_ref().len();
        for _ in 0..depth {
            x.end("w")?;
        }
        buf.truncate(closed);
        buf.drain(..opened);
    }
    out.write_all(&buf)?;
    Ok(())
}

/// [`write_manifest`], with spooled groups and units copied in.
pub fn write_manifest_with<W: Write>(
    transfer: &ArchiveTransfer,
    mut spooled: Option<Spooled<'_>>,
    out: W,
) -> Result<(), SedaError> {
    let mut x = Xml(Writer::new_with_indent(out, b' ', 2));
    x.0.write_event(XmlEvent::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    x.0.write_event(XmlEvent::Start(
        BytesStart::new("ArchiveTransfer").with_attributes([("xmlns", SEDA_NAMESPACE)]),
    ))?;
    x.opt("Comment", transfer.comment.as_deref())?;
    x.text("Date", &xsd_date_time(transfer.date)?)?;
    x.text("MessageIdentifier", &transfer.message_identifier)?;
    x.opt("ArchivalAgreement", transfer.archival_agreement.as_deref())?;
    code_lists(&mut x, &transfer.code_list_versions)?;
    let package = &transfer.package;
    x.start("DataObjectPackage")?;
    for group in &package.groups {
        object_group(&mut x, group)?;
    }
    if let Some(s) = spooled.as_mut() {
        std::io::copy(s.groups, x.0.get_mut())?;
    }
    x.start("DescriptiveMetadata")?;
    for unit in &package.units {
        archive_unit(&mut x, unit)?;
    }
    if let Some(s) = spooled.as_mut() {
        std::io::copy(s.units, x.0.get_mut())?;
    }
    x.end("DescriptiveMetadata")?;
    management_metadata(&mut x, &package.management)?;
    x.end("DataObjectPackage")?;
    organization(&mut x, "ArchivalAgency", &transfer.archival_agency)?;
    organization(&mut x, "TransferringAgency", &transfer.transferring_agency)?;
    x.end("ArchiveTransfer")?;
    x.0.get_mut().write_all(b"\n")?;
    Ok(())
}

/// Text escaped for element content: only `&`, `<` and `>` (quick-xml's
/// default also turns quotes into entities, which is valid but unreadable),
/// and made XML-safe first ([`xml_safe`]): quick-xml writes any character
/// as is, and one control character would make the whole manifest invalid.
fn esc(text: &str) -> BytesText<'_> {
    match xml_safe(text) {
        Cow::Borrowed(text) => BytesText::from_escaped(quick_xml::escape::partial_escape(text)),
        Cow::Owned(safe) => BytesText::from_escaped(quick_xml::escape::partial_escape(&safe).into_owned()),
    }
}

/// Thin helpers over quick-xml's writer.
struct Xml<W: Write>(Writer<W>);

impl<W: Write> Xml<W> {
    fn start(&mut self, name: &str) -> Result<(), SedaError> {
        Ok(self.0.write_event(XmlEvent::Start(BytesStart::new(name)))?)
    }

    fn start_with_id(&mut self, name: &str, id: &str) -> Result<(), SedaError> {
        Ok(self.0.write_event(XmlEvent::Start(BytesStart::new(name).with_attributes([("id", id)])))?)
    }

    fn end(&mut self, name: &str) -> Result<(), SedaError> {
        Ok(self.0.write_event(XmlEvent::End(BytesEnd::new(name)))?)
    }

    /// `<name>text</name>`; blank text is a bug of the caller, written anyway
    /// so that the XSD check reports it.
    fn text(&mut self, name: &str, text: &str) -> Result<(), SedaError> {
        self.0.create_element(name).write_text_content(esc(text))?;
        Ok(())
    }

    /// `<name>text</name>` unless `text` is absent or blank.
    fn opt(&mut self, name: &str, text: Option<&str>) -> Result<(), SedaError> {
        match text {
            Some(t) if !t.trim().is_empty() => self.text(name, t),
            _ => Ok(()),
        }
    }

    fn opt_date(&mut self, name: &str, date: Option<time::Date>) -> Result<(), SedaError> {
        match date {
            Some(d) => self.text(name, &xsd_date(d)?),
            None => Ok(()),
        }
    }

    fn opt_date_time(&mut self, name: &str, t: Option<time::OffsetDateTime>) -> Result<(), SedaError> {
        match t {
            Some(t) => self.text(name, &xsd_date_time(t)?),
            None => Ok(()),
        }
    }
}

fn code_lists<W: Write>(x: &mut Xml<W>, lists: &CodeListVersions) -> Result<(), SedaError> {
    if lists.0.is_empty() {
        x.0.write_event(XmlEvent::Empty(BytesStart::new("CodeListVersions")))?;
        return Ok(());
    }
    x.start("CodeListVersions")?;
    for (list, version) in &lists.0 {
        x.text(list.element(), version)?;
    }
    x.end("CodeListVersions")
}

fn object_group<W: Write>(x: &mut Xml<W>, group: &DataObjectGroup) -> Result<(), SedaError> {
    x.start_with_id("DataObjectGroup", group.id.as_str())?;
    for object in &group.objects {
        binary_object(x, object)?;
    }
    x.end("DataObjectGroup")
}

fn binary_object<W: Write>(x: &mut Xml<W>, o: &BinaryDataObject) -> Result<(), SedaError> {
    x.start_with_id("BinaryDataObject", o.id.as_str())?;
    x.text("DataObjectVersion", &o.version)?;
    x.text("Uri", &o.uri)?;
    x.0.create_element("MessageDigest")
        .with_attribute(("algorithm", o.digest.algorithm.as_str()))
        .write_text_content(esc(&o.digest.value))?;
    x.text("Size", &o.size.to_string())?;
    x.start("FormatIdentification")?;
    x.opt("FormatLitteral", Some(&o.format.literal))?;
    x.opt("MimeType", Some(&o.format.mime_type))?;
    x.opt("FormatId", Some(&o.format.format_id))?;
    x.end("FormatIdentification")?;
    let info = &o.file_info;
    x.start("FileInfo")?;
    x.text("Filename", &info.filename)?;
    x.opt("CreatingApplicationName", info.creating_application_name.as_deref())?;
    x.opt("CreatingApplicationVersion", info.creating_application_version.as_deref())?;
    x.opt_date_time("DateCreatedByApplication", info.date_created_by_application)?;
    x.opt_date_time("LastModified", info.last_modified)?;
    x.end("FileInfo")?;
    x.end("BinaryDataObject")
}

fn archive_unit<W: Write>(x: &mut Xml<W>, unit: &ArchiveUnit) -> Result<(), SedaError> {
    x.start_with_id("ArchiveUnit", unit.id.as_str())?;
    if let Some(m) = &unit.management {
        x.start("Management")?;
        rules(x, m)?;
        x.end("Management")?;
    }
    content(x, &unit.content)?;
    for group in &unit.object_groups {
        x.start("DataObjectReference")?;
        x.text("DataObjectGroupReferenceId", group.as_str())?;
        x.end("DataObjectReference")?;
    }
    for child in &unit.children {
        archive_unit(x, child)?;
    }
    x.end("ArchiveUnit")
}

fn rules<W: Write>(x: &mut Xml<W>, m: &Management) -> Result<(), SedaError> {
    if let Some(r) = &m.appraisal {
        x.start("AppraisalRule")?;
        x.text("Rule", &r.rule)?;
        x.opt_date("StartDate", r.start_date)?;
        x.text("FinalAction", r.final_action.as_str())?;
        x.end("AppraisalRule")?;
    }
    if let Some(r) = &m.access {
        x.start("AccessRule")?;
        x.text("Rule", &r.rule)?;
        x.opt_date("StartDate", r.start_date)?;
        x.end("AccessRule")?;
    }
    Ok(())
}

fn content<W: Write>(x: &mut Xml<W>, c: &Content) -> Result<(), SedaError> {
    x.start("Content")?;
    x.text("DescriptionLevel", c.description_level.as_str())?;
    x.text("Title", &c.title)?;
    x.opt("OriginatingSystemId", c.originating_system_id.as_deref())?;
    x.opt("OriginatingAgencyArchiveUnitIdentifier", c.originating_agency_archive_unit_identifier.as_deref())?;
    x.opt("Description", c.description.as_deref())?;
    x.opt("DocumentType", c.document_type.as_deref())?;
    x.opt("Language", c.language.as_deref())?;
    x.opt("DescriptionLanguage", c.description_language.as_deref())?;
    for k in c.keywords.iter().filter(|k| !k.content.trim().is_empty()) {
        x.start("Keyword")?;
        x.text("KeywordContent", &k.content)?;
        x.opt("KeywordType", k.kind)?;
        x.end("Keyword")?;
    }
    if let Some(o) = &c.originating_agency {
        organization(x, "OriginatingAgency", o)?;
    }
    if let Some(o) = &c.submission_agency {
        organization(x, "SubmissionAgency", o)?;
    }
    x.opt_date("CreatedDate", c.created_date)?;
    x.opt_date("TransactedDate", c.transacted_date)?;
    x.opt_date("RegisteredDate", c.registered_date)?;
    x.opt_date("StartDate", c.start_date)?;
    x.opt_date("EndDate", c.end_date)?;
    for e in &c.events {
        event(x, e)?;
    }
    x.end("Content")
}

fn event<W: Write>(x: &mut Xml<W>, e: &Event) -> Result<(), SedaError> {
    x.start("Event")?;
    x.opt("EventIdentifier", e.identifier.as_deref())?;
    x.opt("EventTypeCode", e.type_code.as_deref())?;
    x.opt("EventType", e.event_type.as_deref())?;
    x.text("EventDateTime", &xsd_date_time(e.date_time)?)?;
    x.opt("EventDetail", e.detail.as_deref())?;
    x.opt("Outcome", e.outcome.as_deref())?;
    x.end("Event")
}

fn management_metadata<W: Write>(x: &mut Xml<W>, m: &ManagementMetadata) -> Result<(), SedaError> {
    x.start("ManagementMetadata")?;
    x.opt("ArchivalProfile", m.archival_profile.as_deref())?;
    x.opt("AcquisitionInformation", m.acquisition_information.as_deref())?;
    x.opt("LegalStatus", m.legal_status.as_deref())?;
    x.opt("OriginatingAgencyIdentifier", m.originating_agency_identifier.as_deref())?;
    x.opt("SubmissionAgencyIdentifier", m.submission_agency_identifier.as_deref())?;
    if let Some(r) = &m.rules {
        rules(x, r)?;
    }
    x.end("ManagementMetadata")
}

fn organization<W: Write>(x: &mut Xml<W>, element: &str, o: &Organization) -> Result<(), SedaError> {
    x.start(element)?;
    x.text("Identifier", &o.identifier)?;
    if let Some(name) = o.name.as_deref().filter(|n| !n.trim().is_empty()) {
        x.start("OrganizationDescriptiveMetadata")?;
        x.0.create_element("Name")
            .with_attribute(("xmlns", SEDA_1_NAMESPACE))
            .write_text_content(esc(name))?;
        x.end("OrganizationDescriptiveMetadata")?;
    }
    x.end(element)
}
