//! The Canbao server binary: read configuration, start, serve until SIGTERM.
//! `server create-admin --username NAME` creates the first administrator instead.

const USAGE: &str = "usage: server                              serve (configured by environment variables)
       server create-admin --username NAME  create an administrator; the password is read
                                            from standard input (one line), never an argument
       server verify-audit                  seal pending audit rows and verify the hash chain
                                            (exit 0 when intact, 1 with the first broken seal)";

#[tokio::main]
async fn main() {
    server::telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => serve().await,
        Some("create-admin") => create_admin(&args[1..]).await,
        Some("verify-audit") => verify_audit().await,
        Some("-h" | "--help" | "help") => println!("{USAGE}"),
        Some(other) => {
            eprintln!("canbao: unknown command {other:?}\n{USAGE}");
            std::process::exit(2);
        }
    }
}

async fn serve() {
    let config = match server::config::Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("canbao: configuration error: {e}");
            std::process::exit(2);
        }
    };
    let app = match server::Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("canbao: cannot start: {e}");
            std::process::exit(1);
        }
    };
    println!("Canbao is listening on http://{}", app.addr());
    if let Err(e) = app.run_until_stopped(server::shutdown_signal()).await {
        eprintln!("canbao: server error: {e}");
        std::process::exit(1);
    }
}

/// The first administrator of a production database (no demo accounts there). The password
/// comes from standard input so it never shows in `ps`, shell history or the audit log.
async fn create_admin(args: &[String]) {
    let username = match args {
        [flag, name] if flag == "--username" => name.clone(),
        _ => {
            eprintln!("canbao: create-admin needs --username NAME\n{USAGE}");
            std::process::exit(2);
        }
    };
    let mut password = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut password) {
        eprintln!("canbao: cannot read the password from standard input: {e}");
        std::process::exit(2);
    }
    let password = secrecy::SecretString::from(password.trim_end_matches(['\r', '\n']).to_owned());
    match server::create_admin(&username, &password).await {
        Ok(()) => println!("canbao: administrator {username:?} created (scope: 全国 000000)"),
        Err(e) => {
            eprintln!("canbao: create-admin: {e}");
            std::process::exit(1);
        }
    }
}

/// Checks the audit log's hash chain (DATABASE_URL), for an auditor or a cron job.
async fn verify_audit() {
    match server::verify_audit().await {
        Ok(r) => match r.broken_at {
            None => println!("canbao: audit chain intact: {} rows verified", r.verified),
            Some((seq, why)) => {
                eprintln!(
                    "canbao: audit chain broken at seal {seq}: {why} ({} rows verified before it)",
                    r.verified
                );
                std::process::exit(1);
            }
        },
        Err(e) => {
            eprintln!("canbao: verify-audit: {e}");
            std::process::exit(2);
        }
    }
}
