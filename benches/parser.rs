//! Parser throughput against the `eventsource-stream` crate on the same inputs.
//!
//! `cargo xtask bench` runs this and turns the results into MB/s and ratios; `cargo test
//! --benches` (part of `cargo xtask test`) runs every case once as a smoke test.

#[cfg(not(target_arch = "wasm32"))]
#[path = "support/cases.rs"]
mod cases;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;

    use bytes::Bytes;
    use criterion::{BenchmarkId, Criterion, Throughput};
    use eventsource_stream::Eventsource;
    use futures::executor::block_on;
    use futures::StreamExt;

    use super::cases::{huge_line, large_events, ours, small_json_events};

    fn theirs(chunks: &[Bytes]) -> usize {
        let stream = futures::stream::iter(
            chunks
                .iter()
                .cloned()
                .map(Ok::<_, std::convert::Infallible>),
        );
        block_on(stream.eventsource().fold(0, |n, e| async move {
            n + e.map(|e| e.data.len()).unwrap_or(0)
        }))
    }

    pub fn bench(c: &mut Criterion) {
        // eventsource-stream takes quadratic time on a huge line (about 75 s per run at 8 MiB), so
        // both parsers are compared on 1 MiB, and ours alone is also measured on 8 MiB to show that
        // its cost per byte does not grow with the line.
        for case in [small_json_events(), large_events(), huge_line(1)] {
            let chunks: Vec<Bytes> = case
                .stream
                .chunks(case.chunk)
                .map(Bytes::copy_from_slice)
                .collect();
            assert_eq!(
                ours(&case),
                theirs(&chunks),
                "both parsers see the same data"
            );
            let mut group = c.benchmark_group(case.name);
            group.throughput(Throughput::Bytes(case.stream.len() as u64));
            group.sample_size(10);
            group.bench_function(
                BenchmarkId::new("typed-eventsource", case.stream.len()),
                |b| b.iter(|| ours(black_box(&case))),
            );
            group.bench_function(
                BenchmarkId::new("eventsource-stream", case.stream.len()),
                |b| b.iter(|| theirs(black_box(&chunks))),
            );
            group.finish();
        }
        let case = huge_line(8);
        let mut group = c.benchmark_group(case.name);
        group.throughput(Throughput::Bytes(case.stream.len() as u64));
        group.sample_size(10);
        group.bench_function(
            BenchmarkId::new("typed-eventsource", case.stream.len()),
            |b| b.iter(|| ours(black_box(&case))),
        );
        group.finish();
    }
}

fn main() {
    // The peers and criterion are native only; there is nothing to measure on wasm32.
    #[cfg(not(target_arch = "wasm32"))]
    {
        let mut c = criterion::Criterion::default().configure_from_args();
        native::bench(&mut c);
        c.final_summary();
    }
}
