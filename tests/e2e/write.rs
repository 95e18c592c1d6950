//! The write path as InfluxDB's clients use it: /write, /api/v2/write, /ping, UDP, /metrics.

use std::io::Write as _;
use std::time::Duration;

use reqwest::StatusCode;

use crate::daemon::{Daemon, client};

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body).unwrap();
    encoder.finish().unwrap()
}

fn error_of(response: reqwest::blocking::Response) -> String {
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "errors are JSON, labelled as JSON"
    );
    let header = response
        .headers()
        .get("x-influxdb-error")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: serde_json::Value = response.json().unwrap();
    let message = body["error"].as_str().expect("an error message").to_owned();
    assert_eq!(header.as_deref(), Some(message.replace('\n', " ").as_str()));
    message
}

#[test]
fn ping_answers_like_influxdb() {
    let daemon = Daemon::start("ping", "");
    let http = client();
    for response in [
        http.get(daemon.at("/ping")).send().unwrap(),
        http.head(daemon.at("/ping")).send().unwrap(),
        // The 1.x Python client sends `Content-Encoding: gzip` on its bodyless ping.
        http.get(daemon.at("/ping"))
            .header("content-encoding", "gzip")
            .send()
            .unwrap(),
    ] {
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let headers = response.headers();
        assert!(
            headers["x-influxdb-version"]
                .to_str()
                .unwrap()
                .starts_with("1.8")
        );
        assert_eq!(headers["x-influxdb-build"], "OSS");
        assert_eq!(headers["request-id"], headers["x-request-id"]);
    }
    let verbose = http.get(daemon.at("/ping?verbose=true")).send().unwrap();
    assert_eq!(verbose.status(), StatusCode::OK);
    let body: serde_json::Value = verbose.json().unwrap();
    assert!(body["version"].as_str().unwrap().starts_with("1.8"));
}

#[test]
fn a_partial_write_keeps_its_good_lines() {
    let daemon = Daemon::start("partial", "");
    let body = "cpu,host=a usage=1.5 1000000000\n\
                cpu,host=a usage= 2000000000\n\
                cpu,host=b usage=2.5 3000000000\n\
                mem,host=a used=10i 4000000000\n\
                cpu,host=c usage=3i 5000000000\n";
    let response = client()
        .post(daemon.at("/write?db=telegraf&rp=autogen"))
        .header("authorization", "Basic cm9vdDpyb290")
        .header("accept", "application/x-msgpack")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let message = error_of(response);
    assert_eq!(
        message,
        "partial write: unable to parse 'cpu,host=a usage= 2000000000': missing field value (line 2)\n\
         unable to parse 'cpu,host=c usage=3i 5000000000': field type conflict: input field \"usage\" \
         on measurement \"cpu\" is type integer, already exists as type float (line 5) dropped=2"
    );
    assert_eq!(
        daemon.metric("condenser_points_accepted_total{db=\"telegraf\"}"),
        3
    );
    assert_eq!(
        daemon.metric("condenser_lines_rejected_total{db=\"telegraf\"}"),
        2
    );
    assert_eq!(
        daemon.metric("condenser_bytes_received_total{db=\"telegraf\"}"),
        body.len() as u64
    );
    // The good points reached the engine, not just the counters of ingest.
    assert_eq!(daemon.metric("condenser_engine_points_total"), 3);
}

#[test]
fn every_line_bad_is_an_error_without_partial_write() {
    let daemon = Daemon::start("all-bad", "");
    let response = client()
        .post(daemon.at("/write?db=db"))
        .body("cpu\ncpu v=\n")
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        error_of(response),
        "unable to parse 'cpu': missing fields (line 1)\n\
         unable to parse 'cpu v=': missing field value (line 2) dropped=2"
    );
    assert_eq!(
        daemon.metric("condenser_points_accepted_total{db=\"db\"}"),
        0
    );
    assert_eq!(
        daemon.metric("condenser_lines_rejected_total{db=\"db\"}"),
        2
    );
}

#[test]
fn good_writes_answer_204_in_both_apis_plain_or_gzipped() {
    let daemon = Daemon::start("good", "");
    let http = client();
    let v1 = http
        .post(daemon.at("/write?db=telegraf&precision=s"))
        .body("cpu,host=a usage=1 1\ncpu,host=a usage=2 2")
        .send()
        .unwrap();
    assert_eq!(v1.status(), StatusCode::NO_CONTENT);
    assert!(v1.text().unwrap().is_empty());

    let v2 = http
        .post(daemon.at("/api/v2/write?org=o&bucket=telegraf/autogen&precision=ms"))
        .header("authorization", "Token secret")
        .header("content-type", "text/plain")
        .header("content-encoding", "gzip")
        .body(gzip(
            b"weather,city=S\xc3\xa3o\\ Paulo temp=21,ok=True 1\nweather,city=Rio temp=1e+20 2",
        ))
        .send()
        .unwrap();
    assert_eq!(v2.status(), StatusCode::NO_CONTENT);

    let kapacitor = http
        .post(daemon.at("/kapacitor/v1/write?db=telegraf"))
        .body("mem used=1i")
        .send()
        .unwrap();
    assert_eq!(kapacitor.status(), StatusCode::NO_CONTENT);

    let empty = http
        .post(daemon.at("/write?db=telegraf"))
        .body("")
        .send()
        .unwrap();
    assert_eq!(empty.status(), StatusCode::NO_CONTENT);

    assert_eq!(
        daemon.metric("condenser_points_accepted_total{db=\"telegraf\"}"),
        5
    );
    assert_eq!(daemon.metric("condenser_engine_points_total"), 5);
}

#[test]
fn requests_without_a_database_or_with_a_bad_precision_are_refused() {
    let daemon = Daemon::start("refused", "");
    let http = client();
    let response = http
        .post(daemon.at("/write"))
        .body("cpu v=1")
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(response), "database is required");

    let response = http
        .post(daemon.at("/api/v2/write?org=o"))
        .body("cpu v=1")
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(response).contains("bucket is required"));

    let response = http
        .post(daemon.at("/write?db=db&precision=fortnight"))
        .body("cpu v=1")
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        error_of(response),
        "invalid precision \"fortnight\" (use n, ns, u, us, ms, s, m or h)"
    );
    assert_eq!(
        daemon.metric("condenser_points_accepted_total{db=\"db\"}"),
        0
    );
}

#[test]
fn an_over_limit_body_answers_413_plain_or_gzipped() {
    let daemon = Daemon::start("limit", "[http]\nmax_body_bytes = 100\n");
    let http = client();
    let big = "cpu,host=a usage=1 1\n".repeat(10);
    let response = http
        .post(daemon.at("/write?db=db"))
        .body(big.clone())
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_of(response).contains("100 bytes"));

    // Small on the wire, too large once decoded.
    let response = http
        .post(daemon.at("/write?db=db"))
        .header("content-encoding", "gzip")
        .body(gzip(big.as_bytes()))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let response = http
        .post(daemon.at("/write?db=db"))
        .body("cpu v=1")
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        daemon.metric("condenser_points_accepted_total{db=\"db\"}"),
        1
    );
}

#[test]
fn udp_datagrams_are_written_to_their_database() {
    let port = {
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let daemon = Daemon::start(
        "udp",
        &format!("[[udp]]\nbind = \"127.0.0.1:{port}\"\ndatabase = \"udpdb\"\nprecision = \"s\"\n"),
    );
    assert!(
        daemon
            .banner
            .iter()
            .any(|l| l.contains(&format!("127.0.0.1:{port}"))),
        "{:?}",
        daemon.banner
    );
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .send_to(
            b"cpu,host=a v=1 1\ncpu v= 2\ncpu,host=b v=2 3\n",
            ("127.0.0.1", port),
        )
        .unwrap();
    // UDP has no answer to wait for: poll the counters, bounded.
    let mut accepted = 0;
    for _ in 0..100 {
        accepted = daemon.metric("condenser_points_accepted_total{db=\"udpdb\"}");
        if accepted == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(accepted, 2);
    assert_eq!(
        daemon.metric("condenser_lines_rejected_total{db=\"udpdb\"}"),
        1
    );
}

#[test]
fn arrow_flight_do_put_writes_into_the_same_path_and_names_a_bad_column() {
    use std::sync::Arc;

    use arrow::array::{Array, DictionaryArray, Float64Array, RecordBatch, TimestampSecondArray};
    use arrow::datatypes::{DataType, Field, Int32Type, Schema, TimeUnit};
    use arrow_flight::encode::FlightDataEncoderBuilder;
    use arrow_flight::{FlightClient, FlightDescriptor};

    let daemon = crate::daemon::Daemon::start("flight", "");
    let response = crate::daemon::client()
        .post(daemon.at("/kapacitor/v1/tasks"))
        .json(&serde_json::json!({"id": "last", "status": "enabled",
                      "script": "stream|from().measurement('cpu')|httpOut('out')",
                      "dbrps": [{"db": "telegraf", "rp": "autogen"}]}))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let host: DictionaryArray<Int32Type> = vec!["a", "b"].into_iter().collect();
    let good = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("time", DataType::Timestamp(TimeUnit::Second, None), false),
            Field::new("host", host.data_type().clone(), true),
            Field::new("usage", DataType::Float64, true),
        ])),
        vec![
            Arc::new(TimestampSecondArray::from(vec![1, 2])),
            Arc::new(host),
            Arc::new(Float64Array::from(vec![10.0, 20.0])),
        ],
    )
    .unwrap();
    let bad = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("time", DataType::Timestamp(TimeUnit::Second, None), false),
            Field::new("raw", DataType::Binary, true),
        ])),
        vec![
            Arc::new(TimestampSecondArray::from(vec![3])),
            Arc::new(arrow::array::BinaryArray::from(vec![b"x".as_ref()])),
        ],
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = daemon.url.clone();
    let put = |batch: RecordBatch| {
        runtime.block_on(async {
            let channel = tonic::transport::Endpoint::from_shared(url.clone())
                .unwrap()
                .connect()
                .await
                .unwrap();
            let mut client = FlightClient::new(channel);
            let descriptor =
                FlightDescriptor::new_path(vec!["telegraf".into(), "autogen".into(), "cpu".into()]);
            let data = FlightDataEncoderBuilder::new()
                .with_flight_descriptor(Some(descriptor))
                .build(tokio_stream::iter(vec![Ok(batch)]));
            let mut answers = client.do_put(data).await?;
            let mut results = Vec::new();
            while let Some(answer) = tokio_stream::StreamExt::next(&mut answers).await {
                results.push(answer?);
            }
            Ok::<_, arrow_flight::error::FlightError>(results)
        })
    };
    let results = put(good).unwrap();
    assert_eq!(results[0].app_metadata, "{\"points\":2}");
    let error = put(bad).unwrap_err().to_string();
    assert!(
        error.contains("invalid argument") && error.contains("raw") && error.contains("is Binary"),
        "{error}"
    );
    let out: serde_json::Value = crate::daemon::client()
        .get(daemon.at("/kapacitor/v1/tasks/last/out"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        out["series"][0]["values"],
        serde_json::json!([["1970-01-01T00:00:02Z", "b", 20]])
    );
    assert_eq!(
        daemon.metric("condenser_points_accepted_total{db=\"telegraf\"}"),
        2
    );
}
