//! A synthetic jurisdiction for the demo and the benchmarks: households of one to five,
//! ages, students, non-local residents, subsidised categories (with flagged
//! certifications), enrolments priced by the engine and paid on days through the
//! collection period, the unpaid, and the unenrolled with ledger reasons. The same seed
//! gives the same population.
//!
//! Rows go in as multi-row INSERTs of generated literals (digits, codes and fixed names
//! only: nothing from outside), in chunks of `CHUNK` people; with `Spec::bulk` on
//! PostgreSQL, as `COPY` with the row triggers off (the rows carry what the triggers would
//! compute), after which the report counters are rebuilt.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use domain::policy::{PolicyPack, QuoteRequest};

use crate::error::AppError;
use crate::model::{AreaLevel, FOLLOW_UP_REASONS, LEDGER_REASONS};

use crate::services::AppState;

mod store;
use store::{next_id, Loader, Tables, V};

const CHUNK: usize = 1_000;
/// Above this size enrolments keep a placeholder instead of the engine's full answer
/// (its explanation is ~2 KB a row); amounts and dates are stored either way.
const FULL_QUOTE_LIMIT: u64 = 100_000;
const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗",
];
const GIVEN: [&str; 24] = [
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀兰", "霞", "平", "刚", "桂英", "建国",
];
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    pub people: u64,
    pub seed: u64,
    pub policy: String,
    /// Villages left alone (the demo keeps its hand-made 东关社区 for the walkthrough).
    pub skip_areas: Vec<String>,
    /// PostgreSQL only: load with `COPY` and the triggers off (needs a superuser), then
    /// rebuild the report counters. For benchmark-sized populations.
    pub bulk: bool,
    /// Per mille of people with a certification request still in the chain (submitted,
    /// accepted or confirmed, up to 60 days old): the staff's work queues. Drawn from a
    /// stream of its own, so the rest of a seed's population does not change with it.
    pub pending_per_mille: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub people: u64,
    pub households: u64,
    pub enrolled: u64,
    pub unpaid: u64,
    pub subsidised: u64,
    /// Certification requests left in the chain.
    pub pending: u64,
}

/// splitmix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// 0..n
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// True with probability per-mille / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

struct Slot {
    code: String,
    students_only: bool,
}

/// Where people live: the pack's villages, and townships without villages (the
/// education system's pupils) as their own slot; weighted by the township's target.
async fn slots(state: &AppState, pack: &PolicyPack, skip: &[String]) -> Result<(Vec<Slot>, Vec<u64>), AppError> {
    let areas = crate::store::areas::list(&state.db).await?;
    let targets = store::targets_of_year(&state.db, pack.insurance_year).await?;
    let target: HashMap<String, i64> = targets.into_iter().collect();
    let mut slots = Vec::new();
    let mut weights = Vec::new();
    for t in areas
        .iter()
        .filter(|a| a.level == AreaLevel::Township && pack.covers_area(&a.code))
    {
        let villages: Vec<&crate::model::AreaNode> = areas
            .iter()
            .filter(|a| a.parent.as_deref() == Some(t.code.as_str()) && !skip.contains(&a.code))
            .collect();
        let w = target.get(&t.code).copied().unwrap_or(10_000).max(1) as u64;
        if villages.is_empty() {
            slots.push(Slot {
                code: t.code.clone(),
                students_only: t.kind.as_deref() == Some("education_system"),
            });
            weights.push(w);
        } else {
            for v in &villages {
                slots.push(Slot {
                    code: v.code.clone(),
                    students_only: false,
                });
                weights.push(w / villages.len() as u64 + 1);
            }
        }
    }
    if slots.is_empty() {
        return Err(AppError::invalid(
            "policy",
            "no_areas",
            "该政策覆盖的地区下没有乡镇",
            "The pack's jurisdiction has no townships to fill",
        ));
    }
    // Cumulative weights for a binary-search pick.
    let mut acc = 0;
    let cumulative = weights
        .into_iter()
        .map(|w| {
            acc += w;
            acc
        })
        .collect();
    Ok((slots, cumulative))
}

fn id_number(district: &str, birth: NaiveDate, seq: u32) -> String {
    let body = format!("{}{}{:03}", &district[..6], birth.format("%Y%m%d"), seq);
    let sum: u32 = body.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// Generates `spec.people` people into the database behind `state`.
pub async fn population(state: &AppState, spec: &Spec) -> Result<Summary, AppError> {
    let policies = state.policies.current();
    let pack = policies
        .get(&spec.policy)
        .ok_or_else(|| AppError::internal("generate", format!("no pack {}", spec.policy)))?;
    let (slots, cumulative) = slots(state, pack, &spec.skip_areas).await?;
    let total_weight = *cumulative.last().unwrap_or(&1);
    let db = &state.db;
    // The reasons a generated person draws from: the ledger's without the follow-up steps, in
    // its order — the seven there were before 已联系 and 承诺缴费, so a seed generates the same
    // people as before (benchmarks compare runs).
    let reasons: Vec<&str> = LEDGER_REASONS
        .into_iter()
        .filter(|r| !FOLLOW_UP_REASONS.contains(r))
        .collect();
    let mut rng = Rng(spec.seed);
    let mut pending_rng = Rng(spec.seed ^ 0x5EED_0F9E_4D12_6100);
    let now_at = state.clock.now();
    let now = state
        .clock
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        .replace('Z', "+00:00");
    let today = state.clock.today();
    let (start, _) = pack.collection_window();
    let last_pay = today.min(pack.payment_deadline(start));
    let pay_days = (last_pay - start).num_days();
    let year = pack.insurance_year;
    let year_start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today);
    let categories: Vec<(String, String)> = pack
        .categories
        .iter()
        .map(|c| {
            (
                c.category.code().to_owned(),
                c.certified_by.clone().unwrap_or_else(|| "civil_affairs".into()),
            )
        })
        .collect();
    let full_quotes = spec.people <= FULL_QUOTE_LIMIT;
    let mut seq: HashMap<NaiveDate, u32> = HashMap::new();
    let mut person_id = next_id(db, "people").await?;
    let mut household_id = next_id(db, "households").await?;
    let mut tables = Tables::new();
    let mut loader = Loader::open(db, spec.bulk).await?;
    let mut out = Summary::default();
    while out.people < spec.people {
        let pick = rng.below(total_weight);
        let slot = &slots[cumulative.partition_point(|c| *c <= pick).min(slots.len() - 1)];
        let size = if slot.students_only {
            1
        } else {
            [1, 2, 2, 3, 3, 3, 4, 4, 5, 2][rng.below(10) as usize]
        };
        let size = size.min((spec.people - out.people) as usize);
        let hid = household_id;
        household_id += 1;
        tables.households.rows.push(vec![
            V::I(hid),
            V::I(person_id),
            V::T(slot.code.clone()),
            V::N,
            V::T(now.clone()),
        ]);
        out.households += 1;
        let local_household = rng.chance(if slot.students_only { 970 } else { 930 });
        for m in 0..size {
            let age = if slot.students_only {
                6 + rng.below(13) as i64
            } else if m == 0 {
                25 + rng.below(60) as i64
            } else {
                rng.below(90) as i64
            };
            let mut birth = year_start - Duration::days(age * 365 + rng.below(365) as i64);
            // Sequence numbers from 600 keep clear of hand-made IDs (demo, tests).
            let n = loop {
                let n = seq.entry(birth).or_insert(600);
                if *n < 999 {
                    *n += 1;
                    break *n;
                }
                birth -= Duration::days(1);
            };
            let id = id_number(&slot.code, birth, n);
            let sex = if n % 2 == 1 { "male" } else { "female" };
            let student = slot.students_only || ((6..=22).contains(&age) && rng.chance(900));
            let name = format!(
                "{}{}",
                SURNAMES[rng.below(SURNAMES.len() as u64) as usize],
                GIVEN[rng.below(GIVEN.len() as u64) as usize]
            );
            let pid = person_id;
            person_id += 1;
            let relationship = if m == 0 {
                "self"
            } else {
                ["spouse", "child", "parent"][rng.below(3) as usize]
            };
            tables.people.rows.push(vec![
                V::I(pid),
                V::T(id.clone()),
                V::T(name),
                V::T(birth.to_string()),
                V::T(sex.into()),
                V::T(slot.code.clone()),
                V::B(local_household),
                V::I(hid),
                V::T(relationship.into()),
                V::T(now.clone()),
                V::B(student),
                V::N,
                V::T(slot.code.clone()),
            ]);
            out.people += 1;
            // About 8 % hold a subsidised category.
            let category = (!categories.is_empty() && rng.chance(80))
                .then(|| categories[rng.below(categories.len() as u64) as usize].clone());
            if let Some((code, dept)) = &category {
                tables.certs.rows.push(vec![
                    V::I(pid),
                    V::T(code.clone()),
                    V::T(dept.clone()),
                    V::T("flagged".into()),
                    V::T((start - Duration::days(30)).to_string()),
                    V::N,
                    V::T(now.clone()),
                    V::T(pack.id.clone()),
                    V::T(slot.code.clone()),
                    V::T("list".into()),
                ]);
            }
            if category.is_none() && !categories.is_empty() && pending_rng.chance(spec.pending_per_mille) {
                let (code, dept) = &categories[pending_rng.below(categories.len() as u64) as usize];
                let status = ["submitted", "submitted", "accepted", "confirmed"][pending_rng.below(4) as usize];
                let created = now_at - Duration::minutes(pending_rng.below(60 * 24 * 60) as i64);
                tables.certs.rows.push(vec![
                    V::I(pid),
                    V::T(code.clone()),
                    V::T(dept.clone()),
                    V::T(status.into()),
                    V::N,
                    V::N,
                    V::T(
                        created
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                            .replace('Z', "+00:00"),
                    ),
                    V::T(pack.id.clone()),
                    V::T(slot.code.clone()),
                    V::T("request".into()),
                ]);
                out.pending += 1;
            }
            let roll = rng.below(1000);
            if roll < 920 && pay_days >= 0 {
                let paid_on = start + Duration::days(rng.below(pay_days as u64 + 1) as i64);
                let req = QuoteRequest {
                    policy: pack.id.clone(),
                    person: domain::policy::PersonInput {
                        id_number: Some(id.clone()),
                        categories: category.iter().map(|c| c.0.clone()).collect(),
                        certified_on: category.as_ref().map(|_| (start - Duration::days(30)).to_string()),
                        student,
                        hukou_local: local_household,
                        months_resident: (!local_household).then_some(24),
                        ..Default::default()
                    },
                    tier: None,
                    add_ons: Vec::new(),
                    paid_on: paid_on.to_string(),
                };
                let Ok(q) = domain::policy::quote(pack, &req) else {
                    continue;
                };
                if !q.eligible || !q.priced {
                    continue;
                }
                let fen = |m: Option<domain::Money>| m.map_or(0, domain::Money::to_fen);
                let due = fen(q.personal_due);
                let json = if full_quotes {
                    serde_json::to_string(&q).unwrap_or_default()
                } else {
                    "{\"generated\":true}".to_owned()
                };
                let subsidy = fen(q.subsidy);
                if subsidy > 0 {
                    out.subsidised += 1;
                }
                tables.enrolments.rows.push(vec![
                    V::I(pid),
                    V::I(hid),
                    V::I(year.into()),
                    V::T(pack.id.clone()),
                    V::opt(q.tier.map(|t| t.code())),
                    V::opt(q.benefit_tier.map(|t| t.code())),
                    V::T(String::new()),
                    V::opt(q.applied_category.map(|c| c.code())),
                    V::I(fen(q.standard_contribution)),
                    V::I(subsidy),
                    V::I(fen(q.late_surcharge)),
                    V::I(fen(q.add_ons_total)),
                    V::I(due),
                    V::T("paid".into()),
                    V::T(json),
                    V::I(due),
                    V::T(paid_on.to_string()),
                    V::opt(q.benefit_start.map(|d| d.to_string()).as_deref()),
                    V::opt(q.benefit_end.map(|d| d.to_string()).as_deref()),
                    V::opt(q.start_rule.map(super::enrolment::start_rule_code)),
                    V::T(now.clone()),
                    V::T(slot.code.clone()),
                    V::B(local_household),
                ]);
                out.enrolled += 1;
            } else if roll < 940 {
                tables.enrolments.rows.push(vec![
                    V::I(pid),
                    V::I(hid),
                    V::I(year.into()),
                    V::T(pack.id.clone()),
                    V::N,
                    V::N,
                    V::T(String::new()),
                    V::N,
                    V::I(0),
                    V::I(0),
                    V::I(0),
                    V::I(0),
                    V::I(0),
                    V::T("unpaid".into()),
                    V::T("{}".into()),
                    V::I(0),
                    V::N,
                    V::N,
                    V::N,
                    V::N,
                    V::T(now.clone()),
                    V::T(slot.code.clone()),
                    V::B(local_household),
                ]);
                out.unpaid += 1;
            } else if rng.chance(600) {
                let r = reasons[rng.below(reasons.len() as u64) as usize];
                tables.reasons.rows.push(vec![
                    V::I(pid),
                    V::I(year.into()),
                    V::T(r.into()),
                    V::T(now.clone()),
                    V::T(slot.code.clone()),
                    V::B(local_household),
                ]);
            }
        }
        if tables.people.rows.len() >= loader.chunk() {
            loader.write(&mut tables).await?;
        }
    }
    loader.write(&mut tables).await?;
    if loader.close().await? {
        super::reports::rebuild_counters(db).await?;
    }
    store::reset_sequences(db).await?;
    Ok(out)
}

/// The demo's synthetic Lishi population, generated once (东关社区 stays hand-made for
/// the walkthrough and the browser tests).
pub async fn demo(state: &AppState, people: u64) -> Result<(), AppError> {
    let existing = store::generated_demo_people(&state.db).await?;
    if existing >= 10 {
        return Ok(());
    }
    let spec = Spec {
        people,
        seed: 2022,
        policy: "lishi-2023".into(),
        skip_areas: vec!["141102001001".into()],
        bulk: false,
        pending_per_mille: 0,
    };
    let s = population(state, &spec).await?;
    tracing::info!(
        people = s.people,
        households = s.households,
        enrolled = s.enrolled,
        "demo population generated"
    );
    Ok(())
}
