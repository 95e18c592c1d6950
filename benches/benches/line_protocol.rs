//! Line protocol → Arrow: Condenser's parser (all the way to Arrow record batches) against
//! the `influxdb-line-protocol` crate (InfluxDB IOx's parser; parse only), on the same bytes
//! in the same run, one core. Throughput is in lines.
//!
//! Inputs (see `condenser_benches`): Telegraf `cpu` lines (3 tags, 6 floats, ~165 bytes), a
//! string- and integer-heavy mix, and a high-cardinality body in which each of 1M lines is a
//! series of its own.
//!
//! Run: `cargo bench -p condenser-benches --bench line_protocol`.

use std::hint::black_box;

use condenser_benches::{high_cardinality, strings_and_integers, telegraf_cpu};
use condenser_ingest::line_protocol::{ParseOptions, parse};
use condenser_model::Precision;
use criterion::{BenchmarkId, Criterion, Throughput};

fn compare(c: &mut Criterion, group_name: &str, body: &str, lines: usize, samples: usize) {
    let mut group = c.benchmark_group(group_name);
    group.sample_size(samples);
    group.throughput(Throughput::Elements(lines as u64));
    group.bench_function(BenchmarkId::new("condenser_to_arrow", lines), |b| {
        b.iter(|| {
            let parsed = parse(
                black_box(body.as_bytes()),
                ParseOptions::new(Precision::Nanosecond, 0),
            )
            .expect("parses");
            assert_eq!(parsed.points, lines);
            parsed
        })
    });
    group.bench_function(
        BenchmarkId::new("influxdb_line_protocol_parse_only", lines),
        |b| {
            b.iter(|| {
                let mut count = 0;
                for line in influxdb_line_protocol::parse_lines(black_box(body)) {
                    black_box(line.expect("parses"));
                    count += 1;
                }
                assert_eq!(count, lines);
            })
        },
    );
    group.finish();
}

fn line_protocol(c: &mut Criterion) {
    let lines = 100_000;
    compare(
        c,
        "line_protocol/telegraf_cpu",
        &telegraf_cpu(lines),
        lines,
        20,
    );
    compare(
        c,
        "line_protocol/strings_and_integers",
        &strings_and_integers(lines),
        lines,
        20,
    );
    let lines = 1_000_000;
    compare(
        c,
        "line_protocol/high_cardinality_1m_series",
        &high_cardinality(lines),
        lines,
        10,
    );
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    line_protocol(&mut criterion);
    criterion.final_summary();
}
