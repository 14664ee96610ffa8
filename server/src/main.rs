//! The Canbao server binary: read configuration, start, serve until SIGTERM.
//! `server create-admin --username NAME` creates the first administrator instead.

const USAGE: &str = "usage: server                              serve (configured by environment variables)
       server create-admin --username NAME  create an administrator; the password is read
                                            from standard input (one line), never an argument";

#[tokio::main]
async fn main() {
    server::telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => serve().await,
        Some("create-admin") => create_admin(&args[1..]).await,
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
