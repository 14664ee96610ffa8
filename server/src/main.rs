//! The Canbao server binary: read configuration, start, serve until SIGTERM.

#[tokio::main]
async fn main() {
    server::telemetry::init();
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
