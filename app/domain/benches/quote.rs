//! `quote()` throughput on one core: `cargo bench -p canbao-domain`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use domain::policy::{decide, quote, PersonInput, PolicyPack, QuoteRequest};
use std::hint::black_box;

fn pack(text: &str) -> PolicyPack {
    toml::from_str(text).expect("pack parses")
}

fn bench(c: &mut Criterion) {
    let lishi = pack(include_str!("../../policies/lishi-2023.toml"));
    let weifang = pack(include_str!("../../policies/weifang-2021.toml"));
    let lishi_req = QuoteRequest {
        policy: "lishi-2023".into(),
        person: PersonInput {
            id_number: Some("14110219900101123X".into()),
            categories: vec!["minimum_living".into()],
            ..PersonInput::default()
        },
        tier: None,
        add_ons: vec![],
        paid_on: "2022-10-08".into(),
    };
    let weifang_late = QuoteRequest {
        policy: "weifang-2021".into(),
        person: PersonInput {
            birth_date: Some("2008-05-01".into()),
            student: true,
            ..PersonInput::default()
        },
        tier: Some("high".into()),
        add_ons: vec![],
        paid_on: "2021-03-15".into(),
    };
    let mut g = c.benchmark_group("quote");
    g.throughput(Throughput::Elements(1));
    // The engine's decision: amounts, dates, start rule, citations, explanation as deferred sentences.
    g.bench_function("decide/lishi_minimum_living_on_time", |b| {
        b.iter(|| decide(black_box(&lishi), black_box(&lishi_req)).map(|d| d.quote))
    });
    g.bench_function("decide/weifang_student_late", |b| {
        b.iter(|| decide(black_box(&weifang), black_box(&weifang_late)).map(|d| d.quote))
    });
    // The same plus every sentence rendered in Chinese and English (what the API returns).
    g.bench_function("quote/lishi_minimum_living_on_time", |b| {
        b.iter(|| quote(black_box(&lishi), black_box(&lishi_req)))
    });
    g.bench_function("quote/weifang_student_late", |b| {
        b.iter(|| quote(black_box(&weifang), black_box(&weifang_late)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
