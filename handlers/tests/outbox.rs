//! The outbox across a crash: an event fired while its endpoint is down waits in the
//! durable outbox through a SIGKILL of the process, and is delivered exactly once when the
//! process starts again and the endpoint is back.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use condenser_handlers::{HandlerService, Outbox, RetryPolicy, ServiceConfig, ServicesConfig};
use condenser_model::Level;
use condenser_model::handler::{HandlerSpec, PostHandlerSpec};
use condenser_model::topic::TopicStates;
use support::{HttpReceiver, event};

/// Set in the child process: `<outbox file>|<receiver address>`.
const CHILD: &str = "CONDENSER_OUTBOX_TEST_CHILD";

fn post_to(address: &str) -> Vec<HandlerSpec> {
    vec![HandlerSpec::Post(PostHandlerSpec {
        url: format!("http://{address}/alert"),
        headers: Vec::new(),
        capture_response: false,
        timeout: condenser_model::Duration::SECOND,
    })]
}

fn start_service(path: &Path, address: &str) -> HandlerService {
    let service = HandlerService::start(
        ServiceConfig {
            retry: RetryPolicy {
                retries: 2,
                initial: Duration::from_millis(20),
                max: Duration::from_millis(100),
            },
            ..ServiceConfig::default()
        },
        ServicesConfig::default(),
        TopicStates::default(),
        Outbox::open(path).expect("open the outbox"),
    );
    service
        .register("task:alert2", &post_to(address))
        .expect("register");
    service
}

/// The child: fires one event at the down endpoint, says so once the worker has tried and
/// failed, and waits to be killed.
fn child(spec: &str) -> ! {
    let (path, address) = spec.split_once('|').expect("path|address");
    let service = start_service(Path::new(path), address);
    service
        .sender()
        .send(event("cpu/serverA", Level::Critical))
        .expect("send");
    loop {
        let retried: u64 = service
            .counters()
            .iter()
            .map(|(_, c)| c.retried.load(std::sync::atomic::Ordering::Relaxed))
            .sum();
        if retried > 0 {
            println!("RETRYING");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_event_for_a_down_endpoint_survives_a_kill_and_is_delivered_once() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let dir = std::env::temp_dir().join(format!("condenser-outage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("alerts.redb");
    // A port with nothing listening on it.
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };

    let mut process = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "an_event_for_a_down_endpoint_survives_a_kill_and_is_delivered_once",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, format!("{}|{address}", path.display()))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the child");
    let stdout = BufReader::new(process.stdout.take().unwrap());
    let retrying = stdout
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("RETRYING"));
    assert!(retrying, "the child tried the endpoint");
    process.kill().expect("SIGKILL the child");
    process.wait().unwrap();

    let receiver = HttpReceiver::start_at(&address);
    let service = start_service(&path, &receiver.address);
    let request = receiver.next();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/alert")
    );
    let body = request.json();
    assert_eq!(body["id"], "cpu/serverA");
    assert_eq!(body["level"], "CRITICAL");
    assert!(receiver.quiet_for(Duration::from_millis(300)), "sent once");
    let counters = service.counters();
    assert_eq!(counters.len(), 1);
    assert_eq!(counters[0].0, "task:alert2/post0");
    service.close();

    // A second start finds nothing left to send.
    let service = start_service(&path, &receiver.address);
    assert!(
        receiver.quiet_for(Duration::from_millis(300)),
        "nothing sent twice"
    );
    service.close();
    assert_eq!(
        Outbox::open(&path)
            .unwrap()
            .pending("task:alert2/post0")
            .unwrap(),
        0
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn deregistering_a_handler_whose_endpoint_is_down_keeps_its_events_for_the_next_start() {
    let dir = std::env::temp_dir().join(format!("condenser-deregister-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("alerts.redb");
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    // Retries an hour apart: were deregistering to wait for them, the test would hang.
    let service = HandlerService::start(
        ServiceConfig {
            retry: RetryPolicy {
                retries: 5,
                initial: Duration::from_secs(3600),
                max: Duration::from_secs(3600),
            },
            ..ServiceConfig::default()
        },
        ServicesConfig::default(),
        TopicStates::default(),
        Outbox::open(&path).expect("open the outbox"),
    );
    service.register("task:alert2", &post_to(&address)).unwrap();
    service
        .sender()
        .send(event("cpu/serverA", Level::Critical))
        .unwrap();
    while service
        .counters()
        .iter()
        .all(|(_, c)| c.retried.load(std::sync::atomic::Ordering::Relaxed) == 0)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    service.deregister("task:alert2");
    service.close();
    // The event waits for the handler's next start, and is delivered then.
    assert_eq!(
        Outbox::open(&path)
            .unwrap()
            .pending("task:alert2/post0")
            .unwrap(),
        1
    );
    let receiver = HttpReceiver::start_at(&address);
    let service = start_service(&path, &receiver.address);
    assert_eq!(receiver.next().json()["id"], "cpu/serverA");
    service.close();
    let _ = std::fs::remove_dir_all(&dir);
}
