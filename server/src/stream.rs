//! Writes one scenario's event stream into a response body.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};

use crate::control::Controls;
use crate::log::Logs;
use crate::scenario::{End, Scenario};

/// A chunk of the body, or the error that aborts the connection.
pub type Chunk = Result<Bytes, io::Error>;

/// How long `end=hold` keeps a response open at most, so that no test can leave a response
/// (and its task) behind forever.
const HOLD_LIMIT: Duration = Duration::from_secs(600);

/// The size of the chunks that events sent back to back are gathered into.
const BATCH: usize = 16 * 1024;

/// Faults injected through `/control` while the stream runs.
pub struct Faults {
    pub controls: Controls,
    pub drops: tokio::sync::watch::Receiver<u64>,
}

/// Sends the scenario's events, starting after `resumed_after`, until the scenario ends or
/// the client goes away. Records the outcome in the log.
pub async fn run(
    s: Scenario,
    resumed_after: u64,
    logs: Logs,
    n: u64,
    tx: mpsc::Sender<Chunk>,
    mut faults: Faults,
) {
    faults.drops.mark_unchanged();
    let writer = Writer {
        s: &s,
        tx: &tx,
        next_keepalive: None,
        faults,
    };
    let how = writer.stream(resumed_after, &logs, n).await;
    logs.end(&s.key, n, how);
}

struct Writer<'a> {
    s: &'a Scenario,
    tx: &'a mpsc::Sender<Chunk>,
    next_keepalive: Option<Instant>,
    faults: Faults,
}

/// Why a stream stopped early.
enum Stop {
    /// The client went away.
    Gone,
    /// `/control` asked to drop it.
    Dropped,
}

impl Writer<'_> {
    async fn stream(mut self, resumed_after: u64, logs: &Logs, n: u64) -> &'static str {
        let mut seq = resumed_after;
        match self.events(&mut seq, logs, n).await {
            Ok(how) => how,
            Err(Stop::Gone) => "client_closed",
            Err(Stop::Dropped) => match self.break_off(seq).await {
                Ok(()) => "dropped",
                Err(_) => "client_closed",
            },
        }
    }

    async fn events(&mut self, seq: &mut u64, logs: &Logs, n: u64) -> Result<&'static str, Stop> {
        let s = self.s;
        self.next_keepalive = s.keepalive.map(|k| Instant::now() + k);
        let mut head = String::new();
        if s.bom {
            head.push('\u{feff}');
        }
        if let Some(c) = &s.comment {
            head.push_str(&format!(":{c}{}", s.eol.as_str()));
        }
        if let Some(r) = s.retry {
            head.push_str(&format!("retry: {r}{}{}", s.eol.as_str(), s.eol.as_str()));
        }
        if !head.is_empty() {
            self.send(head.into_bytes()).await?;
        }
        let mut sent = 0u64;
        // Events sent back to back go out in chunks of about 16 KiB, as a busy server's
        // would, rather than one tiny chunk each (which made the server the bottleneck of
        // the dispatch benchmark).
        let batch = s.interval.is_zero() && s.bytewise.is_none();
        let mut pending = Vec::new();
        loop {
            if s.count.is_some_and(|c| sent >= c) || s.total.is_some_and(|t| *seq >= t) {
                break;
            }
            if s.stall_after == Some(sent) && !s.stall.is_zero() {
                if !pending.is_empty() {
                    self.send(std::mem::take(&mut pending)).await?;
                }
                self.wait(Instant::now() + s.stall).await?;
            }
            if !s.interval.is_zero() {
                self.wait(Instant::now() + s.interval).await?;
            }
            if let Some(until) = self.faults.controls.stalled_until(&s.key) {
                self.wait_silently(until).await?;
            }
            *seq += 1;
            if batch {
                pending.extend_from_slice(s.event(*seq).as_bytes());
                if pending.len() >= BATCH {
                    self.send(std::mem::take(&mut pending)).await?;
                }
            } else {
                self.send(s.event(*seq).into_bytes()).await?;
            }
            sent += 1;
            logs.event_sent(&s.key, n);
        }
        if !pending.is_empty() {
            self.send(pending).await?;
        }
        match s.end {
            End::Close => Ok("closed"),
            End::Drop => {
                self.break_off(*seq).await?;
                Ok("dropped")
            }
            End::Hold => {
                self.wait(Instant::now() + HOLD_LIMIT).await?;
                Ok("closed")
            }
            End::Cut => {
                let next = self.s.event(*seq + 1);
                let cut = next.strip_suffix(self.s.eol.as_str()).unwrap_or(&next);
                self.send(cut.as_bytes().to_vec()).await?;
                Ok("closed")
            }
        }
    }

    /// Sends half of the next event, then breaks the connection: the client sees it fail
    /// mid-event.
    async fn break_off(&mut self, seq: u64) -> Result<(), Stop> {
        let partial = self.s.event(seq + 1);
        let half = partial.len() / 2;
        self.send(partial.as_bytes()[..half].to_vec()).await?;
        // hyper discards what it has not written yet when the body fails, so let it take
        // every chunk and write it out before the error.
        while self.tx.capacity() < self.tx.max_capacity() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        // An error ends the body without its terminating chunk.
        let _ = self
            .tx
            .send(Err(io::Error::other("asked to drop the connection")))
            .await;
        Ok(())
    }

    /// Sends nothing until `until` (an injected stall), noticing a client that goes away.
    async fn wait_silently(&mut self, until: Instant) -> Result<(), Stop> {
        tokio::select! {
            _ = sleep_until(until) => Ok(()),
            _ = self.tx.closed() => Err(Stop::Gone),
        }
    }

    /// Sends bytes, one chunk or one byte at a time.
    async fn send(&mut self, bytes: Vec<u8>) -> Result<(), Stop> {
        match self.s.bytewise {
            None => self
                .tx
                .send(Ok(Bytes::from(bytes)))
                .await
                .map_err(|_| Stop::Gone),
            Some(pause) => {
                for b in bytes {
                    self.tx
                        .send(Ok(Bytes::copy_from_slice(&[b])))
                        .await
                        .map_err(|_| Stop::Gone)?;
                    if !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                }
                Ok(())
            }
        }
    }

    /// Waits until `until`, sending keep-alive comments on schedule, and notices a client that
    /// goes away meanwhile.
    async fn wait(&mut self, until: Instant) -> Result<(), Stop> {
        loop {
            let wake = match self.next_keepalive {
                Some(k) if k < until => k,
                _ => until,
            };
            tokio::select! {
                _ = sleep_until(wake) => {}
                _ = self.tx.closed() => return Err(Stop::Gone),
                _ = self.faults.drops.changed() => return Err(Stop::Dropped),
            }
            if wake == until {
                return Ok(());
            }
            if let Some(stall) = self.faults.controls.stalled_until(&self.s.key) {
                self.wait_silently(stall).await?;
                continue;
            }
            let eol = self.s.eol.as_str();
            self.send(format!(":ka{eol}").into_bytes()).await?;
            self.next_keepalive = self.s.keepalive.map(|k| wake + k);
        }
    }
}
