//! 政策配置: bureau officers draft next year's policy pack, edit it in forms made from the
//! pack itself, see what changed and what sample people would pay, and take it through
//! review to publication. Every form is a plain HTML form posting to
//! `/api/v1/policy-drafts/…`, which sends the browser back here; nothing needs the WASM.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::policies::{policy_draft, policy_drafts};
use crate::components::loaded::loaded;
use crate::i18n::Lang;
use crate::model::{DraftSummary, DraftView, FieldKind, FieldView, SampleAnswer, ShapeOp};
use crate::pages::certification::shanghai_time;
use crate::prefs::{use_prefs, use_texts};

/// The status in words.
pub fn status_label(status: &str, lang: Lang) -> &'static str {
    match status {
        "draft" => lang.pick("草稿", "draft"),
        "submitted" => lang.pick("待审核", "waiting for review"),
        "returned" => lang.pick("已退回", "returned"),
        "approved" => lang.pick("已审核，待发布", "approved, to publish"),
        "published" => lang.pick("已发布", "published"),
        _ => lang.pick("未知", "unknown"),
    }
}

/// The refusal a form came back with (`?error=…&error_en=…&field=…`), in the reader's language.
fn refusal(lang: Lang) -> Option<String> {
    let q = use_query_map();
    q.with(|m| match lang {
        Lang::Zh => m.get("error"),
        Lang::En => m.get("error_en").or_else(|| m.get("error")),
    })
}

#[component]
pub fn DraftsListPage() -> impl IntoView {
    let t = use_texts();
    let data = Resource::new(|| (), |_| policy_drafts());
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let lang = use_prefs().lang;
                let page = match loaded(data.await, lang) {
                    Ok(v) => v,
                    Err(refused) => return refused,
                };
                let error = refusal(lang);
                view! {
                    <section class="card wide">
                        <h1>{lang.pick("政策配置", "Policy packs")}</h1>
                        <p class="muted">{lang.pick(
                            "每年的新通知在这里起草成参保政策：从上一年度的政策复制，逐项修改并注明文号和条款，试算后提交审核；由另一位工作人员审核通过并发布后，居民从缴费期开始之日起即可按新政策参保。",
                            "Each year's new notice becomes a policy pack here: copy last year's, change what the notice changes with its number and clause, try it, and submit it; once another officer approves and publishes it, residents enrol under it from the day its collection opens.",
                        )}</p>
                        {error.map(|m| view! { <p class="form-error" role="alert" data-testid="drafts-error">{m}</p> })}
                        <h2>{lang.pick("起草新政策", "Start a draft")}</h2>
                        <form method="post" action="/api/v1/policy-drafts" class="stack-narrow">
                            <label for="draft-from">{lang.pick("复制自已发布的政策", "Copy the published pack")}</label>
                            <select id="draft-from" name="from" required data-testid="draft-from">
                                {page.starting_points.into_iter().map(|(id, zh, en)| {
                                    view! { <option value=id>{match lang { Lang::Zh => zh, Lang::En => en }}</option> }
                                }).collect_view()}
                            </select>
                            <label for="draft-year">{lang.pick("参保年度（留空即下一年度；填所选政策的年度则为更正）", "Insurance year (empty: the next; the pack's own year: a correction)")}</label>
                            <input id="draft-year" name="year" inputmode="numeric" maxlength="4" value=""/>
                            <button type="submit" class="button primary" data-testid="draft-create">{lang.pick("起草", "Start the draft")}</button>
                        </form>
                        <h2>{lang.pick("导入政策文件", "Import a pack file")}</h2>
                        <form method="post" enctype="multipart/form-data" action="/api/v1/policy-drafts/import" class="stack-narrow">
                            <label for="draft-file">{lang.pick("TOML格式的政策文件（与导出的格式相同，不超过256 KB）", "A pack file in TOML (the export's format, at most 256 KB)")}</label>
                            <input id="draft-file" type="file" name="file" accept=".toml,application/toml" required/>
                            <button type="submit" class="button">{lang.pick("导入为草稿", "Import as a draft")}</button>
                        </form>
                        <h2>{lang.pick("草稿", "Drafts")}</h2>
                        {if page.drafts.is_empty() {
                            view! { <p data-testid="drafts-none">{lang.pick("还没有草稿。", "No drafts yet.")}</p> }.into_any()
                        } else {
                            view! { <DraftTable drafts=page.drafts lang/> }.into_any()
                        }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn DraftTable(drafts: Vec<DraftSummary>, lang: Lang) -> impl IntoView {
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="report" data-testid="drafts">
                <thead><tr>
                    <th>{lang.pick("政策编号", "Pack")}</th>
                    <th>{lang.pick("统筹地区", "Jurisdiction")}</th>
                    <th>{lang.pick("年度", "Year")}</th>
                    <th>{lang.pick("状态", "Status")}</th>
                    <th>{lang.pick("起草人", "Author")}</th>
                    <th>{lang.pick("复制自", "Copied from")}</th>
                    <th>{lang.pick("更新时间", "Updated")}</th>
                </tr></thead>
                <tbody>
                    {drafts.into_iter().map(|d| view! {
                        <tr data-testid="draft-row">
                            <td><a href=format!("/policies/drafts/{}", d.id)>{d.pack_id.clone()}</a></td>
                            <td>{match lang { Lang::Zh => d.jurisdiction.clone(), Lang::En => d.jurisdiction_en.clone() }}</td>
                            <td>{d.insurance_year}</td>
                            <td><span class="badge">{status_label(&d.status, lang)}</span>
                                {d.published_version.map(|v| format!(" v{v}"))}</td>
                            <td>{d.author.clone()}</td>
                            <td>{d.base.clone().unwrap_or_default()}</td>
                            <td class="date">{shanghai_time(d.updated_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// An input's id from its path (`tiers[0].personal.value` → `f-tiers-0-personal-value`).
fn input_id(path: &str) -> String {
    let mut id = String::from("f-");
    for c in path.chars() {
        id.push(if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' });
    }
    id.trim_end_matches('-').replace("--", "-")
}

/// The sample people asked for in the query (`birth`, `category`, `student` per row).
fn asked_samples() -> Vec<String> {
    let q = use_query_map();
    q.with(|m| {
        let births = m.get_all("birth").unwrap_or_default();
        let cats = m.get_all("category").unwrap_or_default();
        let students = m.get_all("student").unwrap_or_default();
        births
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.trim().is_empty())
            .map(|(i, b)| {
                let c = cats.get(i).cloned().unwrap_or_default();
                let s = if students.contains(&i.to_string()) {
                    ":student"
                } else {
                    ""
                };
                format!("{}:{c}{s}", b.trim())
            })
            .collect()
    })
}

#[component]
pub fn DraftPage() -> impl IntoView {
    let t = use_texts();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let data = Resource::new(
        move || (id(), asked_samples()),
        |(id, samples)| policy_draft(id, samples),
    );
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let lang = use_prefs().lang;
                let d = match loaded(data.await, lang) {
                    Ok(v) => v,
                    Err(refused) => return refused,
                };
                view! { <Draft d lang/> }.into_any()
            })}
        </Suspense>
    }
}

fn done_message(done: &str, lang: Lang) -> Option<&'static str> {
    Some(match done {
        "saved" => lang.pick("已保存。", "Saved."),
        "submitted" => lang.pick("已提交审核。", "Submitted for review."),
        "approved" => lang.pick("已审核通过，可以发布。", "Approved: ready to publish."),
        "returned" => lang.pick("已退回起草人。", "Returned to its author."),
        "published" => lang.pick("已发布。", "Published."),
        _ => return None,
    })
}

#[component]
fn Draft(d: DraftView, lang: Lang) -> impl IntoView {
    let q = use_query_map();
    let done = q.with(|m| m.get("done")).and_then(|s| done_message(&s, lang));
    let error = refusal(lang);
    let error_field = q.with(|m| m.get("field"));
    let id = d.summary.id;
    let s = d.summary.clone();
    let action = |what: &str| format!("/api/v1/policy-drafts/{id}/{what}");
    let problems = d.problems.clone();
    view! {
        <section class="card wide">
            <p><a href="/policies/drafts">{lang.pick("政策配置", "Policy packs")}</a></p>
            <h1 data-testid="draft-title">{s.pack_id.clone()}" · "
                {match lang { Lang::Zh => s.jurisdiction.clone(), Lang::En => s.jurisdiction_en.clone() }}
                " · "{s.insurance_year}</h1>
            <dl class="facts">
                <dt>{lang.pick("状态", "Status")}</dt>
                <dd data-testid="draft-status">{status_label(&s.status, lang)}{s.published_version.map(|v| format!(" v{v}"))}</dd>
                <dt>{lang.pick("起草人", "Author")}</dt><dd>{s.author.clone()}</dd>
                <dt>{lang.pick("复制自", "Copied from")}</dt><dd>{s.base.clone().unwrap_or_else(|| "—".into())}</dd>
                {d.reviewer.clone().map(|r| view! { <dt>{lang.pick("审核人", "Reviewer")}</dt><dd>{r}</dd> })}
                {d.review_note.clone().map(|r| view! { <dt>{lang.pick("退回原因", "Returned because")}</dt><dd data-testid="review-note">{r}</dd> })}
                {d.opens_on.map(|o| view! { <dt>{lang.pick("缴费期开始", "Collection opens")}</dt><dd class="date">{o.to_string()}</dd> })}
            </dl>
            {done.map(|m| view! { <p class="notice" role="status" data-testid="draft-done">{m}</p> })}
            {error.map(|m| view! { <p class="form-error" role="alert" data-testid="draft-error">{m}</p> })}
            {(!problems.is_empty()).then(|| view! {
                <div class="problems" data-testid="problems">
                    <h2>{match lang {
                        Lang::Zh => format!("提交前还需处理{}处问题", problems.len()),
                        Lang::En => format!("{} problem(s) to fix before submitting", problems.len()),
                    }}</h2>
                    <ul>
                        {problems.iter().map(|p| view! {
                            <li data-field=p.field.clone()>
                                <a href=format!("#{}", input_id(&p.field))>{match lang { Lang::Zh => p.zh.clone(), Lang::En => p.en.clone() }}</a>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            })}
            <Actions d=d.clone() lang/>
            <Changes d=d.clone() lang/>
            <TryIt d=d.clone() lang/>
            <h2>{lang.pick("政策内容", "The pack")}</h2>
            <form method="post" action=action("form") class="pack-form" data-testid="draft-form">
                {d.may_edit.then(|| view! {
                    <p class="muted">{lang.pick(
                        "每个数字都要注明文号和条款；通知未规定的数值须勾选“假设”并用中英文说明来源。",
                        "Every figure cites its notice and clause; a value the notice does not state is marked as an assumption, with a note in Chinese and English.",
                    )}</p>
                    <label for="f-reason">{lang.pick("本版本的原因（更正已发布政策时必填）", "Why this version (required for a correction)")}</label>
                    <textarea id="f-reason" name="reason" maxlength="500" rows="2">{d.reason.clone().unwrap_or_default()}</textarea>
                })}
                <Fields fields=d.fields.clone() editable=d.may_edit lang problems=d.problems.clone() error_field=error_field.clone()
                    lists=d.lists.clone() parts=d.parts.clone()/>
                {d.may_edit.then(|| view! {
                    <div class="sticky-actions">
                        <button type="submit" class="button primary" name="op" value="" data-testid="draft-save">{lang.pick("保存", "Save")}</button>
                    </div>
                })}
            </form>
        </section>
    }
}

#[component]
fn Actions(d: DraftView, lang: Lang) -> impl IntoView {
    let id = d.summary.id;
    let action = move |what: &str| format!("/api/v1/policy-drafts/{id}/{what}");
    let status = d.summary.status.clone();
    view! {
        <div class="draft-actions">
            {(d.may_edit).then(|| view! {
                <form method="post" action=action("submit")>
                    <button type="submit" class="button primary" data-testid="draft-submit" disabled=!d.may_submit>
                        {lang.pick("提交审核", "Submit for review")}
                    </button>
                    {(!d.may_submit).then(|| view! { <span class="muted">{lang.pick("处理完上面的问题后才能提交", "Fix the problems above to submit")}</span> })}
                </form>
            })}
            {(status == "submitted" && !d.may_review).then(|| view! {
                <p class="muted" data-testid="awaiting-review">{lang.pick("等待另一位工作人员审核（起草人不能审核自己的草稿）。", "Waiting for another officer to review it (an author cannot review their own draft).")}</p>
            })}
            {d.may_review.then(|| view! {
                <form method="post" action=action("approve")>
                    <button type="submit" class="button primary" data-testid="draft-approve">{lang.pick("审核通过", "Approve")}</button>
                </form>
                <form method="post" action=action("return") class="stack-narrow">
                    <label for="return-note">{lang.pick("退回原因", "Why return it")}</label>
                    <textarea id="return-note" name="note" maxlength="500" rows="2"></textarea>
                    <button type="submit" class="button" data-testid="draft-return">{lang.pick("退回修改", "Return for changes")}</button>
                </form>
            })}
            {d.may_publish.then(|| view! {
                <form method="post" action=action("publish") class="stack-narrow">
                    <label for="offered-from">{lang.pick("向居民提供的日期（默认缴费期第一天）", "Offered to residents from (default: the collection's first day)")}</label>
                    <input id="offered-from" type="date" name="offered_from" value=d.opens_on.map(|o| o.to_string()).unwrap_or_default()/>
                    <button type="submit" class="button primary" data-testid="draft-publish">{lang.pick("发布", "Publish")}</button>
                </form>
            })}
            {(status == "approved" && !d.may_publish).then(|| view! {
                <p class="muted">{lang.pick("等待另一位工作人员发布。", "Waiting for another officer to publish it.")}</p>
            })}
            {(status == "published").then(|| view! {
                <p><a href=format!("/api/v1/policies/{}?format=toml", d.summary.pack_id) data-no-nav="" data-testid="draft-export">
                    {lang.pick("导出为TOML文件", "Export as a TOML file")}</a></p>
            })}
        </div>
    }
}

#[component]
fn Changes(d: DraftView, lang: Lang) -> impl IntoView {
    view! {
        <h2>{lang.pick("与复制来源的差异", "Changes from the pack it was copied from")}</h2>
        {if d.changes.is_empty() {
            view! { <p class="muted" data-testid="changes-none">{lang.pick("没有改动。", "No changes.")}</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll" tabindex="0">
                    <table class="report" data-testid="changes">
                        <thead><tr>
                            <th>{lang.pick("项目", "Field")}</th>
                            <th>{lang.pick("原来", "Before")}</th>
                            <th>{lang.pick("现在", "Now")}</th>
                        </tr></thead>
                        <tbody>
                            {d.changes.into_iter().map(|c| view! {
                                <tr data-path=c.path.clone()>
                                    <td>{match lang { Lang::Zh => c.label_zh, Lang::En => c.label_en }}</td>
                                    <td>{c.before.unwrap_or_else(|| "—".into())}</td>
                                    <td>{c.after.unwrap_or_else(|| "—".into())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

fn figure(a: &SampleAnswer, lang: Lang) -> String {
    match &a.personal_due {
        Some(due) => format!("¥{due}"),
        None => match lang {
            Lang::Zh => a.note_zh.clone(),
            Lang::En => a.note_en.clone(),
        },
    }
}

#[component]
fn TryIt(d: DraftView, lang: Lang) -> impl IntoView {
    let id = d.summary.id;
    let rows = d.samples.len() + 1;
    view! {
        <h2>{lang.pick("试算", "Try it")}</h2>
        <p class="muted">{lang.pick(
            "以下人员各自在缴费期第一天按时缴费，个人应缴金额在复制来源政策和本草稿下的对比。可以修改出生日期和身份类别后重新试算。",
            "What each person pays, paying on the first on-time day, under the pack it was copied from and under this draft. Change birth dates and categories and try again.",
        )}</p>
        <form method="get" action=format!("/policies/drafts/{id}") data-testid="try-form">
            <div class="table-scroll" tabindex="0">
                <table class="report" data-testid="samples">
                    <thead><tr>
                        <th>{lang.pick("出生日期", "Born")}</th>
                        <th>{lang.pick("身份类别", "Category")}</th>
                        <th>{lang.pick("学生", "Student")}</th>
                        <th>{lang.pick("原政策", "Before")}</th>
                        <th>{lang.pick("本草稿", "This draft")}</th>
                    </tr></thead>
                    <tbody>
                        {(0..rows).map(|i| {
                            let s = d.samples.get(i).cloned();
                            let birth = s.as_ref().map(|s| s.birth_date.clone()).unwrap_or_default();
                            let cat = s.as_ref().map(|s| s.category.clone()).unwrap_or_default();
                            let student = s.as_ref().is_some_and(|s| s.student);
                            let label = s.as_ref().map(|s| match lang { Lang::Zh => s.label_zh.clone(), Lang::En => s.label_en.clone() });
                            view! {
                                <tr data-testid="sample" data-category=cat.clone()>
                                    <td><input type="date" name="birth" value=birth aria-label=lang.pick("出生日期", "Born")/></td>
                                    <td>
                                        <select name="category" aria-label=label.clone().unwrap_or_else(|| lang.pick("身份类别", "Category").to_owned())>
                                            <option value="" selected=cat.is_empty()>{lang.pick("无", "none")}</option>
                                            {d.categories.iter().map(|(code, zh, en)| view! {
                                                <option value=code.clone() selected=*code == cat>{match lang { Lang::Zh => zh.clone(), Lang::En => en.clone() }}</option>
                                            }).collect_view()}
                                        </select>
                                    </td>
                                    <td><input type="checkbox" name="student" value=i.to_string() checked=student aria-label=lang.pick("学生", "Student")/></td>
                                    <td data-testid="sample-before">{s.as_ref().map(|s| figure(&s.before, lang))}</td>
                                    <td data-testid="sample-after">{s.as_ref().map(|s| figure(&s.after, lang))}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <button type="submit" class="button" data-testid="try-submit">{lang.pick("试算", "Try")}</button>
        </form>
    }
}

/// The first part of a label (the item: "低保对象" of "低保对象 · 金额（元）").
fn item_of(path: &str) -> Option<String> {
    let end = path.find(']')?;
    Some(path[..=end].to_owned())
}

#[component]
fn Fields(
    fields: Vec<FieldView>,
    editable: bool,
    lang: Lang,
    problems: Vec<crate::model::Problem>,
    error_field: Option<String>,
    lists: Vec<ShapeOp>,
    parts: Vec<ShapeOp>,
) -> impl IntoView {
    // One fieldset per section; inside a list section, one group per item with its own
    // remove button, and an add button at the end.
    let mut sections: Vec<(String, Vec<FieldView>)> = Vec::new();
    for f in fields {
        let name = match lang {
            Lang::Zh => f.section_zh.clone(),
            Lang::En => f.section_en.clone(),
        };
        match sections.last_mut() {
            Some((n, list)) if *n == name => list.push(f),
            _ => sections.push((name, vec![f])),
        }
    }
    // Every field's path: a list or part with none is offered as an "add" button.
    let present: Vec<String> = sections
        .iter()
        .flat_map(|(_, fs)| fs.iter().map(|f| f.path.clone()))
        .collect();
    let problems = std::sync::Arc::new(problems);
    let error_field = std::sync::Arc::new(error_field);
    view! {
        {sections.into_iter().map(|(name, fs)| {
            let top = fs.first().map(|f| f.path.split(['.', '[']).next().unwrap_or("").to_owned()).unwrap_or_default();
            let list = lists.iter().find(|l| l.target == top).cloned();
            // The optional parts shown here (reports has two), each with a remove button.
            let here: Vec<ShapeOp> = parts
                .iter()
                .filter(|p| p.target == top || p.target.starts_with(&format!("{top}.")))
                .filter(|p| present.iter().any(|x| x == &p.target || x.starts_with(&format!("{}.", p.target))))
                .cloned()
                .collect();
            // Group the fields by item (`categories[3]`), or all in one group.
            let mut groups: Vec<(Option<String>, Vec<FieldView>)> = Vec::new();
            for f in fs {
                let key = if list.is_some() { item_of(&f.path) } else { None };
                match groups.last_mut() {
                    Some((k, g)) if *k == key => g.push(f),
                    _ => groups.push((key, vec![f])),
                }
            }
            let problems = problems.clone();
            let error_field = error_field.clone();
            view! {
                <fieldset class="pack-section" data-section=top.clone()>
                    <legend>{name}</legend>
                    {groups.into_iter().map(|(item, g)| {
                        let title = g.first().map(|f| {
                            let l = match lang { Lang::Zh => &f.label_zh, Lang::En => &f.label_en };
                            l.split(" · ").next().unwrap_or("").to_owned()
                        });
                        let problems = problems.clone();
                        let error_field = error_field.clone();
                        view! {
                            <div class="pack-item" data-item=item.clone().unwrap_or_default()>
                                {item.as_ref().map(|_| view! { <h3>{title.clone()}</h3> })}
                                {g.into_iter().map(|f| view! { <Field f editable lang problems=problems.clone() error_field=error_field.clone()/> }).collect_view()}
                                {(editable && item.is_some()).then(|| view! {
                                    <button type="submit" class="button small" name="op" value=format!("remove:{}", item.clone().unwrap_or_default())>
                                        {list.as_ref().map(|l| lang.pick(&l.remove_zh, &l.remove_en).to_owned())}
                                    </button>
                                })}
                            </div>
                        }
                    }).collect_view()}
                    {list.as_ref().filter(|_| editable).map(|l| view! {
                        <button type="submit" class="button small" name="op" value=format!("add:{}", l.target)
                            data-testid=format!("add-{}", l.target)>{lang.pick(&l.add_zh, &l.add_en).to_owned()}</button>
                    })}
                    {here.into_iter().filter(|_| editable).map(|p| view! {
                        <button type="submit" class="button small" name="op" value=format!("remove:{}", p.target)>
                            {lang.pick(&p.remove_zh, &p.remove_en).to_owned()}</button>
                    }).collect_view()}
                </fieldset>
            }
        }).collect_view()}
        {editable.then(|| view! {
            <div class="pack-add">
                // Lists without a row yet (no add-ons, say) and absent optional parts.
                {lists.iter().chain(parts.iter()).filter(|o| !present.iter().any(|x| x == &o.target || x.starts_with(&format!("{}.", o.target)) || x.starts_with(&format!("{}[", o.target)))).map(|o| view! {
                    <button type="submit" class="button small" name="op" value=format!("add:{}", o.target)
                        data-testid=format!("add-{}", o.target)>{lang.pick(&o.add_zh, &o.add_en).to_owned()}</button>
                }).collect_view()}
            </div>
        })}
    }
}

#[component]
fn Field(
    f: FieldView,
    editable: bool,
    lang: Lang,
    problems: std::sync::Arc<Vec<crate::model::Problem>>,
    error_field: std::sync::Arc<Option<String>>,
) -> impl IntoView {
    let id = input_id(&f.path);
    let label = match lang {
        Lang::Zh => f.label_zh.clone(),
        Lang::En => f.label_en.clone(),
    };
    // The item's name is the group's heading: the input's own label is the rest.
    let short = label.split(" · ").skip(1).collect::<Vec<_>>().join(" · ");
    let short = if short.is_empty() { label.clone() } else { short };
    let mine: Vec<String> = problems
        .iter()
        .filter(|p| p.field == f.path)
        .map(|p| match lang {
            Lang::Zh => p.zh.clone(),
            Lang::En => p.en.clone(),
        })
        .collect();
    let invalid = !mine.is_empty() || error_field.as_deref() == Some(f.path.as_str());
    let described = invalid.then(|| format!("{id}-problem"));
    let value = f.value.first().cloned().unwrap_or_default();
    let name = f.path.clone();
    let disabled = !editable;
    let input = match f.kind {
        FieldKind::Money => view! {
            <span class="with-unit">
                <input id=id.clone() name=name inputmode="decimal" value=value disabled=disabled
                    aria-invalid=invalid.then_some("true") aria-describedby=described.clone()/>
                <span>{lang.pick("元", "yuan")}</span>
            </span>
        }.into_any(),
        FieldKind::Date => view! {
            <input id=id.clone() type="date" name=name value=value disabled=disabled
                aria-invalid=invalid.then_some("true") aria-describedby=described.clone()/>
        }.into_any(),
        FieldKind::Number => view! {
            <input id=id.clone() type="number" min="0" step="1" name=name value=value disabled=disabled
                aria-invalid=invalid.then_some("true") aria-describedby=described.clone()/>
        }.into_any(),
        FieldKind::Decimal => view! {
            <input id=id.clone() inputmode="decimal" name=name value=value disabled=disabled
                aria-invalid=invalid.then_some("true") aria-describedby=described.clone()/>
        }.into_any(),
        FieldKind::Bool => view! {
            <select id=id.clone() name=name disabled=disabled aria-describedby=described.clone()>
                <option value="true" selected=value == "true">{lang.pick("是", "yes")}</option>
                <option value="false" selected=value != "true">{lang.pick("否", "no")}</option>
            </select>
        }.into_any(),
        FieldKind::Choice => view! {
            <select id=id.clone() name=name disabled=disabled aria-invalid=invalid.then_some("true") aria-describedby=described.clone()>
                {f.optional.then(|| view! { <option value="" selected=value.is_empty()>{lang.pick("（无）", "(none)")}</option> })}
                {f.options.iter().map(|(code, zh, en)| view! {
                    <option value=code.clone() selected=*code == value>{match lang { Lang::Zh => zh.clone(), Lang::En => en.clone() }}</option>
                }).collect_view()}
            </select>
        }.into_any(),
        FieldKind::Choices => view! {
            <span class="choices" id=id.clone() role="group" aria-describedby=described.clone()>
                // Present even with nothing ticked, so "none" can be saved.
                <input type="hidden" name=name.clone() value=""/>
                {f.options.iter().map(|(code, zh, en)| view! {
                    <label class="check">
                        <input type="checkbox" name=name.clone() value=code.clone() checked=f.value.contains(code) disabled=disabled/>
                        {match lang { Lang::Zh => zh.clone(), Lang::En => en.clone() }}
                    </label>
                }).collect_view()}
            </span>
        }.into_any(),
        FieldKind::LongText => view! {
            <textarea id=id.clone() name=name rows="3" disabled=disabled aria-invalid=invalid.then_some("true") aria-describedby=described.clone()>{value}</textarea>
        }.into_any(),
        FieldKind::Text => view! {
            <input id=id.clone() name=name value=value disabled=disabled
                aria-invalid=invalid.then_some("true") aria-describedby=described.clone()/>
        }.into_any(),
    };
    view! {
        <div class="pack-field" class:invalid=invalid data-path=f.path.clone()>
            {if f.kind == FieldKind::Choices {
                view! { <span class="label">{short}</span> }.into_any()
            } else {
                view! { <label for=id.clone()>{short}</label> }.into_any()
            }}
            {input}
            {(!mine.is_empty()).then(|| view! {
                <p class="field-error" id=format!("{id}-problem") role="alert">{mine.join("；")}</p>
            })}
        </div>
    }
}
