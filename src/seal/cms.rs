//! The CMS side of a seal: a CAdES *detached* `SignedData` (ETSI EN 319 122,
//! baseline profile as PAdES requires it).
//!
//! - *eContent* is absent: the signed content is the PDF's ByteRange, whose
//!   SHA-256 is the `message-digest` signed attribute.
//! - *Signed attributes*: `content-type` (id-data), `message-digest`,
//!   `signing-certificate-v2` (SHA-256 of the seal certificate and its issuer
//!   and serial). **No `signing-time`**: PAdES forbids it, the claimed time is
//!   the PDF's `/M`, the proven one the timestamp.
//! - The signature is computed over the DER `SET OF` signed attributes
//!   ([`SignedAttrs::to_be_signed`]) by a [`super::SealSigner`].
//! - *B-T*: the RFC 3161 token over the signature value goes in the unsigned
//!   attribute `id-aa-signatureTimeStampToken`.
//! - `sid` is `issuerAndSerialNumber`; `certificates` holds the seal
//!   certificate and its chain.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence};
use sha2_10::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::{Attribute, Attributes};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;

use super::SealError;
use super::signer::SignatureAlgorithm;

/// Object identifiers of the seal's CMS.
pub mod oid {
    use const_oid::ObjectIdentifier as Oid;

    /// id-data.
    pub const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
    /// id-signedData.
    pub const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
    /// id-contentType.
    pub const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
    /// id-messageDigest.
    pub const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
    /// id-signingTime (which a seal must not carry).
    pub const SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
    /// id-aa-signingCertificateV2.
    pub const SIGNING_CERTIFICATE_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");
    /// id-aa-signatureTimeStampToken.
    pub const SIGNATURE_TIME_STAMP_TOKEN: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.14");
    /// id-ct-TSTInfo.
    pub const TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
    /// id-sha256.
    pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
    /// ecdsa-with-SHA256.
    pub const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
}

/// `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, … }`
/// (RFC 5035).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
}

/// `ESSCertIDv2`. The hash algorithm defaults to SHA-256, and DER omits
/// defaults, so it is left out.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct EssCertIdV2 {
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// `IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber … }`.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub(crate) struct IssuerSerial {
    pub issuer: Vec<GeneralName>,
    pub serial_number: SerialNumber,
}

/// SHA-256 algorithm identifier (parameters absent, RFC 5754).
pub(crate) fn sha256_id() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: oid::SHA256, parameters: None }
}

fn attribute(oid: const_oid::ObjectIdentifier, value: Any) -> Result<Attribute, SealError> {
    Ok(Attribute { oid, values: SetOfVec::try_from(vec![value])? })
}

/// The signed attributes of one seal, and their DER encoding.
#[derive(Debug, Clone)]
pub struct SignedAttrs {
    attrs: Attributes,
    der: Vec<u8>,
}

impl SignedAttrs {
    /// Attributes for the ByteRange digest `message_digest`, sealed with the
    /// certificate `certificate` (DER).
    pub fn new(message_digest: &[u8; 32], certificate: &[u8]) -> Result<Self, SealError> {
        let cert = Certificate::from_der(certificate).map_err(|e| SealError::Certificate(e.to_string()))?;
        let ess = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                hash_algorithm: None,
                cert_hash: OctetString::new(Sha256::digest(certificate).to_vec())?,
                issuer_serial: Some(IssuerSerial {
                    issuer: vec![GeneralName::DirectoryName(cert.tbs_certificate.issuer.clone())],
                    serial_number: cert.tbs_certificate.serial_number.clone(),
                }),
            }],
        };
        let mut attrs = Attributes::new();
        attrs.insert(attribute(oid::CONTENT_TYPE, Any::encode_from(&oid::DATA)?)?)?;
        attrs.insert(attribute(
            oid::MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(message_digest.to_vec())?)?,
        )?)?;
        attrs.insert(attribute(oid::SIGNING_CERTIFICATE_V2, Any::encode_from(&ess)?)?)?;
        let der = attrs.to_der()?;
        Ok(Self { attrs, der })
    }

    /// What the signer signs: the attributes as a DER `SET OF` (RFC 5652
    /// §5.4), not as the `[0] IMPLICIT` they become inside the SignerInfo.
    pub fn to_be_signed(&self) -> &[u8] {
        &self.der
    }
}

/// The seal's CMS: a DER `ContentInfo` holding the `SignedData`.
///
/// `timestamp` is the DER RFC 3161 `TimeStampToken` over `signature`, if any.
pub fn assemble(
    attrs: SignedAttrs,
    signature: Vec<u8>,
    algorithm: SignatureAlgorithm,
    certificate: &[u8],
    chain: &[Vec<u8>],
    timestamp: Option<&[u8]>,
) -> Result<Vec<u8>, SealError> {
    let cert = Certificate::from_der(certificate).map_err(|e| SealError::Certificate(e.to_string()))?;
    let signature_algorithm = match algorithm {
        SignatureAlgorithm::EcdsaP256Sha256 => {
            AlgorithmIdentifierOwned { oid: oid::ECDSA_WITH_SHA256, parameters: None }
        }
    };
    let unsigned_attrs = match timestamp {
        Some(token) => {
            let mut set = Attributes::new();
            set.insert(attribute(oid::SIGNATURE_TIME_STAMP_TOKEN, Any::from_der(token)?)?)?;
            Some(set)
        }
        None => None,
    };
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256_id(),
        signed_attrs: Some(attrs.attrs),
        signature_algorithm,
        signature: OctetString::new(signature)?,
        unsigned_attrs,
    };
    let mut certs = vec![CertificateChoices::Certificate(cert)];
    for der in chain {
        let c = Certificate::from_der(der).map_err(|e| SealError::Certificate(e.to_string()))?;
        certs.push(CertificateChoices::Certificate(c));
    }
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256_id()])?,
        encap_content_info: EncapsulatedContentInfo { econtent_type: oid::DATA, econtent: None },
        certificates: Some(CertificateSet(SetOfVec::try_from(certs)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    let content_info =
        ContentInfo { content_type: oid::SIGNED_DATA, content: Any::encode_from(&signed_data)? };
    Ok(content_info.to_der()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_attributes_are_the_cades_baseline_ones_and_never_signing_time() {
        let pki = crate::seal::pki::tests::memory_pki();
        let attrs = SignedAttrs::new(&[7; 32], &pki.seal_der).unwrap();
        let oids: Vec<_> = attrs.attrs.iter().map(|a| a.oid).collect();
        assert!(oids.contains(&oid::CONTENT_TYPE));
        assert!(oids.contains(&oid::MESSAGE_DIGEST));
        assert!(oids.contains(&oid::SIGNING_CERTIFICATE_V2));
        assert!(!oids.contains(&oid::SIGNING_TIME));
        assert_eq!(oids.len(), 3);
        // The tbs is a universal SET (0x31), not the [0] of the SignerInfo.
        assert_eq!(attrs.to_be_signed()[0], 0x31);
    }
}
