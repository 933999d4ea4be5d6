//! Object Lock detection, part of the [probe](super::probe): does the bucket
//! keep every version of every object for a retention period, whatever any
//! credential asks?
//!
//! Two things are looked at, because either alone can mislead:
//! - the bucket's configuration (`GET /<bucket>?object-lock`,
//!   GetObjectLockConfiguration): whether Object Lock is enabled and the
//!   default retention rule (mode, period). Reading it needs the
//!   `s3:GetBucketObjectLockConfiguration` right, which acta may lack;
//! - the behaviour: deleting the probe object's first *version*
//!   (`DELETE /<key>?versionId=…`) must be refused. Under S3 semantics
//!   retention protects versions: a plain PUT adds a new version on top and a
//!   plain DELETE adds a delete marker, neither touches a retained version.
//!
//! Under COMPLIANCE retention the probe objects cannot be deleted by anyone
//! until their retention ends: they are a few bytes each, under `_probe/`, one
//! per start-up or `acta doctor` run (two versions each).

use bytes::Bytes;
use quick_xml::events::Event;
use serde::Serialize;

use super::StoreError;
use super::bucket::Bucket;

/// Object Lock retention mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RetentionMode {
    /// Nobody, root account included, can delete a version or shorten its
    /// retention before it ends.
    Compliance,
    /// Users with `s3:BypassGovernanceRetention` can.
    Governance,
}

/// A retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// In days.
    Days(u32),
    /// In years.
    Years(u32),
}

/// The default retention applied to every new object version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DefaultRetention {
    /// Mode.
    pub mode: RetentionMode,
    /// Period.
    pub period: Period,
}

/// The bucket's Object Lock configuration, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum LockConfiguration {
    /// Not an S3 bucket (local file system).
    NotApplicable,
    /// Object Lock is not enabled on the bucket.
    Disabled,
    /// Enabled, with or without a default retention rule.
    Enabled {
        /// The default rule, if any (without one, objects are only retained
        /// when a writer asks, which acta does not).
        default_retention: Option<DefaultRetention>,
    },
    /// The configuration could not be read (HTTP status; typically 403 when
    /// the credentials lack `s3:GetBucketObjectLockConfiguration`).
    Unreadable {
        /// HTTP status of the answer.
        status: u16,
    },
}

/// What happened when the probe tried to delete its first object version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deletion {
    /// Not an S3 bucket: not tried.
    NotApplicable,
    /// The store refused: retention is enforced.
    Refused,
    /// The version was deleted: nothing is retained.
    Allowed,
}

/// Object Lock as seen by the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ObjectLock {
    /// The configuration read from the bucket.
    pub configuration: LockConfiguration,
    /// The behaviour seen.
    pub deletion: Deletion,
}

impl ObjectLock {
    /// A local store: no Object Lock.
    pub const NOT_APPLICABLE: Self =
        Self { configuration: LockConfiguration::NotApplicable, deletion: Deletion::NotApplicable };

    /// Whether object versions were seen to be retained.
    pub fn enforced(&self) -> bool {
        self.deletion == Deletion::Refused
    }
}

impl std::fmt::Display for DefaultRetention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match self.mode {
            RetentionMode::Compliance => "COMPLIANCE",
            RetentionMode::Governance => "GOVERNANCE",
        };
        match self.period {
            Period::Days(n) => write!(f, "{mode} {n} day(s)"),
            Period::Years(n) => write!(f, "{mode} {n} year(s)"),
        }
    }
}

impl std::fmt::Display for ObjectLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let config = match self.configuration {
            LockConfiguration::NotApplicable => {
                return write!(f, "Object Lock: not applicable (local store)");
            }
            LockConfiguration::Disabled => "not enabled on the bucket".to_owned(),
            LockConfiguration::Enabled { default_retention: Some(r) } => format!("default retention {r}"),
            LockConfiguration::Enabled { default_retention: None } => {
                "enabled without a default retention".to_owned()
            }
            LockConfiguration::Unreadable { status } => format!("configuration unreadable (HTTP {status})"),
        };
        match self.deletion {
            Deletion::Refused => {
                write!(f, "Object Lock: ENFORCED ({config}; deleting a probe version was refused)")
            }
            Deletion::Allowed => {
                write!(f, "Object Lock: not enforced ({config}; a probe version could be deleted)")
            }
            Deletion::NotApplicable => write!(f, "Object Lock: {config}"),
        }
    }
}

/// Look at `bucket`: its configuration, then try to delete version `version`
/// of the store's `key` (or the key itself on an unversioned bucket).
pub(super) async fn check(
    bucket: &Bucket,
    key: &str,
    version: Option<&str>,
) -> Result<ObjectLock, StoreError> {
    let answer = bucket.send(http::Method::GET, None, "object-lock", Bytes::new()).await?;
    let configuration = if answer.ok() {
        parse_configuration(&answer.body)
    } else if answer.status == 404
        || answer.error_code().is_some_and(|c| c.starts_with("ObjectLockConfigurationNotFound"))
    {
        LockConfiguration::Disabled
    } else {
        LockConfiguration::Unreadable { status: answer.status }
    };
    let query = version.map(|v| format!("versionId={v}")).unwrap_or_default();
    let answer = bucket.send(http::Method::DELETE, Some(key), &query, Bytes::new()).await?;
    let deletion = match answer.status {
        200..=299 => Deletion::Allowed,
        // AccessDenied is what S3 and SeaweedFS answer for a retained version.
        403 => Deletion::Refused,
        status => {
            return Err(StoreError::Bucket(format!(
                "deleting a probe object version: unexpected HTTP {status} {}",
                String::from_utf8_lossy(&answer.body)
            )));
        }
    };
    Ok(ObjectLock { configuration, deletion })
}

/// Parse an `ObjectLockConfiguration` document.
fn parse_configuration(xml: &[u8]) -> LockConfiguration {
    if xml_text(xml, "ObjectLockEnabled").as_deref() != Some("Enabled") {
        return LockConfiguration::Disabled;
    }
    let mode = match xml_text(xml, "Mode").as_deref() {
        Some("COMPLIANCE") => Some(RetentionMode::Compliance),
        Some("GOVERNANCE") => Some(RetentionMode::Governance),
        _ => None,
    };
    let number = |tag| xml_text(xml, tag).and_then(|t| t.parse().ok());
    let period = number("Days").map(Period::Days).or_else(|| number("Years").map(Period::Years));
    let default_retention = mode.zip(period).map(|(mode, period)| DefaultRetention { mode, period });
    LockConfiguration::Enabled { default_retention }
}

/// The text of the first element named `tag` in `xml` (namespaces ignored).
pub(super) fn xml_text(xml: &[u8], tag: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut inside = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => inside = e.local_name().as_ref() == tag,
            // S3 values (codes, modes, numbers) hold no entities.
            Event::Text(t) if inside => {
                return Some(t.xml_content(quick_xml::XmlVersion::Implicit1_0).trim().to_owned());
            }
            Event::End(_) => inside = false,
            Event::Eof => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_configuration_is_parsed() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled>
<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>10</Years></DefaultRetention></Rule></ObjectLockConfiguration>"#;
        let parsed = parse_configuration(xml);
        let expected = DefaultRetention { mode: RetentionMode::Compliance, period: Period::Years(10) };
        assert_eq!(parsed, LockConfiguration::Enabled { default_retention: Some(expected) });
        let lock = ObjectLock { configuration: parsed, deletion: Deletion::Refused };
        assert_eq!(
            lock.to_string(),
            "Object Lock: ENFORCED (default retention COMPLIANCE 10 year(s); deleting a probe version was refused)"
        );
        let bare = b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>";
        assert_eq!(parse_configuration(bare), LockConfiguration::Enabled { default_retention: None });
        assert_eq!(parse_configuration(b"<Error><Code>x</Code></Error>"), LockConfiguration::Disabled);
        assert_eq!(
            xml_text(b"<Error><Code>AccessDenied</Code></Error>", "Code").as_deref(),
            Some("AccessDenied")
        );
    }
}
