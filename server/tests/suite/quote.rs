//! `GET /api/v1/policies`, `GET /api/v1/policies/{id}`, `POST /api/v1/quote` over HTTP.

use crate::common::{spawn_app, Backend};
use serde_json::{json, Value};

both_backends!(
    policies_are_listed_with_citations,
    quote_matches_the_contract_example,
    quote_errors_name_their_field,
    a_notice_without_an_amount_answers_unpriced
);

async fn policies_are_listed_with_citations(backend: Backend) {
    let app = spawn_app(backend).await;
    let list: Vec<Value> = app.get_json("/api/v1/policies").await;
    let mut ids: Vec<&str> = list.iter().map(|p| p["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        ["beijing-2020", "lishi-2023", "rugao-2020", "sanya-2021", "weifang-2021"]
    );
    let weifang = list.iter().find(|p| p["id"] == "weifang-2021").unwrap();
    assert_eq!(weifang["jurisdiction"], "潍坊市");
    assert_eq!(weifang["insurance_year"], 2021);
    assert_eq!(weifang["tiers"].as_array().unwrap().len(), 2);

    let res = app
        .client
        .get(app.url("/api/v1/policies/lishi-2023"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let pack: Value = res.json().await.unwrap();
    assert_eq!(pack["tiers"][0]["personal"]["value"], "350.00");
    assert_eq!(pack["tiers"][0]["personal"]["notice"], "离政办发〔2022〕34号");
    assert!(pack["tiers"][0]["personal"]["clause"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));

    // The same pack as a TOML file (issue 26's export): it loads as the pack it came from.
    let res = app
        .client
        .get(app.url("/api/v1/policies/lishi-2023?format=toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/toml; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"lishi-2023.toml\""
    );
    let text = res.text().await.unwrap();
    let back = app::services::policies::parse_pack("lishi-2023.toml", &text).unwrap();
    assert_eq!(&back, app.state.policies.current().get("lishi-2023").unwrap());
    let res = app
        .client
        .get(app.url("/api/v1/policies/lishi-2023?format=pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["field"], "format");

    let res = app
        .client
        .get(app.url("/api/v1/policies/lishi-1999"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "policy_not_found");
    assert_eq!(body["error"]["field"], "policy");
    app.stop().await;
}

async fn post(app: &crate::common::TestApp, body: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/quote"))
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

fn contract_example() -> Value {
    json!({
        "policy": "lishi-2023",
        "person": {
            "id_number": "14110219900101123X",
            "birth_date": "1990-01-01",
            "categories": ["minimum_living"],
            "certified_on": "2023-03-10",
            "student": false,
            "employee_insurance_active": false,
            "employee_insurance_ended_on": null,
            "hukou_local": true,
            "months_resident": null,
            "insured_elsewhere": false
        },
        "tier": null,
        "add_ons": [],
        "paid_on": "2022-10-08"
    })
}

async fn quote_matches_the_contract_example(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, q) = post(&app, &contract_example().to_string()).await;
    assert_eq!(status, 200, "{q}");
    assert_eq!(q["policy"], "lishi-2023");
    assert_eq!(q["eligible"], true);
    assert_eq!(q["priced"], true);
    assert_eq!(q["standard_contribution"], "350.00");
    assert_eq!(q["subsidy"], "280.00");
    assert_eq!(q["late_surcharge"], "0.00");
    assert_eq!(q["add_ons_total"], "0.00");
    assert_eq!(q["personal_due"], "70.00");
    assert_eq!(q["applied_category"], "minimum_living");
    assert_eq!(q["benefit_start"], "2023-01-01");
    assert_eq!(q["benefit_end"], "2023-12-31");
    assert_eq!(q["start_rule"], "on_time");
    assert!(q["explanation"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().contains("70.00")));
    assert!(q["citations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["notice"] == "离政办发〔2022〕34号"));

    // Ineligible: 200 with reasons and no amounts.
    let mut req = contract_example();
    req["person"]["employee_insurance_active"] = json!(true);
    let (status, q) = post(&app, &req.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(q["eligible"], false);
    assert_eq!(q["ineligible_reasons"][0]["code"], "in_employee_insurance");
    assert!(q["personal_due"].is_null());
    app.stop().await;
}

/// A change to the contract's example request.
type Edit = Box<dyn Fn(&mut Value)>;

async fn quote_errors_name_their_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, body) = post(&app, "{\"policy\": ").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "malformed_json");

    let cases: Vec<(Edit, u16, &str)> = vec![
        (Box::new(|r| r["policy"] = json!("nowhere-2020")), 404, "policy"),
        (
            Box::new(|r| r["person"]["id_number"] = json!("141102199001011230")),
            422,
            "person.id_number",
        ),
        (
            Box::new(|r| r["person"]["id_number"] = json!("1411021990")),
            422,
            "person.id_number",
        ),
        (
            Box::new(|r| {
                r["person"]["id_number"] = Value::Null;
                r["person"]["birth_date"] = json!("2022-02-30");
            }),
            422,
            "person.birth_date",
        ),
        (Box::new(|r| r["paid_on"] = json!("2022-13-01")), 422, "paid_on"),
        (Box::new(|r| r["tier"] = json!("gold")), 422, "tier"),
        (Box::new(|r| r["tier"] = json!("high")), 422, "tier"),
        (Box::new(|r| r["paid_on"] = json!("2024-03-01")), 422, "paid_on"),
        (Box::new(|r| r["paid_on"] = json!("2021-06-01")), 422, "paid_on"),
        (
            Box::new(|r| r["person"]["months_resident"] = json!(-3)),
            422,
            "person.months_resident",
        ),
        (
            Box::new(|r| r["person"]["student"] = json!("yes")),
            422,
            "person.student",
        ),
        (
            Box::new(|r| r["add_ons"] = json!(["commercial_supplement"])),
            422,
            "add_ons[0]",
        ),
        (
            Box::new(|r| r.as_object_mut().unwrap().remove("paid_on").map(|_| ()).unwrap()),
            422,
            "paid_on",
        ),
    ];
    for (i, (change, status, field)) in cases.into_iter().enumerate() {
        let mut req = contract_example();
        change(&mut req);
        let (got, body) = post(&app, &req.to_string()).await;
        assert_eq!(got, status, "case {i}: {body}");
        assert_eq!(body["error"]["field"], field, "case {i}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "case {i}: Chinese message {message}"
        );
    }
    app.stop().await;
}

/// Issue 23 §1, contract: 京医保发〔2020〕23号 sets no contribution standard, so a Beijing
/// resident outside the 免缴人员 gets 200 `priced: false` with the figures null, while the
/// 免缴人员 owe "0.00" by the notice; Weifang's 低保 (四、(三) "按规定标准") is recognised
/// but unpriced.
async fn a_notice_without_an_amount_answers_unpriced(backend: Backend) {
    let app = spawn_app(backend).await;
    let ask = |policy: &str, categories: Value, tier: Value, paid_on: &str| {
        json!({"policy": policy, "person": {"birth_date": "1980-05-05", "categories": categories},
               "tier": tier, "paid_on": paid_on})
        .to_string()
    };
    let (status, q) = post(&app, &ask("beijing-2020", json!([]), Value::Null, "2019-10-10")).await;
    assert_eq!(status, 200, "{q}");
    assert_eq!(
        (q["eligible"].clone(), q["priced"].clone()),
        (json!(true), json!(false))
    );
    for field in ["standard_contribution", "subsidy", "personal_due"] {
        assert!(q[field].is_null(), "{field}: {q}");
    }
    assert_eq!(q["benefit_start"], "2020-01-01");
    assert!(!q["citations"].as_array().unwrap().is_empty());
    assert!(!q.to_string().contains("280"), "no borrowed figure: {q}");
    assert!(q["explanation"].to_string().contains("未规定"), "{q}");

    let (_, q) = post(
        &app,
        &ask(
            "beijing-2020",
            json!(["deceased_cadre_spouse"]),
            Value::Null,
            "2019-10-10",
        ),
    )
    .await;
    assert_eq!(
        (q["priced"].clone(), q["personal_due"].clone()),
        (json!(true), json!("0.00"))
    );
    assert!(q["standard_contribution"].is_null() && q["subsidy"].is_null(), "{q}");

    let (_, q) = post(
        &app,
        &ask("weifang-2021", json!(["minimum_living"]), json!("low"), "2020-12-01"),
    )
    .await;
    assert_eq!(q["priced"], false);
    assert_eq!(q["applied_category"], "minimum_living");
    assert_eq!(q["standard_contribution"], "260.00");
    assert!(q["subsidy"].is_null() && q["personal_due"].is_null(), "{q}");
    assert!(!q["explanation"].to_string().contains("未将"), "{q}");
    app.stop().await;
}
