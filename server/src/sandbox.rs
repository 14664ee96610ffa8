//! The sandbox payment provider's own pages: what a payment app would show, with pay and
//! cancel. Paying signs a callback with the provider's secret and delivers it to the same
//! handler as `POST /api/v1/payments/callback`. Not part of the Canbao UI: plain HTML.

use app::error::AppError;
use app::services::payments;
use app::services::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use app::services::reports::esc;

use crate::rest::{actor, ClientIp};

/// The page as a payment app would show it; in 长辈模式 (the site's cookie) at the site's
/// elder sizes: 20 px text, nothing under 18 px, 60 px buttons and links.
fn page(title: &str, body: &str, headers: &HeaderMap) -> Html<String> {
    let elder = headers
        .get(axum::http::header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| app::prefs::Prefs::from_cookie_header(c).elder);
    let class = if elder { "elder" } else { "" };
    Html(format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="/favicon.svg" type="image/svg+xml">
<title>{title}</title>
<style>
body{{margin:0;font-family:system-ui,"Noto Sans CJK SC",sans-serif;background:#ededed;color:#111}}
header{{background:#107c10;color:#fff;padding:14px 16px;font-size:18px}}
main{{max-width:420px;margin:0 auto;padding:16px}}
.card{{background:#fff;border-radius:10px;padding:18px;margin-bottom:14px}}
.amount{{font-size:40px;font-weight:600;text-align:center;margin:8px 0}}
.muted{{color:#666;font-size:14px}}
table{{width:100%;border-collapse:collapse;font-size:15px}} td{{padding:6px 0}} td:last-child{{text-align:right}}
button{{width:100%;font-size:18px;padding:14px;border:0;border-radius:8px;margin-top:10px}}
.pay{{background:#107c10;color:#fff}} .cancel{{background:#fff;color:#333;border:1px solid #ccc}}
.badge{{display:inline-block;padding:2px 8px;border-radius:10px;background:#fde2e2;color:#a00}}
body.elder{{font-size:20px}} body.elder .muted,body.elder table{{font-size:18px}} body.elder header{{font-size:22px}}
body.elder button{{font-size:22px;min-height:60px}} body.elder a{{display:inline-block;min-height:60px;line-height:60px}}
</style></head><body class="{class}"><header>沙箱支付 Sandbox Pay</header><main>{body}</main></body></html>"#
    ))
}

fn error_page(err: &AppError, headers: &HeaderMap) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = format!(
        r#"<div class="card"><p>{}</p><p><a href="/coverage">返回我的参保</a></p></div>"#,
        esc(&err.to_string())
    );
    (status, page("支付失败", &body, headers)).into_response()
}

/// Only the order's household and staff in scope see the page (signed in as on the site).
pub async fn show(State(state): State<AppState>, headers: HeaderMap, Path(order_no): Path<String>) -> Response {
    let actor = match actor(&state, &headers).await {
        Ok(a) => a,
        Err(e) => return error_page(&e, &headers),
    };
    let order = match payments::sandbox_order(&state, &actor, &order_no).await {
        Ok(o) => o,
        Err(e) => return error_page(&e, &headers),
    };
    let lines: String = order
        .lines
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{} <span class=\"muted\">{}</span></td><td>{}年度 ¥{}</td></tr>",
                esc(&l.name),
                esc(&l.id_number_masked),
                l.insurance_year,
                l.amount
            )
        })
        .collect();
    let expires = order.expires_at.with_timezone(&domain::dates::SHANGHAI).format("%H:%M");
    let actions = if order.payable {
        format!(
            r#"<form method="post" action="/sandbox/pay/{no}"><input type="hidden" name="action" value="pay">
<button class="pay" type="submit" data-testid="sandbox-pay">确认支付 Pay ¥{amount}</button></form>
<form method="post" action="/sandbox/pay/{no}"><input type="hidden" name="action" value="cancel">
<button class="cancel" type="submit" data-testid="sandbox-cancel">取消 Cancel</button></form>
<p class="muted">请在 {expires} 前完成支付（北京时间）</p>"#,
            no = esc(&order.order_no),
            amount = order.amount,
        )
    } else {
        format!(
            r#"<p><span class="badge">{}</span></p><p><a href="/coverage">返回我的参保</a></p>"#,
            match order.status.as_str() {
                "paid" => "已支付 Paid",
                "cancelled" => "已取消 Cancelled",
                "expired" => "已过期 Expired",
                _ => "不可支付",
            }
        )
    };
    let body = format!(
        r#"<div class="card"><div class="muted">收款方：城乡居民基本医疗保险（参保）</div>
<div class="amount">¥{amount}</div><div class="muted">订单号 {no}</div></div>
<div class="card"><table>{lines}</table></div><div class="card">{actions}</div>"#,
        amount = order.amount,
        no = esc(&order.order_no),
    );
    page("沙箱支付", &body, &headers).into_response()
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    action: String,
}

pub async fn act(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(order_no): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let actor = match actor(&state, &headers).await {
        Ok(a) => a,
        Err(e) => return error_page(&e, &headers),
    };
    let pay = form.action == "pay";
    match payments::sandbox_complete(&state, &actor, &order_no, pay, &ip).await {
        Ok(r) => Redirect::to(&format!("/coverage?order={}&result={}", r.order_no, r.result)).into_response(),
        Err(e) => error_page(&e, &headers),
    }
}
