//! `.email(to…)`: each event mailed through the `[smtp]` server, as Kapacitor's
//! `services/smtp` mails it: from the section's `from`, to the script's recipients (and
//! those its `.toTemplates()` render; the section's `to` when there are none), the message
//! as the subject and the details as an HTML body. STARTTLS is used when the server offers
//! it (port 465 speaks TLS from the start), and the login only when a username is set; the
//! connection is kept for `idle-timeout`.

use condenser_model::alert::TopicEvent;
use condenser_model::handler::EmailHandlerSpec;
use condenser_model::template::Template;
use lettre::Transport;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::{PoolConfig, SmtpTransport};

use crate::config::{ServicesConfig, SmtpConfig};
use crate::{Failure, Handler};

/// Mails events.
pub struct EmailHandler {
    section: SmtpConfig,
    to: Vec<String>,
    to_templates: Vec<Template>,
    transport: SmtpTransport,
}

impl std::fmt::Debug for EmailHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailHandler")
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

impl EmailHandler {
    /// A handler for `spec` with the `[smtp]` section of `services`.
    pub fn new(spec: &EmailHandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let section = services.smtp.clone();
        let to_templates = spec
            .to_templates
            .iter()
            .map(|t| Template::parse(t))
            .collect::<Result<_, _>>()?;
        let tls = TlsParameters::builder(section.host.clone())
            .dangerous_accept_invalid_certs(section.no_verify)
            .dangerous_accept_invalid_hostnames(section.no_verify)
            .build()
            .map_err(|e| format!("cannot set up TLS for {}: {e}", section.host))?;
        let tls = match section.port {
            465 => Tls::Wrapper(tls),
            _ => Tls::Opportunistic(tls),
        };
        let idle = section.idle_timeout.to_std().unwrap_or_default();
        let mut transport = SmtpTransport::builder_dangerous(section.host.clone())
            .port(section.port)
            .tls(tls)
            .timeout(Some(std::time::Duration::from_secs(10)))
            .pool_config(PoolConfig::new().max_size(1).idle_timeout(idle));
        if !section.username.is_empty() {
            transport = transport.credentials(Credentials::new(
                section.username.clone(),
                section.password.clone(),
            ));
        }
        Ok(Self {
            to: spec.to.clone(),
            to_templates,
            transport: transport.build(),
            section,
        })
    }

    /// The recipients of `published`: the script's and the rendered templates', else the
    /// section's.
    fn recipients(&self, published: &TopicEvent) -> Result<Vec<String>, Failure> {
        let mut to = self.to.clone();
        if !self.to_templates.is_empty() {
            let data = crate::event_data::template_data(published);
            for template in &self.to_templates {
                let address = template
                    .render(&data)
                    .map_err(|e| Failure::permanent(format!("rendering a recipient: {e}")))?;
                if !address.is_empty() {
                    to.push(address);
                }
            }
        }
        if to.is_empty() {
            to = self.section.to.clone();
        }
        if to.is_empty() {
            return Err(Failure::permanent(
                "not sending email, no recipients defined",
            ));
        }
        Ok(to)
    }
}

impl Handler for EmailHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        if !self.section.enabled {
            return Err(Failure::permanent("service is not enabled"));
        }
        let mailbox = |address: &str| {
            address
                .parse::<Mailbox>()
                .map_err(|e| Failure::permanent(format!("invalid address {address:?}: {e}")))
        };
        let mut message = Message::builder().from(mailbox(&self.section.from)?);
        let mut seen: Vec<String> = Vec::new();
        for address in self.recipients(published)? {
            // Each recipient once, as Kapacitor's mailer sends.
            if !seen.contains(&address) {
                message = message.to(mailbox(&address)?);
                seen.push(address);
            }
        }
        let message = message
            .subject(published.event.message.clone())
            .header(ContentType::TEXT_HTML)
            .body(published.event.details.clone())
            .map_err(|e| Failure::permanent(format!("cannot build the email: {e}")))?;
        self.transport.send(&message).map(drop).map_err(|e| {
            let text = format!("failed to send email: {e}");
            if e.is_permanent() {
                Failure::permanent(text)
            } else {
                Failure::transient(text)
            }
        })
    }
}
