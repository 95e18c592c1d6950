//! A loopback HTTP receiver for handler tests: it records each request (method, path,
//! headers, body) and answers with the statuses it is told, then 200.

#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Request {
    /// `POST`.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The headers, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A running receiver.
pub struct HttpReceiver {
    /// `127.0.0.1:port`.
    pub address: String,
    /// The requests, as they come.
    pub requests: Receiver<Request>,
    /// The statuses (and bodies) to answer with next; 200 once empty.
    pub answers: Arc<Mutex<VecDeque<(u16, String)>>>,
}

impl HttpReceiver {
    /// Starts a receiver on a free port.
    pub fn start() -> Self {
        Self::on(TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1"))
    }

    /// Starts a receiver on `address` (a port that was free before).
    pub fn start_at(address: &str) -> Self {
        Self::on(TcpListener::bind(address).expect("bind the port again"))
    }

    fn on(listener: TcpListener) -> Self {
        let address = listener.local_addr().expect("an address").to_string();
        let (sender, requests) = crossbeam_channel::unbounded();
        let answers: Arc<Mutex<VecDeque<(u16, String)>>> = Arc::default();
        let queue = Arc::clone(&answers);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (sender, queue) = (sender.clone(), Arc::clone(&queue));
                std::thread::spawn(move || serve(stream, &sender, &queue));
            }
        });
        Self {
            address,
            requests,
            answers,
        }
    }

    /// Answers the next requests with `status` and `body`, in order.
    pub fn answer(&self, status: u16, body: &str) {
        self.answers
            .lock()
            .unwrap()
            .push_back((status, body.to_owned()));
    }

    /// The next request, waiting up to 10 s.
    pub fn next(&self) -> Request {
        self.requests
            .recv_timeout(Duration::from_secs(10))
            .expect("a request within 10 s")
    }

    /// Whether no request comes within `wait`.
    pub fn quiet_for(&self, wait: Duration) -> bool {
        self.requests.recv_timeout(wait).is_err()
    }
}

/// Serves the requests of one connection (keep-alive).
fn serve(stream: TcpStream, sender: &Sender<Request>, answers: &Mutex<VecDeque<(u16, String)>>) {
    let mut writer = stream.try_clone().expect("clone the stream");
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
        );
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let length = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, answer) = answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or((200, String::new()));
        let _ = sender.send(Request {
            method,
            path,
            headers,
            body,
        });
        let response = format!(
            "HTTP/1.1 {status} Status\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// An alert event as a topic sees it.
pub fn event(id: &str, level: condenser_model::Level) -> condenser_model::alert::TopicEvent {
    condenser_model::alert::TopicEvent {
        topic: "task:alert2".into(),
        task: "task".into(),
        name: "cpu".into(),
        group: String::new(),
        category: String::new(),
        tags: Vec::new(),
        event: condenser_model::AlertEvent {
            id: id.into(),
            message: format!("{id} is {}", level.as_str()),
            details: format!("details of {id}"),
            time: 1_600_000_000_000_000_000,
            duration: 0,
            level,
            data: Default::default(),
            previous_level: condenser_model::Level::Ok,
            recoverable: true,
        },
    }
}
