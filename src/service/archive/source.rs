//! The bytes of a transfer, read from the store while the SIP is written.
//!
//! The SIP writer is synchronous (zip) and runs on a blocking thread; the
//! store is asynchronous. A *prefetcher* (an async loop on the caller's task)
//! reads each act's sealed PDF and computes its inclusion proof a few acts
//! ahead, in selection order, and hands them over a bounded channel to the
//! [`StoreSource`] the writer reads from. Every proof is computed against one
//! checkpoint, read once per transfer. Memory stays bounded: at most
//! [`AHEAD`] acts are in flight, and a PDF larger than [`INLINE_MAX`] is not
//! read ahead but streamed chunk by chunk when the writer reaches it.

use std::io::{self, Read};
use std::sync::Arc;

use bytes::{Buf, Bytes};
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::mpsc;

use crate::domain::ActId;
use crate::seda::{ArchivedAct, ObjectSource};
use crate::service::{Acta, ServiceError};
use crate::store::{StoreError, keys};
use crate::tlog::note::SignedCheckpoint;

/// Acts read ahead of the writer.
pub const AHEAD: usize = 8;
/// PDFs up to this size are read whole ahead of time; larger ones are streamed.
pub const INLINE_MAX: u64 = 512 * 1024;

/// The act's evidence object in a SIP: its inclusion proof in the register
/// log and its audit trail (who created, sealed, withdrew it, when, with which
/// request), archived with it.
#[derive(serde::Serialize)]
struct Evidence {
    #[serde(flatten)]
    proof: crate::service::Proof,
    journal: Vec<crate::auth::AuditEntry>,
}

/// What the prefetcher needs to know of an act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActObjects {
    /// The act.
    pub id: ActId,
    /// Size of its sealed PDF.
    pub size: u64,
    /// Index of its leaf in the register log, if it has one (→ a proof).
    pub leaf: Option<u64>,
}

/// Called with the number of acts packed so far and the total.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// A PDF's bytes: whole, or a stream to pull from.
enum Body {
    Whole(Bytes),
    Stream(BoxStream<'static, Result<Bytes, StoreError>>),
}

/// One act's objects.
pub(super) struct Fetched {
    act: ActId,
    pdf: Body,
    proof: Option<Bytes>,
}

/// The writer's side: objects in selection order.
pub(super) struct StoreSource {
    rx: mpsc::Receiver<Result<Fetched, String>>,
    runtime: tokio::runtime::Handle,
    proof: Option<Bytes>,
    packed: u64,
    total: u64,
    progress: Option<Progress>,
}

/// A channel for `StoreSource` and its prefetcher.
pub(super) fn channel(
    progress: Option<Progress>,
    total: usize,
) -> (mpsc::Sender<Result<Fetched, String>>, StoreSource) {
    let (tx, rx) = mpsc::channel(AHEAD);
    let runtime = tokio::runtime::Handle::current();
    let source = StoreSource { rx, runtime, proof: None, packed: 0, total: total as u64, progress };
    (tx, source)
}

impl Acta {
    /// Fetch the objects of `acts` in order into `tx`, until done or the
    /// writer hangs up. A failure is sent to the writer (which stops) and returned.
    pub(super) async fn prefetch(
        &self,
        acts: Vec<ActObjects>,
        tx: mpsc::Sender<Result<Fetched, String>>,
    ) -> Result<(), ServiceError> {
        let result: Result<(), ServiceError> = async {
            // Every proof of a transfer is against this one tree, which
            // covers the last leaf of `acts`.
            let checkpoint = match acts.iter().filter_map(|a| a.leaf).max() {
                Some(last) => Some(self.checkpoint_covering(last).await?),
                None => None,
            };
            let mut fetched =
                futures::stream::iter(acts).map(|a| self.fetch(a, checkpoint.as_ref())).buffered(AHEAD);
            while let Some(item) = fetched.next().await {
                if tx.send(Ok(item?)).await.is_err() {
                    return Ok(()); // the writer stopped; it reports why
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = &result {
            let _ = tx.send(Err(e.to_string())).await;
        }
        result
    }

    /// The audit trail of act `id` (archived with it).
    async fn act_journal(&self, id: &ActId) -> Result<Vec<crate::auth::AuditEntry>, ServiceError> {
        crate::auth::AuditLog::new(self.store.clone()).of_act(id).await.map_err(|e| match e {
            crate::auth::AuthError::Store(s) => ServiceError::Store(s),
            other => ServiceError::Corrupt(other.to_string()),
        })
    }

    async fn fetch(
        &self,
        act: ActObjects,
        checkpoint: Option<&SignedCheckpoint>,
    ) -> Result<Fetched, ServiceError> {
        let key = keys::sealed_pdf(&act.id);
        let missing = || ServiceError::Corrupt(format!("sealed PDF of {} is missing", act.id));
        let pdf = if act.size <= INLINE_MAX {
            Body::Whole(self.store.get(&key).await?.ok_or_else(missing)?)
        } else {
            Body::Stream(self.store.read(&key, None).await?.ok_or_else(missing)?.stream)
        };
        let proof = match (act.leaf, checkpoint) {
            (Some(index), Some(checkpoint)) => {
                let evidence = Evidence {
                    proof: self.proof_at(index, checkpoint).await?,
                    journal: self.act_journal(&act.id).await?,
                };
                Some(Bytes::from(serde_json::to_vec_pretty(&evidence).expect("proofs serialise")))
            }
            _ => None,
        };
        Ok(Fetched { act: act.id, pdf, proof })
    }
}

impl ObjectSource for StoreSource {
    fn pdf(&mut self, act: &ArchivedAct) -> io::Result<Box<dyn Read + '_>> {
        let fetched = match self.rx.blocking_recv() {
            Some(Ok(f)) => f,
            Some(Err(e)) => return Err(io::Error::other(e)),
            None => return Err(io::Error::other("lecture des actes interrompue")),
        };
        if fetched.act != act.id {
            return Err(io::Error::other(format!("acte {} attendu, {} lu", act.id, fetched.act)));
        }
        self.proof = fetched.proof;
        self.packed += 1;
        if let Some(progress) = &self.progress {
            progress(self.packed, self.total);
        }
        Ok(match fetched.pdf {
            Body::Whole(bytes) => Box::new(bytes.reader()),
            Body::Stream(stream) => {
                Box::new(StreamReader { stream, runtime: &self.runtime, chunk: Bytes::new() })
            }
        })
    }

    fn proof(&mut self, _act: &ArchivedAct) -> io::Result<Option<Box<dyn Read + '_>>> {
        Ok(self.proof.take().map(|b| Box::new(b.reader()) as Box<dyn Read>))
    }
}

/// A store stream read synchronously, from a blocking thread.
struct StreamReader<'a> {
    stream: BoxStream<'static, Result<Bytes, StoreError>>,
    runtime: &'a tokio::runtime::Handle,
    chunk: Bytes,
}

impl Read for StreamReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.runtime.block_on(self.stream.next()) {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => return Err(io::Error::other(e)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        self.chunk.copy_to_slice(&mut buf[..n]);
        Ok(n)
    }
}
