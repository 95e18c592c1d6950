//! `.exec(program, args…)`: runs the program for each event with the event's JSON on its
//! standard input. A program that fails is not run again for the event (running it is not
//! known to be safe twice).

use std::io::Write;
use std::process::{Command, Stdio};

use condenser_model::alert::TopicEvent;
use condenser_model::handler::ExecHandlerSpec;

use crate::{Failure, Handler};

/// Runs a program per event.
#[derive(Debug)]
pub struct ExecHandler {
    program: String,
    args: Vec<String>,
}

impl ExecHandler {
    /// A handler running `spec`'s command; an error when it names no program.
    pub fn new(spec: &ExecHandlerSpec) -> Result<Self, String> {
        let (program, args) = spec
            .command
            .split_first()
            .ok_or_else(|| "no program to run".to_owned())?;
        Ok(Self {
            program: program.clone(),
            args: args.to_vec(),
        })
    }
}

impl Handler for ExecHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        let event = &published.event;
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Failure::permanent(format!("running {}: {e}", self.program)))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A program that does not read its input is not a failure.
            let _ = stdin.write_all(event.to_json_line().as_bytes());
        }
        let output = child
            .wait_with_output()
            .map_err(|e| Failure::permanent(format!("running {}: {e}", self.program)))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(Failure::permanent(format!(
                "{} exited with {}: {}",
                self.program,
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }
}
