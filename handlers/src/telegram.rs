//! `.telegram()`: each event's message sent by a bot, as Kapacitor's `services/telegram`
//! sends it: `POST <url><token>/sendMessage` with the chat, the text, the parse mode and
//! the two flags (each set when the script or the section sets it).

use condenser_model::alert::TopicEvent;
use condenser_model::handler::TelegramHandlerSpec;
use serde::Serialize;

use crate::config::{ServicesConfig, TelegramConfig};
use crate::{Failure, Handler, http};

/// Sends events to Telegram.
#[derive(Debug)]
pub struct TelegramHandler {
    section: TelegramConfig,
    url: String,
    chat_id: String,
    parse_mode: String,
    disable_web_page_preview: bool,
    disable_notification: bool,
    client: reqwest::blocking::Client,
}

impl TelegramHandler {
    /// A handler for `spec` with the `[telegram]` section of `services`.
    pub fn new(spec: &TelegramHandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let section = services.telegram.clone();
        let or = |own: &str, section: &str| if own.is_empty() { section } else { own }.to_owned();
        let parse_mode = or(&spec.parse_mode, &section.parse_mode);
        if !parse_mode.is_empty()
            && !["markdown", "html"].contains(&parse_mode.to_lowercase().as_str())
        {
            return Err(format!(
                "parseMode {parse_mode} is not valid, please use 'Markdown' or 'HTML'"
            ));
        }
        Ok(Self {
            url: send_message_url(&section.url, &section.token)?,
            chat_id: or(&spec.chat_id, &section.chat_id),
            parse_mode,
            disable_web_page_preview: spec.disable_web_page_preview
                || section.disable_web_page_preview,
            disable_notification: spec.disable_notification || section.disable_notification,
            client: http::client(http::DEFAULT_TIMEOUT, &http::Tls::default())?,
            section,
        })
    }
}

/// `url` with the token appended to its path, then `/sendMessage` (Go's `path.Join`:
/// `https://api.telegram.org/bot` and `T` give `https://api.telegram.org/botT/sendMessage`).
fn send_message_url(url: &str, token: &str) -> Result<String, String> {
    let mut url = reqwest::Url::parse(url).map_err(|e| format!("invalid url {url:?}: {e}"))?;
    let joined = format!("{}{token}/sendMessage", url.path());
    let mut path = String::new();
    for part in joined.split('/').filter(|p| !p.is_empty() && *p != ".") {
        path.push('/');
        path.push_str(part);
    }
    url.set_path(&path);
    Ok(url.to_string())
}

/// The body: Go writes a map, so its keys are sorted; the flags and the parse mode only
/// when set.
#[derive(Serialize)]
struct Body<'a> {
    chat_id: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    disable_notification: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    disable_web_page_preview: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    parse_mode: &'a str,
    text: &'a str,
}

impl Handler for TelegramHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        if !self.section.enabled {
            return Err(Failure::permanent("service is not enabled"));
        }
        let body = http::go_json_line(&Body {
            chat_id: &self.chat_id,
            disable_notification: self.disable_notification,
            disable_web_page_preview: self.disable_web_page_preview,
            parse_mode: &self.parse_mode,
            text: &published.event.message,
        });
        let request = self
            .client
            .post(&self.url)
            .header("Content-Type", "application/json")
            .body(body);
        http::send(
            request,
            "telegram",
            |status| status == reqwest::StatusCode::OK,
            |refusal| {
                #[derive(serde::Deserialize)]
                struct Answer {
                    #[serde(default)]
                    description: String,
                    #[serde(default)]
                    error_code: i64,
                }
                match serde_json::from_str::<Answer>(&refusal.body) {
                    Ok(answer) => format!(
                        "sendMessage error ({}) description: {}",
                        answer.error_code, answer.description
                    ),
                    Err(error) => format!(
                        "failed to understand Telegram response (err: {error}). code: {} content: {}",
                        refusal.status.as_u16(),
                        refusal.body
                    ),
                }
            },
        )
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_joins_the_path_as_gos_path_join_does() {
        let url = |u: &str| send_message_url(u, "TOKEN:AUTH").unwrap();
        assert_eq!(
            url("https://api.telegram.org/bot"),
            "https://api.telegram.org/botTOKEN:AUTH/sendMessage"
        );
        assert_eq!(
            url("http://127.0.0.1:8080/bot/"),
            "http://127.0.0.1:8080/bot/TOKEN:AUTH/sendMessage"
        );
    }
}
