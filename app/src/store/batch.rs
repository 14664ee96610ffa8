//! Group commit for the hottest statements on PostgreSQL: a submission of new people, an
//! order's payment, and the point reads every enrolment makes (the session, the person, the
//! order a callback names). Measured with `pgbench`, a statement's fixed cost (executor start
//! for seven tables, their triggers, commit) is most of its price: about 2 ms of PostgreSQL
//! CPU for one submission alone, 0.5 ms each when eight share a statement
//! (docs/benchmarks.md). So requests hand their rows or keys to a writer task per kind, and a
//! writer takes every job waiting when it becomes free and runs them as one statement.
//! A lone request is run at once, so a quiet server adds no delay; under load, batches
//! grow with the queue.
//!
//! A batch is all or nothing: when its statement fails (one member stored meanwhile by
//! someone else, an order already paid, a deadlock), the writer runs each job alone, so
//! every request gets exactly the answer it would have had on its own.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use sqlx::PgPool;

/// A kind of statement that many jobs can share.
pub trait Batched: Send + Sync + Sized + 'static {
    type Answer: Send + 'static;
    /// Runs `jobs` as one statement: one answer per job, in order.
    fn run(pool: &PgPool, jobs: &[Self]) -> impl Future<Output = Result<Vec<Self::Answer>, sqlx::Error>> + Send;
    /// Whether one statement can run all of `jobs`: no two write the same row. Reads share
    /// freely.
    fn distinct(_jobs: &[Self]) -> bool {
        true
    }
}

/// A writer's batch: one statement for all, or each job alone when that fails or when the
/// jobs are not distinct.
pub async fn run_batch<J: Batched>(pool: PgPool, jobs: Vec<J>) -> Vec<Result<J::Answer, sqlx::Error>> {
    if jobs.len() > 1 && J::distinct(&jobs) {
        match J::run(&pool, &jobs).await {
            Ok(answers) => return answers.into_iter().map(Ok).collect(),
            Err(e) => tracing::debug!(error = %e, jobs = jobs.len(), "a batch failed; running each job alone"),
        }
    }
    let mut out = Vec::with_capacity(jobs.len());
    for job in &jobs {
        out.push(run_one(&pool, job).await);
    }
    out
}

/// One job in a statement of its own.
pub async fn run_one<J: Batched>(pool: &PgPool, job: &J) -> Result<J::Answer, sqlx::Error> {
    J::run(pool, std::slice::from_ref(job))
        .await
        .and_then(|mut a| a.pop().ok_or(sqlx::Error::RowNotFound))
}

type Job<J, R> = (J, oneshot::Sender<R>);
type Start = Box<dyn FnOnce() + Send>;

/// Hands jobs to `workers` writer tasks, each writing up to `max` waiting jobs at a time.
pub struct Batcher<J, R> {
    tx: mpsc::UnboundedSender<Job<J, R>>,
    /// Batches taken, jobs in them, and jobs queued, for tests.
    counts: Arc<[AtomicU64; 3]>,
    /// The writers start on first use, inside the runtime that serves requests.
    start: Mutex<Option<Start>>,
}

impl<J: Send + 'static, R: Send + 'static> Batcher<J, R> {
    /// `run` gets the jobs of one batch and answers one result per job, in order.
    pub fn new<F, Fut>(workers: usize, max: usize, run: F) -> Self
    where
        F: Fn(Vec<J>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<R>> + Send + 'static,
    {
        let (tx, rx) = mpsc::unbounded_channel::<Job<J, R>>();
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let run = Arc::new(run);
        let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
        let counted = counts.clone();
        let start: Start = Box::new(move || {
            for _ in 0..workers.max(1) {
                let (rx, run, counts) = (rx.clone(), run.clone(), counted.clone());
                tokio::spawn(async move {
                    loop {
                        let batch = {
                            let mut rx = rx.lock().await;
                            let Some(first) = rx.recv().await else { return };
                            let mut batch = vec![first];
                            while batch.len() < max {
                                match rx.try_recv() {
                                    Ok(job) => batch.push(job),
                                    Err(_) => break,
                                }
                            }
                            batch
                        };
                        counts[0].fetch_add(1, Ordering::Relaxed);
                        counts[1].fetch_add(batch.len() as u64, Ordering::Relaxed);
                        let (jobs, replies): (Vec<J>, Vec<_>) = batch.into_iter().unzip();
                        // A task of its own: a panic there drops this batch's replies (those
                        // requests answer 500) but not the writer.
                        match tokio::spawn(run(jobs)).await {
                            // A job whose request went away is still written; its reply is dropped.
                            Ok(results) => {
                                for (result, reply) in results.into_iter().zip(replies) {
                                    let _ = reply.send(result);
                                }
                            }
                            Err(e) => tracing::error!(error = %e, "a batch failed"),
                        }
                    }
                });
            }
        });
        Self {
            tx,
            counts,
            start: Mutex::new(Some(start)),
        }
    }

    /// (batches taken, jobs in them) since start.
    pub fn taken(&self) -> (u64, u64) {
        (
            self.counts[0].load(Ordering::Relaxed),
            self.counts[1].load(Ordering::Relaxed),
        )
    }

    /// Jobs queued since start.
    pub fn submitted(&self) -> u64 {
        self.counts[2].load(Ordering::Relaxed)
    }

    /// Queues `job` and waits for its result. `None` when no writer answered: its batch
    /// panicked, or the runtime that started the writers has ended.
    pub async fn submit(&self, job: J) -> Option<R> {
        let start = self.start.lock().ok().and_then(|mut s| s.take());
        if let Some(start) = start {
            start();
        }
        let (reply, answer) = oneshot::channel();
        self.tx.send((job, reply)).ok()?;
        self.counts[2].fetch_add(1, Ordering::Relaxed);
        answer.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_job_gets_its_own_answer_and_waiting_jobs_share_a_batch() {
        let batches = Arc::new(Mutex::new(Vec::<usize>::new()));
        let seen = batches.clone();
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let b = Arc::new(Batcher::new(1, 8, move |jobs: Vec<u32>| {
            seen.lock().unwrap().push(jobs.len());
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                // Slow enough that the other requests queue behind the first batch.
                tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                jobs.into_iter().map(|j| j * 10).collect::<Vec<_>>()
            }
        }));
        let tasks: Vec<_> = (0..20u32)
            .map(|i| {
                let b = b.clone();
                tokio::spawn(async move { (i, b.submit(i).await) })
            })
            .collect();
        for t in tasks {
            let (i, answer) = t.await.unwrap();
            assert_eq!(answer, Some(i * 10));
        }
        let sizes = batches.lock().unwrap().clone();
        assert_eq!(sizes.iter().sum::<usize>(), 20);
        assert!(sizes.iter().all(|&n| n <= 8), "batches at most 8: {sizes:?}");
        assert!(sizes.len() < 20, "queued jobs were batched: {sizes:?}");
        assert_eq!(calls.load(Ordering::SeqCst), sizes.len());
        assert_eq!(b.taken(), (sizes.len() as u64, 20));
    }

    #[tokio::test]
    async fn a_batch_that_panics_leaves_the_writer_running() {
        let b = Batcher::new(1, 8, |jobs: Vec<u32>| async move {
            assert!(!jobs.contains(&13), "unlucky");
            jobs
        });
        assert_eq!(b.submit(13).await, None, "its request gets no answer");
        assert_eq!(b.submit(14).await, Some(14));
    }

    #[tokio::test]
    async fn a_lone_job_is_written_at_once() {
        let b = Batcher::new(2, 8, |jobs: Vec<&'static str>| async move { jobs });
        assert_eq!(b.submit("a").await, Some("a"));
        assert_eq!(b.submit("b").await, Some("b"));
    }
}
