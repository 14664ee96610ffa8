//! Departments' dynamic adjustment lists: dry run, apply, review queue and the XLSX error
//! report, on SQLite and PostgreSQL (pinned date 2022-10-08, Lishi).

use crate::common::{actor, bearer, count, spawn_app, synthetic_id, Backend, TestApp, OTHER};
use serde_json::Value;

both_backends! {
    a_list_is_checked_row_by_row_then_applied_once,
    xlsx_lists_and_bad_files,
    fifty_thousand_rows_with_three_bad_ones,
    the_ledger_contradicts_additions_for_the_dead_and_the_employed,
}

/// Demo seed: 李凤英 (低保, flagged) and 王德顺 (低保, flagged); 孙玉山 in 凤山底社区.
const LI_FENGYING: &str = "141102194905060023";
const WANG_DESHUN: &str = "141102193807090013";
const SUN_YUSHAN: &str = "141102194702150037";
const NEW_PERSON: &str = "141102198511200036";

/// A department list sent as raw bytes.
async fn upload(app: &TestApp, auth: &str, name: &str, body: Vec<u8>) -> (u16, Value) {
    crate::common::upload(app, auth, &format!("/api/v1/adjustment-lists?file_name={name}"), body).await
}

async fn a_list_is_checked_row_by_row_then_applied_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let civil = bearer(&app, "civil_lishi").await;
    let csv = format!(
        "序号,乡镇街道,村社区,姓名,身份证号码,联系电话,动态调整类型,人员类别,动态调整时间
1,滨河街道,东关社区,陈建国,{NEW_PERSON},13800000001,新增,低保,2022-09-01
2,滨河街道,东关社区,陈建国,{NEW_PERSON},13800000001,新增,低保,2022-09-01
3,滨河街道,东关社区,张三,141102198511200035,,新增,低保,2022-09-01
4,滨河街道,东关社区,张三,{OTHER},,新增,富人,2022-09-01
5,滨河街道,东关社区,张三,{OTHER},,新增,低保,2022-02-30
6,滨河街道,东关社区,李凤英,{LI_FENGYING},,退出,低保,2022/9/1
7,滨河街道,东关社区,王德顺,{WANG_DESHUN},,新增,低保对象,2022/9/1
8,滨河街道,东关社区,刘秀英,{OTHER},,新增,易返贫致贫人口,2022-09-01
9,凤山街道,凤山底社区,孙玉山,{SUN_YUSHAN},,新增,特困供养,2022年9月1日
10,凤山街道,凤山底社区,孙玉山,{SUN_YUSHAN},,新增,孤儿,2022-09-01
11,凤山街道,凤山底社区,孙玉山,{SUN_YUSHAN},,退出,孤儿,2022-09-01
,,,,,,,,
12,滨河街道,东关社区,刘秀英,{OTHER},12345,新增,低保,2022-09-01
"
    );
    let people_before = count(&app, "SELECT COUNT(*) FROM people").await;
    let certs_before = count(&app, "SELECT COUNT(*) FROM certifications").await;
    let (status, r) = upload(&app, &civil, "form3.csv", csv.into_bytes()).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["applied"], false);
    assert_eq!(r["rows_total"], 12, "the empty row is skipped: {r}");
    assert_eq!(r["valid"], 3, "{r}");
    assert_eq!(r["adds"], 2);
    assert_eq!(r["exits"], 1);
    assert_eq!(r["new_people"], 1);
    assert_eq!(r["duplicate"], 2, "{r}");
    assert_eq!(r["conflict"], 2);
    assert_eq!(r["invalid"], 5);
    let problem = |line: u64| {
        r["problems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["line"] == line)
            .cloned()
            .unwrap_or_else(|| panic!("line {line} has a problem: {r}"))
    };
    assert_eq!(problem(3)["outcome"], "duplicate");
    assert_eq!(problem(3)["message"], "与第2行重复");
    assert_eq!(problem(4)["column"], "身份证号码");
    assert_eq!(problem(5)["column"], "人员类别");
    assert_eq!(problem(6)["column"], "动态调整时间");
    assert_eq!(problem(8)["outcome"], "duplicate", "王德顺 is already 低保");
    assert!(
        problem(9)["message"].as_str().unwrap().contains("乡村振兴局"),
        "{}",
        problem(9)
    );
    assert_eq!(problem(11)["outcome"], "conflict");
    assert_eq!(problem(12)["outcome"], "conflict");
    assert_eq!(problem(14)["column"], "联系电话");
    assert_eq!(
        problem(4)["id_number_masked"],
        Value::Null,
        "an unreadable number is not echoed"
    );
    // The dry run wrote nothing but the stored file.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM people").await, people_before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM certifications").await, certs_before);
    let id = r["import_id"].as_i64().unwrap();

    // Another department cannot see it; a cadre may not import at all.
    let rural = bearer(&app, "rural_lishi").await;
    let res = app
        .client
        .get(app.url(&format!("/api/v1/adjustment-lists/{id}")))
        .header("Authorization", &rural)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let cadre = bearer(&app, "cadre_dongguan").await;
    let (status, _) = upload(&app, &cadre, "x.csv", b"a,b\n".to_vec()).await;
    assert_eq!(status, 403);

    // The error report before applying: one row per problem, Chinese headers.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/adjustment-lists/{id}/errors.xlsx")))
        .header("Authorization", &civil)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    let sheet = read_xlsx(&bytes);
    assert_eq!(sheet[0], ["行号", "身份证号码", "问题类型", "所在列", "说明"]);
    assert_eq!(sheet.len(), 1 + 9);
    assert_eq!(sheet[1][0], "3");
    assert_eq!(sheet[1][2], "重复");

    let res = app
        .client
        .post(app.url(&format!("/api/v1/adjustment-lists/{id}/apply")))
        .header("Authorization", &civil)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let applied: Value = res.json().await.unwrap();
    assert_eq!(applied["applied"], true);
    assert_eq!(applied["valid"], 3);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM people").await, people_before + 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM certifications WHERE source = 'list' AND status = 'confirmed'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM certifications c JOIN people p ON p.id = c.person_id
                 WHERE p.id_number = '{LI_FENGYING}' AND c.status = 'revoked' AND c.valid_until = '2022-09-01'"
            )
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM adjustment_review WHERE import_id = {id}")
        )
        .await,
        9
    );
    let res = app
        .client
        .post(app.url(&format!("/api/v1/adjustment-lists/{id}/apply")))
        .header("Authorization", &civil)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409, "applied once only");

    // The review queue: the problem rows wait for civil affairs in Lishi and for the
    // bureau, not for another department; each is settled once, with a note.
    use app::services::lists::{resolve_review, review_queue};
    let (civil_a, rural_a, bureau_a) = (
        actor(&app, "civil_lishi").await,
        actor(&app, "rural_lishi").await,
        actor(&app, "bureau_lishi").await,
    );
    let open = review_queue(&app.state, &civil_a, None, false).await.unwrap();
    assert_eq!(open.len(), 9);
    assert!(open
        .iter()
        .all(|r| r.import_id == id && !r.resolved && r.message.len() > 3));
    assert_eq!(review_queue(&app.state, &bureau_a, None, false).await.unwrap().len(), 9);
    assert!(review_queue(&app.state, &rural_a, None, false)
        .await
        .unwrap()
        .is_empty());
    let dups = review_queue(&app.state, &civil_a, Some("duplicate"), false)
        .await
        .unwrap();
    assert!(!dups.is_empty() && dups.len() < 9 && dups.iter().all(|r| r.outcome == "duplicate"));
    let bad = review_queue(&app.state, &civil_a, Some("nonsense"), false)
        .await
        .unwrap_err();
    assert_eq!(bad.status(), 422);
    let first = open[0].id;
    let e = resolve_review(&app.state, &civil_a, first, "  ", "127.0.0.1")
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422, "a note is required");
    let e = resolve_review(&app.state, &rural_a, first, "不是我们的", "127.0.0.1")
        .await
        .unwrap_err();
    assert_eq!(e.status(), 404, "another department's row is not theirs to settle");
    let done = resolve_review(&app.state, &civil_a, first, "已更正后重新导入", "127.0.0.1")
        .await
        .unwrap();
    assert!(done.resolved);
    let e = resolve_review(&app.state, &bureau_a, first, "再次处理", "127.0.0.1")
        .await
        .unwrap_err();
    assert_eq!(e.status(), 409, "settled once");
    assert_eq!(review_queue(&app.state, &civil_a, None, false).await.unwrap().len(), 8);
    let settled = review_queue(&app.state, &civil_a, None, true).await.unwrap();
    assert_eq!(settled.len(), 1);
    assert_eq!(settled[0].resolution.as_deref(), Some("已更正后重新导入"));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'adjustment_review_resolved'"
        )
        .await,
        1
    );

    // The department's additions wait for the bureau's flag like any confirmed request.
    let bureau = bearer(&app, "bureau_lishi").await;
    let res = app
        .client
        .get(app.url("/api/v1/certifications"))
        .header("Authorization", &bureau)
        .send()
        .await
        .unwrap();
    let queue: Value = res.json().await.unwrap();
    let names: Vec<&str> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["陈建国", "孙玉山"], "{queue}");
    assert_eq!(queue[0]["actions"], serde_json::json!(["flag"]));

    // Its history starts with the list and line it came from, then the bureau's flag.
    let cert = queue[0]["id"].as_i64().unwrap();
    let res = app
        .client
        .post(app.url(&format!("/api/v1/certifications/{cert}/actions")))
        .header("Authorization", &bureau)
        .json(&serde_json::json!({"action": "flag"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let detail: Value = res.json().await.unwrap();
    let steps: Vec<(&str, &str)> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["to_status"].as_str().unwrap()))
        .collect();
    assert_eq!(steps, [("list_add", "confirmed"), ("flag", "flagged")], "{detail}");
    assert_eq!(
        detail["events"][0]["comment"],
        format!("动态调整名单#{id} 第2行 新增 2022-09-01")
    );
    assert_eq!(detail["events"][0]["actor"], "离石区民政局 刘芳");
    app.stop().await;
}

fn read_xlsx(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

async fn xlsx_lists_and_bad_files(backend: Backend) {
    let app = spawn_app(backend).await;
    let civil = bearer(&app, "civil_lishi").await;
    // English headers, another order, dates typed as Excel dates.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in [
        "category",
        "adjustment",
        "id_number",
        "adjusted_on",
        "name",
        "village",
        "township",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2022, 9, 1).unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    sheet.write_string(1, 0, "特困人员").unwrap();
    sheet.write_string(1, 1, "新增").unwrap();
    sheet.write_string(1, 2, SUN_YUSHAN).unwrap();
    sheet.write_datetime_with_format(1, 3, &date, &fmt).unwrap();
    sheet.write_string(1, 4, "孙玉山").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let (status, r) = upload(&app, &civil, "list.xlsx", bytes).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["valid"], 1, "{r}");
    assert_eq!(r["adds"], 1);

    let cases: [(&[u8], &str); 4] = [
        (b"%PDF-1.4 not a list", "file_type"),
        (&[0xD0, 0xCF, 0x11, 0xE0, 1, 2, 3], "file_type"),
        (
            "序号,姓名,身份证号码\n1,陈建国,141102198511200036\n".as_bytes(),
            "columns_missing",
        ),
        (b"", "file_empty"),
    ];
    let before = count(&app, "SELECT COUNT(*) FROM adjustment_imports").await;
    for (body, code) in cases {
        let (status, err) = upload(&app, &civil, "bad", body.to_vec()).await;
        assert_eq!(status, 422, "{code}: {err}");
        assert_eq!(err["error"]["code"], code);
        assert_eq!(err["error"]["field"], "file");
    }
    let (_, err) = upload(&app, &civil, "bad", "序号,姓名\n".as_bytes().to_vec()).await;
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(msg.contains("身份证号码") && msg.contains("动态调整类型"), "{msg}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM adjustment_imports").await, before);
    app.stop().await;
}

async fn fifty_thousand_rows_with_three_bad_ones(backend: Backend) {
    let app = spawn_app(backend).await;
    let civil = bearer(&app, "civil_lishi").await;
    let mut csv = String::from("序号,乡镇街道,村社区,姓名,身份证号码,联系电话,动态调整类型,人员类别,动态调整时间\n");
    let mut seen = std::collections::HashSet::new();
    let mut n = 0u32;
    let mut line = 0;
    while line < 50_000 {
        n += 1;
        let id = synthetic_id(n);
        if !seen.insert(id.clone()) {
            continue;
        }
        line += 1;
        let (id, date) = match line {
            100 => {
                let wrong = if id.ends_with('X') { '0' } else { 'X' };
                (format!("{}{wrong}", &id[..17]), "2022-09-01")
            }
            20_000 => (id, "2022-13-01"),
            49_999 => (id, "昨天"),
            _ => (id, "2022-09-01"),
        };
        csv.push_str(&format!("{line},滨河街道,东关社区,居民{line},{id},,新增,低保,{date}\n"));
    }
    let (status, r) = upload(&app, &civil, "big.csv", csv.into_bytes()).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["rows_total"], 50_000);
    assert_eq!(r["invalid"], 3, "{}", r["problems"]);
    assert_eq!(r["valid"], 49_997);
    let lines: Vec<u64> = r["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [101, 20_001, 50_000]);
    assert_eq!(r["problems"][0]["column"], "身份证号码");
    assert_eq!(r["problems"][1]["column"], "动态调整时间");
    app.stop().await;
}

/// A department adding someone the ledger records as deceased, or as in employee insurance,
/// is a conflict for the review queue, not an addition.
async fn the_ledger_contradicts_additions_for_the_dead_and_the_employed(backend: Backend) {
    let app = spawn_app(backend).await;
    let civil = bearer(&app, "civil_lishi").await;
    const ZHAO_DEMING: &str = "141102195208120013";
    const ZHANG_XIUYING: &str = "141102195603120021";
    for (id, reason) in [(ZHAO_DEMING, "deceased"), (ZHANG_XIUYING, "employee_insurance")] {
        app::with_pool!(&app.state.db, pool => sqlx::query(
            "INSERT INTO ledger_reasons (person_id, insurance_year, reason, updated_at)
             SELECT id, 2023, $2, $3 FROM people WHERE id_number = $1")
            .bind(id).bind(reason).bind(app.state.clock.now()).execute(pool).await.map(|r| r.rows_affected()))
        .unwrap();
    }
    let csv = format!(
        "身份证号码,动态调整类型,人员类别,动态调整时间
{ZHAO_DEMING},新增,低保,2022-09-01
{ZHANG_XIUYING},新增,低保,2022-09-01
{LI_FENGYING},退出,低保,2022-09-01
"
    );
    let (status, r) = upload(&app, &civil, "ledger.csv", csv.into_bytes()).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["conflict"], 2, "{r}");
    assert_eq!(r["valid"], 1, "the exit stands: {r}");
    let messages: Vec<&str> = r["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert!(
        messages[0].contains("已死亡") && messages[1].contains("参加职工医保"),
        "{r}"
    );
    app.stop().await;
}
