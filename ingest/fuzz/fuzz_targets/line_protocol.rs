//! Fuzzes the line-protocol parser with arbitrary bodies.
//!
//! Run: `cd ingest/fuzz && cargo fuzz run line_protocol` (see the README's Development
//! section). Any panic is a bug; so is a result that breaks the parser's promises, which
//! `condenser_ingest::line_protocol::check_promises` asserts.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    condenser_ingest::line_protocol::check_promises(body);
});
