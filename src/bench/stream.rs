//! `acta bench store --stream-mib N`: one object of N MiB uploaded through the
//! store in parts, then downloaded, both streamed. The bytes are generated on
//! the fly (one 1 MiB block, shared) and hashed on the way, never held: peak
//! RSS shows what streaming costs.

use std::time::Instant;

use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};

use super::{BenchError, peak_rss_mb};
use crate::store::{Store, StoreError};

/// Figures of one streaming benchmark.
#[derive(Debug, Clone)]
pub struct StreamReport {
    /// Where the object was written.
    pub location: String,
    /// Size of the object, bytes.
    pub size: u64,
    /// Upload throughput, MB/s (10^6 bytes), SHA-256 included.
    pub upload_mb_s: f64,
    /// Download throughput, MB/s, SHA-256 included.
    pub download_mb_s: f64,
    /// Peak resident memory of the process (MB), from /proc.
    pub peak_rss_mb: Option<f64>,
}

impl std::fmt::Display for StreamReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "store                   {}", self.location)?;
        writeln!(
            f,
            "object                  {} MiB, parts of {} MiB",
            self.size >> 20,
            crate::store::PART_SIZE >> 20
        )?;
        writeln!(f, "streamed upload         {:.0} MB/s", self.upload_mb_s)?;
        writeln!(f, "streamed download       {:.0} MB/s", self.download_mb_s)?;
        match self.peak_rss_mb {
            Some(mb) => writeln!(f, "peak RSS                {mb:.0} MB"),
            None => writeln!(f, "peak RSS                n/a"),
        }
    }
}

/// Upload then download one object of `mib` MiB under `_bench/<run>/`; it is
/// removed afterwards (unless the bucket retains it: Object Lock).
pub async fn stream(store: &Store, mib: usize) -> Result<StreamReport, BenchError> {
    let err = |e: StoreError| BenchError::Service(e.into());
    let key = format!("{}{}/stream.bin", crate::store::keys::BENCH_PREFIX, uuid::Uuid::now_v7());
    // A non-repeating block, so that no layer can compress or deduplicate it
    // within a part.
    let block: Bytes = (0..1u32 << 20).map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()[3]).collect();
    let chunks = futures::stream::iter((0..mib).map(move |_| Ok::<_, StoreError>(block.clone())));

    let start = Instant::now();
    let up = store.create_from_stream(&key, chunks).await.map_err(err)?;
    let upload = start.elapsed();

    let start = Instant::now();
    let mut object = store
        .read(&key, None)
        .await
        .map_err(err)?
        .ok_or_else(|| BenchError::Fixtures(format!("{key}: just written, not found")))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = object.stream.next().await {
        let chunk = chunk.map_err(err)?;
        size += chunk.len() as u64;
        hasher.update(&chunk);
    }
    let download = start.elapsed();
    if size != up.size || hex::encode(hasher.finalize()) != up.sha256 {
        return Err(BenchError::Fixtures(format!("{key}: downloaded bytes differ from uploaded")));
    }
    store.remove_bench_object(&key).await;
    let mb = up.size as f64 / 1e6;
    Ok(StreamReport {
        location: store.location().to_owned(),
        size: up.size,
        upload_mb_s: mb / upload.as_secs_f64(),
        download_mb_s: mb / download.as_secs_f64(),
        peak_rss_mb: peak_rss_mb(),
    })
}
