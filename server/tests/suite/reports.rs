//! Reports against hand-built fixtures, on SQLite and PostgreSQL (pinned date 2022-10-08):
//! Lishi's weekly form and statistics form, the dashboard's SVG, the fund request (its
//! total checked against the enrolments), Weifang's ranking with a late payer, Rugao's
//! advanced-and-settled group and village incentive, targets, and the bad inputs.

use crate::common::{bearer, get, resident_token, spawn_app, Backend, TestApp};
use calamine::{Data, Reader};
use serde_json::{json, Value};

both_backends! {
    lishi_weekly_statistics_dashboard_and_fund_request,
    weifang_ranking_and_late_payers,
    rugao_advanced_groups_incentive_and_targets,
    bad_report_requests_are_refused_clearly,
    an_oversized_targets_file_names_its_own_limit,
    counters_follow_every_change,
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// A valid ID number for a district, birth date (YYYYMMDD) and sequence.
fn id(district: &str, birth: &str, seq: u32) -> String {
    let body = format!("{district}{birth}{seq:03}");
    let sum: u32 = body.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

struct P<'a> {
    id: String,
    name: &'a str,
    village: &'a str,
    local: bool,
    student: bool,
}

async fn person(app: &TestApp, p: &P<'_>) -> i64 {
    let birth = format!("{}-{}-{}", &p.id[6..10], &p.id[10..12], &p.id[12..14]);
    app::with_pool!(&app.state.db, pool => sqlx::query_scalar::<_, i64>(
        "INSERT INTO people (id_number, name, birth_date, sex, area_code, hukou_local, student, created_at)
         VALUES ($1, $2, $3, 'male', $4, $5, $6, $7) RETURNING id")
        .bind(&p.id).bind(p.name).bind(chrono::NaiveDate::parse_from_str(&birth, "%Y-%m-%d").unwrap())
        .bind(p.village).bind(p.local).bind(p.student).bind(app.state.clock.now())
        .fetch_one(pool).await)
    .unwrap()
}

/// An enrolment as payment leaves it (`paid_on` None: submitted, unpaid).
#[allow(clippy::too_many_arguments)]
async fn insert_enrolment(
    app: &TestApp,
    person: i64,
    year: i32,
    policy: &str,
    category: Option<&str>,
    standard_fen: i64,
    subsidy_fen: i64,
    paid_on: Option<&str>,
) {
    let paid_on = paid_on.map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
    let due = standard_fen - subsidy_fen;
    app::with_pool!(&app.state.db, pool => sqlx::query(
        "INSERT INTO enrolments (person_id, insurance_year, policy_id, applied_category, standard_fen, subsidy_fen,
            surcharge_fen, add_ons_fen, due_fen, status, quote_json, paid_fen, paid_on, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $8, '{}', $9, $10, $11)")
        .bind(person).bind(year).bind(policy).bind(category).bind(standard_fen).bind(subsidy_fen)
        .bind(due).bind(if paid_on.is_some() { "paid" } else { "unpaid" })
        .bind(if paid_on.is_some() { due } else { 0 }).bind(paid_on).bind(app.state.clock.now())
        .execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
}

async fn reason(app: &TestApp, person: i64, year: i32, reason: &str) {
    app::with_pool!(&app.state.db, pool => sqlx::query(
        "INSERT INTO ledger_reasons (person_id, insurance_year, reason, updated_at) VALUES ($1, $2, $3, $4)")
        .bind(person).bind(year).bind(reason).bind(app.state.clock.now())
        .execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
}

fn row<'a>(report: &'a Value, area: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["area_code"] == area)
        .unwrap_or_else(|| panic!("row {area} in {report}"))
}

fn cell(sheet: &calamine::Range<Data>, r: u32, c: u32) -> String {
    match sheet.get_value((r, c)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => format!("{f}"),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

async fn download(app: &TestApp, auth: &str, path: &str) -> calamine::Range<Data> {
    let res = app
        .client
        .get(app.url(path))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = res.bytes().await.unwrap();
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    book.worksheet_range_at(0).unwrap().unwrap()
}

/// Rows of (key, count) from one query, without the zeros.
async fn keyed(app: &TestApp, sql: &str) -> std::collections::BTreeMap<String, i64> {
    let rows: Vec<(String, i64)> =
        app::with_pool!(&app.state.db, pool => sqlx::query_as(sql).fetch_all(pool).await).unwrap();
    rows.into_iter().filter(|r| r.1 != 0).collect()
}

/// The counters of migration 0008 equal a recount of the rows they summarise.
async fn assert_counters_exact(app: &TestApp) {
    const LOCAL: &str = "CASE WHEN hukou_local THEN '1' ELSE '0' END";
    let pairs = [
        (
            format!("SELECT report_area || '/' || {LOCAL}, CAST(SUM(n) AS BIGINT) FROM report_roster GROUP BY 1"),
            format!("SELECT report_area || '/' || {LOCAL}, COUNT(*) FROM people GROUP BY 1"),
        ),
        (
            format!(
                "SELECT CAST(insurance_year AS TEXT) || '/' || report_area || '/' || {LOCAL} || '/' || category
                    || '/' || CAST(paid_on AS TEXT), CAST(SUM(n) AS BIGINT) FROM report_enrolled GROUP BY 1"
            ),
            format!(
                "SELECT CAST(insurance_year AS TEXT) || '/' || report_area || '/' || {LOCAL} || '/'
                    || CASE WHEN subsidy_fen > 0 THEN COALESCE(applied_category, '') ELSE '' END
                    || '/' || CAST(paid_on AS TEXT), COUNT(*)
                 FROM enrolments WHERE status IN ('paid', 'ended') AND paid_on IS NOT NULL GROUP BY 1"
            ),
        ),
        (
            format!(
                "SELECT CAST(insurance_year AS TEXT) || '/' || report_area || '/' || {LOCAL} || '/' || reason
                    || '/' || CAST(enrolled_on AS TEXT), CAST(SUM(n) AS BIGINT) FROM report_reasons GROUP BY 1"
            ),
            "SELECT CAST(r.insurance_year AS TEXT) || '/' || r.report_area || '/'
                    || CASE WHEN r.hukou_local THEN '1' ELSE '0' END || '/' || r.reason || '/'
                    || COALESCE((SELECT CAST(e.paid_on AS TEXT) FROM enrolments e
                        WHERE e.person_id = r.person_id AND e.insurance_year = r.insurance_year
                          AND e.status IN ('paid', 'ended') AND e.paid_on IS NOT NULL), '9999-12-31'),
                    COUNT(*)
                 FROM ledger_reasons r GROUP BY 1"
                .to_owned(),
        ),
    ];
    for (counted, recounted) in pairs {
        let (a, b) = (keyed(app, &counted).await, keyed(app, &recounted).await);
        if counted.contains("report_roster") {
            assert!(!b.is_empty(), "{recounted}");
        }
        assert_eq!(a, b, "{counted}");
    }
}

/// A village the demo seed leaves empty.
const LONGSHAN: &str = "141102001007";
const DONGGUAN: &str = "141102001001";
const BINHE_OTHER: &str = "141102001003";
const FENGSHAN: &str = "141102002001";

async fn lishi_weekly_statistics_dashboard_and_fund_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let lishi = |birth: &str, seq| id("141102", birth, seq);
    let y = 2023;
    let pol = "lishi-2023";
    let mk = |n: &'static str, v: &'static str, local: bool, seq: u32| P {
        id: lishi("19800101", seq),
        name: n,
        village: v,
        local,
        student: false,
    };
    // 东关社区: self-paid A (local) and C (non-local); 低保 B; 特困 D; 返贫致贫 E whose
    // certification was later revoked (this year's enrolment stands); F submitted but
    // unpaid; G deceased and H insured elsewhere (not ours to enrol).
    let a = person(&app, &mk("甲", DONGGUAN, true, 501)).await;
    let b = person(&app, &mk("乙", DONGGUAN, true, 503)).await;
    let c = person(&app, &mk("丙", DONGGUAN, false, 505)).await;
    let d = person(&app, &mk("丁", DONGGUAN, true, 507)).await;
    let e = person(&app, &mk("戊", DONGGUAN, true, 509)).await;
    let f = person(&app, &mk("己", DONGGUAN, true, 511)).await;
    let g = person(&app, &mk("庚", DONGGUAN, true, 513)).await;
    let h = person(&app, &mk("辛", DONGGUAN, false, 515)).await;
    let i = person(&app, &mk("壬", BINHE_OTHER, true, 517)).await;
    let k = person(&app, &mk("癸", FENGSHAN, true, 519)).await;
    insert_enrolment(&app, a, y, pol, None, 35_000, 0, Some("2022-09-15")).await;
    insert_enrolment(
        &app,
        b,
        y,
        pol,
        Some("minimum_living"),
        35_000,
        28_000,
        Some("2022-09-20"),
    )
    .await;
    insert_enrolment(&app, c, y, pol, None, 35_000, 0, Some("2022-10-07")).await;
    insert_enrolment(
        &app,
        d,
        y,
        pol,
        Some("extreme_poverty"),
        35_000,
        35_000,
        Some("2022-09-05"),
    )
    .await;
    insert_enrolment(
        &app,
        e,
        y,
        pol,
        Some("returned_to_poverty"),
        35_000,
        31_500,
        Some("2022-09-30"),
    )
    .await;
    app::with_pool!(&app.state.db, pool => sqlx::query(
        "INSERT INTO certifications (person_id, category, department, status, effective_on, valid_until, created_at)
         VALUES ($1, 'returned_to_poverty', 'rural_revitalisation', 'revoked', '2022-09-01', '2022-10-01', $2)")
        .bind(e).bind(app.state.clock.now()).execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
    insert_enrolment(&app, f, y, pol, None, 35_000, 0, None).await;
    reason(&app, g, y, "deceased").await;
    reason(&app, h, y, "insured_elsewhere").await;
    insert_enrolment(
        &app,
        i,
        y,
        pol,
        Some("at_risk_of_poverty"),
        35_000,
        28_000,
        Some("2022-10-08"),
    )
    .await;
    insert_enrolment(&app, k, y, pol, None, 35_000, 0, Some("2022-09-10")).await;

    let bureau = bearer(&app, "bureau_lishi").await;
    let (status, r) = get(&app, &bureau, "/api/v1/reports/weekly").await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["header"]["area_code"], "141102");
    assert_eq!(r["header"]["as_of"], "2022-10-08");
    assert_eq!(r["header"]["insurance_year"], 2023);
    assert!(r["header"]["footer"].as_str().unwrap().contains("数据截至2022-10-08"));
    // Eleven townships and the education system, each a row (empty ones all zeros).
    assert_eq!(r["rows"].as_array().unwrap().len(), 12);
    let binhe = row(&r, "141102001");
    // Roster: the demo's 张秀英, 李凤英, 王德顺, 赵德明 and the eleven above less 癸.
    assert_eq!(binhe["roster"], 13);
    assert_eq!(
        binhe["should_enrol"], 11,
        "庚 (deceased) and 辛 (elsewhere) are not ours"
    );
    assert_eq!(
        (binhe["should_local"].clone(), binhe["should_non_local"].clone()),
        (json!(10), json!(1))
    );
    assert_eq!(binhe["enrolled"], 6);
    assert_eq!(
        (binhe["enrolled_local"].clone(), binhe["enrolled_non_local"].clone()),
        (json!(5), json!(1))
    );
    assert_eq!(binhe["coverage_percent"], "54.55");
    assert_eq!(
        (binhe["self_paid_local"].clone(), binhe["self_paid_non_local"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(binhe["subsidised"], 4);
    for (k, v) in [
        ("extreme_poverty", 1),
        ("minimum_living", 1),
        ("at_risk_of_poverty", 1),
        ("returned_to_poverty", 1),
        ("other_subsidised", 0),
    ] {
        assert_eq!(binhe[k], v, "{k}");
    }
    assert_eq!(binhe["target"], 22_611);
    assert_eq!(binhe["gap"], 22_605);
    assert_eq!(binhe["unenrolled"], 5);
    let edu = row(&r, "141102999");
    assert_eq!(
        (edu["enrolled"].clone(), edu["coverage_percent"].clone()),
        (json!(0), json!("0"))
    );
    assert_eq!(r["total"]["enrolled"], 7);
    assert_eq!(r["total"]["should_enrol"], 13);
    assert_eq!(r["total"]["target"], 199_200);

    // As of an earlier Friday only the early payers count.
    let (_, early) = get(&app, &bureau, "/api/v1/reports/weekly?as_of=2022-09-16").await;
    assert_eq!(row(&early, "141102001")["enrolled"], 2, "甲 (09-15) and 丁 (09-05)");

    // Drill down: township → villages → the village's unenrolled with reasons.
    let county = download(&app, &bureau, "/api/v1/reports/weekly?format=xlsx").await;
    assert_eq!(cell(&county, 2, 0), "乡镇（街道）");
    let (_, town) = get(&app, &bureau, "/api/v1/reports/weekly?area=141102001").await;
    assert_eq!(row(&town, DONGGUAN)["enrolled"], 5);
    assert_eq!(row(&town, BINHE_OTHER)["enrolled"], 1);
    let (_, village) = get(&app, &bureau, &format!("/api/v1/reports/weekly?area={DONGGUAN}")).await;
    let list = village["unenrolled"].as_array().unwrap();
    let who = |n: &str| {
        list.iter()
            .find(|e| e["name"] == n)
            .unwrap_or_else(|| panic!("{n} in {list:?}"))
    };
    assert_eq!(who("己")["unpaid_enrolment"], true);
    assert_eq!(who("庚")["reason"], "deceased");
    assert_eq!(who("张秀英")["reason"], "not_contacted");
    assert!(list.iter().all(|e| e["name"] != "甲"));

    // The XLSX, laid out like 附件5, read back cell by cell.
    let sheet = download(&app, &bureau, "/api/v1/reports/weekly?format=xlsx&area=141102001").await;
    assert!(cell(&sheet, 0, 0).contains("城乡居民医保参保缴费工作进度周报表"));
    assert_eq!(cell(&sheet, 1, 1), "截止日期：2022年10月08日");
    // A township's rows are its villages: the form's 乡镇（街道） heads a county's report.
    for (c, h) in [
        (0, "村（社区）"),
        (1, "任务数"),
        (2, "应参保总人数"),
        (5, "目前已参保总人数"),
        (6, "参保率%"),
        (10, "资助参保：低保对象"),
    ] {
        assert_eq!(cell(&sheet, 2, c), h);
    }
    // Villages 001, 003, 007, then the total.
    assert_eq!(cell(&sheet, 3, 0), "东关社区");
    assert_eq!(cell(&sheet, 3, 5), "5");
    assert_eq!(cell(&sheet, 6, 0), "合计");
    assert_eq!(cell(&sheet, 6, 1), "22611");
    assert_eq!(cell(&sheet, 6, 2), "11");
    assert_eq!(cell(&sheet, 6, 5), "6");
    assert_eq!(cell(&sheet, 6, 6), "54.55");
    assert!(cell(&sheet, 8, 0).starts_with("数据截至2022-10-08"));

    // Statistics form (附件6): supported columns filled, the rest blank and marked.
    let (_, st) = get(&app, &bureau, "/api/v1/reports/statistics?area=141102001").await;
    let cols = st["columns"].as_array().unwrap();
    assert_eq!(cols[0]["label"], "应参保人数");
    assert!(cols
        .iter()
        .any(|c| c["label"] == "灵活就业人员" && c["supported"] == false));
    let total = st["total"]["values"].as_array().unwrap();
    assert_eq!(
        (total[0].clone(), total[1].clone(), total[2].clone()),
        (json!(11), json!(6), json!(5))
    );
    let blank = cols.iter().position(|c| c["supported"] == false).unwrap();
    assert!(total[blank].is_null());
    let sheet = download(&app, &bureau, "/api/v1/reports/statistics?format=xlsx&area=141102001").await;
    assert_eq!(cell(&sheet, 2, 1), "应参保人数");
    assert!(cell(&sheet, 2, 1 + blank as u32).ends_with("（系统无此数据）"));
    assert_eq!(cell(&sheet, 6, 0), "合计");
    assert_eq!(cell(&sheet, 6, 1), "11");
    assert_eq!(cell(&sheet, 6, 1 + blank as u32), "");

    // Dashboard: one bar per township with its name, one trend line per township + total.
    let (_, dash) = get(&app, &bureau, "/api/v1/reports/dashboard").await;
    let svg = dash["coverage_svg"].as_str().unwrap();
    assert_eq!(svg.matches("<g class=\"bar\"").count(), 12);
    assert!(svg.contains("data-area=\"141102001\"") && svg.contains(">滨河街道</text>"));
    let trend = dash["trend_svg"].as_str().unwrap();
    assert_eq!(trend.matches("<polyline").count(), 13);
    // No two of the thirteen lines drawn alike (colour and dash pattern).
    let attr = |p: &str, name: &str| p.split_once(name).map(|(_, v)| v[..v.find('"').unwrap()].to_owned());
    let styles: std::collections::HashSet<_> = trend
        .split("<polyline")
        .skip(1)
        .map(|p| (attr(p, " stroke=\""), attr(p, " stroke-dasharray=\"")))
        .collect();
    assert_eq!(styles.len(), 13, "{styles:?}");
    // Each bar says what its share is of: enrolled / target (or should-enrol).
    let binhe_bar = svg.split("<g class=\"bar\"").find(|b| b.contains("141102001")).unwrap();
    assert!(binhe_bar.contains("% (6/"), "{binhe_bar}");
    assert_eq!(dash["header"]["deadline"], "2022-12-25");
    assert_eq!(dash["header"]["days_to_deadline"], 78);
    let binhe_trend = dash["trend"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["area_code"] == "141102001")
        .unwrap();
    let last = binhe_trend["points"].as_array().unwrap().last().unwrap();
    assert_eq!(last, &json!(["2022-10-08", 6, "54.55"]));
    let res = app
        .client
        .get(app.url("/api/v1/reports/dashboard?format=svg&chart=coverage"))
        .header("Authorization", &bureau)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "image/svg+xml; charset=utf-8");
    assert!(res.text().await.unwrap().starts_with("<svg"));

    // Fund request: head count × subsidy per category; the total is the enrolments' sum.
    let (_, fund) = get(&app, &bureau, "/api/v1/reports/fund-request").await;
    let rows = fund["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{fund}");
    let dibao = rows.iter().find(|r| r["category"] == "minimum_living").unwrap();
    assert_eq!(
        (
            dibao["head_count"].clone(),
            dibao["per_head"].clone(),
            dibao["amount"].clone()
        ),
        (json!(1), json!("280.00"), json!("280.00"))
    );
    assert_eq!(dibao["certified_by"], "民政局");
    assert_eq!(fund["total"], "1225.00");
    let sum: i64 = app::with_pool!(&app.state.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT CAST(SUM(subsidy_fen) AS BIGINT) FROM enrolments WHERE status = 'paid' AND insurance_year = 2023")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(fund["total"], format!("{}.{:02}", sum / 100, sum % 100));
    let sheet = download(&app, &bureau, "/api/v1/reports/fund-request?format=xlsx").await;
    assert_eq!(cell(&sheet, 2, 3), "人数");
    assert_eq!(cell(&sheet, 7, 0), "合计");
    assert_eq!(cell(&sheet, 7, 3), "4");
    assert_eq!(cell(&sheet, 7, 5), "1225.00");

    // Someone who moves counts where they live now, their enrolment too (migration 0006's
    // triggers keep the copies right).
    for who in [k, g] {
        app::with_pool!(&app.state.db, pool => sqlx::query("UPDATE people SET area_code = $1 WHERE id = $2")
            .bind(BINHE_OTHER).bind(who).execute(pool).await.map(|r| r.rows_affected()))
        .unwrap();
    }
    let (_, town) = get(&app, &bureau, "/api/v1/reports/weekly?area=141102001").await;
    let moved = row(&town, BINHE_OTHER);
    assert_eq!(moved["enrolled"], 2);
    assert_eq!(moved["roster"], 3);
    assert_eq!(moved["should_enrol"], 2, "庚's ledger reason (deceased) moved with her");

    // A cadre sees their own village only; the page renders without JavaScript.
    let cadre = bearer(&app, "cadre_dongguan").await;
    let (status, _) = get(&app, &cadre, "/api/v1/reports/weekly?area=141102001").await;
    assert_eq!(status, 403);
    let (status, own) = get(&app, &cadre, "/api/v1/reports/weekly").await;
    assert_eq!(status, 200);
    assert_eq!(own["total"]["enrolled"], 5);
    assert_counters_exact(&app).await;
    app.stop().await;
}

async fn weifang_ranking_and_late_payers(backend: Backend) {
    let app = spawn_app(backend).await;
    let pol = "weifang-2021";
    let mut seq = 601;
    let mut add = |district: &'static str, village: &'static str, student: bool| {
        seq += 2;
        let birth = if student { "20020301" } else { "19700301" };
        (
            P {
                id: id(district, birth, seq),
                name: "潍坊居民",
                village,
                local: true,
                student,
            },
            seq,
        )
    };
    let mut people = Vec::new();
    // 潍城 370702: 4 people, all paid on time, both students; 2 paid last year.
    for s in [true, true, false, false] {
        people.push(("702", add("370702", "370702001001", s).0));
    }
    // 寒亭 370703: 4 people, 2 paid; its student did not; 2 paid last year.
    for s in [true, false, false, false] {
        people.push(("703", add("370703", "370703003200", s).0));
    }
    // 坊子 370704: 2 people, one paid late (2021-03-01); none last year.
    for s in [false, false] {
        people.push(("704", add("370704", "370704006205", s).0));
    }
    // 奎文 370705: nobody (zeros, never NaN).
    let mut ids = Vec::new();
    for (d, p) in &people {
        ids.push((*d, p.student, person(&app, p).await));
    }
    let paid_2021 = [true, true, true, true, false, true, true, false, true, false];
    let paid_2020 = [true, true, false, false, true, true, false, false, false, false];
    for (n, (d, _, pid)) in ids.iter().enumerate() {
        if paid_2021[n] {
            let day = if *d == "704" { "2021-03-01" } else { "2020-12-01" };
            insert_enrolment(&app, *pid, 2021, pol, None, 39_000, 0, Some(day)).await;
        }
        if paid_2020[n] {
            insert_enrolment(&app, *pid, 2020, pol, None, 28_000, 0, Some("2019-12-01")).await;
        }
    }
    let bureau = bearer(&app, "bureau_weifang").await;
    let (status, rk) = get(&app, &bureau, "/api/v1/reports/ranking").await;
    assert_eq!(status, 200, "{rk}");
    assert_eq!(rk["header"]["as_of"], "2021-12-31", "the year's window has closed");
    // The weights and the citation are the pack's, quoting Weifang 七、.
    assert_eq!(rk["clause"], "七、", "{rk}");
    assert!(
        rk["formula"]
            .as_str()
            .unwrap()
            .starts_with("得分 = 60×d(总体参保率) + 25×d"),
        "{rk}"
    );
    let order: Vec<&str> = rk["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["area_code"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["370702", "370704", "370703", "370705"]);
    let score = |code: &str| {
        rk["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["area_code"] == code)
            .unwrap()["score"]
            .clone()
    };
    // d = 60 + 40 (x − min)/(max − min); score = (60 d₁ + 25 d₂ + 15 d₃)/100.
    assert_eq!(score("370702"), "100");
    assert_eq!(score("370704"), "78");
    assert_eq!(score("370703"), "72");
    assert_eq!(score("370705"), "60");
    let weicheng = &rk["rows"][0];
    assert_eq!(
        (
            weicheng["student_percent"].clone(),
            weicheng["last_year_percent"].clone(),
            weicheng["improvement"].clone()
        ),
        (json!("100"), json!("50"), json!("50"))
    );
    assert!(rk["formula"].as_str().unwrap().contains("60 + 40"));
    let kuiwen = &rk["rows"][3];
    assert_eq!(
        (kuiwen["coverage_percent"].clone(), kuiwen["score"].clone()),
        (json!("0"), json!("60"))
    );
    let sheet = download(&app, &bureau, "/api/v1/reports/ranking?format=xlsx").await;
    assert_eq!(cell(&sheet, 2, 10), "得分");
    assert_eq!(cell(&sheet, 3, 1), "潍城区");
    assert_eq!(cell(&sheet, 3, 10), "100.00");

    // The late payer counts from the day they paid.
    let (_, dec) = get(&app, &bureau, "/api/v1/reports/weekly?as_of=2020-12-31").await;
    assert_eq!(row(&dec, "370704")["enrolled"], 0);
    let (_, later) = get(&app, &bureau, "/api/v1/reports/weekly?as_of=2021-03-01").await;
    assert_eq!(row(&later, "370704")["enrolled"], 1);
    assert_counters_exact(&app).await;
    app.stop().await;
}

async fn rugao_advanced_groups_incentive_and_targets(backend: Backend) {
    let app = spawn_app(backend).await;
    let pol = "rugao-2020";
    let vet = person(
        &app,
        &P {
            id: id("320682", "19500101", 701),
            name: "老兵",
            village: "320682001200",
            local: true,
            student: false,
        },
    )
    .await;
    let other = person(
        &app,
        &P {
            id: id("320682", "19600101", 703),
            name: "居民",
            village: "320682001001",
            local: true,
            student: false,
        },
    )
    .await;
    insert_enrolment(
        &app,
        vet,
        2020,
        pol,
        Some("entitled_group"),
        36_000,
        36_000,
        Some("2019-11-20"),
    )
    .await;
    insert_enrolment(&app, other, 2020, pol, None, 36_000, 0, Some("2019-11-21")).await;
    let bureau = bearer(&app, "bureau_rugao").await;
    let (status, fund) = get(&app, &bureau, "/api/v1/reports/fund-request").await;
    assert_eq!(status, 200, "{fund}");
    assert!(fund["rows"].as_array().unwrap().is_empty());
    let adv = &fund["advanced_rows"][0];
    assert_eq!(adv["category"], "entitled_group");
    assert_eq!(adv["advanced_settled"], true);
    assert_eq!(adv["paying_department"], "退役军人事务局");
    assert_eq!(adv["amount"], "360.00");
    assert_eq!(fund["advanced_total"], "360.00");

    // The demo split of 62,390 over the villages is marked as such; nobody meets it.
    let (_, inc) = get(&app, &bureau, "/api/v1/reports/incentive").await;
    let rows = inc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["target_assumed"] == true && r["met"] == false));
    assert_eq!(inc["total"], "0.00");
    assert_eq!(inc["per_head"], "1.50");
    // The rate and its citation come from the pack (Rugao 六、(三)2.: "1.5元/人").
    assert_eq!(inc["clause"], "六、(三)2.", "{inc}");

    // A bureau officer sets 凌青村's target to 1: it is met, and earns 1.5 yuan.
    let res = app
        .client
        .put(app.url("/api/v1/targets/320682001200/2020"))
        .header("Authorization", &bureau)
        .json(&json!({"count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let t: Value = res.json().await.unwrap();
    assert_eq!((t["count"].clone(), t["assumed"].clone()), (json!(1), json!(false)));
    assert_eq!(t["updated_by"], "如皋市医保局 周洁");
    let (_, inc) = get(&app, &bureau, "/api/v1/reports/incentive").await;
    let lingqing = row(&inc, "320682001200");
    assert_eq!(
        (lingqing["met"].clone(), lingqing["amount"].clone()),
        (json!(true), json!("1.50"))
    );
    assert_eq!(inc["total"], "1.50");
    // Reloading the seed (every start does) keeps the officer's figure.
    app::services::seed::load_areas(&app.state.db).await.unwrap();
    let (_, list) = get(&app, &bureau, "/api/v1/targets?area=320682001").await;
    let mine = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["area_code"] == "320682001200")
        .unwrap();
    assert_eq!(mine["count"], 1);

    // Import: all rows or none.
    let import = |body: &'static str| {
        app.client
            .post(app.url("/api/v1/targets/import?file_name=t.csv"))
            .header("Authorization", &bureau)
            .body(body)
            .send()
    };
    let res = import("乡镇街道,年度,任务数\n迎新社区,2020,2\n龙游河村,2020,-5\n")
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["applied"], 0);
    assert_eq!(out["problems"][0]["line"], 3);
    assert_eq!(out["problems"][0]["column"], "任务数");
    let (_, list) = get(&app, &bureau, "/api/v1/targets?area=320682001001").await;
    assert_eq!(list[0]["count"], 24_000, "nothing written");
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in ["区划代码", "年度", "任务数"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "320682001001").unwrap();
    ws.write_number(1, 1, 2020.0).unwrap();
    ws.write_number(1, 2, 1.0).unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/targets/import?file_name=t.xlsx"))
        .header("Authorization", &bureau)
        .body(book.save_to_buffer().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, inc) = get(&app, &bureau, "/api/v1/reports/incentive").await;
    assert_eq!(inc["total"], "3.00", "迎新社区 met its imported target of 1 too");
    // Out of scope and not a bureau officer.
    let lishi = bearer(&app, "bureau_lishi").await;
    let res = app
        .client
        .put(app.url("/api/v1/targets/320682001200/2020"))
        .header("Authorization", &lishi)
        .json(&json!({"count": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let township = bearer(&app, "township_binhe").await;
    let res = app
        .client
        .put(app.url("/api/v1/targets/141102001/2023"))
        .header("Authorization", &township)
        .json(&json!({"count": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .put(app.url("/api/v1/targets/141102001/2023"))
        .header("Authorization", &lishi)
        .json(&json!({"count": -1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["field"], "count");
    assert_counters_exact(&app).await;
    app.stop().await;
}

/// A file over an import's limit is refused naming that import's limit (it used to say
/// 10 MB, the documents' limit, for every upload), as a raw body and as a form's file.
async fn an_oversized_targets_file_names_its_own_limit(backend: Backend) {
    let app = spawn_app(backend).await;
    let bureau = bearer(&app, "bureau_rugao").await;
    let max = app::services::targets::MAX_TARGET_FILE_BYTES;
    let mut big = "乡镇街道,年度,任务数\n".as_bytes().to_vec();
    big.resize(max + 1, b' ');
    let raw = app
        .client
        .post(app.url("/api/v1/targets/import?file_name=t.csv"))
        .header("Authorization", &bureau)
        .body(big.clone())
        .send()
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(big).file_name("t.csv"));
    let multipart = app
        .client
        .post(app.url("/api/v1/targets/import"))
        .header("Authorization", &bureau)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let limit = format!("{}MB", max / 1024 / 1024);
    for res in [raw, multipart] {
        assert_eq!(res.status(), 422);
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "file_too_large", "{err}");
        assert_eq!(err["error"]["field"], "file", "{err}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.contains(&limit), "{message} should say {limit}");
    }
    app.stop().await;
}

async fn bad_report_requests_are_refused_clearly(backend: Backend) {
    let app = spawn_app(backend).await;
    let bureau = bearer(&app, "bureau_lishi").await;
    let check = |path: &'static str, status: u16, field: Option<&'static str>| {
        let app = &app;
        let bureau = &bureau;
        async move {
            let (got, body) = get(app, bureau, path).await;
            assert_eq!(got, status, "{path}: {body}");
            if let Some(f) = field {
                assert_eq!(body["error"]["field"], f, "{path}");
            }
            assert!(!body["error"]["message"].as_str().unwrap_or("").is_empty(), "{path}");
        }
    };
    check("/api/v1/reports/weekly?area=999999999", 404, None).await;
    check("/api/v1/reports/weekly?as_of=2022-10-09", 422, Some("as_of")).await;
    check("/api/v1/reports/weekly?as_of=2022-08-31", 422, Some("as_of")).await;
    check("/api/v1/reports/weekly?as_of=yesterday", 422, Some("as_of")).await;
    check("/api/v1/reports/weekly?area=110101", 403, None).await;
    check("/api/v1/reports/nonsense", 404, None).await;
    check("/api/v1/reports/weekly?format=pdf", 422, Some("format")).await;
    check("/api/v1/reports/incentive", 422, Some("area")).await;
    // Only Weifang's notice sets a ranking (七、); Lishi's sets none, so none is invented
    // from another city's weights.
    let (status, body) = get(&app, &bureau, "/api/v1/reports/ranking").await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (422, json!("no_ranking_rule")),
        "{body}"
    );
    assert_eq!(body["error"]["field"], "area");
    let admin = bearer(&app, "admin").await;
    let (status, body) = get(&app, &admin, "/api/v1/reports/weekly").await;
    assert_eq!((status, body["error"]["field"].clone()), (422, json!("area")), "{body}");
    let resident = resident_token(&app, "13800000077").await;
    let (status, _) = get(&app, &resident, "/api/v1/reports/weekly?area=141102").await;
    assert_eq!(status, 403);
    let (status, _) = get(&app, "Bearer nothing", "/api/v1/reports/weekly").await;
    assert_eq!(status, 401);
    // An empty village: zeros, never NaN.
    let (status, empty) = get(&app, &bureau, "/api/v1/reports/weekly?area=141102002002").await;
    assert_eq!(status, 200, "{empty}");
    assert_eq!(empty["total"]["coverage_percent"], "0");
    assert_eq!(empty["rows"][0]["enrolled"], 0);
    // The server-rendered page works without JavaScript.
    let page = app
        .client
        .get(app.url("/reports?area=141102001"))
        .header(
            "Cookie",
            format!(
                "{}={}",
                app::services::auth::SESSION_COOKIE,
                bureau.trim_start_matches("Bearer ")
            ),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-testid=\"weekly-table\""), "{page}");
    assert!(page.contains("东关社区"));
    app.stop().await;
}

/// Every path that changes what the counters summarise, checked against a recount after each
/// step and through the report: payment after a ledger reason, a changed reason, a person
/// who moves or changes origin, a household that moves, status and day changes, deletions.
async fn counters_follow_every_change(backend: Backend) {
    let app = spawn_app(backend).await;
    let mk = |n: &'static str, v: &'static str, seq: u32| P {
        id: id("141102", "19700101", seq),
        name: n,
        village: v,
        local: true,
        student: false,
    };
    let y = 2023;
    let pol = "lishi-2023";
    let exec = |sql: &'static str, a: i64| {
        let app = &app;
        async move {
            app::with_pool!(&app.state.db, pool => sqlx::query(sql).bind(a).execute(pool).await.map(|r| r.rows_affected()))
                .unwrap()
        }
    };
    let weekly = |as_of: &'static str| {
        let app = &app;
        async move {
            let auth = bearer(app, "bureau_lishi").await;
            let (status, r) = get(
                app,
                &auth,
                &format!("/api/v1/reports/weekly?area=141102001&as_of={as_of}"),
            )
            .await;
            assert_eq!(status, 200, "{r}");
            r
        }
    };
    // A reason recorded first, then the person pays: the reason stops counting from that day.
    let p1 = person(&app, &mk("子", LONGSHAN, 601)).await;
    reason(&app, p1, y, "insured_elsewhere").await;
    insert_enrolment(&app, p1, y, pol, None, 38_000, 0, Some("2022-10-03")).await;
    assert_counters_exact(&app).await;
    let before = weekly("2022-10-02").await;
    let after = weekly("2022-10-04").await;
    assert_eq!(row(&before, LONGSHAN)["should_enrol"], 0, "{before}");
    assert_eq!(row(&after, LONGSHAN)["should_enrol"], 1, "{after}");
    assert_eq!(row(&after, LONGSHAN)["enrolled"], 1);

    // Unpaid with a reason, then paid by an UPDATE (as the payment callback does).
    let p2 = person(&app, &mk("丑", LONGSHAN, 603)).await;
    insert_enrolment(&app, p2, y, pol, None, 38_000, 0, None).await;
    reason(&app, p2, y, "lost_contact").await;
    assert_counters_exact(&app).await;
    exec(
        "UPDATE enrolments SET status = 'paid', paid_on = '2022-10-05' WHERE person_id = $1",
        p2,
    )
    .await;
    assert_counters_exact(&app).await;
    exec("UPDATE enrolments SET paid_on = '2022-10-06' WHERE person_id = $1", p2).await;
    exec("UPDATE enrolments SET status = 'ended' WHERE person_id = $1", p2).await;
    assert_counters_exact(&app).await;
    assert_eq!(row(&weekly("2022-10-05").await, LONGSHAN)["enrolled"], 1);
    assert_eq!(row(&weekly("2022-10-06").await, LONGSHAN)["enrolled"], 2);

    // A changed reason; a person who changes origin and then moves township.
    let p3 = person(&app, &mk("寅", LONGSHAN, 605)).await;
    reason(&app, p3, y, "declined").await;
    exec("UPDATE ledger_reasons SET reason = 'deceased' WHERE person_id = $1", p3).await;
    exec("UPDATE people SET hukou_local = FALSE WHERE id = $1", p3).await;
    assert_counters_exact(&app).await;
    let r = weekly("2022-10-08").await;
    assert_eq!(row(&r, LONGSHAN)["roster"], 3);
    assert_eq!(row(&r, LONGSHAN)["should_enrol"], 2, "寅 is deceased: {r}");
    exec("UPDATE people SET area_code = '141102002001' WHERE id = $1", p3).await;
    assert_counters_exact(&app).await;
    assert_eq!(row(&weekly("2022-10-08").await, LONGSHAN)["roster"], 2);

    // A household's member without an area of their own moves with the household.
    let hh: i64 = app::with_pool!(&app.state.db, pool => sqlx::query_scalar(
        "INSERT INTO households (area_code, created_at) VALUES ($1, $2) RETURNING id")
        .bind(BINHE_OTHER).bind(app.state.clock.now()).fetch_one(pool).await)
    .unwrap();
    let p4 = person(&app, &mk("卯", LONGSHAN, 607)).await;
    exec(
        "UPDATE people SET area_code = NULL, household_id = (SELECT MAX(id) FROM households) WHERE id = $1",
        p4,
    )
    .await;
    insert_enrolment(
        &app,
        p4,
        y,
        pol,
        Some("minimum_living"),
        38_000,
        38_000,
        Some("2022-10-02"),
    )
    .await;
    reason(&app, p4, y, "not_contacted").await;
    assert_counters_exact(&app).await;
    assert_eq!(row(&weekly("2022-10-08").await, BINHE_OTHER)["enrolled"], 1);
    exec("UPDATE households SET area_code = '141102001007' WHERE id = $1", hh).await;
    assert_counters_exact(&app).await;
    let r = weekly("2022-10-08").await;
    assert_eq!(row(&r, BINHE_OTHER)["enrolled"], 0, "{r}");
    assert_eq!(row(&r, LONGSHAN)["enrolled"], 3, "{r}");
    assert_eq!(row(&r, LONGSHAN)["subsidised"], 1, "{r}");

    // One statement changing several enrolments at once (as a payment batch does), each with
    // a ledger reason: one moves to another day, one goes back to unpaid, one keeps its key.
    let changed = app::with_pool!(&app.state.db, pool => sqlx::query(
        "UPDATE enrolments SET
             paid_on = CASE WHEN person_id = $1 THEN '2022-10-07' ELSE paid_on END,
             status = CASE WHEN person_id = $2 THEN 'unpaid' ELSE status END
         WHERE person_id IN ($1, $2, $3)")
        .bind(p1).bind(p2).bind(p4).execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(changed, 3);
    assert_counters_exact(&app).await;

    // Deletions take their counts with them.
    exec("DELETE FROM ledger_reasons WHERE person_id = $1", p1).await;
    exec("DELETE FROM enrolments WHERE person_id = $1", p2).await;
    assert_counters_exact(&app).await;
    exec("DELETE FROM ledger_reasons WHERE person_id = $1", p2).await;
    exec("DELETE FROM enrolments WHERE person_id = $1", p4).await;
    exec("DELETE FROM ledger_reasons WHERE person_id = $1", p4).await;
    exec("DELETE FROM people WHERE id = $1", p4).await;
    assert_counters_exact(&app).await;
    let r = weekly("2022-10-08").await;
    assert_eq!(row(&r, LONGSHAN)["enrolled"], 1, "{r}");
    assert_eq!(row(&r, LONGSHAN)["roster"], 2, "{r}");
    app.stop().await;
}
