//! The email handler against a real SMTP server (Debian's python3-aiosmtpd, started on a
//! free port): the envelope, the headers and the body of what arrives, in plain text and
//! over STARTTLS.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use condenser_handlers::ServicesConfig;
use condenser_handlers::config::SmtpConfig;
use condenser_model::Level;
use condenser_model::handler::{EmailHandlerSpec, HandlerSpec};

/// Debian's Python, which has python3-aiosmtpd (the test command installs it).
const PYTHON: &str = "/usr/bin/python3";

/// A running SMTP server and the directory its messages land in.
struct SmtpServer {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl SmtpServer {
    fn start(name: &str, tls: bool) -> Self {
        let dir =
            std::env::temp_dir().join(format!("condenser-smtp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = Path::new(
            &std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR"),
        )
        .join("tests/smtp_sink.py");
        let mut command = Command::new(PYTHON);
        command.arg(&script).arg(&dir).arg(port.to_string());
        if tls {
            let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
            let made = Command::new("openssl")
                .args([
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                ])
                .args(["-subj", "/CN=127.0.0.1", "-keyout"])
                .arg(&key)
                .arg("-out")
                .arg(&cert)
                .stderr(Stdio::null())
                .status()
                .expect("run openssl");
            assert!(made.success(), "openssl made a certificate");
            command.arg(cert).arg(key);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .expect("start python3-aiosmtpd (apt-get install python3-aiosmtpd)");
        let ready = BufReader::new(child.stdout.take().unwrap())
            .lines()
            .map_while(Result::ok)
            .any(|line| line == "READY");
        assert!(ready, "the SMTP server started");
        Self { child, dir, port }
    }

    /// The `n`th message received, waiting up to 10 s.
    fn message(&self, n: usize) -> serde_json::Value {
        let path = self.dir.join(format!("{n}.json"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(text) = std::fs::read_to_string(&path) {
                return serde_json::from_str(&text).unwrap();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no message {n} arrived");
    }
}

fn services(port: u16, no_verify: bool) -> ServicesConfig {
    ServicesConfig {
        smtp: SmtpConfig {
            enabled: true,
            host: "127.0.0.1".into(),
            port,
            no_verify,
            from: "kapacitor@example.com".into(),
            to: vec!["fallback@example.com".into()],
            ..SmtpConfig::default()
        },
        ..ServicesConfig::default()
    }
}

/// The value of header `name` in a raw message.
fn header<'a>(data: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    data.lines()
        .take_while(|l| !l.is_empty())
        .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim())
}

#[test]
fn an_alert_is_mailed_with_the_message_as_subject_and_the_details_as_html() {
    let server = SmtpServer::start("plain", false);
    let spec = HandlerSpec::Email(EmailHandlerSpec {
        to: vec!["oncall@example.com".into(), "backup@example.com".into()],
        to_templates: vec![
            "{{ index .Tags \"owner\" }}@example.com".into(),
            "{{ if false }}x{{ end }}".into(),
        ],
    });
    let mut handler = condenser_handlers::build(&spec, &services(server.port, false)).unwrap();
    let mut published = support::event("cpu:nil", Level::Critical);
    published.tags = vec![("owner".into(), "team-a".into())];
    published.event.details = "<b>CPU</b> at 99%".into();
    handler.handle(&published).expect("mailed");

    let message = server.message(1);
    assert_eq!(message["from"], "kapacitor@example.com");
    assert_eq!(
        message["to"],
        serde_json::json!([
            "oncall@example.com",
            "backup@example.com",
            "team-a@example.com"
        ])
    );
    let data = message["data"].as_str().unwrap();
    assert_eq!(header(data, "Subject"), Some("cpu:nil is CRITICAL"));
    assert_eq!(header(data, "From"), Some("kapacitor@example.com"));
    assert_eq!(
        header(data, "To"),
        Some("oncall@example.com, backup@example.com, team-a@example.com")
    );
    assert!(
        header(data, "Content-Type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(data.contains("<b>CPU</b> at 99%"), "{data}");
}

#[test]
fn the_sections_recipients_stand_in_when_the_script_names_none() {
    let server = SmtpServer::start("fallback", false);
    let spec = HandlerSpec::Email(EmailHandlerSpec::default());
    let mut handler = condenser_handlers::build(&spec, &services(server.port, false)).unwrap();
    handler
        .handle(&support::event("cpu:nil", Level::Warning))
        .expect("mailed");
    assert_eq!(
        server.message(1)["to"],
        serde_json::json!(["fallback@example.com"])
    );

    let mut none = services(server.port, false);
    none.smtp.to.clear();
    let mut handler = condenser_handlers::build(&spec, &none).unwrap();
    let failure = handler
        .handle(&support::event("cpu:nil", Level::Warning))
        .unwrap_err();
    assert_eq!(failure.message, "not sending email, no recipients defined");
    assert!(!failure.retry);
}

#[test]
fn starttls_is_used_when_the_server_offers_it() {
    let server = SmtpServer::start("starttls", true);
    let spec = HandlerSpec::Email(EmailHandlerSpec {
        to: vec!["oncall@example.com".into()],
        to_templates: Vec::new(),
    });
    // A self-signed certificate: accepted with no-verify only.
    let mut strict = condenser_handlers::build(&spec, &services(server.port, false)).unwrap();
    assert!(
        strict
            .handle(&support::event("a", Level::Critical))
            .is_err()
    );
    let mut handler = condenser_handlers::build(&spec, &services(server.port, true)).unwrap();
    handler
        .handle(&support::event("cpu:nil", Level::Critical))
        .expect("mailed over STARTTLS");
    let message = server.message(1);
    assert_eq!(message["tls"], true);
    assert_eq!(
        header(message["data"].as_str().unwrap(), "Subject"),
        Some("cpu:nil is CRITICAL")
    );
}

#[test]
fn a_down_server_is_a_failure_that_may_pass_and_a_disabled_one_is_not() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spec = HandlerSpec::Email(EmailHandlerSpec::default());
    let mut handler = condenser_handlers::build(&spec, &services(port, false)).unwrap();
    let failure = handler
        .handle(&support::event("a", Level::Critical))
        .unwrap_err();
    assert!(failure.retry, "{failure}");

    let mut disabled = services(port, false);
    disabled.smtp.enabled = false;
    let mut handler = condenser_handlers::build(&spec, &disabled).unwrap();
    let failure = handler
        .handle(&support::event("a", Level::Critical))
        .unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("service is not enabled", false)
    );
}
