//! The OpenAPI document stays in step with what the server really serves.

use std::collections::BTreeSet;

use crate::common::{spawn_app, Backend};
use serde_json::{json, Value};

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    &doc["components"]["schemas"][name]
}

fn property_names(doc: &Value, name: &str) -> BTreeSet<String> {
    schema(doc, name)["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{name} has properties"))
        .keys()
        .cloned()
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test]
async fn the_document_matches_the_running_api() {
    let app = spawn_app(Backend::Sqlite).await;
    let res = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc, server::openapi::document(), "served document is the generated one");

    // Every reference resolves.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("local ref {r}"));
        assert!(doc["components"]["schemas"].get(name).is_some(), "{r} resolves");
    }

    // What the layers in front of the handlers answer is declared too, in the error shape.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let declared = |status: &str| op["responses"].get(status).is_some();
            assert!(declared("503"), "{method} {path}: 503");
            if method == "post" || method == "put" {
                assert!(declared("413"), "{method} {path}: 413");
            }
        }
    }
    for limited in ["/api/v1/quote", "/api/v1/sessions", "/api/v1/payments/callback"] {
        assert_eq!(
            doc["paths"][limited]["post"]["responses"]["429"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody",
            "{limited}: 429"
        );
    }

    // Every documented operation exists on the server (answers with a documented status).
    let example = json!({
        "policy": "lishi-2023",
        "person": {"id_number": "14110219900101123X", "categories": ["minimum_living"]},
        "paid_on": "2022-10-08"
    });
    for e in server::openapi::endpoints() {
        let path = e.path.replace("{code}", "141102001").replace("{id}", "lishi-2023");
        let res = match e.method {
            "get" => app.client.get(app.url(&path)).send().await.unwrap(),
            "post" => app.client.post(app.url(&path)).json(&example).send().await.unwrap(),
            "put" => app.client.put(app.url(&path)).json(&example).send().await.unwrap(),
            other => panic!("method {other}"),
        };
        let status = res.status().as_u16();
        assert!(
            e.responses.iter().any(|(s, _, _)| *s == status),
            "{} {path} answered {status}",
            e.method
        );
        let documented = &doc["paths"][e.path][e.method];
        assert!(documented.is_object(), "{} {} is in the document", e.method, e.path);
    }

    // Real responses carry exactly the properties their schemas declare.
    let quote: Value = app
        .client
        .post(app.url("/api/v1/quote"))
        .json(&example)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&quote), property_names(&doc, "Quote"));
    let request_props = property_names(&doc, "QuoteRequest");
    assert!(keys(&example).is_subset(&request_props));
    let pack: Value = app.get_json("/api/v1/policies/lishi-2023").await;
    assert_eq!(keys(&pack), property_names(&doc, "PolicyPack"));
    let area: Value = app.get_json("/api/v1/areas/141102001").await;
    assert_eq!(keys(&area), property_names(&doc, "AreaNode"));
    let err: Value = app.get_json("/api/v1/policies/none").await;
    assert_eq!(keys(&err), property_names(&doc, "ErrorBody"));

    // An undocumented path under /api/v1 is not served.
    let res = app.client.get(app.url("/api/v1/undocumented")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    app.stop().await;
}
