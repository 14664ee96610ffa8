//! Sign-in: staff by username + password, residents by phone + one-time code.

pub mod otp;
pub mod store;

use chrono::Duration;

use super::sms::SmsMessage;
use super::{AppState, Settings};
use crate::error::AppError;
use crate::model::{mask_phone, Department, Role, UserView};
use crate::secrets::{random_token, sha256_hex, ExposeSecret};
use crate::services::audit::store as audit;
use crate::store::areas;
use store::{self as accounts, AccountRow, NewAccount};

/// Password of every demo staff account (listed in README; demo data only), refused for
/// any account a real deployment creates.
pub const DEMO_PASSWORD: &str = "Canbao@2022";

/// The session cookie's name in demo mode on loopback (plain HTTP on a laptop).
pub const SESSION_COOKIE: &str = "canbao_session";
/// Its name everywhere else: `__Host-` makes browsers require `Secure`, `Path=/` and no
/// `Domain`, so a sibling subdomain cannot plant a session of its choosing.
pub const SECURE_SESSION_COOKIE: &str = "__Host-canbao_session";
/// Holds the phone between asking for a code and entering it, so it stays out of URLs.
pub const PENDING_PHONE_COOKIE: &str = "canbao_pending_phone";
/// The shortest administrator password `create_admin` accepts (OWASP ASVS 2.1.1).
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const CODE_TTL_MINUTES: i64 = 5;
pub const CODE_MAX_TRIES: i32 = 5;
pub const CODE_RESEND_SECONDS: i64 = 60;
pub const CODES_PER_PHONE_PER_HOUR: i64 = 5;
pub const CODES_PER_IP_PER_HOUR: i64 = 20;
pub const FAILED_CODES_PER_IP_PER_HOUR: i64 = 30;
pub const PASSWORD_MAX_TRIES: i32 = 5;
pub const LOCK_MINUTES: i64 = 15;
const SMS_PURPOSE: &str = "sign_in_code";

/// A new session: the raw token goes into the cookie, only its hash into the database.
pub struct NewSession {
    pub token: String,
    pub max_age_seconds: i64,
    pub account: AccountRow,
}

/// A mainland mobile number: 11 digits starting 13–19. Spaces and dashes are tolerated.
pub fn parse_phone(input: &str) -> Result<String, AppError> {
    let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let ok = digits.len() == 11
        && digits.chars().all(|c| c.is_ascii_digit())
        && digits.starts_with('1')
        && matches!(digits.as_bytes()[1], b'3'..=b'9');
    if ok {
        Ok(digits)
    } else if digits.is_empty() {
        Err(AppError::invalid(
            "phone",
            "phone_required",
            "请输入手机号码",
            "Please enter your phone number",
        ))
    } else {
        Err(AppError::invalid(
            "phone",
            "phone_invalid",
            "手机号码应为以1开头的11位数字",
            "A phone number has 11 digits and starts with 1",
        ))
    }
}

fn code_hash(settings: &Settings, phone: &str, code: &str) -> String {
    sha256_hex(&[settings.secret.expose_secret(), phone, code])
}

/// Sends a 6-digit sign-in code, within the per-phone and per-address limits.
#[tracing::instrument(skip_all)]
pub async fn request_code(state: &AppState, phone_input: &str, client_ip: &str) -> Result<String, AppError> {
    let phone = parse_phone(phone_input)?;
    let db = &state.db;
    let now = state.clock.now();
    let hour_ago = now - Duration::hours(1);

    if otp::count_for_phone_since(db, &phone, now - Duration::seconds(CODE_RESEND_SECONDS)).await? > 0 {
        return Err(AppError::too_many(
            "code_too_soon",
            Some("phone"),
            format!("验证码已发送，请{CODE_RESEND_SECONDS}秒后再重新获取"),
            format!("A code was just sent; please wait {CODE_RESEND_SECONDS} seconds before asking again"),
        ));
    }
    if otp::count_for_phone_since(db, &phone, hour_ago).await? >= CODES_PER_PHONE_PER_HOUR
        || otp::count_for_ip_since(db, client_ip, hour_ago).await? >= CODES_PER_IP_PER_HOUR
    {
        return Err(AppError::too_many(
            "code_limit",
            Some("phone"),
            "获取验证码次数过多，请一小时后再试",
            "Too many codes requested; please try again in an hour",
        ));
    }

    let code = {
        use rand::Rng;
        format!("{:06}", rand::thread_rng().gen_range(0..1_000_000u32))
    };
    otp::insert_code(
        db,
        &phone,
        &code_hash(&state.settings, &phone, &code),
        client_ip,
        now,
        now + Duration::minutes(CODE_TTL_MINUTES),
    )
    .await?;
    let msg = SmsMessage {
        phone: &phone,
        purpose: SMS_PURPOSE,
        body: format!("【参保】您的登录验证码为{code}，{CODE_TTL_MINUTES}分钟内有效，请勿告诉他人。"),
    };
    state.sms.send(&msg).await?;
    audit_event(state, None, "otp_requested", Some(&mask_phone(&phone)), client_ip).await?;
    Ok(phone)
}

/// Checks a code; on success signs the resident in (creating the account on first sign-in).
#[tracing::instrument(skip_all)]
pub async fn verify_code(
    state: &AppState,
    phone_input: &str,
    code_input: &str,
    client_ip: &str,
) -> Result<NewSession, AppError> {
    let phone = parse_phone(phone_input)?;
    let code = code_input.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::invalid(
            "code",
            "code_format",
            "验证码为6位数字",
            "The code has 6 digits",
        ));
    }
    let db = &state.db;
    let now = state.clock.now();
    if audit::count_since(db, "otp_failed", client_ip, now - Duration::hours(1)).await? >= FAILED_CODES_PER_IP_PER_HOUR
    {
        return Err(AppError::too_many(
            "ip_limit",
            Some("code"),
            "错误次数过多，请一小时后再试",
            "Too many wrong codes; please try again in an hour",
        ));
    }
    let Some(row) = otp::latest_active(db, &phone, now).await? else {
        return Err(AppError::invalid(
            "code",
            "code_expired",
            "验证码已过期或未获取，请重新获取",
            "The code has expired or was never sent; please ask for a new one",
        ));
    };
    let exhausted = || {
        AppError::too_many(
            "code_tries_exhausted",
            Some("code"),
            "验证码输错次数过多，请重新获取",
            "Too many wrong tries; please ask for a new code",
        )
    };
    // The try is counted before the code is compared, and only while tries are left, in
    // one statement: twenty concurrent guesses get at most CODE_MAX_TRIES comparisons.
    let Some(tries) = otp::reserve_attempt(db, row.id, CODE_MAX_TRIES).await? else {
        return Err(exhausted());
    };
    if row.code_hash != code_hash(&state.settings, &phone, code) {
        audit_event(state, None, "otp_failed", Some(&mask_phone(&phone)), client_ip).await?;
        let left = (CODE_MAX_TRIES - tries).max(0);
        return Err(if left == 0 {
            exhausted()
        } else {
            AppError::invalid(
                "code",
                "code_wrong",
                format!("验证码不正确，还可以再试{left}次"),
                format!("Wrong code; {left} tries left"),
            )
        });
    }
    if !otp::consume(db, row.id, now).await? {
        return Err(AppError::invalid(
            "code",
            "code_expired",
            "验证码已使用，请重新获取",
            "This code was already used; please ask for a new one",
        ));
    }
    let account = match accounts::by_phone(db, &phone).await? {
        Some(a) => a,
        None => {
            let name = format!("居民 {}", mask_phone(&phone));
            let new = NewAccount {
                role: Role::Resident.code(),
                username: None,
                phone: Some(&phone),
                password_hash: None,
                display_name: &name,
                area_code: None,
                department: None,
                person_id: None,
            };
            accounts::create(db, &new, now).await?;
            accounts::by_phone(db, &phone)
                .await?
                .ok_or_else(|| AppError::internal("sign-in", "account vanished after insert"))?
        }
    };
    if !account.active {
        return Err(AppError::forbidden(
            "account_disabled",
            "该账户已停用",
            "This account is disabled",
        ));
    }
    audit_event(
        state,
        Some(account.id),
        "sign_in_resident",
        Some(&mask_phone(&phone)),
        client_ip,
    )
    .await?;
    start_session(state, account).await
}

/// Signs a staff member in by username and password, counting failures and locking after five.
#[tracing::instrument(skip_all)]
pub async fn staff_sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    client_ip: &str,
) -> Result<NewSession, AppError> {
    let username = username.trim();
    if username.is_empty() {
        return Err(AppError::invalid(
            "username",
            "username_required",
            "请输入用户名",
            "Please enter your username",
        ));
    }
    if password.is_empty() {
        return Err(AppError::invalid(
            "password",
            "password_required",
            "请输入密码",
            "Please enter your password",
        ));
    }
    let db = &state.db;
    let now = state.clock.now();
    let wrong = |left: Option<i32>| {
        let (zh, en) = match left {
            Some(n) => (
                format!("用户名或密码错误，还可以再试{n}次"),
                format!("Wrong username or password; {n} tries left"),
            ),
            None => ("用户名或密码错误".to_owned(), "Wrong username or password".to_owned()),
        };
        AppError::unauthorized("bad_credentials", Some("password"), zh, en)
    };
    let account = accounts::by_username(db, username).await?;
    let Some(account) = account.filter(|a| a.role != Role::Resident.code() && a.active) else {
        // Same answer and similar cost as a wrong password, so usernames cannot be probed.
        let _ = verify_password(DUMMY_HASH.to_owned(), password.to_owned()).await;
        audit_event(state, None, "sign_in_failed", Some(username), client_ip).await?;
        return Err(wrong(None));
    };
    let locked = |minutes: i64| {
        AppError::too_many(
            "account_locked",
            Some("password"),
            format!("密码连续输错{PASSWORD_MAX_TRIES}次，账户已临时锁定，请{minutes}分钟后再试"),
            format!("Too many wrong passwords; the account is locked for {minutes} more minutes"),
        )
    };
    // Each try is counted before the password is checked, in one atomic statement that
    // also sets the lock on the last allowed try: concurrent guesses cannot all read the
    // same count, so at most PASSWORD_MAX_TRIES passwords are ever checked per lock period.
    let Some(tries) = accounts::reserve_login_try(
        db,
        account.id,
        now,
        PASSWORD_MAX_TRIES,
        now + Duration::minutes(LOCK_MINUTES),
    )
    .await?
    else {
        let until = accounts::by_id(db, account.id)
            .await?
            .and_then(|a| a.locked_until)
            .unwrap_or(now + Duration::minutes(LOCK_MINUTES));
        return Err(locked((until - now).num_minutes() + 1));
    };
    let hash = account.password_hash.clone().unwrap_or_default();
    if !verify_password(hash, password.to_owned()).await {
        audit_event(state, Some(account.id), "sign_in_failed", Some(username), client_ip).await?;
        if tries >= PASSWORD_MAX_TRIES {
            return Err(locked(LOCK_MINUTES));
        }
        return Err(wrong(Some(PASSWORD_MAX_TRIES - tries)));
    }
    accounts::set_failed_logins(db, account.id, 0, None).await?;
    audit_event(state, Some(account.id), "sign_in_staff", Some(username), client_ip).await?;
    start_session(state, account).await
}

async fn start_session(state: &AppState, account: AccountRow) -> Result<NewSession, AppError> {
    let token = random_token(32);
    let now = state.clock.now();
    let hours = state.settings.session_hours;
    accounts::create_session(
        &state.db,
        &sha256_hex(&[&token]),
        account.id,
        now,
        now + Duration::hours(hours),
    )
    .await?;
    Ok(NewSession {
        token,
        max_age_seconds: hours * 3600,
        account,
    })
}

#[tracing::instrument(skip_all)]
pub async fn sign_out(state: &AppState, token: &str) -> Result<(), AppError> {
    accounts::delete_session(&state.db, &sha256_hex(&[token])).await?;
    Ok(())
}

/// The account behind a session token, if the session is valid.
pub async fn account_for_token(state: &AppState, token: &str) -> Result<Option<AccountRow>, AppError> {
    let (token_hash, now) = (sha256_hex(&[token]), state.clock.now());
    let idle_since = now - chrono::Duration::minutes(state.settings.session_idle_minutes);
    Ok(match &state.batches.sessions {
        // Every signed-in request reads its session: under load they share one statement.
        Some(reader) => reader
            .submit(crate::services::auth::store::SessionLookup {
                token_hash,
                now,
                idle_since,
            })
            .await
            .ok_or_else(|| AppError::internal("session", "the session reader gave no answer"))??,
        None => accounts::by_session(&state.db, &token_hash, now, idle_since).await?,
    })
}

pub async fn user_view(state: &AppState, account: &AccountRow) -> Result<UserView, AppError> {
    let path = match &account.area_code {
        Some(code) => areas::path(&state.db, code).await?,
        None => Vec::new(),
    };
    let area_path_en = path.iter().map(|a| a.name_en.clone()).collect();
    let area_path = path.into_iter().map(|a| a.name).collect();
    Ok(UserView {
        display_name: account.display_name.clone(),
        role: Role::from_code(&account.role).unwrap_or(Role::Resident),
        area_code: account.area_code.clone(),
        area_path,
        area_path_en,
        department: account.department.as_deref().and_then(Department::from_code),
        phone_masked: account.phone.as_deref().map(mask_phone),
    })
}

/// Demo mode only: the code most recently written to the local outbox for this phone.
pub async fn demo_code(state: &AppState, phone_input: &str) -> Result<Option<String>, AppError> {
    if !state.settings.demo {
        return Ok(None);
    }
    let Ok(phone) = parse_phone(phone_input) else {
        return Ok(None);
    };
    let since = state.clock.now() - Duration::minutes(CODE_TTL_MINUTES);
    let body = otp::latest_sms(&state.db, &phone, SMS_PURPOSE, since).await?;
    Ok(body.and_then(|b| {
        let digits: String = b
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(|c| c.is_ascii_digit())
            .collect();
        (digits.len() == 6).then_some(digits)
    }))
}

/// The session cookie's name: `__Host-` prefixed whenever cookies are Secure.
pub fn session_cookie_name(settings: &Settings) -> &'static str {
    if settings.secure_cookies {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// `Set-Cookie` value that stores the session (HttpOnly, SameSite=Lax; Secure and
/// `__Host-` prefixed unless the demo runs on loopback).
pub fn session_cookie(settings: &Settings, token: &str, max_age_seconds: i64) -> String {
    let secure = if settings.secure_cookies { "; Secure" } else { "" };
    let name = session_cookie_name(settings);
    format!("{name}={token}; Path=/; Max-Age={max_age_seconds}; HttpOnly; SameSite=Lax{secure}")
}

pub fn clear_session_cookie(settings: &Settings) -> String {
    session_cookie(settings, "", 0)
}

/// The session token from a `Cookie` header: only the cookie of the configured name, so a
/// production server never takes a session from an unprefixed cookie someone planted.
pub fn token_from_cookie_header(settings: &Settings, header: &str) -> Option<String> {
    cookie_value(header, session_cookie_name(settings))
}

/// What the outbox keeps of a sign-in message once its code has expired.
pub const REDACTED_CODE_SMS: &str = "【参保】登录验证码（已过期，内容已清除）";

/// What one purge removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    pub sessions: u64,
    pub codes: u64,
    pub messages: u64,
}

/// Removes what must not outlive its use: expired sessions, codes older than the hour the
/// limits look back on, and the text of sign-in messages whose code has expired. The server
/// runs it every minute.
pub async fn purge_expired(state: &AppState) -> Result<Purged, AppError> {
    let now = state.clock.now();
    Ok(Purged {
        sessions: accounts::delete_expired_sessions(&state.db, now).await?,
        codes: otp::delete_codes_before(&state.db, now - Duration::hours(2)).await?,
        messages: otp::redact_sms_before(
            &state.db,
            SMS_PURPOSE,
            now - Duration::minutes(CODE_TTL_MINUTES),
            REDACTED_CODE_SMS,
        )
        .await?,
    })
}

/// The value of one cookie in a `Cookie` header.
pub fn cookie_value(header: &str, wanted: &str) -> Option<String> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == wanted && !value.is_empty()).then(|| value.to_owned())
    })
}

/// `Set-Cookie` for the phone a code was sent to: lives as long as the code, only sent to
/// the sign-in pages and their server functions; an empty phone clears it.
pub fn pending_phone_cookie(settings: &Settings, phone: &str) -> String {
    let secure = if settings.secure_cookies { "; Secure" } else { "" };
    let max_age = if phone.is_empty() { 0 } else { CODE_TTL_MINUTES * 60 };
    format!("{PENDING_PHONE_COOKIE}={phone}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}

/// Creates an administrator scoped to the whole system (the `server create-admin`
/// command): how a production database gets its first account without the demo.
pub async fn create_admin(
    db: &crate::store::Db,
    now: chrono::DateTime<chrono::Utc>,
    username: &str,
    password: &str,
) -> Result<i64, AppError> {
    let username = username.trim();
    let valid_name = (3..=32).contains(&username.chars().count())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid_name {
        return Err(AppError::invalid(
            "username",
            "username_invalid",
            "用户名应为3至32位字母、数字、下划线、连字符或点",
            "A username has 3 to 32 letters, digits, '_', '-' or '.'",
        ));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS || password == DEMO_PASSWORD {
        return Err(AppError::invalid(
            "password",
            "password_weak",
            format!("密码至少{MIN_PASSWORD_CHARS}位，且不能是演示密码"),
            format!("The password needs at least {MIN_PASSWORD_CHARS} characters and cannot be the demo password"),
        ));
    }
    if accounts::by_username(db, username).await?.is_some() {
        return Err(AppError::Conflict(crate::error::UserMessage::new(
            "username_taken",
            Some("username"),
            "该用户名已存在",
            "This username is taken",
        )));
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::internal("create-admin", e))?;
    let new = NewAccount {
        role: Role::Admin.code(),
        username: Some(username),
        phone: None,
        password_hash: Some(&hash),
        display_name: "系统管理员",
        area_code: Some(super::access::ROOT_AREA),
        department: None,
        person_id: None,
    };
    let id = accounts::create(db, &new, now).await?;
    let entry = audit::AuditEntry {
        actor_account_id: Some(id),
        action: "admin_created",
        subject: Some(username),
        detail: Some("server create-admin"),
        client_ip: Some("command-line"),
        area_code: Some(super::access::ROOT_AREA),
    };
    audit::record(db, &entry, now).await?;
    Ok(id)
}

async fn audit_event(
    state: &AppState,
    actor: Option<i64>,
    action: &str,
    subject: Option<&str>,
    client_ip: &str,
) -> Result<(), AppError> {
    let entry = audit::AuditEntry {
        actor_account_id: actor,
        action,
        subject,
        detail: None,
        client_ip: Some(client_ip),
        area_code: None,
    };
    audit::record(&state.db, &entry, state.clock.now()).await?;
    Ok(())
}

/// Hashes a password with Argon2id (CPU-heavy: call from a blocking context).
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string()
}

/// Verifies a password on the blocking pool so the async workers stay free.
pub async fn verify_password(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        PasswordHash::new(&hash)
            .map(|parsed| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A valid Argon2 hash of a random string, checked when the username is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9Gqf7nOxh2H3JZ0cRbbn2Z0xw0ae2mFbP2tXxqcg0sM";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers() {
        assert_eq!(parse_phone(" 138-0000-0001 ").unwrap(), "13800000001");
        assert_eq!(parse_phone("").unwrap_err().code(), "phone_required");
        for bad in [
            "1380000000",
            "23800000001",
            "12800000001",
            "1380000000a",
            "138000000012",
        ] {
            let e = parse_phone(bad).unwrap_err();
            assert_eq!(e.code(), "phone_invalid", "{bad}");
            assert_eq!(e.field(), Some("phone"));
            assert_eq!(e.status(), 422);
        }
    }

    #[test]
    fn cookie_round_trip() {
        let s = Settings {
            demo: false,
            secret: "s".into(),
            secure_cookies: true,
            session_hours: 12,
            session_idle_minutes: 30,
            order_minutes: 30,
        };
        let c = session_cookie(&s, "abc", 60);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(c.starts_with("__Host-canbao_session=abc;"), "{c}");
        assert_eq!(
            token_from_cookie_header(&s, "x=1; __Host-canbao_session=abc; y=2").as_deref(),
            Some("abc")
        );
        // A production server ignores an unprefixed cookie (one a subdomain could plant).
        assert_eq!(token_from_cookie_header(&s, "canbao_session=abc"), None);
        assert_eq!(token_from_cookie_header(&s, "__Host-canbao_session="), None);
        let demo = Settings {
            secure_cookies: false,
            ..s
        };
        let c = session_cookie(&demo, "abc", 60);
        assert!(c.starts_with("canbao_session=abc;") && !c.contains("Secure"), "{c}");
        assert_eq!(
            token_from_cookie_header(&demo, "canbao_session=abc").as_deref(),
            Some("abc")
        );
    }

    #[test]
    fn password_hash_verifies() {
        let h = hash_password("secret-1");
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert!(rt.block_on(verify_password(h.clone(), "secret-1".into())));
        assert!(!rt.block_on(verify_password(h, "secret-2".into())));
        // The dummy hash must parse, or unknown usernames would answer faster.
        assert!(argon2::password_hash::PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
