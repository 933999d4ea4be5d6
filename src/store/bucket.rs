//! Raw, signed requests to an S3 bucket, for what `object_store` does not
//! expose: bucket-level calls (`GET /<bucket>?object-lock`) and calls on one
//! object *version* (`DELETE /<key>?versionId=…`). Same endpoint, region and
//! credentials as the store, signed with `object_store`'s own SigV4
//! [`AwsAuthorizer`], so that what the probe sees is what acta's writes see.

use std::time::Duration;

use bytes::Bytes;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey, AwsAuthorizer};
use object_store::client::{HttpRequest, HttpRequestBody};

use super::StoreError;

/// Budget of one bucket request (they are small).
const TIMEOUT: Duration = Duration::from_secs(15);

/// Where and how to reach the bucket behind an S3 store.
#[derive(Debug)]
pub(super) struct Bucket {
    /// Built from the same settings as the store: its credential provider.
    s3: AmazonS3,
    /// URL of the bucket, as `object_store` computes it (path or virtual-host
    /// style), without a trailing slash.
    url: String,
    region: String,
    /// The store's key prefix inside the bucket, if any.
    prefix: Option<String>,
    http: reqwest::Client,
}

/// A bucket's answer.
#[derive(Debug)]
pub(super) struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body (an XML document or an S3 error).
    pub body: Bytes,
}

impl Answer {
    /// A 2xx status.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The S3 error code (`<Code>…</Code>`) of an error answer, if any.
    pub fn error_code(&self) -> Option<String> {
        super::lock::xml_text(&self.body, "Code")
    }
}

impl Bucket {
    /// The bucket of `builder` (already configured), whose store is `s3`.
    pub(super) fn new(
        builder: &AmazonS3Builder,
        s3: AmazonS3,
        prefix: Option<String>,
    ) -> Result<Self, StoreError> {
        let get = |k: AmazonS3ConfigKey| builder.get_config_value(&k);
        let bucket = get(AmazonS3ConfigKey::Bucket).unwrap_or_default();
        let region = get(AmazonS3ConfigKey::Region).unwrap_or_else(|| "us-east-1".to_owned());
        let virtual_hosted =
            get(AmazonS3ConfigKey::VirtualHostedStyleRequest).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        // The same rule as `AmazonS3Builder::build`: an explicit endpoint is
        // the bucket URL itself in virtual-hosted style.
        let url = match (get(AmazonS3ConfigKey::Endpoint), virtual_hosted) {
            (Some(endpoint), true) => endpoint.trim_end_matches('/').to_owned(),
            (Some(endpoint), false) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
            (None, true) => format!("https://{bucket}.s3.{region}.amazonaws.com"),
            (None, false) => format!("https://s3.{region}.amazonaws.com/{bucket}"),
        };
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| StoreError::Bucket(format!("HTTP client: {e}")))?;
        Ok(Self { s3, url, region, prefix, http })
    }

    /// The full key in the bucket of the store's `key`.
    pub(super) fn full_key(&self, key: &str) -> String {
        match &self.prefix {
            Some(p) => format!("{p}/{key}"),
            None => key.to_owned(),
        }
    }

    /// Send a signed request: `key` of the store (`None` for the bucket
    /// itself) with a query string (`object-lock`, `versionId=…`).
    pub(super) async fn send(
        &self,
        method: http::Method,
        key: Option<&str>,
        query: &str,
        body: Bytes,
    ) -> Result<Answer, StoreError> {
        let mut url = match key {
            Some(k) => format!("{}/{}", self.url, self.full_key(k)),
            None => self.url.clone(),
        };
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        let bad = |e: &dyn std::fmt::Display| StoreError::Bucket(format!("{method} {url}: {e}"));
        let mut request: HttpRequest = http::Request::builder()
            .method(method.clone())
            .uri(&url)
            .body(HttpRequestBody::from(body.clone()))
            .map_err(|e| bad(&e))?;
        let credential = self.s3.credentials().get_credential().await?;
        AwsAuthorizer::new(&credential, "s3", &self.region).try_authorize(&mut request, None)?;
        let response = self
            .http
            .request(method.clone(), &url)
            .headers(request.headers().clone())
            .body(body)
            .send()
            .await
            .map_err(|e| bad(&e))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| bad(&e))?;
        Ok(Answer { status, body })
    }
}
