//! An RFC 3161 *time-stamping* client: what turns a PAdES-B-B seal into
//! B-T. The *message imprint* sent to the time-stamping authority (TSA) is the
//! SHA-256 of the CMS signature value; the *token* it returns (a CMS
//! `SignedData` over a `TSTInfo`) goes into the seal's unsigned attributes.
//!
//! The client checks what it can without trusting the TSA's certificate:
//! status granted, the nonce it sent, and the imprint. Validating the token's
//! own signature and chain is left to PAdES validators.

use std::time::Duration;

use cmpv2::status::PkiStatus;
use der::asn1::{Int, OctetString};
use der::{Any, Decode, Encode};
use rand_core_06::{OsRng, RngCore};
use sha2_10::{Digest, Sha256};
use time::OffsetDateTime;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use super::cms::oid;

/// How long a TSA may take to answer.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why no timestamp was obtained.
#[derive(Debug, thiserror::Error)]
pub enum TsaError {
    /// The TSA URL is not usable.
    #[error("invalid TSA URL {url:?}: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The TSA could not be reached or answered with an HTTP error.
    #[error("TSA request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The TSA's answer is not a time-stamp response.
    #[error("TSA response unreadable: {0}")]
    Decode(#[from] der::Error),
    /// The TSA refused.
    #[error("TSA refused the request (status {0:?})")]
    Refused(PkiStatus),
    /// The token is not about what was asked.
    #[error("TSA token mismatch: {0}")]
    Mismatch(&'static str),
}

/// A checked time-stamp token.
#[derive(Debug, Clone)]
pub struct Token {
    /// The DER `TimeStampToken` (a `ContentInfo`).
    pub der: Vec<u8>,
    /// The TSA's time.
    pub gen_time: OffsetDateTime,
}

/// A TSA endpoint.
#[derive(Debug, Clone)]
pub struct TsaClient {
    url: reqwest::Url,
    http: reqwest::Client,
}

impl TsaClient {
    /// A client of the TSA at `url` (http or https).
    pub fn new(url: &str) -> Result<Self, TsaError> {
        let bad = |reason: String| TsaError::Url { url: url.to_owned(), reason };
        let parsed = reqwest::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("not http(s)".into()));
        }
        let http = reqwest::Client::builder().timeout(TIMEOUT).build()?;
        Ok(Self { url: parsed, http })
    }

    /// The endpoint.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// A token over `signature` (the CMS SignerInfo's signature octets).
    pub async fn stamp(&self, signature: &[u8]) -> Result<Token, TsaError> {
        let imprint = Sha256::digest(signature);
        let mut nonce = [0u8; 8];
        OsRng.fill_bytes(&mut nonce);
        nonce[0] = (nonce[0] & 0x7f) | 0x01; // positive, minimal encoding
        let request = TimeStampReq {
            version: TspVersion::V1,
            message_imprint: MessageImprint {
                hash_algorithm: spki::AlgorithmIdentifier { oid: oid::SHA256, parameters: None::<Any> },
                hashed_message: OctetString::new(imprint.to_vec())?,
            },
            req_policy: None,
            nonce: Some(Int::new(&nonce)?),
            // The TSA's certificate in the token lets validators check it.
            cert_req: true,
            extensions: None,
        };
        let response = self
            .http
            .post(self.url.clone())
            .header("content-type", "application/timestamp-query")
            .body(request.to_der()?)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        check_response(&response, &imprint, &nonce)
    }
}

/// Check a DER `TimeStampResp` against what was asked; returns its token.
pub(crate) fn check_response(response: &[u8], imprint: &[u8], nonce: &[u8]) -> Result<Token, TsaError> {
    let resp = TimeStampResp::from_der(response)?;
    if !matches!(resp.status.status, PkiStatus::Accepted | PkiStatus::GrantedWithMods) {
        return Err(TsaError::Refused(resp.status.status));
    }
    let token = resp.time_stamp_token.ok_or(TsaError::Mismatch("granted without a token"))?;
    let info = tst_info(&token.to_der()?)?;
    if info.nonce.as_ref().map(|n| n.as_bytes()) != Some(nonce) {
        return Err(TsaError::Mismatch("nonce"));
    }
    if info.message_imprint.hash_algorithm.oid != oid::SHA256
        || info.message_imprint.hashed_message.as_bytes() != imprint
    {
        return Err(TsaError::Mismatch("message imprint"));
    }
    Ok(Token { der: token.to_der()?, gen_time: gen_time(&info) })
}

/// The `TSTInfo` inside a DER `TimeStampToken`.
pub(crate) fn tst_info(token: &[u8]) -> Result<TstInfo, TsaError> {
    let ci = cms::content_info::ContentInfo::from_der(token)?;
    if ci.content_type != oid::SIGNED_DATA {
        return Err(TsaError::Mismatch("the token is not SignedData"));
    }
    let sd: cms::signed_data::SignedData = ci.content.decode_as()?;
    if sd.encap_content_info.econtent_type != oid::TST_INFO {
        return Err(TsaError::Mismatch("the token does not hold a TSTInfo"));
    }
    let content = sd.encap_content_info.econtent.ok_or(TsaError::Mismatch("empty token"))?;
    let octets: OctetString = content.decode_as()?;
    Ok(TstInfo::from_der(octets.as_bytes())?)
}

/// The TSA's time of `info`.
pub(crate) fn gen_time(info: &TstInfo) -> OffsetDateTime {
    let unix = info.gen_time.to_unix_duration();
    OffsetDateTime::UNIX_EPOCH + unix
}
