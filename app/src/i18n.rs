//! Interface text in Simplified Chinese (default) and English.
//!
//! Every string is a field of [`Texts`], so a translation that is missing in
//! either language is a compile error, not a blank on the page.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }
}

pub struct Texts {
    pub app_name: &'static str,
    pub tagline: &'static str,
    pub switch_to_this_lang: &'static str,
    pub elder_mode: &'static str,
    pub standard_mode: &'static str,
    pub demo_banner: &'static str,
    pub nav_home: &'static str,
    pub nav_sign_in: &'static str,
    pub nav_sign_out: &'static str,
    pub nav_account: &'static str,
    pub nav_work: &'static str,
    pub nav_areas: &'static str,
    pub home_title: &'static str,
    pub home_intro: &'static str,
    pub home_resident_title: &'static str,
    pub home_resident_body: &'static str,
    pub home_resident_cta: &'static str,
    pub home_staff_title: &'static str,
    pub home_staff_body: &'static str,
    pub home_staff_cta: &'static str,
    pub home_signed_in_as: &'static str,
    pub resident_login_title: &'static str,
    pub resident_login_intro: &'static str,
    pub phone_label: &'static str,
    pub phone_placeholder: &'static str,
    pub send_code: &'static str,
    pub verify_title: &'static str,
    pub verify_intro: &'static str,
    pub code_label: &'static str,
    pub code_placeholder: &'static str,
    pub verify_submit: &'static str,
    pub resend_code: &'static str,
    pub demo_code_notice: &'static str,
    pub staff_login_title: &'static str,
    pub staff_login_intro: &'static str,
    pub username_label: &'static str,
    pub password_label: &'static str,
    pub sign_in: &'static str,
    pub working: &'static str,
    pub account_title: &'static str,
    pub account_name: &'static str,
    pub account_role: &'static str,
    pub account_area: &'static str,
    pub account_department: &'static str,
    pub account_phone: &'static str,
    pub work_title: &'static str,
    pub work_intro: &'static str,
    pub work_scope: &'static str,
    pub areas_title: &'static str,
    pub areas_intro: &'static str,
    pub target_label: &'static str,
    pub targets_total: &'static str,
    pub code_assumed: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub back_home: &'static str,
    pub loading: &'static str,
    pub footer: &'static str,
    pub role_resident: &'static str,
    pub role_cadre: &'static str,
    pub role_township_officer: &'static str,
    pub role_department_officer: &'static str,
    pub role_bureau_officer: &'static str,
    pub role_admin: &'static str,
    pub level_country: &'static str,
    pub level_city: &'static str,
    pub level_district: &'static str,
    pub level_township: &'static str,
    pub level_village: &'static str,
}

pub const ZH: Texts = Texts {
    app_name: "参保",
    tagline: "城乡居民基本医疗保险 · 参保缴费",
    switch_to_this_lang: "中文",
    elder_mode: "长辈模式",
    standard_mode: "标准模式",
    demo_banner: "演示日期：{}（系统日期已固定，仅供演示）",
    nav_home: "首页",
    nav_sign_in: "登录",
    nav_sign_out: "退出登录",
    nav_account: "我的账户",
    nav_work: "工作台",
    nav_areas: "行政区划",
    home_title: "城乡居民医保，一站办理",
    home_intro: "查资格、算费用、选档次和定点医院、为全家参保缴费，并查看待遇从哪天开始。",
    home_resident_title: "我是居民",
    home_resident_body: "用手机号和短信验证码登录，为自己和家人参保。",
    home_resident_cta: "居民登录",
    home_staff_title: "我是工作人员",
    home_staff_body: "村干部、乡镇、部门和医保局工作人员用账号密码登录。",
    home_staff_cta: "工作人员登录",
    home_signed_in_as: "您已登录：",
    resident_login_title: "居民登录",
    resident_login_intro: "输入手机号，我们会发送6位短信验证码，5分钟内有效。",
    phone_label: "手机号码",
    phone_placeholder: "11位手机号",
    send_code: "获取验证码",
    verify_title: "输入验证码",
    verify_intro: "验证码已发送至 {}，5分钟内有效，最多可输错5次。",
    code_label: "短信验证码",
    code_placeholder: "6位数字",
    verify_submit: "登录",
    resend_code: "没收到？重新获取",
    demo_code_notice: "演示环境不发送真实短信。短信已写入发件箱，验证码为：",
    staff_login_title: "工作人员登录",
    staff_login_intro: "村干部、乡镇经办、部门和医保局工作人员请用账号密码登录。",
    username_label: "用户名",
    password_label: "密码",
    sign_in: "登录",
    working: "正在提交…",
    account_title: "我的账户",
    account_name: "姓名",
    account_role: "身份",
    account_area: "所属区域",
    account_department: "所属部门",
    account_phone: "手机号码",
    work_title: "工作台",
    work_intro: "您负责的区域及任务数如下。",
    work_scope: "管辖范围",
    areas_title: "行政区划与任务数",
    areas_intro: "系统内的市、区县、乡镇街道和村社区，以及通知中下达的参保任务数。",
    target_label: "任务数",
    targets_total: "合计",
    code_assumed: "演示编码",
    not_found_title: "页面不存在",
    not_found_body: "您要找的页面不存在或已移动。",
    back_home: "返回首页",
    loading: "加载中…",
    footer: "参保 · 城乡居民基本医疗保险服务",
    role_resident: "居民",
    role_cadre: "村（社区）干部",
    role_township_officer: "乡镇（街道）经办人员",
    role_department_officer: "部门认定人员",
    role_bureau_officer: "医保局工作人员",
    role_admin: "系统管理员",
    level_country: "全国",
    level_city: "市",
    level_district: "区县",
    level_township: "乡镇街道",
    level_village: "村社区",
};

pub const EN: Texts = Texts {
    app_name: "Canbao",
    tagline: "Resident basic medical insurance · enrolment and payment",
    switch_to_this_lang: "English",
    elder_mode: "Large type",
    standard_mode: "Standard type",
    demo_banner: "Demo date: {} (the system date is pinned for the demo)",
    nav_home: "Home",
    nav_sign_in: "Sign in",
    nav_sign_out: "Sign out",
    nav_account: "My account",
    nav_work: "Workbench",
    nav_areas: "Areas",
    home_title: "Resident medical insurance, in one place",
    home_intro: "Check eligibility, see what you pay, choose a tier and a hospital, enrol your household and pay, and see when cover starts.",
    home_resident_title: "I am a resident",
    home_resident_body: "Sign in with your phone number and a text-message code to enrol yourself and your family.",
    home_resident_cta: "Resident sign-in",
    home_staff_title: "I am staff",
    home_staff_body: "Village cadres, township, department and bureau staff sign in with a username and password.",
    home_staff_cta: "Staff sign-in",
    home_signed_in_as: "Signed in as: ",
    resident_login_title: "Resident sign-in",
    resident_login_intro: "Enter your phone number; we will text you a 6-digit code, valid for 5 minutes.",
    phone_label: "Phone number",
    phone_placeholder: "11-digit mobile number",
    send_code: "Send code",
    verify_title: "Enter the code",
    verify_intro: "A code was sent to {}. It is valid for 5 minutes; you may get it wrong at most 5 times.",
    code_label: "Text-message code",
    code_placeholder: "6 digits",
    verify_submit: "Sign in",
    resend_code: "No code? Send again",
    demo_code_notice: "The demo sends no real text messages. The message is in the outbox; the code is: ",
    staff_login_title: "Staff sign-in",
    staff_login_intro: "Village cadres, township, department and bureau staff sign in with a username and password.",
    username_label: "Username",
    password_label: "Password",
    sign_in: "Sign in",
    working: "Sending…",
    account_title: "My account",
    account_name: "Name",
    account_role: "Role",
    account_area: "Area",
    account_department: "Department",
    account_phone: "Phone",
    work_title: "Workbench",
    work_intro: "The areas you are responsible for, with their targets.",
    work_scope: "Scope",
    areas_title: "Areas and targets",
    areas_intro: "Cities, districts and counties, townships and streets, villages and communities, with the enrolment targets the notices set.",
    target_label: "Target",
    targets_total: "Total",
    code_assumed: "demo code",
    not_found_title: "Page not found",
    not_found_body: "The page you are looking for does not exist or has moved.",
    back_home: "Back to home",
    loading: "Loading…",
    footer: "Canbao · resident basic medical insurance",
    role_resident: "Resident",
    role_cadre: "Village cadre",
    role_township_officer: "Township officer",
    role_department_officer: "Department officer",
    role_bureau_officer: "Bureau officer",
    role_admin: "Administrator",
    level_country: "Country",
    level_city: "City",
    level_district: "District/county",
    level_township: "Township/street",
    level_village: "Village/community",
};

/// Fills the single `{}` placeholder of a text.
pub fn fill(template: &str, value: &str) -> String {
    template.replacen("{}", value, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_match_between_languages() {
        for (zh, en) in [(ZH.demo_banner, EN.demo_banner), (ZH.verify_intro, EN.verify_intro)] {
            assert_eq!(zh.matches("{}").count(), 1, "{zh}");
            assert_eq!(en.matches("{}").count(), 1, "{en}");
        }
        assert_eq!(
            fill(ZH.demo_banner, "2022-10-08"),
            "演示日期：2022-10-08（系统日期已固定，仅供演示）"
        );
    }

    #[test]
    fn lang_codes_round_trip() {
        for lang in [Lang::Zh, Lang::En] {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("fr"), None);
    }
}
